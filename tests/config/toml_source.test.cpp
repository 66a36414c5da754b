// The TOML file source: tables, arrays, lines, floats into integers, dates, unknown keys and broken files.
#include <arbiter/config/toml_source.hpp>

#include <arbiter/config/loader.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/hana/adapt_struct.hpp>

namespace tomlapp {

struct net {
  std::string host = "localhost";
  std::uint16_t port = 8080;
  std::vector<std::string> peers;
  std::chrono::milliseconds timeout{250};
  double ratio = 0.5;
};
struct root {
  net server;
  bool debug = false;
};

}  // namespace tomlapp

BOOST_HANA_ADAPT_STRUCT(tomlapp::net, host, port, peers, timeout, ratio);
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
  EXPECT_EQ(result.origins[5].describe(), "app.toml:1");
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

}  // namespace
