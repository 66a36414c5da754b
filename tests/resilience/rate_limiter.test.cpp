// rate_limiter: the GCRA arithmetic with the manual clock (bursts, the steady rate, retry_after, reservations),
// bad options, real-time waits and stops, metrics, logs and spans of refusals, and a stress test whose invariant is
// exact: with every thread taking permits until refused, the total granted by each instant is the burst plus one per
// interval elapsed.
#include <arbiter/resilience/rate_limiter.hpp>

#include <arbiter/clock/manual_clock.hpp>
#include <arbiter/logging/recording_logger.hpp>
#include <arbiter/metrics/registry.hpp>
#include <arbiter/tracing/recording_tracer.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using arbiter::rate_refusal;
using manual_limiter = arbiter::rate_limiter<arbiter::manual_clock>;

static_assert(std::is_same_v<arbiter::rate_limiter<>::clock_type, arbiter::coarse_clock>);
static_assert(std::is_same_v<arbiter::rate_limiter<arbiter::metrics_registry, arbiter::manual_clock>::clock_type,
                             arbiter::manual_clock>,
              "policies in any order");

TEST(rate_limiter, grants_the_burst_at_once_then_one_permit_per_interval) {
  const arbiter::manual_clock clock;
  manual_limiter limiter("api", {.permits = 10, .period = 1s}, clock);
  EXPECT_EQ(limiter.interval(), 100ms);
  EXPECT_EQ(limiter.available(), 10U);
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(limiter.try_acquire()) << i;
  const auto refused = limiter.try_acquire();
  EXPECT_FALSE(refused);
  EXPECT_EQ(refused.refusal, rate_refusal::rate);
  EXPECT_EQ(refused.retry_after, 100ms);
  EXPECT_EQ(limiter.available(), 0U);

  clock.advance(30ms);
  EXPECT_EQ(limiter.try_acquire().retry_after, 70ms) << "retry_after counts down with the clock";
  clock.advance(70ms);
  EXPECT_TRUE(limiter.try_acquire());
  EXPECT_FALSE(limiter.try_acquire()) << "one interval, one permit";

  clock.advance(10s);
  EXPECT_EQ(limiter.available(), 10U) << "a quiet spell refills the burst, never more";
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(limiter.try_acquire()) << i;
  EXPECT_FALSE(limiter.try_acquire());
}

TEST(rate_limiter, a_burst_smaller_than_the_rate_spreads_the_permits) {
  const arbiter::manual_clock clock;
  manual_limiter limiter("api", {.permits = 100, .period = 1s, .burst = 2}, clock);
  EXPECT_TRUE(limiter.try_acquire());
  EXPECT_TRUE(limiter.try_acquire());
  EXPECT_FALSE(limiter.try_acquire());
  int granted = 0;
  for (int ms = 0; ms < 1000; ++ms) {
    clock.advance(1ms);
    while (limiter.try_acquire()) ++granted;
  }
  EXPECT_EQ(granted, 100) << "100 a second, whatever the burst";
}

TEST(rate_limiter, several_permits_at_once_and_more_than_the_burst_is_never_granted) {
  const arbiter::manual_clock clock;
  manual_limiter limiter("bulk", {.permits = 10, .period = 1s}, clock);
  EXPECT_TRUE(limiter.try_acquire(7));
  const auto short_of = limiter.try_acquire(4);
  EXPECT_EQ(short_of.refusal, rate_refusal::rate);
  EXPECT_EQ(short_of.retry_after, 100ms) << "one more permit is due in one interval";
  EXPECT_TRUE(limiter.try_acquire(3)) << "a refusal takes nothing";
  const auto never = limiter.try_acquire(11);
  EXPECT_EQ(never.refusal, rate_refusal::over_burst);
  EXPECT_EQ(to_string(never.refusal), "over_burst");
}

TEST(rate_limiter, a_reservation_within_the_wait_is_granted_with_its_wait_and_one_beyond_takes_nothing) {
  const arbiter::manual_clock clock;
  manual_limiter limiter("api", {.permits = 10, .period = 1s}, clock);
  ASSERT_TRUE(limiter.try_acquire(10));
  const auto first = limiter.reserve(1, 250ms);
  ASSERT_TRUE(first);
  EXPECT_EQ(first.retry_after, 100ms);
  const auto second = limiter.reserve(1, 250ms);
  ASSERT_TRUE(second);
  EXPECT_EQ(second.retry_after, 200ms) << "reservations queue up";
  const auto third = limiter.reserve(1, 250ms);
  EXPECT_FALSE(third);
  EXPECT_EQ(third.retry_after, 300ms);
  clock.advance(300ms);
  EXPECT_TRUE(limiter.try_acquire()) << "the refused reservation took nothing";
  EXPECT_FALSE(limiter.try_acquire());
  EXPECT_EQ(limiter.reserve(1, 0ms).refusal, rate_refusal::rate) << "no wait: a try_acquire";
}

TEST(rate_limiter, options_that_describe_no_rate_are_errors_naming_the_limiter_and_the_setting) {
  const auto message = [](arbiter::rate_limiter_options o) {
    try {
      manual_limiter limiter("payments", o);
    } catch (const std::invalid_argument& error) {
      return std::string(error.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message({.permits = 0}), "rate_limiter \"payments\": permits is 0; at least 1 permit per period is needed");
  EXPECT_EQ(message({.period = 0s}), "rate_limiter \"payments\": period is 0 ns; it must be positive");
  EXPECT_EQ(message({.permits = 1000, .period = 999ns}),
            "rate_limiter \"payments\": 1000 permits per 999 ns is finer than 1 ns a permit; use a longer period");
  EXPECT_NE(message({.permits = 1, .period = std::chrono::hours(24 * 365 * 100), .burst = 100}).find("too long"),
            std::string::npos);
}

TEST(rate_limiter, execute_calls_through_with_a_permit_and_falls_back_without) {
  const arbiter::manual_clock clock;
  manual_limiter limiter("api", {.permits = 1, .period = 1s}, clock);
  const auto call = [&] {
    return limiter.execute(
        [] { return std::string("called"); },
        [](const arbiter::rate_decision& d) { return "refused for " + std::to_string(d.retry_after.count()); });
  };
  EXPECT_EQ(call(), "called");
  EXPECT_EQ(call(), "refused for 1000000000");
}

TEST(rate_limiter, acquire_sleeps_until_the_permit_is_due_and_a_stop_ends_the_wait) {
  arbiter::rate_limiter<arbiter::steady_clock> limiter("api", {.permits = 20, .period = 1s, .burst = 1});
  ASSERT_TRUE(limiter.try_acquire());
  // Right after a grant the next permit is 50 ms away (checked here, not after the sleep below, whose wake-up a
  // loaded machine may make late enough for the following permit to be due).
  EXPECT_FALSE(limiter.acquire(1, 1ms)) << "not due within the wait: refused at once";
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(limiter.acquire(1, 1s));
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 40ms) << "waited for the 50 ms interval";

  std::stop_source stop;
  std::jthread stopper([&] {
    std::this_thread::sleep_for(20ms);
    stop.request_stop();
  });
  arbiter::rate_limiter<arbiter::steady_clock> slow("slow", {.permits = 1, .period = 60s});
  ASSERT_TRUE(slow.try_acquire());
  t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(slow.acquire(1, 120s, stop.get_token()));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 30s) << "the stop ended a 60 s wait";
}

TEST(rate_limiter, acquire_with_a_manual_clock_moves_the_clock_instead_of_sleeping) {
  const arbiter::manual_clock clock;
  arbiter::rate_limiter<arbiter::manual_clock> limiter("api", {.permits = 10, .period = 1s, .burst = 1}, clock);
  ASSERT_TRUE(limiter.try_acquire());
  const auto before = clock.now();
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(limiter.acquire(1, 1s));
  EXPECT_EQ(clock.now() - before, 100ms) << "waited exactly one interval, on the manual clock";
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 30s) << "and not in real time";
  EXPECT_FALSE(limiter.try_acquire()) << "the permit it waited for is taken";
  clock.advance(100ms);
  EXPECT_TRUE(limiter.try_acquire());
  EXPECT_FALSE(limiter.acquire(1, 50ms)) << "not due within the wait: refused, the clock untouched";
  EXPECT_EQ(clock.now() - before, 200ms);
  std::stop_source stop;
  stop.request_stop();
  EXPECT_FALSE(limiter.acquire(1, 1s, stop.get_token())) << "a stop request ends the wait";
  // A Sleeper given by hand: real_sleeper waits in real time even with the manual clock.
  arbiter::rate_limiter<arbiter::manual_clock, arbiter::real_sleeper> real("real", {.permits = 100, .period = 1s},
                                                                           clock);
  static_assert(std::is_same_v<decltype(real)::sleeper_type, arbiter::real_sleeper>);
  static_assert(std::is_same_v<decltype(limiter)::sleeper_type, arbiter::advancing_sleeper<arbiter::manual_clock>>);
}

TEST(rate_limiter, counts_granted_and_refused_permits_in_the_registry) {
  arbiter::metrics_registry metrics;
  const arbiter::manual_clock clock;
  arbiter::rate_limiter<arbiter::manual_clock, arbiter::metrics_registry> limiter("api", {.permits = 2, .period = 1s},
                                                                                  clock, metrics);
  (void)limiter.try_acquire(2);
  (void)limiter.try_acquire();
  (void)limiter.try_acquire(5);
  const std::string text = metrics.expose(arbiter::exposition_format::prometheus_text);
  EXPECT_NE(text.find("arbiter_rate_limiter_permits_total{limiter=\"api\",outcome=\"granted\"} 2"), std::string::npos)
      << text;
  EXPECT_NE(text.find("arbiter_rate_limiter_permits_total{limiter=\"api\",outcome=\"refused\"} 6"), std::string::npos)
      << text;
}

static_assert(std::is_same_v<arbiter::rate_limiter<>::logger_type, arbiter::null_logger>);
static_assert(std::is_same_v<arbiter::rate_limiter<arbiter::recording_logger, arbiter::manual_clock>::logger_type,
                             arbiter::recording_logger>);

TEST(rate_limiter, logs_each_refusal_at_debug_and_traces_it) {
  const arbiter::manual_clock clock;
  const arbiter::recording_logger logger;
  const arbiter::recording_tracer tracer;
  // Policies in any order, the variadic constructor.
  arbiter::rate_limiter<arbiter::recording_tracer, arbiter::recording_logger, arbiter::manual_clock> limiter(
      "api", {.permits = 10, .period = 1s, .burst = 1}, logger, clock, tracer);
  EXPECT_TRUE(limiter.try_acquire());
  EXPECT_EQ(logger.size(), 0U) << "a grant is not logged";
  EXPECT_FALSE(limiter.try_acquire());
  const auto record = logger.last("rate limited");
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->level, arbiter::log_level::debug);
  EXPECT_EQ(record->field("limiter"), "api");
  EXPECT_EQ(record->field("retry_after_ms"), "100");
  EXPECT_EQ(record->field("reason"), "rate");
  EXPECT_FALSE(limiter.try_acquire(2));
  EXPECT_EQ(logger.last("rate limited")->field("reason"), "over_burst");
  EXPECT_EQ(tracer.size(), 2U);
  const auto span = tracer.last("rate_limiter.refused");
  ASSERT_TRUE(span.has_value());
}

TEST(rate_limiter, a_logger_above_debug_gets_nothing) {
  const arbiter::manual_clock clock;
  const arbiter::recording_logger logger(arbiter::log_level::info);
  arbiter::rate_limiter<arbiter::manual_clock, arbiter::recording_logger> limiter("api", {.permits = 1, .period = 1s},
                                                                                  clock, logger);
  EXPECT_TRUE(limiter.try_acquire());
  EXPECT_FALSE(limiter.try_acquire());
  EXPECT_EQ(logger.size(), 0U);
}

TEST(rate_limiter, takes_its_policies_positionally_or_in_any_order) {
  arbiter::metrics_registry metrics;
  const arbiter::manual_clock clock;
  arbiter::rate_limiter<arbiter::manual_clock, arbiter::metrics_registry> positional("a", {.permits = 1}, clock,
                                                                                     metrics);
  arbiter::rate_limiter<arbiter::manual_clock, arbiter::metrics_registry> reordered("b", {.permits = 1}, metrics,
                                                                                    clock);
  EXPECT_TRUE(positional.try_acquire());
  EXPECT_TRUE(reordered.try_acquire());
  clock.advance(2s);
  EXPECT_EQ(reordered.available(), 1U) << "the reordered limiter reads the shared manual clock";
  const std::string text = metrics.expose(arbiter::exposition_format::prometheus_text);
  EXPECT_NE(text.find("limiter=\"b\",outcome=\"granted\"} 1"), std::string::npos) << text;
}

TEST(rate_limiter, null_metrics_and_an_empty_clock_add_no_bytes) {
  struct bare {
    std::string name;
    arbiter::rate_limiter_options options;
    std::int64_t interval, tolerance;
    alignas(64) std::atomic<std::int64_t> tat;
  };
  EXPECT_EQ(sizeof(arbiter::rate_limiter<>), sizeof(bare));
}

/// Every thread takes permits until refused, at one frozen instant after another; the clock moves between
/// instants. GCRA is exact, so by each instant the total granted is the burst plus one per interval elapsed, and
/// over any stretch of instants no more than the burst plus the intervals in it.
void stress(int threads) {
  const arbiter::manual_clock clock;
  manual_limiter limiter("stress", {.permits = 1000, .period = 1s, .burst = 50}, clock);
  constexpr int instants = 200;
  std::vector<std::int64_t> granted_at(instants, 0);
  std::vector<std::int64_t> time_at(instants, 0);
  std::atomic<std::int64_t> granted{0};
  std::int64_t elapsed_ns = 0;
  unsigned seed = 12345;
  int instant = 0;
  std::barrier sync(threads + 1);
  std::vector<std::jthread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      for (int i = 0; i < instants; ++i) {
        sync.arrive_and_wait();  // the clock is set
        while (limiter.try_acquire()) ++granted;
        sync.arrive_and_wait();  // every thread was refused
      }
    });
  }
  for (instant = 0; instant < instants; ++instant) {
    sync.arrive_and_wait();
    sync.arrive_and_wait();
    granted_at[static_cast<std::size_t>(instant)] = granted.load();
    time_at[static_cast<std::size_t>(instant)] = elapsed_ns;
    seed = seed * 1103515245U + 12345U;
    const std::int64_t step = static_cast<std::int64_t>((seed >> 8) % 5'000'000);  // 0 to 5 ms
    clock.advance(std::chrono::nanoseconds(step));
    elapsed_ns += step;
  }
  workers.clear();
  const std::int64_t interval = limiter.interval().count();
  for (std::size_t j = 0; j < granted_at.size(); ++j) {
    ASSERT_EQ(granted_at[j], 50 + time_at[j] / interval) << "instant " << j << " with " << threads << " threads";
    for (std::size_t i = 0; i < j; ++i) {
      // Permits granted at instants i+1..j (time_at[j] - time_at[i] apart) fit the rate: at most one per interval
      // plus one for the interval in progress at i.
      ASSERT_LE(granted_at[j] - granted_at[i], (time_at[j] - time_at[i]) / interval + 1) << i << ".." << j;
    }
  }
}

TEST(rate_limiter_threads, two_threads_never_exceed_the_rate_and_lose_no_permit) { stress(2); }
TEST(rate_limiter_threads, eight_threads_never_exceed_the_rate_and_lose_no_permit) { stress(8); }

}  // namespace
