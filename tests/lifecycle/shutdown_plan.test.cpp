#include <arbiter/clock/manual_clock.hpp>
#include <arbiter/lifecycle/shutdown_manager.hpp>
#include <arbiter/lifecycle/shutdown_plan.hpp>
#include <arbiter/logging/null_logger.hpp>

#include <gtest/gtest.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace {

using namespace std::chrono_literals;

struct trail {
  std::mutex mutex;
  std::vector<std::string> names;
  void add(std::string_view name) {
    const std::lock_guard lock(mutex);
    names.emplace_back(name);
  }
};

struct close_database;
struct close_cache;

struct stop_server {
  static constexpr std::string_view name = "server";
  using stops_before = arbiter::stop_before<close_database, close_cache>;
  static constexpr std::chrono::milliseconds timeout{2000};
  std::shared_ptr<trail> log;
  void operator()() const { log->add(name); }
};
struct close_cache {
  static constexpr std::string_view name = "cache";
  using stops_before = arbiter::stop_before<close_database>;
  std::shared_ptr<trail> log;
  void operator()() const { log->add(name); }
};
struct close_database {
  static constexpr std::string_view name = "database";
  std::shared_ptr<trail> log;
  void operator()() const { log->add(name); }
};
struct flush_metrics {  // unrelated to the others: keeps its listed place
  static constexpr std::string_view name = "metrics";
  std::shared_ptr<trail> log;
  void operator()() const { log->add(name); }
};

using order = arbiter::static_hook_order<close_database, flush_metrics, close_cache, stop_server>;
static_assert(order::position<flush_metrics>() == 0);
static_assert(order::position<stop_server>() == 1);
static_assert(order::position<close_cache>() == 2);
static_assert(order::position<close_database>() == 3);
static_assert(arbiter::static_hook_order<>::size == 0);
static_assert(arbiter::detail::static_hook_timeout<stop_server>() == std::chrono::milliseconds(2000));
static_assert(!arbiter::detail::static_hook_timeout<close_cache>().has_value());
static_assert(!arbiter::StaticHook<int>);

using budget = arbiter::shutdown_budget<10'000, 2'000, arbiter::phase_limit<0, 3'000>, arbiter::phase_limit<1, 5'000>>;
static_assert(budget::committed_ms == 10'000);

TEST(static_hook_order, registers_hooks_in_the_compile_time_stop_order) {
  auto log = std::make_shared<trail>();
  arbiter::shutdown_manager<arbiter::null_logger, arbiter::manual_clock, arbiter::recording_exit> manager;
  manager.add_hook("before", 0, [log] { log->add("phase 0"); });
  manager.add_ordered_hooks(1, close_database{log}, flush_metrics{log}, close_cache{log}, stop_server{log});
  manager.add_hook("after", 2, [log] { log->add("phase 2"); });
  manager.trigger_shutdown();
  const auto& result = manager.wait();
  const std::vector<std::string> expected{"phase 0", "metrics", "server", "cache", "database", "phase 2"};
  EXPECT_EQ(log->names, expected);
  ASSERT_EQ(result.hooks.size(), 6U);
  EXPECT_EQ(result.hooks[2].name, "server");
  EXPECT_EQ(result.hooks[2].phase, 1);
}

TEST(shutdown_budget, fills_the_options_and_passes_runtime_validation) {
  const auto options = budget::options();
  EXPECT_EQ(options.deadline, 10s);
  EXPECT_EQ(options.drain_timeout, 2s);
  ASSERT_EQ(options.phase_timeouts.size(), 2U);
  EXPECT_EQ(options.phase_timeouts[1].phase, 1);
  EXPECT_EQ(options.phase_timeouts[1].timeout, 5s);
  EXPECT_NO_THROW(options.validate());
  arbiter::shutdown_options with_grace;
  with_grace.readiness_grace = 1s;
  EXPECT_THROW(budget::options(with_grace).validate(), std::invalid_argument)
      << "a runtime grace on top of a full budget no longer fits";
}

}  // namespace
