// What a health monitor reports through a real Metrics policy, read back from the exposition text.
#include <arbiter/health/health_metrics.hpp>

#include <arbiter/clock/manual_clock.hpp>
#include <arbiter/health.hpp>
#include <arbiter/metrics/registry.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include "../metrics/exposition_check.hpp"

namespace {

using namespace std::chrono_literals;
using arbiter::check_options;
using arbiter::health_status;
using arbiter::probe;
using policies = arbiter::health_policies<arbiter::manual_clock, arbiter::null_logger, arbiter::null_tracer,
                                          arbiter::worst_of_critical_capped, arbiter::metrics_registry>;

using test::sample;

TEST(health_metrics, NullMetricsTakeNoSpace) {
  static_assert(std::is_empty_v<arbiter::detail::health_instruments<arbiter::null_metrics, 3>>);
  static_assert(sizeof(arbiter::health_policies<>) == 1);
  SUCCEED();
}

TEST(health_metrics, StatusesDurationsAndProbesAreReported) {
  arbiter::metrics_registry metrics;
  const arbiter::manual_clock clock;
  auto cache_status = std::make_shared<std::atomic<health_status>>(health_status::unhealthy);
  auto monitor =
      arbiter::make_health_monitor({}, policies{clock, {}, {}, {}, metrics}, arbiter::make_check<"db:ping">([clock] {
                                     clock.advance(20ms);
                                     return true;
                                   }),
                                   arbiter::make_check<"cache:ping", check_options{.critical = false}>([cache_status] {
                                     arbiter::check_result r;
                                     r.status = cache_status->load();
                                     r.message = "cold";
                                     return r;
                                   }));
  // Before any run a check counts as unhealthy (it has not shown otherwise), and a scrape runs nothing.
  EXPECT_EQ(sample(metrics, R"(arbiter_health_check_status{check="db:ping",status="unhealthy"})"), 1.0);
  EXPECT_EQ(sample(metrics, R"(arbiter_health_check_duration_seconds_count{check="db:ping"})"), 0.0);

  EXPECT_EQ(monitor.status(probe::readiness), health_status::degraded);
  EXPECT_EQ(sample(metrics, R"(arbiter_health_check_status{check="db:ping",status="healthy"})"), 1.0);
  EXPECT_EQ(sample(metrics, R"(arbiter_health_check_status{check="db:ping",status="unhealthy"})"), 0.0);
  EXPECT_EQ(sample(metrics, R"(arbiter_health_check_status{check="cache:ping",status="unhealthy"})"), 1.0);
  EXPECT_EQ(sample(metrics, R"(arbiter_health_check_duration_seconds_count{check="db:ping"})"), 1.0);
  EXPECT_NEAR(sample(metrics, R"(arbiter_health_check_duration_seconds_sum{check="db:ping"})"), 0.02, 1e-9);
  EXPECT_EQ(sample(metrics, R"(arbiter_health_check_duration_seconds_bucket{check="db:ping",le="0.01"})"), 0.0);
  EXPECT_EQ(sample(metrics, R"(arbiter_health_check_duration_seconds_bucket{check="db:ping",le="0.025"})"), 1.0);
  EXPECT_EQ(sample(metrics, R"(arbiter_health_status{probe="readiness",status="degraded"})"), 1.0);
  EXPECT_EQ(sample(metrics, R"(arbiter_health_status{probe="readiness",status="healthy"})"), 0.0);

  cache_status->store(health_status::healthy);
  clock.advance(10s);  // past the cache ttl
  EXPECT_EQ(monitor.status(probe::readiness), health_status::healthy);
  EXPECT_EQ(sample(metrics, R"(arbiter_health_check_status{check="cache:ping",status="healthy"})"), 1.0);
  EXPECT_EQ(sample(metrics, R"(arbiter_health_status{probe="readiness",status="healthy"})"), 1.0);

  monitor.set_accepting_traffic(false);  // shutdown: readiness reads unhealthy, liveness does not
  EXPECT_EQ(sample(metrics, R"(arbiter_health_status{probe="readiness",status="unhealthy"})"), 1.0);
  EXPECT_EQ(sample(metrics, R"(arbiter_health_status{probe="liveness",status="healthy"})"), 1.0);
  EXPECT_EQ(sample(metrics, R"(arbiter_health_check_timeouts_total{check="db:ping"})"), 0.0);
}

TEST(health_metrics, ARunPastItsTimeoutIsCounted) {
  arbiter::metrics_registry metrics;
  const arbiter::manual_clock clock;
  auto release = std::make_shared<std::atomic<bool>>(false);
  {
    auto monitor =
        arbiter::make_health_monitor({}, policies{clock, {}, {}, {}, metrics},
                                     arbiter::make_check<"db:ping", check_options{.timeout_ms = 500}>([clock, release] {
                                       clock.advance(3s);
                                       while (!release->load()) std::this_thread::sleep_for(1ms);
                                       return true;
                                     }));
    EXPECT_EQ(monitor.status(probe::readiness), health_status::unhealthy);
    EXPECT_EQ(sample(metrics, R"(arbiter_health_check_timeouts_total{check="db:ping"})"), 1.0);
    EXPECT_EQ(sample(metrics, R"(arbiter_health_check_status{check="db:ping",status="unhealthy"})"), 1.0);
    release->store(true);
  }
  // The monitor is gone: its status series leave the scrape (once the pool thread that ran the slow check has
  // let go of the monitor's internals, a moment after the destructor returned), the counts stay.
  for (int i = 0; i < 5000 && metrics.expose().find("\narbiter_health_check_status{") != std::string::npos; ++i) {
    std::this_thread::sleep_for(1ms);
  }
  EXPECT_EQ(metrics.expose().find("\narbiter_health_check_status{"), std::string::npos) << metrics.expose();
  EXPECT_EQ(sample(metrics, R"(arbiter_health_check_timeouts_total{check="db:ping"})"), 1.0);
}

}  // namespace
