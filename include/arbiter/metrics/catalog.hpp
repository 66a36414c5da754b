#pragma once

/// \file
/// Every metric arbiter itself defines, in one list the compiler checks: each name in the `arbiter_` namespace,
/// no name used twice with another type or other labels, and no two metrics writing the same sample name (a
/// histogram's `_bucket`, `_sum`, `_count`; a counter's OpenMetrics family name without `_total`). The grammar of
/// each name and label is checked where the spec is defined (metric_spec.hpp). A part's metrics header adds its
/// specs to `arbiter_metric_catalog` below.

#include <array>
#include <cstddef>
#include <string_view>

#include <arbiter/metrics/metric_spec.hpp>

namespace arbiter::inline v1 {

namespace detail {

/// One metric of the catalog, whatever its type and label count.
struct catalog_entry {
  std::string_view name;
  metric_type type = metric_type::counter;
  std::array<std::string_view, max_metric_labels> labels{};
  std::size_t label_count = 0;
};

template <metric_type Type, std::size_t N>
[[nodiscard]] constexpr catalog_entry to_catalog_entry(const metric_spec<Type, N>& spec) noexcept {
  catalog_entry entry{spec.name, Type, {}, N};
  for (std::size_t i = 0; i < N; ++i) entry.labels[i] = spec.labels[i];
  return entry;
}

template <class... Specs>
[[nodiscard]] constexpr auto make_catalog(const Specs&... specs) noexcept {
  return std::array<catalog_entry, sizeof...(Specs)>{to_catalog_entry(specs)...};
}

[[nodiscard]] constexpr bool same_labels(const catalog_entry& a, const catalog_entry& b) noexcept {
  if (a.label_count != b.label_count) return false;
  for (std::size_t i = 0; i < a.label_count; ++i) {
    if (a.labels[i] != b.labels[i]) return false;
  }
  return true;
}

/// True when `a` writes a sample or family name that `b` also writes (and they are not the same metric).
[[nodiscard]] constexpr bool names_collide(const catalog_entry& a, const catalog_entry& b) noexcept {
  const auto family = [](const catalog_entry& e) {
    return e.type == metric_type::counter ? e.name.substr(0, e.name.size() - 6) : e.name;
  };
  if (family(a) == family(b) || a.name == b.name) return true;
  const auto histogram_writes = [](const catalog_entry& h, std::string_view other) {
    if (h.type != metric_type::histogram || !other.starts_with(h.name)) return false;
    const std::string_view suffix = other.substr(h.name.size());
    return suffix == "_bucket" || suffix == "_sum" || suffix == "_count";
  };
  return histogram_writes(a, b.name) || histogram_writes(b, a.name) || histogram_writes(a, family(b)) ||
         histogram_writes(b, family(a));
}

/// Checks a catalog; the static_assert below turns a false into a build error.
template <std::size_t N>
[[nodiscard]] constexpr bool catalog_is_consistent(const std::array<catalog_entry, N>& catalog) noexcept {
  for (std::size_t i = 0; i < N; ++i) {
    if (!catalog[i].name.starts_with("arbiter_")) return false;
    for (std::size_t j = 0; j < i; ++j) {
      if (catalog[i].name == catalog[j].name) {
        // The same metric may be listed by two parts only as the very same metric.
        if (catalog[i].type != catalog[j].type || !same_labels(catalog[i], catalog[j])) return false;
      } else if (names_collide(catalog[i], catalog[j])) {
        return false;
      }
    }
  }
  return true;
}

}  // namespace detail

/// The names of arbiter's own metrics, by part. docs/metrics.md explains each one; the parts resolve their series
/// from these specs when they are built with a real Metrics policy.
namespace metric_names {

// ---- rate limiters (label `limiter`: the limiter's name) ----
inline constexpr auto rate_limiter_permits =
    counter_metric("arbiter_rate_limiter_permits_total",
                   "Permits a rate limiter was asked for, by whether it granted them.", "limiter", "outcome");

// ---- retries (label `retry`: the retry's name) ----
inline constexpr auto retry_attempts = counter_metric(
    "arbiter_retry_attempts_total", "Attempts a retry made: first attempts and retries.", "retry", "kind");
inline constexpr auto retry_gave_up = counter_metric(
    "arbiter_retry_gave_up_total", "Failed calls a retry stopped retrying, by why.", "retry", "reason");

// ---- bulkheads (label `bulkhead`: the bulkhead's name) ----
inline constexpr auto bulkhead_calls = counter_metric(
    "arbiter_bulkhead_calls_total", "Calls a bulkhead was asked to let in, by whether it did and why not.",
    "bulkhead", "outcome");
inline constexpr auto bulkhead_in_flight =
    gauge_metric("arbiter_bulkhead_in_flight", "Calls inside a bulkhead now.", "bulkhead");
inline constexpr auto bulkhead_limit =
    gauge_metric("arbiter_bulkhead_limit", "How many calls a bulkhead lets in at once now.", "bulkhead");

// ---- time limiters (label `time_limiter`: the limiter's name) ----
inline constexpr auto time_limiter_calls =
    counter_metric("arbiter_time_limiter_calls_total", "Calls a time limiter ran, by whether they ended in time.",
                   "time_limiter", "outcome");

// ---- circuit breakers (label `breaker`: the breaker's name) ----
inline constexpr auto breaker_calls = counter_metric(
    "arbiter_breaker_calls_total", "Calls a circuit breaker let through, by how they ended.", "breaker", "outcome");
inline constexpr auto breaker_rejections =
    counter_metric("arbiter_breaker_rejections_total", "Calls a circuit breaker refused, by why.", "breaker", "reason");
inline constexpr auto breaker_state = gauge_metric(
    "arbiter_breaker_state", "1 for the state a circuit breaker is in, 0 for the others.", "breaker", "state");
inline constexpr auto breaker_transitions =
    counter_metric("arbiter_breaker_transitions_total", "State changes of a circuit breaker.", "breaker", "from", "to");
inline constexpr auto breaker_call_duration =
    with_unit(histogram_metric("arbiter_breaker_call_duration_seconds", "How long the calls a breaker timed took.",
                               default_duration_buckets, "breaker"),
              "seconds");

// ---- health (label `check`: the check's name) ----
inline constexpr auto health_check_status = gauge_metric(
    "arbiter_health_check_status", "1 for a health check's last status, 0 for the others.", "check", "status");
inline constexpr auto health_check_duration =
    with_unit(histogram_metric("arbiter_health_check_duration_seconds", "How long a health check took.",
                               default_duration_buckets, "check"),
              "seconds");
inline constexpr auto health_check_timeouts =
    counter_metric("arbiter_health_check_timeouts_total", "Health checks that ran out of time.", "check");
inline constexpr auto health_status =
    gauge_metric("arbiter_health_status", "1 for a probe's overall status, 0 for the others.", "probe", "status");

// ---- shutdown ----
inline constexpr auto shutdown_step_duration = with_unit(
    gauge_metric("arbiter_shutdown_step_duration_seconds", "How long each step of the shutdown took.", "step"),
    "seconds");
inline constexpr auto shutdown_exit_code =
    gauge_metric("arbiter_shutdown_exit_code", "The exit code the shutdown chose (set when it ends).");
inline constexpr auto shutdown_deadline_exceeded =
    gauge_metric("arbiter_shutdown_deadline_exceeded", "1 when the shutdown ran past its deadline.");
inline constexpr auto drain_in_flight =
    gauge_metric("arbiter_drain_in_flight", "Work inside the drain gate (admitted and not finished).");

// ---- config ----
inline constexpr auto config_reloads =
    counter_metric("arbiter_config_reloads_total", "Config reloads, by whether they were applied.", "result");
inline constexpr auto config_version =
    gauge_metric("arbiter_config_version", "The version of the config snapshot in use (1 for the first load).");
inline constexpr auto config_last_success = with_unit(
    gauge_metric("arbiter_config_last_success_timestamp_seconds", "When the config in use was loaded (Unix time)."),
    "seconds");

// ---- tracing ----
inline constexpr auto tracing_spans_ended =
    counter_metric("arbiter_tracing_spans_ended_total", "Sampled spans that ended and were handed to export.");
inline constexpr auto tracing_spans_exported =
    counter_metric("arbiter_tracing_spans_exported_total", "Spans the exporter accepted.");
inline constexpr auto tracing_spans_dropped =
    counter_metric("arbiter_tracing_spans_dropped_total", "Spans that were not exported, by why.", "reason");
inline constexpr auto tracing_queue_depth =
    gauge_metric("arbiter_tracing_queue_depth", "Spans waiting in the batch queue.");
inline constexpr auto tracing_export_duration =
    with_unit(histogram_metric("arbiter_tracing_export_duration_seconds", "How long each export of a batch took.",
                               default_duration_buckets),
              "seconds");

}  // namespace metric_names

/// Every metric arbiter's parts write.
inline constexpr auto arbiter_metric_catalog = detail::make_catalog(
    metric_names::breaker_calls, metric_names::breaker_rejections, metric_names::breaker_state,
    metric_names::breaker_transitions, metric_names::breaker_call_duration, metric_names::health_check_status,
    metric_names::health_check_duration, metric_names::health_check_timeouts, metric_names::health_status,
    metric_names::shutdown_step_duration, metric_names::shutdown_exit_code, metric_names::shutdown_deadline_exceeded,
    metric_names::drain_in_flight, metric_names::config_reloads, metric_names::config_version,
    metric_names::config_last_success, metric_names::tracing_spans_ended, metric_names::tracing_spans_exported,
    metric_names::tracing_spans_dropped, metric_names::tracing_queue_depth, metric_names::tracing_export_duration,
    metric_names::rate_limiter_permits, metric_names::retry_attempts, metric_names::retry_gave_up,
    metric_names::bulkhead_calls, metric_names::bulkhead_in_flight, metric_names::bulkhead_limit,
    metric_names::time_limiter_calls);

static_assert(detail::catalog_is_consistent(arbiter_metric_catalog),
              "====> arbiter: two of arbiter's own metrics clash (a name outside arbiter_, one name with two types "
              "or label sets, or one sample name written by two metrics); see arbiter/metrics/catalog.hpp.");

}  // namespace arbiter::inline v1
