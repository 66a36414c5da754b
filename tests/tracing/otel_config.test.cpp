#include <arbiter/config/config.hpp>
#include <arbiter/lifecycle/shutdown_manager.hpp>
#include <arbiter/logging/null_logger.hpp>
#include <arbiter/tracing/batch_processor.hpp>
#include <arbiter/tracing/otel_config.hpp>
#include <arbiter/tracing/sdk_tracer.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace {

using namespace std::chrono_literals;
using vars = std::map<std::string, std::string>;

/// Loads orchestrator_config from `arbiter_vars` (the ARBITER_* layer) and nothing else.
arbiter::snapshot<arbiter::orchestrator_config> load(const vars& arbiter_vars) {
  const arbiter::config<arbiter::orchestrator_config, arbiter::env_source<>> cfg(
      arbiter::env_source<>([arbiter_vars](const char* name) -> std::optional<std::string> {
        const auto it = arbiter_vars.find(name);
        return it == arbiter_vars.end() ? std::nullopt : std::optional<std::string>(it->second);
      }));
  return cfg.current();
}

/// An OTEL_* lookup over `otel_vars`.
auto lookup(const vars& otel_vars) {
  return [otel_vars](const char* name) -> const char* {
    const auto it = otel_vars.find(name);
    return it == otel_vars.end() ? nullptr : it->second.c_str();
  };
}

TEST(otel_config, the_resource_endpoint_and_sampler_come_from_the_config) {
  const auto config = load({{"ARBITER_ENVIRONMENT", "production"},
                            {"ARBITER_OBSERVABILITY_SERVICE_NAME", "checkout"},
                            {"ARBITER_OBSERVABILITY_SERVICE_VERSION", "1.4.2"},
                            {"ARBITER_OBSERVABILITY_TRACE_SAMPLE_RATE", "0.25"},
                            {"ARBITER_OBSERVABILITY_OTLP_ENDPOINT", "http://collector:14318/"}});
  const arbiter::otel_settings s = arbiter::tracing_settings_from(config, lookup({}));
  EXPECT_EQ(s.otlp.resource.service_name, "checkout");
  EXPECT_EQ(s.otlp.resource.service_version, "1.4.2");
  EXPECT_EQ(s.otlp.resource.deployment_environment, "production");
  EXPECT_EQ(s.otlp.endpoint.host, "collector");
  EXPECT_EQ(s.otlp.endpoint.port, 14318);
  EXPECT_EQ(s.otlp.endpoint.target, "/v1/traces");
  EXPECT_EQ(s.sampler.get_kind(), arbiter::configured_sampler::kind::parent_based_trace_id_ratio);
  EXPECT_DOUBLE_EQ(s.sampler.ratio(), 0.25);
  EXPECT_FALSE(s.sdk_disabled);
  EXPECT_EQ(s.exporter, arbiter::otel_settings::exporter_kind::otlp);
}

TEST(otel_config, defaults_send_to_the_local_collector_as_the_issue_says) {
  const arbiter::otel_settings s = arbiter::tracing_settings_from(load({}), lookup({}));
  EXPECT_EQ(s.otlp.endpoint.host, "127.0.0.1");
  EXPECT_EQ(s.otlp.endpoint.port, 4318);
  EXPECT_EQ(s.otlp.resource.service_name, "arbiter");
  EXPECT_EQ(s.otlp.resource.service_version, "");
  EXPECT_EQ(s.otlp.resource.deployment_environment, "development");
}

TEST(otel_config, otel_variables_win_over_the_config) {
  const auto config =
      load({{"ARBITER_OBSERVABILITY_SERVICE_NAME", "checkout"}, {"ARBITER_OBSERVABILITY_TRACE_SAMPLE_RATE", "0.25"}});
  const arbiter::otel_settings s = arbiter::tracing_settings_from(
      config, lookup({{"OTEL_SERVICE_NAME", "checkout-canary"},
                      {"OTEL_EXPORTER_OTLP_ENDPOINT", "http://sidecar:4318"},
                      {"OTEL_TRACES_SAMPLER", "always_on"},
                      {"OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=canary,k8s.pod.name=p-1"}}));
  EXPECT_EQ(s.otlp.resource.service_name, "checkout-canary");
  EXPECT_EQ(s.otlp.resource.deployment_environment, "canary");
  ASSERT_EQ(s.otlp.resource.attributes.size(), 1U);
  EXPECT_EQ(s.otlp.resource.attributes[0].first, "k8s.pod.name");
  EXPECT_EQ(s.otlp.endpoint.host, "sidecar");
  EXPECT_EQ(s.sampler.get_kind(), arbiter::configured_sampler::kind::always_on);
}

TEST(otel_config, tracing_disabled_in_the_config_is_the_sdk_disabled_and_the_variable_can_turn_it_back_on) {
  const auto config = load({{"ARBITER_OBSERVABILITY_TRACING_ENABLED", "false"}});
  const arbiter::otel_settings off = arbiter::tracing_settings_from(config, lookup({}));
  EXPECT_TRUE(off.sdk_disabled);
  EXPECT_EQ(off.sampler.get_kind(), arbiter::configured_sampler::kind::always_off);
  EXPECT_EQ(off.exporter, arbiter::otel_settings::exporter_kind::none);

  const arbiter::otel_settings on = arbiter::tracing_settings_from(config, lookup({{"OTEL_SDK_DISABLED", "false"}}));
  EXPECT_FALSE(on.sdk_disabled);
  EXPECT_EQ(on.exporter, arbiter::otel_settings::exporter_kind::otlp);
}

TEST(otel_config, a_bad_endpoint_names_the_key_and_where_it_came_from) {
  const auto config = load({{"ARBITER_OBSERVABILITY_OTLP_ENDPOINT", "ftp://collector:4318"}});
  try {
    (void)arbiter::tracing_settings_from(config, lookup({}));
    FAIL() << "accepted an ftp endpoint";
  } catch (const std::invalid_argument& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("observability.otlp_endpoint (from ARBITER_OBSERVABILITY_OTLP_ENDPOINT)"), std::string::npos)
        << what;
    EXPECT_NE(what.find("not an http:// or https:// URL"), std::string::npos) << what;
  }
  // The OTEL variable fixing it is not enough: the config's own value must be usable too.
  EXPECT_THROW((void)arbiter::tracing_settings_from(config, lookup({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://x:1"}})),
               std::invalid_argument);
}

/// Returns the message tracing_settings_from throws for `config` (fails the test if none).
std::string error_of(const arbiter::snapshot<arbiter::orchestrator_config>& config, const vars& otel_vars = {}) {
  try {
    (void)arbiter::tracing_settings_from(config, lookup(otel_vars));
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  ADD_FAILURE() << "no error";
  return {};
}

TEST(otel_config, the_endpoint_key_goes_through_the_same_validation_as_the_variables) {
  constexpr std::string_view key = "observability.otlp_endpoint (from ARBITER_OBSERVABILITY_OTLP_ENDPOINT)";
  std::string what = error_of(load({{"ARBITER_OBSERVABILITY_OTLP_ENDPOINT", "ftp://collector:4318/"}}));
  EXPECT_NE(what.find(key), std::string::npos) << what;
  EXPECT_NE(what.find("\"ftp://collector:4318/\" is not an http:// or https:// URL"), std::string::npos) << what;
  EXPECT_EQ(what.find("/v1/traces"), std::string::npos) << "the URL as written: " << what;

  what = error_of(load({{"ARBITER_OBSERVABILITY_OTLP_ENDPOINT", "http://user:s3cret@collector:4318"}}));
  EXPECT_NE(what.find(key), std::string::npos) << what;
  EXPECT_NE(what.find("user info"), std::string::npos) << what;
  EXPECT_EQ(what.find("s3cret"), std::string::npos) << what;

  what = error_of(load({{"ARBITER_OBSERVABILITY_OTLP_ENDPOINT", "http://col lector:4318"}}));
  EXPECT_NE(what.find(key), std::string::npos) << what;
  EXPECT_NE(what.find("a space"), std::string::npos) << what;

  what = error_of(load({{"ARBITER_OBSERVABILITY_OTLP_ENDPOINT", "http://collector:0"}}));
  EXPECT_NE(what.find(key), std::string::npos) << what;
  EXPECT_NE(what.find("port \"0\""), std::string::npos) << what;

  what = error_of(load({{"ARBITER_OBSERVABILITY_OTLP_ENDPOINT", "http://collector/otlp\r\nX-Evil: 1"}}));
  EXPECT_NE(what.find(key), std::string::npos) << what;
  EXPECT_NE(what.find("carriage return"), std::string::npos) << what;
  EXPECT_EQ(what.find_first_of("\r\n"), std::string::npos) << what;

  // The config's base URL keeps its own path, as OTEL_EXPORTER_OTLP_ENDPOINT does.
  const auto s = arbiter::tracing_settings_from(
      load({{"ARBITER_OBSERVABILITY_OTLP_ENDPOINT", "http://collector:4318/otlp/"}}), lookup({}));
  EXPECT_EQ(s.otlp.endpoint.target, "/otlp/v1/traces");
}

/// Counts how often `"key":"<key>"` appears in the OTLP resource of `s`.
std::size_t encoded_keys(const arbiter::otel_settings& s, const std::string& key) {
  const std::string json = arbiter::otlp_json({}, s.otlp.resource);
  const std::string needle = "\"key\":\"" + key + "\"";
  std::size_t count = 0;
  for (auto at = json.find(needle); at != std::string::npos; at = json.find(needle, at + 1)) ++count;
  return count;
}

TEST(otel_config, resource_attributes_from_the_config_and_the_variables_merge_one_key_once) {
  const auto config = load({{"ARBITER_ENVIRONMENT", "production"},
                            {"ARBITER_OBSERVABILITY_SERVICE_NAME", "checkout"},
                            {"ARBITER_OBSERVABILITY_SERVICE_VERSION", "1.4.2"}});
  const arbiter::otel_settings s = arbiter::tracing_settings_from(
      config, lookup({{"OTEL_RESOURCE_ATTRIBUTES",
                       "service.name=attrs,service.version=2.0,deployment.environment.name=canary,"
                       "deployment.environment=staging,team=a,team=b"},
                      {"OTEL_SERVICE_NAME", "checkout-canary"}}));
  EXPECT_EQ(s.otlp.resource.service_name, "checkout-canary");
  EXPECT_EQ(s.otlp.resource.service_version, "2.0");
  EXPECT_EQ(s.otlp.resource.deployment_environment, "staging");
  ASSERT_EQ(s.otlp.resource.attributes.size(), 1U);
  EXPECT_EQ(s.otlp.resource.attributes[0].second, arbiter::attribute_value(std::string("b")));
  for (const char* key : {"service.name", "service.version", "deployment.environment", "team"}) {
    EXPECT_EQ(encoded_keys(s, key), 1U) << key;
  }
}

TEST(otel_config, a_shutdown_hook_flushes_what_is_queued_before_the_process_ends) {
  arbiter::in_memory_exporter exporter;
  arbiter::batch_options options;
  options.schedule_delay = 1h;  // nothing leaves the queue unless something flushes it
  auto processor = std::make_shared<arbiter::batch_processor<arbiter::in_memory_exporter>>(exporter, options);
  const arbiter::tracer<arbiter::always_on, arbiter::batch_processor<arbiter::in_memory_exporter>> tracer(processor);
  for (int i = 0; i < 20; ++i) tracer.start_span("request").end();
  EXPECT_EQ(exporter.size(), 0U);

  arbiter::shutdown_options shutdown;
  shutdown.poll_interval = 1ms;
  shutdown.drain_timeout = 0ms;
  arbiter::shutdown_manager<arbiter::null_logger, arbiter::steady_clock, arbiter::recording_exit> manager(
      {}, shutdown, {}, arbiter::recording_exit{});
  manager.add_hook("tracing", 90, [processor] { processor->shutdown(); });
  ASSERT_TRUE(manager.trigger_shutdown("test over"));
  (void)manager.wait();
  EXPECT_EQ(exporter.size(), 20U);
  EXPECT_EQ(processor->stats().exported, 20U);
  EXPECT_EQ(processor->stats().dropped(), 0U);
}

}  // namespace
