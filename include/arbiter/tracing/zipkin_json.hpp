#pragma once

/// \file
/// Encodes spans as a Zipkin v2 `ListOfSpans` in JSON, the body of `POST /api/v2/spans` with
/// `Content-Type: application/json` (openzipkin/zipkin-api, zipkin2-api.yaml), mapped as the OpenTelemetry
/// specification's Zipkin exporter document and its generic non-OTLP rules say:
///
/// | span_data | Zipkin v2 |
/// | --- | --- |
/// | context.trace_id, context.span_id | `traceId` (32 lowercase hex digits), `id` (16) |
/// | parent_span_id | `parentId`, absent for a root |
/// | name | `name`, absent when empty (Zipkin: "leave absent if unknown") |
/// | kind | `kind`: `CLIENT`, `SERVER`, `PRODUCER`, `CONSUMER`; absent for internal |
/// | start_time, end_time | `timestamp` (unix microseconds), `duration` (microseconds, truncated, at least 1) |
/// | resource service.name | `localEndpoint.serviceName` (empty: `unknown_service`, the default resource's) |
/// | attributes | `tags`, every value a string (below) |
/// | other resource attributes | `tags` (a span attribute with the same key wins) |
/// | peer.service, server.address, ... | `remoteEndpoint` of a CLIENT or PRODUCER span, by the spec's ranking |
/// | events | `annotations`: `timestamp`, and the value `"<name>":{<attributes as JSON>}` |
/// | status ok / error | tag `otel.status_code` `OK` / `ERROR`; for error, tag `error`: the description or "" |
/// | scope name, version | tags `otel.scope.name`, `otel.scope.version`, and the deprecated `otel.library.*` |
/// | dropped counts | tags `otel.dropped_attributes_count`, `_events_count`, `_links_count` when not 0 |
/// | a SERVER span that joined its remote client's span | `shared: true` (below) |
/// | links, trace_state | not written (the specification maps neither) |
///
/// Tag values: strings as they are, bools `"true"` / `"false"`, integers in decimal, doubles in the shortest form
/// that reads back the same (`NaN`, `Infinity`, `-Infinity`), arrays as a JSON list (`["a","b"]`, `[1,2]`).
/// The dropped attribute count includes the attributes left out for an empty key.
///
/// `shared` means, in Zipkin's model, that the span *is* the client's span, reported from the server side: Zipkin
/// then finds its parent by its own `id` and ignores `parentId`. arbiter's tracers give a server span its own id
/// (its parent is the client's span), so they never make a shared span, and marking one shared would detach it from
/// its client in Zipkin's trace tree. A SERVER span recorded under its client's id (parent_span_id equal to its own
/// span id, parent_remote set: a span joined as B3 does it, built by hand or by a bridge) is written `shared: true`,
/// without a parentId pointing at itself.
///
/// A span attribute named like a tag written here (`error` on an error span, `otel.status_code`, `otel.scope.*`,
/// ...) gives way to it, and a boolean `error` of false (`false` or `"false"`) is left out, as the specification
/// says: Zipkin counts any span with an `error` tag as failed. An attribute with an empty key is left out and
/// counted. Attribute keys are written as recorded: a key repeated within one span (sdk_tracer never records one
/// twice) is written twice, and readers keep the last value, as span_data::attribute() does.
/// Every string goes through detail/json_text.hpp (escapes, valid UTF-8); no sockets, no JSON library.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <arbiter/detail/chrono.hpp>
#include <arbiter/detail/json_text.hpp>
#include <arbiter/tracing/exporter.hpp>
#include <arbiter/tracing/otlp_json.hpp>
#include <arbiter/tracing/span_data.hpp>

namespace arbiter::inline v1 {

namespace detail {

/// Appends `value` as JSON (not as a Zipkin tag string): strings quoted, numbers and bools bare, arrays as JSON
/// arrays, non-finite doubles as json_non_finite. What event attributes and array tags are written as.
inline void append_zipkin_json_value(std::string& out, const attribute_value& value) {
  const auto list = [&out](const auto& values, auto element) {
    out.push_back('[');
    bool first = true;
    for (const auto& e : values) {
      if (!first) out.push_back(',');
      first = false;
      element(e);
    }
    out.push_back(']');
  };
  const auto boolean = [&out](bool b) { out.append(b ? "true" : "false"); };
  if (const auto* text = value.get_if<std::string>()) {
    append_json_string(out, *text);
  } else if (const auto* integer = value.get_if<std::int64_t>()) {
    append_decimal(out, *integer);
  } else if (const auto* flag = value.get_if<bool>()) {
    boolean(*flag);
  } else if (const auto* real = value.get_if<double>()) {
    append_json_number(out, *real);
  } else if (const auto* texts = value.get_if<std::vector<std::string>>()) {
    list(*texts, [&out](const std::string& e) { append_json_string(out, e); });
  } else if (const auto* integers = value.get_if<std::vector<std::int64_t>>()) {
    list(*integers, [&out](std::int64_t e) { append_decimal(out, e); });
  } else if (const auto* reals = value.get_if<std::vector<double>>()) {
    list(*reals, [&out](double e) { append_json_number(out, e); });
  } else if (const auto* flags = value.get_if<std::vector<bool>>()) {
    list(*flags, boolean);
  }
}

/// Appends the text of `value` as a Zipkin tag (unquoted, unescaped): strings as they are, numbers in decimal
/// (non-finite doubles as NaN, Infinity, -Infinity), bools as true / false, arrays as a JSON list.
inline void append_zipkin_tag_text(std::string& out, const attribute_value& value) {
  if (const auto* text = value.get_if<std::string>()) {
    out.append(*text);
  } else if (const auto* real = value.get_if<double>(); real != nullptr && !is_finite(*real)) {
    const std::string_view quoted = json_non_finite(*real);  // "NaN": the text is inside the quotes
    out.append(quoted.substr(1, quoted.size() - 2));
  } else {
    append_zipkin_json_value(out, value);  // a number, a bool or a list: its JSON is its text
  }
}

/// True for the boolean `error` a span may carry that the specification says to leave out: false or "false".
[[nodiscard]] inline bool is_false_error(const attribute_value& value) noexcept {
  if (const auto* flag = value.get_if<bool>()) return !*flag;
  if (const auto* text = value.get_if<std::string>()) return *text == "false";
  return false;
}

/// Which tags of its own the encoder writes on a span: an attribute with one of these keys gives way.
struct zipkin_own_tags {
  bool status_code = false;
  bool error = false;
  bool dropped_attributes = false;
  bool dropped_events = false;
  bool dropped_links = false;
  bool scope_name = false;
  bool scope_version = false;

  /// True when the encoder writes a tag named `key` itself.
  [[nodiscard]] bool taken(std::string_view key) const noexcept {
    if (key.size() < 15) return key == "error" && error;  // "otel.scope.name", the shortest otel.* tag, has 15
    if (key.substr(0, 5) != "otel.") return false;
    const std::string_view rest = key.substr(5);
    return (rest == "status_code" && status_code) || (rest == "dropped_attributes_count" && dropped_attributes) ||
           (rest == "dropped_events_count" && dropped_events) || (rest == "dropped_links_count" && dropped_links) ||
           ((rest == "scope.name" || rest == "library.name") && scope_name) ||
           ((rest == "scope.version" || rest == "library.version") && scope_version);
  }
};

/// Appends `"<key>":"<text>"`, escaped: a tag rendered once for a whole batch.
inline void append_zipkin_tag(std::string& out, std::string_view key, std::string_view text) {
  append_json_string(out, key);
  out.push_back(':');
  append_json_string(out, text);
}

/// A resource attribute as a tag, rendered once per batch.
struct zipkin_resource_tag {
  std::string_view key;
  std::string fragment;   ///< `"<key>":"<text>"`, escaped
  bool reserved = false;  ///< named like a tag of the encoder's own (`error`, `otel.*`): checked per span
};

/// What every span of a batch shares, rendered once: the local endpoint, the resource tags, the scope tags.
struct zipkin_batch {
  std::string local_endpoint;  ///< `,"localEndpoint":{"serviceName":"..."}`
  std::vector<zipkin_resource_tag> resource_tags;
  std::string scope_tags;  ///< `"otel.scope.name":"...",...`, or empty
  bool scope_name = false;
  bool scope_version = false;
  std::string scratch;  ///< where a JSON-in-a-string (an array tag, an annotation) is assembled before quoting

  explicit zipkin_batch(const otlp_resource& resource)
      : scope_name(!resource.scope_name.empty()), scope_version(!resource.scope_version.empty()) {
    local_endpoint = ",\"localEndpoint\":{\"serviceName\":";
    append_json_string(local_endpoint, resource.service_name.empty() ? std::string_view("unknown_service")
                                                                     : std::string_view(resource.service_name));
    local_endpoint.push_back('}');
    const auto add = [this](std::string_view key, std::string_view text) {
      zipkin_resource_tag tag{key, {}, key == "error" || key.substr(0, 5) == "otel."};
      append_zipkin_tag(tag.fragment, key, text);
      resource_tags.push_back(std::move(tag));
    };
    if (!resource.service_version.empty()) add("service.version", resource.service_version);
    if (!resource.deployment_environment.empty()) add("deployment.environment", resource.deployment_environment);
    std::string text;
    for (const auto& [key, value] : resource.attributes) {
      if (key.empty() || key == "service.name" || key == "service.version" || key == "deployment.environment") {
        continue;
      }
      if (key == "error" && is_false_error(value)) continue;
      text.clear();
      append_zipkin_tag_text(text, value);
      add(key, text);
    }
    const auto add_scope = [this](std::string_view key, std::string_view value) {
      if (!scope_tags.empty()) scope_tags.push_back(',');
      append_zipkin_tag(scope_tags, key, value);
    };
    if (scope_name) {
      add_scope("otel.scope.name", resource.scope_name);
      add_scope("otel.library.name", resource.scope_name);
    }
    if (scope_version) {
      add_scope("otel.scope.version", resource.scope_version);
      add_scope("otel.library.version", resource.scope_version);
    }
  }
};

/// Writes `"<key>":"<count>"` (after a comma unless it is the first tag).
template <std::size_t N>
void write_zipkin_count_tag(otlp_writer& out, bool& first, const char (&key_colon_quote)[N], std::uint32_t count) {
  if (!first) out.character(',');
  first = false;
  out.literal(key_colon_quote);
  out.character('"');
  out.decimal(count);
  out.character('"');
}

/// Writes the tag value (a JSON string) for `value`.
inline void write_zipkin_tag_value(otlp_writer& out, const attribute_value& value, std::string& scratch) {
  if (const auto* text = value.get_if<std::string>()) {
    out.quoted(*text);
  } else if (const auto* integer = value.get_if<std::int64_t>()) {
    out.character('"');
    out.decimal(*integer);
    out.character('"');
  } else if (const auto* flag = value.get_if<bool>()) {
    if (*flag) {
      out.literal("\"true\"");
    } else {
      out.literal("\"false\"");
    }
  } else if (const auto* real = value.get_if<double>()) {
    if (is_finite(*real)) {
      out.character('"');
      out.number(*real);
      out.character('"');
    } else {
      out.number(*real);  // "NaN", "Infinity", "-Infinity", quoted already
    }
  } else {
    scratch.clear();
    append_zipkin_json_value(scratch, value);
    out.quoted(scratch);
  }
}

/// Returns the value of the integer attribute `key` when it is a port (1 to 65535), or 0.
[[nodiscard]] inline std::int64_t port_attribute(const attribute_list& attributes, std::string_view key) noexcept {
  for (auto it = attributes.rbegin(); it != attributes.rend(); ++it) {
    if (it->first != key) continue;
    const auto* port = it->second.get_if<std::int64_t>();
    return port != nullptr && *port >= 1 && *port <= 65535 ? *port : 0;
  }
  return 0;
}

/// True when `text` is a dotted-quad IPv4 address.
[[nodiscard]] constexpr bool is_ipv4_literal(std::string_view text) noexcept {
  int parts = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    unsigned value = 0;
    std::size_t digits = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9' && digits < 4) {
      value = value * 10 + static_cast<unsigned>(text[i] - '0');
      ++i;
      ++digits;
    }
    if (digits == 0 || digits > 3 || value > 255) return false;
    ++parts;
    if (i == text.size()) break;
    if (text[i] != '.' || parts == 4) return false;
    ++i;
    if (i == text.size()) return false;
  }
  return parts == 4;
}

/// True when `text` looks like an IPv6 address (hex digits and ':', an embedded IPv4 tail allowed): at least two
/// colons ("::1"), so a "host:port" such as "cafe:80" is not taken for one.
[[nodiscard]] constexpr bool is_ipv6_literal(std::string_view text) noexcept {
  std::size_t colons = 0;
  for (const char c : text) colons += c == ':' ? 1 : 0;
  if (colons < 2) return false;
  for (const char c : text) {
    const bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    if (!hex && c != ':' && c != '.') return false;
  }
  return true;
}

/// The attributes a remoteEndpoint is taken from, in the specification's ranking (best first), with the attribute
/// that holds the port for an address.
struct zipkin_remote_candidate {
  std::string_view key;
  std::string_view port_key;
};
inline constexpr zipkin_remote_candidate zipkin_remote_ranking[] = {
    {"peer.service", {}},
    {"server.address", "server.port"},
    {"net.peer.name", "net.peer.port"},
    {"network.peer.address", "network.peer.port"},
    {"server.socket.domain", {}},
    {"server.socket.address", "server.socket.port"},
    {"net.sock.peer.name", {}},
    {"net.sock.peer.addr", "net.sock.peer.port"},
    {"peer.hostname", {}},
    {"peer.address", {}},
    {"db.name", {}},
};
inline constexpr std::size_t zipkin_no_rank = sizeof zipkin_remote_ranking / sizeof zipkin_remote_ranking[0];

/// Returns the rank of `key` in zipkin_remote_ranking, or zipkin_no_rank. Most keys are ruled out by their first
/// byte and length without a comparison of their text.
[[nodiscard]] constexpr std::size_t zipkin_remote_rank(std::string_view key) noexcept {
  if (key.size() < 7 || key.size() > 21) return zipkin_no_rank;
  const char c = key[0];
  if (c != 'p' && c != 's' && c != 'n' && c != 'd') return zipkin_no_rank;
  for (std::size_t rank = 0; rank < zipkin_no_rank; ++rank) {
    if (zipkin_remote_ranking[rank].key == key) return rank;
  }
  return zipkin_no_rank;
}

/// Writes `,"remoteEndpoint":{...}` for a CLIENT or PRODUCER span from the best-ranked string attribute the
/// specification lists (an address with its port), as `ipv4` or `ipv6` for an IP literal, else as `serviceName`;
/// nothing when the span has none.
inline void write_zipkin_remote_endpoint(otlp_writer& out, const span_data& span) {
  std::size_t best = zipkin_no_rank;
  const std::string* value = nullptr;
  for (const auto& [key, attribute] : span.attributes) {
    const std::size_t rank = zipkin_remote_rank(key);
    if (rank == zipkin_no_rank || rank > best) continue;  // equal: a later value of the same key wins
    const auto* text = attribute.get_if<std::string>();
    if (text == nullptr || text->empty()) continue;
    best = rank;
    value = text;
  }
  if (value == nullptr) return;
  out.literal(",\"remoteEndpoint\":{");
  if (is_ipv4_literal(*value)) {
    out.literal("\"ipv4\":");
  } else if (is_ipv6_literal(*value)) {
    out.literal("\"ipv6\":");
  } else {
    out.literal("\"serviceName\":");
  }
  out.quoted(*value);
  if (const std::string_view port_key = zipkin_remote_ranking[best].port_key; !port_key.empty()) {
    if (const std::int64_t port = port_attribute(span.attributes, port_key); port != 0) {
      out.literal(",\"port\":");
      out.decimal(port);
    }
  }
  out.character('}');
}

/// Returns `time` in unix microseconds (truncated; before the epoch, 0).
[[nodiscard]] inline std::uint64_t unix_micros(std::chrono::system_clock::time_point time) noexcept {
  return unix_nanos(time) / 1000;
}

/// Writes the value of an annotation for `event`: `"<name>":{"<key>":<JSON value>,...}`, as a JSON string.
inline void write_zipkin_annotation_value(otlp_writer& out, const span_event& event, std::string& scratch) {
  scratch.clear();
  append_json_string(scratch, event.name);
  scratch.append(":{");
  bool first = true;
  std::uint32_t left_out = 0;
  for (const auto& [key, value] : event.attributes) {
    if (key.empty()) [[unlikely]] {
      ++left_out;
      continue;
    }
    if (!first) scratch.push_back(',');
    first = false;
    append_json_string(scratch, key);
    scratch.push_back(':');
    append_zipkin_json_value(scratch, value);
  }
  if (const std::uint32_t dropped = saturating_add(event.dropped_attributes, left_out); dropped != 0) {
    if (!first) scratch.push_back(',');
    scratch.append("\"otel.dropped_attributes_count\":");
    append_decimal(scratch, dropped);
  }
  scratch.push_back('}');
  out.quoted(scratch);
}

/// Writes the kind's Zipkin name, or nothing for an internal span.
inline void write_zipkin_kind(otlp_writer& out, span_kind kind) {
  switch (kind) {
    case span_kind::server:
      out.literal(",\"kind\":\"SERVER\"");
      break;
    case span_kind::client:
      out.literal(",\"kind\":\"CLIENT\"");
      break;
    case span_kind::producer:
      out.literal(",\"kind\":\"PRODUCER\"");
      break;
    case span_kind::consumer:
      out.literal(",\"kind\":\"CONSUMER\"");
      break;
    case span_kind::internal:
      break;
  }
}

/// True when `span` is a server span that joined its remote client's span (reported under the client's id).
[[nodiscard]] constexpr bool zipkin_shared(const span_data& span) noexcept {
  return span.kind == span_kind::server && span.parent_remote && span.parent_span_id.valid() &&
         span.parent_span_id == span.context.span_id;
}

/// Writes one Zipkin v2 Span object.
inline void write_zipkin_span(otlp_writer& out, const span_data& span, zipkin_batch& batch) {
  const bool shared = zipkin_shared(span);
  out.literal("{\"traceId\":");
  out.quoted_id(span.context.trace_id);
  out.literal(",\"id\":");
  out.quoted_id(span.context.span_id);
  if (span.parent_span_id.valid() && !shared) {  // a shared span's parent is its own id: no circular parentId
    out.literal(",\"parentId\":");
    out.quoted_id(span.parent_span_id);
  }
  if (!span.name.empty()) {
    out.literal(",\"name\":");
    out.quoted(span.name);
  }
  write_zipkin_kind(out, span.kind);
  const std::uint64_t start = unix_nanos(span.start_time);
  const std::uint64_t end = unix_nanos(span.end_time);
  const std::uint64_t duration = end > start ? (end - start) / 1000 : 0;
  out.literal(",\"timestamp\":");
  out.decimal(start / 1000);
  out.literal(",\"duration\":");
  out.decimal(duration == 0 ? std::uint64_t{1} : duration);
  out.raw(batch.local_endpoint);
  if (span.kind == span_kind::client || span.kind == span_kind::producer) write_zipkin_remote_endpoint(out, span);
  if (shared) out.literal(",\"shared\":true");
  if (!span.events.empty()) {
    out.literal(",\"annotations\":[");
    bool first = true;
    for (const auto& event : span.events) {
      if (!first) out.character(',');
      first = false;
      out.literal("{\"timestamp\":");
      out.decimal(unix_micros(event.time));
      out.literal(",\"value\":");
      write_zipkin_annotation_value(out, event, batch.scratch);
      out.character('}');
    }
    out.character(']');
  }

  std::uint32_t empty_keys = 0;
  for (const auto& attribute : span.attributes) empty_keys += attribute.first.empty() ? 1U : 0U;
  const std::uint32_t dropped_attributes = saturating_add(span.dropped_attributes, empty_keys);
  zipkin_own_tags own;
  own.status_code = span.status != span_status::unset;
  own.error = span.status == span_status::error;
  own.dropped_attributes = dropped_attributes != 0;
  own.dropped_events = span.dropped_events != 0;
  own.dropped_links = span.dropped_links != 0;
  own.scope_name = batch.scope_name;
  own.scope_version = batch.scope_version;

  constexpr char head[] = ",\"tags\":{";
  out.literal(head);
  bool first = true;
  for (const auto& [key, value] : span.attributes) {
    if (key.empty() || own.taken(key)) [[unlikely]]
      continue;
    if (key == "error" && is_false_error(value)) continue;
    if (!first) out.character(',');
    first = false;
    out.quoted(key);
    out.character(':');
    write_zipkin_tag_value(out, value, batch.scratch);
  }
  for (const zipkin_resource_tag& tag : batch.resource_tags) {
    if (tag.reserved && own.taken(tag.key)) [[unlikely]]
      continue;
    bool on_span = false;
    for (const auto& attribute : span.attributes) {
      if (attribute.first == tag.key) {
        on_span = true;
        break;
      }
    }
    if (on_span) continue;
    if (!first) out.character(',');
    first = false;
    out.raw(tag.fragment);
  }
  if (!batch.scope_tags.empty()) {
    if (!first) out.character(',');
    first = false;
    out.raw(batch.scope_tags);
  }
  if (span.status == span_status::ok) {
    if (!first) out.character(',');
    first = false;
    out.literal("\"otel.status_code\":\"OK\"");
  } else if (span.status == span_status::error) {
    if (!first) out.character(',');
    first = false;
    out.literal("\"otel.status_code\":\"ERROR\",\"error\":");
    out.quoted(span.status_description);
  }
  if (own.dropped_attributes) {
    write_zipkin_count_tag(out, first, "\"otel.dropped_attributes_count\":", dropped_attributes);
  }
  if (own.dropped_events) write_zipkin_count_tag(out, first, "\"otel.dropped_events_count\":", span.dropped_events);
  if (own.dropped_links) write_zipkin_count_tag(out, first, "\"otel.dropped_links_count\":", span.dropped_links);
  if (first) {
    out.unwrite(sizeof head - 1);  // no tag at all: no field
    out.character('}');
  } else {
    out.literal("}}");
  }
}

/// Writes the list for a range of spans or of pointers to spans.
template <class Range>
void encode_zipkin_json_range(std::string& out, const Range& spans, const otlp_resource& resource) {
  zipkin_batch batch(resource);
  otlp_writer writer(out);
  writer.character('[');
  bool first = true;
  for (const auto& span : spans) {
    if (!first) writer.character(',');
    first = false;
    write_zipkin_span(writer, span_of(span), batch);
  }
  writer.character(']');
}

}  // namespace detail

/// Appends a Zipkin v2 JSON `ListOfSpans` carrying `spans` for `resource` (see the file comment for the mapping).
inline void encode_zipkin_json(std::string& out, std::span<const span_data> spans, const otlp_resource& resource) {
  detail::encode_zipkin_json_range(out, spans, resource);
}

/// The same for spans read in place (what batch_processor hands an InPlaceSpanExporter).
inline void encode_zipkin_json(std::string& out, span_refs spans, const otlp_resource& resource) {
  detail::encode_zipkin_json_range(out, spans, resource);
}

/// Returns the Zipkin v2 JSON for `spans`.
[[nodiscard]] inline std::string zipkin_json(std::span<const span_data> spans, const otlp_resource& resource = {}) {
  std::string out;
  out.reserve(2 + spans.size() * 400);
  encode_zipkin_json(out, spans, resource);
  return out;
}

}  // namespace arbiter::inline v1
