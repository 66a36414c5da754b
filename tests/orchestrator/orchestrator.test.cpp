#include <arbiter/orchestrator.hpp>
#include <arbiter/orchestrator/sdk_tracing.hpp>

#include <arbiter/clock/manual_clock.hpp>
#include <arbiter/config/json_source.hpp>
#include <arbiter/config/override_source.hpp>
#include <arbiter/config/watcher.hpp>
#include <arbiter/logging/null_logger.hpp>
#include <arbiter/logging/recording_logger.hpp>
#include <arbiter/metrics/registry.hpp>
#include <arbiter/tracing/recording_tracer.hpp>

#include <gtest/gtest.h>

#include "../metrics/exposition_check.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include <unistd.h>

namespace {

using namespace std::chrono_literals;
using arbiter::breaker_state;
using arbiter::health_status;
using arbiter::probe;

/// Overrides a test can change between reloads (copies share them, as the config keeps a copy).
class live_overrides {
 public:
  explicit live_overrides(std::vector<std::string> pairs = {}) : state_(std::make_shared<state>()) {
    state_->pairs = std::move(pairs);
  }

  void set(std::vector<std::string> pairs) const {
    const std::lock_guard lock(state_->mutex);
    state_->pairs = std::move(pairs);
  }

  template <class Schema>
  void read(arbiter::source_output& out) const {
    std::vector<std::string> pairs;
    {
      const std::lock_guard lock(state_->mutex);
      pairs = state_->pairs;
    }
    arbiter::override_source(std::move(pairs)).template read<Schema>(out);
  }

 private:
  struct state {
    std::mutex mutex;
    std::vector<std::string> pairs;
  };
  std::shared_ptr<state> state_;
};

const arbiter::orchestrator_options quiet{.handle_signals = false, .health = arbiter::health_mode::on_demand};

/// Two breakers on a manual clock; the payments one is critical. Logs and spans are recorded.
using test_service =
    arbiter::orchestrator<arbiter::breaker<"inventory", arbiter::manual_clock, arbiter::counting_stats>,
                          arbiter::breaker<"payments", arbiter::manual_clock, arbiter::critical>,
                          arbiter::with_sources<live_overrides>, arbiter::with_logger<arbiter::recording_logger>,
                          arbiter::with_tracer<arbiter::recording_tracer>, arbiter::with_exit<arbiter::recording_exit>>;

struct rig {
  arbiter::manual_clock clock;
  arbiter::recording_logger logger;
  arbiter::recording_tracer tracer;
  live_overrides overrides;
  test_service svc;

  explicit rig(std::vector<std::string> pairs = {})
      : overrides(std::move(pairs)), svc(arbiter::instances(clock, logger, tracer), quiet, overrides) {}

  template <class B>
  static void fail(B& breaker, int times) {
    for (int i = 0; i < times; ++i) {
      auto p = breaker.try_acquire();
      if (p) breaker.record(p, arbiter::outcome::failure);
    }
  }
};

// ---- assembly ----------------------------------------------------------------------------------------------

TEST(orchestrator, ABreakerIsTheBreakerItselfWithTheOrchestratorsLoggerAndTracer) {
  rig r;
  auto& inventory = r.svc.breaker<"inventory">();
  using expected = arbiter::circuit_breaker<arbiter::manual_clock, arbiter::counting_stats, arbiter::recording_logger,
                                            arbiter::recording_tracer>;
  static_assert(std::is_same_v<std::remove_cvref_t<decltype(inventory)>, expected>);
  EXPECT_EQ(inventory.name(), "inventory");
  EXPECT_EQ(&inventory, &r.svc.breaker<"inventory">());
  EXPECT_EQ(r.svc.breaker<"payments">().name(), "payments");
  EXPECT_EQ(test_service::breaker_names()[0], "inventory");
  EXPECT_EQ(test_service::breaker_names()[1], "payments");
  rig::fail(inventory, 5);
  EXPECT_EQ(inventory.state(), breaker_state::open);
  EXPECT_EQ(r.logger.count("circuit breaker state changed"), 1u);  // the breaker logs through the service's logger
  EXPECT_TRUE(r.tracer.last("circuit_breaker.transition").has_value());
}

TEST(orchestrator, EachBreakerKeepsItsOwnClock) {
  rig r;
  auto& inventory = r.svc.breaker<"inventory">();
  rig::fail(inventory, 5);
  ASSERT_EQ(inventory.state(), breaker_state::open);
  r.clock.advance(5001ms);  // the clock instance passed in is the breaker's clock
  auto p = inventory.try_acquire();
  EXPECT_TRUE(p.admitted());
  EXPECT_TRUE(p.is_trial());
}

/// The same parts as the orchestrator lays them out, built by hand: with null policies it adds nothing to them.
using null_service =
    arbiter::orchestrator<arbiter::breaker<"inventory">, arbiter::breaker<"payments">,
                          arbiter::with_logger<arbiter::null_logger>, arbiter::with_sources<arbiter::override_source>>;
struct null_service_by_hand {
  arbiter::orchestrator_options options;
  null_service::config_type config;
  arbiter::detail::derived_settings settings;
  arbiter::circuit_breaker<arbiter::null_logger, arbiter::null_tracer> inventory;
  arbiter::circuit_breaker<arbiter::null_logger, arbiter::null_tracer> payments;
  std::atomic<bool> started;
  null_service::shutdown_type shutdown;
  null_service::monitor_type monitor;
  std::optional<std::tuple<>> parts;
  std::mutex reload_mutex;
  std::mutex watcher_mutex;
  std::shared_ptr<void> watcher;
  std::vector<std::function<void(const arbiter::service_reload&)>> reload_subscribers;
};

TEST(orchestrator, WithNullPoliciesItAddsNoBytesToItsParts) {
  static_assert(sizeof(arbiter::detail::breaker_slot<arbiter::circuit_breaker<>>) ==
                sizeof(arbiter::circuit_breaker<>));
  static_assert(sizeof(null_service) == sizeof(null_service_by_hand));
  null_service svc(quiet, arbiter::override_source{});
  EXPECT_EQ(svc.breaker<"payments">().state(), breaker_state::closed);
}

// ---- config feeds the parts -------------------------------------------------------------------------------

TEST(orchestrator, EachBreakerReadsItsOwnSectionAndFallsBackToTheResilienceDefaults) {
  rig r({"resilience.failure_threshold=7", "resilience.open_timeout=2s",
         "resilience.breakers.inventory.failure_threshold=3", "resilience.breakers.payments.open_timeout=9s"});
  const arbiter::breaker_options inventory = r.svc.breaker<"inventory">().options();
  const arbiter::breaker_options payments = r.svc.breaker<"payments">().options();
  EXPECT_EQ(inventory.failure_threshold, 3u);
  EXPECT_EQ(inventory.open_duration, 2000ms);
  EXPECT_EQ(payments.failure_threshold, 7u);
  EXPECT_EQ(payments.open_duration, 9000ms);
  EXPECT_EQ(payments.half_open_max_wait, 9000ms);
  EXPECT_EQ(inventory.success_threshold, 2u);  // the seed's default
}

TEST(orchestrator, EveryBadSettingIsReportedAtOnceWithItsSource) {
  try {
    rig r({"resilience.breakers.inventory.failure_threshold=0", "shutdown.timeout=abc",
           "observability.otlp_endpoint=ftp://collector:4318"});
    FAIL() << "no error";
  } catch (const arbiter::config_error& error) {
    const std::string what = error.what();
    EXPECT_NE(what.find("resilience.breakers.inventory.failure_threshold: 0 from override "
                        "resilience.breakers.inventory.failure_threshold is below the minimum 1"),
              std::string::npos)
        << what;
    EXPECT_NE(what.find("shutdown.timeout: abc from override shutdown.timeout"), std::string::npos) << what;
  }
}

TEST(orchestrator, AValueThePartsRefuseIsAConfigErrorWithItsSource) {
  // A string the config accepts, but the tracing part cannot use: refused before anything starts, with its source.
  try {
    rig r({"observability.otlp_endpoint=ftp://collector:4318"});
    FAIL() << "no error";
  } catch (const arbiter::config_error& error) {
    const std::string what = error.what();
    EXPECT_NE(what.find("observability.otlp_endpoint (from override observability.otlp_endpoint)"), std::string::npos)
        << what;
  }
}

TEST(orchestrator, RunExitsWithCode2AndListsTheErrorsBeforeAnythingStarts) {
  bool body_ran = false;
  testing::internal::CaptureStderr();
  const int code = null_service::run(
      quiet, [&body_ran](null_service& /*svc*/) { body_ran = true; },
      arbiter::override_source({"resilience.failure_threshold=0", "health.check_timeout=1h"}));
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(code, 2);
  EXPECT_FALSE(body_ran);
  EXPECT_NE(err.find("resilience.failure_threshold: 0"), std::string::npos) << err;
  EXPECT_NE(err.find("health.check_timeout"), std::string::npos) << err;
}

TEST(orchestrator, HealthReadsItsIntervalAndTimeoutFromConfig) {
  rig r({"health.check_interval=30s", "health.check_timeout=750ms"});
  EXPECT_EQ(r.svc.health().config().interval, 30000ms);
  ASSERT_TRUE(r.svc.health().config().check_timeout.has_value());
  EXPECT_EQ(*r.svc.health().config().check_timeout, 750ms);
}

TEST(orchestrator, ShutdownReadsItsDeadlineAndSplitsIt) {
  rig r({"shutdown.timeout=20s"});
  EXPECT_EQ(r.svc.shutdown().options().deadline, 20000ms);
  EXPECT_EQ(r.svc.shutdown().options().readiness_grace, 1000ms);
  EXPECT_EQ(r.svc.shutdown().options().drain_timeout, 10000ms);
}

TEST(orchestrator, AFmtLoggerTakesItsLevelFormatAndNameFromConfig) {
  std::FILE* out = std::tmpfile();
  ASSERT_NE(out, nullptr);
  using logged = arbiter::orchestrator<arbiter::breaker<"inventory">, arbiter::with_sources<arbiter::override_source>>;
  {
    arbiter::orchestrator_options options = quiet;
    options.log_stream = out;
    logged svc(options, arbiter::override_source({"observability.log_format=json", "observability.log_level=debug",
                                                  "observability.service_name=orders"}));
    EXPECT_EQ(svc.logger().level(), arbiter::log_level::debug);
    svc.logger().log(arbiter::log_level::debug, "hello");
  }
  std::rewind(out);
  char line[512] = {};
  ASSERT_NE(std::fgets(line, sizeof line, out), nullptr);
  const std::string text = line;
  EXPECT_NE(text.find("\"logger\":\"orders\""), std::string::npos) << text;
  EXPECT_NE(text.find("\"msg\":\"hello\""), std::string::npos) << text;
  std::fclose(out);
}

// ---- health -----------------------------------------------------------------------------------------------

TEST(orchestrator, EveryBreakerIsACheckOpenDegradesUnlessTheBreakerIsCritical) {
  rig r;
  r.svc.start();
  const auto names = decltype(r.svc)::monitor_type::names();
  EXPECT_NE(std::find(names.begin(), names.end(), "inventory:circuit_breaker"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "payments:circuit_breaker"), names.end());
  EXPECT_EQ(r.svc.health().status(probe::readiness), health_status::healthy);

  rig::fail(r.svc.breaker<"inventory">(), 5);
  const auto report = r.svc.health().check(probe::readiness);
  EXPECT_EQ(report.status, health_status::degraded);  // not critical: the replica stays in rotation
  EXPECT_TRUE(r.svc.health().is_ready());

  rig::fail(r.svc.breaker<"payments">(), 5);
  EXPECT_EQ(r.svc.health().status(probe::readiness), health_status::unhealthy);  // critical
  EXPECT_FALSE(r.svc.health().is_ready());
}

TEST(orchestrator, TheStartupProbePassesOnceStartHasFinished) {
  rig r;
  EXPECT_FALSE(r.svc.health().is_started());
  EXPECT_FALSE(r.svc.started());
  r.svc.start();
  EXPECT_TRUE(r.svc.health().is_started());
  EXPECT_EQ(r.logger.count("service started"), 1u);
}

// ---- reload -----------------------------------------------------------------------------------------------

TEST(orchestrator, AReloadChangesABreakersThresholdAndKeepsItsStateAndCounts) {
  rig r({"resilience.failure_threshold=5"});
  auto& inventory = r.svc.breaker<"inventory">();
  rig::fail(inventory, 2);
  r.overrides.set({"resilience.failure_threshold=5", "resilience.breakers.inventory.failure_threshold=3"});
  const arbiter::service_reload result = r.svc.reload();
  EXPECT_TRUE(result.ok());
  EXPECT_TRUE(result.applied());
  EXPECT_TRUE(result.needs_restart.empty());
  EXPECT_EQ(inventory.options().failure_threshold, 3u);
  EXPECT_EQ(inventory.export_state().consecutive_failures, 2u);
  EXPECT_EQ(inventory.stats().failures, 2u);
  rig::fail(inventory, 1);
  EXPECT_EQ(inventory.state(), breaker_state::open);
  EXPECT_EQ(r.svc.breaker<"payments">().options().failure_threshold, 5u);  // its own section did not change
  const auto span = r.tracer.last("config.reload");
  ASSERT_TRUE(span.has_value());
}

TEST(orchestrator, ARejectedReloadChangesNothingAnywhereAndSaysSoOnce) {
  rig r({"resilience.failure_threshold=4", "observability.log_level=info"});
  auto& inventory = r.svc.breaker<"inventory">();
  rig::fail(inventory, 1);
  const auto config_before = r.svc.config();
  r.overrides.set({"resilience.failure_threshold=2", "observability.log_level=debug",
                   "resilience.breakers.payments.success_threshold=0"});
  const arbiter::service_reload result = r.svc.reload();
  EXPECT_FALSE(result.ok());
  EXPECT_FALSE(result.applied());
  EXPECT_EQ(r.svc.config()->resilience.failure_threshold, 4u);
  EXPECT_EQ(inventory.options().failure_threshold, 4u);
  EXPECT_EQ(r.svc.breaker<"payments">().options().success_threshold, 2u);
  EXPECT_EQ(inventory.export_state().consecutive_failures, 1u);
  EXPECT_EQ(r.svc.config().version(), config_before.version());
  EXPECT_EQ(r.logger.count("config reload rejected"), 1u);  // one problem, said once
  const auto span = r.tracer.last("config.reload");
  ASSERT_TRUE(span.has_value());
  EXPECT_EQ(span->status, arbiter::span_status::error);
}

TEST(orchestrator, AValueThatCannotChangeLiveIsReportedAsNeedingARestart) {
  rig r;
  r.overrides.set({"health.check_interval=20s", "resilience.failure_threshold=9"});
  const arbiter::service_reload result = r.svc.reload();
  EXPECT_TRUE(result.applied());
  EXPECT_EQ(result.needs_restart, std::vector<std::string>{"health.check_interval"});
  EXPECT_EQ(r.svc.health().config().interval, 10000ms);  // kept until a restart
  EXPECT_EQ(r.svc.breaker<"inventory">().options().failure_threshold, 9u);
  EXPECT_EQ(r.logger.count("config change needs a restart of the part that reads it"), 1u);
}

TEST(orchestrator, ReloadSubscribersSeeWhatEveryReloadDid) {
  rig r({"observability.log_level=info"});
  std::vector<arbiter::service_reload> seen;
  r.svc.on_reload([&seen](const arbiter::service_reload& result) { seen.push_back(result); });
  r.overrides.set({"observability.log_level=debug", "health.check_interval=20s"});
  const arbiter::service_reload applied = r.svc.reload();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_TRUE(seen[0].applied());
  EXPECT_EQ(seen[0].config.changed, applied.config.changed);
  EXPECT_NE(std::find(seen[0].config.changed.begin(), seen[0].config.changed.end(), "observability.log_level"),
            seen[0].config.changed.end());
  EXPECT_EQ(seen[0].needs_restart, std::vector<std::string>{"health.check_interval"});
  r.overrides.set({"resilience.failure_threshold=0"});
  (void)r.svc.reload();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_FALSE(seen[1].ok());
  EXPECT_FALSE(seen[1].config.issues.empty());
  EXPECT_THROW(r.svc.on_reload(nullptr), std::invalid_argument);
}

TEST(orchestrator, TheLogLevelChangesLive) {
  rig r({"observability.log_level=info"});
  EXPECT_EQ(r.logger.enabled(arbiter::log_level::debug), false);
  r.overrides.set({"observability.log_level=debug"});
  EXPECT_TRUE(r.svc.reload().applied());
  EXPECT_TRUE(r.logger.enabled(arbiter::log_level::debug));
}

// A reload that moves a breaker's threshold while two threads call through it (run under ThreadSanitizer).
// Invariants: every admitted call is counted once, the breaker opens at most once per closed period, and each
// reload either applies or is a no-op.
TEST(orchestrator, AReloadRacingTwoCallingThreadsKeepsTheBreakerConsistent) {
  rig r({"resilience.breakers.inventory.failure_threshold=1000"});
  auto& inventory = r.svc.breaker<"inventory">();
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> admitted{0};
  std::atomic<std::uint64_t> successes{0};
  const auto caller = [&](unsigned seed) {
    for (unsigned i = 0; !stop.load(); ++i) {
      auto p = inventory.try_acquire();
      if (!p) continue;
      ++admitted;
      const bool fail = (i + seed) % 7 != 0;
      if (!fail) ++successes;
      inventory.record(p, fail ? arbiter::outcome::failure : arbiter::outcome::success);
    }
  };
  std::thread a(caller, 1u);
  std::thread b(caller, 2u);
  for (int i = 0; i < 40; ++i) {
    r.overrides.set({"resilience.breakers.inventory.failure_threshold=" + std::to_string(i % 2 == 0 ? 3 : 1000)});
    const arbiter::service_reload result = r.svc.reload();
    EXPECT_TRUE(result.ok());
  }
  stop.store(true);
  a.join();
  b.join();
  const arbiter::breaker_stats stats = inventory.stats();
  EXPECT_EQ(stats.failures + stats.successes, admitted.load());
  EXPECT_EQ(stats.successes, successes.load());
  EXPECT_EQ(inventory.options().failure_threshold, 1000u);  // the last reload's value
}

TEST(orchestrator, AWatchedFileReloadsTheRunningPartsAndTheWatcherStopsAtShutdown) {
  const auto dir = std::filesystem::temp_directory_path() / ("arbiter_watch_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto file = dir / "service.json";
  const auto write = [&file](int threshold) {
    const auto tmp = file.string() + ".tmp";
    std::ofstream(tmp) << R"({"resilience": {"breakers": {"inventory": {"failure_threshold": )" << threshold << "}}}}";
    std::filesystem::rename(tmp, file);  // as editors and ConfigMaps replace files
  };
  write(4);
  arbiter::recording_logger logger;
  using watched = arbiter::orchestrator<arbiter::breaker<"inventory">, arbiter::with_sources<arbiter::json_source>,
                                        arbiter::with_logger<arbiter::recording_logger>,
                                        arbiter::with_exit<arbiter::recording_exit>>;
  watched svc(arbiter::instances(logger), quiet, arbiter::json_source(file.string()));
  svc.watch_files(std::vector<std::filesystem::path>{file}, arbiter::watch_options{.debounce = 20ms, .poll = 5ms});
  svc.start();
  auto& inventory = svc.breaker<"inventory">();
  ASSERT_EQ(inventory.options().failure_threshold, 4u);
  write(6);
  for (int i = 0; i < 5000 && inventory.options().failure_threshold != 6u; ++i) std::this_thread::sleep_for(1ms);
  EXPECT_EQ(inventory.options().failure_threshold, 6u);
  svc.shutdown().trigger_shutdown("test");
  EXPECT_EQ(svc.shutdown().wait().exit_code, 0);
  std::size_t watcher_steps = 0;
  for (const auto& record : logger.records()) {
    if (record.message == "shutdown step finished" && record.field("step") == "config watcher") ++watcher_steps;
  }
  EXPECT_EQ(watcher_steps, 1u);
  std::filesystem::remove_all(dir);
}

// ---- shutdown ---------------------------------------------------------------------------------------------

struct flush_cache {
  static constexpr std::string_view name = "cache";
  void operator()() const {}
};

/// An optional part: built from the orchestrator, started by start(), and stopped by a hook it registers.
class audit_part {
 public:
  template <class Svc>
  explicit audit_part(Svc& svc) : logger_(svc.logger()) {
    svc.shutdown().add_hook("audit", 50, [this] { logger_.log(arbiter::log_level::info, "audit stopped"); });
  }
  void start() { started = true; }
  bool started = false;

 private:
  arbiter::recording_logger logger_;
};

TEST(orchestrator, ShutdownRunsReadinessOffDrainThenTheServiceHooksThePartsHealthAndTracingInOrder) {
  arbiter::recording_logger logger;
  using shutting = arbiter::orchestrator<
      arbiter::breaker<"inventory">, arbiter::with_sources<arbiter::override_source>,
      arbiter::with_logger<arbiter::recording_logger>, arbiter::with_tracer<arbiter::json_lines_tracing>,
      arbiter::with_exit<arbiter::recording_exit>, arbiter::with_hooks<flush_cache>, arbiter::with_parts<audit_part>>;
  shutting svc(arbiter::instances(logger), quiet,
               arbiter::override_source({"shutdown.timeout=2s", "observability.tracing_enabled=false"}));
  svc.start();
  EXPECT_TRUE(svc.part<audit_part>().started);
  EXPECT_TRUE(svc.health().accepting_traffic());
  svc.shutdown().trigger_shutdown("test");
  const arbiter::shutdown_result& result = svc.shutdown().wait();
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_FALSE(svc.health().accepting_traffic());

  std::vector<std::string> steps;
  for (const auto& record : logger.records()) {
    if (record.message == "shutdown step finished") steps.push_back(record.field("step").value_or("?"));
    if (record.message == "drained") steps.emplace_back("<drained>");
    if (record.message == "audit stopped") steps.emplace_back("<audit ran>");
  }
  EXPECT_EQ(steps, (std::vector<std::string>{"health", "<drained>", "cache", "<audit ran>", "audit", "health monitor",
                                             "tracing"}));
}

/// The names of `spans` that are children of the one "shutdown" span, each with its step name if it has one.
std::vector<std::string> shutdown_steps(const std::vector<arbiter::span_data>& spans) {
  const arbiter::span_data* root = nullptr;
  for (const auto& span : spans) {
    if (span.name == "shutdown") {
      if (root != nullptr) return {"<two shutdown spans>"};
      root = &span;
    }
  }
  if (root == nullptr) return {"<no shutdown span>"};
  std::vector<std::string> out;
  for (const auto& span : spans) {
    if (span.parent_span_id != root->context.span_id) continue;
    const auto step = span.attribute("shutdown.step.name");
    out.push_back(step ? span.name + " " + std::string(step->as_string()) : span.name);
  }
  return out;
}

TEST(orchestrator, TheShutdownStepsAreTracedThroughTheServicesTracer) {
  rig r({"shutdown.timeout=2s"});
  r.svc.start();
  r.svc.shutdown().trigger_shutdown("test");
  ASSERT_EQ(r.svc.shutdown().wait().exit_code, 0);
  EXPECT_EQ(shutdown_steps(r.tracer.finished()),
            (std::vector<std::string>{"shutdown.readiness_off health", "shutdown.grace", "shutdown.stop_intake",
                                      "shutdown.drain", "shutdown.hook health monitor"}));
}

/// Keeps what the SDK tracer exports (copies share the spans, so the test reads what the service's copy got).
struct kept_exporter : arbiter::in_memory_exporter {
  static arbiter::in_memory_exporter& kept() {
    static arbiter::in_memory_exporter spans;
    return spans;
  }
  explicit kept_exporter(const arbiter::otel_settings& /*settings*/) : in_memory_exporter(kept()) {}
};

TEST(orchestrator, WithSdkTracingTheShutdownSpansAreExportedBeforeTheTracerFlushEnds) {
  kept_exporter::kept().clear();
  using traced = arbiter::orchestrator<arbiter::breaker<"inventory">, arbiter::with_sources<arbiter::override_source>,
                                       arbiter::with_logger<arbiter::null_logger>,
                                       arbiter::with_tracer<arbiter::sdk_tracing<kept_exporter>>,
                                       arbiter::with_exit<arbiter::recording_exit>>;
  traced svc(quiet, arbiter::override_source({"shutdown.timeout=2s", "observability.tracing_enabled=true"}));
  svc.start();
  svc.shutdown().trigger_shutdown("test");
  const arbiter::shutdown_result& result = svc.shutdown().wait();
  EXPECT_EQ(result.exit_code, 0);
  ASSERT_FALSE(result.hooks.empty());
  EXPECT_EQ(result.hooks.back().name, "tracing");
  EXPECT_EQ(result.hooks.back().outcome, arbiter::hook_outcome::completed);
  // Every step but the flush itself, which cannot trace into the tracer it shuts down; nothing dropped.
  EXPECT_EQ(shutdown_steps(kept_exporter::kept().spans()),
            (std::vector<std::string>{"shutdown.readiness_off health", "shutdown.grace", "shutdown.stop_intake",
                                      "shutdown.drain", "shutdown.hook health monitor"}));
  EXPECT_EQ(svc.tracing().processor()->stats().dropped(), 0u);
}

TEST(orchestrator, JsonLinesTracingWritesToTheSpanStreamOfItsOptions) {
  std::FILE* file = std::tmpfile();
  ASSERT_NE(file, nullptr);
  {
    using traced = arbiter::orchestrator<arbiter::breaker<"inventory">, arbiter::with_sources<arbiter::override_source>,
                                         arbiter::with_logger<arbiter::null_logger>,
                                         arbiter::with_tracer<arbiter::json_lines_tracing>,
                                         arbiter::with_exit<arbiter::recording_exit>>;
    arbiter::orchestrator_options options = quiet;
    options.span_stream = file;
    traced svc(options, arbiter::override_source({"shutdown.timeout=2s", "observability.service_name=spans"}));
    svc.start();
    (void)svc.breaker<"inventory">().execute([] { return 1; });
    svc.shutdown().trigger_shutdown("test");
    EXPECT_EQ(svc.shutdown().wait().exit_code, 0);
  }
  std::rewind(file);
  std::string text;
  for (char buffer[4096]; std::fgets(buffer, sizeof buffer, file) != nullptr;) text += buffer;
  std::fclose(file);
  EXPECT_NE(text.find(R"("name":"shutdown")"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("shutdown.step.name":"health monitor")"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("resource":{"service.name":"spans")"), std::string::npos) << text;
}

TEST(orchestrator, RunServesTheBodyThenShutsDownWithTheExitCode) {
  int seen = -1;
  const int code = null_service::run(
      quiet,
      [&seen](null_service& svc) {
        seen = svc.started() ? 1 : 0;
        (void)svc.breaker<"inventory">().execute([] { return 1; });
      },
      arbiter::override_source({"shutdown.timeout=2s"}));
  EXPECT_EQ(seen, 1);
  EXPECT_EQ(code, 0);
}

TEST(orchestrator, RunTakesThePartsInstancesAndABodyThatReturnsAnExitCode) {
  arbiter::recording_logger logger;
  using logged = arbiter::orchestrator<arbiter::breaker<"inventory">, arbiter::with_sources<arbiter::override_source>,
                                       arbiter::with_logger<arbiter::recording_logger>>;
  const auto failing = [](logged& svc) {
    svc.shutdown().trigger_shutdown("the body is done");
    return svc.shutdown().wait().exit_code == 0 ? 1 : 0;  // the body's own work went wrong
  };
  EXPECT_EQ(
      logged::run(arbiter::instances(logger), quiet, failing, arbiter::override_source({"shutdown.timeout=2s"})), 1);
  EXPECT_EQ(logger.count("service started"), 1u) << "the instance given is the service's logger";
  EXPECT_EQ(logger.count("shutdown finished"), 1u) << "the body's own shutdown is the only one";
  EXPECT_EQ(logged::run(
                arbiter::instances(logger), quiet, [](logged& /*svc*/) { return 0; },
                arbiter::override_source({"shutdown.timeout=2s"})),
            0);
}

}  // namespace

// ---- metrics -------------------------------------------------------------------------------------------------

namespace {

using measured_service =
    arbiter::orchestrator<arbiter::breaker<"inventory", arbiter::manual_clock>, arbiter::breaker<"payments">,
                          arbiter::with_sources<arbiter::override_source>, arbiter::with_logger<arbiter::null_logger>,
                          arbiter::with_metrics<arbiter::metrics_registry>,
                          arbiter::with_exit<arbiter::recording_exit>>;

TEST(orchestrator, EveryPartReportsToTheServicesMetrics) {
  arbiter::metrics_registry metrics;
  arbiter::manual_clock clock;
  measured_service svc(arbiter::instances(metrics, clock), quiet, arbiter::override_source{});
  static_assert(std::is_same_v<std::remove_cvref_t<decltype(svc.breaker<"inventory">())>,
                               arbiter::circuit_breaker<arbiter::manual_clock, arbiter::null_logger,
                                                        arbiter::null_tracer, arbiter::metrics_registry>>);
  svc.start();
  svc.breaker<"inventory">().execute([] {});
  rig::fail(svc.breaker<"payments">(), 5);
  (void)svc.health().status(probe::readiness);
  (void)svc.health().status(probe::startup);
  const auto pass = svc.gate().enter();

  const std::string text = svc.metrics().expose();
  const auto has = [&](const std::string& line) { return text.find("\n" + line + "\n") != std::string::npos; };
  EXPECT_TRUE(has(R"(arbiter_breaker_calls_total{breaker="inventory",outcome="success"} 1)")) << text;
  EXPECT_TRUE(has(R"(arbiter_breaker_state{breaker="payments",state="open"} 1)")) << text;
  EXPECT_TRUE(has(R"(arbiter_breaker_transitions_total{breaker="payments",from="closed",to="open"} 1)")) << text;
  EXPECT_TRUE(has(R"(arbiter_health_check_status{check="payments:circuit_breaker",status="unhealthy"} 1)")) << text;
  EXPECT_TRUE(has(R"(arbiter_health_check_status{check="service:startup",status="healthy"} 1)")) << text;
  EXPECT_TRUE(has(R"(arbiter_health_status{probe="readiness",status="degraded"} 1)")) << text;
  EXPECT_TRUE(has("arbiter_drain_in_flight 1")) << text;
  // The registry given is the one the service reports to (copies share their metrics).
  EXPECT_EQ(metrics.expose(), svc.metrics().expose());
}

TEST(orchestrator, ItsConfigTracingAndShutdownReportThroughTheSameMetrics) {
  using traced = arbiter::orchestrator<
      arbiter::breaker<"inventory">, arbiter::with_sources<arbiter::override_source>,
      arbiter::with_logger<arbiter::null_logger>, arbiter::with_tracer<arbiter::json_lines_tracing>,
      arbiter::with_metrics<arbiter::metrics_registry>, arbiter::with_exit<arbiter::recording_exit>>;
  // The tracing part is rebuilt to report through the service's registry.
  static_assert(std::is_same_v<traced::tracing_part_type,
                               arbiter::sdk_tracing<arbiter::stdout_json_lines_exporter, arbiter::metrics_registry>>);
  std::FILE* file = std::tmpfile();
  ASSERT_NE(file, nullptr);
  arbiter::metrics_registry metrics;
  {
    arbiter::orchestrator_options options = quiet;
    options.span_stream = file;
    traced svc(arbiter::instances(metrics), options, arbiter::override_source({"shutdown.timeout=1s"}));
    svc.start();
    EXPECT_EQ(test::sample(metrics, "arbiter_config_version"), 1.0);
    EXPECT_GT(test::sample(metrics, "arbiter_config_last_success_timestamp_seconds"), 1.6e9);
    ASSERT_TRUE(svc.reload().ok());
    EXPECT_EQ(test::sample(metrics, R"(arbiter_config_reloads_total{result="applied"})"), 1.0);
    EXPECT_EQ(test::sample(metrics, R"(arbiter_config_reloads_total{result="rejected"})"), 0.0);
    // Nothing of the shutdown is shown before it runs: no exit code that was not chosen.
    EXPECT_EQ(metrics.expose().find("arbiter_shutdown_exit_code"), std::string::npos);

    (void)svc.breaker<"inventory">().execute([] { return 1; });
    svc.shutdown().trigger_shutdown("test");
    EXPECT_EQ(svc.shutdown().wait().exit_code, 0);
    EXPECT_EQ(test::sample(metrics, "arbiter_shutdown_exit_code"), 0.0);
    EXPECT_EQ(test::sample(metrics, "arbiter_shutdown_deadline_exceeded"), 0.0);
    EXPECT_GE(test::sample(metrics, R"(arbiter_shutdown_step_duration_seconds{step="grace"})"), 0.09);  // 100 ms
    EXPECT_GE(test::sample(metrics, R"(arbiter_shutdown_step_duration_seconds{step="drain"})"), 0.0);
    EXPECT_GE(test::sample(metrics, R"(arbiter_shutdown_step_duration_seconds{step="readiness_off:health"})"), 0.0);
    EXPECT_GE(test::sample(metrics, R"(arbiter_shutdown_step_duration_seconds{step="hook:health monitor"})"), 0.0);
    EXPECT_GE(test::sample(metrics, R"(arbiter_shutdown_step_duration_seconds{step="hook:tracing"})"), 0.0);
    // The spans of the reload and the shutdown went through the batch processor, and the flush exported them.
    EXPECT_GE(test::sample(metrics, "arbiter_tracing_spans_ended_total"), 2.0);
    EXPECT_EQ(test::sample(metrics, "arbiter_tracing_spans_exported_total"),
              test::sample(metrics, "arbiter_tracing_spans_ended_total"));
  }
  std::fclose(file);
}

}  // namespace
