// The health+json document parsed back field by field, the plain form, and the HTTP statuses.
#include <arbiter/clock/manual_clock.hpp>
#include <arbiter/health.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <limits>
#include <string>
#include <string_view>

namespace {

using namespace std::chrono_literals;
using arbiter::health_status;
using json = nlohmann::json;

arbiter::health_report sample_report() {
  arbiter::health_report report;
  report.scope = arbiter::probe::readiness;
  report.status = health_status::degraded;
  report.output = "cache:hit_rate warn";

  arbiter::check_report db;
  db.name = "postgres:connections";
  db.type = arbiter::component_type::datastore;
  db.component_id = "primary";
  db.checked = true;
  db.result = arbiter::check_result::healthy("fine").observe(17, "connections").with("pool", "main");
  db.result.duration = 1234567ns;
  db.result.time = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000) + 250ms);
  report.checks.push_back(db);

  arbiter::check_report cache;
  cache.name = "cache:hit_rate";
  cache.critical = false;
  cache.checked = true;
  cache.result = arbiter::check_result::unhealthy("line 1\nsaid \"no\" \\ tab\t");
  cache.result.duration = 2ms;
  cache.result.time = std::chrono::system_clock::time_point(std::chrono::seconds(1700000001));
  report.checks.push_back(cache);

  arbiter::check_report plugins;
  plugins.name = "plugins";
  plugins.checked = false;
  plugins.result.instances.push_back({"geo", health_status::healthy, "ok"});
  plugins.result.instances.push_back({"billing", health_status::degraded, "slow"});
  report.checks.push_back(plugins);
  return report;
}

TEST(render_health_json, is_the_ietf_format_field_by_field) {
  const auto text = arbiter::render_health_json(
      sample_report(), {.service_id = "orders", .version = "1", .release_id = "1.4.2", .description = "orders api"});
  const json doc = json::parse(text);
  EXPECT_EQ(doc["status"], "warn");
  EXPECT_EQ(doc["serviceId"], "orders");
  EXPECT_EQ(doc["version"], "1");
  EXPECT_EQ(doc["releaseId"], "1.4.2");
  EXPECT_EQ(doc["description"], "orders api");
  EXPECT_EQ(doc["output"], "cache:hit_rate warn");
  ASSERT_TRUE(doc["checks"].is_object());
  ASSERT_EQ(doc["checks"].size(), 3U);

  const json& db = doc["checks"]["postgres:connections"];
  ASSERT_TRUE(db.is_array());
  ASSERT_EQ(db.size(), 1U);
  EXPECT_EQ(db[0]["componentId"], "primary");
  EXPECT_EQ(db[0]["componentType"], "datastore");
  EXPECT_EQ(db[0]["status"], "pass");
  EXPECT_EQ(db[0]["observedValue"], 17.0);
  EXPECT_EQ(db[0]["observedUnit"], "connections");
  EXPECT_EQ(db[0]["time"], "2023-11-14T22:13:20.250000Z");
  EXPECT_FALSE(db[0].contains("output")) << "output is left out for pass";
  EXPECT_DOUBLE_EQ(db[0]["durationMs"].get<double>(), 1.234);
  EXPECT_EQ(db[0]["details"]["pool"], "main");

  const json& cache = doc["checks"]["cache:hit_rate"][0];
  EXPECT_FALSE(cache.contains("componentId"));
  EXPECT_EQ(cache["componentType"], "component");
  EXPECT_EQ(cache["status"], "fail");
  EXPECT_EQ(cache["output"], "line 1\nsaid \"no\" \\ tab\t") << "escaped and restored exactly";
  EXPECT_EQ(cache["observedValue"], 2.0) << "without a measurement, the duration is the observed value";
  EXPECT_EQ(cache["observedUnit"], "ms");
  EXPECT_EQ(cache["time"], "2023-11-14T22:13:21.000000Z");

  const json& plugins = doc["checks"]["plugins"];
  ASSERT_EQ(plugins.size(), 2U) << "one element per instance";
  EXPECT_EQ(plugins[0]["componentId"], "geo");
  EXPECT_EQ(plugins[1]["componentId"], "billing");
  EXPECT_EQ(plugins[1]["status"], "warn");
  EXPECT_EQ(plugins[1]["output"], "slow");
  EXPECT_FALSE(plugins[0].contains("time")) << "no time before the first run";
}

TEST(render_health_json, a_passing_report_has_no_output_and_answers_200) {
  auto report = sample_report();
  report.status = health_status::healthy;
  const auto response = arbiter::health_json_response(report);
  EXPECT_EQ(response.http_status, 200);
  EXPECT_EQ(response.content_type, "application/health+json");
  const json doc = json::parse(response.body);
  EXPECT_EQ(doc["status"], "pass");
  EXPECT_FALSE(doc.contains("output"));
  EXPECT_FALSE(doc.contains("serviceId"));
}

TEST(render_health_json, http_status_is_200_for_pass_and_warn_and_503_for_fail) {
  EXPECT_EQ(arbiter::http_status(health_status::healthy), 200);
  EXPECT_EQ(arbiter::http_status(health_status::degraded), 200);
  EXPECT_EQ(arbiter::http_status(health_status::unhealthy), 503);
  auto report = sample_report();
  report.status = health_status::unhealthy;
  EXPECT_EQ(arbiter::health_json_response(report).http_status, 503);
  EXPECT_EQ(arbiter::plain_response(report).http_status, 503);
}

TEST(render_plain, lists_what_is_not_healthy_on_one_line_each) {
  auto report = sample_report();
  const auto response = arbiter::plain_response(report);
  EXPECT_EQ(response.http_status, 200);
  EXPECT_EQ(response.content_type, "text/plain; charset=utf-8");
  EXPECT_EQ(response.body, "warn\ncache:hit_rate: fail: line 1 said \"no\" \\ tab\t\n");
  report.accepting_traffic = false;
  report.status = health_status::unhealthy;
  report.checks.clear();
  EXPECT_EQ(arbiter::render_plain(report), "fail (refusing traffic)\n");
}

TEST(render_health_json, a_non_finite_observed_value_is_a_string_and_the_document_parses) {
  arbiter::health_report report;
  const auto add = [&report](std::string_view name, double value) {  // a literal: check_report keeps a view
    arbiter::check_report check;
    check.name = name;
    check.result = arbiter::check_result::healthy().observe(value, "ratio");
    report.checks.push_back(check);
  };
  add("a", std::numeric_limits<double>::quiet_NaN());
  add("b", std::numeric_limits<double>::infinity());
  add("c", -std::numeric_limits<double>::infinity());
  add("d", 0.5);
  const std::string text = arbiter::render_health_json(report);
  json doc;
  ASSERT_NO_THROW(doc = json::parse(text)) << text;
  EXPECT_EQ(doc["checks"]["a"][0]["observedValue"], "NaN");
  EXPECT_EQ(doc["checks"]["b"][0]["observedValue"], "Infinity");
  EXPECT_EQ(doc["checks"]["c"][0]["observedValue"], "-Infinity");
  EXPECT_EQ(doc["checks"]["d"][0]["observedValue"], 0.5);
}

TEST(render_health_json, bytes_that_are_not_utf8_become_replacement_characters) {
  const std::string fffd = "\xEF\xBF\xBD";
  arbiter::health_report report;
  report.status = health_status::unhealthy;
  report.output = "db\xC3";
  arbiter::check_report db;
  db.name = "db\xFF";
  db.result = arbiter::check_result::unhealthy("connect: \xE9tat \xED\xA0\x80").with("host\x80", "h\xF0\x9F\x98");
  report.checks.push_back(db);
  json doc;
  ASSERT_NO_THROW(doc = json::parse(arbiter::render_health_json(report))) << "nlohmann/json rejects ill-formed UTF-8";
  EXPECT_EQ(doc["output"], "db" + fffd);
  const json& check = doc["checks"]["db" + fffd][0];
  EXPECT_EQ(check["output"], "connect: " + fffd + "tat " + fffd + fffd + fffd);
  EXPECT_EQ(check["details"]["host" + fffd], "h" + fffd);

  const std::string plain = arbiter::render_plain(report);
  EXPECT_EQ(plain, "fail\ndb" + fffd + ": fail: connect: " + fffd + "tat " + fffd + fffd + fffd + "\n");
  EXPECT_TRUE(arbiter::detail::is_valid_utf8(plain)) << "the plain form says charset=utf-8";
}

TEST(render_health_json, renders_a_monitor_report_with_its_times) {
  const arbiter::manual_clock clock;
  auto monitor = arbiter::make_health_monitor(
      {}, arbiter::health_policies<arbiter::manual_clock>{clock},
      arbiter::make_check<"disk:free", arbiter::check_options{.type = arbiter::component_type::system}>([clock] {
        clock.advance(30ms);
        return arbiter::check_result::healthy().observe(0.25, "ratio");
      }));
  const auto before = std::chrono::system_clock::now();
  const json doc = json::parse(arbiter::render_health_json(monitor.check(arbiter::probe::readiness)));
  const json& disk = doc["checks"]["disk:free"][0];
  EXPECT_EQ(doc["status"], "pass");
  EXPECT_EQ(disk["componentType"], "system");
  EXPECT_EQ(disk["observedValue"], 0.25);
  EXPECT_EQ(disk["observedUnit"], "ratio");
  EXPECT_DOUBLE_EQ(disk["durationMs"].get<double>(), 30.0) << "the duration comes from the monitor's clock";
  const std::string time = disk["time"];
  ASSERT_EQ(time.size(), 27U);
  EXPECT_EQ(time.back(), 'Z');
  std::string expected_prefix;
  arbiter::detail::append_rfc3339(expected_prefix, before);
  EXPECT_EQ(time.substr(0, 10), expected_prefix.substr(0, 10)) << "wall time anchored at construction";
}

}  // namespace
