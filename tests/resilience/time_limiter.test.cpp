// time_limiter: results in time pass through, a manual clock advanced inside the call makes it late, the real
// watchdog stops a call that waits on its token (one 20 ms timeout, bounded generously), a caller's stop is not a
// timeout, exceptions pass unchanged, try_execute's error, a breaker around a limiter counts timeouts, metrics,
// logs and spans, and a 2/8-thread stress test.
#include <arbiter/resilience/time_limiter.hpp>

#include <arbiter/clock/manual_clock.hpp>
#include <arbiter/logging/recording_logger.hpp>
#include <arbiter/metrics/registry.hpp>
#include <arbiter/resilience/circuit_breaker.hpp>
#include <arbiter/tracing/recording_tracer.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

namespace {

using namespace std::chrono_literals;

using manual_limiter = arbiter::time_limiter<arbiter::manual_clock>;

/// Waits on `stop` for up to `limit`; true when it was stopped.
bool wait_for_stop(const std::stop_token& stop, std::chrono::nanoseconds limit) {
  std::mutex mutex;
  std::condition_variable_any wake;
  std::unique_lock lock(mutex);
  return wake.wait_for(lock, stop, limit, [] { return false; }) || stop.stop_requested();
}

static_assert(std::is_same_v<arbiter::time_limiter<>::clock_type, arbiter::steady_clock>);
static_assert(std::is_same_v<arbiter::time_limiter<arbiter::metrics_registry, arbiter::manual_clock>::clock_type,
                             arbiter::manual_clock>);
static_assert(std::is_base_of_v<std::runtime_error, arbiter::timeout_exceeded>);
static_assert(!arbiter::detail::is_time_limit_failure(42), "a plain result is never a time-limit failure");

// ---- in time and late ----------------------------------------------------------------------------------------

TEST(time_limiter, returns_a_result_in_time) {
  const arbiter::manual_clock clock;
  manual_limiter limiter("inventory", {.timeout = 100ms}, clock);
  EXPECT_EQ(limiter.execute([](const std::stop_token& stop) { return stop.stop_requested() ? 0 : 7; }), 7);
  EXPECT_EQ(limiter.execute([] { return std::string("no token"); }), "no token");
  int calls = 0;
  limiter.execute([&] { ++calls; });
  EXPECT_EQ(calls, 1);
  int x = 3;
  int& ref = limiter.execute([&]() -> int& { return x; });
  EXPECT_EQ(&ref, &x) << "references are passed on";
}

TEST(time_limiter, a_call_longer_than_the_timeout_by_the_clock_throws_timeout_exceeded) {
  const arbiter::manual_clock clock;
  manual_limiter limiter("inventory", {.timeout = 100ms}, clock);
  try {
    (void)limiter.execute([&](const std::stop_token&) {
      clock.advance(150ms);
      return 1;
    });
    FAIL() << "no timeout";
  } catch (const arbiter::timeout_exceeded& e) {
    EXPECT_EQ(e.name(), "inventory");
    EXPECT_EQ(e.timeout(), 100ms);
    EXPECT_EQ(e.elapsed(), 150ms);
    EXPECT_NE(std::string(e.what()).find("time_limiter \"inventory\""), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("100 ms"), std::string::npos) << e.what();
  }
  // A callable without a token is found out after it returns.
  EXPECT_THROW(limiter.execute([&] { clock.advance(101ms); }), arbiter::timeout_exceeded);
  // Exactly the timeout is still in time.
  EXPECT_NO_THROW(limiter.execute([&] { clock.advance(100ms); }));
}

TEST(time_limiter, the_watchdog_stops_a_call_that_waits_on_its_token) {
  arbiter::time_limiter<> limiter("slow", {.timeout = 20ms});
  const auto start = std::chrono::steady_clock::now();
  bool stopped = false;
  EXPECT_THROW(limiter.execute([&](const std::stop_token& stop) { stopped = wait_for_stop(stop, 10s); }),
               arbiter::timeout_exceeded);
  EXPECT_TRUE(stopped);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s) << "the call was stopped, not waited out";
}

TEST(time_limiter, a_short_deadline_armed_after_a_long_one_fires_first) {
  // The watchdog sleeps until the earliest deadline it knows; a call armed later with an earlier one wakes it.
  arbiter::time_limiter<> patient("patient", {.timeout = 1h});
  arbiter::time_limiter<> hasty("hasty", {.timeout = 20ms});
  std::stop_source release;
  std::atomic<bool> patient_started{false};
  std::jthread holder([&] {
    patient.execute(
        [&](const std::stop_token& stop) {
          patient_started = true;
          (void)wait_for_stop(stop, 10s);
        },
        release.get_token());
  });
  while (!patient_started) std::this_thread::yield();
  const auto start = std::chrono::steady_clock::now();
  bool stopped = false;
  EXPECT_THROW(hasty.execute([&](const std::stop_token& stop) { stopped = wait_for_stop(stop, 10s); }),
               arbiter::timeout_exceeded);
  EXPECT_TRUE(stopped);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  release.request_stop();  // the patient call ends by the caller's stop: not a timeout, so it does not throw
}

TEST(time_limiter, a_deadline_after_a_disarmed_one_still_fires) {
  // The watchdog keeps a wake-up for a call that already ended; the next call's later deadline is found then.
  arbiter::time_limiter<> first("first", {.timeout = 20ms});
  arbiter::time_limiter<> second("second", {.timeout = 40ms});
  (void)first.try_execute([](const std::stop_token& stop) { return stop.stop_requested(); });  // a stall may time it out
  const auto start = std::chrono::steady_clock::now();
  bool stopped = false;
  EXPECT_THROW(second.execute([&](const std::stop_token& stop) { stopped = wait_for_stop(stop, 10s); }),
               arbiter::timeout_exceeded);
  EXPECT_TRUE(stopped);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST(time_limiter, a_stop_from_the_caller_is_not_a_timeout) {
  const arbiter::manual_clock clock;
  manual_limiter limiter("shutdown", {.timeout = 100ms}, clock);
  std::stop_source shutdown;
  const int r = limiter.execute(
      [&](const std::stop_token& stop) {
        shutdown.request_stop();
        clock.advance(1s);  // late too, but the caller asked it to stop
        return stop.stop_requested() ? -1 : 1;
      },
      shutdown.get_token());
  EXPECT_EQ(r, -1) << "the caller's stop reaches the call's token";
  std::stop_source already;
  already.request_stop();
  EXPECT_EQ(limiter.execute([](const std::stop_token& stop) { return stop.stop_requested(); }, already.get_token()),
            true);
}

TEST(time_limiter, an_exception_from_the_call_is_rethrown_unchanged) {
  const arbiter::manual_clock clock;
  manual_limiter limiter("x", {.timeout = 100ms}, clock);
  EXPECT_THROW(limiter.execute([]() -> int { throw std::out_of_range("oops"); }), std::out_of_range);
  // One from a call that ran out of time is nested in the timeout.
  try {
    limiter.execute([&] {
      clock.advance(1s);
      throw std::out_of_range("stopped");
    });
    FAIL() << "no timeout";
  } catch (const arbiter::timeout_exceeded& e) {
    EXPECT_THROW(std::rethrow_if_nested(e), std::out_of_range);
  }
}

TEST(time_limiter, try_execute_returns_the_timeout_as_an_error) {
  const arbiter::manual_clock clock;
  manual_limiter limiter("x", {.timeout = 100ms}, clock);
  const arbiter::time_limited<int> ok = limiter.try_execute([] { return 5; });
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(ok.value(), 5);
  const arbiter::time_limited<int> late = limiter.try_execute([&](const std::stop_token&) {
    clock.advance(250ms);
    return 5;
  });
  ASSERT_FALSE(late.has_value());
  EXPECT_EQ(late.error().timeout, 100ms);
  EXPECT_EQ(late.error().elapsed, 250ms);
  EXPECT_EQ(late.value_or(-1), -1);
  const arbiter::time_limited<void> void_late = limiter.try_execute([&] { clock.advance(101ms); });
  EXPECT_FALSE(void_late.has_value());
  EXPECT_EQ(arbiter::default_classifier{}.classify_result(late), arbiter::outcome::failure);
  EXPECT_EQ(arbiter::default_classifier{}.classify_result(ok), arbiter::outcome::success);
  EXPECT_TRUE(arbiter::detail::is_time_limit_failure(late));
  EXPECT_FALSE(arbiter::detail::is_time_limit_failure(ok));
}

TEST(time_limiter, rejects_a_timeout_that_is_not_positive) {
  try {
    arbiter::time_limiter<> limiter("payments", {.timeout = 0ms});
    FAIL() << "accepted";
  } catch (const std::invalid_argument& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("time_limiter \"payments\""), std::string::npos) << what;
    EXPECT_NE(what.find("timeout"), std::string::npos) << what;
  }
  EXPECT_THROW(arbiter::time_limiter<>("x", {.timeout = -1ns}), std::invalid_argument);
}

TEST(time_limiter, exception_detection_finds_timeout_exceeded_only) {
  EXPECT_TRUE(
      arbiter::detail::is_time_limit_failure(std::make_exception_ptr(arbiter::timeout_exceeded("x", 1ms, 2ms))));
  EXPECT_FALSE(arbiter::detail::is_time_limit_failure(std::make_exception_ptr(std::runtime_error("x"))));
  EXPECT_FALSE(arbiter::detail::is_time_limit_failure(std::exception_ptr{}));
}

// ---- inside a breaker ----------------------------------------------------------------------------------------

TEST(time_limiter, a_breaker_around_it_counts_timeouts_and_opens) {
  const arbiter::manual_clock clock;
  manual_limiter limiter("inventory", {.timeout = 100ms}, clock);
  arbiter::circuit_breaker<arbiter::single_thread, arbiter::manual_clock, arbiter::counting_stats> breaker(
      "inventory", {.failure_threshold = 3}, clock);
  const auto late = [&](const std::stop_token&) {
    clock.advance(200ms);
    return 1;
  };
  EXPECT_EQ(breaker.execute([&] { return limiter.execute([](const std::stop_token&) { return 1; }); }), 1);
  for (int i = 0; i < 2; ++i) {
    EXPECT_THROW(breaker.execute([&] { return limiter.execute(late); }), arbiter::timeout_exceeded);
  }
  // A result holding a timeout counts too.
  const auto r = breaker.execute([&] { return limiter.try_execute(late); });
  EXPECT_FALSE(r.has_value());
  EXPECT_THROW(breaker.execute([] { throw std::runtime_error("other"); }), arbiter::circuit_open);
  const arbiter::breaker_stats s = breaker.stats();
  EXPECT_EQ(s.calls, 4U);
  EXPECT_EQ(s.failures, 3U);
  EXPECT_EQ(s.timeouts, 3U);
  EXPECT_EQ(s.rejections, 1U);
  EXPECT_EQ(breaker.state(), arbiter::breaker_state::open);
}

TEST(time_limiter, a_timed_breaker_around_it_counts_a_timeout_once) {
  const arbiter::manual_clock clock;
  manual_limiter limiter("inventory", {.timeout = 100ms}, clock);
  arbiter::circuit_breaker<arbiter::single_thread, arbiter::timed_with<arbiter::manual_clock>, arbiter::counting_stats>
      breaker("inventory", {.operation_timeout = 1h}, arbiter::timed_with<arbiter::manual_clock>{clock});
  EXPECT_THROW(breaker.execute([&] { return limiter.execute([&] { clock.advance(200ms); }); }),
               arbiter::timeout_exceeded);
  const auto r = breaker.execute([&] { return limiter.try_execute([&] { clock.advance(200ms); }); });
  EXPECT_FALSE(r.has_value());
  (void)breaker.execute([&] { return limiter.try_execute([] {}); });
  const arbiter::breaker_stats s = breaker.stats();
  EXPECT_EQ(s.calls, 3U);
  EXPECT_EQ(s.failures, 2U);
  EXPECT_EQ(s.timeouts, 2U);
}

TEST(time_limiter, a_breaker_that_ignores_timeouts_counts_none) {
  const arbiter::manual_clock clock;
  manual_limiter limiter("x", {.timeout = 100ms}, clock);
  arbiter::circuit_breaker<arbiter::single_thread, arbiter::counting_stats,
                           arbiter::ignore_exceptions<arbiter::timeout_exceeded>>
      breaker("x");
  EXPECT_THROW(breaker.execute([&] { return limiter.execute([&] { clock.advance(1s); }); }), arbiter::timeout_exceeded);
  const arbiter::breaker_stats s = breaker.stats();
  EXPECT_EQ(s.ignored, 1U);
  EXPECT_EQ(s.timeouts, 0U);
}

// ---- what happens, told --------------------------------------------------------------------------------------

TEST(time_limiter, counts_calls_in_the_registry) {
  arbiter::metrics_registry metrics;
  const arbiter::manual_clock clock;
  arbiter::time_limiter<arbiter::metrics_registry, arbiter::manual_clock> limiter("inventory", {.timeout = 100ms},
                                                                                  metrics, clock);
  limiter.execute([] {});
  (void)limiter.try_execute([] {});
  (void)limiter.try_execute([&] { clock.advance(1s); });
  const std::string text = metrics.expose(arbiter::exposition_format::prometheus_text);
  EXPECT_NE(text.find("arbiter_time_limiter_calls_total{time_limiter=\"inventory\",outcome=\"in_time\"} 2"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("arbiter_time_limiter_calls_total{time_limiter=\"inventory\",outcome=\"timed_out\"} 1"),
            std::string::npos)
      << text;
}

TEST(time_limiter, logs_and_traces_a_timeout) {
  const arbiter::manual_clock clock;
  const arbiter::recording_logger logger;
  const arbiter::recording_tracer tracer;
  arbiter::time_limiter<arbiter::manual_clock, arbiter::recording_logger, arbiter::recording_tracer> limiter(
      "inventory", {.timeout = 100ms}, clock, logger, tracer);
  limiter.execute([] {});
  EXPECT_EQ(logger.size(), 0U);
  (void)limiter.try_execute([&] { clock.advance(150ms); });
  const auto record = logger.last("call timed out");
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->level, arbiter::log_level::warn);
  EXPECT_EQ(record->field("time_limiter"), "inventory");
  EXPECT_EQ(record->field("timeout_ms"), "100");
  EXPECT_EQ(record->field("elapsed_ms"), "150");
  EXPECT_TRUE(tracer.last("time_limiter.timeout").has_value());
  EXPECT_EQ(tracer.size(), 1U);
}

TEST(time_limiter, null_policies_add_no_bytes) {
  struct bare {
    std::string name;
    arbiter::time_limiter_options options;
  };
  EXPECT_EQ(sizeof(arbiter::time_limiter<>), sizeof(bare));
}

// ---- many threads --------------------------------------------------------------------------------------------

/// Each thread alternates a call that returns at once with one that waits on its token until the watchdog stops
/// it. Every call is counted once, as in time or timed out, and every timed-out call saw its token stopped.
void stress(int threads) {
  constexpr int calls_per_thread = 6;
  arbiter::metrics_registry metrics;
  arbiter::time_limiter<arbiter::metrics_registry> limiter("stress", {.timeout = 20ms}, metrics);
  std::atomic<int> results{0}, timeouts{0}, late_calls_stopped{0}, late_calls{0};
  std::vector<std::jthread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      for (int i = 0; i < calls_per_thread; ++i) {
        const bool late = i % 2 == 1;
        bool saw_stop = false;
        try {
          limiter.execute([&](const std::stop_token& stop) {
            if (late) saw_stop = wait_for_stop(stop, 10s);
          });
          results.fetch_add(1);
        } catch (const arbiter::timeout_exceeded&) {
          timeouts.fetch_add(1);
        }
        if (late) {
          late_calls.fetch_add(1);
          if (saw_stop) late_calls_stopped.fetch_add(1);
        }
      }
    });
  }
  workers.clear();
  const int calls = threads * calls_per_thread;
  EXPECT_EQ(results.load() + timeouts.load(), calls);
  EXPECT_EQ(late_calls_stopped.load(), late_calls.load()) << "every late call was stopped by the watchdog";
  EXPECT_GE(timeouts.load(), late_calls.load());
  const std::string text = metrics.expose(arbiter::exposition_format::prometheus_text);
  EXPECT_NE(text.find("outcome=\"in_time\"} " + std::to_string(results.load())), std::string::npos) << text;
  EXPECT_NE(text.find("outcome=\"timed_out\"} " + std::to_string(timeouts.load())), std::string::npos) << text;
}

TEST(time_limiter, counts_every_call_once_on_2_threads) { stress(2); }
TEST(time_limiter, counts_every_call_once_on_8_threads) { stress(8); }

}  // namespace
