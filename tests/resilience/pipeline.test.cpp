// pipeline: every part in its place on the manual clock. Which part refused and why reaches the one fallback; a
// breaker counts a time limiter's timeout as a timeout and ignores a refusal from inside it; a retry outside
// waits the refusal's retry-after; exceptions pass through every part; the order rules and their opt-out; the stop
// token reaching the call; and a stress test whose invariant is that every call ends as a value, a refusal or an
// exception exactly once and the bulkhead is never over its limit.
#include <arbiter/resilience/pipeline.hpp>

#include <arbiter/clock/manual_clock.hpp>
#include <arbiter/resilience/stats.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;

using retry_type = arbiter::retry<arbiter::fixed_backoff, arbiter::manual_clock>;
using breaker_type = arbiter::circuit_breaker<arbiter::manual_clock, arbiter::counting_stats>;
using limiter_type = arbiter::rate_limiter<arbiter::manual_clock>;
using deadline_type = arbiter::time_limiter<arbiter::manual_clock>;
using pool_type = arbiter::bulkhead<>;

/// Every part on one manual clock.
struct parts {
  arbiter::manual_clock clock;
  retry_type retry{"inventory", {.max_attempts = 3, .initial_backoff = 10ms}, clock};
  breaker_type breaker{"inventory", {.failure_threshold = 3, .open_duration = 1000ms}, clock};
  limiter_type limiter{"inventory", {.permits = 10, .period = 1s, .burst = 2}, clock};
  deadline_type deadline{"inventory", {.timeout = 100ms}, clock};
  pool_type pool{"inventory", {.max_concurrent = 1}};
};

static_assert(std::is_same_v<decltype(arbiter::pipeline(std::declval<retry_type&>(), std::declval<breaker_type&>())),
                             arbiter::pipeline<retry_type, breaker_type>>);

TEST(pipeline, all_pass_returns_the_call_s_result) {
  parts p;
  arbiter::pipeline guarded(p.retry, p.breaker, p.limiter, p.deadline, p.pool);
  EXPECT_EQ(guarded.execute([] { return 42; }, [](const arbiter::pipeline_rejection&) { return -1; }), 42);
  EXPECT_EQ(p.breaker.stats().successes, 1U);
  EXPECT_EQ(p.limiter.available(), 1U);
  EXPECT_EQ(p.pool.in_flight(), 0U);
  const auto result = guarded.try_execute([] { return std::string("stock"); });
  ASSERT_TRUE(result);
  EXPECT_EQ(*result, "stock");
  EXPECT_EQ(&guarded.part<1>(), &p.breaker);
}

TEST(pipeline, an_open_breaker_is_told_to_the_fallback_with_its_retry_after) {
  parts p;
  p.breaker.force_open();
  arbiter::pipeline guarded(p.breaker, p.limiter, p.pool);
  arbiter::pipeline_rejection seen;
  EXPECT_EQ(guarded.execute([] { return 1; },
                            [&](const arbiter::pipeline_rejection& why) {
                              seen = why;
                              return -1;
                            }),
            -1);
  EXPECT_EQ(seen.stage, arbiter::pipeline_stage::circuit_breaker);
  EXPECT_EQ(seen.part, "inventory");
  EXPECT_EQ(seen.reason, "forced_open");
  ASSERT_TRUE(std::holds_alternative<arbiter::rejection>(seen.detail));
  EXPECT_EQ(std::get<arbiter::rejection>(seen.detail).reason, arbiter::rejection_reason::forced_open);
  EXPECT_EQ(p.limiter.available(), 2U) << "nothing inside an open breaker is touched";
}

TEST(pipeline, a_refusal_inside_the_breaker_is_not_counted_against_the_downstream) {
  parts p;
  arbiter::pipeline guarded(p.breaker, p.limiter, p.pool);
  std::vector<arbiter::pipeline_rejection> refusals;
  const auto fallback = [&](const arbiter::pipeline_rejection& why) {
    refusals.push_back(why);
    return -1;
  };
  for (int i = 0; i < 10; ++i) (void)guarded.execute([] { return 1; }, fallback);  // the burst is 2
  ASSERT_EQ(refusals.size(), 8U);
  EXPECT_EQ(refusals[0].stage, arbiter::pipeline_stage::rate_limiter);
  EXPECT_EQ(refusals[0].reason, "rate");
  EXPECT_EQ(refusals[0].retry_after, 100ms) << "one interval of 10 a second";
  EXPECT_EQ(p.breaker.state(), arbiter::breaker_state::closed) << "8 refusals, threshold 3";
  EXPECT_EQ(p.breaker.stats().failures, 0U);
  EXPECT_EQ(p.breaker.stats().ignored, 8U);

  // A full bulkhead: the same.
  auto held = p.pool.try_acquire();
  p.clock.advance(1s);
  refusals.clear();
  for (int i = 0; i < 4; ++i) (void)guarded.execute([] { return 1; }, fallback);
  ASSERT_EQ(refusals.size(), 4U);
  EXPECT_EQ(refusals[0].stage, arbiter::pipeline_stage::bulkhead);
  EXPECT_EQ(refusals[0].reason, "full");
  ASSERT_TRUE(std::holds_alternative<arbiter::bulkhead_decision>(refusals[0].detail));
  EXPECT_EQ(p.breaker.state(), arbiter::breaker_state::closed);
}

TEST(pipeline, a_timeout_is_a_timeout_failure_the_breaker_counts_and_opens_on) {
  parts p;
  arbiter::pipeline guarded(p.breaker, p.deadline, p.pool);
  const auto late = [&](const std::stop_token&) {
    p.clock.advance(150ms);  // past the 100 ms deadline by the limiter's clock
    return 1;
  };
  for (int i = 0; i < 3; ++i) {
    const auto r = guarded.try_execute(late);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().stage, arbiter::pipeline_stage::time_limiter);
    EXPECT_EQ(r.error().reason, "timed_out");
    ASSERT_TRUE(std::holds_alternative<arbiter::time_limit_exceeded>(r.error().detail));
    EXPECT_EQ(std::get<arbiter::time_limit_exceeded>(r.error().detail).elapsed, 150ms);
  }
  EXPECT_EQ(p.breaker.stats().timeouts, 3U);
  EXPECT_EQ(p.breaker.stats().failures, 3U);
  EXPECT_EQ(p.breaker.state(), arbiter::breaker_state::open);
  EXPECT_EQ(p.pool.in_flight(), 0U);
}

TEST(pipeline, a_timed_breaker_times_the_calls_inside_it) {
  const arbiter::manual_clock clock;
  arbiter::circuit_breaker<arbiter::timed_with<arbiter::manual_clock>, arbiter::counting_stats> breaker(
      "inventory", {.operation_timeout = 100ms}, arbiter::timed_with<arbiter::manual_clock>{clock});
  pool_type pool("inventory", {.max_concurrent = 1});
  arbiter::pipeline guarded(breaker, pool);
  EXPECT_EQ(guarded.execute(
                [&] {
                  clock.advance(150ms);  // slower than the breaker's operation timeout
                  return 7;
                },
                [](const arbiter::pipeline_rejection&) { return -1; }),
            7)
      << "the breaker counts the late call; the value still comes back, as from breaker.execute()";
  EXPECT_EQ(breaker.stats().timeouts, 1U);
  EXPECT_EQ(breaker.stats().failures, 1U);
}

// The watchdog runs in real time: a call that waits on its token far longer than the breaker's operation_timeout
// is stopped by it; the bounds are generous for a loaded machine.
TEST(pipeline, a_timed_breaker_arms_its_watchdog_for_the_calls_inside_it) {
  arbiter::circuit_breaker<arbiter::timed, arbiter::counting_stats> breaker("inventory", {.operation_timeout = 50ms});
  pool_type pool("inventory", {.max_concurrent = 1});
  arbiter::pipeline guarded(breaker, pool);
  const auto wait_for_stop = [](const std::stop_token& token) {
    std::mutex mutex;
    std::condition_variable_any wake;
    std::unique_lock lock(mutex);
    static_cast<void>(wake.wait_for(lock, token, 30s, [] { return false; }));
    return token.stop_requested();
  };
  const auto t0 = std::chrono::steady_clock::now();
  bool stopped = false;
  (void)guarded.try_execute([&](const std::stop_token& token) {
    stopped = wait_for_stop(token);
    return 0;
  });
  EXPECT_TRUE(stopped) << "the breaker's watchdog stopped the call";
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 20s);
  EXPECT_EQ(breaker.stats().timeouts, 1U);

  // With a caller's token too: either stop reaches the call (here the caller's, long before the timeout).
  arbiter::circuit_breaker<arbiter::timed, arbiter::counting_stats> patient("patient", {.operation_timeout = 1h});
  arbiter::pipeline through(patient, pool);
  std::stop_source shutdown;
  std::jthread stopper([&] {
    std::this_thread::sleep_for(20ms);
    shutdown.request_stop();
  });
  stopped = false;
  (void)through.try_execute(
      [&](const std::stop_token& token) {
        stopped = wait_for_stop(token);
        return 0;
      },
      shutdown.get_token());
  EXPECT_TRUE(stopped) << "the caller's stop reaches the call through the timed breaker";
  EXPECT_EQ(patient.stats().timeouts, 0U) << "a stop by the caller is no timeout";
}

TEST(pipeline, the_retry_waits_a_refusal_s_retry_after_and_then_succeeds) {
  parts p;
  arbiter::pipeline guarded(p.retry, p.limiter);
  (void)p.limiter.try_acquire(2);  // the burst is spent: the next permit is due in 100 ms
  const auto before = p.clock.now();
  int calls = 0;
  EXPECT_EQ(guarded.execute([&] { return ++calls; }, [](const arbiter::pipeline_rejection&) { return -1; }), 1);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(p.clock.now() - before, 100ms) << "the retry waited the limiter's retry-after, not its 10 ms backoff";
}

TEST(pipeline, the_retry_gives_up_on_an_open_breaker_whose_retry_after_passes_its_deadline) {
  parts p;
  retry_type quick("inventory", {.max_attempts = 10, .initial_backoff = 10ms, .deadline = 500ms}, p.clock);
  arbiter::pipeline guarded(quick, p.breaker);
  int calls = 0;
  const auto result = guarded.try_execute([&] {
    ++calls;
    return std::make_error_code(std::errc::connection_refused);
  });
  EXPECT_EQ(calls, 3) << "three failures open the breaker";
  ASSERT_FALSE(result) << "the fourth attempt was rejected, and its 1 s retry-after is past the 500 ms deadline";
  EXPECT_EQ(result.error().stage, arbiter::pipeline_stage::circuit_breaker);
  EXPECT_EQ(result.error().reason, "open");
  EXPECT_EQ(result.error().retry_after, 990ms) << "1 s open, from 10 ms before the fourth attempt";
  EXPECT_EQ(p.breaker.state(), arbiter::breaker_state::open);
}

TEST(pipeline, exceptions_pass_through_every_part) {
  parts p;
  limiter_type roomy("roomy", {.permits = 10, .period = 1s}, p.clock);
  arbiter::pipeline guarded(p.retry, p.breaker, roomy, p.pool);
  int calls = 0;
  EXPECT_THROW((void)guarded.execute(
                   [&]() -> int {
                     ++calls;
                     throw std::runtime_error("down");
                   },
                   [](const arbiter::pipeline_rejection&) { return -1; }),
               std::runtime_error);
  EXPECT_EQ(calls, 3) << "the retry retried the exception to its max_attempts";
  EXPECT_EQ(p.pool.in_flight(), 0U) << "the bulkhead's permit was given back";
  EXPECT_EQ(p.breaker.stats().failures, 3U);
  EXPECT_EQ(p.breaker.state(), arbiter::breaker_state::open);

  // The next call finds the breaker open: the retry waits out its open time and makes the half-open trial.
  calls = 0;
  const auto before = p.clock.now();
  EXPECT_EQ(guarded.execute([&] { return ++calls; }, [](const arbiter::pipeline_rejection&) { return -1; }), 1);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(p.clock.now() - before, 1000ms);
  EXPECT_EQ(p.breaker.state(), arbiter::breaker_state::half_open) << "one good trial of the several it needs";
}

TEST(pipeline, a_void_call_and_execute_without_a_fallback) {
  parts p;
  arbiter::pipeline guarded(p.breaker, p.pool);
  int calls = 0;
  guarded.execute([&] { ++calls; });
  EXPECT_EQ(calls, 1);
  p.breaker.force_open();
  try {
    guarded.execute([&] { ++calls; });
    ADD_FAILURE() << "an open breaker let the call through";
  } catch (const arbiter::pipeline_rejected& e) {
    EXPECT_STREQ(e.what(), "circuit_breaker 'inventory' refused the call: forced_open");
    EXPECT_EQ(e.why().part, "inventory");
  }
  bool fell_back = false;
  guarded.execute([&] { ++calls; }, [&](const arbiter::pipeline_rejection&) { fell_back = true; });
  EXPECT_TRUE(fell_back);
  EXPECT_EQ(calls, 1);
}

TEST(pipeline, the_call_receives_the_time_limiter_s_token_linked_to_the_caller_s) {
  parts p;
  arbiter::pipeline guarded(p.deadline, p.pool);
  std::stop_source shutdown;
  bool stoppable = false;
  bool stopped_inside = false;
  (void)guarded.try_execute(
      [&](const std::stop_token& token) {
        stoppable = token.stop_possible();
        shutdown.request_stop();
        stopped_inside = token.stop_requested();
        return 0;
      },
      shutdown.get_token());
  EXPECT_TRUE(stoppable);
  EXPECT_TRUE(stopped_inside) << "the caller's stop reaches the call through the limiter";
}

TEST(pipeline, any_order_keeps_an_order_the_check_would_refuse) {
  parts p;
  arbiter::pipeline guarded(arbiter::any_order{}, p.breaker, p.retry);
  int calls = 0;
  const auto r = guarded.try_execute([&] {
    ++calls;
    return std::make_error_code(std::errc::timed_out);
  });
  ASSERT_TRUE(r);
  EXPECT_EQ(calls, 3) << "the retry inside made three attempts";
  EXPECT_EQ(p.breaker.stats().calls, 1U) << "the breaker outside saw one call";
  static_assert(std::is_same_v<decltype(guarded), arbiter::pipeline<arbiter::any_order, breaker_type, retry_type>>);
}

TEST(pipeline, stress_every_call_ends_once_and_the_bulkhead_holds_on_8_threads) {
  arbiter::circuit_breaker<arbiter::counting_stats> breaker("s", {.failure_threshold = 1000000});
  arbiter::bulkhead<> pool("s", {.max_concurrent = 2});
  arbiter::rate_limiter<> limiter("s", {.permits = 1000000, .period = 1s});
  arbiter::pipeline guarded(breaker, limiter, pool);
  constexpr int threads = 8, calls_per_thread = 3000;
  std::atomic<int> inside{0}, over{0}, values{0}, refusals{0}, thrown{0};
  {
    std::vector<std::jthread> workers;
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([&, t] {
        for (int i = 0; i < calls_per_thread; ++i) {
          try {
            const auto r = guarded.try_execute([&]() -> int {
              if (inside.fetch_add(1) + 1 > 2) over.fetch_add(1);
              if ((i + t) % 5 == 0) std::this_thread::yield();
              inside.fetch_sub(1);
              if ((i + t) % 13 == 0) throw std::runtime_error("flaky");
              return i;
            });
            (r ? values : refusals).fetch_add(1);
          } catch (const std::runtime_error&) {
            thrown.fetch_add(1);
          }
        }
      });
    }
  }
  EXPECT_EQ(over.load(), 0) << "more calls inside than the bulkhead's limit";
  EXPECT_EQ(values + refusals + thrown, threads * calls_per_thread);
  EXPECT_EQ(pool.in_flight(), 0U);
  const auto stats = breaker.stats();
  EXPECT_EQ(stats.successes, static_cast<std::uint64_t>(values.load()));
  EXPECT_EQ(stats.failures, static_cast<std::uint64_t>(thrown.load()));
  EXPECT_EQ(stats.ignored, static_cast<std::uint64_t>(refusals.load())) << "each refusal inside counted as ignored";
  EXPECT_EQ(pool.refused_total(), static_cast<std::uint64_t>(refusals.load())) << "the limiter never refuses here";
}

}  // namespace
