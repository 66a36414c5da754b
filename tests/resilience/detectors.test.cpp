// The rate detectors, driven by a manual clock: minimum calls, window roll-over, slow calls, trials.
#include <arbiter/resilience/detectors.hpp>

#include <arbiter/clock/manual_clock.hpp>
#include <arbiter/resilience/circuit_breaker.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using arbiter::breaker_options;
using arbiter::breaker_state;
using arbiter::outcome;
using arbiter::transition_reason;

template <class Breaker>
void feed(Breaker& breaker, std::initializer_list<char> outcomes) {
  for (const char c : outcomes) {
    auto p = breaker.try_acquire();
    ASSERT_TRUE(p.admitted()) << "rejected while feeding '" << c << "'";
    breaker.record(p, c == 'F' ? outcome::failure : outcome::success);
  }
}

template <class Sync>
class rate_window_test : public ::testing::Test {};
using syncs = ::testing::Types<arbiter::lock_free, arbiter::single_thread>;
TYPED_TEST_SUITE(rate_window_test, syncs);

TYPED_TEST(rate_window_test, CountWindowWaitsForTheMinimumCalls) {
  arbiter::circuit_breaker<arbiter::count_window, TypeParam, arbiter::manual_clock> breaker(
      "w", breaker_options{.window_size = 10, .minimum_calls = 5, .failure_rate_threshold = 50.0});
  feed(breaker, {'F', 'F', 'F', 'F'});  // 100 % failures, but only 4 calls
  EXPECT_EQ(breaker.state(), breaker_state::closed);
  EXPECT_DOUBLE_EQ(breaker.stats().failure_rate, 100.0);
  feed(breaker, {'F'});
  EXPECT_EQ(breaker.state(), breaker_state::open);
}

TYPED_TEST(rate_window_test, CountWindowStaysClosedBelowTheRate) {
  arbiter::circuit_breaker<arbiter::count_window, TypeParam, arbiter::manual_clock> breaker(
      "w", breaker_options{.window_size = 10, .minimum_calls = 10, .failure_rate_threshold = 50.0});
  feed(breaker, {'S', 'F', 'S', 'F', 'S', 'F', 'S', 'F', 'S', 'S'});  // 40 %
  EXPECT_EQ(breaker.state(), breaker_state::closed);
  EXPECT_DOUBLE_EQ(breaker.stats().failure_rate, 40.0);
}

TYPED_TEST(rate_window_test, CountWindowRollsOverTheOldestCall) {
  std::vector<arbiter::state_change> changes;
  arbiter::circuit_breaker<arbiter::count_window, TypeParam, arbiter::manual_clock> breaker(
      "w", breaker_options{.window_size = 4, .minimum_calls = 4, .failure_rate_threshold = 50.0});
  breaker.on_state_change([&](const arbiter::state_change& c) { changes.push_back(c); });
  feed(breaker, {'F', 'S', 'S', 'S'});  // 25 %
  feed(breaker, {'S'});                 // the failure rolls out: [S S S S]
  EXPECT_DOUBLE_EQ(breaker.stats().failure_rate, 0.0);
  feed(breaker, {'F'});  // [S S S F] 25 %
  EXPECT_EQ(breaker.state(), breaker_state::closed);
  feed(breaker, {'F'});  // [S S F F] 50 %
  EXPECT_EQ(breaker.state(), breaker_state::open);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].reason, transition_reason::failure_rate);
}

TYPED_TEST(rate_window_test, CountWindowStartsEmptyAfterClosing) {
  arbiter::manual_clock clock;
  arbiter::circuit_breaker<arbiter::count_window, TypeParam, arbiter::manual_clock> breaker(
      "w", breaker_options{.window_size = 4, .minimum_calls = 2, .failure_rate_threshold = 50.0}, clock);
  feed(breaker, {'F', 'F'});
  ASSERT_EQ(breaker.state(), breaker_state::open);
  clock.advance(5s);
  feed(breaker, {'S', 'S'});  // trials close it
  ASSERT_EQ(breaker.state(), breaker_state::closed);
  EXPECT_DOUBLE_EQ(breaker.stats().failure_rate, 0.0);
  feed(breaker, {'F'});  // one call in the window: below the minimum
  EXPECT_EQ(breaker.state(), breaker_state::closed);
}

TYPED_TEST(rate_window_test, TimeWindowForgetsCallsOlderThanItsLength) {
  arbiter::manual_clock clock;
  arbiter::circuit_breaker<arbiter::time_window, TypeParam, arbiter::manual_clock> breaker(
      "t",
      breaker_options{.minimum_calls = 4, .failure_rate_threshold = 50.0, .window_length = 10s, .window_buckets = 10},
      clock);
  feed(breaker, {'F', 'F', 'F'});  // below the minimum
  EXPECT_EQ(breaker.state(), breaker_state::closed);
  clock.advance(11s);  // those three roll out of the window
  feed(breaker, {'F'});
  EXPECT_EQ(breaker.state(), breaker_state::closed);
  EXPECT_DOUBLE_EQ(breaker.stats().failure_rate, 100.0);
  feed(breaker, {'S', 'S', 'S'});  // 1 of 4
  EXPECT_DOUBLE_EQ(breaker.stats().failure_rate, 25.0);
  feed(breaker, {'F'});  // 2 of 5: 40 %
  EXPECT_EQ(breaker.state(), breaker_state::closed);
  feed(breaker, {'F'});  // 3 of 6: 50 %
  EXPECT_EQ(breaker.state(), breaker_state::open);
}

TYPED_TEST(rate_window_test, TimeWindowSlidesBucketByBucket) {
  arbiter::manual_clock clock;
  arbiter::circuit_breaker<arbiter::time_window, TypeParam, arbiter::manual_clock> breaker(
      "t",
      breaker_options{.minimum_calls = 4, .failure_rate_threshold = 60.0, .window_length = 10s, .window_buckets = 10},
      clock);
  feed(breaker, {'S', 'S', 'S', 'S'});  // bucket 0
  clock.advance(5s);
  feed(breaker, {'F', 'F', 'F'});  // 3 of 7: 43 %
  EXPECT_EQ(breaker.state(), breaker_state::closed);
  clock.advance(5s);  // bucket 0 has rolled out: 3 failures of 3
  EXPECT_DOUBLE_EQ(breaker.stats().failure_rate, 100.0);
  feed(breaker, {'S'});  // 3 of 4: 75 %: judged after the success too
  EXPECT_EQ(breaker.state(), breaker_state::open);
}

// Rates are judged after every recorded outcome, as resilience4j does: a success that brings the window to its
// minimum opens a breaker whose rate is above the threshold (F F F F S at 80 % with minimum 5).
TYPED_TEST(rate_window_test, CountWindowJudgesTheRateAfterASuccess) {
  std::vector<arbiter::state_change> changes;
  arbiter::circuit_breaker<arbiter::count_window, TypeParam, arbiter::manual_clock> breaker(
      "w", breaker_options{.window_size = 10, .minimum_calls = 5, .failure_rate_threshold = 80.0});
  breaker.on_state_change([&](const arbiter::state_change& c) { changes.push_back(c); });
  feed(breaker, {'F', 'F', 'F', 'F'});
  EXPECT_EQ(breaker.state(), breaker_state::closed);
  feed(breaker, {'S'});  // 4 of 5: 80 %
  EXPECT_EQ(breaker.state(), breaker_state::open);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].reason, transition_reason::failure_rate);
}

TYPED_TEST(rate_window_test, TimeWindowJudgesTheRateAfterASuccess) {
  arbiter::manual_clock clock;
  arbiter::circuit_breaker<arbiter::time_window, TypeParam, arbiter::manual_clock> breaker(
      "t", breaker_options{.minimum_calls = 5, .failure_rate_threshold = 80.0, .window_length = 10s}, clock);
  feed(breaker, {'F', 'F', 'F', 'F'});
  EXPECT_EQ(breaker.state(), breaker_state::closed);
  feed(breaker, {'S'});
  EXPECT_EQ(breaker.state(), breaker_state::open);
}

TEST(slow_call_rate, SlowCallsOpenFailuresAloneDoNot) {
  arbiter::manual_clock clock;
  using breaker_type = arbiter::circuit_breaker<arbiter::slow_call_rate, arbiter::single_thread, arbiter::manual_clock,
                                                arbiter::timed_with<arbiter::manual_clock>, arbiter::counting_stats>;
  breaker_type breaker(
      "slow",
      breaker_options{
          .slow_call_threshold = 1000ms, .window_size = 10, .minimum_calls = 4, .slow_call_rate_threshold = 50.0},
      clock, arbiter::timed_with<arbiter::manual_clock>{clock});
  const auto fast_failure = [] { return std::make_error_code(std::errc::io_error); };
  const auto slow_success = [&] {
    clock.advance(1500ms);
    return 1;
  };
  for (int i = 0; i < 6; ++i) (void)breaker.execute(fast_failure);
  EXPECT_EQ(breaker.state(), breaker_state::closed);  // 100 % failures, 0 % slow
  (void)breaker.execute(slow_success);
  (void)breaker.execute(slow_success);
  (void)breaker.execute(slow_success);
  EXPECT_EQ(breaker.state(), breaker_state::closed);  // 3 of 9 slow
  EXPECT_EQ(breaker.stats().slow_calls, 3u);
  (void)breaker.execute(slow_success);
  (void)breaker.execute(slow_success);  // 5 of 10 slow
  EXPECT_EQ(breaker.state(), breaker_state::open);

  // In half-open a slow trial counts as a failed one.
  clock.advance(5s);
  (void)breaker.execute(slow_success);
  EXPECT_EQ(breaker.state(), breaker_state::open);
  clock.advance(5s);
  (void)breaker.execute([] { return 1; });
  (void)breaker.execute([] { return 1; });
  EXPECT_EQ(breaker.state(), breaker_state::closed);
}

TEST(count_window, JudgesSlowCallsWhenTimed) {
  arbiter::manual_clock clock;
  arbiter::circuit_breaker<arbiter::count_window, arbiter::single_thread, arbiter::timed_with<arbiter::manual_clock>>
      breaker(
          "w",
          breaker_options{
              .slow_call_threshold = 100ms, .window_size = 4, .minimum_calls = 2, .slow_call_rate_threshold = 100.0},
          arbiter::timed_with<arbiter::manual_clock>{clock});
  const auto slow = [&] { clock.advance(200ms); };
  breaker.execute(slow);
  EXPECT_EQ(breaker.state(), breaker_state::closed);  // below the minimum
  breaker.execute(slow);
  EXPECT_EQ(breaker.state(), breaker_state::open);
}

// A clear() racing record()s must not lose a recorded outcome's count: once every thread is done, the window's
// counts are those of the calls in it. Checked by filling the window with successes (the rate must be 0, not
// above) and then with failures (100 %, not below: a count left too low never opens a 100 % threshold).
TEST(count_window, AClearRacingRecordsLosesNoCount) {
  constexpr std::uint32_t size = 64;
  const breaker_options options{.window_size = size, .minimum_calls = size, .failure_rate_threshold = 100.0};
  arbiter::count_window::state<arbiter::lock_free> window(options);
  const auto now = std::chrono::steady_clock::time_point{};
  for (int round = 0; round < 20; ++round) {
    std::atomic<bool> stop{false};
    std::vector<std::thread> recorders;
    for (int t = 0; t < 3; ++t) {
      recorders.emplace_back([&, t] {
        for (std::uint64_t i = 0; !stop.load(std::memory_order_relaxed); ++i) {
          (void)window.record((i + static_cast<std::uint64_t>(t)) % 2 == 0, i % 3 == 0, now);
        }
      });
    }
    for (int i = 0; i < 2000; ++i) window.clear();
    stop.store(true);
    for (auto& r : recorders) r.join();

    for (std::uint32_t i = 0; i < size; ++i) (void)window.record(false, false, now);
    ASSERT_DOUBLE_EQ(window.failure_rate(now), 0.0) << "a failure count left too high, round " << round;
    std::optional<transition_reason> tripped;
    for (std::uint32_t i = 0; i < size; ++i) tripped = window.record(true, false, now);
    ASSERT_DOUBLE_EQ(window.failure_rate(now), 100.0) << "a failure count left too low, round " << round;
    ASSERT_EQ(tripped, transition_reason::failure_rate) << "round " << round;
  }
}

// The same through a breaker: reset() while closed clears the window under concurrent calls; afterwards a full
// window of failures in a row opens it.
TEST(count_window, AResetWhileCallsRunKeepsTheWindowExact) {
  constexpr std::uint32_t size = 100;
  for (int round = 0; round < 10; ++round) {
    arbiter::circuit_breaker<arbiter::count_window, arbiter::lock_free> breaker(
        "w", breaker_options{.window_size = size, .minimum_calls = size, .failure_rate_threshold = 100.0});
    std::atomic<bool> stop{false};
    std::vector<std::thread> callers;
    for (int t = 0; t < 3; ++t) {
      callers.emplace_back([&, t] {
        for (std::uint64_t i = 0; !stop.load(std::memory_order_relaxed); ++i) {
          auto p = breaker.try_acquire();
          breaker.record(p, (i + static_cast<std::uint64_t>(t)) % 2 == 0 ? outcome::failure : outcome::success);
        }
      });
    }
    for (int i = 0; i < 1000; ++i) breaker.reset();
    stop.store(true);
    for (auto& c : callers) c.join();
    ASSERT_EQ(breaker.state(), breaker_state::closed);
    for (std::uint32_t i = 0; i < size && breaker.state() == breaker_state::closed; ++i) {
      auto p = breaker.try_acquire();
      breaker.record(p, outcome::failure);
    }
    ASSERT_EQ(breaker.state(), breaker_state::open) << size << " failures in a row, round " << round;
  }
}

// The count window against a model of its meaning, the last `window_size` outcomes: after every record its rate
// is the model's. Long runs of successes make the window all successes again and again, so the path that moves
// neither cursor nor slot (a success into an all-success window) is checked against the model too, and so is
// the path that skips writing a slot that already holds the outcome.
TEST(count_window, MatchesTheLastNCallsExactly) {
  for (const std::uint32_t size : {1U, 2U, 7U, 64U}) {
    const breaker_options options{.window_size = size, .minimum_calls = 1, .failure_rate_threshold = 100.0};
    arbiter::count_window::state<arbiter::single_thread> window(options);
    std::vector<bool> model;  // the outcomes recorded, failures as true
    std::uint64_t seed = 12345;
    const auto draw = [&seed] {
      seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
      return seed >> 33;
    };
    const auto now = std::chrono::steady_clock::time_point{};
    for (int i = 0; i < 20000; ++i) {
      // Phases: mostly failures, a few, none (long success runs).
      const std::uint64_t phase = (static_cast<std::uint64_t>(i) / 500) % 3;
      const bool failure = draw() % 100 < (phase == 0 ? 60U : phase == 1 ? 3U : 0U);
      (void)window.record(failure, false, now);
      model.push_back(failure);
      const std::size_t from = model.size() > size ? model.size() - size : 0;
      std::size_t failures = 0;
      for (std::size_t k = from; k < model.size(); ++k) failures += model[k] ? 1U : 0U;
      const double expected = static_cast<double>(failures) * 100.0 / static_cast<double>(model.size() - from);
      ASSERT_DOUBLE_EQ(window.failure_rate(now), expected) << "window " << size << ", call " << i;
    }
  }
}

}  // namespace
