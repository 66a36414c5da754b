// The OTLP protobuf encoder against libprotobuf: what encode_otlp_protobuf writes is parsed by the code protoc
// generates from otlp_trace_test.proto (the schema written for these tests) and compared field by field with the
// span data; it must also be byte for byte what libprotobuf itself serializes for the same message (the canonical
// encoding), and say what encode_otlp_json says for the same batch. Hand-written spans cover every field and the
// edge cases; a few hundred randomized spans (fixed seed) cover the rest, as otlp_json_reference.test.cpp does.
#include <arbiter/tracing/otlp_json.hpp>
#include <arbiter/tracing/otlp_protobuf.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <array>
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

#include <google/protobuf/io/coded_stream.h>

#include "../detail/utf8_reference.hpp"
#include "otlp_trace_test.pb.h"
#include "random_spans.hpp"

namespace {

namespace pb = arbiter_test::otlp;
using json = nlohmann::json;
using arbiter::attribute_list;
using arbiter::attribute_value;
using arbiter::span_data;

// ---- Decoding and expectations.

pb::ExportTraceServiceRequest decode(const std::string& body) {
  pb::ExportTraceServiceRequest request;
  // proto3 string fields are checked for UTF-8 here: ill-formed bytes would fail the parse.
  EXPECT_TRUE(request.ParseFromString(body)) << "libprotobuf cannot parse the " << body.size() << " bytes";
  return request;
}

std::string bytes_of(const arbiter::trace_id& id) {
  const auto b = id.bytes();
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}
std::string bytes_of(const arbiter::span_id& id) {
  std::string out(8, '\0');
  for (std::size_t i = 0; i < 8; ++i) out[i] = static_cast<char>(id.value >> (56 - 8 * i));
  return out;
}

std::uint64_t unix_nanos(std::chrono::system_clock::time_point time) {
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(time.time_since_epoch()).count();
  return ns < 0 ? 0 : static_cast<std::uint64_t>(ns);
}

std::uint32_t saturated(std::uint64_t count) {
  return count > std::numeric_limits<std::uint32_t>::max() ? std::numeric_limits<std::uint32_t>::max()
                                                           : static_cast<std::uint32_t>(count);
}

std::string expected_name(const std::string& name) { return name.empty() ? "unnamed" : utf8_reference::repaired(name); }

void expect_scalar(const pb::AnyValue& v, const std::string& expected) {
  ASSERT_EQ(v.value_case(), pb::AnyValue::kStringValue);
  EXPECT_EQ(v.string_value(), utf8_reference::repaired(expected));
}
void expect_scalar(const pb::AnyValue& v, std::int64_t expected) {
  ASSERT_EQ(v.value_case(), pb::AnyValue::kIntValue);
  EXPECT_EQ(v.int_value(), expected);
}
void expect_scalar(const pb::AnyValue& v, bool expected) {
  ASSERT_EQ(v.value_case(), pb::AnyValue::kBoolValue);
  EXPECT_EQ(v.bool_value(), expected);
}
void expect_scalar(const pb::AnyValue& v, double expected) {
  ASSERT_EQ(v.value_case(), pb::AnyValue::kDoubleValue);
  if (std::isnan(expected)) {
    EXPECT_TRUE(std::isnan(v.double_value()));
  } else {
    EXPECT_EQ(v.double_value(), expected);
    EXPECT_EQ(std::signbit(v.double_value()), std::signbit(expected)) << "-0.0 stays negative";
  }
}

void expect_value(const pb::AnyValue& v, const attribute_value& value) {
  value.visit([&v](const auto& x) {
    using T = std::decay_t<decltype(x)>;
    if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, std::int64_t> || std::is_same_v<T, double> ||
                  std::is_same_v<T, bool>) {
      expect_scalar(v, x);
    } else {
      ASSERT_EQ(v.value_case(), pb::AnyValue::kArrayValue);
      ASSERT_EQ(static_cast<std::size_t>(v.array_value().values_size()), x.size());
      for (std::size_t i = 0; i < x.size(); ++i) {
        expect_scalar(v.array_value().values(static_cast<int>(i)), static_cast<typename T::value_type>(x[i]));
      }
    }
  });
}

/// Checks decoded attributes against `list`: those with a key, in order; returns how many had an empty key.
std::uint32_t expect_attributes(const google::protobuf::RepeatedPtrField<pb::KeyValue>& decoded,
                                const attribute_list& list) {
  attribute_list keyed;
  for (const auto& a : list) {
    if (!a.first.empty()) keyed.push_back(a);
  }
  EXPECT_EQ(static_cast<std::size_t>(decoded.size()), keyed.size());
  if (static_cast<std::size_t>(decoded.size()) != keyed.size()) return 0;
  for (std::size_t i = 0; i < keyed.size(); ++i) {
    const pb::KeyValue& kv = decoded[static_cast<int>(i)];
    EXPECT_EQ(kv.key(), utf8_reference::repaired(keyed[i].first));
    EXPECT_TRUE(kv.has_value());
    expect_value(kv.value(), keyed[i].second);
  }
  return static_cast<std::uint32_t>(list.size() - keyed.size());
}

std::uint32_t link_flags(const arbiter::span_context& context) {
  return context.flags | 0x100U | (context.remote ? 0x200U : 0U);
}
std::uint32_t span_flags(const span_data& s) { return s.context.flags | 0x100U | (s.parent_remote ? 0x200U : 0U); }

void expect_span(const pb::Span& p, const span_data& s) {
  EXPECT_EQ(p.trace_id(), bytes_of(s.context.trace_id));
  EXPECT_EQ(p.span_id(), bytes_of(s.context.span_id));
  EXPECT_EQ(p.trace_state(), utf8_reference::repaired(s.trace_state));
  EXPECT_EQ(p.parent_span_id(), s.parent_span_id.valid() ? bytes_of(s.parent_span_id) : std::string());
  EXPECT_EQ(p.flags(), span_flags(s)) << "the W3C trace flags, HAS_IS_REMOTE, IS_REMOTE for the parent";
  EXPECT_EQ(p.name(), expected_name(s.name));
  EXPECT_EQ(static_cast<int>(p.kind()), static_cast<int>(s.kind) + 1);
  EXPECT_EQ(p.start_time_unix_nano(), unix_nanos(s.start_time));
  EXPECT_EQ(p.end_time_unix_nano(), unix_nanos(s.end_time));
  const std::uint32_t empty = expect_attributes(p.attributes(), s.attributes);
  EXPECT_EQ(p.dropped_attributes_count(), saturated(std::uint64_t{s.dropped_attributes} + empty));
  ASSERT_EQ(static_cast<std::size_t>(p.events_size()), s.events.size());
  for (std::size_t i = 0; i < s.events.size(); ++i) {
    const pb::Span::Event& e = p.events(static_cast<int>(i));
    EXPECT_EQ(e.time_unix_nano(), unix_nanos(s.events[i].time));
    EXPECT_EQ(e.name(), expected_name(s.events[i].name));
    const std::uint32_t event_empty = expect_attributes(e.attributes(), s.events[i].attributes);
    EXPECT_EQ(e.dropped_attributes_count(), saturated(std::uint64_t{s.events[i].dropped_attributes} + event_empty));
  }
  EXPECT_EQ(p.dropped_events_count(), s.dropped_events);
  ASSERT_EQ(static_cast<std::size_t>(p.links_size()), s.links.size());
  for (std::size_t i = 0; i < s.links.size(); ++i) {
    const pb::Span::Link& l = p.links(static_cast<int>(i));
    EXPECT_EQ(l.trace_id(), bytes_of(s.links[i].context.trace_id));
    EXPECT_EQ(l.span_id(), bytes_of(s.links[i].context.span_id));
    EXPECT_EQ(l.trace_state(), utf8_reference::repaired(s.links[i].trace_state));
    EXPECT_EQ(l.flags(), link_flags(s.links[i].context)) << "trace flags, HAS_IS_REMOTE, IS_REMOTE";
    const std::uint32_t link_empty = expect_attributes(l.attributes(), s.links[i].attributes);
    EXPECT_EQ(l.dropped_attributes_count(), saturated(std::uint64_t{s.links[i].dropped_attributes} + link_empty));
  }
  EXPECT_EQ(p.dropped_links_count(), s.dropped_links);
  EXPECT_TRUE(p.has_status()) << "written even when unset, as the JSON writes \"status\":{}";
  EXPECT_EQ(static_cast<int>(p.status().code()), static_cast<int>(s.status));
  EXPECT_EQ(p.status().message(),
            s.status == arbiter::span_status::unset ? std::string() : utf8_reference::repaired(s.status_description));
}

/// Checks the request's one resource and scope against `resource`; returns its spans.
const google::protobuf::RepeatedPtrField<pb::Span>& expect_envelope(const pb::ExportTraceServiceRequest& request,
                                                                    const arbiter::otlp_resource& resource) {
  static const google::protobuf::RepeatedPtrField<pb::Span> none;
  EXPECT_EQ(request.resource_spans_size(), 1);
  if (request.resource_spans_size() != 1) return none;
  const pb::ResourceSpans& rs = request.resource_spans(0);
  EXPECT_TRUE(rs.has_resource());
  attribute_list expected{{"service.name", resource.service_name}};
  if (!resource.service_version.empty()) expected.emplace_back("service.version", resource.service_version);
  if (!resource.deployment_environment.empty()) {
    expected.emplace_back("deployment.environment", resource.deployment_environment);
  }
  for (const auto& a : resource.attributes) {
    if (a.first != "service.name" && a.first != "service.version" && a.first != "deployment.environment") {
      expected.push_back(a);
    }
  }
  const std::uint32_t empty = expect_attributes(rs.resource().attributes(), expected);
  EXPECT_EQ(rs.resource().dropped_attributes_count(), empty);
  EXPECT_EQ(rs.scope_spans_size(), 1);
  if (rs.scope_spans_size() != 1) return none;
  const pb::ScopeSpans& ss = rs.scope_spans(0);
  EXPECT_TRUE(ss.has_scope());
  EXPECT_EQ(ss.scope().name(), utf8_reference::repaired(resource.scope_name));
  EXPECT_EQ(ss.scope().version(), utf8_reference::repaired(resource.scope_version));
  return ss.spans();
}

// ---- The same message built with libprotobuf's own API: its serialization is the canonical encoding.

namespace reference {

void any_scalar(pb::AnyValue& v, const std::string& x) { v.set_string_value(utf8_reference::repaired(x)); }
void any_scalar(pb::AnyValue& v, std::int64_t x) { v.set_int_value(x); }
void any_scalar(pb::AnyValue& v, double x) { v.set_double_value(x); }
void any_scalar(pb::AnyValue& v, bool x) { v.set_bool_value(x); }

void attributes(google::protobuf::RepeatedPtrField<pb::KeyValue>& out, const attribute_list& list) {
  for (const auto& [key, value] : list) {
    if (key.empty()) continue;
    pb::KeyValue& kv = *out.Add();
    kv.set_key(utf8_reference::repaired(key));
    pb::AnyValue& v = *kv.mutable_value();
    value.visit([&v](const auto& x) {
      using T = std::decay_t<decltype(x)>;
      if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, std::int64_t> || std::is_same_v<T, double> ||
                    std::is_same_v<T, bool>) {
        any_scalar(v, x);
      } else {
        pb::ArrayValue& array = *v.mutable_array_value();
        for (const auto& e : x) any_scalar(*array.add_values(), static_cast<typename T::value_type>(e));
      }
    });
  }
}

std::uint32_t empty_keys(const attribute_list& list) {
  std::uint32_t n = 0;
  for (const auto& a : list) n += a.first.empty() ? 1U : 0U;
  return n;
}

std::string message(const std::vector<span_data>& spans, const arbiter::otlp_resource& resource) {
  pb::ExportTraceServiceRequest request;
  pb::ResourceSpans& rs = *request.add_resource_spans();
  pb::Resource& r = *rs.mutable_resource();
  attribute_list named{{"service.name", resource.service_name}};
  if (!resource.service_version.empty()) named.emplace_back("service.version", resource.service_version);
  if (!resource.deployment_environment.empty()) {
    named.emplace_back("deployment.environment", resource.deployment_environment);
  }
  attributes(*r.mutable_attributes(), named);
  attribute_list rest;
  for (const auto& a : resource.attributes) {
    if (a.first != "service.name" && a.first != "service.version" && a.first != "deployment.environment") {
      rest.push_back(a);
    }
  }
  attributes(*r.mutable_attributes(), rest);
  r.set_dropped_attributes_count(empty_keys(rest));
  pb::ScopeSpans& ss = *rs.add_scope_spans();
  ss.mutable_scope()->set_name(utf8_reference::repaired(resource.scope_name));
  ss.mutable_scope()->set_version(utf8_reference::repaired(resource.scope_version));
  for (const span_data& s : spans) {
    pb::Span& p = *ss.add_spans();
    p.set_trace_id(bytes_of(s.context.trace_id));
    p.set_span_id(bytes_of(s.context.span_id));
    p.set_trace_state(utf8_reference::repaired(s.trace_state));
    if (s.parent_span_id.valid()) p.set_parent_span_id(bytes_of(s.parent_span_id));
    p.set_flags(span_flags(s));
    p.set_name(expected_name(s.name));
    p.set_kind(static_cast<pb::Span::SpanKind>(static_cast<int>(s.kind) + 1));
    p.set_start_time_unix_nano(unix_nanos(s.start_time));
    p.set_end_time_unix_nano(unix_nanos(s.end_time));
    attributes(*p.mutable_attributes(), s.attributes);
    p.set_dropped_attributes_count(saturated(std::uint64_t{s.dropped_attributes} + empty_keys(s.attributes)));
    for (const auto& e : s.events) {
      pb::Span::Event& pe = *p.add_events();
      pe.set_time_unix_nano(unix_nanos(e.time));
      pe.set_name(expected_name(e.name));
      attributes(*pe.mutable_attributes(), e.attributes);
      pe.set_dropped_attributes_count(saturated(std::uint64_t{e.dropped_attributes} + empty_keys(e.attributes)));
    }
    p.set_dropped_events_count(s.dropped_events);
    for (const auto& l : s.links) {
      pb::Span::Link& pl = *p.add_links();
      pl.set_trace_id(bytes_of(l.context.trace_id));
      pl.set_span_id(bytes_of(l.context.span_id));
      pl.set_trace_state(utf8_reference::repaired(l.trace_state));
      attributes(*pl.mutable_attributes(), l.attributes);
      pl.set_dropped_attributes_count(saturated(std::uint64_t{l.dropped_attributes} + empty_keys(l.attributes)));
      pl.set_flags(link_flags(l.context));
    }
    p.set_dropped_links_count(s.dropped_links);
    pb::Status& status = *p.mutable_status();
    if (s.status != arbiter::span_status::unset) {
      status.set_code(static_cast<pb::Status::StatusCode>(static_cast<int>(s.status)));
      status.set_message(utf8_reference::repaired(s.status_description));
    }
  }
  return request.SerializeAsString();
}

}  // namespace reference

// ---- A decoded request in the OTLP JSON encoder's terms (hex ids, nanoseconds as decimal strings, enums as
// integers, the fields that encoder always writes), to compare with what it wrote.

namespace as_json {

std::string hex(const std::string& bytes) {
  constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (const char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 0xF]);
  }
  return out;
}

json number(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  return d;
}

json any(const pb::AnyValue& v) {
  switch (v.value_case()) {
    case pb::AnyValue::kStringValue:
      return {{"stringValue", v.string_value()}};
    case pb::AnyValue::kIntValue:
      return {{"intValue", std::to_string(v.int_value())}};
    case pb::AnyValue::kBoolValue:
      return {{"boolValue", v.bool_value()}};
    case pb::AnyValue::kDoubleValue:
      return {{"doubleValue", number(v.double_value())}};
    case pb::AnyValue::kArrayValue: {
      json values = json::array();
      for (const auto& e : v.array_value().values()) values.push_back(any(e));
      return {{"arrayValue", {{"values", values}}}};
    }
    default:
      ADD_FAILURE() << "an AnyValue the encoder never writes: " << v.value_case();
      return nullptr;
  }
}

void attributes(json& owner, const google::protobuf::RepeatedPtrField<pb::KeyValue>& list, bool always = false) {
  if (list.empty() && !always) return;
  json out = json::array();
  for (const auto& kv : list) out.push_back({{"key", kv.key()}, {"value", any(kv.value())}});
  owner["attributes"] = out;
}

void count(json& owner, const char* field, std::uint32_t n) {
  if (n != 0) owner[field] = n;
}

json span(const pb::Span& p) {
  json s = {{"traceId", hex(p.trace_id())},
            {"spanId", hex(p.span_id())},
            {"flags", p.flags()},
            {"name", p.name()},
            {"kind", static_cast<int>(p.kind())},
            {"startTimeUnixNano", std::to_string(p.start_time_unix_nano())},
            {"endTimeUnixNano", std::to_string(p.end_time_unix_nano())}};
  if (!p.parent_span_id().empty()) s["parentSpanId"] = hex(p.parent_span_id());
  if (!p.trace_state().empty()) s["traceState"] = p.trace_state();
  attributes(s, p.attributes());
  count(s, "droppedAttributesCount", p.dropped_attributes_count());
  if (p.events_size() > 0) {
    json events = json::array();
    for (const auto& e : p.events()) {
      json j = {{"timeUnixNano", std::to_string(e.time_unix_nano())}, {"name", e.name()}};
      attributes(j, e.attributes());
      count(j, "droppedAttributesCount", e.dropped_attributes_count());
      events.push_back(j);
    }
    s["events"] = events;
  }
  count(s, "droppedEventsCount", p.dropped_events_count());
  if (p.links_size() > 0) {
    json links = json::array();
    for (const auto& l : p.links()) {
      // Both encoders write OTLP's SpanFlags: the W3C trace flags and the "is remote" bits.
      json j = {{"traceId", hex(l.trace_id())}, {"spanId", hex(l.span_id())}, {"flags", l.flags()}};
      if (!l.trace_state().empty()) j["traceState"] = l.trace_state();
      attributes(j, l.attributes());
      count(j, "droppedAttributesCount", l.dropped_attributes_count());
      links.push_back(j);
    }
    s["links"] = links;
  }
  count(s, "droppedLinksCount", p.dropped_links_count());
  json status = json::object();
  if (p.status().code() != 0) status["code"] = static_cast<int>(p.status().code());
  if (!p.status().message().empty()) status["message"] = p.status().message();
  s["status"] = status;
  return s;
}

json request(const pb::ExportTraceServiceRequest& r) {
  json resource_spans = json::array();
  for (const auto& rs : r.resource_spans()) {
    json resource = json::object();
    attributes(resource, rs.resource().attributes(), true);
    count(resource, "droppedAttributesCount", rs.resource().dropped_attributes_count());
    json scope_spans = json::array();
    for (const auto& ss : rs.scope_spans()) {
      json scope = {{"name", ss.scope().name()}};
      if (!ss.scope().version().empty()) scope["version"] = ss.scope().version();
      json spans = json::array();
      for (const auto& p : ss.spans()) spans.push_back(span(p));
      scope_spans.push_back({{"scope", scope}, {"spans", spans}});
    }
    resource_spans.push_back({{"resource", resource}, {"scopeSpans", scope_spans}});
  }
  return {{"resourceSpans", resource_spans}};
}

/// Removes "traceState" from the decoded spans and links where the JSON encoder wrote none (it had none before the
/// tracestate work; it now writes every one, so this removes nothing); where it writes one, the two must agree.
void align_trace_state(json& decoded, const json& written) {
  json& spans = decoded["resourceSpans"][0]["scopeSpans"][0]["spans"];
  const json& written_spans = written.at("resourceSpans")[0].at("scopeSpans")[0].at("spans");
  for (std::size_t i = 0; i < spans.size() && i < written_spans.size(); ++i) {
    if (!written_spans[i].contains("traceState")) spans[i].erase("traceState");
    if (!spans[i].contains("links") || !written_spans[i].contains("links")) continue;
    for (std::size_t k = 0; k < spans[i]["links"].size() && k < written_spans[i]["links"].size(); ++k) {
      if (!written_spans[i]["links"][k].contains("traceState")) spans[i]["links"][k].erase("traceState");
    }
  }
}

}  // namespace as_json

/// Checks the protobuf body says what the JSON encoder says for the same batch.
void expect_same_as_json(const std::string& body, const std::vector<span_data>& spans,
                         const arbiter::otlp_resource& resource) {
  const json written = json::parse(arbiter::otlp_json(spans, resource));
  json decoded = as_json::request(decode(body));
  as_json::align_trace_state(decoded, written);
  EXPECT_EQ(decoded, written) << "protobuf, in JSON terms:\n" << decoded.dump() << "\nJSON:\n" << written.dump();
}

// ---- Random span data (random_spans.hpp), with what only the protobuf encoding has to get right: long texts
// (lengths of three varint bytes), trace states, remote parents, lists of 200 items and empty attribute keys.

arbiter_test::span_generator protobuf_spans(std::uint64_t seed, bool valid_utf8 = true) {
  return arbiter_test::span_generator(seed, {.valid_utf8 = valid_utf8,
                                             .long_text = 20'000,
                                             .trace_states = true,
                                             .remote_parents = true,
                                             .long_lists_and_empty_keys = true});
}

// ---- Hand-written spans.

std::chrono::system_clock::time_point at_nanos(std::int64_t ns) {
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::nanoseconds(ns)));
}

const arbiter::otlp_resource service{"checkout", "2.1.0", "prod", {{"host.name", std::string("node-7")}},
                                     "arbiter",  "0.1.0"};

/// A span with every field set.
span_data full_span() {
  span_data s;
  s.name = "POST /orders";
  s.context = {arbiter::trace_id{0x0102030405060708ULL, 0x090a0b0c0d0e0f10ULL}, arbiter::span_id{0x1112131415161718ULL},
               arbiter::trace_flags::sampled | arbiter::trace_flags::random, false};
  s.parent_span_id = arbiter::span_id{0x2122232425262728ULL};
  s.kind = arbiter::span_kind::server;
  s.attributes = {{"http.method", std::string("POST")},
                  {"http.status_code", std::int64_t{201}},
                  {"ratio", 0.25},
                  {"cached", false},
                  {"tags", std::vector<std::string>{"a", "", "b"}},
                  {"ids", std::vector<std::int64_t>{-1, 0, 300}},
                  {"weights", std::vector<double>{1.5, -0.0}},
                  {"flags", std::vector<bool>{true, false}},
                  {"empty", std::vector<std::int64_t>{}}};
  s.events = {{"retry", at_nanos(1'700'000'000'000'000'100LL), {{"attempt", std::int64_t{2}}}, 1},
              {"", at_nanos(1'700'000'000'000'000'200LL), {}, 0}};
  s.links = {{{arbiter::trace_id{1, 2}, arbiter::span_id{3}, 1, true},
              {{"link.kind", std::string("follows")}},
              2,
              "vendor=value"},
             {{arbiter::trace_id{4, 5}, arbiter::span_id{6}, 0, false}, {}, 0, ""}};
  s.status = arbiter::span_status::error;
  s.status_description = "payment declined";
  s.start_time = at_nanos(1'700'000'000'000'000'000LL);
  s.end_time = at_nanos(1'700'000'000'000'001'000LL);
  s.dropped_attributes = 3;
  s.dropped_events = 4;
  s.dropped_links = 5;
  s.trace_state = "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7";
  return s;
}

TEST(otlp_protobuf, every_field_of_a_span_decodes_to_what_the_span_holds) {
  const std::vector<span_data> spans{full_span()};
  const std::string body = arbiter::otlp_protobuf(spans, service);
  const pb::ExportTraceServiceRequest request = decode(body);
  const auto& decoded = expect_envelope(request, service);
  ASSERT_EQ(decoded.size(), 1);
  expect_span(decoded[0], spans[0]);

  // The same, spelled out for the fields that matter most to a collector.
  const pb::Span& p = decoded[0];
  EXPECT_EQ(as_json::hex(p.trace_id()), "0102030405060708090a0b0c0d0e0f10");
  EXPECT_EQ(as_json::hex(p.span_id()), "1112131415161718");
  EXPECT_EQ(as_json::hex(p.parent_span_id()), "2122232425262728");
  EXPECT_EQ(p.trace_state(), "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7");
  EXPECT_EQ(p.flags(), 0x103U) << "sampled, random; the parent's remoteness known: local";
  EXPECT_EQ(p.kind(), pb::Span::SPAN_KIND_SERVER);
  EXPECT_EQ(p.start_time_unix_nano(), 1'700'000'000'000'000'000ULL);
  EXPECT_EQ(p.end_time_unix_nano(), 1'700'000'000'000'001'000ULL);
  EXPECT_EQ(p.attributes(8).key(), "empty");
  EXPECT_TRUE(p.attributes(8).value().has_array_value()) << "an empty array is still an ArrayValue";
  EXPECT_EQ(p.events(1).name(), "unnamed");
  EXPECT_EQ(p.links(0).trace_state(), "vendor=value");
  EXPECT_EQ(p.links(0).flags(), 0x301U) << "sampled, remoteness known, remote";
  EXPECT_EQ(p.links(1).flags(), 0x100U) << "remoteness known, not remote";
  EXPECT_EQ(p.status().code(), pb::Status::STATUS_CODE_ERROR);
  EXPECT_EQ(p.status().message(), "payment declined");
  const auto& resource = request.resource_spans(0).resource();
  ASSERT_EQ(resource.attributes_size(), 4);
  EXPECT_EQ(resource.attributes(0).key(), "service.name");
  EXPECT_EQ(resource.attributes(0).value().string_value(), "checkout");
  EXPECT_EQ(resource.attributes(3).key(), "host.name");
  EXPECT_EQ(request.resource_spans(0).scope_spans(0).scope().name(), "arbiter");
  EXPECT_EQ(request.resource_spans(0).scope_spans(0).scope().version(), "0.1.0");

  EXPECT_EQ(body, reference::message(spans, service)) << "the canonical bytes, as libprotobuf writes them";
  expect_same_as_json(body, spans, service);
}

TEST(otlp_protobuf, an_empty_batch_is_a_resource_and_a_scope_without_spans) {
  const std::string body = arbiter::otlp_protobuf({}, service);
  const pb::ExportTraceServiceRequest request = decode(body);
  EXPECT_EQ(expect_envelope(request, service).size(), 0);
  EXPECT_EQ(body, reference::message({}, service));
  expect_same_as_json(body, {}, service);
}

TEST(otlp_protobuf, empty_names_are_unnamed_and_attributes_without_a_key_are_counted_as_dropped) {
  span_data s;
  s.attributes = {{"", std::int64_t{1}}, {"kept", std::int64_t{2}}, {"", std::string("x")}};
  s.dropped_attributes = 1;
  s.events = {{"", {}, {{"", true}}, 0}};
  s.links = {{{}, {{"", 1.0}}, 0, ""}};
  arbiter::otlp_resource resource;
  resource.attributes = {{"", std::string("no key")}};
  resource.scope_name.clear();
  resource.scope_version.clear();
  const std::vector<span_data> spans{s};
  const std::string body = arbiter::otlp_protobuf(spans, resource);
  const pb::ExportTraceServiceRequest request = decode(body);
  const auto& decoded = expect_envelope(request, resource);
  ASSERT_EQ(decoded.size(), 1);
  expect_span(decoded[0], s);
  EXPECT_EQ(decoded[0].name(), "unnamed");
  EXPECT_EQ(decoded[0].dropped_attributes_count(), 3U);
  EXPECT_EQ(decoded[0].events(0).name(), "unnamed");
  EXPECT_EQ(decoded[0].events(0).dropped_attributes_count(), 1U);
  EXPECT_EQ(decoded[0].links(0).dropped_attributes_count(), 1U);
  EXPECT_EQ(request.resource_spans(0).resource().dropped_attributes_count(), 1U);
  EXPECT_EQ(decoded[0].start_time_unix_nano(), 0U) << "an unset time is left out, as proto3 does with 0";
  EXPECT_TRUE(decoded[0].parent_span_id().empty()) << "a root span has no parent_span_id";
  EXPECT_EQ(body, reference::message(spans, resource));
  expect_same_as_json(body, spans, resource);
}

TEST(otlp_protobuf, the_largest_values_and_every_attribute_type_round_trip) {
  constexpr auto i64_min = std::numeric_limits<std::int64_t>::min();
  constexpr auto i64_max = std::numeric_limits<std::int64_t>::max();
  constexpr auto u32_max = std::numeric_limits<std::uint32_t>::max();
  span_data s;
  s.name = "limits";
  s.context = {arbiter::trace_id{~0ULL, ~0ULL}, arbiter::span_id{~0ULL}, 0xFF, true};
  s.parent_span_id = arbiter::span_id{~0ULL};
  s.parent_remote = true;
  s.kind = arbiter::span_kind::consumer;
  s.start_time = at_nanos(-5);  // before the epoch: 0
  s.end_time = at_nanos(i64_max);
  s.attributes = {{"min", i64_min},
                  {"max", i64_max},
                  {"zero", std::int64_t{0}},
                  {"false", false},
                  {"true", true},
                  {"nan", std::numeric_limits<double>::quiet_NaN()},
                  {"inf", std::numeric_limits<double>::infinity()},
                  {"-inf", -std::numeric_limits<double>::infinity()},
                  {"-0", -0.0},
                  {"denorm", std::numeric_limits<double>::denorm_min()},
                  {"lowest", std::numeric_limits<double>::lowest()},
                  {"empty string", std::string()},
                  {"strings", std::vector<std::string>{"", "x", std::string(300, 'y')}},
                  {"ints", std::vector<std::int64_t>{i64_min, -1, 0, 1, 127, 128, 16383, 16384, i64_max}},
                  {"reals", std::vector<double>{std::numeric_limits<double>::quiet_NaN(), -0.0, 1e308}},
                  {"bools", std::vector<bool>(1000, true)}};
  s.dropped_attributes = u32_max;  // plus nothing left out: stays the maximum
  s.dropped_events = u32_max;
  s.dropped_links = u32_max;
  s.events = {{"e", at_nanos(i64_max), {{"", std::int64_t{1}}}, u32_max}};  // saturates
  s.status = arbiter::span_status::ok;
  s.status_description = "";
  const std::vector<span_data> spans{s};
  const std::string body = arbiter::otlp_protobuf(spans, service);
  const auto request = decode(body);
  const auto& decoded = expect_envelope(request, service);
  ASSERT_EQ(decoded.size(), 1);
  expect_span(decoded[0], s);
  EXPECT_EQ(decoded[0].end_time_unix_nano(), static_cast<std::uint64_t>(i64_max));
  EXPECT_EQ(decoded[0].events(0).dropped_attributes_count(), u32_max);
  EXPECT_EQ(decoded[0].flags(), 0x3FFU) << "every trace flag; the parent is remote";
  EXPECT_EQ(decoded[0].status().code(), pb::Status::STATUS_CODE_OK);
  EXPECT_EQ(body, reference::message(spans, service));
  expect_same_as_json(body, spans, service);
}

TEST(otlp_protobuf, utf8_passes_as_it_is_and_ill_formed_bytes_become_replacement_characters) {
  span_data s;
  s.name = "r\xc3\xa9sum\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80";  // résumé 日本 😀
  s.attributes = {{"\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87", std::string("\xd0\xb7\xd0\xbd\xd0\xb0\xd1\x87")},  // ключ
                  {"bad \xff key", std::string("a\x80z")},
                  {"truncated", std::string("x\xe6\x97")},
                  {"surrogate", std::string("\xed\xa0\x80")},
                  {"overlong", std::string("\xc0\xaf")},
                  {"array", std::vector<std::string>{"\xf0\x9f\x98", "ok"}}};
  s.status = arbiter::span_status::error;
  s.status_description = "\xfe";
  s.trace_state = "k=\x80";
  const std::vector<span_data> spans{s};
  const std::string body = arbiter::otlp_protobuf(spans, service);
  const auto request = decode(body);  // libprotobuf refuses ill-formed UTF-8 in a proto3 string
  const auto& decoded = expect_envelope(request, service);
  ASSERT_EQ(decoded.size(), 1);
  expect_span(decoded[0], s);
  EXPECT_EQ(decoded[0].name(), s.name) << "well-formed UTF-8 is written as it is";
  EXPECT_EQ(decoded[0].attributes(1).key(), "bad \xef\xbf\xbd key");
  EXPECT_EQ(decoded[0].attributes(1).value().string_value(), "a\xef\xbf\xbdz");
  EXPECT_EQ(decoded[0].status().message(), "\xef\xbf\xbd");
  EXPECT_EQ(body, reference::message(spans, service));
  expect_same_as_json(body, spans, service);
}

TEST(otlp_protobuf, lengths_of_every_width_are_patched_in_place_or_moved) {
  // A span under 128 bytes (its 2-byte slot shrinks), one over 16 KiB (3 bytes), and batches whose outer length
  // is below and above the guess.
  span_data tiny;
  tiny.name = "t";
  span_data huge;
  huge.name = std::string(20'000, 'h');
  huge.events = {{std::string(200, 'e'), {}, {}, 0}, {"small", {}, {}, 0}};
  huge.links = {{{}, {{"big", std::string(20'000, 'l')}}, 0, std::string(130, 's')}};
  for (const std::vector<span_data>& spans :
       {std::vector<span_data>{tiny}, std::vector<span_data>{huge}, std::vector<span_data>{tiny, huge, tiny},
        std::vector<span_data>(3000, tiny), std::vector<span_data>(120, huge)}) {
    const std::string body = arbiter::otlp_protobuf(spans, service);
    const auto request = decode(body);
    const auto& decoded = expect_envelope(request, service);
    ASSERT_EQ(static_cast<std::size_t>(decoded.size()), spans.size());
    for (std::size_t i = 0; i < spans.size(); ++i) expect_span(decoded[static_cast<int>(i)], spans[i]);
    EXPECT_EQ(body, reference::message(spans, service)) << spans.size() << " spans, " << body.size() << " bytes";
  }
}

TEST(otlp_protobuf, appends_to_what_the_string_holds_and_reads_spans_in_place_alike) {
  const std::vector<span_data> spans{full_span(), span_data{}, full_span()};
  std::string body = "kept";
  arbiter::encode_otlp_protobuf(body, spans, service);
  ASSERT_EQ(body.substr(0, 4), "kept");
  EXPECT_EQ(body.substr(4), reference::message(spans, service));
  std::vector<const span_data*> refs{&spans[0], &spans[1], &spans[2]};
  std::string in_place = "kept";
  arbiter::encode_otlp_protobuf(in_place, arbiter::span_refs(refs), service);
  EXPECT_EQ(in_place, body);
}

TEST(otlp_protobuf, random_batches_are_the_canonical_bytes_and_decode_field_by_field) {
  auto gen = protobuf_spans(0x5eed'0716'2026'0001ULL);
  std::size_t checked = 0;
  for (int round = 0; round < 40; ++round) {
    const auto resource = gen.resource();
    const auto spans = gen.spans(gen.below(20));
    const std::string body = arbiter::otlp_protobuf(spans, resource);
    ASSERT_EQ(body, reference::message(spans, resource)) << "round " << round;
    const auto request = decode(body);
    const auto& decoded = expect_envelope(request, resource);
    ASSERT_EQ(static_cast<std::size_t>(decoded.size()), spans.size());
    for (std::size_t i = 0; i < spans.size(); ++i) {
      SCOPED_TRACE("round " + std::to_string(round) + " span " + std::to_string(i));
      expect_span(decoded[static_cast<int>(i)], spans[i]);
      ++checked;
    }
    expect_same_as_json(body, spans, resource);
  }
  EXPECT_GT(checked, 200U);
}

TEST(otlp_protobuf, random_bytes_that_are_not_utf8_are_repaired_as_the_json_encoder_repairs_them) {
  auto gen = protobuf_spans(7, /*valid_utf8=*/false);
  for (int round = 0; round < 20; ++round) {
    const auto resource = gen.resource();
    const auto spans = gen.spans(8);
    const std::string body = arbiter::otlp_protobuf(spans, resource);
    ASSERT_EQ(body, reference::message(spans, resource)) << "round " << round;
    const auto request = decode(body);
    const auto& decoded = expect_envelope(request, resource);
    ASSERT_EQ(static_cast<std::size_t>(decoded.size()), spans.size());
    for (std::size_t i = 0; i < spans.size(); ++i) {
      SCOPED_TRACE("round " + std::to_string(round) + " span " + std::to_string(i));
      expect_span(decoded[static_cast<int>(i)], spans[i]);
    }
    expect_same_as_json(body, spans, resource);
  }
}

// ---- The wire helpers alone.

TEST(protobuf_wire, varint_sizes_and_bytes_match_libprotobuf_at_every_boundary) {
  for (int bits = 0; bits <= 64; ++bits) {
    const std::uint64_t base = bits == 64 ? ~0ULL : (std::uint64_t{1} << bits);
    for (const std::uint64_t v : {base - 1, base, base + 1}) {
      char buffer[10];
      const char* end = arbiter::detail::put_varint(buffer, v);
      const auto size = static_cast<std::size_t>(end - buffer);
      EXPECT_EQ(size, arbiter::detail::varint_size(v)) << v;
      EXPECT_EQ(size, google::protobuf::io::CodedOutputStream::VarintSize64(v)) << v;
      pb::AnyValue any;
      any.set_int_value(static_cast<std::int64_t>(v));
      const std::string serialized = any.SerializeAsString();  // the AnyValue key 0x18, then the varint
      ASSERT_EQ(serialized.size(), size + 1) << v;
      EXPECT_EQ(serialized[0], '\x18') << v;
      EXPECT_EQ(std::string_view(serialized).substr(1), std::string_view(buffer, size)) << v;
    }
  }
}

TEST(protobuf_wire, strings_of_every_length_are_measured_and_copied_exactly) {
  std::string text;
  for (std::size_t n = 0; n <= 40; ++n) {
    text.push_back(static_cast<char>('a' + n % 26));
    for (std::size_t bad = 0; bad <= n; ++bad) {  // bad == n: all ASCII; else one byte of 0x80 and up at `bad`
      std::string s = text.substr(0, n);
      if (bad < n) s[bad] = '\xe9';
      const arbiter::detail::wire_string measured = arbiter::detail::measure_wire_string(s);
      EXPECT_EQ(arbiter::detail::is_ascii(s), bad == n) << n << " " << bad;
      EXPECT_EQ(measured.valid, bad == n) << "a lone 0xE9 is ill-formed";
      EXPECT_EQ(measured.size, utf8_reference::repaired(s).size());
      std::string out(measured.size + 2, '#');
      char* end = arbiter::detail::protobuf_writer::put_text(out.data() + 1, measured);
      EXPECT_EQ(static_cast<std::size_t>(end - out.data()), measured.size + 1);
      // (Compared piecewise: g++ 12 -O3 warns of a huge memcpy in "#" + text + "#" with a computed size.)
      EXPECT_EQ(out.front(), '#') << "nothing written before the start";
      EXPECT_EQ(out.back(), '#') << "nothing written past the end";
      EXPECT_EQ(std::string_view(out).substr(1, measured.size), utf8_reference::repaired(s));
    }
  }
}

}  // namespace
