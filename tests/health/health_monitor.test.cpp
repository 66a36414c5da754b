// Deterministic behaviour of health_monitor with a manual clock: aggregation, caching, intervals, failure tolerance,
// timeouts, the readiness switch, the startup latch and status-change notifications.
#include <arbiter/clock/manual_clock.hpp>
#include <arbiter/health.hpp>
#include <arbiter/logging/recording_logger.hpp>
#include <arbiter/tracing/recording_tracer.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

namespace {

/// The check a report holds: fails the test (instead of dereferencing null) when it is not there.
const arbiter::check_report& found(const arbiter::check_report* check) {
  if (check == nullptr) throw std::runtime_error("the report has no such check");
  return *check;
}

using namespace std::chrono_literals;
using arbiter::check_options;
using arbiter::health_status;
using arbiter::probe;

/// What a test check reports, changed by the test while the monitor runs.
struct control {
  std::atomic<health_status> status{health_status::healthy};
  std::atomic<int> calls{0};
};

auto controlled(const std::shared_ptr<control>& c) {
  return [c] {
    ++c->calls;
    arbiter::check_result result;
    result.status = c->status.load();
    if (result.status != health_status::healthy) result.message = "broken";
    return result;
  };
}

using manual_policies = arbiter::health_policies<arbiter::manual_clock>;

TEST(health_monitor, aggregates_worst_of_with_non_critical_capped_at_degraded) {
  const arbiter::manual_clock clock;
  auto core = std::make_shared<control>();
  auto extra = std::make_shared<control>();
  auto alive = std::make_shared<control>();
  auto monitor = arbiter::make_health_monitor(
      {}, manual_policies{clock}, arbiter::make_check<"core:db">(controlled(core)),
      arbiter::make_check<"extra:cache", check_options{.critical = false}>(controlled(extra)),
      arbiter::make_check<"self:loop", check_options{.probes = probe::liveness}>(controlled(alive)));

  EXPECT_EQ(monitor.status(probe::readiness), health_status::healthy);
  extra->status = health_status::unhealthy;
  EXPECT_EQ(monitor.status(probe::readiness), health_status::degraded) << "a non-critical check caps at DEGRADED";
  EXPECT_TRUE(monitor.is_ready()) << "DEGRADED still serves (HTTP 200)";
  core->status = health_status::degraded;
  EXPECT_EQ(monitor.status(probe::readiness), health_status::degraded);
  core->status = health_status::unhealthy;
  EXPECT_EQ(monitor.status(probe::readiness), health_status::unhealthy);
  EXPECT_FALSE(monitor.is_ready());
  EXPECT_TRUE(monitor.is_live()) << "liveness sees only its own checks";
  alive->status = health_status::unhealthy;
  EXPECT_FALSE(monitor.is_live());

  const auto report = monitor.check(probe::readiness);
  ASSERT_EQ(report.checks.size(), 2U);
  EXPECT_EQ(report.checks[0].name, "core:db");
  EXPECT_EQ(report.checks[1].name, "extra:cache");
  EXPECT_FALSE(report.checks[1].critical);
  EXPECT_EQ(report.status, health_status::unhealthy);
  EXPECT_NE(report.output.find("core:db fail"), std::string::npos) << report.output;
  EXPECT_EQ(monitor.check_all().checks.size(), 3U);
}

TEST(health_monitor, aggregator_is_a_policy) {
  const arbiter::manual_clock clock;
  auto extra = std::make_shared<control>();
  extra->status = health_status::unhealthy;
  using strict =
      arbiter::health_policies<arbiter::manual_clock, arbiter::null_logger, arbiter::null_tracer, arbiter::worst_of>;
  auto monitor = arbiter::make_health_monitor(
      {}, strict{clock}, arbiter::make_check<"extra:cache", check_options{.critical = false}>(controlled(extra)));
  EXPECT_EQ(monitor.status(probe::readiness), health_status::unhealthy);
}

TEST(health_monitor, on_demand_results_are_cached_for_the_checks_ttl) {
  const arbiter::manual_clock clock;
  auto cached = std::make_shared<control>();
  auto uncached = std::make_shared<control>();
  auto monitor = arbiter::make_health_monitor(
      {}, manual_policies{clock},
      arbiter::make_check<"a:cached", check_options{.cache_ttl_ms = 5000}>(controlled(cached)),
      arbiter::make_check<"b:uncached">(controlled(uncached)));

  EXPECT_TRUE(monitor.is_ready());
  EXPECT_TRUE(monitor.is_ready());
  EXPECT_EQ(cached->calls, 1);
  EXPECT_EQ(uncached->calls, 2) << "a ttl of 0 runs the check on every probe";
  clock.advance(4999ms);
  cached->status = health_status::unhealthy;
  EXPECT_TRUE(monitor.is_ready()) << "still the cached HEALTHY";
  EXPECT_EQ(cached->calls, 1);
  clock.advance(1ms);
  EXPECT_FALSE(monitor.is_ready());
  EXPECT_EQ(cached->calls, 2);
  EXPECT_EQ(found(monitor.check(probe::readiness).find("a:cached")).result.message, "broken");
  EXPECT_EQ(cached->calls, 2) << "the report reads the cache too";
}

TEST(health_monitor, background_runs_after_the_initial_delay_and_then_every_interval) {
  const arbiter::manual_clock clock;
  auto fast = std::make_shared<control>();
  auto slow = std::make_shared<control>();
  const arbiter::health_config config{
      .mode = arbiter::health_mode::background, .interval = 30s, .initial_delay = 10s, .own_thread = false};
  auto monitor = arbiter::make_health_monitor(
      config, manual_policies{clock}, arbiter::make_check<"a:fast">(controlled(fast)),
      arbiter::make_check<"b:slow", check_options{.cache_ttl_ms = 60000}>(controlled(slow)));
  const auto start = clock.now();

  EXPECT_EQ(monitor.tick(), start + 10s);
  EXPECT_EQ(fast->calls, 0);
  EXPECT_FALSE(monitor.is_ready()) << "nothing checked yet counts as UNHEALTHY";
  EXPECT_EQ(found(monitor.check(probe::readiness).find("a:fast")).result.message, "not checked yet");
  EXPECT_FALSE(found(monitor.check(probe::readiness).find("a:fast")).checked);

  clock.advance(10s);
  EXPECT_EQ(monitor.tick(), start + 40s);
  EXPECT_EQ(fast->calls, 1);
  EXPECT_EQ(slow->calls, 1);
  EXPECT_TRUE(monitor.is_ready());
  EXPECT_TRUE(monitor.is_ready());
  EXPECT_EQ(fast->calls, 1) << "probes in background mode read the cached results";

  clock.advance(29s);
  (void)monitor.tick();
  EXPECT_EQ(fast->calls, 1);
  clock.advance(1s);
  EXPECT_EQ(monitor.tick(), start + 70s);
  EXPECT_EQ(fast->calls, 2);
  EXPECT_EQ(slow->calls, 1) << "a ttl longer than the interval spaces the runs by the ttl";
  clock.advance(30s);
  (void)monitor.tick();
  EXPECT_EQ(fast->calls, 3);
  EXPECT_EQ(slow->calls, 2);
}

TEST(health_monitor, background_own_thread_follows_a_manual_clock) {
  const arbiter::manual_clock clock;
  auto db = std::make_shared<control>();
  auto monitor =
      arbiter::make_health_monitor({.mode = arbiter::health_mode::background, .interval = 10s, .initial_delay = 1s},
                                   manual_policies{clock}, arbiter::make_check<"db:ping">(controlled(db)));
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(db->calls, 0) << "the initial delay is monitor time: nothing runs until the clock moves";
  clock.advance(1s);
  for (int i = 0; i < 2000 && !monitor.is_ready(); ++i) std::this_thread::sleep_for(1ms);
  EXPECT_TRUE(monitor.is_ready());
  EXPECT_EQ(db->calls, 1);
  db->status = health_status::unhealthy;
  clock.advance(10s);
  for (int i = 0; i < 2000 && monitor.is_ready(); ++i) std::this_thread::sleep_for(1ms);
  EXPECT_FALSE(monitor.is_ready());
  EXPECT_EQ(db->calls, 2);
}

TEST(health_monitor, do_nothing_policies_take_no_space) {
  static_assert(sizeof(arbiter::health_policies<>) == 1);
  static_assert(std::is_empty_v<arbiter::worst_of_critical_capped>);
  SUCCEED();
}

TEST(health_monitor, tolerates_consecutive_failures_before_unhealthy) {
  const arbiter::manual_clock clock;
  auto flaky = std::make_shared<control>();
  auto monitor = arbiter::make_health_monitor(
      {}, manual_policies{clock},
      arbiter::make_check<"db:ping", check_options{.failure_threshold = 3}>(controlled(flaky)));
  flaky->status = health_status::unhealthy;
  EXPECT_EQ(monitor.status(probe::readiness), health_status::degraded);
  EXPECT_EQ(monitor.status(probe::readiness), health_status::degraded);
  const auto tolerated = monitor.check(probe::readiness).checks[0].result;
  EXPECT_EQ(tolerated.status, health_status::unhealthy) << "the third failure in a row";
  EXPECT_EQ(tolerated.detail("consecutive_failures"), "3");

  flaky->status = health_status::healthy;
  EXPECT_EQ(monitor.status(probe::readiness), health_status::healthy);
  flaky->status = health_status::unhealthy;
  const auto blip = monitor.check(probe::readiness).checks[0].result;
  EXPECT_EQ(blip.status, health_status::degraded) << "a success resets the count";
  EXPECT_NE(blip.message.find("tolerated failure 1"), std::string::npos) << blip.message;
  EXPECT_NE(blip.message.find("broken"), std::string::npos) << blip.message;
}

TEST(health_monitor, tolerates_a_time_in_error_before_unhealthy) {
  const arbiter::manual_clock clock;
  auto flaky = std::make_shared<control>();
  flaky->status = health_status::unhealthy;
  auto monitor = arbiter::make_health_monitor(
      {}, manual_policies{clock},
      arbiter::make_check<"db:ping", check_options{.failure_grace_ms = 10000}>(controlled(flaky)));
  EXPECT_EQ(monitor.status(probe::readiness), health_status::degraded);
  clock.advance(9s);
  EXPECT_EQ(monitor.status(probe::readiness), health_status::degraded);
  clock.advance(1s);
  EXPECT_EQ(monitor.status(probe::readiness), health_status::unhealthy);
}

TEST(health_monitor, the_configured_check_timeout_caps_a_longer_own_timeout_and_keeps_a_shorter_one) {
  const arbiter::manual_clock clock;
  auto release = std::make_shared<std::atomic<bool>>(false);
  const auto slow = [clock, release] {
    clock.advance(3s);  // takes three seconds of monitor time, then waits to be released
    while (!release->load()) std::this_thread::sleep_for(1ms);
    return true;
  };
  arbiter::health_config config;
  config.check_timeout = 1500ms;
  auto monitor = arbiter::make_health_monitor(
      config, manual_policies{clock}, arbiter::make_check<"db:ping", check_options{.timeout_ms = 2000}>(slow),
      arbiter::make_check<"cache:ping", check_options{.timeout_ms = 500}>(slow));
  const auto report = monitor.check(probe::readiness);
  release->store(true);
  ASSERT_EQ(report.checks.size(), 2U);
  EXPECT_EQ(report.checks[0].result.message, "timed out after 1500 ms");
  EXPECT_EQ(report.checks[0].result.duration, 1500ms);
  EXPECT_EQ(report.checks[1].result.message, "timed out after 500 ms");
}

TEST(health_monitor, a_non_positive_check_timeout_is_refused_naming_the_setting) {
  arbiter::health_config config;
  config.check_timeout = 0ms;
  try {
    auto monitor = arbiter::make_health_monitor(config, arbiter::make_check<"db:ping">([] { return true; }));
    FAIL() << "no error";
  } catch (const std::invalid_argument& error) {
    EXPECT_STREQ(error.what(), "health.check_timeout: 0 ms must be positive");
  }
}

TEST(health_monitor, background_status_changes_reach_subscribers_when_the_run_ends_not_at_the_next_interval) {
  const arbiter::manual_clock clock;  // never advanced: the next interval never comes
  std::atomic<int> changes{0};
  auto go = std::make_shared<std::atomic<bool>>(false);
  arbiter::health_config config{.mode = arbiter::health_mode::background, .interval = 10s};
  auto monitor = arbiter::make_health_monitor(config, manual_policies{clock}, arbiter::make_check<"db:ping">([go] {
                                                while (!go->load()) std::this_thread::sleep_for(1ms);
                                                return true;
                                              }));
  (void)monitor.subscribe([&changes](const arbiter::status_change& /*change*/) { ++changes; });
  go->store(true);  // the run ends after the subscription
  for (int i = 0; i < 2000 && changes.load() == 0; ++i) std::this_thread::sleep_for(1ms);
  EXPECT_GT(changes.load(), 0) << "the first run's pending -> healthy change was not delivered";
}

TEST(health_monitor, refresh_runs_the_checks_of_a_probe_again_before_their_interval) {
  const arbiter::manual_clock clock;
  auto calls = std::make_shared<std::atomic<int>>(0);
  auto other = std::make_shared<std::atomic<int>>(0);
  arbiter::health_config config{.mode = arbiter::health_mode::background, .interval = 10s, .own_thread = false};
  auto monitor = arbiter::make_health_monitor(
      config, manual_policies{clock},
      arbiter::make_check<"app:startup", check_options{.probes = probe::startup}>([calls] { return ++*calls > 1; }),
      arbiter::make_check<"db:ping">([other] {
        ++*other;
        return true;
      }));
  (void)monitor.tick();
  EXPECT_EQ(*calls, 1);
  EXPECT_FALSE(monitor.is_started());
  (void)monitor.tick();  // nothing is due for 10 s
  EXPECT_EQ(*calls, 1);
  monitor.refresh(probe::startup);
  (void)monitor.tick();
  EXPECT_EQ(*calls, 2);
  EXPECT_EQ(*other, 1) << "only the refreshed probe's checks run again";
  EXPECT_TRUE(monitor.is_started());
}

TEST(health_monitor, a_hung_check_times_out_at_its_deadline_and_is_not_restarted) {
  const arbiter::manual_clock clock;
  auto release = std::make_shared<std::atomic<bool>>(false);
  auto calls = std::make_shared<std::atomic<int>>(0);
  auto monitor = arbiter::make_health_monitor(
      {}, manual_policies{clock},
      arbiter::make_check<"db:ping", check_options{.timeout_ms = 2000}>([clock, release, calls] {
        if (++*calls == 1) {
          clock.advance(3s);  // the check "takes" three seconds of monitor time, and then hangs for real
          while (!release->load()) std::this_thread::sleep_for(1ms);
        }
        return true;
      }));

  auto report = monitor.check(probe::readiness);
  EXPECT_EQ(report.status, health_status::unhealthy);
  EXPECT_EQ(report.checks[0].result.message, "timed out after 2000 ms");
  EXPECT_EQ(report.checks[0].result.duration, 2000ms);

  report = monitor.check(probe::readiness);
  EXPECT_EQ(*calls, 1) << "a hung check is not started again while it runs";
  EXPECT_NE(report.checks[0].result.message.find("still running, not restarted"), std::string::npos)
      << report.checks[0].result.message;
  EXPECT_EQ(report.checks[0].result.detail("consecutive_failures"), "2");
  EXPECT_EQ(monitor.thread_count(), 1U);

  release->store(true);
  for (int i = 0; i < 2000 && *calls < 2; ++i) {
    (void)monitor.is_ready();
    std::this_thread::sleep_for(1ms);
  }
  EXPECT_EQ(*calls, 2) << "once the hung run returned, the next probe runs the check again";
  EXPECT_TRUE(monitor.is_ready());
}

TEST(health_monitor, an_exception_becomes_unhealthy_with_its_message) {
  const arbiter::manual_clock clock;
  auto monitor = arbiter::make_health_monitor(
      {}, manual_policies{clock},
      arbiter::make_check<"config:valid">([]() -> bool { throw std::runtime_error("port 70000 is out of range"); }),
      arbiter::make_check<"weird:throw">([]() -> bool { throw 42; }));
  const auto report = monitor.check(probe::readiness);
  EXPECT_EQ(report.checks[0].result.status, health_status::unhealthy);
  EXPECT_EQ(report.checks[0].result.message, "port 70000 is out of range");
  EXPECT_EQ(report.checks[0].result.detail("exception.type"), "std::runtime_error");
  EXPECT_EQ(report.checks[1].result.message, "unknown exception");
}

TEST(health_monitor, readiness_switch_refuses_traffic_without_touching_liveness) {
  const arbiter::manual_clock clock;
  const arbiter::recording_logger logger;
  std::vector<arbiter::status_change> changes;
  auto monitor = arbiter::make_health_monitor(
      {}, arbiter::health_policies<arbiter::manual_clock, arbiter::recording_logger>{clock, logger},
      arbiter::make_check<"self:ok", check_options{.probes = probe::liveness | probe::readiness}>([] { return true; }));
  EXPECT_TRUE(monitor.is_ready());
  (void)monitor.subscribe([&changes](const arbiter::status_change& change) { changes.push_back(change); });

  monitor.set_accepting_traffic(false);
  monitor.set_accepting_traffic(false);
  EXPECT_FALSE(monitor.accepting_traffic());
  EXPECT_FALSE(monitor.is_ready());
  EXPECT_TRUE(monitor.is_live());
  const auto report = monitor.check(probe::readiness);
  EXPECT_EQ(report.status, health_status::unhealthy);
  EXPECT_FALSE(report.accepting_traffic);
  EXPECT_EQ(report.output, "refusing traffic");
  EXPECT_EQ(arbiter::health_json_response(report).http_status, 503);
  EXPECT_EQ(monitor.check(probe::liveness).status, health_status::healthy);

  monitor.set_accepting_traffic(true);
  EXPECT_TRUE(monitor.is_ready());
  ASSERT_EQ(changes.size(), 2U) << "one change per flip; a repeated value is no change";
  EXPECT_EQ(changes[0].subject, arbiter::change_subject::traffic);
  EXPECT_EQ(changes[0].to, health_status::unhealthy);
  EXPECT_EQ(changes[1].to, health_status::healthy);
  EXPECT_EQ(logger.count("readiness switched"), 2U);
  EXPECT_EQ(logger.last("readiness switched")->field("accepting_traffic"), "true");
}

TEST(health_monitor, startup_latches_once_passed) {
  const arbiter::manual_clock clock;
  auto warmup = std::make_shared<control>();
  warmup->status = health_status::unhealthy;
  auto monitor = arbiter::make_health_monitor(
      {}, manual_policies{clock},
      arbiter::make_check<"cache:warm", check_options{.probes = probe::startup}>(controlled(warmup)));
  EXPECT_FALSE(monitor.is_started());
  EXPECT_TRUE(monitor.is_ready()) << "no readiness checks: ready";
  warmup->status = health_status::healthy;
  EXPECT_TRUE(monitor.is_started());
  warmup->status = health_status::unhealthy;
  EXPECT_TRUE(monitor.is_started()) << "startup, once complete, stays complete";
  EXPECT_EQ(warmup->calls, 2);
}

TEST(health_monitor, status_changes_reach_logger_tracer_and_subscribers_in_order) {
  const arbiter::manual_clock clock;
  const arbiter::recording_logger logger;
  const arbiter::recording_tracer tracer;
  auto db = std::make_shared<control>();
  auto monitor = arbiter::make_health_monitor(
      {},
      arbiter::health_policies<arbiter::manual_clock, arbiter::recording_logger, arbiter::recording_tracer>{
          clock, logger, tracer},
      arbiter::make_check<"db:ping">(controlled(db)));
  std::mutex mutex;
  std::vector<arbiter::status_change> changes;
  const auto id = monitor.subscribe([&](const arbiter::status_change& change) {
    const std::lock_guard lock(mutex);
    changes.push_back(change);
  });

  EXPECT_TRUE(monitor.is_ready());
  db->status = health_status::unhealthy;
  EXPECT_FALSE(monitor.is_ready());
  EXPECT_FALSE(monitor.is_ready());  // no change: no notification
  db->status = health_status::healthy;
  EXPECT_TRUE(monitor.is_ready());

  const std::lock_guard lock(mutex);
  ASSERT_EQ(changes.size(), 6U);
  EXPECT_EQ(changes[0].subject, arbiter::change_subject::check);
  EXPECT_EQ(changes[0].check, "db:ping");
  EXPECT_FALSE(changes[0].from.has_value()) << "the first result has no previous status";
  EXPECT_EQ(changes[0].to, health_status::healthy);
  EXPECT_EQ(changes[1].subject, arbiter::change_subject::overall);
  EXPECT_EQ(changes[1].from, health_status::unhealthy) << "before any result the whole counts as UNHEALTHY";
  EXPECT_EQ(changes[1].to, health_status::healthy);
  EXPECT_EQ(changes[2].from, health_status::healthy);
  EXPECT_EQ(changes[2].to, health_status::unhealthy);
  EXPECT_EQ(changes[2].message, "broken");
  EXPECT_EQ(changes[3].subject, arbiter::change_subject::overall);
  EXPECT_EQ(changes[4].to, health_status::healthy);
  EXPECT_EQ(changes[5].to, health_status::healthy);

  EXPECT_EQ(logger.count("health check status changed"), 3U);
  EXPECT_EQ(logger.count("health status changed"), 3U);
  const auto down = logger.records()[2];
  EXPECT_EQ(down.level, arbiter::log_level::error);
  EXPECT_EQ(down.field("check"), "db:ping");
  EXPECT_EQ(down.field("from"), "healthy");
  EXPECT_EQ(down.field("to"), "unhealthy");

  std::size_t change_spans = 0;
  for (const auto& span : tracer.finished()) {
    if (span.name == "health.status_change") ++change_spans;
  }
  EXPECT_EQ(change_spans, 6U);
  const auto runs = tracer.last("health.check");
  ASSERT_TRUE(runs.has_value());
  EXPECT_EQ(runs->attribute("health.check.name"), arbiter::attribute_value("db:ping"));

  EXPECT_TRUE(monitor.unsubscribe(id));
  EXPECT_FALSE(monitor.unsubscribe(id));
}

TEST(health_monitor, a_throwing_subscriber_is_logged_and_the_others_still_run) {
  const arbiter::manual_clock clock;
  const arbiter::recording_logger logger;
  int calls = 0;
  arbiter::health_monitor<> monitor({}, {});
  auto with_logger = arbiter::make_health_monitor(
      {}, arbiter::health_policies<arbiter::manual_clock, arbiter::recording_logger>{clock, logger},
      arbiter::make_check<"a:b">([] { return true; }));
  (void)with_logger.subscribe([](const arbiter::status_change&) { throw std::logic_error("bad subscriber"); });
  (void)with_logger.subscribe([&calls](const arbiter::status_change&) { ++calls; });
  with_logger.set_accepting_traffic(false);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(logger.last("health subscriber threw")->field("error"), "bad subscriber");
  EXPECT_TRUE(monitor.is_live()) << "a monitor without checks is live and ready";
  EXPECT_TRUE(monitor.is_ready());
}

TEST(health_monitor, dynamic_checks_are_one_check_with_an_instance_per_plugin) {
  const arbiter::manual_clock clock;
  arbiter::dynamic_checks<"plugins:health", check_options{.critical = false}> plugins;
  auto monitor = arbiter::make_health_monitor({}, manual_policies{clock}, plugins);
  EXPECT_EQ(monitor.check(probe::readiness).checks[0].result.message, "0 registered checks healthy");

  plugins.register_check("geo", [] { return true; });
  plugins.register_check("billing", [](std::stop_token) { return arbiter::check_result::unhealthy("quota"); });
  const auto report = monitor.check(probe::readiness);
  EXPECT_EQ(report.status, health_status::degraded) << "the set is non-critical";
  const auto& result = report.checks[0].result;
  EXPECT_EQ(result.status, health_status::unhealthy);
  ASSERT_EQ(result.instances.size(), 2U);
  EXPECT_EQ(result.instances[0].component_id, "geo");
  EXPECT_EQ(result.instances[1].status, health_status::unhealthy);
  EXPECT_EQ(result.message, "1 of 2 registered checks failing: billing: quota");
  EXPECT_TRUE(monitor.get<decltype(plugins)>().unregister_check("billing"));
  EXPECT_EQ(monitor.status(probe::readiness), health_status::healthy);
}

TEST(health_monitor, names_and_size_are_compile_time) {
  using monitor_type = arbiter::health_monitor<arbiter::dynamic_checks<"a">, arbiter::dynamic_checks<"b:c">>;
  static_assert(monitor_type::size() == 2);
  static_assert(monitor_type::names()[1] == "b:c");
}

TEST(health_monitor, rejects_a_bad_config_with_the_value) {
  const arbiter::health_config config{.mode = arbiter::health_mode::background, .interval = 0ms};
  try {
    arbiter::health_monitor<> monitor(config, {});
    FAIL() << "a zero interval must be rejected";
  } catch (const std::invalid_argument& error) {
    EXPECT_STREQ(error.what(), "health.interval: 0 ms must be positive in background mode");
  }
}

}  // namespace
