#include <arbiter/config/command_line.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <initializer_list>

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

struct parsed {
  std::optional<std::string> file, logs;
  bool serve = false;
  arbiter::command_line cli{"demo", "Runs the demo."};
  parsed() {
    cli.option("--config", "PATH", "settings from a JSON file", file);
    cli.option("--logs", "stdout|stderr", "where log lines go", logs, {"stdout", "stderr"});
    cli.flag("--serve", "serve until SIGTERM", serve);
  }
  void parse(std::initializer_list<const char*> args) {
    // argv as main() gets it: the program's name, then the arguments (built without vector::insert, which g++ 12
    // -O3 flags with a false -Wnull-dereference).
    std::vector<const char*> argv(args.size() + 1, "demo");
    std::copy(args.begin(), args.end(), argv.begin() + 1);
    cli.parse(static_cast<int>(argv.size()), argv.data());
  }
};

TEST(command_line, takes_overrides_in_order_the_standard_flags_and_the_services_own) {
  parsed p;
  p.parse({"a.b=1", "--config", "x.json", "--set", "c.d=2", "--serve", "--logs", "stdout", "--dump-config", "e=3"});
  EXPECT_EQ(p.cli.overrides(), (std::vector<std::string>{"a.b=1", "c.d=2", "e=3"}));
  EXPECT_EQ(p.file, "x.json");
  EXPECT_EQ(p.logs, "stdout");
  EXPECT_TRUE(p.serve);
  EXPECT_TRUE(p.cli.dump_config());
  EXPECT_FALSE(p.cli.help_config());
  EXPECT_FALSE(p.cli.help());
  parsed q;
  q.parse({"-h", "--help-config"});
  EXPECT_TRUE(q.cli.help());
  EXPECT_TRUE(q.cli.help_config());
  EXPECT_FALSE(q.serve);
}

TEST(command_line, a_bad_argument_is_an_error_naming_it) {
  const auto error_of = [](std::initializer_list<const char*> args) {
    try {
      parsed().parse(args);
    } catch (const std::invalid_argument& error) {
      return std::string(error.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(error_of({"--frobnicate"}), "unknown option --frobnicate");
  EXPECT_EQ(error_of({"--config"}), "--config needs a value");
  EXPECT_EQ(error_of({"--set"}), "--set needs a value");
  EXPECT_EQ(error_of({"--logs", "syslog"}), "--logs takes stdout or stderr, not syslog");
}

TEST(command_line, parse_or_usage_prints_the_error_and_the_usage_and_answers_exit_code_2) {
  parsed bad;
  const std::vector<const char*> wrong{"demo", "--serve", "--frobnicate"};
  testing::internal::CaptureStderr();
  EXPECT_EQ(bad.cli.parse_or_usage(static_cast<int>(wrong.size()), wrong.data(), "Exit codes: 0 clean.\n"), 2);
  const std::string printed = testing::internal::GetCapturedStderr();
  EXPECT_EQ(printed, "demo: unknown option --frobnicate\n\n" + bad.cli.usage("Exit codes: 0 clean.\n"));

  parsed good;
  const std::vector<const char*> right{"demo", "--serve", "a.b=1"};
  testing::internal::CaptureStderr();
  EXPECT_EQ(good.cli.parse_or_usage(static_cast<int>(right.size()), right.data()), std::nullopt);
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
  EXPECT_TRUE(good.serve);
  EXPECT_EQ(good.cli.overrides(), std::vector<std::string>{"a.b=1"});
}

TEST(command_line, usage_lists_every_flag_with_its_help) {
  const parsed p;
  EXPECT_EQ(p.cli.usage("Exit codes: 0 clean.\n"),
            "usage: demo [options] [key.path=value ...]\n"
            "Runs the demo.\n"
            "  --config PATH         settings from a JSON file\n"
            "  --logs stdout|stderr  where log lines go\n"
            "  --serve               serve until SIGTERM\n"
            "  --dump-config         print the effective configuration and where each value came from, then exit\n"
            "  --help-config         print every setting (type, default, environment variable), then exit\n"
            "  key.path=value        override one setting (also --set key.path=value)\n"
            "Exit codes: 0 clean.\n");
}

}  // namespace
