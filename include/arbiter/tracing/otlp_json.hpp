#pragma once

/// \file
/// Encodes spans as an OTLP `ExportTraceServiceRequest` in the protobuf JSON mapping, the body of
/// `POST /v1/traces` with `Content-Type: application/json`: resourceSpans -> scopeSpans -> spans; trace and span ids
/// as lowercase hex; times as unix nanoseconds in decimal strings; enums as integers; attributes as key/value with a
/// typed value (`stringValue`, `intValue` as a decimal string, `doubleValue`, `boolValue`, `arrayValue`).
/// No sockets, no JSON library: testable and benchmarkable alone.

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <variant>
#include <vector>

#include <arbiter/detail/json_text.hpp>
#include <arbiter/tracing/span_data.hpp>

namespace arbiter::inline v1 {

/// The resource every exported span belongs to (the service), and the instrumentation scope.
struct otlp_resource {
  std::string service_name = "unknown_service";
  std::string service_version;
  std::string deployment_environment;
  attribute_list attributes;  ///< more resource attributes (e.g. from OTEL_RESOURCE_ATTRIBUTES)
  std::string scope_name = "arbiter";
  std::string scope_version = "0.1.0";
};

namespace detail {

template <class T>
void append_decimal(std::string& out, T value) {
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  out.append(buffer, result.ptr);
}

/// Appends a double as the shortest JSON number that reads back the same; non-finite values as the strings the
/// protobuf JSON mapping uses ("NaN", "Infinity", "-Infinity").
inline void append_json_double(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "\"NaN\"";
  } else if (std::isinf(value)) {
    out += value > 0 ? "\"Infinity\"" : "\"-Infinity\"";
  } else {
    append_decimal(out, value);
  }
}

[[nodiscard]] inline std::uint64_t unix_nanos(std::chrono::system_clock::time_point time) noexcept {
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(time.time_since_epoch()).count();
  return ns < 0 ? 0 : static_cast<std::uint64_t>(ns);
}

/// Appends `"<unix nanoseconds>"` (a string: JSON numbers lose precision beyond 2^53).
inline void append_nanos_string(std::string& out, std::chrono::system_clock::time_point time) {
  out.push_back('"');
  append_decimal(out, unix_nanos(time));
  out.push_back('"');
}

template <class Id>
void append_hex_id(std::string& out, const Id& id, std::size_t digits) {
  out.push_back('"');
  const std::size_t at = out.size();
  out.resize(at + digits);
  id.to_hex(out.data() + at);
  out.push_back('"');
}

inline void append_otlp_string_value(std::string& out, std::string_view text) {
  out += "{\"stringValue\":";
  append_json_string(out, text);
  out.push_back('}');
}
inline void append_otlp_int_value(std::string& out, std::int64_t value) {
  out += "{\"intValue\":\"";
  append_decimal(out, value);
  out += "\"}";
}
inline void append_otlp_double_value(std::string& out, double value) {
  out += "{\"doubleValue\":";
  append_json_double(out, value);
  out.push_back('}');
}
inline void append_otlp_bool_value(std::string& out, bool value) {
  out += value ? "{\"boolValue\":true}" : "{\"boolValue\":false}";
}

/// Appends an OTLP AnyValue object for `value`.
inline void append_otlp_any_value(std::string& out, const attribute_value& value) {
  std::visit(
      [&out](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string>) {
          append_otlp_string_value(out, v);
        } else if constexpr (std::is_same_v<T, std::int64_t>) {
          append_otlp_int_value(out, v);
        } else if constexpr (std::is_same_v<T, double>) {
          append_otlp_double_value(out, v);
        } else if constexpr (std::is_same_v<T, bool>) {
          append_otlp_bool_value(out, v);
        } else {
          out += "{\"arrayValue\":{\"values\":[";
          bool first = true;
          for (const auto& element : v) {
            if (!first) out.push_back(',');
            first = false;
            using E = typename T::value_type;
            if constexpr (std::is_same_v<E, std::string>) {
              append_otlp_string_value(out, element);
            } else if constexpr (std::is_same_v<E, std::int64_t>) {
              append_otlp_int_value(out, element);
            } else if constexpr (std::is_same_v<E, double>) {
              append_otlp_double_value(out, element);
            } else {
              append_otlp_bool_value(out, static_cast<bool>(element));
            }
          }
          out += "]}}";
        }
      },
      value);
}

inline void append_otlp_key_value(std::string& out, std::string_view key, const attribute_value& value) {
  out += "{\"key\":";
  append_json_string(out, key);
  out += ",\"value\":";
  append_otlp_any_value(out, value);
  out.push_back('}');
}

/// Appends `"attributes":[...]` (nothing when empty, as proto3 JSON omits empty repeated fields).
inline void append_otlp_attributes(std::string& out, const attribute_list& attributes) {
  if (attributes.empty()) return;
  out += ",\"attributes\":[";
  bool first = true;
  for (const auto& [key, value] : attributes) {
    if (!first) out.push_back(',');
    first = false;
    append_otlp_key_value(out, key, value);
  }
  out.push_back(']');
}

inline void append_otlp_dropped(std::string& out, std::string_view field, std::uint32_t count) {
  if (count == 0) return;
  out += ",\"";
  out += field;
  out += "\":";
  append_decimal(out, count);
}

}  // namespace detail

/// Appends one OTLP Span object.
inline void append_otlp_span(std::string& out, const span_data& span) {
  out += "{\"traceId\":";
  detail::append_hex_id(out, span.context.trace_id, 32);
  out += ",\"spanId\":";
  detail::append_hex_id(out, span.context.span_id, 16);
  if (span.parent_span_id.valid()) {
    out += ",\"parentSpanId\":";
    detail::append_hex_id(out, span.parent_span_id, 16);
  }
  out += ",\"flags\":";
  detail::append_decimal(out, static_cast<unsigned>(span.context.flags));
  out += ",\"name\":";
  detail::append_json_string(out, span.name);
  out += ",\"kind\":";
  detail::append_decimal(out, static_cast<int>(span.kind) + 1);  // SPAN_KIND_INTERNAL is 1
  out += ",\"startTimeUnixNano\":";
  detail::append_nanos_string(out, span.start_time);
  out += ",\"endTimeUnixNano\":";
  detail::append_nanos_string(out, span.end_time);
  detail::append_otlp_attributes(out, span.attributes);
  detail::append_otlp_dropped(out, "droppedAttributesCount", span.dropped_attributes);
  if (!span.events.empty()) {
    out += ",\"events\":[";
    bool first = true;
    for (const auto& event : span.events) {
      if (!first) out.push_back(',');
      first = false;
      out += "{\"timeUnixNano\":";
      detail::append_nanos_string(out, event.time);
      out += ",\"name\":";
      detail::append_json_string(out, event.name);
      detail::append_otlp_attributes(out, event.attributes);
      out.push_back('}');
    }
    out.push_back(']');
  }
  detail::append_otlp_dropped(out, "droppedEventsCount", span.dropped_events);
  if (!span.links.empty()) {
    out += ",\"links\":[";
    bool first = true;
    for (const auto& link : span.links) {
      if (!first) out.push_back(',');
      first = false;
      out += "{\"traceId\":";
      detail::append_hex_id(out, link.context.trace_id, 32);
      out += ",\"spanId\":";
      detail::append_hex_id(out, link.context.span_id, 16);
      out += ",\"flags\":";
      detail::append_decimal(out, static_cast<unsigned>(link.context.flags));
      detail::append_otlp_attributes(out, link.attributes);
      out.push_back('}');
    }
    out.push_back(']');
  }
  detail::append_otlp_dropped(out, "droppedLinksCount", span.dropped_links);
  out += ",\"status\":{";
  if (span.status != span_status::unset) {
    out += "\"code\":";
    detail::append_decimal(out, static_cast<int>(span.status));  // UNSET 0, OK 1, ERROR 2
    if (!span.status_description.empty()) {
      out += ",\"message\":";
      detail::append_json_string(out, span.status_description);
    }
  }
  out += "}}";
}

/// Appends a whole `ExportTraceServiceRequest` carrying `spans` for `resource`.
inline void encode_otlp_json(std::string& out, std::span<const span_data> spans, const otlp_resource& resource) {
  out += "{\"resourceSpans\":[{\"resource\":{\"attributes\":[";
  detail::append_otlp_key_value(out, "service.name", resource.service_name);
  if (!resource.service_version.empty()) {
    out.push_back(',');
    detail::append_otlp_key_value(out, "service.version", resource.service_version);
  }
  if (!resource.deployment_environment.empty()) {
    out.push_back(',');
    detail::append_otlp_key_value(out, "deployment.environment", resource.deployment_environment);
  }
  for (const auto& [key, value] : resource.attributes) {
    if (key == "service.name" || key == "service.version" || key == "deployment.environment") continue;
    out.push_back(',');
    detail::append_otlp_key_value(out, key, value);
  }
  out += "]},\"scopeSpans\":[{\"scope\":{\"name\":";
  detail::append_json_string(out, resource.scope_name);
  if (!resource.scope_version.empty()) {
    out += ",\"version\":";
    detail::append_json_string(out, resource.scope_version);
  }
  out += "},\"spans\":[";
  bool first = true;
  for (const auto& span : spans) {
    if (!first) out.push_back(',');
    first = false;
    append_otlp_span(out, span);
  }
  out += "]}]}]}";
}

/// Returns the `ExportTraceServiceRequest` JSON for `spans`.
[[nodiscard]] inline std::string otlp_json(std::span<const span_data> spans, const otlp_resource& resource) {
  std::string out;
  out.reserve(256 + spans.size() * 320);
  encode_otlp_json(out, spans, resource);
  return out;
}

}  // namespace arbiter::inline v1
