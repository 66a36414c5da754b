#pragma once

/// \file
/// Writes each span as one JSON object on one line of a FILE* (stdout, a file): for local runs and tests.
///
///   {"name":"GET /orders","trace_id":"4bf9...","span_id":"00f0...","parent_span_id":"...","kind":"server",
///    "start_unix_nano":"1700000000000000000","end_unix_nano":"...","duration_ns":"1234","status":"error",
///    "status_description":"...","attributes":{"http.status":500},"events":[{"name":"...","time_unix_nano":"...",
///    "attributes":{...}}],"links":[{"trace_id":"...","span_id":"..."}],"resource":{"service.name":"orders"}}
///
/// Every line is valid JSON in valid UTF-8, read exactly by jq and JavaScript, whose numbers are doubles:
/// - times and the duration are decimal strings (as in OTLP/JSON), since unix nanoseconds are beyond 2^53;
/// - an integer attribute is a number within +-(2^53 - 1), and a decimal string beyond;
/// - a non-finite double attribute is "NaN", "Infinity" or "-Infinity" (the protobuf JSON mapping's strings);
/// - ill-formed UTF-8 becomes U+FFFD, an attribute with an empty key is left out and counted in "dropped", and an
///   empty span or event name is written as "unnamed".
///
/// `resource` is there when the exporter is given an otlp_resource: with several services writing to one place,
/// each line says which service it came from.

#include <cstdint>
#include <cstdio>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

#include <arbiter/detail/chrono.hpp>
#include <arbiter/detail/json_text.hpp>
#include <arbiter/tracing/exporter.hpp>
#include <arbiter/tracing/otlp_json.hpp>
#include <arbiter/tracing/span_data.hpp>

namespace arbiter::inline v1 {

namespace detail {

/// Appends `"<value in decimal>"`: JSON-lines writes times and durations as strings, as OTLP/JSON does, because
/// unix nanoseconds are beyond 2^53, where jq and JavaScript round JSON numbers.
template <class T>
void append_quoted_decimal(std::string& out, T value) {
  out.push_back('"');
  append_decimal(out, value);
  out.push_back('"');
}

inline void append_plain_json_value(std::string& out, const attribute_value& value) {
  value.visit([&out](const auto& v) {
    using T = std::decay_t<decltype(v)>;
    if constexpr (std::is_same_v<T, std::string>) {
      append_json_string(out, v);
    } else if constexpr (std::is_same_v<T, std::int64_t>) {
      // A number while every JSON reader holds it exactly, a string beyond (as OTLP/JSON's intValue always is).
      if (v >= -json_max_safe_integer && v <= json_max_safe_integer) {
        append_decimal(out, v);
      } else {
        append_quoted_decimal(out, v);
      }
    } else if constexpr (std::is_same_v<T, double>) {
      append_json_number(out, v);
    } else if constexpr (std::is_same_v<T, bool>) {
      out += v ? "true" : "false";
    } else {
      out.push_back('[');
      bool first = true;
      for (const auto& element : v) {
        if (!first) out.push_back(',');
        first = false;
        append_plain_json_value(out, attribute_value(static_cast<typename T::value_type>(element)));
      }
      out.push_back(']');
    }
  });
}

/// Appends the attributes as one JSON object, leaving out those with an empty key (as the OTLP encoder does);
/// returns how many it left out.
inline std::uint32_t append_plain_json_attributes(std::string& out, const attribute_list& attributes) {
  std::uint32_t left_out = 0;
  out.push_back('{');
  bool first = true;
  for (const auto& [key, value] : attributes) {
    if (key.empty()) [[unlikely]] {
      ++left_out;
      continue;
    }
    if (!first) out.push_back(',');
    first = false;
    append_json_string(out, key);
    out.push_back(':');
    append_plain_json_value(out, value);
  }
  out.push_back('}');
  return left_out;
}

/// Appends `,"resource":{...}` with the resource attributes as otlp_json writes them: service.name,
/// service.version and deployment.environment first (when set), then the others except those three, each key once.
inline void append_json_line_resource(std::string& out, const otlp_resource& resource) {
  attribute_list attributes{{"service.name", resource.service_name}};
  if (!resource.service_version.empty()) attributes.emplace_back("service.version", resource.service_version);
  if (!resource.deployment_environment.empty()) {
    attributes.emplace_back("deployment.environment", resource.deployment_environment);
  }
  for (const auto& [key, value] : resource.attributes) {
    if (key == "service.name" || key == "service.version" || key == "deployment.environment") continue;
    put_attribute(attributes, key, value);  // a key repeated in a resource built by hand: once, the later value
  }
  out += ",\"resource\":";
  (void)append_plain_json_attributes(out, attributes);
}

/// Appends the fields of `span`'s JSON line: the object without its closing brace.
inline void append_json_line_fields(std::string& out, const span_data& span) {
  out += "{\"name\":";
  append_json_string(out, exported_name(span.name));
  out += ",\"trace_id\":";
  append_hex_id(out, span.context.trace_id, 32);
  out += ",\"span_id\":";
  append_hex_id(out, span.context.span_id, 16);
  if (span.parent_span_id.valid()) {
    out += ",\"parent_span_id\":";
    append_hex_id(out, span.parent_span_id, 16);
  }
  out += ",\"kind\":";
  append_json_string(out, to_string(span.kind));
  out += ",\"start_unix_nano\":";
  append_quoted_decimal(out, unix_nanos(span.start_time));
  out += ",\"end_unix_nano\":";
  append_quoted_decimal(out, unix_nanos(span.end_time));
  out += ",\"duration_ns\":";
  append_quoted_decimal(out,
                        std::chrono::duration_cast<std::chrono::nanoseconds>(span.end_time - span.start_time).count());
  out += ",\"status\":";
  append_json_string(out, to_string(span.status));
  if (!span.status_description.empty()) {
    out += ",\"status_description\":";
    append_json_string(out, span.status_description);
  }
  out += ",\"attributes\":";
  const std::uint32_t dropped_attributes =
      saturating_add(span.dropped_attributes, append_plain_json_attributes(out, span.attributes));
  if (!span.events.empty()) {
    out += ",\"events\":[";
    bool first = true;
    for (const auto& event : span.events) {
      if (!first) out.push_back(',');
      first = false;
      out += "{\"name\":";
      append_json_string(out, exported_name(event.name));
      out += ",\"time_unix_nano\":";
      append_quoted_decimal(out, unix_nanos(event.time));
      out += ",\"attributes\":";
      const std::uint32_t event_dropped =
          saturating_add(event.dropped_attributes, append_plain_json_attributes(out, event.attributes));
      if (event_dropped > 0) {
        out += ",\"dropped_attributes\":";
        append_decimal(out, event_dropped);
      }
      out.push_back('}');
    }
    out.push_back(']');
  }
  if (!span.links.empty()) {
    out += ",\"links\":[";
    bool first = true;
    for (const auto& link : span.links) {
      if (!first) out.push_back(',');
      first = false;
      out += "{\"trace_id\":";
      append_hex_id(out, link.context.trace_id, 32);
      out += ",\"span_id\":";
      append_hex_id(out, link.context.span_id, 16);
      out.push_back('}');
    }
    out.push_back(']');
  }
  if (dropped_attributes > 0 || span.dropped_events > 0 || span.dropped_links > 0) {
    out += ",\"dropped\":{\"attributes\":";
    append_decimal(out, dropped_attributes);
    out += ",\"events\":";
    append_decimal(out, span.dropped_events);
    out += ",\"links\":";
    append_decimal(out, span.dropped_links);
    out.push_back('}');
  }
}

}  // namespace detail

/// Appends `span` as one JSON line (with the trailing newline).
inline void append_json_line(std::string& out, const span_data& span) {
  detail::append_json_line_fields(out, span);
  out += "}\n";
}

/// A SpanExporter writing JSON lines to a FILE* it does not own. Each batch is written with one fwrite and flushed,
/// so lines from several processes appending to one file do not interleave mid-line.
class json_lines_exporter {
 public:
  explicit json_lines_exporter(std::FILE* file) noexcept : file_(file) {}

  /// Writes `resource` (service.name and the other resource attributes) as `"resource"` on every line.
  json_lines_exporter(std::FILE* file, const otlp_resource& resource) : file_(file) {
    detail::append_json_line_resource(resource_json_, resource);
  }

  export_result export_spans(std::span<const span_data> batch, std::chrono::milliseconds /*timeout*/) {
    return write(batch);
  }
  export_result export_spans(span_refs batch, std::chrono::milliseconds /*timeout*/) { return write(batch); }

 private:
  template <class Range>
  export_result write(const Range& batch) {
    if (file_ == nullptr) return export_result::fail("json_lines_exporter: no file to write to");
    std::string text;
    text.reserve(batch.size() * 256);
    for (const auto& span : batch) {
      detail::append_json_line_fields(text, detail::span_of(span));
      text += resource_json_;  // rendered once, in the constructor
      text += "}\n";
    }
    if (std::fwrite(text.data(), 1, text.size(), file_) != text.size() || std::fflush(file_) != 0) {
      return export_result::fail("json_lines_exporter: writing " + std::to_string(text.size()) + " bytes failed");
    }
    return export_result::success();
  }

  std::FILE* file_;
  std::string resource_json_;  ///< `,"resource":{...}`, or empty
};

static_assert(SpanExporter<json_lines_exporter> && InPlaceSpanExporter<json_lines_exporter>);

}  // namespace arbiter::inline v1
