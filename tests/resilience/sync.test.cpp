// lock_free under load: 8 threads share one breaker with random outcomes while invariants are checked as they
// run (never more trials in flight than allowed per half-open round) and after (counts add up, every
// transition was reported exactly once and in an unbroken chain). Bounded to about half a second.
#include <arbiter/resilience/sync.hpp>

#include <arbiter/clock/manual_clock.hpp>
#include <arbiter/resilience/circuit_breaker.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using arbiter::breaker_state;
using arbiter::outcome;

constexpr int thread_count = 8;

struct hammer_mode {
  bool resets = true;           ///< threads force the breaker open and reset it (which forgets the statistics)
  bool trials_reported = true;  ///< trials report at once, so no permit is reclaimed and the trial limit holds
};

template <class Detector>
void hammer(const arbiter::breaker_options& options, std::chrono::milliseconds run_for, hammer_mode mode = {}) {
  const bool resets = mode.resets;
  using breaker_type =
      arbiter::circuit_breaker<arbiter::lock_free, Detector, arbiter::manual_clock, arbiter::counting_stats>;
  arbiter::manual_clock clock;
  breaker_type breaker("stress", options, clock);

  std::mutex changes_mutex;
  std::vector<arbiter::state_change> changes;
  breaker.on_state_change([&](const arbiter::state_change& c) {
    const std::lock_guard lock(changes_mutex);
    changes.push_back(c);
  });

  std::mutex trials_mutex;
  std::map<std::uint64_t, std::uint32_t> trials_in_flight;  // per half-open round
  std::atomic<std::uint64_t> admitted{0}, rejected{0}, violations{0}, max_trials_seen{0}, trials{0};
  std::atomic<bool> stop{false};

  const auto worker = [&](unsigned seed) {
    std::minstd_rand rng(seed);
    std::uint64_t my_admitted = 0, my_rejected = 0;
    while (!stop.load(std::memory_order_relaxed)) {
      const auto roll = rng() % 100;
      if (roll < 3) clock.advance(std::chrono::microseconds(rng() % 400));
      if (roll == 99 && seed == 1 && resets) breaker.force_open();  // reset() ends it
      if (roll == 98 && seed == 2 && resets) breaker.reset();
      auto p = breaker.try_acquire();
      if (!p) {
        ++my_rejected;
        continue;
      }
      ++my_admitted;
      const bool trial = p.is_trial();
      if (trial) {
        trials.fetch_add(1, std::memory_order_relaxed);
        const std::lock_guard lock(trials_mutex);
        const auto now = ++trials_in_flight[p.round()];
        if (now > options.half_open_max_trials && mode.trials_reported) violations.fetch_add(1);
        if (now > max_trials_seen.load()) max_trials_seen.store(now);
      }
      // Some trials go silent for a while: other threads advance the clock past half_open_max_wait meanwhile.
      if (trial && !mode.trials_reported && rng() % 4 == 0) std::this_thread::yield();
      const auto r = rng() % 100;
      const outcome o = r < 45 ? outcome::failure : (r < 50 ? outcome::ignored : outcome::success);
      if (trial) {  // released before record(): the breaker frees the permit only after this
        const std::lock_guard lock(trials_mutex);
        --trials_in_flight[p.round()];
      }
      breaker.record(p, o, r % 7 == 0);
      // A state read is always one of the five public states.
      if (static_cast<int>(breaker.state()) > static_cast<int>(breaker_state::disabled)) violations.fetch_add(1);
    }
    admitted.fetch_add(my_admitted);
    rejected.fetch_add(my_rejected);
  };

  std::vector<std::thread> threads;
  for (unsigned t = 0; t < thread_count; ++t) threads.emplace_back(worker, t + 1);
  std::this_thread::sleep_for(run_for);
  stop.store(true);
  for (auto& t : threads) t.join();

  EXPECT_EQ(violations.load(), 0u);
  if (mode.trials_reported) {
    EXPECT_LE(max_trials_seen.load(), options.half_open_max_trials);
  }
  EXPECT_GT(trials.load(), 0u) << "the run should reach half-open";

  const auto s = breaker.stats();
  if (!resets) {  // reset() forgets the statistics
    EXPECT_EQ(s.calls, admitted.load()) << "every admitted call was counted once";
    EXPECT_EQ(s.rejections, rejected.load()) << "every rejection was counted once";
  }
  EXPECT_EQ(s.calls, s.successes + s.failures + s.ignored);
  EXPECT_GT(s.transitions, 2u) << "the run should move the breaker around";

  const std::lock_guard lock(changes_mutex);
  ASSERT_EQ(changes.size(), s.transitions) << "no transition lost or reported twice";
  std::sort(changes.begin(), changes.end(), [](const auto& a, const auto& b) { return a.sequence < b.sequence; });
  for (std::size_t i = 0; i < changes.size(); ++i) {
    ASSERT_EQ(changes[i].sequence, i + 1) << "sequence numbers are dense";
    const breaker_state before = i == 0 ? breaker_state::closed : changes[i - 1].to;
    ASSERT_EQ(changes[i].from, before) << "transition " << i + 1 << " starts where the previous ended";
  }
  EXPECT_EQ(changes.back().to, breaker.state());
}

// Trial permits are never silent here (each is reported at once), so half_open_max_wait is long: a reclaimed
// permit's caller would still be running, beyond the breaker's count.
TEST(lock_free, EightThreadsOnConsecutiveFailures) {
  hammer<arbiter::consecutive_failures>(
      {.failure_threshold = 3, .open_duration = 1ms, .half_open_max_trials = 3, .half_open_max_wait = 3600s}, 300ms);
}

TEST(lock_free, EightThreadsCountEveryCallWithoutResets) {
  hammer<arbiter::consecutive_failures>(
      {.failure_threshold = 3, .open_duration = 1ms, .half_open_max_trials = 3, .half_open_max_wait = 3600s}, 150ms,
      {.resets = false});
}

// Silent trials reclaimed one by one while others report: every transition is still reported once, in a chain.
TEST(lock_free, EightThreadsReclaimSilentTrials) {
  hammer<arbiter::consecutive_failures>({.failure_threshold = 3,
                                         .success_threshold = 3,
                                         .open_duration = 1ms,
                                         .half_open_max_trials = 3,
                                         .half_open_max_wait = 1ms},
                                        200ms, {.resets = true, .trials_reported = false});
}

TEST(lock_free, EightThreadsOnACountWindow) {
  hammer<arbiter::count_window>({.open_duration = 1ms,
                                 .half_open_max_trials = 2,
                                 .half_open_max_wait = 3600s,
                                 .window_size = 16,
                                 .minimum_calls = 8,
                                 .failure_rate_threshold = 50.0},
                                150ms);
}

TEST(lock_free, EightThreadsOnATimeWindow) {
  hammer<arbiter::time_window>({.open_duration = 1ms,
                                .half_open_max_trials = 4,
                                .half_open_max_wait = 3600s,
                                .minimum_calls = 8,
                                .failure_rate_threshold = 50.0,
                                .window_length = 10ms,
                                .window_buckets = 5},
                               150ms);
}

TEST(single_thread, HasNoAtomicsAndTheSameInterface) {
  static_assert(!arbiter::single_thread::is_thread_safe && arbiter::lock_free::is_thread_safe);
  arbiter::single_thread::cell<std::uint64_t> cell{5};
  std::uint64_t expected = 4;
  EXPECT_FALSE(cell.compare_exchange_weak(expected, 9));
  EXPECT_EQ(expected, 5u);
  EXPECT_TRUE(cell.compare_exchange_strong(expected, 9));
  EXPECT_EQ(cell.fetch_add(1), 9u);
  EXPECT_EQ(cell.exchange(2), 10u);
  EXPECT_EQ(cell.load(), 2u);
}

}  // namespace
