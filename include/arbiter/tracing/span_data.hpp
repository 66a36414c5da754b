#pragma once

/// \file
/// What a finished span carried, as tracers hand it to processors and exporters.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <arbiter/detail/chrono.hpp>
#include <arbiter/tracing/attribute.hpp>
#include <arbiter/tracing/span_context.hpp>
#include <arbiter/tracing/tracer.hpp>

namespace arbiter::inline v1 {

/// Key/value pairs in the order they were set.
using attribute_list = std::vector<std::pair<std::string, attribute_value>>;

namespace detail {

/// Sets `key` to `value` in `attributes`: an attribute with that key gets the new value in its place, else the
/// attribute is appended. The one way resource attributes are merged (OTEL_RESOURCE_ATTRIBUTES, the config
/// bridge, and each resource writer), so a key is there once with the value given last.
inline void put_attribute(attribute_list& attributes, std::string_view key, attribute_value value) {
  for (auto& [existing, old] : attributes) {
    if (existing == key) {
      old = std::move(value);
      return;
    }
  }
  attributes.emplace_back(std::string(key), std::move(value));
}

}  // namespace detail

/// An event recorded on a span.
struct span_event {
  std::string name;
  std::chrono::system_clock::time_point time{};
  attribute_list attributes;
  std::uint32_t dropped_attributes = 0;  ///< beyond span_limits::max_attributes_per_event, or with an empty key
};

/// A link from a span to a span of another (or the same) trace.
struct span_link {
  span_context context{};
  attribute_list attributes;
  std::uint32_t dropped_attributes = 0;  ///< beyond span_limits::max_attributes_per_event, or with an empty key
  std::string trace_state{};             ///< the linked span's W3C `tracestate`, in header form (empty: none)
};

/// The name exporters write for a span or an event whose name is empty: OTLP requires a name, and a strict
/// collector rejects the whole batch for one empty name.
inline constexpr std::string_view unnamed_span_name = "unnamed";

/// How much one span may carry; what is over the limit is dropped and counted on the span.
/// The defaults are OpenTelemetry's.
struct span_limits {
  std::uint32_t max_attributes = 128;
  std::uint32_t max_events = 128;
  std::uint32_t max_links = 128;
  std::uint32_t max_attributes_per_event = 128;
};

/// Everything a finished span carried.
struct span_data {
  std::string name;
  span_context context{};
  span_id parent_span_id{};  ///< invalid for a root span
  span_kind kind = span_kind::internal;
  attribute_list attributes;
  std::vector<span_event> events;
  std::vector<span_link> links;
  span_status status = span_status::unset;
  std::string status_description;
  std::chrono::system_clock::time_point start_time{};
  std::chrono::system_clock::time_point end_time{};
  std::uint32_t dropped_attributes = 0;  ///< set beyond span_limits::max_attributes, or with an empty key
  std::uint32_t dropped_events = 0;
  std::uint32_t dropped_links = 0;
  std::string trace_state{};  ///< the W3C `tracestate` the span carries, in header form (empty: none)
  bool parent_remote{};       ///< the parent came from another process (span_context::remote; false for a root)

  /// Returns the value of attribute `key`, if set (the last value set wins).
  [[nodiscard]] std::optional<attribute_value> attribute(std::string_view key) const {
    for (auto it = attributes.rbegin(); it != attributes.rend(); ++it) {
      if (it->first == key) return it->second;
    }
    return std::nullopt;
  }

  /// Returns the first event with this name, if any.
  [[nodiscard]] const span_event* event(std::string_view event_name) const noexcept {
    for (const auto& e : events) {
      if (e.name == event_name) return &e;
    }
    return nullptr;
  }
};

namespace detail {
/// Returns `name`, or unnamed_span_name when it is empty: the name an exporter writes.
[[nodiscard]] constexpr std::string_view exported_name(std::string_view name) noexcept {
  return name.empty() ? unnamed_span_name : name;
}

/// OTLP's SpanFlags for a span or a link: the W3C trace flags (bits 0-7), bit 8 (0x100) saying that bit 9 is known,
/// and bit 9 (0x200) when the context is remote: for a span, when its parent came from another process; for a
/// link, when the linked context did. Both OTLP encoders write these.
inline constexpr std::uint32_t otlp_flags_has_is_remote = 0x100;
inline constexpr std::uint32_t otlp_flags_is_remote = 0x200;
[[nodiscard]] constexpr std::uint32_t otlp_span_flags(const span_data& span) noexcept {
  return span.context.flags | otlp_flags_has_is_remote | (span.parent_remote ? otlp_flags_is_remote : 0U);
}
[[nodiscard]] constexpr std::uint32_t otlp_link_flags(const span_link& link) noexcept {
  return link.context.flags | otlp_flags_has_is_remote | (link.context.remote ? otlp_flags_is_remote : 0U);
}

/// Returns a + b, saturating at the largest std::uint32_t (dropped counts).
[[nodiscard]] constexpr std::uint32_t saturating_add(std::uint32_t a, std::uint32_t b) noexcept {
  const std::uint32_t sum = a + b;
  return sum < a ? ~std::uint32_t{0} : sum;
}
}  // namespace detail

}  // namespace arbiter::inline v1
