#include <arbiter/clock/manual_clock.hpp>
#include <arbiter/lifecycle/shutdown_manager.hpp>
#include <arbiter/logging/null_logger.hpp>
#include <arbiter/logging/recording_logger.hpp>
#include <arbiter/metrics/registry.hpp>
#include <arbiter/tracing/null_tracer.hpp>
#include <arbiter/tracing/recording_tracer.hpp>
#include <arbiter/tracing/trace.hpp>

#include <gtest/gtest.h>

#include "../metrics/exposition_check.hpp"

#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <latch>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <variant>
#include <vector>

namespace {

/// The report of the step named `name`: fails the test (instead of dereferencing null) when there is none.
template <class Result>
const auto& found(const Result& result, std::string_view name) {
  const auto* step = result.find(name);
  if (step == nullptr) throw std::runtime_error("no step named " + std::string(name));
  return *step;
}

using namespace std::chrono_literals;
using manager_type =
    arbiter::shutdown_manager<arbiter::recording_logger, arbiter::manual_clock, arbiter::recording_exit>;

/// Records the order steps run in, across threads.
class journal {
 public:
  std::function<void()> step(std::string name) {
    return [this, name = std::move(name)] { add(name); };
  }
  void add(const std::string& name) {
    const std::lock_guard lock(mutex_);
    entries_.push_back(name);
  }
  std::vector<std::string> entries() const {
    const std::lock_guard lock(mutex_);
    return entries_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> entries_;
};

/// A flag a left-behind hook blocks on; shared so the hook may outlive the test body.
struct release_flag {
  std::mutex mutex;
  std::condition_variable cv;
  bool open = false;
  void wait() {
    std::unique_lock lock(mutex);
    cv.wait(lock, [this] { return open; });
  }
  void release() {
    {
      const std::lock_guard lock(mutex);
      open = true;
    }
    cv.notify_all();
  }
};

template <class Predicate>
bool eventually(Predicate predicate, std::chrono::milliseconds limit = 10s) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (!predicate()) {
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

arbiter::shutdown_options fast_options() {
  arbiter::shutdown_options options;
  options.poll_interval = 1ms;
  return options;
}

struct fixture {
  arbiter::recording_logger logger;
  arbiter::manual_clock clock;
  arbiter::recording_exit exit;
  manager_type make(arbiter::shutdown_options options = fast_options()) {
    return manager_type(logger, std::move(options), clock, exit);
  }
};

TEST(shutdown_manager, runs_readiness_then_drain_then_hooks_by_phase_last_registered_first) {
  fixture f;
  auto manager = f.make();
  journal order;
  manager.add_hook("db", 2, order.step("db"));
  manager.add_hook("cache", 1, order.step("cache"));
  manager.add_hook("server", 1, order.step("server"));
  manager.add_hook("metrics", -5, order.step("metrics"));
  manager.on_readiness_off("health", order.step("readiness off"));
  manager.on_readiness_off("lb", order.step("lb off"));
  EXPECT_FALSE(manager.is_shutting_down());
  EXPECT_TRUE(manager.trigger_shutdown("test over"));
  EXPECT_TRUE(manager.is_shutting_down());
  const auto& result = manager.wait();
  const std::vector<std::string> expected{"readiness off", "lb off", "metrics", "server", "cache", "db"};
  EXPECT_EQ(order.entries(), expected);
  EXPECT_EQ(result.cause.reason, arbiter::shutdown_reason::requested);
  EXPECT_EQ(result.cause.detail, "test over");
  ASSERT_EQ(result.hooks.size(), 4U);
  EXPECT_EQ(result.hooks[0].name, "metrics");
  EXPECT_EQ(result.hooks[3].phase, 2);
  for (const auto& hook : result.hooks) EXPECT_EQ(hook.outcome, arbiter::hook_outcome::completed) << hook.name;
  EXPECT_TRUE(result.clean());
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(f.exit.count(), 0U) << "a clean shutdown returns the code; it does not force the exit";
  EXPECT_EQ(f.logger.count("shutdown step finished"), 6U);
  const auto finished = f.logger.last("shutdown finished");
  ASSERT_TRUE(finished.has_value());
  EXPECT_EQ(finished->field("exit_code"), "0");
  EXPECT_EQ(finished->field("reason"), "requested");
}

TEST(shutdown_manager, hooks_run_once_however_often_the_shutdown_is_triggered) {
  fixture f;
  auto manager = f.make();
  std::atomic<int> runs{0};
  manager.add_hook("once", 0, [&] { runs.fetch_add(1); });
  std::vector<std::thread> triggers;
  std::atomic<int> started{0};
  for (int i = 0; i < 4; ++i) {
    triggers.emplace_back([&] { started += manager.trigger_shutdown() ? 1 : 0; });
  }
  for (auto& t : triggers) t.join();
  manager.wait();
  EXPECT_EQ(started.load(), 1);
  EXPECT_EQ(runs.load(), 1);
  EXPECT_FALSE(manager.trigger_shutdown());
  EXPECT_EQ(runs.load(), 1);
}

TEST(shutdown_manager, hook_past_its_timeout_is_left_behind_and_the_rest_run) {
  fixture f;
  auto manager = f.make();
  auto flag = std::make_shared<release_flag>();
  journal order;
  manager.add_hook(
      "stuck", 0,
      [clock = f.clock, flag] {
        clock.advance(1500ms);  // the manual clock says this hook took 1.5 s of its 1 s
        flag->wait();
      },
      1s);
  manager.add_hook("after", 1, order.step("after"));
  manager.trigger_shutdown();
  const auto& result = manager.wait();
  flag->release();
  ASSERT_EQ(result.hooks.size(), 2U);
  EXPECT_EQ(result.hooks[0].outcome, arbiter::hook_outcome::timed_out);
  EXPECT_GE(result.hooks[0].duration, 1500ms);
  EXPECT_NE(result.hooks[0].error.find("timeout of 1000 ms"), std::string::npos) << result.hooks[0].error;
  EXPECT_EQ(result.hooks[1].outcome, arbiter::hook_outcome::completed);
  EXPECT_EQ(order.entries(), std::vector<std::string>{"after"});
  EXPECT_FALSE(result.deadline_hit);
  EXPECT_EQ(result.exit_code, arbiter::exit_codes{}.timed_out);
  // The hook is still running at the end: main must not return under it (static destructors would run while it
  // uses them), so the manager ends the process itself, with the same code.
  EXPECT_EQ(result.still_running, 1U);
  EXPECT_EQ(f.exit.codes(), std::vector<int>{arbiter::exit_codes{}.timed_out});
  const auto forced = f.logger.last("forcing exit");
  ASSERT_TRUE(forced.has_value());
  EXPECT_EQ(forced->field("reason"), "a step left behind is still running");
  EXPECT_EQ(forced->field("exit_code"), "2");
}

TEST(shutdown_manager, hook_that_finishes_late_but_before_the_end_is_joined_and_the_exit_is_not_forced) {
  fixture f;
  auto manager = f.make();
  auto flag = std::make_shared<release_flag>();
  manager.add_hook(
      "late", 0,
      [clock = f.clock, flag] {
        clock.advance(1500ms);
        flag->wait();
      },
      1s);
  manager.add_hook("after", 1, [flag, logger = f.logger] {
    flag->release();  // the late hook now returns, and logs that it did
    EXPECT_TRUE(eventually([&] { return logger.count("shutdown step finished late") == 1; }));
  });
  manager.trigger_shutdown();
  const auto& result = manager.wait();
  ASSERT_EQ(result.hooks.size(), 2U);
  EXPECT_EQ(result.hooks[0].outcome, arbiter::hook_outcome::timed_out);
  EXPECT_EQ(result.still_running, 0U);
  EXPECT_EQ(result.exit_code, arbiter::exit_codes{}.timed_out);
  EXPECT_EQ(f.exit.count(), 0U) << "nothing is left running, so main may return the code";
  const auto late = f.logger.last("shutdown step finished late");
  ASSERT_TRUE(late.has_value());
  EXPECT_EQ(late->field("step"), "late");
  EXPECT_EQ(late->field("outcome"), "completed");
}

/// A static hook that asks for its budget.
struct budgeted_static_hook {
  static constexpr std::string_view name = "static budgeted";
  static constexpr std::chrono::milliseconds timeout{700};
  std::shared_ptr<std::atomic<std::int64_t>> seen_ms;
  void operator()(const arbiter::hook_budget& budget) const { seen_ms->store(budget.time_left.count()); }
};
static_assert(arbiter::StaticHook<budgeted_static_hook>);

TEST(shutdown_manager, hooks_that_take_a_budget_get_their_limit_and_a_stop_when_left_behind) {
  fixture f;
  auto options = fast_options();
  options.deadline = 30s;
  options.phase_timeouts = {{1, 2s}};
  auto manager = f.make(options);
  struct seen {
    std::mutex mutex;
    std::map<std::string, std::chrono::milliseconds> time_left;
    std::map<std::string, std::chrono::nanoseconds> until_deadline;
    std::atomic<bool> stop_before_overrun{true};
    std::atomic<bool> stop_after_overrun{false};
  };
  auto state = std::make_shared<seen>();
  const auto recorder = [state, clock = f.clock](std::string name) {
    return [state, clock, name = std::move(name)](const arbiter::hook_budget& budget) {
      const std::lock_guard lock(state->mutex);
      state->time_left[name] = budget.time_left;
      state->until_deadline[name] = budget.deadline - clock.now();
    };
  };
  manager.add_hook("own timeout", 0, recorder("own timeout"), 1500ms);
  manager.add_hook("phase limit", 1, recorder("phase limit"));
  manager.add_hook("overall deadline", 2, recorder("overall deadline"));
  auto static_seen = std::make_shared<std::atomic<std::int64_t>>(-1);
  manager.add_ordered_hooks(2, budgeted_static_hook{static_seen});
  manager.add_hook(
      "overruns", 3,
      [state, clock = f.clock](const arbiter::hook_budget& budget) {
        state->stop_before_overrun = budget.stop.stop_requested();
        clock.advance(budget.time_left + 500ms);  // the manual clock says it overran its budget
        if (eventually([&] { return budget.stop.stop_requested(); })) state->stop_after_overrun = true;
      },
      1s);
  manager.trigger_shutdown();
  const auto& result = manager.wait();
  EXPECT_TRUE(eventually([&] { return state->stop_after_overrun.load(); })) << "left behind: asked to stop";
  EXPECT_FALSE(state->stop_before_overrun.load());
  EXPECT_EQ(found(result, "overruns").outcome, arbiter::hook_outcome::timed_out);
  const std::lock_guard lock(state->mutex);
  EXPECT_EQ(state->time_left["own timeout"], 1500ms);
  EXPECT_EQ(state->time_left["phase limit"], 2s);
  EXPECT_EQ(state->time_left["overall deadline"], 30s) << "the manual clock has not moved";
  EXPECT_EQ(state->until_deadline["own timeout"], 1500ms) << "the deadline is on the manager's clock";
  EXPECT_EQ(state->until_deadline["overall deadline"], 30s);
  EXPECT_EQ(static_seen->load(), 700) << "a static hook's declared timeout is its budget";
}

TEST(shutdown_manager, phase_timeout_bounds_a_whole_phase_and_skips_what_is_left) {
  fixture f;
  auto options = fast_options();
  options.phase_timeouts = {{1, 2s}};
  auto manager = f.make(options);
  auto flag = std::make_shared<release_flag>();
  journal order;
  manager.add_hook("late", 1, order.step("late"));  // registered first: would run second in phase 1
  manager.add_hook("slow", 1, [clock = f.clock, flag] {
    clock.advance(3s);
    flag->wait();
  });
  manager.add_hook("next phase", 2, order.step("next phase"));
  manager.trigger_shutdown();
  const auto& result = manager.wait();
  flag->release();
  ASSERT_EQ(result.hooks.size(), 3U);
  EXPECT_EQ(result.hooks[0].outcome, arbiter::hook_outcome::timed_out);
  EXPECT_NE(result.hooks[0].error.find("phase 1"), std::string::npos) << result.hooks[0].error;
  EXPECT_EQ(result.hooks[1].outcome, arbiter::hook_outcome::skipped);
  EXPECT_EQ(result.hooks[2].outcome, arbiter::hook_outcome::completed);
  EXPECT_EQ(order.entries(), std::vector<std::string>{"next phase"});
  EXPECT_EQ(result.exit_code, arbiter::exit_codes{}.timed_out);
}

TEST(shutdown_manager, overall_deadline_skips_the_rest_and_forces_the_exit) {
  fixture f;
  auto options = fast_options();
  options.deadline = 5s;
  options.drain_timeout = 1s;
  auto manager = f.make(options);
  auto flag = std::make_shared<release_flag>();
  journal order;
  manager.add_hook("forever", 0, [clock = f.clock, flag] {
    clock.advance(6s);
    flag->wait();
  });
  manager.add_hook("after", 1, order.step("after"));
  manager.trigger_shutdown();
  const auto& result = manager.wait();
  flag->release();
  EXPECT_TRUE(result.deadline_hit);
  ASSERT_EQ(result.hooks.size(), 2U);
  EXPECT_EQ(result.hooks[0].outcome, arbiter::hook_outcome::timed_out);
  EXPECT_EQ(result.hooks[1].outcome, arbiter::hook_outcome::skipped);
  EXPECT_TRUE(order.entries().empty());
  EXPECT_EQ(result.exit_code, arbiter::exit_codes{}.deadline);
  EXPECT_EQ(f.exit.codes(), std::vector<int>{arbiter::exit_codes{}.deadline});
  EXPECT_EQ(f.logger.count("forcing exit"), 1U);
}

TEST(shutdown_manager, throwing_hook_is_logged_and_the_rest_still_run) {
  fixture f;
  auto manager = f.make();
  journal order;
  manager.add_hook("bad", 0, [] { throw std::runtime_error("disk full"); });
  manager.add_hook("odd", 0, [] { throw 42; });
  manager.add_hook("after", 1, order.step("after"));
  manager.trigger_shutdown();
  const auto& result = manager.wait();
  EXPECT_EQ(order.entries(), std::vector<std::string>{"after"});
  const auto* bad = result.find("bad");
  ASSERT_NE(bad, nullptr);
  EXPECT_EQ(bad->outcome, arbiter::hook_outcome::failed);
  EXPECT_EQ(bad->error, "disk full");
  EXPECT_EQ(found(result, "odd").outcome, arbiter::hook_outcome::failed);
  EXPECT_EQ(result.exit_code, arbiter::exit_codes{}.hook_failed);
  bool logged = false;
  for (const auto& record : f.logger.records()) {
    logged = logged || (record.field("step") == "bad" && record.field("error") == "disk full" &&
                        record.level == arbiter::log_level::error);
  }
  EXPECT_TRUE(logged);
}

TEST(shutdown_manager, drain_waits_for_in_flight_work_before_the_hooks_bounded_by_drain_timeout) {
  fixture f;
  auto options = fast_options();
  options.drain_timeout = 2s;
  auto manager = f.make(options);
  journal order;
  manager.add_hook("server", 0, order.step("server"));
  auto pass = manager.gate().enter();
  ASSERT_TRUE(pass);
  manager.trigger_shutdown();
  ASSERT_TRUE(eventually([&] { return manager.gate().is_closed(); }));
  EXPECT_FALSE(manager.gate().enter()) << "no new entries once the shutdown started";
  std::this_thread::sleep_for(30ms);
  EXPECT_TRUE(order.entries().empty()) << "hooks wait for the work in flight";
  // Move the manual clock on until the drain gives up (it reads the clock when it starts waiting).
  ASSERT_TRUE(eventually([&] {
    f.clock.advance(100ms);
    return f.logger.count("drain incomplete") == 1;
  }));
  const auto& result = manager.wait();
  EXPECT_FALSE(result.drain.drained);
  EXPECT_EQ(result.drain.in_flight_left, 1U);
  EXPECT_EQ(order.entries(), std::vector<std::string>{"server"});
  EXPECT_EQ(result.exit_code, arbiter::exit_codes{}.timed_out);
  pass.release();
}

TEST(shutdown_manager, drain_completes_when_the_last_request_leaves) {
  fixture f;
  auto manager = f.make();
  journal order;
  manager.add_hook("server", 0, order.step("server"));
  auto pass = manager.gate().enter();
  manager.trigger_shutdown();
  ASSERT_TRUE(eventually([&] { return manager.gate().is_closed(); }));
  std::this_thread::sleep_for(20ms);
  order.add("request done");
  pass.release();
  const auto& result = manager.wait();
  EXPECT_TRUE(result.drain.drained);
  EXPECT_EQ(order.entries(), (std::vector<std::string>{"request done", "server"}));
  EXPECT_EQ(result.exit_code, 0);
}

TEST(shutdown_manager, stop_token_is_signalled_after_readiness_off_and_before_hooks) {
  fixture f;
  auto manager = f.make();
  const auto token = manager.stop_token();
  std::atomic<bool> stopped_during_readiness{true};
  std::atomic<bool> stopped_during_hook{false};
  manager.on_readiness_off("health", [&] { stopped_during_readiness = token.stop_requested(); });
  manager.add_hook("check", 0, [&] { stopped_during_hook = token.stop_requested(); });
  EXPECT_FALSE(token.stop_requested());
  manager.trigger_shutdown();
  manager.wait();
  EXPECT_FALSE(stopped_during_readiness.load());
  EXPECT_TRUE(stopped_during_hook.load());
}

TEST(shutdown_manager, readiness_grace_waits_on_the_clock_before_intake_stops) {
  fixture f;
  auto options = fast_options();
  options.readiness_grace = 3s;
  auto manager = f.make(options);
  manager.trigger_shutdown();
  std::this_thread::sleep_for(30ms);
  EXPECT_FALSE(manager.gate().is_closed()) << "still in the grace period";
  ASSERT_TRUE(eventually([&] {
    f.clock.advance(100ms);
    return manager.gate().is_closed();
  }));
  const auto& result = manager.wait();
  EXPECT_TRUE(manager.gate().is_closed());
  EXPECT_GE(result.duration, 3s);
}

TEST(shutdown_manager, thread_started_through_it_runs_the_fatal_path_once) {
  fixture f;
  auto manager = f.make();
  std::atomic<int> runs{0};
  manager.add_hook("db", 0, [&] { runs.fetch_add(1); });
  auto worker = manager.start_thread("worker", [] { throw std::runtime_error("lost the database"); });
  worker.join();
  const auto& result = manager.wait();
  EXPECT_EQ(result.cause.reason, arbiter::shutdown_reason::fatal);
  EXPECT_NE(result.cause.detail.find("lost the database"), std::string::npos) << result.cause.detail;
  EXPECT_TRUE(result.fatal);
  EXPECT_EQ(result.exit_code, arbiter::exit_codes{}.fatal);
  EXPECT_EQ(f.exit.first(), arbiter::exit_codes{}.fatal);
  EXPECT_EQ(runs.load(), 1);
  manager.fatal("a second fatal error after the end");
  EXPECT_EQ(runs.load(), 1) << "the hooks never run twice";
  EXPECT_EQ(f.exit.codes().back(), arbiter::exit_codes{}.fatal);
}

TEST(shutdown_manager, fatal_error_during_a_running_shutdown_does_not_rerun_hooks_and_ends_fatal) {
  fixture f;
  auto manager = f.make();
  auto flag = std::make_shared<release_flag>();
  std::atomic<int> runs{0};
  manager.add_hook("slow", 0, [&runs, flag] {
    runs.fetch_add(1);
    flag->wait();
  });
  manager.trigger_shutdown("deploy");
  ASSERT_TRUE(eventually([&] { return runs.load() == 1; }));
  manager.fatal("a worker crashed while we were stopping");
  EXPECT_EQ(f.exit.count(), 0U) << "the running sequence finishes first and exits with the fatal code";
  flag->release();
  const auto& result = manager.wait();
  EXPECT_EQ(runs.load(), 1);
  EXPECT_EQ(result.cause.reason, arbiter::shutdown_reason::requested);
  EXPECT_TRUE(result.fatal);
  EXPECT_EQ(result.exit_code, arbiter::exit_codes{}.fatal);
  EXPECT_EQ(f.exit.codes(), std::vector<int>{arbiter::exit_codes{}.fatal});
}

TEST(shutdown_manager, threads_started_through_it_see_the_shutdown_stop) {
  fixture f;
  auto manager = f.make();
  std::atomic<bool> saw_stop{false};
  auto worker = manager.start_thread("poller", [&](std::stop_token token) {
    while (!token.stop_requested()) std::this_thread::sleep_for(1ms);
    saw_stop = true;
  });
  manager.trigger_shutdown();
  worker.join();
  EXPECT_TRUE(saw_stop.load());
  EXPECT_EQ(manager.wait().exit_code, 0);
}

TEST(shutdown_manager, an_intake_works_through_the_gate_until_intake_stops_and_is_joined_in_phase_0) {
  fixture f;
  auto manager = f.make();
  struct beat_counter {
    std::atomic<int> beats{0};
    std::atomic<bool> stopped{false};
    void beat() noexcept { beats.fetch_add(1); }
    void stop() noexcept { stopped = true; }
  } beat;
  std::atomic<int> calls{0};
  std::atomic<std::size_t> in_flight_seen{0};
  manager.start_intake(
      "intake", 1ms,
      [&] {
        in_flight_seen = std::max<std::size_t>(in_flight_seen, manager.gate().in_flight());
        calls.fetch_add(1);
      },
      beat);
  int calls_at_phase_1 = -1;
  manager.add_hook("client", 1, [&] { calls_at_phase_1 = calls.load(); });
  ASSERT_TRUE(eventually([&] { return calls.load() >= 3; }));
  EXPECT_EQ(in_flight_seen.load(), 1u);  // each call holds a pass of the gate
  manager.trigger_shutdown("test over");
  const auto& result = manager.wait();
  EXPECT_EQ(result.exit_code, 0);
  ASSERT_EQ(result.hooks.size(), 2U);
  EXPECT_EQ(result.hooks[0].name, "intake");
  EXPECT_EQ(result.hooks[0].phase, 0);
  EXPECT_EQ(result.hooks[0].outcome, arbiter::hook_outcome::completed);
  EXPECT_EQ(calls_at_phase_1, calls.load()) << "the intake was joined before phase 1";
  EXPECT_TRUE(beat.stopped.load());
  EXPECT_EQ(beat.beats.load(), calls.load());
}

TEST(shutdown_manager, rejects_bad_registrations_with_the_name_and_value) {
  fixture f;
  auto manager = f.make();
  try {
    manager.add_hook(
        "db", 0, [] {}, -5ms);
    FAIL() << "a negative timeout must be rejected";
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find("\"db\": timeout -5 ms must be positive"), std::string::npos)
        << error.what();
  }
  EXPECT_THROW(manager.add_hook("", 0, [] {}), std::invalid_argument);
  EXPECT_THROW(manager.add_hook("empty", 0, std::function<void()>{}), std::invalid_argument);
  EXPECT_THROW(manager.on_reload({}), std::invalid_argument);
  manager.trigger_shutdown();
  try {
    manager.add_hook("late", 0, [] {});
    FAIL() << "registering after the start must be rejected";
  } catch (const std::logic_error& error) {
    EXPECT_NE(std::string(error.what()).find("\"late\": registered after the shutdown started"), std::string::npos);
  }
  manager.wait();
}

TEST(shutdown_manager, real_sigterm_starts_it_sighup_reloads_and_a_second_signal_forces_exit) {
  fixture f;
  auto options = fast_options();
  struct sigaction before {};
  ASSERT_EQ(::sigaction(SIGTERM, nullptr, &before), 0);
  {
    manager_type manager(f.logger, options, arbiter::manual_clock{}, f.exit);
    std::atomic<int> reloads{0};
    manager.on_reload([&] { reloads.fetch_add(1); });
    manager.add_hook("db", 0, [] {});
    manager.start();
    EXPECT_THROW(manager.start(), std::logic_error);
    manager_type other(f.logger, options, arbiter::manual_clock{}, f.exit);
    EXPECT_THROW(other.start(), std::logic_error) << "only one manager owns the signals";

    ASSERT_EQ(::kill(::getpid(), SIGHUP), 0);
    ASSERT_TRUE(eventually([&] { return reloads.load() == 1; }));
    EXPECT_FALSE(manager.is_shutting_down()) << "SIGHUP is a reload, not a shutdown";

    ASSERT_EQ(::kill(::getpid(), SIGTERM), 0);
    const auto& result = manager.wait();
    EXPECT_EQ(result.cause.reason, arbiter::shutdown_reason::signal);
    EXPECT_EQ(result.cause.signal_number, SIGTERM);
    EXPECT_EQ(result.cause.detail, "SIGTERM");
    EXPECT_EQ(result.exit_code, 0) << "supervisors read 143 as a failure";

    ASSERT_EQ(::kill(::getpid(), SIGINT), 0);
    ASSERT_TRUE(eventually([&] { return f.exit.count() == 1; }));
    EXPECT_EQ(f.exit.codes(), std::vector<int>{128 + SIGINT});
  }
  struct sigaction after {};
  ASSERT_EQ(::sigaction(SIGTERM, nullptr, &after), 0);
  EXPECT_EQ(after.sa_handler, before.sa_handler) << "the previous SIGTERM disposition is restored";
}

TEST(shutdown_manager, options_are_validated_with_field_value_and_source) {
  arbiter::shutdown_options options;
  options.deadline = 0ms;
  try {
    options.validate("ARBITER_SHUTDOWN_DEADLINE");
    FAIL();
  } catch (const std::invalid_argument& error) {
    EXPECT_STREQ(error.what(), "shutdown.deadline: 0 ms from ARBITER_SHUTDOWN_DEADLINE must be positive");
  }
  options.deadline = 10s;
  options.drain_timeout = 5s;
  options.phase_timeouts = {{0, 3s}, {1, 4s}};
  EXPECT_THROW(options.validate(), std::invalid_argument) << "5 + 3 + 4 s do not fit in 10 s";
  options.phase_timeouts = {{0, 3s}};
  EXPECT_NO_THROW(options.validate());
  EXPECT_THROW((manager_type(arbiter::recording_logger{}, arbiter::shutdown_options{.deadline = -1s})),
               std::invalid_argument);
}

// ---- tracing ------------------------------------------------------------------------------------------------

using traced_manager = arbiter::shutdown_manager<arbiter::recording_logger, arbiter::manual_clock,
                                                 arbiter::recording_exit, arbiter::recording_tracer>;

struct traced_fixture : fixture {
  arbiter::recording_tracer tracer;
  traced_manager make_traced(arbiter::shutdown_options options = fast_options()) {
    return traced_manager(logger, std::move(options), clock, exit, tracer);
  }
  /// The spans named `name`, in the order they ended.
  [[nodiscard]] std::vector<arbiter::span_data> spans(std::string_view name) const {
    std::vector<arbiter::span_data> out;
    for (auto& span : tracer.finished()) {
      if (span.name == name) out.push_back(std::move(span));
    }
    return out;
  }
};

std::string text_of(const arbiter::span_data& span, std::string_view key) {
  const auto value = span.attribute(key);
  const std::string* text = value ? value->get_if<std::string>() : nullptr;
  return text != nullptr ? *text : "<none>";
}

std::int64_t int_of(const arbiter::span_data& span, std::string_view key) {
  const auto value = span.attribute(key);
  return value && value->type() == arbiter::attribute_type::int64 ? value->as_int64() : -1;
}

TEST(shutdown_manager, traces_the_sequence_as_one_span_with_a_child_for_every_step) {
  traced_fixture f;
  auto options = fast_options();
  options.readiness_grace = 100ms;
  auto manager = f.make_traced(options);
  manager.on_readiness_off("health", [] {});
  manager.add_hook("server", 0, [] {});
  manager.add_hook("db", 1, [] {});
  manager.trigger_shutdown("test over");
  ASSERT_TRUE(eventually([&] {  // the grace waits on the manual clock
    f.clock.advance(10ms);
    return manager.gate().is_closed();
  }));
  const auto& result = manager.wait();
  ASSERT_EQ(result.exit_code, 0);

  const auto roots = f.spans("shutdown");
  ASSERT_EQ(roots.size(), 1U);
  const auto& root = roots[0];
  EXPECT_FALSE(root.parent_span_id.valid());
  EXPECT_EQ(text_of(root, "shutdown.reason"), "requested");
  EXPECT_EQ(text_of(root, "shutdown.detail"), "test over");
  EXPECT_EQ(int_of(root, "shutdown.exit_code"), 0);
  EXPECT_EQ(root.status, arbiter::span_status::unset);

  // Every step once, in order, each a child of the shutdown span; the shutdown span ends last.
  std::vector<std::string> names;
  const auto finished = f.tracer.finished();
  for (const auto& span : finished) {
    names.push_back(span.name == "shutdown.readiness_off" || span.name == "shutdown.hook"
                        ? span.name + " " + text_of(span, "shutdown.step.name")
                        : span.name);
    if (span.name == "shutdown") continue;
    EXPECT_EQ(span.context.trace_id, root.context.trace_id) << span.name;
    EXPECT_EQ(span.parent_span_id, root.context.span_id) << span.name;
    EXPECT_EQ(span.status, arbiter::span_status::unset) << span.name;
  }
  EXPECT_EQ(names,
            (std::vector<std::string>{"shutdown.readiness_off health", "shutdown.grace", "shutdown.stop_intake",
                                      "shutdown.drain", "shutdown.hook server", "shutdown.hook db", "shutdown"}));
  const auto hooks = f.spans("shutdown.hook");
  ASSERT_EQ(hooks.size(), 2U);
  EXPECT_EQ(int_of(hooks[1], "shutdown.step.phase"), 1);
  EXPECT_EQ(text_of(hooks[1], "shutdown.step.outcome"), "completed");
  EXPECT_EQ(int_of(f.spans("shutdown.grace").at(0), "shutdown.grace_ms"), 100);
  EXPECT_EQ(f.spans("shutdown.drain").at(0).attribute("shutdown.drain.drained"), arbiter::attribute_value(true));
  EXPECT_EQ(f.logger.count("intake stopped"), 1U) << "every step is logged too";
}

TEST(shutdown_manager, a_span_a_hook_starts_is_a_child_of_its_step_span) {
  traced_fixture f;
  auto manager = f.make_traced();
  manager.add_hook("db", 1, [&f] {
    arbiter::trace(f.tracer, "db.close", [] {});  // no parent given: the thread's active span
  });
  manager.add_hook("cache", 2, [&f] { arbiter::trace(f.tracer, "cache.flush", [] {}); });
  manager.trigger_shutdown("test over");
  ASSERT_EQ(manager.wait().exit_code, 0);
  const auto hooks = f.spans("shutdown.hook");
  ASSERT_EQ(hooks.size(), 2U);
  const auto db = f.spans("db.close");
  const auto cache = f.spans("cache.flush");
  ASSERT_EQ(db.size(), 1U);
  ASSERT_EQ(cache.size(), 1U);
  EXPECT_EQ(text_of(hooks[0], "shutdown.step.name"), "db");
  EXPECT_EQ(db[0].parent_span_id, hooks[0].context.span_id) << "a child of its own step's span";
  EXPECT_EQ(db[0].context.trace_id, hooks[0].context.trace_id);
  EXPECT_EQ(cache[0].parent_span_id, hooks[1].context.span_id) << "not of the step before it";
  // The caller's thread keeps no active span from the steps.
  EXPECT_FALSE(arbiter::active_context().valid());
}

TEST(shutdown_manager, a_throwing_hook_gives_its_span_and_the_shutdown_span_an_error_status) {
  traced_fixture f;
  auto manager = f.make_traced();
  manager.add_hook("bad", 0, [] { throw std::runtime_error("disk full"); });
  manager.add_hook("after", 1, [] {});
  manager.trigger_shutdown();
  ASSERT_EQ(manager.wait().exit_code, arbiter::exit_codes{}.hook_failed);
  const auto hooks = f.spans("shutdown.hook");
  ASSERT_EQ(hooks.size(), 2U);
  EXPECT_EQ(text_of(hooks[0], "shutdown.step.name"), "bad");
  EXPECT_EQ(text_of(hooks[0], "shutdown.step.outcome"), "failed");
  EXPECT_EQ(hooks[0].status, arbiter::span_status::error);
  EXPECT_EQ(hooks[0].status_description, "disk full");
  EXPECT_EQ(hooks[1].status, arbiter::span_status::unset);
  const auto root = f.spans("shutdown");
  ASSERT_EQ(root.size(), 1U);
  EXPECT_EQ(root[0].status, arbiter::span_status::error);
  EXPECT_EQ(int_of(root[0], "shutdown.exit_code"), arbiter::exit_codes{}.hook_failed);
}

TEST(shutdown_manager, the_deadline_marks_the_step_it_cut_and_the_skipped_ones_as_errors_once_each) {
  traced_fixture f;
  auto options = fast_options();
  options.deadline = 5s;
  options.drain_timeout = 1s;
  auto manager = f.make_traced(options);
  auto flag = std::make_shared<release_flag>();
  manager.add_hook("forever", 0, [clock = f.clock, flag] {
    clock.advance(6s);
    flag->wait();
  });
  manager.add_hook("after", 1, [] {});
  manager.trigger_shutdown();
  const auto& result = manager.wait();
  flag->release();
  ASSERT_TRUE(result.deadline_hit);
  const auto hooks = f.spans("shutdown.hook");
  ASSERT_EQ(hooks.size(), 2U);
  EXPECT_EQ(text_of(hooks[0], "shutdown.step.outcome"), "timed_out");
  EXPECT_EQ(hooks[0].status, arbiter::span_status::error);
  EXPECT_NE(hooks[0].status_description.find("overall deadline"), std::string::npos) << hooks[0].status_description;
  EXPECT_EQ(text_of(hooks[1], "shutdown.step.outcome"), "skipped");
  EXPECT_EQ(hooks[1].status, arbiter::span_status::error);
  const auto root = f.spans("shutdown");
  ASSERT_EQ(root.size(), 1U) << "the shutdown span ends before the forced exit";
  EXPECT_EQ(root[0].status, arbiter::span_status::error);
  EXPECT_EQ(root[0].attribute("shutdown.deadline_hit"), arbiter::attribute_value(true));
  EXPECT_EQ(int_of(root[0], "shutdown.exit_code"), arbiter::exit_codes{}.deadline);
  EXPECT_EQ(f.exit.count(), 1U);
  EXPECT_TRUE(eventually([&] { return f.logger.count("shutdown step finished late") == 1; }));
  EXPECT_EQ(f.spans("shutdown.hook").size(), 2U) << "a step that finishes late is not traced again";
}

TEST(shutdown_manager, the_tracer_flush_runs_after_the_shutdown_span_has_ended) {
  traced_fixture f;
  auto manager = f.make_traced();
  std::vector<std::string> seen_by_flush;
  manager.add_hook("server", 0, [] {});
  manager.add_tracer_flush("tracing", 90, [&](const arbiter::hook_budget& /*budget*/) {
    for (const auto& span : f.tracer.finished()) seen_by_flush.push_back(span.name);
  });
  manager.trigger_shutdown();
  const auto& result = manager.wait();
  EXPECT_EQ(result.exit_code, 0);
  ASSERT_EQ(result.hooks.size(), 2U);
  EXPECT_EQ(result.hooks[1].name, "tracing");
  EXPECT_EQ(result.hooks[1].phase, 90);
  EXPECT_EQ(result.hooks[1].outcome, arbiter::hook_outcome::completed);
  ASSERT_FALSE(seen_by_flush.empty());
  EXPECT_EQ(seen_by_flush.back(), "shutdown") << "every span ended before the tracer was flushed";
  EXPECT_EQ(f.spans("shutdown").size(), 1U);
  EXPECT_EQ(f.spans("shutdown.hook").size(), 1U) << "the flush cannot trace itself into the tracer it shuts";
  EXPECT_EQ(f.logger.count("shutdown step finished"), 2U) << "but it is logged";
}

TEST(shutdown_manager, null_tracer_adds_no_bytes) {
  static_assert(std::is_empty_v<arbiter::null_tracer>);
  using untraced = arbiter::shutdown_manager<arbiter::null_logger, arbiter::steady_clock, arbiter::recording_exit>;
  using spelled_out = arbiter::shutdown_manager<arbiter::null_logger, arbiter::steady_clock, arbiter::recording_exit,
                                                arbiter::null_tracer>;
  using traced = arbiter::shutdown_manager<arbiter::null_logger, arbiter::steady_clock, arbiter::recording_exit,
                                           arbiter::recording_tracer>;
  static_assert(std::is_same_v<untraced, spelled_out>);
  // The recording tracer (a shared_ptr) is the only difference: the null tracer's slot takes nothing.
  static_assert(sizeof(traced) == sizeof(untraced) + sizeof(arbiter::recording_tracer));
  SUCCEED();
}

// ---- metrics ------------------------------------------------------------------------------------------------

using measured_manager =
    arbiter::shutdown_manager<arbiter::recording_logger, arbiter::manual_clock, arbiter::recording_exit,
                              arbiter::null_tracer, arbiter::metrics_registry>;

TEST(shutdown_manager, reports_each_steps_duration_the_exit_code_and_the_deadline_as_they_happen) {
  fixture f;
  arbiter::metrics_registry metrics;
  auto options = fast_options();
  options.readiness_grace = 0ms;  // the grace is timed in the orchestrator's test, on the real clock
  options.deadline = 10s;
  measured_manager manager(f.logger, options, f.clock, f.exit, arbiter::null_tracer{}, metrics);
  manager.on_readiness_off("health", [clock = f.clock] { clock.advance(250ms); });
  std::string during;  // what a scrape from inside a late hook sees
  manager.add_hook("flush cache", 20, [clock = f.clock, &metrics, &during] {
    clock.advance(1500ms);
    during = metrics.expose();
  });
  manager.add_hook("close db", 30, [clock = f.clock] { clock.advance(500ms); });
  EXPECT_EQ(metrics.expose(), "") << "no series before the shutdown writes one";

  manager.trigger_shutdown();
  const auto& result = manager.wait();
  ASSERT_EQ(result.exit_code, 0);

  EXPECT_DOUBLE_EQ(test::sample(metrics, R"(arbiter_shutdown_step_duration_seconds{step="readiness_off:health"})"),
                   0.25);
  EXPECT_DOUBLE_EQ(test::sample(metrics, R"(arbiter_shutdown_step_duration_seconds{step="hook:flush cache"})"), 1.5);
  EXPECT_DOUBLE_EQ(test::sample(metrics, R"(arbiter_shutdown_step_duration_seconds{step="hook:close db"})"), 0.5);
  EXPECT_GE(test::sample(metrics, R"(arbiter_shutdown_step_duration_seconds{step="drain"})"), 0.0);
  EXPECT_EQ(test::sample(metrics, "arbiter_shutdown_exit_code"), 0.0);
  EXPECT_EQ(test::sample(metrics, "arbiter_shutdown_deadline_exceeded"), 0.0);
  // A scrape during the hooks saw the steps done so far, and no exit code yet.
  EXPECT_NE(during.find(R"(step="drain")"), std::string::npos) << during;
  EXPECT_EQ(during.find(R"(step="hook:close db")"), std::string::npos) << during;
  EXPECT_EQ(during.find("arbiter_shutdown_exit_code"), std::string::npos) << during;
}

TEST(shutdown_manager, reports_the_deadline_and_its_exit_code_when_the_deadline_is_hit) {
  fixture f;
  arbiter::metrics_registry metrics;
  auto options = fast_options();
  options.deadline = 5s;
  options.drain_timeout = 1s;
  measured_manager manager(f.logger, options, f.clock, f.exit, arbiter::null_tracer{}, metrics);
  auto flag = std::make_shared<release_flag>();
  manager.add_hook("forever", 0, [clock = f.clock, flag] {
    clock.advance(6s);
    flag->wait();
  });
  manager.trigger_shutdown();
  const auto& result = manager.wait();
  flag->release();
  ASSERT_TRUE(result.deadline_hit);
  EXPECT_EQ(test::sample(metrics, "arbiter_shutdown_deadline_exceeded"), 1.0);
  EXPECT_EQ(test::sample(metrics, "arbiter_shutdown_exit_code"), static_cast<double>(arbiter::exit_codes{}.deadline));
}

TEST(shutdown_manager, null_metrics_adds_no_bytes) {
  using plain = arbiter::shutdown_manager<arbiter::null_logger, arbiter::steady_clock, arbiter::recording_exit>;
  using spelled_out = arbiter::shutdown_manager<arbiter::null_logger, arbiter::steady_clock, arbiter::recording_exit,
                                                arbiter::null_tracer, arbiter::null_metrics>;
  using measured = arbiter::shutdown_manager<arbiter::null_logger, arbiter::steady_clock, arbiter::recording_exit,
                                             arbiter::null_tracer, arbiter::metrics_registry>;
  static_assert(std::is_same_v<plain, spelled_out>);
  static_assert(sizeof(measured) == sizeof(plain) + sizeof(arbiter::metrics_registry));
  SUCCEED();
}

TEST(exit_codes, defaults_are_distinct_and_clean_is_zero) {
  const arbiter::exit_codes codes;
  EXPECT_EQ(codes.clean, 0);
  const std::vector<int> failures{codes.hook_failed, codes.timed_out, codes.deadline, codes.fatal,
                                  codes.forced_signal_base + SIGTERM};
  for (std::size_t i = 0; i < failures.size(); ++i) {
    EXPECT_NE(failures[i], 0);
    for (std::size_t j = i + 1; j < failures.size(); ++j) EXPECT_NE(failures[i], failures[j]);
  }
}

}  // namespace
