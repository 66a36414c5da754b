#pragma once

/// \file
/// A liveness check for a loop that must keep turning: the loop calls `beat()` each time round, and
/// `heartbeat_check<"orders:intake">` fails once no beat came for longer than its limit. A loop that stops on
/// purpose (shutdown) calls `stop()`, after which the check passes again, saying so: a process that is shutting
/// down should not be restarted for it.
///
///   arbiter::heartbeat<> intake_beat;                                     // shared by the loop and the check
///   arbiter::heartbeat_check<"orders:intake"> check(intake_beat, std::chrono::seconds(2));
///   while (running) { handle_one(); intake_beat.beat(); }
///   intake_beat.stop();
///
/// The check is a liveness check by default (it says whether the process itself is stuck, never whether a
/// dependency is): pass other options as the third template argument.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <utility>

#include <arbiter/clock/clock.hpp>
#include <arbiter/health/check.hpp>

namespace arbiter::inline v1 {

/// The last sign of life of a loop, written by the loop and read by any thread (two relaxed atomics).
template <Clock C = steady_clock>
class heartbeat {
 public:
  explicit heartbeat(C clock = C{}) noexcept : clock_(std::move(clock)) { beat(); }

  /// The loop made progress.
  void beat() noexcept {
    last_.store(clock_.now().time_since_epoch().count(), std::memory_order_relaxed);
    stopped_.store(false, std::memory_order_relaxed);
  }
  /// The loop stopped on purpose: quiet() is no longer a problem (a later beat() starts it again).
  void stop() noexcept { stopped_.store(true, std::memory_order_relaxed); }

  [[nodiscard]] bool stopped() const noexcept { return stopped_.load(std::memory_order_relaxed); }
  /// How long since the last beat (or since construction).
  [[nodiscard]] typename C::duration quiet() const noexcept {
    const auto last = typename C::time_point(typename C::duration(last_.load(std::memory_order_relaxed)));
    using duration = typename C::duration;
    const duration d = clock_.now() - last;
    return d < duration::zero() ? duration::zero() : d;
  }

 private:
  C clock_;
  std::atomic<typename C::duration::rep> last_{0};
  std::atomic<bool> stopped_{false};
};

/// Unhealthy when its heartbeat has been quiet for longer than `max_quiet` and is not stopped; observes the quiet
/// time in milliseconds. The heartbeat must outlive the check.
template <check_name Name, Clock C = steady_clock,
          check_options Options = check_options{.probes = probe_set(probe::liveness)}>
class heartbeat_check : public check_traits_from<Name, Options> {
 public:
  /// Built without a heartbeat, the check fails saying so (a part default-constructed by mistake).
  heartbeat_check() = default;
  heartbeat_check(const heartbeat<C>& beat, std::chrono::milliseconds max_quiet) noexcept
      : beat_(&beat), max_quiet_(max_quiet) {}

  [[nodiscard]] check_result operator()() const {
    if (beat_ == nullptr) return check_result::unhealthy("no heartbeat to watch (the check was built without one)");
    if (beat_->stopped()) return check_result::healthy("stopped on purpose");
    const auto quiet = std::chrono::duration_cast<std::chrono::milliseconds>(beat_->quiet());
    if (quiet > max_quiet_) {
      return check_result::unhealthy("no beat for " + std::to_string(quiet.count()) + " ms (the limit is " +
                                     std::to_string(max_quiet_.count()) + " ms)")
          .observe(static_cast<double>(quiet.count()), "ms");
    }
    return check_result::healthy().observe(static_cast<double>(quiet.count()), "ms");
  }

 private:
  const heartbeat<C>* beat_ = nullptr;
  std::chrono::milliseconds max_quiet_{2000};
};

}  // namespace arbiter::inline v1
