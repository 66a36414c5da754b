#pragma once

/// \file
/// The Sleeper policy: how a resilience part waits (a retry's backoff, a rate limiter's acquire). real_sleeper
/// waits in real time; advancing_sleeper moves a hand-driven clock (manual_clock) forward instead, so a test that
/// waits never sleeps. A part's default is advancing_sleeper for a clock that can be advanced by hand, else
/// real_sleeper.

#include <chrono>
#include <concepts>
#include <condition_variable>
#include <mutex>
#include <stop_token>
#include <type_traits>

#include <arbiter/resilience/detail/policies.hpp>

namespace arbiter::inline v1 {

/// Kind tag of the Sleeper policies.
struct sleeper_policy {};

/// Waits in real time; a stop request ends the wait early. False when stopped.
struct real_sleeper {
  using policy_kind = sleeper_policy;
  bool sleep_for(std::chrono::nanoseconds wait, const std::stop_token& stop) const {
    if (stop.stop_requested()) return false;
    if (wait <= std::chrono::nanoseconds::zero()) return true;
    std::mutex mutex;
    std::condition_variable_any wake;
    std::unique_lock lock(mutex);
    return !wake.wait_for(lock, stop, wait, [] { return false; }) && !stop.stop_requested();
  }
};

/// Moves a hand-driven clock (manual_clock) forward by the wait instead of sleeping. False when stopped.
template <class C>
struct advancing_sleeper {
  using policy_kind = sleeper_policy;
  C clock;
  bool sleep_for(std::chrono::nanoseconds wait, const std::stop_token& stop) const {
    if (stop.stop_requested()) return false;
    clock.advance(wait);
    return true;
  }
};

/// A Sleeper policy: `bool sleep_for(std::chrono::nanoseconds, const std::stop_token&) const`, false when stopped.
template <class S>
concept Sleeper = std::same_as<typename S::policy_kind, sleeper_policy> &&
    requires(const S& s, std::chrono::nanoseconds d, const std::stop_token& t) {
  { s.sleep_for(d, t) } -> std::convertible_to<bool>;
};

namespace detail {

template <class T>
struct is_sleeper_policy : std::bool_constant<policy_of_kind<T, sleeper_policy>> {};

/// The default Sleeper for a clock: one a test moves by hand is advanced; any other is slept on.
template <class C>
using default_sleeper_for = std::conditional_t < requires(const C& c) {
  c.advance(std::chrono::nanoseconds(1));
}
, advancing_sleeper<C>, real_sleeper > ;

/// The Sleeper of a part: the instance among `policies` if one was given, else one made from the part's clock
/// (advancing_sleeper), else a default one.
template <class S, class C, class... A>
[[nodiscard]] S take_sleeper(const C& clock, A&... policies) {
  if constexpr ((std::is_same_v<std::remove_cvref_t<A>, S> || ...)) {
    return take_policy<S>(policies...);
  } else if constexpr (std::is_constructible_v<S, const C&>) {
    return S(clock);
  } else if constexpr (requires { S{clock}; }) {
    return S{clock};
  } else {
    (void)clock;
    return S{};
  }
}

}  // namespace detail

}  // namespace arbiter::inline v1
