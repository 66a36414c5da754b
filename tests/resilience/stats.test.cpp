// The Stats policies alone: counting_stats adds up, reads a consistent snapshot while writers run, and
// no_stats is free; plus the names states and reasons print with.
#include <arbiter/resilience/stats.hpp>

#include <arbiter/resilience/breaker_state.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <type_traits>
#include <vector>

namespace {

using arbiter::outcome;

TEST(counting_stats, CountsEveryKindOfOutcome) {
  arbiter::counting_stats::counters<arbiter::single_thread> c;
  c.record(outcome::success, true, false);
  c.record(outcome::failure, false, true);
  c.record(outcome::ignored, false, false);
  c.record(outcome::force_open, false, false);
  c.record(outcome::force_close, false, false);
  c.record_rejection();
  arbiter::breaker_stats s;
  c.read(s);
  EXPECT_TRUE(s.counted);
  EXPECT_EQ(s.successes, 2u);
  EXPECT_EQ(s.failures, 2u);
  EXPECT_EQ(s.ignored, 1u);
  EXPECT_EQ(s.calls, 5u);
  EXPECT_EQ(s.slow_calls, 1u);
  EXPECT_EQ(s.timeouts, 1u);
  EXPECT_EQ(s.rejections, 1u);

  arbiter::counting_stats::counters<arbiter::single_thread> restored;
  restored.restore(s);
  arbiter::breaker_stats again;
  restored.read(again);
  EXPECT_EQ(again.calls, 5u);
  EXPECT_EQ(again.rejections, 1u);
}

TEST(counting_stats, SnapshotsAddUpWhileWritersRunAndExactlyAfter) {
  arbiter::counting_stats::counters<arbiter::lock_free> c;
  std::atomic<bool> stop{false};
  std::vector<std::jthread> writers;
  for (int t = 0; t < 2; ++t) {
    writers.emplace_back([&] {
      while (!stop.load(std::memory_order_relaxed)) c.record(outcome::failure, true, true);  // three counters
    });
  }
  for (int i = 0; i < 2000; ++i) {
    arbiter::breaker_stats s;
    c.read(s);
    EXPECT_EQ(s.calls, s.successes + s.failures + s.ignored);
  }
  stop.store(true);
  writers.clear();
  arbiter::breaker_stats s;
  c.read(s);
  EXPECT_EQ(s.failures, s.slow_calls);
  EXPECT_EQ(s.failures, s.timeouts);
}

TEST(no_stats, IsFree) {
  static_assert(std::is_empty_v<arbiter::no_stats::counters<arbiter::lock_free>>);
  arbiter::breaker_stats s;
  arbiter::no_stats::counters<arbiter::lock_free>::read(s);
  EXPECT_FALSE(s.counted);
}

TEST(breaker_state, NamesPrintPlainly) {
  EXPECT_EQ(to_string(arbiter::breaker_state::half_open), "half_open");
  EXPECT_EQ(to_string(arbiter::breaker_state::forced_open), "forced_open");
  EXPECT_EQ(to_string(arbiter::transition_reason::trial_failed), "trial_failed");
  EXPECT_EQ(to_string(arbiter::rejection_reason::half_open_full), "half_open_full");
  const arbiter::circuit_open error("db", {arbiter::rejection_reason::open, arbiter::breaker_state::open, {}});
  EXPECT_STREQ(error.what(), "circuit breaker 'db' rejected the call: open");
}

}  // namespace
