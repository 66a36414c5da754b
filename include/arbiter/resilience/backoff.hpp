#pragma once

/// \file
/// How long a retry waits before its next attempt: the Backoff policies of `arbiter::retry<...>`. Each is a pure
/// function of the retry number, the previous wait and one random draw, so a test checks it with chosen draws.
///
///   fixed_backoff                 initial, every time
///   exponential_backoff           initial * multiplier^(n-1)
///   full_jitter_backoff           uniform in [0, exponential]                        (the default)
///   equal_jitter_backoff          exponential / 2 + uniform in [0, exponential / 2]
///   decorrelated_jitter_backoff   uniform in [initial, 3 * previous wait]
///
/// Each wait is capped at `max_backoff`. The jitter variants are those of the AWS Architecture Blog's
/// "Exponential Backoff And Jitter": full jitter spreads the retries of many clients the most and finishes the
/// work soonest; decorrelated jitter grows from the previous wait instead of from the retry number.
///
/// A Backoff policy is a type with `using policy_kind = arbiter::backoff_policy;` and
///   std::chrono::nanoseconds delay(const arbiter::backoff_params&, const arbiter::backoff_step&) const noexcept;

#include <algorithm>
#include <chrono>
#include <concepts>
#include <cstdint>

#include <arbiter/version.hpp>

namespace arbiter::inline v1 {

/// Kind tag of the Backoff policies.
struct backoff_policy {};

/// The settings every backoff reads (from retry_options).
struct backoff_params {
  std::chrono::nanoseconds initial{0};
  std::chrono::nanoseconds max{0};  ///< the cap on one wait
  double multiplier = 2.0;
};

/// One wait to compute.
struct backoff_step {
  std::uint32_t retry = 1;               ///< 1 before the second attempt, 2 before the third, ...
  std::chrono::nanoseconds previous{0};  ///< the wait before the previous attempt (zero before the first retry)
  std::uint64_t random = 0;              ///< a uniform 64-bit draw
};

namespace detail {

/// initial * multiplier^(retry-1), capped at max, without overflow.
[[nodiscard]] constexpr std::chrono::nanoseconds exponential_delay(const backoff_params& p,
                                                                   std::uint32_t retry) noexcept {
  const double cap = static_cast<double>(p.max.count());
  double d = static_cast<double>(p.initial.count());
  for (std::uint32_t i = 1; i < retry && d < cap; ++i) d *= p.multiplier;
  return std::chrono::nanoseconds(static_cast<std::int64_t>(std::min(d, cap)));
}

/// A uniform draw in [0, bound] from a 64-bit random number (its top 53 bits, as a double in [0, 1)).
[[nodiscard]] constexpr std::int64_t uniform_upto(std::int64_t bound, std::uint64_t random) noexcept {
  if (bound <= 0) return 0;
  const double unit = static_cast<double>(random >> 11) * 0x1p-53;
  return std::min(bound, static_cast<std::int64_t>(unit * (static_cast<double>(bound) + 1.0)));
}

}  // namespace detail

/// The same wait every time: `initial`.
struct fixed_backoff {
  using policy_kind = backoff_policy;
  [[nodiscard]] constexpr std::chrono::nanoseconds delay(const backoff_params& p,
                                                         const backoff_step& /*step*/) const noexcept {
    return std::min(p.initial, p.max);
  }
};

/// `initial`, then `multiplier` times longer each retry, capped at `max`. No jitter: clients that failed
/// together retry together, so prefer a jitter variant when many clients share a downstream.
struct exponential_backoff {
  using policy_kind = backoff_policy;
  [[nodiscard]] constexpr std::chrono::nanoseconds delay(const backoff_params& p,
                                                         const backoff_step& step) const noexcept {
    return detail::exponential_delay(p, step.retry);
  }
};

/// Uniform in [0, the exponential wait]: AWS's "full jitter".
struct full_jitter_backoff {
  using policy_kind = backoff_policy;
  [[nodiscard]] constexpr std::chrono::nanoseconds delay(const backoff_params& p,
                                                         const backoff_step& step) const noexcept {
    return std::chrono::nanoseconds(
        detail::uniform_upto(detail::exponential_delay(p, step.retry).count(), step.random));
  }
};

/// Half the exponential wait plus a uniform draw over the other half: AWS's "equal jitter" (never a very short
/// wait).
struct equal_jitter_backoff {
  using policy_kind = backoff_policy;
  [[nodiscard]] constexpr std::chrono::nanoseconds delay(const backoff_params& p,
                                                         const backoff_step& step) const noexcept {
    const std::int64_t e = detail::exponential_delay(p, step.retry).count();
    return std::chrono::nanoseconds(e / 2 + detail::uniform_upto(e - e / 2, step.random));
  }
};

/// Uniform in [initial, 3 * the previous wait], capped at `max`: AWS's "decorrelated jitter".
struct decorrelated_jitter_backoff {
  using policy_kind = backoff_policy;
  [[nodiscard]] constexpr std::chrono::nanoseconds delay(const backoff_params& p,
                                                         const backoff_step& step) const noexcept {
    const std::int64_t low = std::min(p.initial, p.max).count();
    const std::int64_t previous = std::max(step.previous.count(), low);
    const std::int64_t high = std::min(p.max.count(), previous > p.max.count() / 3 ? p.max.count() : previous * 3);
    return std::chrono::nanoseconds(low + detail::uniform_upto(std::max<std::int64_t>(0, high - low), step.random));
  }
};

/// A Backoff policy (see the file comment).
template <class B>
concept Backoff = std::same_as<typename B::policy_kind, backoff_policy> &&
    requires(const B& b, const backoff_params& p, const backoff_step& s) {
  { b.delay(p, s) } -> std::same_as<std::chrono::nanoseconds>;
};

static_assert(Backoff<fixed_backoff> && Backoff<exponential_backoff> && Backoff<full_jitter_backoff> &&
              Backoff<equal_jitter_backoff> && Backoff<decorrelated_jitter_backoff>);

}  // namespace arbiter::inline v1
