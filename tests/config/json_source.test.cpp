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
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "error_texts.hpp"
#include <boost/hana/adapt_struct.hpp>
#include <nlohmann/json.hpp>

#include <arbiter/logging/recording_logger.hpp>

namespace jsonapp {

struct net {
  std::string host = "localhost";
  std::uint16_t port = 8080;
  std::vector<std::string> peers;
  std::optional<int> backlog = 5;
  std::chrono::milliseconds timeout{250};
  arbiter::secret<std::string> token{"none"};
};
struct root {
  net server;
  bool debug = false;
};

}  // namespace jsonapp

BOOST_HANA_ADAPT_STRUCT(jsonapp::net, host, port, peers, backlog, timeout, token);
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
                "server.peers: x from app.json:1 is a string, expected a list of string",
                "server.timeout: 5000 from app.json:1 has no unit, expected a duration like 250ms, 5s, 1m30s or 2h",
            }));
}

TEST(JsonSource, NamesTheLineOfEachValue) {
  const auto source = arbiter::json_source::from_text(
      "{\n  \"server\": {\n    \"host\": \"h\",\n    \"port\": 70000\n  },\n  \"debug\":\n    \"maybe\"\n}\n",
      "app.json");
  EXPECT_EQ(errors_of(source), (std::vector<std::string>{
                                   "server.port: 70000 from app.json:4 is above the maximum 65535",
                                   "debug: maybe from app.json:7 is a string, expected a bool",
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

TEST(JsonSource, ADuplicateKeyIsAnErrorNamingBothLines) {
  const auto result = arbiter::load_config<jsonapp::root>(arbiter::json_source::from_text(
      "{\n  \"server\": {\n    \"port\": 100000,\n    \"port\": 5\n  },\n  \"debug\": true,\n  \"server\": {}\n}\n",
      "dup.json"));
  EXPECT_FALSE(result.ok());
  std::vector<std::string> messages;
  for (const auto& issue : result.issues) messages.push_back(issue.message);
  EXPECT_EQ(messages, (std::vector<std::string>{
                          "server.port: duplicate key at dup.json:4 (first at dup.json:3)",
                          "server: duplicate key at dup.json:7 (first at dup.json:2)",
                          "server.port: 100000 from dup.json:3 is above the maximum 65535",
                      }));
  EXPECT_EQ(result.issues[0].path, "server.port");
  EXPECT_EQ(errors_of(arbiter::json_source::from_text(R"({"server": {"peers": [], "peers": ["a"]}})", "d.json")),
            std::vector<std::string>{"server.peers: duplicate key at d.json:1 (first at d.json:1)"});
  EXPECT_TRUE(
      errors_of(arbiter::json_source::from_text(R"({"server": {"host": "a"}, "debug": {"host": "b"}})", "d.json",
                                                {.unknown_keys = arbiter::unknown_key_policy::ignore}))
          .empty())
      << "the same key in different objects is no duplicate";
}

TEST(JsonSource, AValueOfTheWrongJsonTypeIsAnError) {
  EXPECT_EQ(errors_of(arbiter::json_source::from_text("{\"server\": {\"host\": 123, \"port\": \"9000\", \"peers\": "
                                                      "[\"a\", 1],\n \"backlog\": \"5\", \"timeout\": true, "
                                                      "\"token\": 42},\n \"debug\": \"yes\"}",
                                                      "t.json")),
            (std::vector<std::string>{
                "server.host: 123 from t.json:1 is a number, expected a string",
                "server.port: 9000 from t.json:1 is a string, expected a uint16",
                "server.peers: [a, 1] from t.json:1 has item 2 (1) that is a number, expected a string",
                "server.backlog: 5 from t.json:2 is a string, expected an int32",
                "server.timeout: true from t.json:2 is a boolean, expected a duration",
                "server.token: *** from t.json:2 is a number, expected a string",
                "debug: yes from t.json:3 is a string, expected a bool",
            }));
  // Durations and sizes are written as strings; a bare number is read in the field's bare unit, if it has one.
  const auto result = arbiter::load_config<jsonapp::root>(arbiter::json_source::from_text(
      R"({"server": {"host": "h", "port": 1, "peers": ["a"], "backlog": "", "timeout": "1s"}, "debug": false})"));
  EXPECT_TRUE(result.ok()) << result.issues.front().message;
  EXPECT_FALSE(result.value.server.backlog) << "an empty string still unsets an optional";
}

/// Every message an error of `text` (a json_source file) reaches.
std::vector<std::string> every_error_text(const std::string& text) {
  return config_test::every_error_text<jsonapp::root, arbiter::json_source>("arbiter_config_json_secret_test.json",
                                                                           "{}", text);
}

TEST(JsonSource, ASyntaxErrorNeverShowsTheTextAroundIt) {
  const std::vector<std::pair<std::string, std::string>> broken = {
      {"truncated", "{\"server\": {\"token\": \"hunter2-sesame"},
      {"raw newline", "{\"server\": {\"token\": \"hunter2\n-sesame\"}}"},
      {"bad UTF-8", "{\"server\": {\"token\": \"hunter2\xff-sesame\"}}"},
      {"bad escape", "{\"server\": {\"token\": \"hunter2\\q-sesame\"}}"},
      {"number overflow", "{\"server\": {\"token\": 2718281828e99999}}"},
      {"bad literal", "{\"server\": {\"token\": hunter2}}"},
  };
  for (const auto& [what, text] : broken) {
    const auto messages = every_error_text(text);
    ASSERT_FALSE(messages.empty()) << what;
    EXPECT_NE(messages[0].find("is not valid JSON at line "), std::string::npos) << what << ": " << messages[0];
    for (const auto& message : messages) {
      EXPECT_EQ(message.find("hunter"), std::string::npos) << what << ": " << message;
      EXPECT_EQ(message.find("sesame"), std::string::npos) << what << ": " << message;
      EXPECT_EQ(message.find("2718281828"), std::string::npos) << what << ": " << message;
    }
  }
  EXPECT_EQ(
      errors_of(arbiter::json_source::from_text("{\"server\": {\"token\": \"ab\ncd\"}}", "n.json")),
      std::vector<std::string>{"n.json: is not valid JSON at line 1, column 25: syntax error while parsing value - "
                               "invalid string: control character U+000A (LF) must be escaped to \\u000A or \\n"});
}

/// Returns `levels` nested objects, one a line: {"a":\n{"a":\n...1}}...
std::string nested(std::size_t levels) {
  std::string text;
  for (std::size_t i = 0; i < levels; ++i) text.append("{\"a\":\n");
  text.append("1");
  text.append(levels, '}');
  return text;
}

TEST(JsonSource, NestingDeeperThan64LevelsIsAnErrorNamingTheLine) {
  EXPECT_EQ(errors_of(arbiter::json_source::from_text(nested(100), "deep.json")),
            std::vector<std::string>{"deep.json: nests objects and lists deeper than 64 levels at line 65"});
  const std::string lists = "{\"server\": {\"peers\": " + std::string(63, '[') + std::string(63, ']') + "}}";
  EXPECT_EQ(errors_of(arbiter::json_source::from_text(lists, "deep.json")),
            std::vector<std::string>{"deep.json: nests objects and lists deeper than 64 levels at line 1"})
      << "lists count too: two objects and 63 lists";
  // 64 levels are fine (an unknown key, not a depth error).
  const auto at_limit = errors_of(arbiter::json_source::from_text(nested(64), "deep.json"));
  ASSERT_EQ(at_limit.size(), 1U);
  EXPECT_EQ(at_limit[0].rfind("a.a.a.", 0), 0U) << at_limit[0];
  // A 192 KB file of nothing but nesting is rejected at the limit, without reading it into memory level by level.
  const auto huge = errors_of(arbiter::json_source::from_text(nested(32 * 1024), "huge.json"));
  EXPECT_EQ(huge, std::vector<std::string>{"huge.json: nests objects and lists deeper than 64 levels at line 65"});
}

TEST(JsonSource, AVeryLongPathIsShortenedInItsEntryAndMessages) {
  // 60 levels of 2 KB keys, then 500 leaves: every leaf keeping its full 120 KB path would be 60 MB.
  const std::string key(2048, 'k');
  std::string text;
  for (int i = 0; i < 60; ++i) text.append("{\"").append(key).append("\": ");
  text += "{";
  for (int i = 0; i < 500; ++i) text += (i == 0 ? "\"" : ", \"") + std::to_string(i) + "\": 1";
  text += "}";
  text.append(60, '}');
  arbiter::source_output out;
  arbiter::json_source::from_text(text, "long.json").read<jsonapp::root>(out);
  EXPECT_TRUE(out.issues.empty());
  ASSERT_EQ(out.entries.size(), 500U);
  for (const auto& entry : out.entries) {
    EXPECT_LE(entry.path.size(), arbiter::detail::max_name_length + 3);
    EXPECT_EQ(entry.path.substr(entry.path.size() - 3), "...");
  }
  const auto messages = errors_of(arbiter::json_source::from_text(text, "long.json"));
  ASSERT_EQ(messages.size(), 500U);
  EXPECT_EQ(messages[0], std::string(160, 'k') + "...: unknown key from long.json:1");
}

TEST(JsonSource, DumpJsonIsValidJson) {
  const arbiter::config<arbiter::orchestrator_config> cfg;
  const auto parsed = nlohmann::json::parse(arbiter::dump_json(cfg.current()));
  EXPECT_EQ(parsed["server.port"]["value"], 8080);
  EXPECT_EQ(parsed["resilience.open_timeout"]["value"], "5s");
  EXPECT_EQ(parsed["observability.log_level"]["source"], "default");
}

}  // namespace
