// What the JSON-lines exporter writes for input a strict reader would trip on: numbers beyond 2^53, non-finite
// doubles, bytes that are not UTF-8, empty keys and names. Its ordinary output is checked in otlp_json.test.cpp.
#include <arbiter/tracing/json_lines_exporter.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

json line_of(const arbiter::span_data& span) {
  std::string out;
  arbiter::append_json_line(out, span);
  EXPECT_EQ(out.back(), '\n');
  EXPECT_EQ(out.find('\n'), out.size() - 1) << "one line";
  return json::parse(out);
}

TEST(json_lines_exporter, times_durations_and_integers_beyond_2_53_are_strings) {
  arbiter::span_data s;
  s.name = "s";
  s.start_time = std::chrono::system_clock::time_point(std::chrono::nanoseconds(1'700'000'000'123'456'789LL));
  s.end_time = s.start_time + 1500ns;
  s.events.push_back({"e", s.start_time + 1ns, {}});
  constexpr std::int64_t safe = (std::int64_t{1} << 53) - 1;
  s.attributes = {{"small", std::int64_t{42}},
                  {"safe", safe},
                  {"-safe", -safe},
                  {"big", safe + 1},
                  {"-big", -safe - 1},
                  {"max", std::numeric_limits<std::int64_t>::max()},
                  {"min", std::numeric_limits<std::int64_t>::min()},
                  {"ints", std::vector<std::int64_t>{1, safe + 2}}};
  const json j = line_of(s);
  EXPECT_EQ(j["start_unix_nano"], "1700000000123456789");
  EXPECT_EQ(j["end_unix_nano"], "1700000000123458289");
  EXPECT_EQ(j["duration_ns"], "1500");
  EXPECT_EQ(j["events"][0]["time_unix_nano"], "1700000000123456790");
  const json& a = j["attributes"];
  EXPECT_EQ(a["small"], 42) << "a number while every reader holds it exactly";
  EXPECT_EQ(a["safe"], safe);
  EXPECT_EQ(a["-safe"], -safe);
  EXPECT_EQ(a["big"], "9007199254740992");
  EXPECT_EQ(a["-big"], "-9007199254740992");
  EXPECT_EQ(a["max"], "9223372036854775807");
  EXPECT_EQ(a["min"], "-9223372036854775808");
  EXPECT_EQ(a["ints"], json::parse(R"([1,"9007199254740993"])"));
}

TEST(json_lines_exporter, non_finite_doubles_are_strings) {
  arbiter::span_data s;
  s.attributes = {{"nan", std::numeric_limits<double>::quiet_NaN()},
                  {"inf", std::numeric_limits<double>::infinity()},
                  {"-inf", -std::numeric_limits<double>::infinity()},
                  {"d", 0.5},
                  {"ds", std::vector<double>{std::numeric_limits<double>::quiet_NaN(), 1.0}}};
  const json a = line_of(s)["attributes"];
  EXPECT_EQ(a["nan"], "NaN");
  EXPECT_EQ(a["inf"], "Infinity");
  EXPECT_EQ(a["-inf"], "-Infinity");
  EXPECT_EQ(a["d"], 0.5);
  EXPECT_EQ(a["ds"], json::parse(R"(["NaN",1.0])"));
}

TEST(json_lines_exporter, bytes_that_are_not_utf8_become_replacement_characters) {
  const std::string fffd = "\xEF\xBF\xBD";
  arbiter::span_data s;
  s.name = "n\xFF";
  s.attributes = {{"k\x80", std::string("v\xE6\x97")}};
  s.status = arbiter::span_status::error;
  s.status_description = "caf\xC3\xA9 \xED\xBF\xBF";
  s.events.push_back({"\xC1\xBF", {}, {}});
  const json j = line_of(s);
  EXPECT_EQ(j["name"], "n" + fffd);
  EXPECT_EQ(j["attributes"]["k" + fffd], "v" + fffd);
  EXPECT_EQ(j["status_description"], "caf\xC3\xA9 " + fffd + fffd + fffd);
  EXPECT_EQ(j["events"][0]["name"], fffd + fffd);
}

TEST(json_lines_exporter, empty_keys_are_left_out_and_counted_and_empty_names_are_unnamed) {
  arbiter::span_data s;
  s.attributes = {{"", std::int64_t{1}}, {"k", std::int64_t{2}}};
  s.dropped_attributes = 1;
  s.events.push_back({"", {}, {{"", true}}});
  const json j = line_of(s);
  EXPECT_EQ(j["name"], "unnamed");
  EXPECT_EQ(j["attributes"], json::parse(R"({"k":2})"));
  EXPECT_EQ(j["dropped"]["attributes"], 2);
  EXPECT_EQ(j["events"][0]["name"], "unnamed");
  EXPECT_EQ(j["events"][0]["attributes"], json::object());
  EXPECT_EQ(j["events"][0]["dropped_attributes"], 1);

  arbiter::otlp_resource resource;
  resource.attributes = {{"", std::string("x")}, {"host.name", std::string("h1")}};
  std::string out;
  arbiter::detail::append_json_line_resource(out, resource);
  EXPECT_EQ(json::parse("{" + out.substr(1) + "}")["resource"],
            json::parse(R"({"service.name":"unknown_service","host.name":"h1"})"));
}

TEST(json_lines_exporter, a_resource_key_given_twice_is_written_once_with_the_later_value) {
  arbiter::otlp_resource resource;
  resource.service_name = "orders";
  resource.attributes = {{"team", std::string("a")}, {"host.name", std::string("h1")}, {"team", std::string("b")}};
  std::string out;
  arbiter::detail::append_json_line_resource(out, resource);
  EXPECT_EQ(out, R"(,"resource":{"service.name":"orders","team":"b","host.name":"h1"})")
      << "a JSON object with a repeated key is read differently by every parser";
}

}  // namespace
