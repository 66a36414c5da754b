#pragma once

/// \file
/// A cheap monotonic clock: CLOCK_MONOTONIC_COARSE where the system has it (a few ns a read, resolution of
/// one kernel tick, often 1 to 4 ms). Good for "may the open breaker probe again?", not for timing a call.

#include <ctime>

#include <arbiter/clock/clock.hpp>
#include <arbiter/detail/chrono.hpp>

namespace arbiter::inline v1 {

/// Monotonic time at kernel-tick resolution, on the same time line as steady_clock.
struct coarse_clock {
  using duration = std::chrono::steady_clock::duration;
  using time_point = std::chrono::steady_clock::time_point;

  [[nodiscard]] time_point now() const noexcept {
#if defined(CLOCK_MONOTONIC_COARSE)
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return time_point(
        std::chrono::duration_cast<duration>(std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec)));
#else
    return std::chrono::steady_clock::now();
#endif
  }

  /// Returns the clock's resolution (how far apart two distinct readings can be at least).
  [[nodiscard]] static duration resolution() noexcept {
#if defined(CLOCK_MONOTONIC_COARSE)
    timespec ts{};
    ::clock_getres(CLOCK_MONOTONIC_COARSE, &ts);
    return std::chrono::duration_cast<duration>(std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec));
#else
    return duration(1);
#endif
  }
};

static_assert(Clock<coarse_clock>);

}  // namespace arbiter::inline v1
