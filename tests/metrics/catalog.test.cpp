#include <arbiter/metrics/catalog.hpp>

#include <gtest/gtest.h>

#include <arbiter/metrics/registry.hpp>

namespace {

using arbiter::detail::catalog_is_consistent;
using arbiter::detail::make_catalog;

constexpr double one[] = {1};

// The check itself, on small catalogs: each kind of clash is caught, and distinct metrics pass.
static_assert(catalog_is_consistent(make_catalog(arbiter::counter_metric("arbiter_a_total", "A."),
                                                 arbiter::gauge_metric("arbiter_b", "B."))));
static_assert(!catalog_is_consistent(make_catalog(arbiter::gauge_metric("other_b", "B."))));  // not arbiter_
static_assert(!catalog_is_consistent(make_catalog(arbiter::gauge_metric("arbiter_b", "B.", "x"),
                                                  arbiter::gauge_metric("arbiter_b", "B.", "y"))));
static_assert(catalog_is_consistent(make_catalog(arbiter::gauge_metric("arbiter_b", "B.", "x"),
                                                 arbiter::gauge_metric("arbiter_b", "B.", "x"))));  // listed twice
static_assert(!catalog_is_consistent(make_catalog(arbiter::counter_metric("arbiter_c_total", "C."),
                                                  arbiter::gauge_metric("arbiter_c", "C."))));  // OpenMetrics name
static_assert(!catalog_is_consistent(make_catalog(arbiter::histogram_metric("arbiter_h_seconds", "H.", one),
                                                  arbiter::gauge_metric("arbiter_h_seconds_count", "C."))));
static_assert(!catalog_is_consistent(make_catalog(arbiter::gauge_metric("arbiter_h_seconds_sum", "C."),
                                                  arbiter::histogram_metric("arbiter_h_seconds", "H.", one))));

TEST(MetricCatalog, EveryMetricOfArbiterRegistersInOneRegistry) {
  // The compile-time check and the registry's run-time rules agree: all of arbiter's metrics fit together.
  arbiter::metrics_registry metrics;
  namespace n = arbiter::metric_names;
  EXPECT_NO_THROW({
    (void)metrics.counter(n::breaker_calls, {"b", "success"});
    (void)metrics.counter(n::breaker_rejections, {"b", "open"});
    (void)metrics.gauge(n::breaker_state, {"b", "open"});
    (void)metrics.counter(n::breaker_transitions, {"b", "closed", "open"});
    (void)metrics.histogram(n::breaker_call_duration, {"b"});
    (void)metrics.gauge(n::health_check_status, {"db", "healthy"});
    (void)metrics.histogram(n::health_check_duration, {"db"});
    (void)metrics.counter(n::health_check_timeouts, {"db"});
    (void)metrics.gauge(n::health_status, {"readiness", "healthy"});
    (void)metrics.gauge(n::shutdown_step_duration, {"drain"});
    (void)metrics.gauge(n::shutdown_exit_code);
    (void)metrics.gauge(n::shutdown_deadline_exceeded);
    (void)metrics.gauge(n::drain_in_flight);
    (void)metrics.counter(n::config_reloads, {"applied"});
    (void)metrics.gauge(n::config_version);
    (void)metrics.gauge(n::config_last_success);
    (void)metrics.counter(n::tracing_spans_ended);
    (void)metrics.counter(n::tracing_spans_exported);
    (void)metrics.counter(n::tracing_spans_dropped, {"queue_full"});
    (void)metrics.gauge(n::tracing_queue_depth);
    (void)metrics.histogram(n::tracing_export_duration);
    (void)metrics.counter(n::rate_limiter_permits, {"l", "granted"});
    (void)metrics.counter(n::retry_attempts, {"r", "first"});
    (void)metrics.counter(n::retry_gave_up, {"r", "budget"});
    (void)metrics.counter(n::bulkhead_calls, {"k", "full"});
    (void)metrics.gauge(n::bulkhead_in_flight, {"k"});
    (void)metrics.gauge(n::bulkhead_limit, {"k"});
    (void)metrics.counter(n::time_limiter_calls, {"t", "timed_out"});
  });
  EXPECT_EQ(arbiter::arbiter_metric_catalog.size(), 28u);
}

}  // namespace
