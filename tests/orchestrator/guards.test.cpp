#include <arbiter/orchestrator/guards.hpp>

#include <arbiter/clock/manual_clock.hpp>
#include <arbiter/config/override_source.hpp>
#include <arbiter/health/render.hpp>
#include <arbiter/logging/null_logger.hpp>
#include <arbiter/metrics/registry.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <boost/hana/accessors.hpp>
#include <boost/hana/first.hpp>
#include <boost/hana/for_each.hpp>
#include <boost/hana/second.hpp>
#include <boost/hana/string.hpp>

namespace {

using namespace std::chrono_literals;
using arbiter::health_status;
using arbiter::probe;

/// Overrides a test can change between reloads (copies share them).
class changing_overrides {
 public:
  explicit changing_overrides(std::vector<std::string> pairs = {})
      : pairs_(std::make_shared<std::vector<std::string>>(std::move(pairs))) {}
  void set(std::vector<std::string> pairs) const { *pairs_ = std::move(pairs); }
  template <class Schema>
  void read(arbiter::source_output& out) const {
    arbiter::override_source(*pairs_).template read<Schema>(out);
  }

 private:
  std::shared_ptr<std::vector<std::string>> pairs_;
};

const arbiter::orchestrator_options quiet{.handle_signals = false, .health = arbiter::health_mode::on_demand};

/// A retry on a manual clock (its backoffs advance the clock instead of sleeping), a breaker and a bulkhead of
/// the same name, a retry of its own for "payments" without a budget; metrics in a registry.
using guarded_service = arbiter::orchestrator<
    arbiter::retried<"inventory", arbiter::manual_clock>, arbiter::breaker<"inventory", arbiter::manual_clock>,
    arbiter::bulkheaded<"inventory">, arbiter::retried<"payments", arbiter::no_retry_budget>,
    arbiter::with_sources<changing_overrides>, arbiter::with_logger<arbiter::null_logger>,
    arbiter::with_metrics<arbiter::metrics_registry>, arbiter::with_exit<arbiter::recording_exit>>;

struct rig {
  arbiter::manual_clock clock;
  arbiter::metrics_registry metrics;
  changing_overrides overrides;
  guarded_service svc;
  explicit rig(std::vector<std::string> pairs = {})
      : overrides(std::move(pairs)), svc(arbiter::instances(clock, metrics), quiet, overrides) {}
};

TEST(orchestrator_guards, ARetryAndABulkheadAreThePartsThemselvesWithTheServicesMetrics) {
  rig r;
  auto& retry = r.svc.retry<"inventory">();
  auto& pool = r.svc.bulkhead<"inventory">();
  static_assert(
      std::is_same_v<std::remove_cvref_t<decltype(retry)>,
                     arbiter::retry<arbiter::manual_clock, arbiter::retry_budget<>, arbiter::metrics_registry>>);
  static_assert(std::is_same_v<std::remove_cvref_t<decltype(pool)>, arbiter::bulkhead<arbiter::metrics_registry>>);
  static_assert(
      std::is_same_v<std::remove_cvref_t<decltype(r.svc.retry<"payments">())>::budget_type, arbiter::no_retry_budget>);
  EXPECT_EQ(&retry, &r.svc.retry<"inventory">());
  EXPECT_EQ(&pool, &r.svc.bulkhead<"inventory">());
  EXPECT_EQ(retry.name(), "inventory");
  EXPECT_EQ(pool.name(), "inventory");
  // The defaults: the retry's and the bulkhead's own.
  EXPECT_EQ(retry.options().max_attempts, 3u);
  EXPECT_EQ(retry.options().initial_backoff, 100ms);
  EXPECT_EQ(retry.options().max_backoff, 10s);
  EXPECT_EQ(retry.options().deadline, 0ms);
  EXPECT_EQ(retry.budget().options().ratio, 0.2);
  EXPECT_EQ(pool.limit(), 10u);
}

TEST(orchestrator_guards, TheSlotsAddNoBytesToTheParts) {
  using retry_type = std::remove_cvref_t<decltype(std::declval<guarded_service&>().retry<"inventory">())>;
  static_assert(sizeof(arbiter::detail::guard_slot<retry_type>) == sizeof(retry_type));
  static_assert(sizeof(arbiter::detail::guard_slot<arbiter::bulkhead<>>) == sizeof(arbiter::bulkhead<>));
  // A service without retries or bulkheads holds an empty table (and orchestrator.test.cpp checks its size).
  static_assert(std::is_empty_v<arbiter::detail::guard_table<arbiter::null_metrics, arbiter::detail::type_list<>,
                                                             arbiter::detail::type_list<>>::objects>);
  SUCCEED();
}

TEST(orchestrator_guards, EachReadsItsOwnSection) {
  rig r({"resilience.retries.inventory.max_attempts=5", "resilience.retries.inventory.initial_backoff=2ms",
         "resilience.retries.inventory.max_backoff=20ms", "resilience.retries.inventory.deadline=100ms",
         "resilience.retries.inventory.budget_ratio=0.1", "resilience.retries.inventory.budget_max_balance=5",
         "resilience.retries.payments.max_attempts=2", "resilience.bulkheads.inventory.max_concurrent=4",
         "resilience.bulkheads.inventory.max_wait=10ms"});
  const auto& retry = r.svc.retry<"inventory">();
  EXPECT_EQ(retry.options().max_attempts, 5u);
  EXPECT_EQ(retry.options().initial_backoff, 2ms);
  EXPECT_EQ(retry.options().max_backoff, 20ms);
  EXPECT_EQ(retry.options().deadline, 100ms);
  EXPECT_EQ(retry.budget().options().ratio, 0.1);
  EXPECT_EQ(retry.budget().options().max_balance, 5u);
  EXPECT_EQ(r.svc.retry<"payments">().options().max_attempts, 2u);
  EXPECT_EQ(r.svc.bulkhead<"inventory">().limit(), 4u);
  EXPECT_EQ(r.svc.bulkhead<"inventory">().options().max_wait, 10ms);
  EXPECT_EQ(r.svc.config()->resilience.bulkheads.entries[0].max_concurrent, 4u);
}

TEST(orchestrator_guards, EveryBadSettingIsAConfigErrorNamingItsKey) {
  arbiter::manual_clock clock;
  arbiter::metrics_registry metrics;
  try {
    guarded_service svc(
        arbiter::instances(clock, metrics), quiet,
        changing_overrides(
            {"resilience.retries.inventory.max_attempts=0", "resilience.retries.payments.initial_backoff=50ms",
             "resilience.retries.payments.max_backoff=10ms", "resilience.bulkheads.inventory.max_concurrent=0"}));
    FAIL() << "expected a config_error";
  } catch (const arbiter::config_error& error) {
    const std::string text = error.what();
    EXPECT_NE(text.find("resilience.retries.inventory.max_attempts"), std::string::npos) << text;
    EXPECT_NE(text.find("resilience.retries.payments.max_backoff"), std::string::npos) << text;
    EXPECT_NE(text.find("shorter than initial_backoff"), std::string::npos) << text;
    // A rule across fields names where each of its fields came from.
    EXPECT_NE(text.find("shorter than initial_backoff (50ms); resilience.retries.payments.max_backoff from override "
                        "resilience.retries.payments.max_backoff, resilience.retries.payments.initial_backoff from "
                        "override resilience.retries.payments.initial_backoff"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("resilience.bulkheads.inventory.max_concurrent"), std::string::npos) << text;
  }
}

// Values past what a retry or bulkhead can take (a budget floor its rate limiter cannot express, durations whose
// nanosecond counts overflow) are config errors naming the key, not an exception from a constructor that would
// end the process: every value the rules accept builds the objects (the last case, at the bounds).
TEST(orchestrator_guards, ValuesTheObjectsCannotTakeAreConfigErrorsAndTheBoundsBuild) {
  arbiter::manual_clock clock;
  arbiter::metrics_registry metrics;
  const std::vector<std::string> too_large = {"resilience.retries.inventory.budget_min_per_second=2000000000",
                                              "resilience.retries.inventory.budget_max_balance=2000000000",
                                              "resilience.retries.payments.deadline=10000000000000000ms",
                                              "resilience.retries.payments.max_backoff=25h",
                                              "resilience.bulkheads.inventory.max_wait=10000000000000000ms"};
  try {
    guarded_service svc(arbiter::instances(clock, metrics), quiet, changing_overrides(too_large));
    FAIL() << "expected a config_error";
  } catch (const arbiter::config_error& error) {
    const std::string text = error.what();
    for (const auto* key : {"resilience.retries.inventory.budget_min_per_second",
                            "resilience.retries.inventory.budget_max_balance", "resilience.retries.payments.deadline",
                            "resilience.retries.payments.max_backoff", "resilience.bulkheads.inventory.max_wait"}) {
      EXPECT_NE(text.find(key), std::string::npos) << key << " in: " << text;
    }
  }
  guarded_service at_bounds(
      arbiter::instances(clock, metrics), quiet,
      changing_overrides({"resilience.retries.inventory.budget_min_per_second=1000000",
                          "resilience.retries.inventory.budget_max_balance=1000000",
                          "resilience.retries.payments.initial_backoff=24h",
                          "resilience.retries.payments.max_backoff=24h", "resilience.retries.payments.deadline=24h",
                          "resilience.bulkheads.inventory.max_wait=24h"}));
  EXPECT_EQ(at_bounds.retry<"payments">().options().deadline, std::chrono::hours(24));
  EXPECT_EQ(at_bounds.bulkhead<"inventory">().options().max_wait, std::chrono::hours(24));
}

TEST(orchestrator_guards, GuardedComposesTheRetryTheBreakerAndTheBulkheadOfOneName) {
  rig r({"resilience.retries.inventory.initial_backoff=10ms", "resilience.retries.inventory.max_backoff=10ms"});
  auto guarded = r.svc.guarded<"inventory">();
  static_assert(std::is_same_v<decltype(guarded),
                               arbiter::pipeline<std::remove_cvref_t<decltype(r.svc.retry<"inventory">())>,
                                                 std::remove_cvref_t<decltype(r.svc.breaker<"inventory">())>,
                                                 std::remove_cvref_t<decltype(r.svc.bulkhead<"inventory">())>>>);
  int calls = 0;
  const auto start = r.clock.now();
  const int got = guarded.execute(
      [&] {
        if (++calls < 3) throw std::runtime_error("inventory: connection refused");
        return 7;
      },
      [](const arbiter::pipeline_rejection&) { return -1; });
  EXPECT_EQ(got, 7);
  EXPECT_EQ(calls, 3);
  EXPECT_GE(r.clock.now() - start, 1ns);  // the backoffs advanced the manual clock, nobody slept
  EXPECT_EQ(r.svc.bulkhead<"inventory">().in_flight(), 0u);
  // A name with a retry only: a pipeline of the retry alone.
  auto payments = r.svc.guarded<"payments">();
  static_assert(
      std::is_same_v<decltype(payments), arbiter::pipeline<std::remove_cvref_t<decltype(r.svc.retry<"payments">())>>>);
  EXPECT_EQ(payments.execute([] { return 1; }, [](const arbiter::pipeline_rejection&) { return -1; }), 1);

  const std::string text = r.svc.metrics().expose();
  const auto has = [&](const std::string& line) { return text.find("\n" + line + "\n") != std::string::npos; };
  EXPECT_TRUE(has(R"(arbiter_retry_attempts_total{retry="inventory",kind="retry"} 2)")) << text;
  EXPECT_TRUE(has(R"(arbiter_breaker_calls_total{breaker="inventory",outcome="failure"} 2)")) << text;
  EXPECT_TRUE(has(R"(arbiter_bulkhead_calls_total{bulkhead="inventory",outcome="admitted"} 3)")) << text;
  EXPECT_TRUE(has(R"(arbiter_retry_attempts_total{retry="payments",kind="first"} 1)")) << text;
}

TEST(orchestrator_guards, AFullBulkheadDegradesReadinessButNeverFailsIt) {
  rig r({"resilience.bulkheads.inventory.max_concurrent=2"});
  r.svc.start();
  auto& pool = r.svc.bulkhead<"inventory">();
  EXPECT_EQ(r.svc.health().status(probe::readiness), health_status::healthy);
  {
    auto a = pool.try_acquire();
    auto b = pool.try_acquire();
    EXPECT_FALSE(pool.try_acquire());  // refused
    EXPECT_EQ(r.svc.health().status(probe::readiness), health_status::degraded);
    EXPECT_TRUE(r.svc.health().accepting_traffic());
  }
  // Neither full nor refusing since the last check.
  EXPECT_EQ(r.svc.health().status(probe::readiness), health_status::healthy);
  EXPECT_EQ(r.svc.health().status(probe::liveness), health_status::healthy);
  const std::string text = r.svc.metrics().expose();
  EXPECT_NE(text.find(R"(arbiter_health_check_status{check="inventory:bulkhead",status="healthy"} 1)"),
            std::string::npos)
      << text;
}

TEST(orchestrator_guards, AReloadReportsAChangedRetryOrBulkheadSettingAsNeedingARestart) {
  rig r({"resilience.bulkheads.inventory.max_concurrent=4"});
  r.overrides.set({"resilience.bulkheads.inventory.max_concurrent=8", "resilience.retries.inventory.max_attempts=5",
                   "resilience.failure_threshold=9"});
  const arbiter::service_reload result = r.svc.reload();
  EXPECT_TRUE(result.applied());
  EXPECT_EQ(result.needs_restart, (std::vector<std::string>{"resilience.retries.inventory.max_attempts",
                                                            "resilience.bulkheads.inventory.max_concurrent"}));
  EXPECT_EQ(r.svc.bulkhead<"inventory">().limit(), 4u);  // kept until a restart
  EXPECT_EQ(r.svc.retry<"inventory">().options().max_attempts, 3u);
  EXPECT_EQ(r.svc.breaker<"inventory">().options().failure_threshold, 9u);  // the breaker's changes live
  // A bad value is rejected as any other.
  r.overrides.set({"resilience.bulkheads.inventory.max_concurrent=0"});
  EXPECT_FALSE(r.svc.reload().ok());
}

// ---- in_flight_check ----------------------------------------------------------------------------------------

using gated_service =
    arbiter::orchestrator<arbiter::with_checks<arbiter::in_flight_check<"orders:in_flight", 2, "orders">>,
                          arbiter::with_sources<changing_overrides>, arbiter::with_logger<arbiter::null_logger>,
                          arbiter::with_exit<arbiter::recording_exit>>;

TEST(orchestrator_in_flight_check, FailsReadinessAboveItsLimitOfTheServicesDrainGate) {
  gated_service svc(quiet, changing_overrides{});  // no instance given: built with the service's gate
  svc.start();
  const auto a = svc.gate().enter();
  const auto b = svc.gate().enter();
  EXPECT_EQ(svc.health().status(probe::readiness), health_status::healthy);
  {
    const auto c = svc.gate().enter();
    EXPECT_EQ(svc.health().status(probe::readiness), health_status::unhealthy);  // critical
    EXPECT_EQ(svc.health().status(probe::liveness), health_status::healthy);     // readiness only
    const auto report = svc.health().check(probe::readiness);
    const std::string text = arbiter::render_health_json(report);
    EXPECT_NE(text.find("3 orders in flight"), std::string::npos) << text;
  }
  EXPECT_EQ(svc.health().status(probe::readiness), health_status::healthy);
}

}  // namespace

// The schema walks read a section's members from detail::section_members where the library describes them without
// Hana (config/detail/members.hpp); each such type is still a Hana struct. The two descriptions must list the
// same members, by name and by address, in the same order, down to every leaf.
namespace {

using member_list = std::vector<std::pair<std::string, const void*>>;

template <class S>
void hana_members(const S& section, const std::string& prefix, member_list& out) {
  boost::hana::for_each(boost::hana::accessors<S>(), [&](auto pair) {
    const auto& member = boost::hana::second(pair)(section);
    const std::string path = prefix + boost::hana::to<char const*>(boost::hana::first(pair));
    out.emplace_back(path, static_cast<const void*>(std::addressof(member)));
    using M = std::remove_cvref_t<decltype(member)>;
    if constexpr (arbiter::config_section<M>) hana_members(member, path + ".", out);
  });
}

template <class S>
void walked_members(const S& section, const std::string& prefix, member_list& out) {
  arbiter::detail::for_each_member<S>([&](auto key, auto accessor) {
    const auto& member = accessor(section);
    const std::string path = prefix + std::string(arbiter::detail::key_name<decltype(key)>());
    out.emplace_back(path, static_cast<const void*>(std::addressof(member)));
    using M = std::remove_cvref_t<decltype(member)>;
    if constexpr (arbiter::config_section<M>) walked_members(member, path + ".", out);
  });
}

template <class S>
void expect_one_description() {
  static_assert(arbiter::detail::has_section_members<S>, "the walks use the description without Hana");
  const auto section = std::make_unique<S>();
  member_list walked, hana;
  walked_members(*section, "", walked);
  hana_members(*section, "", hana);
  EXPECT_EQ(walked, hana);
  EXPECT_GT(walked.size(), 10U);
}

}  // namespace

TEST(orchestrator_guards, TheSchemaWalksSeeTheSameMembersAsHana) {
  using breakers = arbiter::service_schema<arbiter::orchestrator_config, "inventory", "payments">;
  expect_one_description<arbiter::orchestrator_config>();
  expect_one_description<breakers>();
  expect_one_description<arbiter::service_schema_with_guards<breakers, arbiter::name_list<"inventory">,
                                                             arbiter::name_list<"inventory", "payments">>>();
  expect_one_description<arbiter::service_schema_with_guards<arbiter::orchestrator_config, arbiter::name_list<>,
                                                             arbiter::name_list<"inventory">>>();
}
