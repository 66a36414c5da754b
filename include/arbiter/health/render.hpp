#pragma once

/// \file
/// Renders a health_report for HTTP, independent of any server: the IETF health check response format
/// (draft-inadarei-api-health-check, `application/health+json`) and a short plain form for Kubernetes probes.
/// Both come with their HTTP status: 200 for pass and warn, 503 for fail.
///
/// health+json, as written here:
///   { "status": "pass" | "warn" | "fail",
///     "serviceId", "version", "releaseId", "description": from health_json_options, when set,
///     "output": why the whole is not pass (omitted for pass),
///     "checks": { "<component:measurement>": [ {
///         "componentId": ..., "componentType": "component" | "datastore" | "system",
///         "status": ..., "observedValue": ..., "observedUnit": ...,
///         "time": RFC 3339 (omitted before the first run), "output": message (omitted for pass),
///         "durationMs": how long the check ran, "details": { key: value, ... } (when any) } ] } }
/// observedValue/observedUnit are the check's own measurement when it reports one, otherwise its duration in "ms";
/// a measurement that is not finite is the string "NaN", "Infinity" or "-Infinity" (JSON has no number for it).
/// Every string is valid UTF-8: ill-formed bytes (in a check's exception message, say) are written as U+FFFD.
/// A check with instances (dynamic_checks) has one array element per instance, with the instance as componentId.

#include <charconv>
#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>

#include <arbiter/detail/chrono.hpp>
#include <arbiter/detail/json_text.hpp>
#include <arbiter/detail/timestamp.hpp>
#include <arbiter/health/report.hpp>

namespace arbiter::inline v1 {

/// The media type of the IETF health check response format.
inline constexpr std::string_view health_json_content_type = "application/health+json";
/// The media type of the plain form.
inline constexpr std::string_view health_plain_content_type = "text/plain; charset=utf-8";

/// Optional top-level fields of the health+json document; empty fields are left out.
struct health_json_options {
  std::string_view service_id{};
  std::string_view version{};
  std::string_view release_id{};
  std::string_view description{};
};

/// A rendered probe answer, ready for any HTTP server.
struct probe_response {
  int http_status = 200;
  std::string_view content_type{};
  std::string body{};
};

namespace detail {

template <class Buffer>
void append_json_key(Buffer& out, std::string_view key) {
  append_json_string(out, key);
  out.push_back(':');
}

inline void append_milliseconds(std::string& out, std::chrono::nanoseconds duration) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(duration).count();
  char buffer[32];  // fixed notation, shortest digits: "12.5", "0.001", "86400000" (never an exponent)
  out.append(buffer, std::to_chars(buffer, buffer + sizeof buffer, static_cast<double>(us) / 1000.0,
                                   std::chars_format::fixed)
                         .ptr);
}

inline void append_health_json_element(std::string& out, const check_report& check, std::string_view component_id,
                                       health_status status, std::string_view message) {
  const check_result& result = check.result;
  out.push_back('{');
  if (!component_id.empty()) {
    append_json_key(out, "componentId");
    append_json_string(out, component_id);
    out.push_back(',');
  }
  append_json_key(out, "componentType");
  append_json_string(out, to_string(check.type));
  out.push_back(',');
  append_json_key(out, "status");
  append_json_string(out, to_ietf_status(status));
  out.append(",\"observedValue\":");
  if (result.observed_value) {
    append_json_number(out, *result.observed_value);  // a NaN or infinite measurement as "NaN", "Infinity"
    out.append(",\"observedUnit\":");
    append_json_string(out, result.observed_unit);
  } else {
    append_milliseconds(out, result.duration);
    out.append(",\"observedUnit\":\"ms\"");
  }
  if (check.checked) {
    out.append(",\"time\":\"");
    append_rfc3339(out, result.time);
    out.push_back('"');
  }
  if (status != health_status::healthy && !message.empty()) {
    out.append(",\"output\":");
    append_json_string(out, message);
  }
  out.append(",\"durationMs\":");
  append_milliseconds(out, result.duration);
  if (!result.details.empty()) {
    out.append(",\"details\":{");
    bool first = true;
    for (const auto& [key, value] : result.details) {
      if (!first) out.push_back(',');
      first = false;
      append_json_key(out, key);
      append_json_string(out, value);
    }
    out.push_back('}');
  }
  out.push_back('}');
}

/// Appends `text` to a line of the plain form: line breaks as spaces, ill-formed UTF-8 as U+FFFD (the form says
/// charset=utf-8).
inline void append_plain_line_text(std::string& out, std::string_view text) {
  const std::size_t at = out.size();
  append_valid_utf8(out, text);
  for (std::size_t i = at; i < out.size(); ++i) {
    if (out[i] == '\n' || out[i] == '\r') out[i] = ' ';
  }
}

inline void append_top_level_field(std::string& out, std::string_view key, std::string_view value) {
  if (value.empty()) return;
  out.push_back(',');
  append_json_key(out, key);
  append_json_string(out, value);
}

}  // namespace detail

/// Appends the health+json document for `report` to `out` (see the file comment for the shape).
inline void render_health_json(std::string& out, const health_report& report, const health_json_options& options = {}) {
  out.append("{\"status\":");
  detail::append_json_string(out, to_ietf_status(report.status));
  detail::append_top_level_field(out, "version", options.version);
  detail::append_top_level_field(out, "releaseId", options.release_id);
  detail::append_top_level_field(out, "serviceId", options.service_id);
  detail::append_top_level_field(out, "description", options.description);
  if (report.status != health_status::healthy) detail::append_top_level_field(out, "output", report.output);
  out.append(",\"checks\":{");
  bool first = true;
  for (const auto& check : report.checks) {
    if (!first) out.push_back(',');
    first = false;
    detail::append_json_key(out, check.name);
    out.push_back('[');
    if (check.result.instances.empty()) {
      detail::append_health_json_element(out, check, check.component_id, check.result.status, check.result.message);
    } else {
      bool first_instance = true;
      for (const auto& instance : check.result.instances) {
        if (!first_instance) out.push_back(',');
        first_instance = false;
        detail::append_health_json_element(out, check, instance.component_id, instance.status, instance.message);
      }
    }
    out.push_back(']');
  }
  out.append("}}");
}

/// Returns the health+json document for `report`.
[[nodiscard]] inline std::string render_health_json(const health_report& report,
                                                    const health_json_options& options = {}) {
  std::string out;
  out.reserve(128 + report.checks.size() * 192);
  render_health_json(out, report, options);
  return out;
}

/// Returns the plain form: the IETF status word on the first line, then one line per check that is not HEALTHY
/// (`name: warn|fail: message`). Short enough for a Kubernetes probe log.
[[nodiscard]] inline std::string render_plain(const health_report& report) {
  std::string out(to_ietf_status(report.status));
  if (!report.accepting_traffic) out.append(" (refusing traffic)");
  out.push_back('\n');
  for (const auto& check : report.checks) {
    if (check.result.status == health_status::healthy) continue;
    detail::append_plain_line_text(out, check.name);
    out.append(": ");
    out.append(to_ietf_status(check.result.status));
    if (!check.result.message.empty()) {
      out.append(": ");
      detail::append_plain_line_text(out, check.result.message);
    }
    out.push_back('\n');
  }
  return out;
}

/// Returns the health+json answer with its HTTP status.
[[nodiscard]] inline probe_response health_json_response(const health_report& report,
                                                         const health_json_options& options = {}) {
  return {http_status(report.status), health_json_content_type, render_health_json(report, options)};
}

/// Returns the plain answer with its HTTP status.
[[nodiscard]] inline probe_response plain_response(const health_report& report) {
  return {http_status(report.status), health_plain_content_type, render_plain(report)};
}

}  // namespace arbiter::inline v1
