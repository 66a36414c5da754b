// The OTLP/JSON encoder against a reference: a few hundred randomized spans (fixed seed) covering every attribute
// type, escapes, UTF-8 (and bytes that are not), long strings, events, links, kinds, statuses, dropped counts, empty
// keys and names, and times on both sides of 2^53 ns. The fast encoder must write exactly the bytes of a
// straightforward reference encoder kept here, and what it writes must parse back with nlohmann/json to the span data,
// field by field.
#include <arbiter/detail/json_text.hpp>
#include <arbiter/tracing/otlp_json.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "../detail/utf8_reference.hpp"
#include "random_spans.hpp"

namespace {

using json = nlohmann::json;

// ---- The reference: the encoder as it was before the raw-cursor writer, one std::string append per piece, with
// its own byte-at-a-time escaping so that it shares no code with what it checks. Since the encoder writes only what
// a strict collector accepts, the reference does too: ill-formed UTF-8 repaired (by the code point arithmetic of
// utf8_reference.hpp), attributes with an empty key left out and counted, empty names written as "unnamed".

namespace reference {

void escaped(std::string& out, std::string_view text) {
  constexpr char hex[] = "0123456789abcdef";
  for (const char ch : utf8_reference::repaired(text)) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out.push_back(hex[c >> 4]);
          out.push_back(hex[c & 0xF]);
        } else {
          out.push_back(ch);
        }
    }
  }
}

void quoted(std::string& out, std::string_view text) {
  out.push_back('"');
  escaped(out, text);
  out.push_back('"');
}

template <class T>
void decimal(std::string& out, T value) {
  char buffer[32];
  out.append(buffer, std::to_chars(buffer, buffer + sizeof buffer, value).ptr);
}

void number(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "\"NaN\"";
  } else if (std::isinf(value)) {
    out += value > 0 ? "\"Infinity\"" : "\"-Infinity\"";
  } else {
    decimal(out, value);
  }
}

std::uint64_t unix_nanos(std::chrono::system_clock::time_point time) {
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(time.time_since_epoch()).count();
  return ns < 0 ? 0 : static_cast<std::uint64_t>(ns);
}

void nanos(std::string& out, std::chrono::system_clock::time_point time) {
  out.push_back('"');
  decimal(out, unix_nanos(time));
  out.push_back('"');
}

template <class Id>
void hex_id(std::string& out, const Id& id, std::size_t digits) {
  std::string hex(digits, '0');
  id.to_hex(hex.data());
  out += '"' + hex + '"';
}

void string_value(std::string& out, std::string_view text) {
  out += "{\"stringValue\":";
  quoted(out, text);
  out += "}";
}
void int_value(std::string& out, std::int64_t value) {
  out += "{\"intValue\":\"";
  decimal(out, value);
  out += "\"}";
}
void double_value(std::string& out, double value) {
  out += "{\"doubleValue\":";
  number(out, value);
  out += "}";
}
void bool_value(std::string& out, bool value) { out += value ? "{\"boolValue\":true}" : "{\"boolValue\":false}"; }

void any_value(std::string& out, const arbiter::attribute_value& value) {
  value.visit([&out](const auto& v) {
    using T = std::decay_t<decltype(v)>;
    if constexpr (std::is_same_v<T, std::string>) {
      string_value(out, v);
    } else if constexpr (std::is_same_v<T, std::int64_t>) {
      int_value(out, v);
    } else if constexpr (std::is_same_v<T, double>) {
      double_value(out, v);
    } else if constexpr (std::is_same_v<T, bool>) {
      bool_value(out, v);
    } else {
      out += "{\"arrayValue\":{\"values\":[";
      for (std::size_t i = 0; i < v.size(); ++i) {
        if (i > 0) out += ",";
        using E = typename T::value_type;
        if constexpr (std::is_same_v<E, std::string>) {
          string_value(out, v[i]);
        } else if constexpr (std::is_same_v<E, std::int64_t>) {
          int_value(out, v[i]);
        } else if constexpr (std::is_same_v<E, double>) {
          double_value(out, v[i]);
        } else {
          bool_value(out, static_cast<bool>(v[i]));
        }
      }
      out += "]}}";
    }
  });
}

void key_value(std::string& out, std::string_view key, const arbiter::attribute_value& value) {
  out += "{\"key\":";
  quoted(out, key);
  out += ",\"value\":";
  any_value(out, value);
  out += "}";
}

/// Writes the attributes with a key; returns how many had none.
std::uint32_t attributes(std::string& out, const arbiter::attribute_list& list) {
  std::uint32_t empty = 0;
  std::string written;
  for (const auto& [key, value] : list) {
    if (key.empty()) {
      ++empty;
      continue;
    }
    written += written.empty() ? ",\"attributes\":[" : ",";
    key_value(written, key, value);
  }
  if (!written.empty()) out += written + "]";
  return empty;
}

std::string name(const std::string& text) { return text.empty() ? "unnamed" : text; }

void dropped(std::string& out, std::string_view field, std::uint64_t count) {
  if (count == 0) return;
  if (count > std::numeric_limits<std::uint32_t>::max()) count = std::numeric_limits<std::uint32_t>::max();
  out += ",\"";
  out += field;
  out += "\":";
  decimal(out, count);
}

void span(std::string& out, const arbiter::span_data& s) {
  out += "{\"traceId\":";
  hex_id(out, s.context.trace_id, 32);
  out += ",\"spanId\":";
  hex_id(out, s.context.span_id, 16);
  if (s.parent_span_id.valid()) {
    out += ",\"parentSpanId\":";
    hex_id(out, s.parent_span_id, 16);
  }
  out += ",\"flags\":";
  decimal(out, s.context.flags | 0x100U | (s.parent_remote ? 0x200U : 0U));  // OTLP SpanFlags
  out += ",\"name\":";
  quoted(out, name(s.name));
  out += ",\"kind\":";
  decimal(out, static_cast<int>(s.kind) + 1);
  out += ",\"startTimeUnixNano\":";
  nanos(out, s.start_time);
  out += ",\"endTimeUnixNano\":";
  nanos(out, s.end_time);
  const std::uint32_t empty = attributes(out, s.attributes);
  dropped(out, "droppedAttributesCount", std::uint64_t{s.dropped_attributes} + empty);
  if (!s.events.empty()) {
    out += ",\"events\":[";
    for (std::size_t i = 0; i < s.events.size(); ++i) {
      if (i > 0) out += ",";
      out += "{\"timeUnixNano\":";
      nanos(out, s.events[i].time);
      out += ",\"name\":";
      quoted(out, name(s.events[i].name));
      const std::uint32_t event_empty = attributes(out, s.events[i].attributes);
      dropped(out, "droppedAttributesCount", std::uint64_t{s.events[i].dropped_attributes} + event_empty);
      out += "}";
    }
    out += "]";
  }
  dropped(out, "droppedEventsCount", s.dropped_events);
  if (!s.links.empty()) {
    out += ",\"links\":[";
    for (std::size_t i = 0; i < s.links.size(); ++i) {
      if (i > 0) out += ",";
      out += "{\"traceId\":";
      hex_id(out, s.links[i].context.trace_id, 32);
      out += ",\"spanId\":";
      hex_id(out, s.links[i].context.span_id, 16);
      out += ",\"flags\":";
      decimal(out, s.links[i].context.flags | 0x100U | (s.links[i].context.remote ? 0x200U : 0U));
      const std::uint32_t link_empty = attributes(out, s.links[i].attributes);
      dropped(out, "droppedAttributesCount", std::uint64_t{s.links[i].dropped_attributes} + link_empty);
      out += "}";
    }
    out += "]";
  }
  dropped(out, "droppedLinksCount", s.dropped_links);
  out += ",\"status\":{";
  if (s.status != arbiter::span_status::unset) {
    out += "\"code\":";
    decimal(out, static_cast<int>(s.status));
    if (!s.status_description.empty()) {
      out += ",\"message\":";
      quoted(out, s.status_description);
    }
  }
  out += "}}";
}

std::string request(const std::vector<arbiter::span_data>& spans, const arbiter::otlp_resource& resource) {
  std::string out = "{\"resourceSpans\":[{\"resource\":{\"attributes\":[";
  key_value(out, "service.name", resource.service_name);
  if (!resource.service_version.empty()) {
    out += ",";
    key_value(out, "service.version", resource.service_version);
  }
  if (!resource.deployment_environment.empty()) {
    out += ",";
    key_value(out, "deployment.environment", resource.deployment_environment);
  }
  std::uint32_t empty = 0;
  for (const auto& [key, value] : resource.attributes) {
    if (key == "service.name" || key == "service.version" || key == "deployment.environment") continue;
    if (key.empty()) {
      ++empty;
      continue;
    }
    out += ",";
    key_value(out, key, value);
  }
  out += "]";
  dropped(out, "droppedAttributesCount", empty);
  out += "},\"scopeSpans\":[{\"scope\":{\"name\":";
  quoted(out, resource.scope_name);
  if (!resource.scope_version.empty()) {
    out += ",\"version\":";
    quoted(out, resource.scope_version);
  }
  out += "},\"spans\":[";
  for (std::size_t i = 0; i < spans.size(); ++i) {
    if (i > 0) out += ",";
    span(out, spans[i]);
  }
  out += "]}]}]}";
  return out;
}

}  // namespace reference

// ---- Random span data: random_spans.hpp.

using arbiter_test::span_generator;

// ---- Field-by-field checks of the parsed JSON against the span data.

std::string hex_of(const arbiter::trace_id& id) { return id.to_string(); }
std::string hex_of(const arbiter::span_id& id) { return id.to_string(); }

std::string nanos_of(std::chrono::system_clock::time_point time) { return std::to_string(reference::unix_nanos(time)); }

void expect_scalar(const json& j, const std::string& expected) {
  EXPECT_EQ(j, json({{"stringValue", utf8_reference::repaired(expected)}}));
}
void expect_scalar(const json& j, std::int64_t expected) {
  EXPECT_EQ(j, json({{"intValue", std::to_string(expected)}})) << "int64 as a decimal string";
}
void expect_scalar(const json& j, bool expected) { EXPECT_EQ(j, json({{"boolValue", expected}})); }
void expect_scalar(const json& j, double expected) {
  ASSERT_EQ(j.size(), 1U) << j.dump();
  const json& d = j.at("doubleValue");
  if (std::isnan(expected)) {
    EXPECT_EQ(d, "NaN");
  } else if (std::isinf(expected)) {
    EXPECT_EQ(d, expected > 0 ? "Infinity" : "-Infinity");
  } else {
    ASSERT_TRUE(d.is_number()) << d.dump();
    EXPECT_EQ(d.get<double>(), expected) << "reads back the same double";
  }
}

void expect_value(const json& j, const arbiter::attribute_value& value) {
  value.visit([&j](const auto& v) {
    using T = std::decay_t<decltype(v)>;
    if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, std::int64_t> || std::is_same_v<T, double> ||
                  std::is_same_v<T, bool>) {
      expect_scalar(j, v);
    } else {
      ASSERT_EQ(j.size(), 1U) << j.dump();
      const json& values = j.at("arrayValue").at("values");
      ASSERT_EQ(values.size(), v.size());
      for (std::size_t i = 0; i < v.size(); ++i) {
        expect_scalar(values[i], static_cast<typename T::value_type>(v[i]));
      }
    }
  });
}

/// Checks an object's "attributes" field: those with a key, absent when there are none (proto3 omits empty
/// repeated fields); returns how many had an empty key.
std::uint32_t expect_attributes(const json& owner, const arbiter::attribute_list& list) {
  arbiter::attribute_list keyed;
  for (const auto& a : list) {
    if (!a.first.empty()) keyed.push_back(a);
  }
  const auto empty = static_cast<std::uint32_t>(list.size() - keyed.size());
  if (keyed.empty()) {
    EXPECT_FALSE(owner.contains("attributes"));
    return empty;
  }
  const json& a = owner.at("attributes");
  EXPECT_EQ(a.size(), keyed.size());
  if (a.size() != keyed.size()) return empty;
  for (std::size_t i = 0; i < keyed.size(); ++i) {
    EXPECT_EQ(a[i].size(), 2U) << a[i].dump();
    EXPECT_EQ(a[i].at("key"), utf8_reference::repaired(keyed[i].first));
    expect_value(a[i].at("value"), keyed[i].second);
  }
  return empty;
}

std::uint32_t saturated(std::uint64_t count) {
  return count > std::numeric_limits<std::uint32_t>::max() ? std::numeric_limits<std::uint32_t>::max()
                                                           : static_cast<std::uint32_t>(count);
}

std::string expected_name(const std::string& name) { return name.empty() ? "unnamed" : utf8_reference::repaired(name); }

/// Checks a count field that proto3 omits when zero.
void expect_count(const json& owner, const char* field, std::uint32_t count) {
  if (count == 0) {
    EXPECT_FALSE(owner.contains(field)) << field;
  } else {
    EXPECT_EQ(owner.at(field), count) << field;
  }
}

void expect_span(const json& j, const arbiter::span_data& s) {
  EXPECT_EQ(j.at("traceId"), hex_of(s.context.trace_id));
  EXPECT_EQ(j.at("spanId"), hex_of(s.context.span_id));
  if (s.parent_span_id.valid()) {
    EXPECT_EQ(j.at("parentSpanId"), hex_of(s.parent_span_id));
  } else {
    EXPECT_FALSE(j.contains("parentSpanId"));
  }
  EXPECT_EQ(j.at("flags"), s.context.flags | 0x100U | (s.parent_remote ? 0x200U : 0U));
  EXPECT_EQ(j.at("name"), expected_name(s.name));
  EXPECT_EQ(j.at("kind"), static_cast<int>(s.kind) + 1);
  EXPECT_EQ(j.at("startTimeUnixNano"), nanos_of(s.start_time));
  EXPECT_EQ(j.at("endTimeUnixNano"), nanos_of(s.end_time));
  const std::uint32_t empty = expect_attributes(j, s.attributes);
  expect_count(j, "droppedAttributesCount", saturated(std::uint64_t{s.dropped_attributes} + empty));
  if (s.events.empty()) {
    EXPECT_FALSE(j.contains("events"));
  } else {
    ASSERT_EQ(j.at("events").size(), s.events.size());
    for (std::size_t i = 0; i < s.events.size(); ++i) {
      const json& e = j["events"][i];
      EXPECT_EQ(e.at("timeUnixNano"), nanos_of(s.events[i].time));
      EXPECT_EQ(e.at("name"), expected_name(s.events[i].name));
      const std::uint32_t event_empty = expect_attributes(e, s.events[i].attributes);
      expect_count(e, "droppedAttributesCount", s.events[i].dropped_attributes + event_empty);
    }
  }
  expect_count(j, "droppedEventsCount", s.dropped_events);
  if (s.links.empty()) {
    EXPECT_FALSE(j.contains("links"));
  } else {
    ASSERT_EQ(j.at("links").size(), s.links.size());
    for (std::size_t i = 0; i < s.links.size(); ++i) {
      const json& l = j["links"][i];
      EXPECT_EQ(l.at("traceId"), hex_of(s.links[i].context.trace_id));
      EXPECT_EQ(l.at("spanId"), hex_of(s.links[i].context.span_id));
      EXPECT_EQ(l.at("flags"), s.links[i].context.flags | 0x100U | (s.links[i].context.remote ? 0x200U : 0U));
      const std::uint32_t link_empty = expect_attributes(l, s.links[i].attributes);
      expect_count(l, "droppedAttributesCount", s.links[i].dropped_attributes + link_empty);
    }
  }
  expect_count(j, "droppedLinksCount", s.dropped_links);
  json status = json::object();
  if (s.status != arbiter::span_status::unset) {
    status["code"] = static_cast<int>(s.status);
    if (!s.status_description.empty()) status["message"] = utf8_reference::repaired(s.status_description);
  }
  EXPECT_EQ(j.at("status"), status);
}

TEST(otlp_json_reference, random_batches_match_the_reference_bytes_and_parse_back_field_by_field) {
  span_generator gen(0x5eed'0715'2026'0001ULL);
  std::size_t checked = 0;
  std::string body = "left alone";  // encode_otlp_json appends: what was there stays
  for (int round = 0; round < 30; ++round) {
    const auto resource = gen.resource();
    const auto spans = gen.spans(gen.below(20));
    const std::string expected = reference::request(spans, resource);
    body.resize(10);
    arbiter::encode_otlp_json(body, spans, resource);
    ASSERT_EQ(body.substr(0, 10), "left alone");
    ASSERT_EQ(body.substr(10), expected) << "round " << round;
    ASSERT_EQ(arbiter::otlp_json(spans, resource), expected);

    const json parsed = json::parse(expected);
    const json& rs = parsed.at("resourceSpans").at(0);
    const json& rattrs = rs.at("resource").at("attributes");
    EXPECT_EQ(rattrs.at(0).at("key"), "service.name");
    EXPECT_EQ(rattrs.at(0).at("value").at("stringValue"), utf8_reference::repaired(resource.service_name));
    const json& scope = rs.at("scopeSpans").at(0);
    EXPECT_EQ(scope.at("scope").at("name"), utf8_reference::repaired(resource.scope_name));
    const json& out = scope.at("spans");
    ASSERT_EQ(out.size(), spans.size());
    for (std::size_t i = 0; i < spans.size(); ++i) {
      SCOPED_TRACE("round " + std::to_string(round) + " span " + std::to_string(i));
      expect_span(out[i], spans[i]);
      ++checked;
    }
  }
  EXPECT_GT(checked, 200U);
}

TEST(otlp_json_reference, append_otlp_span_matches_the_reference_after_any_prefix) {
  span_generator gen(42);
  for (int i = 0; i < 200; ++i) {
    const auto span = gen.span();
    std::string expected = gen.text();  // a prefix of any length: the writer starts mid-buffer
    std::string out = expected;
    reference::span(expected, span);
    arbiter::append_otlp_span(out, span);
    ASSERT_EQ(out, expected) << "span " << i;
  }
}

TEST(otlp_json_reference, bytes_that_are_not_utf8_are_replaced_as_the_reference_does_and_the_batch_parses) {
  span_generator gen(7, {.valid_utf8 = false});
  for (int round = 0; round < 20; ++round) {
    const auto spans = gen.spans(8);
    const arbiter::otlp_resource resource = gen.resource();
    const std::string body = arbiter::otlp_json(spans, resource);
    ASSERT_EQ(body, reference::request(spans, resource)) << "round " << round;
    json parsed;
    ASSERT_NO_THROW(parsed = json::parse(body)) << "round " << round << ": nlohmann/json rejects ill-formed UTF-8";
    const json& out = parsed.at("resourceSpans").at(0).at("scopeSpans").at(0).at("spans");
    ASSERT_EQ(out.size(), spans.size());
    for (std::size_t i = 0; i < spans.size(); ++i) {
      SCOPED_TRACE("round " + std::to_string(round) + " span " + std::to_string(i));
      expect_span(out[i], spans[i]);
    }
  }
}

TEST(otlp_json_reference, a_long_string_of_escapes_grows_the_output_six_times) {
  arbiter::span_data s;
  s.name = std::string(20'000, '\x01');
  std::string expected;
  reference::span(expected, s);
  std::string out;
  arbiter::append_otlp_span(out, s);
  EXPECT_EQ(out, expected);
  EXPECT_EQ(json::parse(out).at("name"), s.name);
}

// The word test against the byte test, for every byte at every offset: tests/detail/json_text.test.cpp.

TEST(json_escaping, escaping_matches_the_reference_on_random_text) {
  span_generator gen(99, {.valid_utf8 = false});
  for (int i = 0; i < 2000; ++i) {
    const std::string text = gen.text();
    std::string expected = "x";
    reference::escaped(expected, text);
    std::string out = "x";
    arbiter::detail::append_json_escaped(out, text);
    ASSERT_EQ(out, expected) << i;
    const char* first = arbiter::detail::skip_json_plain(text.data(), text.data() + text.size());
    std::size_t byte_wise = 0;
    for (; byte_wise < text.size(); ++byte_wise) {
      const auto c = static_cast<unsigned char>(text[byte_wise]);
      if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\') break;  // an escape, or a byte of UTF-8 to validate
    }
    EXPECT_EQ(static_cast<std::size_t>(first - text.data()), byte_wise);
  }
}

}  // namespace

namespace {

template <class T>
std::string to_chars_string(T value) {
  char buffer[32];
  return std::string(buffer, std::to_chars(buffer, buffer + sizeof buffer, value).ptr);
}

template <class T>
std::string written(T value) {
  char buffer[32];
  return std::string(buffer, arbiter::detail::write_integer_decimal(buffer, value));
}

TEST(otlp_json_decimal, every_length_and_every_power_of_ten_boundary_matches_to_chars) {
  std::vector<std::uint64_t> values{0, std::numeric_limits<std::uint64_t>::max()};
  for (std::uint64_t p = 1; p <= std::numeric_limits<std::uint64_t>::max() / 10; p *= 10) {
    for (const std::uint64_t v : {p - 1, p, p + 1, 10 * p - 1, 2 * p + 7, 9 * p + p / 2}) values.push_back(v);
  }
  std::mt19937_64 rng(2026);
  for (int i = 0; i < 5000; ++i) values.push_back(rng() >> (rng() % 64));  // every digit count
  for (const std::uint64_t v : values) {
    ASSERT_EQ(written(v), to_chars_string(v)) << v;
    const auto s = static_cast<std::int64_t>(v);
    ASSERT_EQ(written(s), to_chars_string(s)) << s;
    ASSERT_EQ(written(static_cast<std::uint32_t>(v)), to_chars_string(static_cast<std::uint32_t>(v)));
  }
  EXPECT_EQ(written(std::numeric_limits<std::int64_t>::min()), "-9223372036854775808");
  EXPECT_EQ(written(std::numeric_limits<std::uint64_t>::max()), "18446744073709551615");
  EXPECT_EQ(written(-1), "-1");
}

}  // namespace
