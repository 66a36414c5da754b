// What a circuit breaker reports through a real Metrics policy, read back from the exposition text.
#include <arbiter/resilience/breaker_metrics.hpp>

#include <arbiter/clock/manual_clock.hpp>
#include <arbiter/metrics/registry.hpp>
#include <arbiter/resilience/circuit_breaker.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "../metrics/exposition_check.hpp"

namespace {

using namespace std::chrono_literals;
using arbiter::breaker_state;
using arbiter::outcome;

using test::sample;

TEST(breaker_metrics, NullMetricsTakeNoSpace) {
  static_assert(std::is_empty_v<arbiter::detail::breaker_instruments<arbiter::null_metrics, false>>);
  static_assert(std::is_empty_v<arbiter::detail::breaker_instruments<arbiter::null_metrics, true>>);
  using bare = arbiter::circuit_breaker<arbiter::single_thread>;
  static_assert(sizeof(bare) == sizeof(arbiter::circuit_breaker<arbiter::single_thread, arbiter::null_metrics>));
  static_assert(sizeof(arbiter::circuit_breaker<arbiter::single_thread, arbiter::timed, arbiter::null_metrics>) ==
                sizeof(bare));
  static_assert(sizeof(arbiter::circuit_breaker<arbiter::single_thread, arbiter::metrics_registry>) > sizeof(bare));
  SUCCEED();
}

TEST(breaker_metrics, CallsRejectionsStateAndTransitionsAreCounted) {
  arbiter::metrics_registry metrics;
  arbiter::manual_clock clock;
  arbiter::breaker_options options;
  options.failure_threshold = 2;
  options.success_threshold = 1;
  options.open_duration = 1000ms;
  arbiter::circuit_breaker<arbiter::manual_clock, arbiter::metrics_registry> breaker("payments", options, clock,
                                                                                     metrics);
  EXPECT_EQ(sample(metrics, R"(arbiter_breaker_state{breaker="payments",state="closed"})"), 1.0);
  EXPECT_EQ(sample(metrics, R"(arbiter_breaker_state{breaker="payments",state="open"})"), 0.0);

  EXPECT_EQ(breaker.execute([] { return 1; }), 1);
  for (int i = 0; i < 2; ++i)
    EXPECT_THROW(breaker.execute([]() -> int { throw std::runtime_error("down"); }), std::runtime_error);
  ASSERT_EQ(breaker.state(), breaker_state::open);
  for (int i = 0; i < 3; ++i) EXPECT_THROW(breaker.execute([] { return 1; }), arbiter::circuit_open);

  EXPECT_EQ(sample(metrics, R"(arbiter_breaker_calls_total{breaker="payments",outcome="success"})"), 1.0);
  EXPECT_EQ(sample(metrics, R"(arbiter_breaker_calls_total{breaker="payments",outcome="failure"})"), 2.0);
  EXPECT_EQ(sample(metrics, R"(arbiter_breaker_calls_total{breaker="payments",outcome="ignored"})"), 0.0);
  EXPECT_EQ(sample(metrics, R"(arbiter_breaker_rejections_total{breaker="payments",reason="open"})"), 3.0);
  EXPECT_EQ(sample(metrics, R"(arbiter_breaker_state{breaker="payments",state="open"})"), 1.0);
  EXPECT_EQ(sample(metrics, R"(arbiter_breaker_state{breaker="payments",state="closed"})"), 0.0);
  EXPECT_EQ(sample(metrics, R"(arbiter_breaker_transitions_total{breaker="payments",from="closed",to="open"})"), 1.0);

  clock.advance(1000ms);
  EXPECT_EQ(breaker.execute([] { return 2; }), 2);  // the trial closes it
  ASSERT_EQ(breaker.state(), breaker_state::closed);
  EXPECT_EQ(sample(metrics, R"(arbiter_breaker_transitions_total{breaker="payments",from="open",to="half_open"})"),
            1.0);
  EXPECT_EQ(sample(metrics, R"(arbiter_breaker_transitions_total{breaker="payments",from="half_open",to="closed"})"),
            1.0);
  EXPECT_EQ(sample(metrics, R"(arbiter_breaker_state{breaker="payments",state="closed"})"), 1.0);
  breaker.force_open();
  EXPECT_THROW(breaker.execute([] { return 1; }), arbiter::circuit_open);
  EXPECT_EQ(sample(metrics, R"(arbiter_breaker_rejections_total{breaker="payments",reason="forced_open"})"), 1.0);
  EXPECT_EQ(sample(metrics, R"(arbiter_breaker_state{breaker="payments",state="forced_open"})"), 1.0);
  // An untimed breaker has no duration histogram.
  EXPECT_EQ(metrics.expose().find("arbiter_breaker_call_duration_seconds_count"), std::string::npos);
}

TEST(breaker_metrics, ATimedBreakerObservesEachCallsDuration) {
  arbiter::metrics_registry metrics;
  arbiter::manual_clock clock;
  arbiter::circuit_breaker<arbiter::timed_with<arbiter::manual_clock>, arbiter::metrics_registry> breaker(
      "inventory", arbiter::breaker_options{}, arbiter::timed_with<arbiter::manual_clock>{clock}, metrics);
  breaker.execute([&] { clock.advance(3ms); });
  breaker.execute([&] { clock.advance(200ms); });
  EXPECT_EQ(sample(metrics, R"(arbiter_breaker_call_duration_seconds_count{breaker="inventory"})"), 2.0);
  EXPECT_NEAR(sample(metrics, R"(arbiter_breaker_call_duration_seconds_sum{breaker="inventory"})"), 0.203, 1e-9);
  EXPECT_EQ(sample(metrics, R"(arbiter_breaker_call_duration_seconds_bucket{breaker="inventory",le="0.005"})"), 1.0);
  EXPECT_EQ(sample(metrics, R"(arbiter_breaker_call_duration_seconds_bucket{breaker="inventory",le="0.1"})"), 1.0);
  EXPECT_EQ(sample(metrics, R"(arbiter_breaker_call_duration_seconds_bucket{breaker="inventory",le="0.25"})"), 2.0);
}

TEST(breaker_metrics, TwoBreakersShareARegistryWithTheirOwnSeries) {
  arbiter::metrics_registry metrics;
  arbiter::circuit_breaker<arbiter::metrics_registry> a("a", {}, metrics);
  arbiter::circuit_breaker<arbiter::metrics_registry> b("b", {}, metrics);
  a.execute([] {});
  a.execute([] {});
  b.execute([] {});
  EXPECT_EQ(sample(metrics, R"(arbiter_breaker_calls_total{breaker="a",outcome="success"})"), 2.0);
  EXPECT_EQ(sample(metrics, R"(arbiter_breaker_calls_total{breaker="b",outcome="success"})"), 1.0);
}

TEST(breaker_metrics, ADestroyedBreakerLeavesTheScrape) {
  arbiter::metrics_registry metrics;
  {
    arbiter::circuit_breaker<arbiter::metrics_registry> gone("gone", {}, metrics);
    EXPECT_EQ(sample(metrics, R"(arbiter_breaker_state{breaker="gone",state="closed"})"), 1.0);
  }
  // Its state callbacks are unregistered with it (its counters stay: they only ever count up).
  EXPECT_EQ(metrics.expose().find(R"(arbiter_breaker_state{breaker="gone")"), std::string::npos);
}

TEST(breaker_metrics, CallsFromManyThreadsAreAllCounted) {
  arbiter::metrics_registry metrics;
  arbiter::circuit_breaker<arbiter::metrics_registry> breaker("shared", {}, metrics);
  std::vector<std::thread> threads;
  std::atomic<bool> stop{false};
  std::thread scraper([&] {
    while (!stop.load()) (void)metrics.expose();
  });
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20000; ++i) breaker.execute([] {});
    });
  }
  for (auto& t : threads) t.join();
  stop = true;
  scraper.join();
  EXPECT_EQ(sample(metrics, R"(arbiter_breaker_calls_total{breaker="shared",outcome="success"})"), 80000.0);
}

}  // namespace
