// Real processes: lifecycle_helper is started, sent real signals with kill(), and its output and exit code
// are checked. Bounds are generous (a loaded 2-core machine under a sanitizer must pass); every child is
// killed and reaped when a test ends, passed or not.
#include <arbiter/lifecycle/exit_policy.hpp>

#include "child_process.hpp"

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <string>

namespace {

using namespace std::chrono_literals;
using arbiter_test::child_process;

constexpr auto startup = 20s;  // sanitizer builds start slowly on a busy machine
constexpr auto bounded = 20s;

class shutdown_process : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { std::signal(SIGPIPE, SIG_IGN); }

  /// Starts the helper with a scenario and waits until it has installed its handlers.
  child_process& start(const std::string& scenario) {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    const std::string log =
        ::testing::TempDir() + "lifecycle_" + info->name() + "_" + std::to_string(::getpid()) + ".stderr";
    child_.emplace(ARBITER_LIFECYCLE_HELPER, std::vector<std::string>{scenario}, log);
    EXPECT_TRUE(child_->wait_for_line("ready", startup)) << child_->transcript();
    return *child_;
  }

  /// Waits for the exit and returns the exit code (-1 when killed by a signal); fails the test on timeout.
  int finish(child_process& child, std::chrono::milliseconds timeout = bounded) {
    const auto status = child.wait_exit(timeout);
    EXPECT_TRUE(status.has_value()) << "the helper did not exit in time\n" << child.transcript();
    return status ? child_process::exit_code(*status) : -1;
  }

  std::optional<child_process> child_;
};

TEST_F(shutdown_process, sigterm_runs_readiness_then_hooks_by_phase_in_reverse_registration_order) {
  auto& child = start("order");
  child.signal(SIGTERM);
  const arbiter::exit_codes codes;
  EXPECT_EQ(finish(child), codes.clean) << "SIGTERM with a clean shutdown exits 0, not 143\n" << child.transcript();
  const std::vector<std::string> expected{"ready",   "readiness off", "hook metrics", "hook server", "hook cache",
                                          "hook db", "hook flush",    "hook files",   "exit 0"};
  EXPECT_EQ(child.lines(), expected) << child.transcript();
}

TEST_F(shutdown_process, sigint_starts_the_same_shutdown) {
  auto& child = start("order");
  child.signal(SIGINT);
  EXPECT_EQ(finish(child), 0) << child.transcript();
  EXPECT_EQ(child.count("hook db"), 1U) << child.transcript();
}

TEST_F(shutdown_process, hook_past_its_timeout_is_left_behind_and_the_rest_run) {
  auto& child = start("timeout");
  const auto sent = std::chrono::steady_clock::now();
  child.signal(SIGTERM);
  EXPECT_EQ(finish(child), arbiter::exit_codes{}.timed_out) << child.transcript();
  EXPECT_LT(std::chrono::steady_clock::now() - sent, 15s) << "the stuck hook sleeps 60 s; it must be left behind";
  EXPECT_LT(child.index_of("hook stuck started"), child.index_of("hook after")) << child.transcript();
  EXPECT_EQ(child.index_of("exit 2"), std::string::npos)
      << "the stuck hook still runs: the manager ends the process, main never returns\n"
      << child.transcript();
}

TEST_F(shutdown_process, hook_left_running_never_races_the_static_destructors_and_the_code_is_the_documented_one) {
  // The hook passes its 200 ms timeout and keeps reading a static object. Returning from main would run the
  // static destructors under it (SIGSEGV); the process must end with exit_codes::timed_out instead, every run.
  for (int run = 0; run < 5; ++run) {
    auto& child = start("static_race");
    child.signal(SIGTERM);
    const auto status = child.wait_exit(bounded);
    ASSERT_TRUE(status.has_value()) << "run " << run << ": the helper did not exit in time\n" << child.transcript();
    EXPECT_FALSE(WIFSIGNALED(*status)) << "run " << run << ": killed by signal " << WTERMSIG(*status) << "\n"
                                       << child.transcript();
    EXPECT_EQ(child_process::exit_code(*status), arbiter::exit_codes{}.timed_out) << "run " << run << "\n"
                                                                                  << child.transcript();
    EXPECT_NE(child.index_of("hook after"), std::string::npos) << "run " << run << "\n" << child.transcript();
    EXPECT_EQ(child.count("buffered in stdio"), 1U) << "the manager's exit flushes stdout\n" << child.transcript();
  }
}

TEST_F(shutdown_process, overall_deadline_forces_the_exit_with_its_own_code) {
  auto& child = start("deadline");  // deadline 500 ms, a hook that never returns
  const auto sent = std::chrono::steady_clock::now();
  child.signal(SIGTERM);
  EXPECT_EQ(finish(child), arbiter::exit_codes{}.deadline) << child.transcript();
  const auto took = std::chrono::steady_clock::now() - sent;
  EXPECT_GE(took, 400ms) << "not before the deadline";
  EXPECT_LT(took, 15s);
  EXPECT_NE(child.index_of("hook forever started"), std::string::npos) << child.transcript();
  EXPECT_EQ(child.index_of("hook after"), std::string::npos) << "hooks after the deadline are skipped";
  EXPECT_EQ(child.index_of("exit 3"), std::string::npos) << "forced out: main never returned\n" << child.transcript();
}

TEST_F(shutdown_process, throwing_hook_is_reported_and_the_rest_still_run) {
  auto& child = start("throwing");
  child.signal(SIGTERM);
  EXPECT_EQ(finish(child), arbiter::exit_codes{}.hook_failed) << child.transcript();
  EXPECT_NE(child.index_of("hook after"), std::string::npos) << child.transcript();
  EXPECT_NE(child.transcript().find("disk full"), std::string::npos) << "the exception message is logged";
}

TEST_F(shutdown_process, second_signal_forces_an_immediate_exit) {
  auto& child = start("slow");  // a hook that sleeps 60 s under a 20 s deadline
  child.signal(SIGTERM);
  ASSERT_TRUE(child.wait_for_line("hook slow started", bounded)) << child.transcript();
  const auto sent = std::chrono::steady_clock::now();
  child.signal(SIGINT);
  EXPECT_EQ(finish(child), 128 + SIGINT) << child.transcript();
  EXPECT_LT(std::chrono::steady_clock::now() - sent, 10s);
}

TEST_F(shutdown_process, std_terminate_runs_the_hooks_once_and_exits_fatal) {
  auto& child = start("fatal");
  child.send("terminate");  // a plain std::thread throws: std::terminate
  EXPECT_EQ(finish(child), arbiter::exit_codes{}.fatal) << child.transcript();
  EXPECT_EQ(child.count("hook server"), 1U) << child.transcript();
  EXPECT_EQ(child.count("hook db"), 1U) << child.transcript();
  EXPECT_NE(child.transcript().find("boom in a plain thread"), std::string::npos) << child.transcript();
}

TEST_F(shutdown_process, exception_escaping_an_arbiter_thread_runs_the_hooks_once_and_exits_fatal) {
  auto& child = start("fatal");
  child.send("thread_throw");
  EXPECT_EQ(finish(child), arbiter::exit_codes{}.fatal) << child.transcript();
  EXPECT_EQ(child.count("hook server"), 1U) << child.transcript();
  EXPECT_EQ(child.count("hook db"), 1U) << child.transcript();
  EXPECT_NE(child.transcript().find("worker lost its database"), std::string::npos) << child.transcript();
}

TEST_F(shutdown_process, sighup_goes_to_the_reload_subscriber_and_does_not_stop_the_process) {
  auto& child = start("reload");
  child.signal(SIGHUP);
  ASSERT_TRUE(child.wait_for_line("reload 1", bounded)) << child.transcript();
  child.signal(SIGHUP);
  ASSERT_TRUE(child.wait_for_line("reload 2", bounded)) << child.transcript();
  EXPECT_FALSE(child.wait_exit(50ms).has_value()) << "SIGHUP must not end the process";
  child.signal(SIGTERM);
  EXPECT_EQ(finish(child), 0) << child.transcript();
  EXPECT_EQ(child.index_of("readiness off"), 3U) << child.transcript();
}

TEST_F(shutdown_process, in_flight_work_drains_before_the_hooks_and_new_work_is_refused) {
  auto& child = start("drain");
  child.send("request");
  ASSERT_TRUE(child.wait_for_line("request started", bounded)) << child.transcript();
  child.signal(SIGTERM);
  EXPECT_EQ(finish(child), 0) << child.transcript();
  const auto readiness = child.index_of("readiness off");
  const auto refused = child.index_of("entry refused");
  const auto done = child.index_of("request done");
  const auto hook = child.index_of("hook server");
  ASSERT_NE(hook, std::string::npos) << child.transcript();
  EXPECT_LT(readiness, refused) << child.transcript();
  EXPECT_LT(refused, done) << child.transcript();
  EXPECT_LT(done, hook) << "hooks wait for the request in flight\n" << child.transcript();
}

}  // namespace
