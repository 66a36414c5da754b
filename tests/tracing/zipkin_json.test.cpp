// The Zipkin v2 JSON body, parsed back with nlohmann/json and checked field by field against the mapping of the
// OpenTelemetry specification's Zipkin exporter document.
#include <arbiter/tracing/recording_tracer.hpp>
#include <arbiter/tracing/sampler.hpp>
#include <arbiter/tracing/sdk_tracer.hpp>
#include <arbiter/tracing/trace_context.hpp>
#include <arbiter/tracing/zipkin_json.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

const auto t0 = std::chrono::system_clock::time_point(std::chrono::nanoseconds(1'700'000'000'123'456'789LL));

arbiter::span_data sample_span() {
  arbiter::span_data s;
  s.name = "GET /orders";
  s.context = {arbiter::trace_id{0x0af7651916cd43ddULL, 0x8448eb211c80319cULL}, arbiter::span_id{0xb7ad6b7169203331ULL},
               arbiter::trace_flags::sampled, false};
  s.parent_span_id = arbiter::span_id{0x00f067aa0ba902b7ULL};
  s.kind = arbiter::span_kind::client;
  s.start_time = t0;
  s.end_time = t0 + 2500us + 999ns;
  return s;
}

json encode(const std::vector<arbiter::span_data>& spans, const arbiter::otlp_resource& resource = {}) {
  const std::string body = arbiter::zipkin_json(spans, resource);
  EXPECT_TRUE(arbiter::detail::is_valid_utf8(body));
  return json::parse(body);
}

json encode_one(const arbiter::span_data& span, const arbiter::otlp_resource& resource = {}) {
  const json body = encode(std::vector<arbiter::span_data>{span}, resource);
  EXPECT_TRUE(body.is_array());
  EXPECT_EQ(body.size(), 1U);
  return body.at(0);
}

TEST(zipkin_json, ids_name_times_and_local_endpoint) {
  arbiter::otlp_resource resource;
  resource.service_name = "orders";
  const json span = encode_one(sample_span(), resource);
  EXPECT_EQ(span["traceId"], "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(span["id"], "b7ad6b7169203331");
  EXPECT_EQ(span["parentId"], "00f067aa0ba902b7");
  EXPECT_EQ(span["name"], "GET /orders");
  EXPECT_EQ(span["kind"], "CLIENT");
  EXPECT_EQ(span["timestamp"].get<std::int64_t>(), 1'700'000'000'123'456LL) << "unix microseconds, truncated";
  EXPECT_EQ(span["duration"].get<std::int64_t>(), 2500) << "2500.999 us is 2500 us";
  EXPECT_EQ(span["localEndpoint"], json({{"serviceName", "orders"}}));
  EXPECT_FALSE(span.contains("shared"));
  EXPECT_FALSE(span.contains("annotations")) << "absent when there are no events";
  EXPECT_FALSE(span.contains("remoteEndpoint")) << "no peer attribute";
  arbiter::span_data with_other = sample_span();
  with_other.attributes = {{"peer", std::string("inventory")}, {"http.method", std::string("GET")}};
  EXPECT_FALSE(encode_one(with_other).contains("remoteEndpoint")) << "no attribute of the ranking";
  EXPECT_FALSE(span.contains("debug"));
}

TEST(zipkin_json, a_root_has_no_parent_id_and_an_unnamed_span_no_name) {
  arbiter::span_data s = sample_span();
  s.parent_span_id = {};
  s.name.clear();
  const json span = encode_one(s);
  EXPECT_FALSE(span.contains("parentId"));
  EXPECT_FALSE(span.contains("name"));
}

TEST(zipkin_json, duration_is_at_least_one_microsecond) {
  arbiter::span_data s = sample_span();
  s.end_time = s.start_time + 400ns;
  EXPECT_EQ(encode_one(s)["duration"], 1);
  s.end_time = s.start_time;
  EXPECT_EQ(encode_one(s)["duration"], 1);
  s.end_time = s.start_time - 1s;  // clocks of two threads: never negative
  EXPECT_EQ(encode_one(s)["duration"], 1);
}

TEST(zipkin_json, each_kind_has_its_zipkin_name_and_internal_none) {
  const std::map<arbiter::span_kind, const char*> names{{arbiter::span_kind::client, "CLIENT"},
                                                        {arbiter::span_kind::server, "SERVER"},
                                                        {arbiter::span_kind::producer, "PRODUCER"},
                                                        {arbiter::span_kind::consumer, "CONSUMER"}};
  arbiter::span_data s = sample_span();
  for (const auto& [kind, name] : names) {
    s.kind = kind;
    EXPECT_EQ(encode_one(s)["kind"], name);
  }
  s.kind = arbiter::span_kind::internal;
  EXPECT_FALSE(encode_one(s).contains("kind"));
}

TEST(zipkin_json, service_name_falls_back_to_the_default_resource) {
  arbiter::otlp_resource resource;
  resource.service_name.clear();
  EXPECT_EQ(encode_one(sample_span(), resource)["localEndpoint"]["serviceName"], "unknown_service");
  EXPECT_EQ(encode_one(sample_span())["localEndpoint"]["serviceName"], "unknown_service");
}

TEST(zipkin_json, every_attribute_type_is_a_string_tag) {
  arbiter::span_data s = sample_span();
  s.attributes = {
      {"s", std::string("text")},
      {"i", std::int64_t{-9007199254740993LL}},
      {"d", 0.1},
      {"whole", 2.0},
      {"t", true},
      {"f", false},
      {"sa", std::vector<std::string>{"x", "y\"z"}},
      {"ia", std::vector<std::int64_t>{1, -2}},
      {"da", std::vector<double>{1.5, std::numeric_limits<double>::infinity()}},
      {"ba", std::vector<bool>{true, false}},
      {"empty", std::vector<std::string>{}},
      {"nan", std::numeric_limits<double>::quiet_NaN()},
      {"inf", -std::numeric_limits<double>::infinity()},
  };
  const json tags = encode_one(s)["tags"];
  for (const auto& [key, value] : tags.items()) EXPECT_TRUE(value.is_string()) << key;
  EXPECT_EQ(tags["s"], "text");
  EXPECT_EQ(tags["i"], "-9007199254740993");
  EXPECT_EQ(tags["d"], "0.1");
  EXPECT_EQ(tags["whole"], "2");
  EXPECT_EQ(tags["t"], "true");
  EXPECT_EQ(tags["f"], "false");
  EXPECT_EQ(tags["sa"], R"(["x","y\"z"])");
  EXPECT_EQ(json::parse(tags["sa"].get<std::string>()), json({"x", "y\"z"})) << "a JSON list in the string";
  EXPECT_EQ(tags["ia"], "[1,-2]");
  EXPECT_EQ(tags["da"], R"([1.5,"Infinity"])");
  EXPECT_EQ(tags["ba"], "[true,false]");
  EXPECT_EQ(tags["empty"], "[]");
  EXPECT_EQ(tags["nan"], "NaN");
  EXPECT_EQ(tags["inf"], "-Infinity");
}

TEST(zipkin_json, scope_and_resource_attributes_are_tags_and_span_attributes_win) {
  arbiter::otlp_resource resource;
  resource.service_name = "orders";
  resource.service_version = "1.2.3";
  resource.deployment_environment = "staging";
  resource.attributes = {{"host.name", std::string("h1")},
                         {"service.namespace", std::string("shop")},
                         {"service.name", std::string("ignored")},
                         {"replicas", std::int64_t{3}},
                         {"", std::string("no key")}};
  resource.scope_name = "orders-lib";
  resource.scope_version = "0.9";
  arbiter::span_data s = sample_span();
  s.attributes = {{"host.name", std::string("from-span")}};
  const json span = encode_one(s, resource);
  const json expected = {{"host.name", "from-span"},
                         {"service.version", "1.2.3"},
                         {"deployment.environment", "staging"},
                         {"service.namespace", "shop"},
                         {"replicas", "3"},
                         {"otel.scope.name", "orders-lib"},
                         {"otel.library.name", "orders-lib"},
                         {"otel.scope.version", "0.9"},
                         {"otel.library.version", "0.9"}};
  EXPECT_EQ(span["tags"], expected);
  EXPECT_EQ(span["localEndpoint"]["serviceName"], "orders") << "service.namespace is never the service name";
}

TEST(zipkin_json, no_tags_at_all_means_no_tags_field) {
  arbiter::otlp_resource resource;
  resource.scope_name.clear();
  resource.scope_version.clear();
  EXPECT_FALSE(encode_one(sample_span(), resource).contains("tags"));
  resource.scope_name = "lib";
  const json tags = encode_one(sample_span(), resource)["tags"];
  EXPECT_EQ(tags, json({{"otel.scope.name", "lib"}, {"otel.library.name", "lib"}})) << "no version tags when empty";
}

TEST(zipkin_json, status_maps_to_otel_status_code_and_the_error_tag) {
  arbiter::span_data s = sample_span();
  const json unset = encode_one(s)["tags"];
  EXPECT_FALSE(unset.contains("otel.status_code"));
  EXPECT_FALSE(unset.contains("error"));

  s.status = arbiter::span_status::ok;
  const json ok = encode_one(s)["tags"];
  EXPECT_EQ(ok["otel.status_code"], "OK");
  EXPECT_FALSE(ok.contains("error"));

  s.status = arbiter::span_status::error;
  s.status_description = "boom";
  const json error = encode_one(s)["tags"];
  EXPECT_EQ(error["otel.status_code"], "ERROR");
  EXPECT_EQ(error["error"], "boom");
  EXPECT_FALSE(error.contains("otel.status_description")) << "the Zipkin rule replaces the generic one";

  s.status_description.clear();
  EXPECT_EQ(encode_one(s)["tags"]["error"], "") << "set, empty, when the error has no description";
}

TEST(zipkin_json, attributes_give_way_to_the_encoders_own_tags) {
  arbiter::span_data s = sample_span();
  s.status = arbiter::span_status::error;
  s.status_description = "boom";
  s.attributes = {{"error", true}, {"otel.status_code", std::string("mine")}, {"otel.scope.name", std::string("x")}};
  const std::string body = arbiter::zipkin_json(std::vector<arbiter::span_data>{s});
  EXPECT_EQ(body.find("\"mine\""), std::string::npos) << body;
  EXPECT_EQ(body.find("\"error\":\"true\""), std::string::npos) << body;
  const json tags = json::parse(body)[0]["tags"];
  EXPECT_EQ(tags["error"], "boom");
  EXPECT_EQ(tags["otel.status_code"], "ERROR");
  EXPECT_EQ(tags["otel.scope.name"], "arbiter");
}

TEST(zipkin_json, a_false_error_attribute_is_left_out_and_a_true_one_kept) {
  arbiter::span_data s = sample_span();
  s.attributes = {{"error", false}};
  EXPECT_FALSE(encode_one(s)["tags"].contains("error"));
  s.attributes = {{"error", std::string("false")}};
  EXPECT_FALSE(encode_one(s)["tags"].contains("error"));
  s.attributes = {{"error", true}};
  EXPECT_EQ(encode_one(s)["tags"]["error"], "true") << "the span asked to be failed";
  arbiter::otlp_resource resource;
  resource.attributes = {{"error", false}};
  EXPECT_FALSE(encode_one(sample_span(), resource)["tags"].contains("error"));
}

TEST(zipkin_json, dropped_counts_are_tags_when_not_zero) {
  arbiter::span_data s = sample_span();
  EXPECT_FALSE(encode_one(s)["tags"].contains("otel.dropped_attributes_count"));
  s.dropped_attributes = 2;
  s.dropped_events = 3;
  s.dropped_links = 4;
  s.attributes = {{"", std::string("no key")}, {"k", std::string("v")}};
  const json tags = encode_one(s)["tags"];
  EXPECT_EQ(tags["otel.dropped_attributes_count"], "3") << "the attribute with an empty key counts";
  EXPECT_EQ(tags["otel.dropped_events_count"], "3");
  EXPECT_EQ(tags["otel.dropped_links_count"], "4");
  EXPECT_EQ(tags["k"], "v");
  EXPECT_FALSE(tags.contains(""));
}

TEST(zipkin_json, events_are_annotations_with_their_attributes_as_json) {
  arbiter::span_data s = sample_span();
  s.events.push_back({"exception",
                      t0 + 1ms + 1500ns,
                      {{"exception.type", std::string("std::runtime_error")},
                       {"n", std::int64_t{7}},
                       {"ok", false},
                       {"r", 0.5},
                       {"list", std::vector<std::int64_t>{1, 2}},
                       {"", std::string("no key")}},
                      1});
  s.events.push_back({"cache \"miss\"", t0 + 2ms, {}});
  const json annotations = encode_one(s)["annotations"];
  ASSERT_EQ(annotations.size(), 2U);
  EXPECT_EQ(annotations[0]["timestamp"].get<std::int64_t>(), 1'700'000'000'124'458LL);
  const std::string first = annotations[0]["value"];
  EXPECT_EQ(first, R"("exception":{"exception.type":"std::runtime_error","n":7,"ok":false,"r":0.5,"list":[1,2],)"
                   R"("otel.dropped_attributes_count":2})");
  const json parsed = json::parse("{" + first + "}");
  EXPECT_EQ(parsed["exception"]["exception.type"], "std::runtime_error");
  EXPECT_EQ(annotations[1]["timestamp"].get<std::int64_t>(), 1'700'000'000'125'456LL);
  EXPECT_EQ(annotations[1]["value"], R"("cache \"miss\"":{})");
}

TEST(zipkin_json, shared_only_for_a_server_span_that_joined_its_remote_client_span) {
  arbiter::span_data s = sample_span();
  s.kind = arbiter::span_kind::server;
  s.parent_remote = true;
  const json own_id = encode_one(s);
  EXPECT_FALSE(own_id.contains("shared")) << "a child of the client span, with its own id, is not shared";
  EXPECT_EQ(own_id["parentId"], "00f067aa0ba902b7");

  s.parent_span_id = s.context.span_id;  // reported under the client's span id
  const json joined = encode_one(s);
  EXPECT_EQ(joined["shared"], true);
  EXPECT_FALSE(joined.contains("parentId")) << "no parentId pointing at itself";

  s.parent_remote = false;
  EXPECT_FALSE(encode_one(s).contains("shared")) << "a local parent";
  s.parent_remote = true;
  s.kind = arbiter::span_kind::client;
  EXPECT_FALSE(encode_one(s).contains("shared")) << "not a server span";
}

TEST(zipkin_json, tracers_record_whether_the_parent_was_remote) {
  arbiter::span_context remote =
      arbiter::span_context{arbiter::trace_id{1, 2}, arbiter::span_id{3}, arbiter::trace_flags::sampled, true};
  arbiter::recording_tracer recording;
  recording.start_span("server", {.parent = remote, .kind = arbiter::span_kind::server}).end();
  recording.start_span("root").end();
  const auto spans = recording.finished();
  ASSERT_EQ(spans.size(), 2U);
  EXPECT_TRUE(spans[0].parent_remote);
  EXPECT_FALSE(spans[1].parent_remote);

  const auto sink =
      std::make_shared<arbiter::simple_processor<arbiter::in_memory_exporter>>(arbiter::in_memory_exporter{});
  arbiter::tracer<arbiter::always_on, arbiter::simple_processor<arbiter::in_memory_exporter>> tracer(sink);
  {
    auto server = tracer.start_span("server", {.parent = remote, .kind = arbiter::span_kind::server});
    tracer.start_span("local child", {.parent = server.context()}).end();
  }
  const auto exported = sink->exporter().spans();
  ASSERT_EQ(exported.size(), 2U);
  EXPECT_FALSE(exported[0].parent_remote) << "the child's parent is local";
  EXPECT_TRUE(exported[1].parent_remote);
  EXPECT_NE(exported[1].context.span_id, remote.span_id) << "a server span of arbiter has its own id";
  EXPECT_FALSE(encode_one(exported[1]).contains("shared"));
}

TEST(zipkin_json, remote_endpoint_of_client_and_producer_spans_follows_the_ranking) {
  arbiter::span_data s = sample_span();
  s.attributes = {{"db.name", std::string("orders_db")}, {"peer.service", std::string("inventory")}};
  EXPECT_EQ(encode_one(s)["remoteEndpoint"], json({{"serviceName", "inventory"}}));
  s.attributes = {{"db.name", std::string("orders_db")}, {"server.address", std::string("inv.local")}};
  EXPECT_EQ(encode_one(s)["remoteEndpoint"], json({{"serviceName", "inv.local"}}));
  s.attributes = {{"network.peer.address", std::string("10.0.0.7")}, {"network.peer.port", std::int64_t{8080}}};
  EXPECT_EQ(encode_one(s)["remoteEndpoint"], json({{"ipv4", "10.0.0.7"}, {"port", 8080}}));
  s.attributes = {{"network.peer.address", std::string("2001:db8::1")}, {"network.peer.port", std::int64_t{0}}};
  EXPECT_EQ(encode_one(s)["remoteEndpoint"], json({{"ipv6", "2001:db8::1"}})) << "port 0 is no port";
  s.attributes = {{"network.peer.address", std::string("cafe:80")}};
  EXPECT_EQ(encode_one(s)["remoteEndpoint"], json({{"serviceName", "cafe:80"}}))
      << "one colon is a host and a port, not an IPv6 address";
  s.kind = arbiter::span_kind::producer;
  s.attributes = {{"db.name", std::string("orders_db")}};
  EXPECT_EQ(encode_one(s)["remoteEndpoint"], json({{"serviceName", "orders_db"}}));
  s.kind = arbiter::span_kind::server;
  EXPECT_FALSE(encode_one(s).contains("remoteEndpoint")) << "only CLIENT and PRODUCER spans";
  EXPECT_EQ(encode_one(s)["tags"]["db.name"], "orders_db") << "the attribute stays a tag too";
}

TEST(zipkin_json, ipv4_literals_are_told_from_names) {
  EXPECT_TRUE(arbiter::detail::is_ipv4_literal("127.0.0.1"));
  EXPECT_TRUE(arbiter::detail::is_ipv4_literal("255.255.255.255"));
  EXPECT_FALSE(arbiter::detail::is_ipv4_literal("256.0.0.1"));
  EXPECT_FALSE(arbiter::detail::is_ipv4_literal("1.2.3"));
  EXPECT_FALSE(arbiter::detail::is_ipv4_literal("1.2.3.4.5"));
  EXPECT_FALSE(arbiter::detail::is_ipv4_literal("1.2.3."));
  EXPECT_FALSE(arbiter::detail::is_ipv4_literal("1111.2.3.4"));
  EXPECT_FALSE(arbiter::detail::is_ipv4_literal("db1.local"));
  EXPECT_TRUE(arbiter::detail::is_ipv6_literal("::1"));
  EXPECT_FALSE(arbiter::detail::is_ipv6_literal("cafe"));
}

TEST(zipkin_json, non_ascii_control_and_ill_formed_bytes_are_escaped_validly) {
  arbiter::span_data s = sample_span();
  s.name = "gr\xC3\xBC\xC3\x9F \"q\" \\ \n\t\x01 \xE2\x82\xAC";
  s.attributes = {{"k\x7F\x02", std::string("bad \xFF\xC3 end")}, {"arr", std::vector<std::string>{"\x01\xFE"}}};
  s.events.push_back({"ev\n", t0, {{"x", std::string("\xC3")}}});
  arbiter::otlp_resource resource;
  resource.service_name = "s\xC0\x80rv";
  const std::string body = arbiter::zipkin_json(std::vector<arbiter::span_data>{s}, resource);
  EXPECT_TRUE(arbiter::detail::is_valid_utf8(body));
  for (const char c : body) EXPECT_GE(static_cast<unsigned char>(c), 0x20U) << "no raw control byte in the body";
  const json span = json::parse(body)[0];
  EXPECT_EQ(span["name"], "gr\xC3\xBC\xC3\x9F \"q\" \\ \n\t\x01 \xE2\x82\xAC");
  EXPECT_EQ(span["tags"]["k\x7F\x02"], "bad \xEF\xBF\xBD\xEF\xBF\xBD end");
  EXPECT_EQ(json::parse(span["tags"]["arr"].get<std::string>()), json({"\x01\xEF\xBF\xBD"}));
  EXPECT_EQ(span["annotations"][0]["value"], "\"ev\\n\":{\"x\":\"\xEF\xBF\xBD\"}");
  EXPECT_EQ(span["localEndpoint"]["serviceName"], "s\xEF\xBF\xBD\xEF\xBF\xBDrv");
}

TEST(zipkin_json, a_batch_is_a_list_and_in_place_spans_encode_the_same) {
  std::vector<arbiter::span_data> spans{sample_span(), sample_span(), arbiter::span_data{}};
  spans[1].context.span_id = arbiter::span_id{42};
  const std::vector<const arbiter::span_data*> refs{&spans[0], &spans[1], &spans[2]};
  std::string by_value;
  std::string in_place;
  arbiter::encode_zipkin_json(by_value, spans, {});
  arbiter::encode_zipkin_json(in_place, arbiter::span_refs(refs), {});
  EXPECT_EQ(by_value, in_place);
  const json body = json::parse(by_value);
  ASSERT_EQ(body.size(), 3U);
  EXPECT_EQ(body[1]["id"], "000000000000002a");
  EXPECT_EQ(body[2]["traceId"], "00000000000000000000000000000000");
  EXPECT_EQ(arbiter::zipkin_json(std::vector<arbiter::span_data>{}), "[]");
  std::string appended = "prefix";
  arbiter::encode_zipkin_json(appended, spans, {});
  EXPECT_EQ(appended, "prefix" + by_value) << "appends";
}

}  // namespace
