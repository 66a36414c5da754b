#pragma once

/// \file
/// A clock that tests move by hand: deterministic timeouts, windows and deadlines. Thread-safe.

#include <atomic>
#include <cstdint>
#include <memory>

#include <arbiter/clock/clock.hpp>
#include <arbiter/detail/chrono.hpp>

namespace arbiter::inline v1 {

/// A manually advanced clock. Copies share one time, so a test keeps a copy and advances what the part reads.
/// Time starts at one hour past the steady epoch, so "zero" never looks like a real reading.
class manual_clock {
 public:
  using duration = std::chrono::steady_clock::duration;
  using time_point = std::chrono::steady_clock::time_point;

  manual_clock() : state_(std::make_shared<state>()) {}

  [[nodiscard]] time_point now() const noexcept {
    return time_point(duration(state_->ticks.load(std::memory_order_acquire)));
  }

  /// Moves time forward by `by`; a negative step is ignored, since a monotonic clock never goes back.
  template <class Rep, class Period>
  void advance(std::chrono::duration<Rep, Period> by) const noexcept {
    const auto ticks = std::chrono::duration_cast<duration>(by).count();
    if (ticks > 0) state_->ticks.fetch_add(ticks, std::memory_order_acq_rel);
  }

  /// Sets the time; a time earlier than now is ignored (monotonic).
  void set(time_point when) const noexcept {
    auto current = state_->ticks.load(std::memory_order_acquire);
    const auto target = when.time_since_epoch().count();
    while (target > current && !state_->ticks.compare_exchange_weak(current, target, std::memory_order_acq_rel)) {
    }
  }

 private:
  struct state {
    std::atomic<duration::rep> ticks{std::chrono::duration_cast<duration>(std::chrono::hours(1)).count()};
  };
  std::shared_ptr<state> state_;
};

static_assert(Clock<manual_clock>);

}  // namespace arbiter::inline v1
