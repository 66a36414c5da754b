// The OTLP/JSON body and the JSON-lines exporter, parsed back with nlohmann/json and checked field by field.
#include <arbiter/tracing/json_lines_exporter.hpp>
#include <arbiter/tracing/otlp_json.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <limits>
#include <span>
#include <string>
#include <vector>

namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

arbiter::span_data sample_span() {
  arbiter::span_data s;
  s.name = "GET /orders \"quoted\"\n";
  s.context = {arbiter::trace_id{0x0af7651916cd43ddULL, 0x8448eb211c80319cULL}, arbiter::span_id{0xb7ad6b7169203331ULL},
               arbiter::trace_flags::sampled | arbiter::trace_flags::random, false};
  s.parent_span_id = arbiter::span_id{0x00f067aa0ba902b7ULL};
  s.kind = arbiter::span_kind::client;
  s.start_time = std::chrono::system_clock::time_point(std::chrono::nanoseconds(1'700'000'000'123'456'789LL));
  s.end_time = s.start_time + 2500us;
  s.attributes = {
      {"s", std::string("text")},
      {"i", std::int64_t{-9007199254740993LL}},  // beyond 2^53: must survive as a decimal string
      {"d", 0.1},
      {"b", true},
      {"sa", std::vector<std::string>{"x", "y"}},
      {"ia", std::vector<std::int64_t>{1, 2}},
      {"da", std::vector<double>{1.5}},
      {"ba", std::vector<bool>{true, false}},
      {"nan", std::numeric_limits<double>::quiet_NaN()},
  };
  s.events.push_back({"exception", s.start_time + 1ms, {{"exception.type", std::string("std::runtime_error")}}});
  s.links.push_back({{arbiter::trace_id{1, 2}, arbiter::span_id{3}, 1, true}, {{"why", std::string("batch")}}});
  s.status = arbiter::span_status::error;
  s.status_description = "boom";
  s.dropped_attributes = 2;
  return s;
}

TEST(otlp_json, request_matches_the_otlp_json_mapping_field_by_field) {
  arbiter::otlp_resource resource;
  resource.service_name = "orders";
  resource.service_version = "1.2.3";
  resource.deployment_environment = "staging";
  resource.attributes = {{"host.name", std::string("h1")}, {"service.name", std::string("ignored")}};
  const std::vector<arbiter::span_data> spans{sample_span(), arbiter::span_data{}};
  const json body = json::parse(arbiter::otlp_json(spans, resource));

  ASSERT_EQ(body["resourceSpans"].size(), 1U);
  const json& rs = body["resourceSpans"][0];
  const json& rattrs = rs["resource"]["attributes"];
  ASSERT_EQ(rattrs.size(), 4U) << rattrs.dump();
  EXPECT_EQ(rattrs[0], json::parse(R"({"key":"service.name","value":{"stringValue":"orders"}})"));
  EXPECT_EQ(rattrs[1]["key"], "service.version");
  EXPECT_EQ(rattrs[1]["value"]["stringValue"], "1.2.3");
  EXPECT_EQ(rattrs[2]["key"], "deployment.environment");
  EXPECT_EQ(rattrs[2]["value"]["stringValue"], "staging");
  EXPECT_EQ(rattrs[3]["key"], "host.name");

  ASSERT_EQ(rs["scopeSpans"].size(), 1U);
  EXPECT_EQ(rs["scopeSpans"][0]["scope"]["name"], "arbiter");
  const json& out = rs["scopeSpans"][0]["spans"];
  ASSERT_EQ(out.size(), 2U);
  const json& s = out[0];
  EXPECT_EQ(s["traceId"], "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(s["spanId"], "b7ad6b7169203331");
  EXPECT_EQ(s["parentSpanId"], "00f067aa0ba902b7");
  EXPECT_EQ(s["flags"], 3 | 0x100) << "sampled, random, and 'the parent is local' known";
  EXPECT_EQ(s["name"], "GET /orders \"quoted\"\n");
  EXPECT_EQ(s["kind"], 3) << "SPAN_KIND_CLIENT";
  EXPECT_EQ(s["startTimeUnixNano"], "1700000000123456789");
  EXPECT_EQ(s["endTimeUnixNano"], "1700000000125956789");

  const json& a = s["attributes"];
  ASSERT_EQ(a.size(), 9U);
  EXPECT_EQ(a[0]["key"], "s");
  EXPECT_EQ(a[0]["value"], json::parse(R"({"stringValue":"text"})"));
  EXPECT_EQ(a[1]["value"], json::parse(R"({"intValue":"-9007199254740993"})"));
  EXPECT_EQ(a[2]["value"]["doubleValue"].get<double>(), 0.1);
  EXPECT_EQ(a[3]["value"], json::parse(R"({"boolValue":true})"));
  EXPECT_EQ(a[4]["value"], json::parse(R"({"arrayValue":{"values":[{"stringValue":"x"},{"stringValue":"y"}]}})"));
  EXPECT_EQ(a[5]["value"], json::parse(R"({"arrayValue":{"values":[{"intValue":"1"},{"intValue":"2"}]}})"));
  EXPECT_EQ(a[6]["value"], json::parse(R"({"arrayValue":{"values":[{"doubleValue":1.5}]}})"));
  EXPECT_EQ(a[7]["value"], json::parse(R"({"arrayValue":{"values":[{"boolValue":true},{"boolValue":false}]}})"));
  EXPECT_EQ(a[8]["value"], json::parse(R"({"doubleValue":"NaN"})"));
  EXPECT_EQ(s["droppedAttributesCount"], 2);

  ASSERT_EQ(s["events"].size(), 1U);
  EXPECT_EQ(s["events"][0]["name"], "exception");
  EXPECT_EQ(s["events"][0]["timeUnixNano"], "1700000000124456789");
  EXPECT_EQ(s["events"][0]["attributes"][0]["value"]["stringValue"], "std::runtime_error");
  ASSERT_EQ(s["links"].size(), 1U);
  EXPECT_EQ(s["links"][0]["traceId"], "00000000000000010000000000000002");
  EXPECT_EQ(s["links"][0]["spanId"], "0000000000000003");
  EXPECT_EQ(s["links"][0]["attributes"][0]["key"], "why");
  EXPECT_EQ(s["status"], json::parse(R"({"code":2,"message":"boom"})")) << "STATUS_CODE_ERROR";

  const json& root = out[1];
  EXPECT_FALSE(root.contains("parentSpanId")) << "a root span has no parent";
  EXPECT_FALSE(root.contains("attributes")) << "empty repeated fields are omitted";
  EXPECT_EQ(root["kind"], 1) << "SPAN_KIND_INTERNAL";
  EXPECT_EQ(root["status"], json::object()) << "STATUS_CODE_UNSET is the default, omitted";
}

TEST(otlp_json, every_kind_and_status_maps_to_its_otlp_number) {
  std::vector<arbiter::span_data> spans(5);
  for (int k = 0; k < 5; ++k) spans[static_cast<std::size_t>(k)].kind = static_cast<arbiter::span_kind>(k);
  spans[0].status = arbiter::span_status::ok;
  const json body = json::parse(arbiter::otlp_json(spans, {}));
  const json& out = body["resourceSpans"][0]["scopeSpans"][0]["spans"];
  for (int k = 0; k < 5; ++k) EXPECT_EQ(out[static_cast<std::size_t>(k)]["kind"], k + 1);
  EXPECT_EQ(out[0]["status"]["code"], 1);
  EXPECT_EQ(body["resourceSpans"][0]["resource"]["attributes"][0]["value"]["stringValue"], "unknown_service");
}

TEST(otlp_json, bytes_that_are_not_utf8_become_replacement_characters_and_the_batch_still_parses) {
  const std::string fffd = "\xEF\xBF\xBD";
  arbiter::otlp_resource resource;
  resource.service_name = "orders\xC3";
  resource.attributes = {{"host\xFF", std::string("h\xED\xA0\x80")}};
  arbiter::span_data s = sample_span();
  s.name = "GET \x80/caf\xC3\xA9";
  s.attributes = {{"k\xF4\x90\x80\x80", std::string("v\xF0\x9F\x98")}, {"arr", std::vector<std::string>{"\xC0\xAF"}}};
  s.events[0].name = "ev\xE0\x80";
  s.status_description = "boom: \xFE";
  const std::vector<arbiter::span_data> spans{s, sample_span()};
  json body;
  ASSERT_NO_THROW(body = json::parse(arbiter::otlp_json(spans, resource))) << "a strict receiver accepts the batch";
  const json& rs = body["resourceSpans"][0];
  EXPECT_EQ(rs["resource"]["attributes"][0]["value"]["stringValue"], "orders" + fffd);
  EXPECT_EQ(rs["resource"]["attributes"][1]["key"], "host" + fffd);
  EXPECT_EQ(rs["resource"]["attributes"][1]["value"]["stringValue"], "h" + fffd + fffd + fffd);
  const json& out = rs["scopeSpans"][0]["spans"][0];
  EXPECT_EQ(out["name"], "GET " + fffd + "/caf\xC3\xA9") << "well-formed UTF-8 passes through";
  EXPECT_EQ(out["attributes"][0]["key"], "k" + fffd + fffd + fffd + fffd);
  EXPECT_EQ(out["attributes"][0]["value"]["stringValue"], "v" + fffd);
  EXPECT_EQ(out["attributes"][1]["value"]["arrayValue"]["values"][0]["stringValue"], fffd + fffd);
  EXPECT_EQ(out["events"][0]["name"], "ev" + fffd + fffd);
  EXPECT_EQ(out["status"]["message"], "boom: " + fffd);
  EXPECT_EQ(rs["scopeSpans"][0]["spans"][1]["name"], "GET /orders \"quoted\"\n") << "the next span is untouched";
}

TEST(otlp_json, text_of_any_length_with_multibyte_utf8_anywhere_round_trips) {
  // The word scan meets multi-byte sequences at every offset, split across words and in the short tail.
  const std::vector<std::string> pieces{"a", "\xC3\xA9", "\xE6\x97\xA5", "\xF0\x9F\x98\x80", "\"", "\n"};
  for (std::size_t length = 0; length < 40; ++length) {
    for (std::size_t seed = 0; seed < pieces.size(); ++seed) {
      std::string text;
      for (std::size_t i = 0; i < length; ++i) text += pieces[(i * 7 + seed * (i + 1)) % pieces.size()];
      arbiter::span_data s;
      s.name = text;
      std::string out;
      arbiter::append_otlp_span(out, s);
      json j;
      ASSERT_NO_THROW(j = json::parse(out)) << out;
      ASSERT_EQ(j["name"], text.empty() ? std::string("unnamed") : text);
    }
  }
}

TEST(otlp_json, attributes_with_an_empty_key_are_left_out_and_counted) {
  arbiter::otlp_resource resource;
  resource.attributes = {{"", std::string("x")}, {"host.name", std::string("h1")}};
  arbiter::span_data s = sample_span();
  s.attributes = {{"", std::int64_t{1}}, {"ok", std::int64_t{2}}, {"", true}};
  s.dropped_attributes = 3;
  s.events[0].attributes = {{"", std::string("e")}};
  s.links[0].attributes.emplace_back("", 0.5);
  s.links[0].dropped_attributes = 1;
  arbiter::span_data only_empty;
  only_empty.attributes = {{"", std::int64_t{1}}};
  const std::vector<arbiter::span_data> spans{s, only_empty};
  const json body = json::parse(arbiter::otlp_json(spans, resource));
  const json& rs = body["resourceSpans"][0];
  ASSERT_EQ(rs["resource"]["attributes"].size(), 2U);
  EXPECT_EQ(rs["resource"]["attributes"][1]["key"], "host.name");
  EXPECT_EQ(rs["resource"]["droppedAttributesCount"], 1);
  const json& out = rs["scopeSpans"][0]["spans"];
  ASSERT_EQ(out[0]["attributes"].size(), 1U);
  EXPECT_EQ(out[0]["attributes"][0]["key"], "ok");
  EXPECT_EQ(out[0]["droppedAttributesCount"], 5) << "3 dropped before, 2 with an empty key";
  EXPECT_FALSE(out[0]["events"][0].contains("attributes"));
  EXPECT_EQ(out[0]["events"][0]["droppedAttributesCount"], 1);
  EXPECT_EQ(out[0]["links"][0]["attributes"].size(), 1U);
  EXPECT_EQ(out[0]["links"][0]["droppedAttributesCount"], 2);
  EXPECT_FALSE(out[1].contains("attributes")) << "no attributes left: the field is omitted";
  EXPECT_EQ(out[1]["droppedAttributesCount"], 1);

  arbiter::span_data saturated;
  saturated.attributes = {{"", std::int64_t{1}}};
  saturated.dropped_attributes = std::numeric_limits<std::uint32_t>::max();
  std::string one;
  arbiter::append_otlp_span(one, saturated);
  EXPECT_EQ(json::parse(one)["droppedAttributesCount"], std::numeric_limits<std::uint32_t>::max()) << "saturates";
}

TEST(otlp_json, an_empty_span_or_event_name_is_written_as_unnamed) {
  arbiter::span_data s;
  s.events.push_back({"", {}, {}});
  std::string out;
  arbiter::append_otlp_span(out, s);
  const json j = json::parse(out);
  EXPECT_EQ(j["name"], "unnamed");
  EXPECT_EQ(j["name"], arbiter::unnamed_span_name);
  EXPECT_EQ(j["events"][0]["name"], "unnamed");
}

/// Reads every newline-ended line of `file` from its start; what follows the last newline goes to `unterminated`.
std::vector<std::string> read_lines(std::FILE* file, std::string* unterminated = nullptr) {
  std::rewind(file);
  std::vector<std::string> lines;
  std::string line;
  for (int c = std::fgetc(file); c != EOF; c = std::fgetc(file)) {
    if (c == '\n') {
      lines.push_back(line);
      line.clear();
    } else {
      line.push_back(static_cast<char>(c));
    }
  }
  if (unterminated != nullptr) *unterminated = line;
  return lines;
}

TEST(json_lines_exporter, writes_one_parsable_line_per_span) {
  std::FILE* file = std::tmpfile();
  ASSERT_NE(file, nullptr);
  arbiter::json_lines_exporter exporter(file);
  const std::vector<arbiter::span_data> spans{sample_span(), sample_span()};
  ASSERT_TRUE(exporter.export_spans(spans, 1s).ok());
  std::string rest;
  const std::vector<std::string> lines = read_lines(file, &rest);
  std::fclose(file);
  ASSERT_EQ(lines.size(), 2U);
  EXPECT_TRUE(rest.empty()) << "every line ends with a newline";
  const json j = json::parse(lines[0]);
  EXPECT_EQ(j["name"], "GET /orders \"quoted\"\n");
  EXPECT_EQ(j["trace_id"], "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(j["parent_span_id"], "00f067aa0ba902b7");
  EXPECT_EQ(j["kind"], "client");
  EXPECT_EQ(j["start_unix_nano"], "1700000000123456789") << "times are strings, as in OTLP/JSON";
  EXPECT_EQ(j["duration_ns"], "2500000");
  EXPECT_EQ(j["status"], "error");
  EXPECT_EQ(j["status_description"], "boom");
  EXPECT_EQ(j["attributes"]["i"], "-9007199254740993") << "beyond 2^53: a decimal string";
  EXPECT_EQ(j["attributes"]["sa"], json::parse(R"(["x","y"])"));
  EXPECT_EQ(j["attributes"]["ba"], json::parse("[true,false]"));
  EXPECT_EQ(j["events"][0]["attributes"]["exception.type"], "std::runtime_error");
  EXPECT_EQ(j["links"][0]["span_id"], "0000000000000003");
  EXPECT_EQ(j["dropped"]["attributes"], 2);
  EXPECT_FALSE(j.contains("resource")) << "no resource given, none written";
}

TEST(json_lines_exporter, writes_the_resource_on_every_line_when_given_one) {
  std::FILE* file = std::tmpfile();
  ASSERT_NE(file, nullptr);
  arbiter::otlp_resource resource;
  resource.service_name = "orders \"eu\"";
  resource.deployment_environment = "staging";
  resource.attributes = {
      {"host.name", std::string("h1")}, {"service.name", std::string("ignored")}, {"replicas", std::int64_t{3}}};
  arbiter::json_lines_exporter exporter(file, resource);
  const std::vector<arbiter::span_data> spans{sample_span(), arbiter::span_data{}};
  ASSERT_TRUE(exporter.export_spans(spans, 1s).ok());
  ASSERT_TRUE(exporter.export_spans(std::span(spans).first(1), 1s).ok());
  const auto lines = read_lines(file);
  std::fclose(file);
  ASSERT_EQ(lines.size(), 3U);
  const json expected = json::parse(
      R"({"service.name":"orders \"eu\"","deployment.environment":"staging","host.name":"h1","replicas":3})");
  for (const auto& line : lines) {
    const json j = json::parse(line);
    EXPECT_EQ(j["resource"], expected) << line;
  }
  EXPECT_NE(lines[0].find(R"(,"resource":{"service.name":"orders \"eu\"","deployment.environment":"staging",)"),
            std::string::npos)
      << "service.name first, then the environment, in the order otlp_json writes them";
  EXPECT_EQ(json::parse(lines[0])["name"], "GET /orders \"quoted\"\n") << "the span's own fields are unchanged";
}

TEST(json_lines_exporter, missing_file_is_a_failure_not_a_crash) {
  arbiter::json_lines_exporter exporter(nullptr);
  const std::vector<arbiter::span_data> spans(1);
  const auto result = exporter.export_spans(spans, 1s);
  EXPECT_EQ(result.status, arbiter::export_result::code::failure);
  EXPECT_NE(result.error.find("no file"), std::string::npos);
}

}  // namespace
