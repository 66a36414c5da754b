// What a config reports through a real Metrics policy, read back from the exposition text.
#include <arbiter/config/config_metrics.hpp>

#include <arbiter/clock/manual_clock.hpp>
#include <arbiter/config/config.hpp>
#include <arbiter/config/constraints.hpp>
#include <arbiter/config/env_source.hpp>
#include <arbiter/logging/recording_logger.hpp>
#include <arbiter/metrics/registry.hpp>

#include <gtest/gtest.h>
#include <boost/hana/adapt_struct.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>

#include "../metrics/exposition_check.hpp"

namespace metered {

struct server {
  int port = 8080;
  static constexpr auto config_rules = arbiter::rules(arbiter::field<"port">(arbiter::range(1024, 65535)));
};

struct settings {
  server srv;
};

}  // namespace metered

BOOST_HANA_ADAPT_STRUCT(metered::server, port);
BOOST_HANA_ADAPT_STRUCT(metered::settings, srv);

namespace {

using namespace std::chrono_literals;
using env = arbiter::env_source<"METERED">;

/// An environment the test changes between reloads.
struct mutable_env {
  std::shared_ptr<std::map<std::string, std::string>> vars = std::make_shared<std::map<std::string, std::string>>();
  [[nodiscard]] env source() const {
    return env([vars = vars](const char* name) -> std::optional<std::string> {
      const auto it = vars->find(name);
      if (it == vars->end()) return std::nullopt;
      return it->second;
    });
  }
  void set(const std::string& name, const std::string& value) const { (*vars)[name] = value; }
};

using test::sample;

double unix_seconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

/// basic_config's members as they were before metrics, in order: with null_metrics it must be no bigger.
template <class Logger>
struct config_layout_before_metrics {
  [[no_unique_address]] Logger logger;
  std::tuple<env> sources;
  std::shared_ptr<arbiter::snapshot_store<metered::settings>> store;
  std::mutex reload_mutex;
  std::mutex subscribers_mutex;
  std::map<std::size_t, std::function<void(const arbiter::reload_event<metered::settings>&)>> subscribers;
  std::size_t next_subscriber = 0;
};

TEST(config_metrics, NullMetricsTakeNoSpace) {
  static_assert(std::is_empty_v<arbiter::detail::config_instruments<arbiter::null_metrics, arbiter::steady_clock>>);
  static_assert(std::is_empty_v<arbiter::detail::config_instruments<arbiter::null_metrics, arbiter::manual_clock>>);
  static_assert(sizeof(arbiter::config<metered::settings, env>) ==
                sizeof(config_layout_before_metrics<arbiter::null_logger>));
  static_assert(sizeof(arbiter::basic_config<metered::settings, arbiter::recording_logger, env>) ==
                sizeof(config_layout_before_metrics<arbiter::recording_logger>));
  // The clock is kept only for the metrics.
  static_assert(
      sizeof(arbiter::basic_config<
             metered::settings,
             arbiter::config_policies<arbiter::null_logger, arbiter::null_metrics, arbiter::manual_clock>, env>) ==
      sizeof(arbiter::config<metered::settings, env>));
  static_assert(
      sizeof(arbiter::basic_config<metered::settings,
                                   arbiter::config_policies<arbiter::null_logger, arbiter::metrics_registry>, env>) >
      sizeof(arbiter::config<metered::settings, env>));
  // A Logger alone is the Logger of config_policies<Logger>.
  static_assert(std::is_same_v<arbiter::basic_config<metered::settings, arbiter::recording_logger, env>::policies_type,
                               arbiter::config_policies<arbiter::recording_logger>>);
  const arbiter::config<metered::settings, env> cfg(mutable_env{}.source());
  EXPECT_EQ(cfg.current()->srv.port, 8080);
}

TEST(config_metrics, ReloadsAppliedAndRejectedTheVersionInUseAndWhenTheLastGoodLoadWas) {
  mutable_env vars;
  arbiter::metrics_registry metrics;
  arbiter::manual_clock clock;
  arbiter::recording_logger log;
  using policies =
      arbiter::config_policies<arbiter::recording_logger, arbiter::metrics_registry, arbiter::manual_clock>;
  const auto before = std::chrono::system_clock::now();
  arbiter::basic_config<metered::settings, policies, env> cfg({log, metrics, clock}, vars.source());
  const auto after = std::chrono::system_clock::now();

  const std::string applied = R"(arbiter_config_reloads_total{result="applied"})";
  const std::string rejected = R"(arbiter_config_reloads_total{result="rejected"})";
  const std::string version = "arbiter_config_version";
  const std::string last_success = "arbiter_config_last_success_timestamp_seconds";
  EXPECT_EQ(sample(metrics, applied), 0.0);
  EXPECT_EQ(sample(metrics, rejected), 0.0);
  EXPECT_EQ(sample(metrics, version), 1.0) << "the first load";
  const double loaded = sample(metrics, last_success);
  EXPECT_GE(loaded, unix_seconds(before) - 1e-6);
  EXPECT_LE(loaded, unix_seconds(after) + 1e-6);

  clock.advance(90s);
  vars.set("METERED_SRV_PORT", "9000");
  ASSERT_TRUE(cfg.reload().applied);
  EXPECT_EQ(sample(metrics, applied), 1.0);
  EXPECT_EQ(sample(metrics, rejected), 0.0);
  EXPECT_EQ(sample(metrics, version), 2.0);
  EXPECT_NEAR(sample(metrics, last_success), loaded + 90, 1e-6);

  clock.advance(30s);
  vars.set("METERED_SRV_PORT", "70000");
  ASSERT_FALSE(cfg.reload().ok());
  EXPECT_EQ(sample(metrics, applied), 1.0);
  EXPECT_EQ(sample(metrics, rejected), 1.0);
  EXPECT_EQ(sample(metrics, version), 2.0) << "the snapshot in use did not change";
  EXPECT_NEAR(sample(metrics, last_success), loaded + 90, 1e-6) << "a rejected reload is not a good load";
  EXPECT_EQ(cfg.current()->srv.port, 9000);

  clock.advance(10s);
  vars.set("METERED_SRV_PORT", "9000");  // valid again, and what is in use: nothing to publish
  const auto same = cfg.reload();
  ASSERT_TRUE(same.ok());
  EXPECT_FALSE(same.applied);
  EXPECT_EQ(sample(metrics, applied), 2.0) << "the sources were read and accepted";
  EXPECT_EQ(sample(metrics, version), 2.0);
  EXPECT_NEAR(sample(metrics, last_success), loaded + 130, 1e-6);
}

TEST(config_metrics, SubscribersSeeTheMetricsOfTheReloadTheyHearAbout) {
  mutable_env vars;
  arbiter::metrics_registry metrics;
  arbiter::basic_config<metered::settings, arbiter::config_policies<arbiter::null_logger, arbiter::metrics_registry>,
                        env>
      cfg({{}, metrics, {}}, vars.source());
  std::vector<double> heard;
  cfg.subscribe([&](const arbiter::reload_event<metered::settings>&) {
    heard.push_back(sample(metrics, R"(arbiter_config_reloads_total{result="rejected"})"));
  });
  vars.set("METERED_SRV_PORT", "80");
  EXPECT_FALSE(cfg.reload().ok());
  EXPECT_EQ(heard, std::vector<double>{1.0});
}

TEST(config_metrics, AConfigWithPoliciesLoadsFromTheLoggerAloneReportingToNoOne) {
  mutable_env vars;
  vars.set("METERED_SRV_PORT", "80");
  arbiter::recording_logger logger;
  using config = arbiter::basic_config<metered::settings,
                                       arbiter::config_policies<arbiter::recording_logger, arbiter::metrics_registry>,
                                       env>;
  static_assert(std::is_constructible_v<config, arbiter::recording_logger, env>);
  // The same checks as with the whole policies: a bad value is one config_error naming it.
  try {
    const config cfg(logger, vars.source());
    FAIL() << "port 80 is below the range";
  } catch (const arbiter::config_error& error) {
    EXPECT_NE(std::string(error.what()).find("srv.port"), std::string::npos) << error.what();
  }
  vars.set("METERED_SRV_PORT", "9090");
  const config cfg(logger, vars.source());
  EXPECT_EQ(cfg.current()->srv.port, 9090);
}

}  // namespace
