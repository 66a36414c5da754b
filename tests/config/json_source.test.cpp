// The JSON file source: layering under the environment, arrays, null, unknown keys, and broken files.
#include <arbiter/config/json_source.hpp>

#include <arbiter/config.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>
#include <boost/hana/adapt_struct.hpp>
#include <nlohmann/json.hpp>

namespace jsonapp {

struct net {
  std::string host = "localhost";
  std::uint16_t port = 8080;
  std::vector<std::string> peers;
  std::optional<int> backlog = 5;
  std::chrono::milliseconds timeout{250};
};
struct root {
  net server;
  bool debug = false;
};

}  // namespace jsonapp

BOOST_HANA_ADAPT_STRUCT(jsonapp::net, host, port, peers, backlog, timeout);
BOOST_HANA_ADAPT_STRUCT(jsonapp::root, server, debug);

namespace {

using namespace std::chrono_literals;

/// Returns where `path`'s value came from; an unknown path fails the test instead of dereferencing a null.
template <class Schema>
arbiter::value_origin origin_of(const arbiter::snapshot<Schema>& snap, std::string_view path) {
  if (const auto* origin = snap.origin(path)) return *origin;
  ADD_FAILURE() << "no value at " << path;
  return {};
}

std::vector<std::string> errors_of(const arbiter::json_source& source) {
  std::vector<std::string> out;
  for (const auto& issue : arbiter::load_config<jsonapp::root>(source).issues) {
    out.push_back((issue.severity == arbiter::issue_severity::warning ? "warning: " : "") + issue.message);
  }
  return out;
}

TEST(JsonSource, ReadsNestedSectionsArraysAndNull) {
  const auto source = arbiter::json_source::from_text(
      R"({"server": {"host": "example.org", "port": 9000, "peers": ["a", "b"], "backlog": null,
          "timeout": "2s"}, "debug": true})",
      "app.json");
  const auto result = arbiter::load_config<jsonapp::root>(source);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.value.server.host, "example.org");
  EXPECT_EQ(result.value.server.port, 9000);
  EXPECT_EQ(result.value.server.peers, (std::vector<std::string>{"a", "b"}));
  EXPECT_FALSE(result.value.server.backlog);
  EXPECT_EQ(result.value.server.timeout, 2s);
  EXPECT_TRUE(result.value.debug);
  EXPECT_EQ(result.origins[1].describe(), "app.json:1");
}

TEST(JsonSource, SitsBelowTheEnvironment) {
  const auto path = std::filesystem::temp_directory_path() / "arbiter_config_json_test.json";
  std::ofstream(path) << R"({"server": {"port": 9000, "host": "from-file"}})";
  using env = arbiter::env_source<"JT">;
  const arbiter::config<jsonapp::root, arbiter::json_source, env> cfg(
      arbiter::json_source(path.string()), env([](const char* name) -> std::optional<std::string> {
        if (std::string(name) == "JT_SERVER_PORT") return "9100";
        return std::nullopt;
      }));
  std::filesystem::remove(path);
  EXPECT_EQ(cfg.current()->server.port, 9100);
  EXPECT_EQ(cfg.current()->server.host, "from-file");
  EXPECT_EQ(origin_of(cfg.current(), "server.host").kind, arbiter::origin_kind::file);
  EXPECT_EQ(origin_of(cfg.current(), "server.host").where, path.string() + ":1");
}

TEST(JsonSource, ReportsBadValuesWithTheFile) {
  EXPECT_EQ(errors_of(arbiter::json_source::from_text(
                R"({"server": {"port": 1e3, "peers": "x", "host": ["a"], "timeout": 5000, "backlog": [1, {}]}})",
                "app.json")),
            (std::vector<std::string>{
                "server.backlog: a list from app.json:1 holds an object, list or null; expected values",
                "server.host: [a] from app.json:1 is a list, expected a string",
                "server.port: 1e3 from app.json:1 is not an unsigned integer",
                "server.timeout: 5000 from app.json:1 has no unit, expected a duration like 250ms, 5s, 1m30s or 2h",
            }));
}

TEST(JsonSource, NamesTheLineOfEachValue) {
  const auto source = arbiter::json_source::from_text(
      "{\n  \"server\": {\n    \"host\": \"h\",\n    \"port\": 70000\n  },\n  \"debug\":\n    \"maybe\"\n}\n",
      "app.json");
  EXPECT_EQ(errors_of(source), (std::vector<std::string>{
                                   "server.port: 70000 from app.json:4 is above the maximum 65535",
                                   "debug: maybe from app.json:7 is not a boolean (true/false, yes/no, on/off, 1/0)",
                               }));
  const auto result = arbiter::load_config<jsonapp::root>(
      arbiter::json_source::from_text("{\"server\": {\n\"peers\": [\n\"a\",\n\"b\"]}}", "p.json"));
  EXPECT_EQ(result.origins[2].where, "p.json:2") << "a list is placed where it starts";
}

TEST(JsonSource, UnknownKeysAreErrorsWarningsOrIgnored) {
  const std::string text = R"({"server": {"prot": 1}, "extra": {"x": 1}})";
  EXPECT_EQ(errors_of(arbiter::json_source::from_text(text, "a.json")),
            (std::vector<std::string>{"server.prot: unknown key from a.json:1; did you mean server.port?",
                                      "extra.x: unknown key from a.json:1"}));
  EXPECT_EQ(
      errors_of(arbiter::json_source::from_text(text, "a.json", {.unknown_keys = arbiter::unknown_key_policy::warn})),
      (std::vector<std::string>{"warning: server.prot: unknown key from a.json:1; did you mean server.port?",
                                "warning: extra.x: unknown key from a.json:1"}));
  EXPECT_TRUE(
      errors_of(arbiter::json_source::from_text(text, "a.json", {.unknown_keys = arbiter::unknown_key_policy::ignore}))
          .empty());
  EXPECT_TRUE(arbiter::load_config<jsonapp::root>(
                  arbiter::json_source::from_text(text, "a.json", {.unknown_keys = arbiter::unknown_key_policy::warn}))
                  .ok());
  EXPECT_EQ(errors_of(arbiter::json_source::from_text(R"({"server": 5})", "a.json")),
            std::vector<std::string>{"server: 5 from a.json:1 is a value, expected a section (an object)"});
}

TEST(JsonSource, ReportsUnreadableAndBrokenFiles) {
  EXPECT_EQ(errors_of(arbiter::json_source("/nonexistent/arbiter.json")),
            std::vector<std::string>{"/nonexistent/arbiter.json: cannot be opened"});
  EXPECT_TRUE(errors_of(arbiter::json_source("/nonexistent/arbiter.json", {.optional = true})).empty());
  const auto broken = errors_of(arbiter::json_source::from_text("{\n  \"server\": {\"port\": 1,\n", "half.json"));
  ASSERT_EQ(broken.size(), 1U);
  EXPECT_EQ(broken[0].rfind("half.json: is not valid JSON at line 3, column 1: ", 0), 0U) << broken[0];
  EXPECT_EQ(errors_of(arbiter::json_source::from_text("[1]", "list.json")),
            std::vector<std::string>{"list.json: must hold a JSON object at the top level"});
  EXPECT_EQ(errors_of(arbiter::json_source::from_text("42", "n.json")),
            std::vector<std::string>{"n.json: must hold a JSON object at the top level"});
  const auto half = arbiter::load_config<jsonapp::root>(
      arbiter::json_source::from_text(R"({"debug": true, "server": {"port": 9)", "half.json"));
  EXPECT_FALSE(half.ok());
  EXPECT_FALSE(half.value.debug) << "a file that does not parse contributes nothing, not its first half";
}

TEST(JsonSource, DumpJsonIsValidJson) {
  const arbiter::config<arbiter::orchestrator_config> cfg;
  const auto parsed = nlohmann::json::parse(arbiter::dump_json(cfg.current()));
  EXPECT_EQ(parsed["server.port"]["value"], 8080);
  EXPECT_EQ(parsed["resilience.open_timeout"]["value"], "5s");
  EXPECT_EQ(parsed["observability.log_level"]["source"], "default");
}

}  // namespace
