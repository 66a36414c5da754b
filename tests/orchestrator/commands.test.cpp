#include <arbiter/orchestrator/commands.hpp>

#include <arbiter/config/override_source.hpp>
#include <arbiter/orchestrator.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

namespace {

using service = arbiter::orchestrator<arbiter::breaker<"inventory">, arbiter::with_sources<arbiter::override_source>>;

struct answered {
  std::optional<int> code;
  std::string out, err;
};

answered answer(const std::vector<const char*>& given) {
  // Not vector::insert at the front: g++ 12 -O3 flags it with a false -Wnull-dereference.
  std::vector<const char*> args(given.size() + 1, "svc");
  std::copy(given.begin(), given.end(), args.begin() + 1);
  arbiter::command_line cli("svc", "A service.");
  cli.parse(static_cast<int>(args.size()), args.data());
  testing::internal::CaptureStdout();
  testing::internal::CaptureStderr();
  answered out;
  out.code = arbiter::answer_commands<service>(cli, "Footer.\n", arbiter::override_source(cli.overrides()));
  out.out = testing::internal::GetCapturedStdout();
  out.err = testing::internal::GetCapturedStderr();
  return out;
}

TEST(answer_commands, prints_the_usage_the_reference_or_the_effective_config_and_says_to_exit) {
  const auto help = answer({"--help"});
  EXPECT_EQ(help.code, 0);
  EXPECT_NE(help.out.find("usage: svc"), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("Footer."), std::string::npos) << help.out;
  const auto reference = answer({"--help-config"});
  EXPECT_EQ(reference.code, 0);
  EXPECT_NE(reference.out.find("resilience.breakers.inventory.failure_threshold"), std::string::npos);
  const auto dump = answer({"--dump-config", "resilience.failure_threshold=7"});
  EXPECT_EQ(dump.code, 0);
  EXPECT_NE(dump.out.find("resilience.failure_threshold = 7"), std::string::npos) << dump.out;
  EXPECT_EQ(answer({"resilience.failure_threshold=7"}).code, std::nullopt) << "nothing asked: build the service";
}

TEST(answer_commands, a_bad_setting_in_a_dump_is_listed_with_its_source_and_exit_code_2) {
  const auto dump = answer({"--dump-config", "resilience.failure_threshold=0"});
  EXPECT_EQ(dump.code, 2);
  EXPECT_NE(dump.err.find("resilience.failure_threshold: 0 from override resilience.failure_threshold"),
            std::string::npos)
      << dump.err;
}

}  // namespace
