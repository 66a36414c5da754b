#pragma once

/// \file
/// Encodes spans as an OTLP `opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest` in the protobuf wire
/// format, the body of `POST /v1/traces` with `Content-Type: application/x-protobuf` (OTLP/HTTP's default
/// `http/protobuf`). It says what encode_otlp_json (otlp_json.hpp) says, field for field: one ResourceSpans with the
/// resource's attributes (service.name first), one ScopeSpans with the scope's name and version, the spans with
/// their attributes (every attribute_value type, arrays as ArrayValue), events, links, dropped counts and status;
/// empty names as unnamed_span_name, attributes with an empty key left out and counted, strings as valid UTF-8
/// (each ill-formed sequence becomes U+FFFD), Span.trace_state and Link.trace_state when not empty. Beyond the JSON:
/// the OTLP 1.2 "is remote" bits in the flags (SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK 0x100: known,
/// SPAN_FLAGS_CONTEXT_IS_REMOTE_MASK 0x200: remote) next to the W3C trace flags: a Span's from
/// span_data::parent_remote (whether its parent came from another process; a root span's parent is not remote, as
/// OpenTelemetry Java writes it), a Link's from its span_context::remote.
///
/// The bytes are the canonical encoding, the same libprotobuf writes for the same message (fields in number
/// order, shortest varints, proto3 defaults left out; AnyValue members, a oneof, are written even when zero), with
/// no intermediate objects: each record is written where it lies, straight into the output.
///
/// Nested lengths. A length-delimited field's length comes first, so it must be known before its bytes. Two ways
/// were weighed: a sizing pass (walk each span twice: sizes, then bytes; every string scanned twice, every
/// attribute's type tested twice) or a slot back-patched once the message is written. This encoder does both,
/// each where it is cheaper: a KeyValue and its AnyValue are sized first, as their size is arithmetic on string
/// lengths already at hand (so an attribute makes room once and is written with plain stores), while a Span, an
/// Event, a Link and the two outer messages get a slot of a guessed width (2 bytes for a span: 128 to 16383 bytes
/// long; 3 bytes for the batch: 16 KiB to 2 MiB) that is patched when they end. A guess that misses moves that
/// message's bytes by one or two (protobuf_writer::close), which costs a memmove of bytes still in cache: a span
/// under 128 bytes, a batch under 16 KiB. Padding the varint to the slot instead (a non-canonical but legal
/// encoding) would save that move, but bloat the output and differ from every other encoder's bytes.
/// No sockets, no protobuf library: testable and benchmarkable alone.

#include <bit>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <arbiter/tracing/detail/protobuf_wire.hpp>
#include <arbiter/tracing/exporter.hpp>
#include <arbiter/tracing/otlp_json.hpp>
#include <arbiter/tracing/span_data.hpp>

namespace arbiter::inline v1 {

namespace detail {

/// The OTLP field keys (field number << 3 | wire type), as one byte each but Span.flags (field 16).
namespace otlp_key {
inline constexpr std::uint8_t request_resource_spans = 0x0A;  // ExportTraceServiceRequest.resource_spans = 1
inline constexpr std::uint8_t resource_spans_resource = 0x0A;
inline constexpr std::uint8_t resource_spans_scope_spans = 0x12;
inline constexpr std::uint8_t resource_attributes = 0x0A;
inline constexpr std::uint8_t resource_dropped = 0x10;
inline constexpr std::uint8_t scope_spans_scope = 0x0A;
inline constexpr std::uint8_t scope_spans_spans = 0x12;
inline constexpr std::uint8_t scope_name = 0x0A;
inline constexpr std::uint8_t scope_version = 0x12;
inline constexpr std::uint8_t span_trace_id = 0x0A;
inline constexpr std::uint8_t span_span_id = 0x12;
inline constexpr std::uint8_t span_trace_state = 0x1A;
inline constexpr std::uint8_t span_parent_span_id = 0x22;
inline constexpr std::uint8_t span_name = 0x2A;
inline constexpr std::uint8_t span_kind = 0x30;
inline constexpr std::uint8_t span_start = 0x39;
inline constexpr std::uint8_t span_end = 0x41;
inline constexpr std::uint8_t span_attributes = 0x4A;
inline constexpr std::uint8_t span_dropped_attributes = 0x50;
inline constexpr std::uint8_t span_events = 0x5A;
inline constexpr std::uint8_t span_dropped_events = 0x60;
inline constexpr std::uint8_t span_links = 0x6A;
inline constexpr std::uint8_t span_dropped_links = 0x70;
inline constexpr std::uint8_t span_status = 0x7A;
inline constexpr std::uint32_t span_flags = 0x85;  // field 16, fixed32: two bytes, 0x85 0x01
inline constexpr std::uint8_t event_time = 0x09;
inline constexpr std::uint8_t event_name = 0x12;
inline constexpr std::uint8_t event_attributes = 0x1A;
inline constexpr std::uint8_t event_dropped = 0x20;
inline constexpr std::uint8_t link_trace_id = 0x0A;
inline constexpr std::uint8_t link_span_id = 0x12;
inline constexpr std::uint8_t link_trace_state = 0x1A;
inline constexpr std::uint8_t link_attributes = 0x22;
inline constexpr std::uint8_t link_dropped = 0x28;
inline constexpr std::uint8_t link_flags = 0x35;
inline constexpr std::uint8_t status_message = 0x12;
inline constexpr std::uint8_t status_code = 0x18;
inline constexpr std::uint8_t key_value_key = 0x0A;
inline constexpr std::uint8_t key_value_value = 0x12;
inline constexpr std::uint8_t any_string = 0x0A;
inline constexpr std::uint8_t any_bool = 0x10;
inline constexpr std::uint8_t any_int = 0x18;
inline constexpr std::uint8_t any_double = 0x21;
inline constexpr std::uint8_t any_array = 0x2A;
inline constexpr std::uint8_t array_values = 0x0A;
}  // namespace otlp_key

/// The size of an AnyValue holding a scalar (its body, without key or length).
[[nodiscard]] inline std::size_t pb_any_size(std::int64_t value) noexcept {
  return 1 + varint_size(static_cast<std::uint64_t>(value));  // int64: a negative value takes 10 bytes
}
[[nodiscard]] constexpr std::size_t pb_any_size(double) noexcept { return 9; }
[[nodiscard]] constexpr std::size_t pb_any_size(bool) noexcept { return 2; }
[[nodiscard]] inline std::size_t pb_any_size(const wire_string& text) noexcept { return delimited_size(text.size); }

/// Writes the body of an AnyValue holding a scalar at `out` (room reserved); returns the end.
inline char* put_pb_any(char* out, std::int64_t value) noexcept {
  *out++ = static_cast<char>(otlp_key::any_int);
  return put_varint(out, static_cast<std::uint64_t>(value));
}
inline char* put_pb_any(char* out, double value) noexcept {
  *out++ = static_cast<char>(otlp_key::any_double);
  return put_fixed64(out, std::bit_cast<std::uint64_t>(value));
}
inline char* put_pb_any(char* out, bool value) noexcept {
  out[0] = static_cast<char>(otlp_key::any_bool);
  out[1] = static_cast<char>(value ? 1 : 0);
  return out + 2;
}
inline char* put_pb_any(char* out, const wire_string& text) noexcept {
  *out++ = static_cast<char>(otlp_key::any_string);
  out = put_varint(out, text.size);
  return protobuf_writer::put_text(out, text);
}

/// Returns the size of an AnyValue's ArrayValue body (the AnyValue of each element, keyed and delimited).
template <class Vector>
[[nodiscard]] std::size_t pb_array_size(const Vector& values) noexcept {
  std::size_t size = 0;
  for (const auto& element : values) {
    if constexpr (std::is_same_v<typename Vector::value_type, std::string>) {
      size += delimited_size(pb_any_size(measure_wire_string(element)));
    } else {
      size += delimited_size(pb_any_size(static_cast<typename Vector::value_type>(element)));
    }
  }
  return size;
}

/// Writes an AnyValue body `{array_value: {values: [...]}}` whose ArrayValue is `array_size` bytes.
template <class Vector>
char* put_pb_array(char* out, const Vector& values, std::size_t array_size) noexcept {
  *out++ = static_cast<char>(otlp_key::any_array);
  out = put_varint(out, array_size);
  for (const auto& element : values) {
    *out++ = static_cast<char>(otlp_key::array_values);
    if constexpr (std::is_same_v<typename Vector::value_type, std::string>) {
      const wire_string text = measure_wire_string(element);
      out = put_varint(out, pb_any_size(text));
      out = put_pb_any(out, text);
    } else {
      const auto value = static_cast<typename Vector::value_type>(element);
      out = put_varint(out, pb_any_size(value));
      out = put_pb_any(out, value);
    }
  }
  return out;
}

/// Writes a KeyValue field `key_field` whose AnyValue body is `any_size` bytes, written by `put_any(out)`: the
/// whole field is sized first, so it makes room once.
template <class PutAny>
[[gnu::always_inline]] inline void write_pb_key_value(protobuf_writer& out, std::uint8_t key_field,
                                                      const wire_string& key, std::size_t any_size, PutAny put_any) {
  const std::size_t size = delimited_size(key.size) + delimited_size(any_size);
  char* p = out.reserve(delimited_size(size));
  *p++ = static_cast<char>(key_field);
  p = put_varint(p, size);
  *p++ = static_cast<char>(otlp_key::key_value_key);
  p = put_varint(p, key.size);
  p = protobuf_writer::put_text(p, key);
  *p++ = static_cast<char>(otlp_key::key_value_value);
  p = put_varint(p, any_size);
  out.advance(put_any(p));
}

/// Writes one KeyValue (an attribute) as field `key_field`. Tests the types in turn, as
/// write_otlp_any_value does: spans carry mostly strings and integers.
inline void write_pb_attribute(protobuf_writer& out, std::uint8_t key_field, std::string_view key_text,
                               const attribute_value& value) {
  const wire_string key = measure_wire_string(key_text);
  if (const auto* text = value.get_if<std::string>()) {
    const wire_string measured = measure_wire_string(*text);
    write_pb_key_value(out, key_field, key, pb_any_size(measured),
                       [&](char* p) noexcept { return put_pb_any(p, measured); });
  } else if (const auto* integer = value.get_if<std::int64_t>()) {
    write_pb_key_value(out, key_field, key, pb_any_size(*integer),
                       [&](char* p) noexcept { return put_pb_any(p, *integer); });
  } else if (const auto* boolean = value.get_if<bool>()) {
    write_pb_key_value(out, key_field, key, 2, [&](char* p) noexcept { return put_pb_any(p, *boolean); });
  } else if (const auto* real = value.get_if<double>()) {
    write_pb_key_value(out, key_field, key, 9, [&](char* p) noexcept { return put_pb_any(p, *real); });
  } else {
    value.visit([&](const auto& values) {
      using T = std::decay_t<decltype(values)>;
      if constexpr (!std::is_same_v<T, std::string> && !std::is_same_v<T, std::int64_t> && !std::is_same_v<T, bool> &&
                    !std::is_same_v<T, double>) {
        const std::size_t array_size = pb_array_size(values);
        write_pb_key_value(out, key_field, key, delimited_size(array_size),
                           [&](char* p) noexcept { return put_pb_array(p, values, array_size); });
      }
    });
  }
}

/// Writes a KeyValue with a string value (the resource's named attributes) without making an attribute_value.
inline void write_pb_string_attribute(protobuf_writer& out, std::uint8_t key_field, std::string_view key,
                                      std::string_view text) {
  const wire_string measured = measure_wire_string(text);
  write_pb_key_value(out, key_field, measure_wire_string(key), pb_any_size(measured),
                     [&](char* p) noexcept { return put_pb_any(p, measured); });
}

/// Writes `attributes` as repeated KeyValue field `key_field`, leaving out those with an empty key (see
/// write_otlp_attributes); returns how many it left out.
inline std::uint32_t write_pb_attributes(protobuf_writer& out, std::uint8_t key_field,
                                         const attribute_list& attributes) {
  std::uint32_t left_out = 0;
  for (const auto& [key, value] : attributes) {
    if (key.empty()) [[unlikely]] {
      ++left_out;
      continue;
    }
    write_pb_attribute(out, key_field, key, value);
  }
  return left_out;
}

/// Writes a uint32 count field unless it is 0 (the proto3 default, left out).
inline void write_pb_count(protobuf_writer& out, std::uint8_t key_field, std::uint32_t count) {
  if (count != 0) out.varint_field(key_field, count);
}

/// Writes a fixed64 time field unless it is 0 (before the epoch, or unset).
inline void write_pb_time(protobuf_writer& out, std::uint8_t key_field, std::chrono::system_clock::time_point time) {
  if (const std::uint64_t nanos = unix_nanos(time); nanos != 0) out.fixed64_field(key_field, nanos);
}

/// Writes a trace id (16 bytes) and a span id (8 bytes) as the first two fields of a Span or a Link.
inline char* put_pb_ids(char* p, const span_context& context) noexcept {
  p[0] = static_cast<char>(otlp_key::span_trace_id);
  p[1] = 16;
  p = put_big_endian64(put_big_endian64(p + 2, context.trace_id.high), context.trace_id.low);
  p[0] = static_cast<char>(otlp_key::span_span_id);
  p[1] = 8;
  return put_big_endian64(p + 2, context.span_id.value);
}

/// Writes one Span as field `ScopeSpans.spans`.
inline void write_pb_span(protobuf_writer& out, const span_data& span) {
  const std::size_t span_slot = out.open(otlp_key::scope_spans_spans, 2);
  {
    const wire_string name = measure_wire_string(exported_name(span.name));
    char* p = out.reserve(28 + 10 + 11 + name.size + 2);
    p = put_pb_ids(p, span.context);
    out.advance(p);
    if (!span.trace_state.empty()) {
      out.string_field(otlp_key::span_trace_state, span.trace_state);
      p = out.reserve(10 + 11 + name.size + 2);
    }
    if (span.parent_span_id.valid()) {
      p[0] = static_cast<char>(otlp_key::span_parent_span_id);
      p[1] = 8;
      p = put_big_endian64(p + 2, span.parent_span_id.value);
    }
    *p++ = static_cast<char>(otlp_key::span_name);
    p = put_varint(p, name.size);
    p = protobuf_writer::put_text(p, name);
    p[0] = static_cast<char>(otlp_key::span_kind);
    p[1] = static_cast<char>(static_cast<int>(span.kind) + 1);  // SPAN_KIND_INTERNAL is 1
    out.advance(p + 2);
  }
  write_pb_time(out, otlp_key::span_start, span.start_time);
  write_pb_time(out, otlp_key::span_end, span.end_time);
  const std::uint32_t left_out = write_pb_attributes(out, otlp_key::span_attributes, span.attributes);
  write_pb_count(out, otlp_key::span_dropped_attributes, saturating_add(span.dropped_attributes, left_out));
  for (const span_event& event : span.events) {
    const std::size_t slot = out.open(otlp_key::span_events, 2);
    write_pb_time(out, otlp_key::event_time, event.time);
    out.string_field(otlp_key::event_name, exported_name(event.name));
    const std::uint32_t event_left_out = write_pb_attributes(out, otlp_key::event_attributes, event.attributes);
    write_pb_count(out, otlp_key::event_dropped, saturating_add(event.dropped_attributes, event_left_out));
    out.close(slot, 2);
  }
  write_pb_count(out, otlp_key::span_dropped_events, span.dropped_events);
  for (const span_link& link : span.links) {
    const std::size_t slot = out.open(otlp_key::span_links, 2);
    out.advance(put_pb_ids(out.reserve(28), link.context));
    if (!link.trace_state.empty()) out.string_field(otlp_key::link_trace_state, link.trace_state);
    const std::uint32_t link_left_out = write_pb_attributes(out, otlp_key::link_attributes, link.attributes);
    write_pb_count(out, otlp_key::link_dropped, saturating_add(link.dropped_attributes, link_left_out));
    out.fixed32_field(otlp_key::link_flags, otlp_link_flags(link));
    out.close(slot, 2);
  }
  write_pb_count(out, otlp_key::span_dropped_links, span.dropped_links);
  if (span.status == span_status::unset) {
    char* p = out.reserve(2);
    p[0] = static_cast<char>(otlp_key::span_status);
    p[1] = 0;  // an empty Status, as the JSON writes "status":{}
    out.advance(p + 2);
  } else {
    const wire_string message = measure_wire_string(span.status_description);
    const std::size_t size = (message.size == 0 ? 0 : delimited_size(message.size)) + 2;
    char* p = out.reserve(delimited_size(size));
    *p++ = static_cast<char>(otlp_key::span_status);
    p = put_varint(p, size);
    if (message.size != 0) {
      *p++ = static_cast<char>(otlp_key::status_message);
      p = put_varint(p, message.size);
      p = protobuf_writer::put_text(p, message);
    }
    p[0] = static_cast<char>(otlp_key::status_code);
    p[1] = static_cast<char>(span.status);  // UNSET 0, OK 1, ERROR 2
    out.advance(p + 2);
  }
  out.fixed32_field(otlp_key::span_flags, otlp_span_flags(span));
  out.close(span_slot, 2);
}

/// Writes the request for a range of spans or of pointers to spans.
template <class Range>
void encode_otlp_protobuf_range(std::string& body, const Range& spans, const otlp_resource& resource) {
  protobuf_writer out(body);
  // The batch's two outer lengths are guessed from the span count (a span of the usual few attributes is 100 to
  // 300 bytes); a miss moves the batch once (see the file comment).
  const std::size_t width = varint_size(256 + spans.size() * 160);
  const std::size_t resource_spans = out.open(otlp_key::request_resource_spans, width);
  {
    const std::size_t resource_slot = out.open(otlp_key::resource_spans_resource, 1);
    write_pb_string_attribute(out, otlp_key::resource_attributes, "service.name", resource.service_name);
    if (!resource.service_version.empty()) {
      write_pb_string_attribute(out, otlp_key::resource_attributes, "service.version", resource.service_version);
    }
    if (!resource.deployment_environment.empty()) {
      write_pb_string_attribute(out, otlp_key::resource_attributes, "deployment.environment",
                                resource.deployment_environment);
    }
    std::uint32_t left_out = 0;
    for (const auto& [key, value] : resource.attributes) {
      if (key == "service.name" || key == "service.version" || key == "deployment.environment") continue;
      if (key.empty()) {  // as write_pb_attributes does
        ++left_out;
        continue;
      }
      write_pb_attribute(out, otlp_key::resource_attributes, key, value);
    }
    write_pb_count(out, otlp_key::resource_dropped, left_out);
    out.close(resource_slot, 1);
  }
  const std::size_t scope_spans = out.open(otlp_key::resource_spans_scope_spans, width);
  {
    const std::size_t scope_slot = out.open(otlp_key::scope_spans_scope, 1);
    if (!resource.scope_name.empty()) out.string_field(otlp_key::scope_name, resource.scope_name);
    if (!resource.scope_version.empty()) out.string_field(otlp_key::scope_version, resource.scope_version);
    out.close(scope_slot, 1);
  }
  for (const auto& span : spans) write_pb_span(out, span_of(span));
  out.close(scope_spans, width);
  out.close(resource_spans, width);
}

}  // namespace detail

/// Appends a whole `ExportTraceServiceRequest` in the protobuf wire format carrying `spans` for `resource`.
inline void encode_otlp_protobuf(std::string& out, std::span<const span_data> spans, const otlp_resource& resource) {
  detail::encode_otlp_protobuf_range(out, spans, resource);
}

/// The same for spans read in place (what batch_processor hands an InPlaceSpanExporter).
inline void encode_otlp_protobuf(std::string& out, span_refs spans, const otlp_resource& resource) {
  detail::encode_otlp_protobuf_range(out, spans, resource);
}

/// Returns the `ExportTraceServiceRequest` protobuf bytes for `spans`.
[[nodiscard]] inline std::string otlp_protobuf(std::span<const span_data> spans, const otlp_resource& resource) {
  std::string out;
  out.reserve(256 + spans.size() * 192);
  encode_otlp_protobuf(out, spans, resource);
  return out;
}

}  // namespace arbiter::inline v1
