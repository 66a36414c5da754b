// Timing a call: timeouts and slow calls with a manual clock, and stop requests at the deadline for callables
// that take a std::stop_token (real time, generous bounds: the call ends when asked, never abandoned).
#include <arbiter/resilience/timing.hpp>

#include <arbiter/clock/manual_clock.hpp>
#include <arbiter/resilience/circuit_breaker.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <stop_token>
#include <thread>
#include <type_traits>
#include <vector>

namespace {

using namespace std::chrono_literals;
using arbiter::breaker_options;
using arbiter::breaker_state;

// `timed` is a type, so circuit_breaker<arbiter::timed> reads as written; timed_with<Clock> picks another clock.
static_assert(std::is_same_v<arbiter::timed, arbiter::timed_with<arbiter::steady_clock>>);
static_assert(std::is_same_v<arbiter::circuit_breaker<arbiter::timed>::timing_type, arbiter::timed>);
static_assert(arbiter::TimingPolicy<arbiter::timed_with<arbiter::manual_clock>>);

using manual_timed = arbiter::circuit_breaker<arbiter::single_thread, arbiter::manual_clock,
                                              arbiter::timed_with<arbiter::manual_clock>, arbiter::counting_stats>;

struct manual_rig {
  arbiter::manual_clock clock;
  manual_timed breaker;
  explicit manual_rig(const breaker_options& options = {})
      : breaker("timed", options, clock, arbiter::timed_with<arbiter::manual_clock>{clock}) {}
};

TEST(timed, ACallLongerThanTheTimeoutIsATimeoutFailure) {
  manual_rig r;
  const auto late = [&] {
    r.clock.advance(5001ms);
    return 7;
  };
  EXPECT_EQ(r.breaker.execute(late), 7);  // the result still reaches the caller
  auto s = r.breaker.stats();
  EXPECT_EQ(s.timeouts, 1u);
  EXPECT_EQ(s.failures, 1u);
  EXPECT_EQ(s.successes, 0u);
  for (int i = 0; i < 4; ++i) (void)r.breaker.execute(late);
  EXPECT_EQ(r.breaker.state(), breaker_state::open);
}

TEST(timed, ACallOfExactlyTheTimeoutIsNoTimeout) {
  manual_rig r;
  (void)r.breaker.execute([&] {
    r.clock.advance(5000ms);
    return 1;
  });
  const auto s = r.breaker.stats();
  EXPECT_EQ(s.timeouts, 0u);
  EXPECT_EQ(s.successes, 1u);
  EXPECT_EQ(s.slow_calls, 1u);  // but it is slow (over the 1000 ms threshold)
}

TEST(timed, AThrowingLateCallIsRecordedOnceAndRethrown) {
  manual_rig r;
  EXPECT_THROW(r.breaker.execute([&] {
    r.clock.advance(6s);
    throw std::runtime_error("late and broken");
  }),
               std::runtime_error);
  const auto s = r.breaker.stats();
  EXPECT_EQ(s.calls, 1u);
  EXPECT_EQ(s.failures, 1u);
  EXPECT_EQ(s.timeouts, 1u);
}

TEST(timed, AForcingResultKeepsItsMeaningEvenWhenLate) {
  manual_rig r;
  (void)r.breaker.execute([&] {
    r.clock.advance(6s);
    return arbiter::outcome::force_open;
  });
  EXPECT_EQ(r.breaker.state(), breaker_state::open);
}

using real_timed = arbiter::circuit_breaker<arbiter::lock_free, arbiter::timed, arbiter::counting_stats>;

/// Waits until stop is requested or `limit` passes; returns whether stop was requested.
bool wait_for_stop(const std::stop_token& token, std::chrono::milliseconds limit) {
  std::mutex mutex;
  std::condition_variable_any cv;
  std::unique_lock lock(mutex);
  return cv.wait_for(lock, token, limit, [] { return false; }), token.stop_requested();
}

TEST(timed, AStopTokenCallIsAskedToStopAtTheDeadline) {
  real_timed breaker("stop", breaker_options{.operation_timeout = 30ms});
  const auto start = std::chrono::steady_clock::now();
  const bool stopped = breaker.execute([](std::stop_token token) { return wait_for_stop(token, 20s); });
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(stopped);
  EXPECT_GE(took, 30ms);
  EXPECT_LT(took, 10s);  // asked to stop long before its own 20 s limit
  const auto s = breaker.stats();
  EXPECT_EQ(s.timeouts, 1u);
  EXPECT_EQ(s.failures, 1u);
}

TEST(timed, AQuickStopTokenCallIsNeverStopped) {
  real_timed breaker("quick", breaker_options{.operation_timeout = 2000ms});
  for (int i = 0; i < 20; ++i) {
    const bool stopped = breaker.execute([](std::stop_token token) {
      EXPECT_TRUE(token.stop_possible());
      return token.stop_requested();
    });
    EXPECT_FALSE(stopped);
  }
  EXPECT_EQ(breaker.stats().timeouts, 0u);
  EXPECT_EQ(breaker.stats().successes, 20u);
}

TEST(timed, ManyThreadsShareTheWatchdog) {
  real_timed breaker("many", breaker_options{.failure_threshold = 1000, .operation_timeout = 20ms});
  std::atomic<int> stopped{0};
  std::atomic<int> late{0};  // quick calls that a loaded machine stalled past the timeout anyway
  std::vector<std::jthread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5; ++i) {
        const bool waits = (i + t) % 2 == 0;  // half the calls overrun, half return at once
        const auto begin = std::chrono::steady_clock::now();
        const bool was_stopped = breaker.execute(
            [&](std::stop_token token) { return waits ? wait_for_stop(token, 20s) : token.stop_requested(); });
        if (waits) {
          EXPECT_TRUE(was_stopped) << "a call that overran was not asked to stop";
        } else if (std::chrono::steady_clock::now() - begin >= 20ms) {
          late.fetch_add(1);
        }
        if (was_stopped) stopped.fetch_add(1);
      }
    });
  }
  threads.clear();
  // The 10 overrunning calls are stopped and are timeouts; a quick call is a timeout only if it took 20 ms, which
  // only a stall of this machine makes it do.
  EXPECT_GE(stopped.load(), 10);
  EXPECT_GE(breaker.stats().timeouts, static_cast<std::uint64_t>(stopped.load()));
  EXPECT_LE(breaker.stats().timeouts, static_cast<std::uint64_t>(10 + late.load()));
  EXPECT_EQ(breaker.stats().calls, 20u);
}

TEST(untimed, AStopTokenCallGetsATokenThatNeverStops) {
  arbiter::circuit_breaker<arbiter::single_thread> breaker;
  const bool possible = breaker.execute([](std::stop_token token) { return token.stop_possible(); });
  EXPECT_FALSE(possible);
}

}  // namespace
