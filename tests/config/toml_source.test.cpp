// The TOML file source: tables, arrays, lines, floats into integers, dates, unknown keys and broken files.
#include <arbiter/config/toml_source.hpp>

#include <arbiter/config.hpp>
#include <arbiter/config/loader.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "error_texts.hpp"
#include <boost/hana/adapt_struct.hpp>

#include <arbiter/logging/recording_logger.hpp>

namespace tomlapp {

struct net {
  std::string host = "localhost";
  std::uint16_t port = 8080;
  std::vector<std::string> peers;
  std::chrono::milliseconds timeout{250};
  double ratio = 0.5;
  arbiter::secret<std::string> token{"none"};
};
struct root {
  net server;
  bool debug = false;
};

}  // namespace tomlapp

BOOST_HANA_ADAPT_STRUCT(tomlapp::net, host, port, peers, timeout, ratio, token);
BOOST_HANA_ADAPT_STRUCT(tomlapp::root, server, debug);

namespace {

using namespace std::chrono_literals;

std::vector<std::string> errors_of(const arbiter::toml_source& source) {
  std::vector<std::string> out;
  for (const auto& issue : arbiter::load_config<tomlapp::root>(source).issues) {
    out.push_back((issue.severity == arbiter::issue_severity::warning ? "warning: " : "") + issue.message);
  }
  return out;
}

TEST(TomlSource, ReadsTablesArraysAndLines) {
  const auto source = arbiter::toml_source::from_text(
      "debug = true\n\n[server]\nhost = \"example.org\"\nport = 9000\npeers = [\"a\", \"b\"]\ntimeout = \"2s\"\n"
      "ratio = 1\n",
      "app.toml");
  const auto result = arbiter::load_config<tomlapp::root>(source);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.value.server.host, "example.org");
  EXPECT_EQ(result.value.server.port, 9000);
  EXPECT_EQ(result.value.server.peers, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(result.value.server.timeout, 2s);
  EXPECT_DOUBLE_EQ(result.value.server.ratio, 1.0) << "a TOML integer is a fine double";
  EXPECT_TRUE(result.value.debug);
  EXPECT_EQ(result.origins[1].describe(), "app.toml:5");
  EXPECT_EQ(result.origins[6].describe(), "app.toml:1");
}

TEST(TomlSource, ReportsBadValuesWithFileAndLine) {
  EXPECT_EQ(errors_of(arbiter::toml_source::from_text(
                "[server]\nport = 1e3\nhost = 1979-05-27\npeers = [[1]]\ntimeout = 5000\nextra = 1\n", "app.toml")),
            (std::vector<std::string>{
                "server.host: a date or time from app.toml:3 is not a config value",
                "server.peers: a list from app.toml:4 holds a table, list, date or time; expected values",
                "server.extra: unknown key from app.toml:6",
                "server.port: 1000.0 from app.toml:2 is not an unsigned integer",
                "server.timeout: 5000 from app.toml:5 has no unit, expected a duration like 250ms, 5s, 1m30s or 2h",
            }));
  EXPECT_EQ(errors_of(arbiter::toml_source::from_text("extra = 1\n", "a.toml",
                                                      {.unknown_keys = arbiter::unknown_key_policy::warn})),
            std::vector<std::string>{"warning: extra: unknown key from a.toml:1"});
}

TEST(TomlSource, ReportsUnreadableAndBrokenFiles) {
  EXPECT_EQ(errors_of(arbiter::toml_source("/nonexistent/arbiter.toml")),
            std::vector<std::string>{"/nonexistent/arbiter.toml: cannot be opened"});
  EXPECT_TRUE(errors_of(arbiter::toml_source("/nonexistent/arbiter.toml", {.optional = true})).empty());
  const auto broken = errors_of(arbiter::toml_source::from_text("[server]\nport = \n", "half.toml"));
  ASSERT_EQ(broken.size(), 1U);
  EXPECT_EQ(broken[0].rfind("half.toml: is not valid TOML at line 2", 0), 0U) << broken[0];
}

TEST(TomlSource, AValueOfTheWrongTomlTypeIsAnError) {
  EXPECT_EQ(
      errors_of(arbiter::toml_source::from_text("debug = \"yes\"\n[server]\nhost = 123\nport = \"9000\"\n"
                                                "peers = [\"a\", 1]\ntimeout = true\ntoken = 42\nratio = \"0.5\"\n",
                                                "app.toml")),
      (std::vector<std::string>{
          "server.host: 123 from app.toml:3 is a number, expected a string",
          "server.port: 9000 from app.toml:4 is a string, expected a uint16",
          "server.peers: [a, 1] from app.toml:5 has item 2 (1) that is a number, expected a string",
          "server.timeout: true from app.toml:6 is a boolean, expected a duration",
          "server.ratio: 0.5 from app.toml:8 is a string, expected a double",
          "server.token: *** from app.toml:7 is a number, expected a string",
          "debug: yes from app.toml:1 is a string, expected a bool",
      }));
}

TEST(TomlSource, ADuplicateKeyIsAnErrorNamingBothLines) {
  EXPECT_EQ(errors_of(arbiter::toml_source::from_text("[server]\nport = 100000\nport = 5\n", "dup.toml")),
            std::vector<std::string>{"server.port: duplicate key at dup.toml:3 (first at dup.toml:2)"});
  EXPECT_EQ(errors_of(arbiter::toml_source::from_text(
                "debug = true\n[server]\nhost = \"a\"\n[other]\nhost = \"b\"\n[server]\n", "dup.toml")),
            std::vector<std::string>{"server: duplicate key at dup.toml:6 (first at dup.toml:2)"});
  EXPECT_EQ(errors_of(arbiter::toml_source::from_text(
                "[server]\nhost = \"a\"\n[other]\nx.host = 1\nhost = \"b\"\nhost = \"c\"\n", "dup.toml")),
            std::vector<std::string>{"other.host: duplicate key at dup.toml:6 (first at dup.toml:5)"})
      << "the key belongs to the last table header above it";
  EXPECT_EQ(errors_of(arbiter::toml_source::from_text("[server]\nx.y = 1\nx . y = 2\n", "dup.toml")),
            std::vector<std::string>{"server.x.y: duplicate key at dup.toml:3 (first at dup.toml:2)"});
  // A quoted key is reported with toml++'s message, which names the second line only.
  const auto quoted = errors_of(arbiter::toml_source::from_text("[server]\n\"port\" = 1\n\"port\" = 2\n", "dup.toml"));
  ASSERT_EQ(quoted.size(), 1U);
  EXPECT_EQ(quoted[0].rfind("dup.toml: is not valid TOML at line 3, column ", 0), 0U) << quoted[0];
  EXPECT_NE(quoted[0].find("cannot redefine existing integer"), std::string::npos) << quoted[0];
}

/// Every message an error of `text` (a toml_source file) reaches.
std::vector<std::string> every_error_text(const std::string& text) {
  return config_test::every_error_text<tomlapp::root, arbiter::toml_source>("arbiter_config_toml_secret_test.toml",
                                                                           "", text);
}

TEST(TomlSource, ASyntaxErrorNeverShowsTheTextAroundIt) {
  const std::vector<std::pair<std::string, std::string>> broken = {
      {"truncated", "[server]\ntoken = \"hunter2-sesame"},
      {"raw newline", "[server]\ntoken = \"hunter2\n-sesame\"\n"},
      {"bad UTF-8", "[server]\ntoken = \"hunter2\xff-sesame\"\n"},
      {"bad escape", "[server]\ntoken = \"hunter2\\q-sesame\"\n"},
      {"float overflow", "[server]\ntoken = 2718281828e99999\n"},
      {"integer overflow", "[server]\ntoken = 27182818284590452353602874\n"},
      {"bad digit", "[server]\ntoken = 0x27182818hunter2\n"},
  };
  for (const auto& [what, text] : broken) {
    const auto messages = every_error_text(text);
    ASSERT_FALSE(messages.empty()) << what;
    EXPECT_NE(messages[0].find("is not valid TOML at line 2, column "), std::string::npos)
        << what << ": " << messages[0];
    for (const auto& message : messages) {
      EXPECT_EQ(message.find("hunter"), std::string::npos) << what << ": " << message;
      EXPECT_EQ(message.find("sesame"), std::string::npos) << what << ": " << message;
      EXPECT_EQ(message.find("2718281828"), std::string::npos) << what << ": " << message;
    }
  }
  EXPECT_EQ(errors_of(arbiter::toml_source::from_text("[server]\nport = 1e99999\n", "f.toml")),
            std::vector<std::string>{"f.toml: is not valid TOML at line 2, column 15: Error while parsing "
                                     "floating-point: '...' could not be interpreted as a value"});
}

TEST(TomlSource, NestingDeeperThan64LevelsIsAnErrorNamingTheLine) {
  std::string dotted = "debug = true\n";
  for (int i = 0; i < 100; ++i) dotted += "a.";
  dotted += "b = 1\n";
  EXPECT_EQ(errors_of(arbiter::toml_source::from_text(dotted, "deep.toml")),
            std::vector<std::string>{"deep.toml: nests tables deeper than 64 levels at line 2"});
  const auto result = arbiter::load_config<tomlapp::root>(arbiter::toml_source::from_text(dotted, "deep.toml"));
  EXPECT_FALSE(result.value.debug) << "a file nested too deep contributes nothing, not its first part";
  std::string at_limit;
  for (int i = 0; i < 63; ++i) at_limit += "a.";
  at_limit += "b = 1\n";
  const auto fine = errors_of(arbiter::toml_source::from_text(at_limit, "deep.toml"));
  ASSERT_EQ(fine.size(), 1U);
  EXPECT_EQ(fine[0].rfind("a.a.a.", 0), 0U) << "64 levels are fine (an unknown key): " << fine[0];
}

TEST(TomlSource, AVeryLongPathIsShortenedInItsEntry) {
  const std::string key(2048, 'k');
  std::string text = "[";
  text.append(key);
  for (int i = 0; i < 20; ++i) text.append(".").append(key);
  text.append("]\n");
  for (int i = 0; i < 100; ++i) text.append("x").append(std::to_string(i)).append(" = 1\n");
  arbiter::source_output out;
  arbiter::toml_source::from_text(text, "long.toml").read<tomlapp::root>(out);
  EXPECT_TRUE(out.issues.empty());
  ASSERT_EQ(out.entries.size(), 100U);
  for (const auto& entry : out.entries) EXPECT_EQ(entry.path, std::string(160, 'k') + "...");
}

}  // namespace
