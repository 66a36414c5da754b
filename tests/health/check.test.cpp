// Check names, traits with their defaults, results from what checks return, the aggregation table,
// and the runtime-registered dynamic_checks.
#include <arbiter/health.hpp>

#include <gtest/gtest.h>

#include <functional>
#include <stdexcept>
#include <stop_token>
#include <string>

namespace {

using namespace std::chrono_literals;
using arbiter::health_status;
using arbiter::probe;

static_assert(arbiter::detail::valid_check_name("postgres:connections"));
static_assert(arbiter::detail::valid_check_name("uptime"));
static_assert(arbiter::detail::valid_check_name("cpu-0.temp:celsius_max"));
static_assert(!arbiter::detail::valid_check_name(""));
static_assert(!arbiter::detail::valid_check_name(":x"));
static_assert(!arbiter::detail::valid_check_name("x:"));
static_assert(!arbiter::detail::valid_check_name("a:b:c"));
static_assert(!arbiter::detail::valid_check_name("disk space"));
static_assert(!arbiter::detail::valid_check_name("caf\xc3\xa9"));

TEST(check_name, problems_are_named_for_runtime_names) {
  EXPECT_EQ(arbiter::detail::check_name_problem("db:ping"), "");
  EXPECT_EQ(arbiter::detail::check_name_problem(""), "is empty");
  EXPECT_EQ(arbiter::detail::check_name_problem(":ping"), "has an empty component before ':'");
  EXPECT_EQ(arbiter::detail::check_name_problem("db:"), "has an empty measurement after ':'");
  EXPECT_EQ(arbiter::detail::check_name_problem("a:b:c"), "has more than one ':'");
  EXPECT_EQ(arbiter::detail::check_name_problem("a b"), "contains a character outside A-Z a-z 0-9 _ - . and one ':'");
  EXPECT_EQ(arbiter::detail::check_name_problem(std::string(129, 'a')), "is longer than 128 characters");
}

struct bare_check {
  static constexpr std::string_view name = "bare";
  bool operator()() const { return true; }
};

struct full_check {
  static constexpr std::string_view name = "postgres:connections";
  static constexpr arbiter::probe_set probes = probe::readiness | probe::startup;
  static constexpr bool critical = false;
  static constexpr bool external = true;
  static constexpr auto timeout = 3s;
  static constexpr auto cache_ttl = 500ms;
  static constexpr unsigned failure_threshold = 3;
  static constexpr auto failure_grace = 10s;
  static constexpr auto type = arbiter::component_type::datastore;
  static constexpr std::string_view component_id = "primary";
  arbiter::check_result operator()(std::stop_token /*stop*/) const { return arbiter::check_result::healthy(); }
};

TEST(check_traits, fill_in_defaults_and_read_what_is_declared) {
  using bare = arbiter::check_traits<bare_check>;
  static_assert(bare::probes == arbiter::probe_set(probe::readiness));
  static_assert(bare::critical && !bare::external);
  static_assert(bare::timeout == 2000ms && bare::cache_ttl == 0ms && bare::failure_grace == 0ms);
  static_assert(bare::failure_threshold == 1 && bare::component_id.empty());
  static_assert(bare::type == arbiter::component_type::component);

  using full = arbiter::check_traits<full_check>;
  static_assert(full::probes.contains(probe::startup) && !full::probes.contains(probe::liveness));
  static_assert(!full::critical && full::external);
  static_assert(full::timeout == 3000ms && full::cache_ttl == 500ms && full::failure_grace == 10s);
  static_assert(full::failure_threshold == 3 && full::component_id == "primary");
  static_assert(full::type == arbiter::component_type::datastore);
  static_assert(arbiter::HealthCheck<bare_check> && arbiter::HealthCheck<full_check>);
  static_assert(!arbiter::HealthCheck<int>);
  SUCCEED();
}

TEST(make_check, carries_name_and_options_at_compile_time) {
  auto check = arbiter::make_check<"cache:ping", arbiter::check_options{.probes = probe::liveness,
                                                                        .critical = false,
                                                                        .timeout_ms = 150,
                                                                        .cache_ttl_ms = 20,
                                                                        .failure_threshold = 2,
                                                                        .failure_grace_ms = 30}>([] { return true; });
  using traits = arbiter::check_traits<decltype(check)>;
  static_assert(traits::name == "cache:ping");
  static_assert(traits::probes == arbiter::probe_set(probe::liveness));
  static_assert(!traits::critical);
  static_assert(traits::timeout == 150ms && traits::cache_ttl == 20ms && traits::failure_grace == 30ms);
  static_assert(traits::failure_threshold == 2);
  EXPECT_EQ(arbiter::detail::invoke_check(check, {}).status, health_status::healthy);
}

/// An object that knows its own health, as a circuit breaker does.
struct breaker_like {
  bool open = false;
  arbiter::check_result operator()() const {
    return open ? arbiter::check_result::unhealthy("breaker open") : arbiter::check_result::healthy();
  }
};

TEST(make_check, wraps_an_object_by_reference) {
  breaker_like breaker;
  auto check = arbiter::make_check<"breaker:payments">(std::ref(breaker));
  EXPECT_EQ(arbiter::detail::invoke_check(check, {}).status, health_status::healthy);
  breaker.open = true;
  EXPECT_EQ(arbiter::detail::invoke_check(check, {}).message, "breaker open");
}

TEST(invoke_check, turns_every_outcome_into_a_result) {
  auto yes = arbiter::make_check<"a">([] { return true; });
  auto no = arbiter::make_check<"b">([] { return false; });
  auto degraded = arbiter::make_check<"c">([] { return health_status::degraded; });
  auto stop_aware = arbiter::make_check<"d">([](std::stop_token stop) { return !stop.stop_requested(); });
  auto throws = arbiter::make_check<"e">([]() -> bool { throw std::out_of_range("index 9 of 3"); });
  EXPECT_EQ(arbiter::detail::invoke_check(yes, {}).status, health_status::healthy);
  const auto refused = arbiter::detail::invoke_check(no, {});
  EXPECT_EQ(refused.status, health_status::unhealthy);
  EXPECT_EQ(refused.message, "check returned false");
  EXPECT_EQ(arbiter::detail::invoke_check(degraded, {}).status, health_status::degraded);
  std::stop_source source;
  EXPECT_EQ(arbiter::detail::invoke_check(stop_aware, source.get_token()).status, health_status::healthy);
  source.request_stop();
  EXPECT_EQ(arbiter::detail::invoke_check(stop_aware, source.get_token()).status, health_status::unhealthy);
  const auto thrown = arbiter::detail::invoke_check(throws, {});
  EXPECT_EQ(thrown.status, health_status::unhealthy);
  EXPECT_EQ(thrown.message, "index 9 of 3");
  EXPECT_EQ(thrown.detail("exception.type"), "std::out_of_range");
}

TEST(aggregator, default_table) {
  using agg = arbiter::worst_of_critical_capped;
  constexpr auto H = health_status::healthy;
  constexpr auto D = health_status::degraded;
  constexpr auto U = health_status::unhealthy;
  // critical checks: worst wins
  static_assert(agg::fold(H, H, true) == H && agg::fold(H, D, true) == D && agg::fold(H, U, true) == U);
  static_assert(agg::fold(D, H, true) == D && agg::fold(U, H, true) == U);
  // non-critical checks: capped at DEGRADED
  static_assert(agg::fold(H, H, false) == H && agg::fold(H, D, false) == D && agg::fold(H, U, false) == D);
  static_assert(agg::fold(U, H, false) == U && agg::fold(D, U, false) == D);
  static_assert(arbiter::worst_of::fold(H, U, false) == U);
  static_assert(arbiter::HealthAggregator<agg> && !arbiter::HealthAggregator<int>);
  SUCCEED();
}

TEST(status, words_and_http_codes) {
  EXPECT_EQ(arbiter::to_string(health_status::degraded), "degraded");
  EXPECT_EQ(arbiter::to_ietf_status(health_status::healthy), "pass");
  EXPECT_EQ(arbiter::to_ietf_status(health_status::degraded), "warn");
  EXPECT_EQ(arbiter::to_ietf_status(health_status::unhealthy), "fail");
  EXPECT_EQ(arbiter::to_string(probe::startup), "startup");
  EXPECT_TRUE(arbiter::all_probes.contains(probe::liveness));
}

TEST(dynamic_checks, registers_runs_and_rejects_bad_names_without_losing_good_ones) {
  arbiter::dynamic_checks<"plugins:health"> plugins;
  const arbiter::dynamic_checks<"plugins:health"> shared = plugins;
  plugins.register_check("geo", [] { return health_status::healthy; });
  EXPECT_EQ(shared.size(), 1U) << "copies share the registry";
  try {
    plugins.register_check("geo lookup", [] { return true; });
    FAIL() << "a name with a space must be rejected";
  } catch (const std::invalid_argument& error) {
    EXPECT_STREQ(error.what(),
                 "health check name 'geo lookup' from register_check contains a character outside A-Z a-z 0-9 _ - . "
                 "and one ':'");
  }
  try {
    plugins.register_check("geo", [] { return true; });
    FAIL() << "a duplicate must be rejected";
  } catch (const std::invalid_argument& error) {
    EXPECT_STREQ(error.what(), "health check name 'geo' from register_check is already registered in plugins:health");
  }
  EXPECT_EQ(plugins.size(), 1U);

  plugins.register_check("billing", []() -> bool { throw std::runtime_error("quota exceeded"); });
  const auto result = plugins(std::stop_token{});
  EXPECT_EQ(result.status, health_status::unhealthy);
  ASSERT_EQ(result.instances.size(), 2U);
  EXPECT_EQ(result.instances[1].message, "quota exceeded");
  EXPECT_EQ(result.message, "1 of 2 registered checks failing: billing: quota exceeded");

  std::stop_source source;
  source.request_stop();
  EXPECT_EQ(plugins(source.get_token()).instances[0].message, "not run: stop requested");
  EXPECT_FALSE(plugins.unregister_check("nope"));
}

}  // namespace
