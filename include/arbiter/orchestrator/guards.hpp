#pragma once

/// \file
/// The orchestrator's named retries and bulkheads, and `svc.guarded<"name">()`, which composes the retry, the
/// breaker and the bulkhead of one name into a pipeline. A separate header, so that a service without them does
/// not compile retry.hpp, bulkhead.hpp and pipeline.hpp:
///
///   #include <arbiter/orchestrator/guards.hpp>
///   using service = arbiter::orchestrator<arbiter::retried<"inventory">, arbiter::breaker<"inventory">,
///                                         arbiter::bulkheaded<"inventory">, arbiter::with_metrics<M>>;
///   svc.guarded<"inventory">().execute([&] { return reserve(order); }, fallback, svc.stop_token());
///
/// Each reads its own config section (no resilience.* default above it: a retry and a bulkhead are sized per
/// downstream):
///
///   resilience.retries.<name>.max_attempts            3      attempts in all, the first included, in [1, 1000]
///   resilience.retries.<name>.initial_backoff         100ms  the first wait (full jitter below it), 0 to 24h
///   resilience.retries.<name>.max_backoff             10s    the cap on one wait, initial_backoff to 24h
///   resilience.retries.<name>.deadline                0ms    all attempts and waits (0: none), at most 24h
///   resilience.retries.<name>.budget_ratio            0.2    retries allowed per first attempt, in [0, 1]
///   resilience.retries.<name>.budget_min_per_second   10     retries allowed each second whatever the balance,
///                                                            in [0, 1000000]
///   resilience.retries.<name>.budget_max_balance      100    the cap on saved retries, in [0, 1000000]
///   resilience.bulkheads.<name>.max_concurrent        10     calls in flight at once, in [1, 1000000]
///   resilience.bulkheads.<name>.max_wait              0ms    how long a caller waits for a place (0: refuse),
///                                                            at most 24h
///
/// The budget keys are read when the retry has a retry_budget (the default; `no_retry_budget` among its policies
/// turns it off). A reload reports a changed retry or bulkhead setting as needing a restart: both read their
/// options on every call without a lock, so they are built once.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <boost/hana/append.hpp>
#include <boost/hana/string.hpp>
#include <boost/hana/transform.hpp>

#include <arbiter/orchestrator.hpp>
#include <arbiter/resilience/bulkhead.hpp>
#include <arbiter/resilience/pipeline.hpp>
#include <arbiter/resilience/retry.hpp>
#include <arbiter/resilience/retry_budget.hpp>

namespace arbiter::inline v1 {

/// One retry's settings, `resilience.retries.<name>.*` (see the file comment).
struct retry_settings {
  static constexpr std::chrono::milliseconds day = std::chrono::hours(24);  ///< the longest duration accepted

  std::uint32_t max_attempts = 3;
  std::chrono::milliseconds initial_backoff{100};
  std::chrono::milliseconds max_backoff{std::chrono::seconds(10)};
  std::chrono::milliseconds deadline{0};
  double budget_ratio = 0.2;
  std::uint32_t budget_min_per_second = 10;
  std::uint32_t budget_max_balance = 100;

  // Every value these rules accept builds a retry and its budget (a day bounds the durations, whose nanosecond
  // counts must not overflow; a million bounds the budget's counts, whose rate limiter takes at most 1e9 a second).
  static constexpr auto config_rules =
      rules(field<"max_attempts">(range(1, 1000)), field<"initial_backoff">(range(std::chrono::milliseconds(0), day)),
            field<"max_backoff">(range(std::chrono::milliseconds(0), day)),
            field<"deadline">(range(std::chrono::milliseconds(0), day)), field<"budget_ratio">(range(0.0, 1.0)),
            field<"budget_min_per_second">(range(0, 1'000'000)), field<"budget_max_balance">(range(0, 1'000'000)));

  /// Rejects a backoff cap below the first wait, and a budget that allows no retry at all.
  void validate(validation_context& context) const {
    if (max_backoff < initial_backoff) {
      context.fail("max_backoff",
                   value_text(max_backoff) + " is shorter than initial_backoff (" + value_text(initial_backoff) + ")",
                   {"initial_backoff"});
    }
    if (budget_ratio == 0.0 && budget_min_per_second == 0 && budget_max_balance == 0) {
      context.fail("budget_ratio",
                   "0 with budget_min_per_second and budget_max_balance 0 allows no retry; set "
                   "max_attempts = 1 to turn retries off",
                   {"budget_min_per_second", "budget_max_balance"});
    }
  }
};

/// One bulkhead's settings, `resilience.bulkheads.<name>.*` (see the file comment).
struct bulkhead_settings {
  std::uint32_t max_concurrent = 10;
  std::chrono::milliseconds max_wait{0};

  static constexpr auto config_rules =
      rules(field<"max_concurrent">(range(1, 1'000'000)),
            field<"max_wait">(range(std::chrono::milliseconds(0), retry_settings::day)));
};

/// A section with one `Settings` per name, in the order given (`resilience.retries`, `resilience.bulkheads`).
template <class Settings, detail::fixed_string... Names>
struct named_sections {
  std::array<Settings, sizeof...(Names)> entries{};
};

/// The names of an orchestrator's retries (or bulkheads), in declaration order.
template <detail::fixed_string... Names>
struct name_list {};

/// S's resilience section plus `retries.<name>` and `bulkheads.<name>` (each only when it has names).
template <class R, class Retries, class Bulkheads>
struct resilience_with_guards;
template <class R, detail::fixed_string... RN, detail::fixed_string... BN>
struct resilience_with_guards<R, name_list<RN...>, name_list<BN...>> : R {
  named_sections<retry_settings, RN...> retries;
  named_sections<bulkhead_settings, BN...> bulkheads;
};

/// S with the sections of its retries and bulkheads (its `resilience` member hides S's, as service_schema's).
template <class S, class Retries, class Bulkheads>
struct service_schema_with_guards : S {
  resilience_with_guards<decltype(S::resilience), Retries, Bulkheads> resilience;
};

namespace detail {

/// The Clock of a retry_budget<C>, or void for another Budget policy.
template <class T>
struct retry_budget_clock {
  using type = void;
};
template <class C>
struct retry_budget_clock<retry_budget<C>> {
  using type = C;
};

/// `T<L...>` for a type_list<L...>.
template <template <class...> class T, class List>
struct apply_list;
template <template <class...> class T, class... L>
struct apply_list<T, type_list<L...>> {
  using type = T<L...>;
};

/// A retry's policies: those given, then a retry_budget<> when none is among them, then M.
template <class Spec, class M>
struct retry_part;
template <fixed_string N, class... P, class M>
struct retry_part<retried<N, P...>, M> {
  static constexpr fixed_string name = N;
  using type =
      typename apply_list<retry, std::conditional_t<count_policies<is_retry_budget_policy, P...> == 0,
                                                    type_list<P..., retry_budget<>, M>, type_list<P..., M>>>::type;
};

template <class Spec, class M>
struct bulkhead_part;
template <fixed_string N, class... P, class M>
struct bulkhead_part<bulkheaded<N, P...>, M> {
  static constexpr fixed_string name = N;
  using type = bulkhead<P..., M>;
};

/// Holds one retry or bulkhead of an orchestrator in place (it never moves: its metrics read it).
template <class T>
struct guard_slot {
  template <class Make>
  explicit guard_slot(Make&& make) : object(std::forward<Make>(make)()) {}
  T object;
};

/// A bulkhead as a non-critical readiness check: DEGRADED while it is full or has refused a call since the last
/// check (bulkhead::health()), so a saturated replica shows it without leaving the load balancer.
template <fixed_string Name, class K>
class bulkhead_check {
 public:
  static constexpr std::string_view name = part_check_name<Name, "bulkhead">::text.view();
  static constexpr bool critical = false;
  static constexpr probe_set probes = probe_set(probe::readiness);

  explicit bulkhead_check(const K& bulkhead) noexcept : bulkhead_(&bulkhead) {}
  [[nodiscard]] check_result operator()() const { return bulkhead_->health(); }

 private:
  const K* bulkhead_;
};

/// Instantiated when svc.retry<"name">() or svc.bulkhead<"name">() asks for a name that no part has: the first
/// line of the compiler's error shows the name asked for and then every name that exist (as for breakers).
template <fixed_string Asked, fixed_string... Existing>
struct no_retry_has_this_name {
  static_assert(unknown_part_name<Asked, Existing...>,
                "====> arbiter: svc.retry<\"name\">(): no retried<\"name\", ...> part has this name; the line \"In "
                "instantiation of no_retry_has_this_name<asked, existing...>\" above shows the name asked for, then "
                "the names that exist: ask for one of those, or add a retried<\"name\"> part.");
};
template <fixed_string Asked, fixed_string... Existing>
struct no_bulkhead_has_this_name {
  static_assert(unknown_part_name<Asked, Existing...>,
                "====> arbiter: svc.bulkhead<\"name\">(): no bulkheaded<\"name\", ...> part has this name; the line "
                "\"In instantiation of no_bulkhead_has_this_name<asked, existing...>\" above shows the name asked "
                "for, then the names that exist: ask for one of those, or add a bulkheaded<\"name\"> part.");
};

[[nodiscard]] constexpr bool valid_part_names(std::span<const std::string_view> names) noexcept {
  for (const auto name : names) {
    if (!valid_part_name(name)) return false;
  }
  return true;
}

/// The retries and bulkheads of an orchestrator with Metrics `M` (declared in orchestrator.hpp).
template <class M, class... R, class... K>
struct guard_table<M, type_list<R...>, type_list<K...>> {
  static constexpr std::size_t retry_count = sizeof...(R);
  static constexpr std::size_t bulkhead_count = sizeof...(K);
  static constexpr std::array<std::string_view, sizeof...(R)> retry_names{R::name...};
  static constexpr std::array<std::string_view, sizeof...(K)> bulkhead_names{K::name...};
  using retry_types = std::tuple<typename retry_part<R, M>::type...>;
  using bulkhead_types = std::tuple<typename bulkhead_part<K, M>::type...>;

  static_assert(!has_duplicates(retry_names),
                "====> arbiter: two retried<\"name\", ...> parts have the same name: give each retry its own name "
                "(it is its config key resilience.retries.<name>).");
  static_assert(!has_duplicates(bulkhead_names),
                "====> arbiter: two bulkheaded<\"name\", ...> parts have the same name: give each bulkhead its own "
                "name (it is its config key resilience.bulkheads.<name> and its health check <name>:bulkhead).");
  static_assert(valid_part_names(retry_names) && valid_part_names(bulkhead_names),
                "====> arbiter: a retry's or bulkhead's name must start with a lowercase letter and hold only a-z, "
                "0-9 and _ (at most 64): it becomes the config key resilience.retries.<name> or "
                "resilience.bulkheads.<name>.");

  template <class S>
  using schema =
      service_schema_with_guards<S, name_list<retry_part<R, M>::name...>, name_list<bulkhead_part<K, M>::name...>>;

  template <fixed_string Asked>
  static constexpr void no_such_retry() {
    static_cast<void>(sizeof(no_retry_has_this_name<Asked, retry_part<R, M>::name...>));
  }
  template <fixed_string Asked>
  static constexpr void no_such_bulkhead() {
    static_cast<void>(sizeof(no_bulkhead_has_this_name<Asked, bulkhead_part<K, M>::name...>));
  }

  template <std::size_t J>
  using check = bulkhead_check<bulkhead_part<std::tuple_element_t<J, std::tuple<K...>>, M>::name,
                               std::tuple_element_t<J, bulkhead_types>>;

  [[nodiscard]] static retry_options retry_options_of(const retry_settings& s) noexcept {
    return retry_options{.max_attempts = s.max_attempts,
                         .initial_backoff = s.initial_backoff,
                         .max_backoff = s.max_backoff,
                         .deadline = s.deadline};
  }
  [[nodiscard]] static retry_budget_options budget_options_of(const retry_settings& s) noexcept {
    return retry_budget_options{
        .ratio = s.budget_ratio, .min_per_second = s.budget_min_per_second, .max_balance = s.budget_max_balance};
  }
  [[nodiscard]] static bulkhead_options bulkhead_options_of(const bulkhead_settings& s) noexcept {
    return bulkhead_options{.max_concurrent = s.max_concurrent, .max_wait = s.max_wait};
  }

  /// The retries and bulkheads, built in place from the snapshot's sections and the parts' instances.
  /// The rules above admit only settings the objects take; should one still refuse its options (a policy's own
  /// check), the service does not start: a config_error (exit code 2 from run()) says which and why.
  struct objects {
    template <class Tuple, class Snapshot>
    objects(Tuple& parts, const Snapshot& s, M& metrics) try
        : retries(make_retries(parts, s, metrics, std::index_sequence_for<R...>{})),
          bulkheads(make_bulkheads(parts, s, metrics, std::index_sequence_for<K...>{})) {
    } catch (const std::invalid_argument& error) {
      throw config_error(std::vector<config_issue>{config_issue{issue_severity::error, "resilience", error.what()}});
    }

    std::tuple<guard_slot<typename retry_part<R, M>::type>...> retries;
    std::tuple<guard_slot<typename bulkhead_part<K, M>::type>...> bulkheads;
  };

 private:
  template <class T, class Tuple>
  static auto budget_for(Tuple& parts, const retry_settings& s) {
    if constexpr (!std::is_void_v<typename retry_budget_clock<T>::type>) {
      return T(budget_options_of(s), take_instance<typename retry_budget_clock<T>::type>(parts));
    } else {
      return take_instance<T>(parts);
    }
  }

  template <class Tuple, class Snapshot, std::size_t... I>
  static auto make_retries(Tuple& parts, const Snapshot& s, M& metrics, std::index_sequence<I...> /*unused*/) {
    return std::tuple<guard_slot<typename retry_part<R, M>::type>...>(make_retry<I>(parts, s, metrics)...);
  }
  template <std::size_t I, class Tuple, class Snapshot>
  static auto make_retry(Tuple& parts, const Snapshot& s, M& metrics) {
    using T = std::tuple_element_t<I, retry_types>;
    return [&parts, &metrics, settings = s->resilience.retries.entries[I]] {
      return T(std::string(retry_names[I]), retry_options_of(settings),
               budget_for<typename T::budget_type>(parts, settings), take_instance<typename T::classifier_type>(parts),
               take_instance<typename T::clock_type>(parts), take_instance<typename T::backoff_type>(parts),
               typename T::metrics_type(metrics));
    };
  }

  template <class Tuple, class Snapshot, std::size_t... I>
  static auto make_bulkheads(Tuple& parts, const Snapshot& s, M& metrics, std::index_sequence<I...> /*unused*/) {
    return std::tuple<guard_slot<typename bulkhead_part<K, M>::type>...>(make_bulkhead<I>(parts, s, metrics)...);
  }
  template <std::size_t I, class Tuple, class Snapshot>
  static auto make_bulkhead(Tuple& parts, const Snapshot& s, M& metrics) {
    using T = std::tuple_element_t<I, bulkhead_types>;
    return [&parts, &metrics, settings = s->resilience.bulkheads.entries[I]] {
      return T(std::string(bulkhead_names[I]), bulkhead_options_of(settings),
               take_instance<typename T::limit_type>(parts), take_instance<typename T::clock_type>(parts),
               typename T::metrics_type(metrics));
    };
  }
};

template <class M, class R, class K>
inline constexpr bool guards_header_included<guard_table<M, R, K>> = true;

}  // namespace detail

}  // namespace arbiter::inline v1

ARBITER_DETAIL_ADAPT_STRUCT(arbiter::retry_settings, max_attempts, initial_backoff, max_backoff, deadline, budget_ratio,
                            budget_min_per_second, budget_max_balance);
ARBITER_DETAIL_ADAPT_STRUCT(arbiter::bulkhead_settings, max_concurrent, max_wait);

namespace arbiter::inline v1::detail {

// The same members as the Hana accessors below, without Hana (see config/detail/members.hpp).
template <class Settings, fixed_string... Names>
struct section_members<named_sections<Settings, Names...>> {
  using type = named_entry_members<Names...>;
};
template <class R, fixed_string... RN, fixed_string... BN>
struct section_members<resilience_with_guards<R, name_list<RN...>, name_list<BN...>>> {
  using self = resilience_with_guards<R, name_list<RN...>, name_list<BN...>>;
  using retries = member_pair<member_key<"retries">, member_ref<&self::retries>>;
  using bulkheads = member_pair<member_key<"bulkheads">, member_ref<&self::bulkheads>>;
  using with_retries =
      std::conditional_t<(sizeof...(RN) > 0), typename append_members<member_pairs_of<R>, retries>::type,
                         member_pairs_of<R>>;
  using type =
      std::conditional_t<(sizeof...(BN) > 0), typename append_members<with_retries, bulkheads>::type, with_retries>;
};
template <class S, class Retries, class Bulkheads>
struct section_members<service_schema_with_guards<S, Retries, Bulkheads>> {
  using type =
      typename with_own_resilience<member_pairs_of<S>,
                                   member_ref<&service_schema_with_guards<S, Retries, Bulkheads>::resilience>>::type;
};

}  // namespace arbiter::inline v1::detail

namespace boost::hana {

template <class Settings, arbiter::detail::fixed_string... Names>
struct accessors_impl<arbiter::named_sections<Settings, Names...>> {
  template <std::size_t... I>
  static constexpr auto make(std::index_sequence<I...> /*unused*/) {
    return make_tuple(make_pair(arbiter::detail::hana_name<Names>(), [](auto&& s) -> decltype(auto) {
      return (static_cast<decltype(s)&&>(s).entries[I]);
    })...);
  }
  static constexpr auto apply() { return make(std::index_sequence_for<decltype(Names)...>{}); }
};

template <class R, arbiter::detail::fixed_string... RN, arbiter::detail::fixed_string... BN>
struct accessors_impl<arbiter::resilience_with_guards<R, arbiter::name_list<RN...>, arbiter::name_list<BN...>>> {
  static constexpr auto apply() {
    const auto retries = [] {
      if constexpr (sizeof...(RN) > 0) {
        return append(accessors<R>(), make_pair(BOOST_HANA_STRING("retries"), [](auto&& s) -> decltype(auto) {
                        return (static_cast<decltype(s)&&>(s).retries);
                      }));
      } else {
        return accessors<R>();
      }
    }();
    if constexpr (sizeof...(BN) > 0) {
      return append(retries, make_pair(BOOST_HANA_STRING("bulkheads"), [](auto&& s) -> decltype(auto) {
                      return (static_cast<decltype(s)&&>(s).bulkheads);
                    }));
    } else {
      return retries;
    }
  }
};

template <class S, class Retries, class Bulkheads>
struct accessors_impl<arbiter::service_schema_with_guards<S, Retries, Bulkheads>> {
  static constexpr auto apply() { return arbiter::detail::accessors_with_own_resilience<S>(); }
};

}  // namespace boost::hana
