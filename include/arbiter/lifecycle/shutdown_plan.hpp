#pragma once

/// \file
/// Shutdown decisions made at compile time.
///
/// Static hooks declare what they must stop before; static_hook_order sorts them at compile time and a cycle
/// is a compile error naming a hook on it:
///
///   struct stop_server { static constexpr std::string_view name = "http server";
///                        using stops_before = arbiter::stop_before<close_database>; void operator()(); };
///
/// shutdown_budget checks that constant phase timeouts and drain time fit the overall deadline, so the
/// classic 30 s of hooks under a 10 s `docker stop` does not compile.

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <tuple>
#include <type_traits>

#include <arbiter/detail/chrono.hpp>
#include <arbiter/lifecycle/shutdown_options.hpp>

namespace arbiter::inline v1 {

/// Lists the hooks a static hook must stop before: `using stops_before = arbiter::stop_before<db_hook>;`.
template <class... Hooks>
struct stop_before {};

/// A hook known at compile time: a `static constexpr std::string_view name` and `void operator()()` (or
/// `void operator()(const arbiter::hook_budget&)` to learn its limit); optionally `using stops_before =
/// arbiter::stop_before<...>` and `static constexpr std::chrono::milliseconds timeout`.
template <class H>
concept StaticHook = std::move_constructible<H> &&
    (std::invocable<H&> || std::invocable<H&, const hook_budget&>)&&requires {
  { H::name } -> std::convertible_to<std::string_view>;
};

/// Checks that `H` is a static hook and says what is missing if it is not.
template <class H>
consteval bool assert_static_hook() {
  static_assert(
      requires {
        { H::name } -> std::convertible_to<std::string_view>;
      },
      "====> arbiter: a static shutdown hook needs `static constexpr std::string_view name = \"...\";`");
  static_assert(std::invocable<H&> || std::invocable<H&, const hook_budget&>,
                "====> arbiter: a static shutdown hook needs `void operator()()` or `void operator()(const "
                "arbiter::hook_budget&)`.");
  static_assert(std::move_constructible<H>, "====> arbiter: a static shutdown hook must be movable.");
  return true;
}

namespace detail {

template <class H>
struct stops_before_of {
  using type = stop_before<>;
};
template <class H>
requires requires { typename H::stops_before; }
struct stops_before_of<H> {
  using type = typename H::stops_before;
};

/// Returns the compile-time timeout of a static hook, if it declares one.
template <class H>
[[nodiscard]] constexpr std::optional<std::chrono::milliseconds> static_hook_timeout() noexcept {
  if constexpr (requires { H::timeout; }) {
    return std::chrono::milliseconds(H::timeout);
  } else {
    return std::nullopt;
  }
}

template <class... All>
struct hook_indexer {
  static constexpr std::size_t n = sizeof...(All);

  template <class T>
  static consteval std::size_t index() {
    constexpr std::array<bool, n> same{std::is_same_v<T, All>...};
    for (std::size_t i = 0; i < n; ++i) {
      if (same[i]) return i;
    }
    return n;
  }

  template <class... S>
  static consteval bool mark(std::array<bool, n>& row, stop_before<S...> /*tag*/) {
    bool known = true;
    ((index<S>() < n ? (row[index<S>()] = true) : (known = false)), ...);
    return known;
  }
};

template <std::size_t N>
struct hook_plan {
  std::array<std::size_t, N> order{};  ///< indices into the hook list, first to stop first
  bool distinct = true;
  bool names_known = true;
  bool acyclic = true;
  std::size_t culprit = 0;  ///< a hook with the problem (unknown target, or on a cycle)
};

template <class... Hooks>
consteval hook_plan<sizeof...(Hooks)> plan_hooks() {
  using indexer = hook_indexer<Hooks...>;
  constexpr std::size_t n = sizeof...(Hooks);
  hook_plan<n> plan;
  std::array<std::array<bool, n>, n> edges{};  // edges[i][j]: hook i stops before hook j
  std::array<bool, n> known{};
  std::size_t i = 0;
  ((known[i] = indexer::mark(edges[i], typename stops_before_of<Hooks>::type{}), ++i), ...);
  constexpr std::array<std::size_t, n> first_index{indexer::template index<Hooks>()...};
  for (std::size_t k = 0; k < n; ++k) {
    if (first_index[k] != k && plan.distinct) {
      plan.distinct = false;
      plan.culprit = k;
    }
  }
  for (std::size_t k = 0; k < n; ++k) {
    if (!known[k] && plan.names_known) {
      plan.names_known = false;
      plan.culprit = k;
    }
  }
  if (!plan.distinct || !plan.names_known) return plan;
  // Kahn's algorithm, always taking the earliest listed free hook, so unrelated hooks keep their order.
  std::array<std::size_t, n> waiting_on{};
  for (std::size_t from = 0; from < n; ++from) {
    for (std::size_t to = 0; to < n; ++to) {
      if (edges[from][to]) ++waiting_on[to];
    }
  }
  std::array<bool, n> placed{};
  for (std::size_t slot = 0; slot < n; ++slot) {
    std::size_t next = n;
    for (std::size_t k = 0; k < n; ++k) {
      if (!placed[k] && waiting_on[k] == 0) {
        next = k;
        break;
      }
    }
    if (next == n) {  // every hook left waits on another one left: a cycle
      plan.acyclic = false;
      for (std::size_t k = 0; k < n; ++k) {
        if (!placed[k]) {
          plan.culprit = k;
          break;
        }
      }
      return plan;
    }
    placed[next] = true;
    plan.order[slot] = next;
    for (std::size_t to = 0; to < n; ++to) {
      if (edges[next][to]) --waiting_on[to];
    }
  }
  return plan;
}

template <bool Distinct, class Hook>
struct assert_hook_listed_once {
  static_assert(Distinct,
                "====> arbiter: a static shutdown hook type is listed twice in one ordered set (the "
                "Hook argument of this template is the one).");
  static constexpr bool value = true;
};

template <bool Known, class Hook>
struct assert_stop_before_targets_listed {
  static_assert(Known,
                "====> arbiter: a static shutdown hook's `stops_before` names a hook that is not in the same "
                "ordered set; add that hook to the set or remove it from stop_before<...> (the Hook argument of "
                "this template is the one that names it).");
  static constexpr bool value = true;
};

template <bool Acyclic, class Hook>
struct assert_no_stop_cycle {
  static_assert(Acyclic,
                "====> arbiter: the static shutdown hooks' `stops_before` relations form a cycle, so no stop order "
                "exists; the Hook argument of this template is on the cycle.");
  static constexpr bool value = true;
};

}  // namespace detail

/// The stop order of a set of static hooks, computed at compile time.
template <class... Hooks>
struct static_hook_order {
  static_assert((assert_static_hook<Hooks>() && ...));
  static constexpr std::size_t size = sizeof...(Hooks);
  static constexpr auto plan = detail::plan_hooks<Hooks...>();
  using culprit = std::tuple_element_t<(size == 0 ? 0 : plan.culprit), std::tuple<Hooks..., void>>;
  static_assert(detail::assert_hook_listed_once<plan.distinct, culprit>::value);
  static_assert(detail::assert_stop_before_targets_listed<plan.names_known, culprit>::value);
  static_assert(detail::assert_no_stop_cycle<plan.acyclic, culprit>::value);

  /// Indices into `Hooks...`, the first to stop first.
  static constexpr std::array<std::size_t, size> order = plan.order;

  /// Returns where hook `H` stops (0 = first).
  template <class H>
  [[nodiscard]] static consteval std::size_t position() {
    constexpr std::size_t index = detail::hook_indexer<Hooks...>::template index<H>();
    static_assert(index < size, "====> arbiter: static_hook_order::position<H>(): H is not in this set.");
    for (std::size_t slot = 0; slot < size; ++slot) {
      if (order[slot] == index) return slot;
    }
    return size;
  }
};

/// A compile-time timeout for one phase, for shutdown_budget.
template <int Phase, std::int64_t Milliseconds>
struct phase_limit {
  static_assert(Milliseconds > 0, "====> arbiter: phase_limit<Phase, Milliseconds>: a phase timeout must be positive.");
  static constexpr int phase = Phase;
  static constexpr std::int64_t milliseconds = Milliseconds;
};

namespace detail {

template <std::int64_t CommittedMs, std::int64_t DeadlineMs>
struct assert_budget_fits {
  static_assert(CommittedMs <= DeadlineMs,
                "====> arbiter: shutdown_budget: the drain time plus the phase timeouts (first number of this "
                "template) do not fit in the overall deadline (second number): the supervisor would kill the "
                "process mid-shutdown. Shorten a phase, or raise the deadline together with "
                "terminationGracePeriodSeconds / `docker stop -t`.");
  static constexpr bool value = true;
};

template <int... Phases>
consteval bool phases_distinct() {
  constexpr std::array<int, sizeof...(Phases)> phases{Phases...};
  for (std::size_t a = 0; a < phases.size(); ++a) {
    for (std::size_t b = a + 1; b < phases.size(); ++b) {
      if (phases[a] == phases[b]) return false;
    }
  }
  return true;
}

}  // namespace detail

/// Constant shutdown timing checked at compile time: drain + every phase limit must fit the deadline.
///   using budget = arbiter::shutdown_budget<10'000, 2'000, arbiter::phase_limit<0, 3'000>,
///                                           arbiter::phase_limit<1, 4'000>>;
///   arbiter::shutdown_manager manager(logger, budget::options());
template <std::int64_t DeadlineMs, std::int64_t DrainMs, class... PhaseLimits>
struct shutdown_budget {
  static_assert(DeadlineMs > 0, "====> arbiter: shutdown_budget: the overall deadline must be positive.");
  static_assert(DrainMs >= 0, "====> arbiter: shutdown_budget: the drain time must not be negative.");
  static_assert(detail::phases_distinct<PhaseLimits::phase...>(),
                "====> arbiter: shutdown_budget: a phase has two phase_limit entries.");

  static constexpr std::int64_t committed_ms = DrainMs + (std::int64_t{0} + ... + PhaseLimits::milliseconds);
  static_assert(detail::assert_budget_fits<committed_ms, DeadlineMs>::value);

  static constexpr std::chrono::milliseconds deadline{DeadlineMs};
  static constexpr std::chrono::milliseconds drain{DrainMs};

  /// Returns `base` with the deadline, drain timeout and phase timeouts of this budget.
  [[nodiscard]] static shutdown_options options(shutdown_options base = {}) {
    base.deadline = deadline;
    base.drain_timeout = drain;
    base.phase_timeouts = {phase_timeout{PhaseLimits::phase, std::chrono::milliseconds(PhaseLimits::milliseconds)}...};
    return base;
  }
};

}  // namespace arbiter::inline v1
