#pragma once

/// \file
/// The Timing policy: whether a breaker times its calls. `untimed` (the default) reads no clock on the closed
/// path; `timed` (steady_clock) and `timed_with<Clock>` read the clock before and after each call, so a call
/// longer than operation_timeout is a timeout failure and one longer than slow_call_threshold is slow. A callable
/// that takes a std::stop_token is asked to stop at its deadline by one shared watchdog thread (joined at exit):
/// the call runs on the caller's thread and nothing is ever detached or abandoned.

#include <algorithm>
#include <concepts>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <stop_token>
#include <thread>
#include <utility>
#include <vector>

#include <arbiter/clock/clock.hpp>
#include <arbiter/detail/chrono.hpp>
#include <arbiter/resilience/outcome.hpp>

namespace arbiter::inline v1 {

/// Times nothing: the fastest closed path. Timeouts and slow calls are not detected.
struct untimed {
  using policy_kind = timing_policy;
  static constexpr bool enabled = false;
};

/// Times every call with `C` (coarse_clock is cheaper than steady_clock but only tick-accurate; manual_clock for
/// tests).
template <class C>
struct timed_with {
  static_assert(assert_clock<C>());
  using policy_kind = timing_policy;
  using clock_type = C;
  static constexpr bool enabled = true;
  [[no_unique_address]] C clock{};
};

/// Times every call with steady_clock: `circuit_breaker<timed>`.
using timed = timed_with<steady_clock>;

namespace detail {

/// Checks the clock of a `timed_with<C>` without instantiating it, so that a breaker can report a bad clock
/// (`timed_with<int>`) first, a few lines into the compiler's output; true for every other policy.
template <class P>
inline constexpr bool timing_clock_ok = true;
template <class C>
inline constexpr bool timing_clock_ok<timed_with<C>> = assert_clock<C>();

}  // namespace detail

/// A Timing policy (see the file comment).
template <class T>
concept TimingPolicy = std::same_as<typename T::policy_kind, timing_policy> && requires {
  { T::enabled } -> std::convertible_to<bool>;
};

namespace detail {

/// One thread shared by every timed breaker: it requests stop on call tokens whose deadline passed.
/// Arming and disarming take a mutex (only for callables that accept a std::stop_token).
class deadline_watchdog {
 public:
  using time_point = std::chrono::steady_clock::time_point;
  using ticket = std::pair<time_point, std::uint64_t>;

  /// Returns the process's watchdog, starting its thread on first use.
  static deadline_watchdog& instance() {
    static deadline_watchdog watchdog;
    return watchdog;
  }

  deadline_watchdog(const deadline_watchdog&) = delete;
  deadline_watchdog& operator=(const deadline_watchdog&) = delete;

  ~deadline_watchdog() {
    thread_.request_stop();
    wake_.notify_all();
  }

  /// Requests stop on `source` at `deadline` unless disarmed first.
  [[nodiscard]] ticket arm(time_point deadline, std::stop_source source) {
    ticket t;
    {
      const std::lock_guard lock(mutex_);
      t = ticket{deadline, next_id_++};
      pending_.emplace(t, std::move(source));
      if (deadline >= wake_at_) return t;  // the thread wakes by then anyway: no notification on the common path
      wake_at_ = deadline;
      notified_ = true;
    }
    wake_.notify_one();
    return t;
  }

  /// Forgets a ticket (the call finished first). Harmless if it already fired.
  void disarm(const ticket& t) {
    const std::lock_guard lock(mutex_);
    pending_.erase(t);
  }

 private:
  deadline_watchdog() : thread_([this](const std::stop_token& stop) { run(stop); }) {}

  void run(const std::stop_token& stop) {
    std::unique_lock lock(mutex_);
    std::vector<std::stop_source> due;
    while (!stop.stop_requested()) {
      const auto now = std::chrono::steady_clock::now();
      while (!pending_.empty() && pending_.begin()->first.first <= now) {
        due.push_back(std::move(pending_.begin()->second));
        pending_.erase(pending_.begin());
      }
      if (!due.empty()) {
        // Stop callbacks are user code: run them without the lock.
        lock.unlock();
        for (auto& source : due) source.request_stop();
        due.clear();
        lock.lock();
        continue;
      }
      const time_point earliest = pending_.empty() ? time_point::max() : pending_.begin()->first.first;
      // A wake-up still ahead is kept even when its call was disarmed, so that calls armed later than it (most
      // calls: they share a timeout) need no notification; the thread then wakes once for nothing.
      wake_at_ = wake_at_ <= now ? earliest : std::min(wake_at_, earliest);
      notified_ = false;
      if (wake_at_ == time_point::max()) {
        wake_.wait(lock, stop, [&] { return notified_; });
      } else {
        const time_point until = wake_at_;  // a copy: the wait reads it without the lock, while arm() may write
        wake_.wait_until(lock, stop, until, [&] { return notified_; });
      }
    }
  }

  std::mutex mutex_;
  std::condition_variable_any wake_;
  std::map<ticket, std::stop_source> pending_;
  std::uint64_t next_id_ = 0;
  time_point wake_at_ = time_point::max();  // the thread wakes by then without a notification
  bool notified_ = false;                   // an arm moved wake_at_ earlier
  std::jthread thread_;                     // last: started after the members it uses, joined before they die
};

}  // namespace detail

static_assert(TimingPolicy<untimed> && TimingPolicy<timed>);

}  // namespace arbiter::inline v1
