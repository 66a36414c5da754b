#pragma once

/// \file
/// A fast monotonic clock for timestamps on hot paths: the CPU's invariant time-stamp counter mapped onto
/// steady_clock's time line, about 10 ns a read where steady_clock takes about 20. The production tracer reads
/// its span times from it (two reads a span).
///
/// Where the counter cannot stand in for steady_clock (not x86, no invariant TSC, or a Linux kernel that keeps
/// time with another clocksource), every read is a steady_clock read. The mapping is calibrated against
/// steady_clock during the first millisecond of use and re-anchored every half second, so readings stay within
/// a few microseconds of steady_clock (see detail/tsc_timeline.hpp); per thread they never go back.

#include <cstdint>

#include <arbiter/clock/clock.hpp>
#include <arbiter/detail/chrono.hpp>
#include <arbiter/detail/tsc_timeline.hpp>

namespace arbiter::inline v1 {

namespace detail {
/// This thread's last tsc_clock reading, so a re-anchor or a step can never make its time go back.
inline thread_local std::int64_t tsc_clock_last_ns = 0;
}  // namespace detail

/// Monotonic time from the time-stamp counter, on the same time line as steady_clock (see the file comment).
struct tsc_clock {
  using duration = std::chrono::steady_clock::duration;
  using time_point = std::chrono::steady_clock::time_point;

  [[nodiscard]] time_point now() const noexcept {
    std::int64_t ns = detail::process_tsc_timeline().now_ns();
    if (ns < detail::tsc_clock_last_ns) {
      ns = detail::tsc_clock_last_ns;
    } else {
      detail::tsc_clock_last_ns = ns;
    }
    return time_point(std::chrono::duration_cast<duration>(std::chrono::nanoseconds(ns)));
  }

  /// True when reads come from the counter; false when every read is a steady_clock read.
  [[nodiscard]] static bool uses_counter() noexcept { return detail::process_tsc_timeline().enabled(); }
};

static_assert(Clock<tsc_clock>);

}  // namespace arbiter::inline v1
