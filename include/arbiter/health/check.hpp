#pragma once

/// \file
/// What a health check is: a type with a compile-time name and traits, and a callable that returns a result.
///
/// A check type `C` has
///   static constexpr std::string_view name = "component:measurement";   // required (see check_name.hpp)
///   R operator()();  or  R operator()(std::stop_token);                 // required; R is check_result,
///                                                                         // health_status or bool (true = healthy)
/// and may have these traits (defaults in brackets):
///   static constexpr arbiter::probe_set probes            [probe::readiness]
///   static constexpr bool critical                        [true]   non-critical: pulls the whole down to DEGRADED
///                                                                        at most
///   static constexpr bool external                        [false]  depends on another system; never in liveness
///   static constexpr std::chrono::milliseconds timeout    [2000 ms]
///   static constexpr std::chrono::milliseconds cache_ttl  [0: every on-demand probe runs it again]
///   static constexpr unsigned failure_threshold           [1: the first failure is UNHEALTHY]
///   static constexpr std::chrono::milliseconds failure_grace [0: no time in error is tolerated]
///   static constexpr arbiter::component_type type         [component_type::component]
///   static constexpr std::string_view component_id        [none]
/// Or build one from any callable: `arbiter::make_check<"db:ping", arbiter::check_options{...}>(fn)`.
/// An object that already knows its health (a circuit breaker) becomes a check with `std::ref(object)` when it is
/// callable, or with a lambda that asks it.

#include <concepts>
#include <cstdint>
#include <exception>
#include <stop_token>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeinfo>
#include <utility>

#include <arbiter/detail/chrono.hpp>
#include <arbiter/detail/demangle.hpp>
#include <arbiter/detail/functional.hpp>
#include <arbiter/health/check_name.hpp>
#include <arbiter/health/status.hpp>

namespace arbiter::inline v1 {

/// The compile-time traits of a check made with make_check (a structural type, so it is a template argument).
/// Durations are in milliseconds because std::chrono::duration cannot be a template argument.
struct check_options {
  probe_set probes = probe::readiness;
  bool critical = true;
  bool external = false;
  std::int64_t timeout_ms = 2000;
  std::int64_t cache_ttl_ms = 0;
  std::uint32_t failure_threshold = 1;
  std::int64_t failure_grace_ms = 0;
  component_type type = component_type::component;
};

namespace detail {

template <class R>
concept check_outcome = std::same_as<std::remove_cvref_t<R>, check_result> ||
                        std::same_as<std::remove_cvref_t<R>, health_status> || std::same_as < std::remove_cvref_t<R>,
bool > ;

template <class C>
concept check_has_name = requires {
  { C::name } -> std::convertible_to<std::string_view>;
};

template <class C>
concept check_takes_stop_token = std::is_invocable_v<C&, std::stop_token>;

template <class C>
concept check_is_callable = (check_takes_stop_token<C> && check_outcome<std::invoke_result_t<C&, std::stop_token>>) ||
                            (!check_takes_stop_token<C> && std::is_invocable_v<C&> &&
                             check_outcome<std::invoke_result_t<C&>>);

}  // namespace detail

/// A health check type (see the file comment).
template <class C>
concept HealthCheck = detail::check_has_name<C> && detail::check_is_callable<C>;

/// A check's traits with their defaults filled in.
template <class C>
struct check_traits {
  static constexpr std::string_view name = C::name;

  static constexpr probe_set probes = [] {
    if constexpr (requires { C::probes; }) {
      return probe_set(C::probes);
    } else {
      return probe_set(probe::readiness);
    }
  }();

  static constexpr bool critical = [] {
    if constexpr (requires { C::critical; }) {
      return static_cast<bool>(C::critical);
    } else {
      return true;
    }
  }();

  static constexpr bool external = [] {
    if constexpr (requires { C::external; }) {
      return static_cast<bool>(C::external);
    } else {
      return false;
    }
  }();

  static constexpr std::chrono::milliseconds timeout = [] {
    if constexpr (requires { C::timeout; }) {
      return std::chrono::milliseconds(C::timeout);
    } else {
      return std::chrono::milliseconds(2000);
    }
  }();

  static constexpr std::chrono::milliseconds cache_ttl = [] {
    if constexpr (requires { C::cache_ttl; }) {
      return std::chrono::milliseconds(C::cache_ttl);
    } else {
      return std::chrono::milliseconds(0);
    }
  }();

  static constexpr std::uint32_t failure_threshold = [] {
    if constexpr (requires { C::failure_threshold; }) {
      return static_cast<std::uint32_t>(C::failure_threshold);
    } else {
      return std::uint32_t{1};
    }
  }();

  static constexpr std::chrono::milliseconds failure_grace = [] {
    if constexpr (requires { C::failure_grace; }) {
      return std::chrono::milliseconds(C::failure_grace);
    } else {
      return std::chrono::milliseconds(0);
    }
  }();

  static constexpr component_type type = [] {
    if constexpr (requires { C::type; }) {
      return static_cast<component_type>(C::type);
    } else {
      return component_type::component;
    }
  }();

  static constexpr std::string_view component_id = [] {
    if constexpr (requires { C::component_id; }) {
      return std::string_view(C::component_id);
    } else {
      return std::string_view();
    }
  }();
};

/// Checks that `C` is a health check with sound traits, and says what is wrong if it is not.
template <class C>
consteval bool assert_health_check() {
  static_assert(detail::check_has_name<C>,
                "====> arbiter: a health check needs `static constexpr std::string_view name = "
                "\"component:measurement\";` (or build it with arbiter::make_check<\"component:measurement\">(fn)).");
  static_assert(detail::check_is_callable<C>,
                "====> arbiter: a health check must be callable as `check()` or `check(std::stop_token)` and return "
                "arbiter::check_result, arbiter::health_status or bool.");
  if constexpr (detail::check_has_name<C>) {
    using traits = check_traits<C>;
    static_assert(detail::valid_check_name(traits::name),
                  "====> arbiter: a health check's name must be `component` or `component:measurement` (the "
                  "health+json key grammar): each part one or more of A-Z a-z 0-9 _ - . and at most one ':'.");
    static_assert(!(traits::external && traits::probes.contains(probe::liveness)),
                  "====> arbiter: a check marked `external` (it depends on another system) cannot be in the liveness "
                  "probe: a failing dependency would get every replica restarted. Put it in probe::readiness.");
    static_assert(!traits::probes.empty(), "====> arbiter: a health check must belong to at least one probe.");
    static_assert(traits::timeout.count() > 0, "====> arbiter: a health check's timeout must be positive.");
    static_assert(traits::cache_ttl.count() >= 0 && traits::failure_grace.count() >= 0,
                  "====> arbiter: a health check's cache_ttl and failure_grace cannot be negative.");
    static_assert(traits::failure_threshold >= 1,
                  "====> arbiter: a health check's failure_threshold counts the failures that make it UNHEALTHY; "
                  "it must be at least 1.");
  }
  return true;
}

namespace detail {

/// Returns true if two checks of the pack share a name.
template <class... C>
consteval bool has_duplicate_check_names() {
  constexpr std::string_view names[] = {std::string_view(C::name)..., std::string_view()};
  for (std::size_t i = 0; i < sizeof...(C); ++i) {
    for (std::size_t j = i + 1; j < sizeof...(C); ++j) {
      if (names[i] == names[j]) return true;
    }
  }
  return false;
}

/// Turns what a check returned into a check_result.
template <class R>
[[nodiscard]] check_result to_check_result(R&& outcome) {
  using T = std::remove_cvref_t<R>;
  if constexpr (std::is_same_v<T, check_result>) {
    return std::forward<R>(outcome);
  } else if constexpr (std::is_same_v<T, health_status>) {
    check_result result;
    result.status = outcome;
    return result;
  } else {
    return outcome ? check_result::healthy() : check_result::unhealthy("check returned false");
  }
}

/// Runs a check and returns its result; an exception becomes UNHEALTHY with its message and type.
template <class C>
[[nodiscard]] check_result invoke_check(C& check, std::stop_token stop) {
  try {
    if constexpr (check_takes_stop_token<C>) {
      return to_check_result(detail::invoke(check, std::move(stop)));
    } else {
      return to_check_result(detail::invoke(check));
    }
  } catch (const std::exception& error) {
    return check_result::unhealthy(error.what()).with("exception.type", detail::type_name(typeid(error)));
  } catch (...) {
    return check_result::unhealthy("unknown exception");
  }
}

}  // namespace detail

/// The traits of a check whose name and options are template arguments; the checks make_check and
/// dynamic_checks build inherit them, so both spell them the same way.
template <check_name Name, check_options Options>
struct check_traits_from {
  static constexpr std::string_view name = Name.view();
  static constexpr probe_set probes = Options.probes;
  static constexpr bool critical = Options.critical;
  static constexpr bool external = Options.external;
  static constexpr std::chrono::milliseconds timeout{Options.timeout_ms};
  static constexpr std::chrono::milliseconds cache_ttl{Options.cache_ttl_ms};
  static constexpr std::uint32_t failure_threshold = Options.failure_threshold;
  static constexpr std::chrono::milliseconds failure_grace{Options.failure_grace_ms};
  static constexpr component_type type = Options.type;
};

/// A check built from a callable (a lambda, a function object, or `std::ref(object)`), with its name and traits
/// fixed at compile time. The callable may take a std::stop_token to notice a timeout or shutdown.
template <check_name Name, class F, check_options Options = check_options{}>
class callable_check : public check_traits_from<Name, Options> {
 public:
  explicit callable_check(F fn) noexcept(std::is_nothrow_move_constructible_v<F>) : fn_(std::move(fn)) {}

  /// Runs the callable, handing it the stop token when it takes one.
  decltype(auto) operator()(std::stop_token stop) {
    if constexpr (std::is_invocable_v<F&, std::stop_token>) {
      return detail::invoke(fn_, std::move(stop));
    } else {
      return detail::invoke(fn_);
    }
  }

 private:
  F fn_;
};

/// Makes a check named `Name` with traits `Options` from a callable: `make_check<"cache:ping">([&] { ... })`.
/// Pass `std::ref(object)` to check an object that lives elsewhere (it must outlive the monitor).
template <check_name Name, check_options Options = check_options{}, class F>
[[nodiscard]] auto make_check(F&& fn) {
  using check_type = callable_check<Name, std::decay_t<F>, Options>;
  static_assert(assert_health_check<check_type>());
  return check_type(std::forward<F>(fn));
}

}  // namespace arbiter::inline v1
