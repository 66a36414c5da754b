#include <arbiter/lifecycle/shutdown_report.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

namespace {

using namespace std::chrono_literals;

arbiter::shutdown_result sample() {
  arbiter::shutdown_result result;
  result.cause = {arbiter::shutdown_reason::requested, 0, "scenario finished"};
  result.readiness.push_back({"health", -1, arbiter::hook_outcome::completed, 1300us, {}});
  result.drain = {true, 0, 295700us};
  result.hooks.push_back({"order intake", 0, arbiter::hook_outcome::completed, 2600us, {}});
  result.hooks.push_back({"tracing", 90, arbiter::hook_outcome::completed, 6500us, {}});
  result.duration = 815ms;
  return result;
}

TEST(shutdown_report, lists_the_cause_every_step_and_the_end) {
  const std::vector<std::string> expected{
      "shutdown result (cause: requested: scenario finished):",
      "  readiness off  health             completed      1.3 ms",
      "  drain          0 left in flight   drained      295.7 ms",
      "  hook phase 0   order intake       completed      2.6 ms",
      "  hook phase 90  tracing            completed      6.5 ms",
      "shutdown complete: clean in 815 ms, exit code 0",
  };
  EXPECT_EQ(arbiter::describe(sample()), expected);
}

TEST(shutdown_report, names_what_went_wrong) {
  auto result = sample();
  result.cause = {arbiter::shutdown_reason::signal, 15, ""};
  result.drain = {false, 2, 1s};
  result.hooks[0].outcome = arbiter::hook_outcome::failed;
  result.hooks[0].error = "disk full";
  result.exit_code = 2;
  const auto lines = arbiter::describe(result);
  ASSERT_EQ(lines.size(), 6U);
  EXPECT_EQ(lines[0], "shutdown result (cause: signal):");
  EXPECT_EQ(lines[2], "  drain          2 left in flight   NOT drained  1000.0 ms");
  EXPECT_EQ(lines[3], "  hook phase 0   order intake       failed         2.6 ms  disk full");
  EXPECT_EQ(lines[5], "shutdown finished with exit code 2 after 815 ms");
}

}  // namespace
