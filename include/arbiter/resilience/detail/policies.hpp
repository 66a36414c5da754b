#pragma once

/// \file
/// How the resilience parts (circuit_breaker, rate_limiter, ...) read their policies: each template argument is a
/// policy of exactly one kind, found by what it is (a Clock, a Logger, a Tracer, a Metrics policy) or by its nested
/// `policy_kind` tag; a kind not given takes its default.

#include <concepts>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <type_traits>

#include <arbiter/clock/clock.hpp>
#include <arbiter/logging/logger.hpp>
#include <arbiter/metrics/metrics.hpp>
#include <arbiter/resilience/outcome.hpp>
#include <arbiter/tracing/tracer.hpp>

namespace arbiter::inline v1::detail {

template <class T, class Kind>
concept policy_of_kind = requires {
  typename T::policy_kind;
}
&&std::same_as<typename T::policy_kind, Kind>;

template <class T>
concept plain_clock = Clock<T> && !requires {
  typename T::policy_kind;
};

template <class T>
struct is_clock_policy : std::bool_constant<plain_clock<T>> {};
template <class T>
struct is_logger_policy : std::bool_constant<Logger<T>> {};
template <class T>
struct is_tracer_policy : std::bool_constant<Tracer<T>> {};
template <class T>
struct is_metrics_policy : std::bool_constant<Metrics<T>> {};
/// An Outcome classifier (outcome.hpp): what a breaker counts and a retry retries.
template <class T>
struct is_classifier_policy : std::bool_constant<policy_of_kind<T, outcome_classifier_policy>> {};

/// The first of `P...` that `Match` accepts, or `Default`.
template <template <class> class Match, class Default, class... P>
struct pick_policy {
  using type = Default;
};
template <template <class> class Match, class Default, class H, class... T>
struct pick_policy<Match, Default, H, T...> {
  using type = std::conditional_t<Match<H>::value, H, typename pick_policy<Match, Default, T...>::type>;
};

/// Refuses a part's bad options: throws std::invalid_argument(`message`) (the message names the part and the
/// setting); in a build without exceptions, prints it to stderr and aborts, since there is no way to report it.
[[noreturn]] inline void reject_options(const std::string& message) {
#if defined(__cpp_exceptions)
  throw std::invalid_argument(message);
#else
  std::fputs(message.c_str(), stderr);
  std::fputc('\n', stderr);
  std::abort();
#endif
}

/// The first of `given` whose type is `M` (a copy: stateful policies are handles that share their state), else a
/// default `M`: how a part's constructor takes its policy instances in any order.
template <class M>
M take_policy() {
  return M{};
}
template <class M, class First, class... Rest>
M take_policy(First& first, Rest&... rest) {
  if constexpr (std::is_same_v<std::remove_cvref_t<First>, M>) {
    return first;
  } else {
    return take_policy<M>(rest...);
  }
}

template <template <class> class Match, class... P>
inline constexpr std::size_t count_policies = (std::size_t{0} + ... + std::size_t{Match<P>::value});

}  // namespace arbiter::inline v1::detail
