#pragma once

/// \file
/// Maps a cheap hardware tick counter onto steady_clock's time line, for tsc_clock.
///
/// Reading steady_clock costs about 20 ns (clock_gettime through the vDSO: a sequence lock, a fenced rdtsc and a
/// conversion); an unfenced rdtsc costs about 9. The timeline keeps `ns = base_ns + (ticks - base_ticks) *
/// ns_per_tick` and the hot path is one counter read, four plain loads and a multiply.
///
/// - Calibration: the first reads come from steady_clock itself while the timeline measures ticks against it
///   over `calibration_window`; nothing blocks waiting for a calibration.
/// - Tracking: a mapping is used for at most `reanchor_interval`. The first read past it re-measures the rate
///   over the whole run (so read jitter averages out) and slews: the new mapping continues the old one at the
///   re-anchor point (readings stay continuous, across threads too) with its rate bent so that the offset from
///   steady_clock is gone by the next re-anchor. An offset above `max_slew`, an unbelievable rate, or a mapping
///   hours stale is not drift (a suspend, a counter reset or jump): the timeline calibrates afresh, reading
///   steady_clock for that millisecond. So a read is at most one interval's drift from steady_clock, except
///   within the interval in which a short suspend stopped steady_clock but not the counter: then the mapping
///   runs ahead by the suspended time until the re-anchor (tsc_clock's per-thread clamp holds time still meanwhile).
/// - Not async-signal-safe: a signal handler that reads it on a thread in the middle of a publish would spin.
/// - Publication: a sequence lock. The writer (one at a time, by a try-lock; others keep the old mapping) makes
///   the sequence odd, stores the fields, makes it even; readers retry when they saw an odd or changed sequence.
///   All fields are atomics, so there is no data race for any reader to trip on.
///
/// The tick source is a policy so the tests drive ticks and steady time by hand and check calibration, slewing
/// and recalibration exactly.

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include <arbiter/detail/chrono.hpp>
#include <arbiter/version.hpp>

namespace arbiter::inline v1::detail {

/// Reads the x86 time-stamp counter and steady_clock; usable only where the counter is invariant (constant rate
/// in every power state, synchronised across cores) and, on Linux, the kernel itself keeps time with it.
struct hardware_tick_source {
  [[nodiscard]] std::uint64_t ticks() const noexcept {
#if defined(__x86_64__) || defined(__i386__)
    return __builtin_ia32_rdtsc();  // unfenced: a few cycles of reordering do not matter at span resolution
#else
    return 0;
#endif
  }

  [[nodiscard]] std::int64_t steady_ns() const noexcept {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }

  /// True when the counter can stand in for steady_clock on this machine.
  [[nodiscard]] static bool usable() noexcept {
#if defined(__x86_64__) || defined(__i386__)
    unsigned eax = 0;
    unsigned ebx = 0;
    unsigned ecx = 0;
    unsigned edx = 0;
    if (__get_cpuid(0x80000000U, &eax, &ebx, &ecx, &edx) == 0 || eax < 0x80000007U) return false;
    if (__get_cpuid(0x80000007U, &eax, &ebx, &ecx, &edx) == 0 || (edx & (1U << 8)) == 0) return false;
#if defined(__linux__)
    // A kernel that distrusts the counter (unsynchronised sockets, a hypervisor that migrates) switches its
    // clocksource away from it; follow its judgement. No sysfs (a bare container) leaves the CPU's word.
    if (std::FILE* file = std::fopen("/sys/devices/system/clocksource/clocksource0/current_clocksource", "r")) {
      char name[32] = {};
      const bool read = std::fgets(name, sizeof name, file) != nullptr;
      std::fclose(file);
      if (read && std::strncmp(name, "tsc", 3) != 0) return false;
    }
#endif
    return true;
#else
    return false;
#endif
  }
};

/// The tick-to-steady mapping (see the file comment). `Source` has `std::uint64_t ticks()` and
/// `std::int64_t steady_ns()`.
template <class Source>
class tsc_timeline {
 public:
  static constexpr std::int64_t calibration_window = 1'000'000;  ///< ns of steady time before the first rate
  static constexpr std::int64_t reanchor_interval = 500'000'000;
  static constexpr std::int64_t max_slew = 1'000'000;  ///< larger offsets recalibrate instead of slewing

  /// Starts calibrating from now; `enabled == false` makes every read a steady_clock read.
  explicit tsc_timeline(Source source, bool enabled) noexcept : source_(source), enabled_(enabled) {
    if (enabled_.load(std::memory_order_relaxed)) first_ = sample();
  }

  tsc_timeline(const tsc_timeline&) = delete;
  tsc_timeline& operator=(const tsc_timeline&) = delete;

  /// Returns steady_clock's time now, in nanoseconds since its epoch.
  [[nodiscard]] std::int64_t now_ns() noexcept {
    if (!enabled_.load(std::memory_order_relaxed)) return source_.steady_ns();
    const std::uint64_t ticks = source_.ticks();
    const mapping m = read();
    if (m.ns_per_tick == 0.0) [[unlikely]]
      return warm_up();
    const auto delta = static_cast<std::int64_t>(ticks - m.base_ticks);  // negative when read before a re-anchor
    if (delta > m.reanchor_ticks || delta < -m.reanchor_ticks) [[unlikely]]
      return after_interval(ticks);
    return map(m, delta);
  }

  /// True once the tick rate is measured and in use (reads no longer go to steady_clock).
  [[nodiscard]] bool calibrated() const noexcept { return enabled() && read().ns_per_tick != 0.0; }
  /// False when the counter is unusable (or stopped), so every read is a steady_clock read.
  [[nodiscard]] bool enabled() const noexcept { return enabled_.load(std::memory_order_relaxed); }
  /// Returns the current rate (nanoseconds a tick, slew included), 0 before calibration.
  [[nodiscard]] double ns_per_tick() const noexcept { return read().ns_per_tick; }

 private:
  struct point {
    std::uint64_t ticks = 0;
    std::int64_t ns = 0;
  };
  struct mapping {
    std::uint64_t base_ticks = 0;
    std::int64_t base_ns = 0;
    double ns_per_tick = 0.0;
    std::int64_t reanchor_ticks = 0;
  };

  /// Reads ticks on both sides of a steady_clock read and keeps the tightest of three brackets, so a
  /// preemption in the middle of one does not skew the pair.
  [[nodiscard]] point sample() const noexcept {
    point best{source_.ticks(), source_.steady_ns()};  // kept only if no bracket below is sane
    std::uint64_t best_width = ~std::uint64_t{0};
    for (int i = 0; i < 3; ++i) {
      const std::uint64_t before = source_.ticks();
      const std::int64_t ns = source_.steady_ns();
      const std::uint64_t after = source_.ticks();
      if (after < before) continue;  // the counter went back (a reset): no bracket at all
      const std::uint64_t width = after - before;
      if (width < best_width) {
        best_width = width;
        best = {before + width / 2, ns};
      }
    }
    return best;
  }

  [[nodiscard]] mapping read() const noexcept {
    while (true) {
      const std::uint32_t before = sequence_.load(std::memory_order_acquire);
      mapping m;
      m.base_ticks = base_ticks_.load(std::memory_order_acquire);
      m.base_ns = base_ns_.load(std::memory_order_acquire);
      m.ns_per_tick = ns_per_tick_.load(std::memory_order_acquire);
      m.reanchor_ticks = reanchor_ticks_.load(std::memory_order_acquire);
      // The acquire loads above keep this one after them; a writer that got in between changed the sequence.
      if ((before & 1U) == 0 && sequence_.load(std::memory_order_relaxed) == before) return m;
    }
  }

  void publish(const mapping& m) noexcept {
    const std::uint32_t sequence = sequence_.load(std::memory_order_relaxed);
    sequence_.store(sequence + 1, std::memory_order_relaxed);
    // Release stores: a reader that sees a new field also sees the odd sequence stored before it.
    base_ticks_.store(m.base_ticks, std::memory_order_release);
    base_ns_.store(m.base_ns, std::memory_order_release);
    ns_per_tick_.store(m.ns_per_tick, std::memory_order_release);
    reanchor_ticks_.store(m.reanchor_ticks, std::memory_order_release);
    sequence_.store(sequence + 2, std::memory_order_release);
  }

  [[nodiscard]] bool try_lock() noexcept { return !updating_.exchange(true, std::memory_order_acquire); }
  void unlock() noexcept { updating_.store(false, std::memory_order_release); }

  static constexpr double min_rate = 0.01;   ///< ns a tick: a 100 GHz counter
  static constexpr double max_rate = 100.0;  ///< ns a tick: a 10 MHz counter

  [[nodiscard]] static std::int64_t map(const mapping& m, std::int64_t delta) noexcept {
    return m.base_ns + static_cast<std::int64_t>(static_cast<double>(delta) * m.ns_per_tick);
  }

  /// The mapping is due for a re-anchor (or long overdue): re-anchors, then answers from the new mapping, so
  /// readings stay continuous across threads; from steady_clock while the timeline recalibrates, or when another
  /// thread holds the re-anchor and the old mapping is too stale to extend.
  std::int64_t after_interval(std::uint64_t ticks) noexcept {
    reanchor();
    const mapping m = read();
    const auto delta = static_cast<std::int64_t>(ticks - m.base_ticks);
    if (m.ns_per_tick == 0.0 || delta > 2 * m.reanchor_ticks || delta < -2 * m.reanchor_ticks) {
      return source_.steady_ns();
    }
    return map(m, delta);
  }

  /// Returns the average rate from the first sample to `now`, or 0 when it is not a believable counter rate
  /// (the counter stood still, went back, or jumped).
  [[nodiscard]] double rate_since_start(const point& now) const noexcept {
    const auto ticks = static_cast<std::int64_t>(now.ticks - first_.ticks);
    const std::int64_t ns = now.ns - first_.ns;
    if (ticks <= 0 || ns <= 0) return 0.0;
    const double rate = static_cast<double>(ns) / static_cast<double>(ticks);
    return rate >= min_rate && rate <= max_rate ? rate : 0.0;
  }

  [[nodiscard]] static std::int64_t ticks_for(std::int64_t ns, double rate) noexcept {
    return static_cast<std::int64_t>(static_cast<double>(ns) / rate);
  }

  /// Before the first rate: answers from steady_clock, and measures the rate once the window has passed.
  std::int64_t warm_up() noexcept {
    const std::int64_t ns = source_.steady_ns();
    if (try_lock()) {
      if (read().ns_per_tick == 0.0 && ns - first_.ns >= calibration_window) {
        const point now = sample();
        const double rate = rate_since_start(now);
        if (rate != 0.0) {
          publish({now.ticks, now.ns, rate, ticks_for(reanchor_interval, rate)});
        } else if (now.ticks == first_.ticks) {
          enabled_.store(false, std::memory_order_relaxed);  // a counter that does not count: steady from now on
        } else {
          first_ = now;  // it went back or jumped while calibrating: measure again from here
        }
      }
      unlock();
    }
    return ns;
  }

  /// Re-measures the rate and bends the mapping back onto steady_clock (see the file comment).
  void reanchor() noexcept {
    if (!try_lock()) return;
    const mapping m = read();
    if (m.ns_per_tick == 0.0) {  // another thread started a recalibration meanwhile
      unlock();
      return;
    }
    const point now = sample();
    const double rate = rate_since_start(now);
    const auto delta = static_cast<std::int64_t>(now.ticks - m.base_ticks);
    const bool believable = rate != 0.0 && delta <= 8 * m.reanchor_ticks && delta >= -8 * m.reanchor_ticks;
    const std::int64_t mapped = believable ? map(m, delta) : 0;
    const std::int64_t offset = now.ns - mapped;  // > 0: the mapping runs behind steady_clock
    if (!believable || offset > max_slew || offset < -max_slew) {
      // Too far off to be drift (a suspend, a counter reset or jump, hours without a read): the rate measured so
      // far is not to be trusted either. Calibrate afresh; reads go to steady_clock meanwhile.
      first_ = now;
      publish({});
    } else {
      const std::int64_t interval = ticks_for(reanchor_interval, rate);
      const double slewed = rate + static_cast<double>(offset) / static_cast<double>(interval);
      publish({now.ticks, mapped, slewed, interval});
    }
    unlock();
  }

  [[no_unique_address]] Source source_;
  std::atomic<bool> enabled_;
  point first_;  ///< where the rate is measured from; only touched under the try-lock (or before sharing)

  std::atomic<std::uint32_t> sequence_{0};
  std::atomic<std::uint64_t> base_ticks_{0};
  std::atomic<std::int64_t> base_ns_{0};
  std::atomic<double> ns_per_tick_{0.0};
  std::atomic<std::int64_t> reanchor_ticks_{0};
  std::atomic<bool> updating_{false};
};

/// The process's timeline, built on first use.
[[nodiscard]] inline tsc_timeline<hardware_tick_source>& process_tsc_timeline() noexcept {
  static tsc_timeline<hardware_tick_source> timeline(hardware_tick_source{}, hardware_tick_source::usable());
  return timeline;
}

}  // namespace arbiter::inline v1::detail
