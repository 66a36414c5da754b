// bulkhead: permits and refusals with their reasons, waits (woken by a release, cut short by a stop, run out),
// the AIMD and gradient limits driven sample by sample on the manual clock, health, logs, spans and metrics, bad
// options, and stress tests on 2 and 8 threads whose invariants are that no permit is lost and the calls in
// flight never exceed the limit.
#include <arbiter/resilience/bulkhead.hpp>

#include <arbiter/clock/manual_clock.hpp>
#include <arbiter/logging/recording_logger.hpp>
#include <arbiter/metrics/registry.hpp>
#include <arbiter/tracing/recording_tracer.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;

static_assert(std::is_same_v<arbiter::bulkhead<>::limit_type, arbiter::fixed_limit>);
static_assert(
    std::is_same_v<arbiter::bulkhead<arbiter::manual_clock, arbiter::aimd_limit>::limit_type, arbiter::aimd_limit>);
static_assert(arbiter::ConcurrencyLimit<arbiter::gradient_limit>);

TEST(bulkhead, admits_up_to_its_limit_and_refuses_the_next_saying_why) {
  arbiter::bulkhead<> pool("inventory", {.max_concurrent = 2});
  auto a = pool.try_acquire();
  auto b = pool.try_acquire();
  ASSERT_TRUE(a);
  ASSERT_TRUE(b);
  EXPECT_EQ(pool.in_flight(), 2U);
  EXPECT_EQ(pool.available(), 0U);
  const auto c = pool.try_acquire();
  ASSERT_FALSE(c);
  EXPECT_EQ(c.why().reason, arbiter::bulkhead_rejection::full);
  EXPECT_EQ(c.why().limit, 2U);
  EXPECT_EQ(c.why().in_flight, 2U);
  EXPECT_EQ(pool.refused_total(), 1U);
  a.release();
  a.release();  // a second release gives nothing back
  EXPECT_EQ(pool.in_flight(), 1U);
  EXPECT_TRUE(pool.try_acquire()) << "the released place is free again";
  EXPECT_EQ(pool.in_flight(), 1U) << "the temporary permit gave its place back when destroyed";
}

TEST(bulkhead, a_moved_permit_is_released_once) {
  arbiter::bulkhead<> pool("inventory", {.max_concurrent = 1});
  auto a = pool.try_acquire();
  auto b = std::move(a);
  EXPECT_FALSE(a);  // NOLINT(bugprone-use-after-move): a moved-from permit holds nothing
  EXPECT_TRUE(b);
  EXPECT_EQ(pool.in_flight(), 1U);
  arbiter::bulkhead<>::permit c;
  c = std::move(b);
  EXPECT_EQ(pool.in_flight(), 1U);
  c = arbiter::bulkhead<>::permit();
  EXPECT_EQ(pool.in_flight(), 0U);
}

TEST(bulkhead, execute_runs_the_call_or_the_fallback_with_the_reason) {
  arbiter::bulkhead<> pool("inventory", {.max_concurrent = 1});
  EXPECT_EQ(pool.execute([] { return 7; }, [](const arbiter::bulkhead_decision&) { return -1; }), 7);
  auto held = pool.try_acquire();
  arbiter::bulkhead_rejection seen = arbiter::bulkhead_rejection::none;
  EXPECT_EQ(pool.execute([] { return 7; },
                         [&](const arbiter::bulkhead_decision& why) {
                           seen = why.reason;
                           return -1;
                         }),
            -1);
  EXPECT_EQ(seen, arbiter::bulkhead_rejection::full);
  try {
    (void)pool.execute([] { return 7; });
    ADD_FAILURE() << "a full bulkhead let a call in";
  } catch (const arbiter::bulkhead_full& e) {
    EXPECT_EQ(e.why().reason, arbiter::bulkhead_rejection::full);
    EXPECT_STREQ(e.what(), "bulkhead 'inventory' refused the call: full (1 of 1 in flight)");
  }
}

TEST(bulkhead, an_exception_from_the_call_gives_the_permit_back) {
  arbiter::bulkhead<> pool("inventory", {.max_concurrent = 1});
  EXPECT_THROW((void)pool.execute([]() -> int { throw std::runtime_error("down"); }), std::runtime_error);
  EXPECT_EQ(pool.in_flight(), 0U);
  EXPECT_EQ(pool.execute([] { return 1; }), 1);
}

TEST(bulkhead, a_waiter_gets_the_permit_another_call_releases) {
  arbiter::bulkhead<> pool("inventory", {.max_concurrent = 1, .max_wait = 60s});
  auto held = pool.try_acquire();
  std::atomic<bool> got{false};
  std::thread waiter([&] { got = static_cast<bool>(pool.acquire()); });
  std::this_thread::sleep_for(20ms);  // most likely waiting by now; if not, it finds the place free later
  held.release();
  waiter.join();
  EXPECT_TRUE(got);
  EXPECT_EQ(pool.refused_total(), 0U);
  EXPECT_EQ(pool.in_flight(), 0U);
}

TEST(bulkhead, a_wait_runs_out_or_is_stopped) {
  arbiter::bulkhead<> pool("inventory", {.max_concurrent = 1});
  auto held = pool.try_acquire();
  const auto start = std::chrono::steady_clock::now();
  const auto late = pool.acquire(20ms);
  const auto waited = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(late);
  EXPECT_EQ(late.why().reason, arbiter::bulkhead_rejection::waited_too_long);
  EXPECT_GE(waited, 20ms);
  EXPECT_LT(waited, 10s);

  std::stop_source stop;
  std::thread stopper([&] {
    std::this_thread::sleep_for(20ms);
    stop.request_stop();
  });
  const auto stopped = pool.acquire(std::chrono::hours(1), stop.get_token());
  stopper.join();
  ASSERT_FALSE(stopped);
  EXPECT_EQ(stopped.why().reason, arbiter::bulkhead_rejection::stopped);
  EXPECT_EQ(pool.refused_total(), 2U);

  std::stop_source already;
  already.request_stop();
  EXPECT_EQ(pool.acquire(1s, already.get_token()).why().reason, arbiter::bulkhead_rejection::stopped);
}

// ---- adaptive limits ----------------------------------------------------------------------------------------

TEST(aimd_limit, grows_by_one_while_calls_go_well_and_backs_off_on_a_drop) {
  arbiter::aimd_limit aimd{.min_limit = 2, .max_limit = 12, .backoff_ratio = 0.5, .timeout = 100ms};
  EXPECT_EQ(aimd.update(10, {10ms, 5, false}), 11U) << "half used and fast: +1";
  EXPECT_EQ(aimd.update(10, {10ms, 4, false}), 10U) << "less than half used says nothing";
  EXPECT_EQ(aimd.update(12, {10ms, 12, false}), 12U) << "capped at max_limit";
  EXPECT_EQ(aimd.update(10, {10ms, 10, true}), 5U) << "a drop halves it";
  EXPECT_EQ(aimd.update(10, {150ms, 10, false}), 5U) << "slower than the timeout is a drop";
  EXPECT_EQ(aimd.update(3, {10ms, 3, true}), 2U) << "never below min_limit";
  arbiter::aimd_limit gentle{.backoff_ratio = 0.9};
  EXPECT_EQ(gentle.update(2, {1ms, 2, true}), 1U) << "a drop always lowers a limit above the minimum";
}

TEST(bulkhead, an_aimd_limit_learns_from_released_permits) {
  const arbiter::manual_clock clock;
  const arbiter::recording_logger logger;
  using pool_type = arbiter::bulkhead<arbiter::aimd_limit, arbiter::manual_clock, arbiter::recording_logger>;
  pool_type pool("inventory", {.max_concurrent = 4},
                 arbiter::aimd_limit{.min_limit = 1, .max_limit = 8, .backoff_ratio = 0.5}, clock, logger);
  EXPECT_EQ(pool.limit(), 4U);
  {
    auto a = pool.try_acquire();  // taken with 1, 2 and 3 in flight
    auto b = pool.try_acquire();
    auto c = pool.try_acquire();
    clock.advance(10ms);
    c.release();  // 3 of 4 in flight when taken: well used and fast, +1
    EXPECT_EQ(pool.limit(), 5U);
    b.release();  // 2 in flight of 5: too little use to judge
    a.release();
    EXPECT_EQ(pool.limit(), 5U);
  }
  {
    auto d = pool.try_acquire();
    d.release(true);  // dropped: halved
    EXPECT_EQ(pool.limit(), 2U);
  }
  {
    auto e = pool.try_acquire();
    auto f = pool.try_acquire();
    const auto g = pool.try_acquire();
    EXPECT_EQ(g.why().reason, arbiter::bulkhead_rejection::full) << "the lowered limit holds";
    f.release();
    EXPECT_EQ(pool.limit(), 3U);
  }
  EXPECT_THROW((void)pool.execute([]() -> int { throw std::runtime_error("overloaded"); }), std::runtime_error);
  EXPECT_EQ(pool.limit(), 1U) << "a call that threw is a drop";
  EXPECT_EQ(pool.in_flight(), 0U);
  const auto records = logger.records();
  ASSERT_EQ(records.size(), 4U);
  EXPECT_EQ(records[0].message, "bulkhead limit changed");
  EXPECT_EQ(records[0].field("from"), "4");
  EXPECT_EQ(records[0].field("to"), "5");
  EXPECT_EQ(records[1].field("to"), "2");
  EXPECT_EQ(records[1].field("dropped"), "true");
  EXPECT_EQ(records[3].field("to"), "1");
}

TEST(gradient_limit, follows_the_gradient_of_long_to_short_term_latency) {
  arbiter::gradient_limit gradient{
      .min_limit = 1, .max_limit = 100, .smoothing = 1.0, .tolerance = 1.0, .long_window = 100};
  // Steady 10 ms calls with the bulkhead full: gradient 1, the limit grows by sqrt(limit) a sample.
  std::uint32_t limit = gradient.update(16, {10ms, 16, false});
  EXPECT_EQ(limit, 20U);  // 16 * 1 + sqrt(16)
  limit = gradient.update(limit, {10ms, limit, false});
  EXPECT_EQ(limit, 24U);  // 20 + sqrt(20) = 24.47
  // Calls suddenly take 4 times as long: the gradient falls to its floor of 0.5.
  limit = gradient.update(limit, {40ms, limit, false});
  EXPECT_EQ(limit, 17U);  // 24.47 * 0.5 + sqrt(24.47) = 17.18
  for (int i = 0; i < 20; ++i) limit = gradient.update(limit, {40ms, limit, false});
  EXPECT_GE(limit, 3U);
  EXPECT_LE(limit, 6U) << "held at half, the limit settles where limit = limit / 2 + sqrt(limit), at 4";
  EXPECT_GT(gradient.long_latency_ns(), 10e6) << "the long-term average moves towards the new latency";
  EXPECT_EQ(gradient.update(limit, {500ms, 1, false}), limit) << "an application using under half its limit";
}

TEST(gradient_limit, grows_while_latency_holds_and_sheds_load_when_a_queue_builds) {
  const arbiter::manual_clock clock;
  using pool_type = arbiter::bulkhead<arbiter::gradient_limit, arbiter::manual_clock>;
  pool_type pool("inventory", {.max_concurrent = 20}, arbiter::gradient_limit{.min_limit = 4, .max_limit = 200}, clock);
  // Each round fills the bulkhead, lets every call take the downstream's latency, and releases them all.
  const auto round = [&](auto latency_for) {
    std::vector<pool_type::permit> held;
    while (auto p = pool.try_acquire()) held.push_back(std::move(p));
    EXPECT_EQ(held.size(), pool.limit());
    clock.advance(latency_for(held.size()));
    held.clear();
  };
  // A downstream that keeps its latency whatever the load earns the whole limit.
  for (int i = 0; i < 30; ++i) round([](std::size_t) { return 10ms; });
  EXPECT_EQ(pool.limit(), 200U);
  // One that serves 20 calls at once and queues the rest: latency grows with the calls beyond 20.
  const auto queueing = [](std::size_t calls) {
    return std::chrono::nanoseconds(static_cast<std::int64_t>(10e6 * std::max(1.0, static_cast<double>(calls) / 20)));
  };
  double sum = 0;
  for (int i = 0; i < 100; ++i) {
    round(queueing);
    if (i >= 50) sum += pool.limit();
  }
  EXPECT_LT(sum / 50, 100.0) << "the limit hovers near the downstream's capacity instead of queueing 200 calls";
  EXPECT_GE(pool.limit(), 4U);
  EXPECT_EQ(pool.in_flight(), 0U);
}

TEST(bulkhead, rejects_bad_options_naming_the_bulkhead_and_the_setting) {
  const auto message = [](auto make) {
    try {
      make();
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message([] { arbiter::bulkhead<> b("db", {.max_concurrent = 0}); }),
            "bulkhead \"db\": max_concurrent is 0; at least 1 call must be let in");
  EXPECT_EQ(message([] { arbiter::bulkhead<> b("db", {.max_wait = -1ms}); }),
            "bulkhead \"db\": max_wait is negative; zero means refuse at once");
  EXPECT_EQ(
      message([] { arbiter::bulkhead<arbiter::aimd_limit> b("db", {}, arbiter::aimd_limit{.backoff_ratio = 1.5}); }),
      "bulkhead \"db\": aimd_limit.backoff_ratio must be in [0.5, 1)");
  EXPECT_EQ(message([] {
              arbiter::bulkhead<arbiter::gradient_limit> b("db", {},
                                                           arbiter::gradient_limit{.min_limit = 5, .max_limit = 2});
            }),
            "bulkhead \"db\": max_limit is below min_limit");
}

// ---- health, spans, metrics ---------------------------------------------------------------------------------

TEST(bulkhead, health_is_degraded_after_a_refusal_or_while_full) {
  arbiter::bulkhead<> pool("inventory", {.max_concurrent = 1});
  EXPECT_EQ(pool.health().status, arbiter::health_status::healthy);
  {
    auto held = pool.try_acquire();
    const auto h = pool.health();
    EXPECT_EQ(h.status, arbiter::health_status::degraded);
    EXPECT_EQ(h.message, "bulkhead 'inventory' is full");
    (void)pool.try_acquire();
  }
  const auto after = pool.health();
  EXPECT_EQ(after.status, arbiter::health_status::degraded) << "a refusal since the last look";
  EXPECT_EQ(after.message, "bulkhead 'inventory' refused 1 calls");
  EXPECT_EQ(pool.health().status, arbiter::health_status::healthy) << "nothing refused since";

  arbiter::bulkhead<> quiet("cache", {.max_concurrent = 1, .degrade_when_full = false});
  auto held = quiet.try_acquire();
  (void)quiet.try_acquire();
  EXPECT_EQ(quiet.health().status, arbiter::health_status::healthy);
}

TEST(bulkhead, traces_each_wait_and_counts_calls_in_the_registry) {
  arbiter::metrics_registry metrics;
  const arbiter::recording_tracer tracer;
  arbiter::bulkhead<arbiter::metrics_registry, arbiter::recording_tracer> pool("inventory", {.max_concurrent = 1},
                                                                               metrics, tracer);
  auto held = pool.try_acquire();
  (void)pool.try_acquire();
  (void)pool.acquire(1ms);
  const auto span = tracer.last("bulkhead.wait");
  ASSERT_TRUE(span.has_value());
  const std::string text = metrics.expose(arbiter::exposition_format::prometheus_text);
  EXPECT_NE(text.find("arbiter_bulkhead_calls_total{bulkhead=\"inventory\",outcome=\"admitted\"} 1"), std::string::npos)
      << text;
  EXPECT_NE(text.find("arbiter_bulkhead_calls_total{bulkhead=\"inventory\",outcome=\"full\"} 1"), std::string::npos)
      << text;
  EXPECT_NE(text.find("arbiter_bulkhead_calls_total{bulkhead=\"inventory\",outcome=\"waited_too_long\"} 1"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("arbiter_bulkhead_in_flight{bulkhead=\"inventory\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("arbiter_bulkhead_limit{bulkhead=\"inventory\"} 1"), std::string::npos) << text;
}

// ---- stress: no permit lost, never over the limit ------------------------------------------------------------

template <class Pool>
void stress(Pool& pool, int threads, bool wait) {
  constexpr int calls_per_thread = 4000;
  std::atomic<std::int64_t> inside{0};
  std::atomic<std::int64_t> over{0};
  std::atomic<std::int64_t> admitted{0};
  std::atomic<std::int64_t> refused{0};
  const std::int64_t cap = Pool::adaptive ? 8 : pool.options().max_concurrent;
  std::vector<std::jthread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (int i = 0; i < calls_per_thread; ++i) {
        auto p = wait && (i % 3 == 0) ? pool.acquire(5ms) : pool.try_acquire();
        if (!p) {
          refused.fetch_add(1);
          continue;
        }
        admitted.fetch_add(1);
        const std::int64_t now = inside.fetch_add(1) + 1;
        if (now > cap) over.fetch_add(1);
        if ((i + t) % 7 == 0) std::this_thread::yield();
        inside.fetch_sub(1);
        p.release((i + t) % 11 == 0);
      }
    });
  }
  workers.clear();
  EXPECT_EQ(over.load(), 0) << "more calls in flight than the limit";
  EXPECT_EQ(pool.in_flight(), 0U) << "a permit was lost or given back twice";
  EXPECT_EQ(admitted.load() + refused.load(), std::int64_t{threads} * calls_per_thread);
  EXPECT_EQ(static_cast<std::int64_t>(pool.refused_total()), refused.load());
  EXPECT_GT(admitted.load(), 0);
}

TEST(bulkhead, stress_2_threads_never_over_the_limit_and_loses_no_permit) {
  arbiter::bulkhead<> pool("s", {.max_concurrent = 1});
  stress(pool, 2, false);
}
TEST(bulkhead, stress_8_threads_never_over_the_limit_and_loses_no_permit) {
  arbiter::bulkhead<> pool("s", {.max_concurrent = 3});
  stress(pool, 8, false);
}
TEST(bulkhead, stress_8_threads_with_waiters) {
  arbiter::bulkhead<> pool("s", {.max_concurrent = 2});
  stress(pool, 8, true);
}
TEST(bulkhead, stress_8_threads_with_an_adaptive_limit_loses_no_permit) {
  arbiter::bulkhead<arbiter::aimd_limit> pool("s", {.max_concurrent = 4},
                                              arbiter::aimd_limit{.min_limit = 1, .max_limit = 8});
  stress(pool, 8, true);
  EXPECT_GE(pool.limit(), 1U);
  EXPECT_LE(pool.limit(), 8U);
}

TEST(bulkhead, null_policies_add_nothing_but_the_counters) {
  EXPECT_LE(sizeof(arbiter::bulkhead<>::permit), 2 * sizeof(void*) + sizeof(arbiter::bulkhead_decision));
}

}  // namespace
