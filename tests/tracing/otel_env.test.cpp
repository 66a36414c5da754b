// The OTEL_* environment variables: defaults, every variable honoured, and clear errors for bad values.
#include <arbiter/tracing/otel_env.hpp>

#include <gtest/gtest.h>

#include <map>
#include <stdexcept>
#include <string>

namespace {

using namespace std::chrono_literals;
using env = std::map<std::string, std::string>;

arbiter::otel_settings read(const env& vars) {
  return arbiter::read_otel_environment([&vars](const char* name) -> const char* {
    const auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  });
}

/// Returns the message of the std::invalid_argument that reading `vars` throws (fails the test if none).
std::string error_of(const env& vars) {
  try {
    (void)read(vars);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  ADD_FAILURE() << "no error for " << vars.begin()->first << "=" << vars.begin()->second;
  return {};
}

TEST(otel_env, defaults_match_the_opentelemetry_sdks) {
  const auto s = read({});
  EXPECT_FALSE(s.sdk_disabled);
  EXPECT_EQ(s.exporter, arbiter::otel_settings::exporter_kind::otlp);
  EXPECT_EQ(s.otlp.endpoint.host, "127.0.0.1");
  EXPECT_EQ(s.otlp.endpoint.port, 4318);
  EXPECT_EQ(s.otlp.endpoint.target, "/v1/traces");
  EXPECT_EQ(s.otlp.resource.service_name, "unknown_service");
  EXPECT_EQ(s.sampler.get_kind(), arbiter::configured_sampler::kind::parent_based_always_on);
  EXPECT_EQ(s.batch.max_queue_size, 2048U);
  EXPECT_EQ(s.batch.max_export_batch_size, 512U);
  EXPECT_EQ(s.batch.schedule_delay, 5000ms);
  EXPECT_EQ(s.batch.export_timeout, 30000ms);
}

TEST(otel_env, every_variable_is_honoured) {
  const auto s = read({{"OTEL_SDK_DISABLED", "false"},
                       {"OTEL_TRACES_EXPORTER", "console"},
                       {"OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/"},
                       {"OTEL_EXPORTER_OTLP_HEADERS", "api-key=abc%3D%3D, x-tenant = acme"},
                       {"OTEL_EXPORTER_OTLP_TIMEOUT", "2500"},
                       {"OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"},
                       {"OTEL_RESOURCE_ATTRIBUTES",
                        "service.name=from-attrs,service.version=2.0,deployment.environment=prod,host.name=h%201"},
                       {"OTEL_SERVICE_NAME", "orders"},
                       {"OTEL_TRACES_SAMPLER", "parentbased_traceidratio"},
                       {"OTEL_TRACES_SAMPLER_ARG", "0.25"},
                       {"OTEL_BSP_SCHEDULE_DELAY", "200"},
                       {"OTEL_BSP_EXPORT_TIMEOUT", "1000"},
                       {"OTEL_BSP_MAX_QUEUE_SIZE", "4096"},
                       {"OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "1024"}});
  EXPECT_FALSE(s.sdk_disabled);
  EXPECT_EQ(s.exporter, arbiter::otel_settings::exporter_kind::console);
  EXPECT_EQ(s.otlp.endpoint.host, "collector");
  EXPECT_EQ(s.otlp.endpoint.port, 4318);
  EXPECT_EQ(s.otlp.endpoint.target, "/v1/traces");
  ASSERT_EQ(s.otlp.headers.size(), 2U);
  EXPECT_EQ(s.otlp.headers[0], (std::pair<std::string, std::string>{"api-key", "abc=="}));
  EXPECT_EQ(s.otlp.headers[1], (std::pair<std::string, std::string>{"x-tenant", "acme"}));
  EXPECT_EQ(s.otlp.timeout, 2500ms);
  EXPECT_EQ(s.otlp.resource.service_name, "orders") << "OTEL_SERVICE_NAME wins";
  EXPECT_EQ(s.otlp.resource.service_version, "2.0");
  EXPECT_EQ(s.otlp.resource.deployment_environment, "prod");
  ASSERT_EQ(s.otlp.resource.attributes.size(), 1U);
  EXPECT_EQ(s.otlp.resource.attributes[0].second, arbiter::attribute_value(std::string("h 1")));
  EXPECT_EQ(s.sampler.get_kind(), arbiter::configured_sampler::kind::parent_based_trace_id_ratio);
  EXPECT_DOUBLE_EQ(s.sampler.ratio(), 0.25);
  EXPECT_EQ(s.batch.schedule_delay, 200ms);
  EXPECT_EQ(s.batch.export_timeout, 1000ms);
  EXPECT_EQ(s.batch.max_queue_size, 4096U);
  EXPECT_EQ(s.batch.max_export_batch_size, 1024U);
}

TEST(otel_env, disabled_sdk_samples_nothing_and_exports_nothing) {
  const auto s = read({{"OTEL_SDK_DISABLED", "True"}, {"OTEL_TRACES_SAMPLER", "always_on"}});
  EXPECT_TRUE(s.sdk_disabled);
  EXPECT_EQ(s.sampler.get_kind(), arbiter::configured_sampler::kind::always_off);
  EXPECT_EQ(s.exporter, arbiter::otel_settings::exporter_kind::none);
}

TEST(otel_env, traces_endpoint_is_used_as_is_and_wins) {
  const auto s = read({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://ignored:1"},
                       {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://[::1]:9999/custom/path"},
                       {"OTEL_EXPORTER_OTLP_HEADERS", "a=1"},
                       {"OTEL_EXPORTER_OTLP_TRACES_HEADERS", "b=2"}});
  EXPECT_EQ(s.otlp.endpoint.host, "::1");
  EXPECT_EQ(s.otlp.endpoint.port, 9999);
  EXPECT_EQ(s.otlp.endpoint.target, "/custom/path");
  ASSERT_EQ(s.otlp.headers.size(), 1U);
  EXPECT_EQ(s.otlp.headers[0].first, "b");
  EXPECT_EQ(read({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://tempo"}}).otlp.endpoint.port, 80);
}

TEST(otel_env, bad_values_name_the_variable_and_the_value) {
  const auto expect_error = [](const env& vars, const std::string& needle) {
    const std::string message = error_of(vars);
    EXPECT_NE(message.find(vars.begin()->first), std::string::npos) << message;
    EXPECT_NE(message.find(needle), std::string::npos) << message;
  };
  expect_error({{"OTEL_SDK_DISABLED", "yes"}}, "\"yes\"");
  expect_error({{"OTEL_TRACES_EXPORTER", "zipkin"}}, "\"zipkin\"");
  expect_error({{"OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318"}}, "not an http:// URL");
  expect_error({{"OTEL_EXPORTER_OTLP_ENDPOINT", "https://collector:4318"}}, "https");
  expect_error({{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://collector:99999/v1/traces"}}, "99999");
  expect_error({{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://:4318/v1/traces"}}, "no host");
  expect_error({{"OTEL_EXPORTER_OTLP_HEADERS", "novalue"}}, "\"novalue\"");
  expect_error({{"OTEL_EXPORTER_OTLP_HEADERS", "k=%zz"}}, "broken % escape");
  expect_error({{"OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"}}, "\"grpc\"");
  expect_error({{"OTEL_EXPORTER_OTLP_TIMEOUT", "10s"}}, "\"10s\"");
  expect_error({{"OTEL_TRACES_SAMPLER", "jaeger_remote"}}, "\"jaeger_remote\"");
  expect_error({{"OTEL_TRACES_SAMPLER", "traceidratio"}, {"OTEL_TRACES_SAMPLER_ARG", "1.5"}}, "\"1.5\"");
  expect_error({{"OTEL_TRACES_SAMPLER", "traceidratio"}, {"OTEL_TRACES_SAMPLER_ARG", "half"}}, "\"half\"");
  expect_error({{"OTEL_BSP_SCHEDULE_DELAY", "-5"}}, "\"-5\"");
  expect_error({{"OTEL_BSP_MAX_QUEUE_SIZE", "abc"}}, "\"abc\"");
  expect_error({{"OTEL_BSP_MAX_QUEUE_SIZE", "0"}}, "at least 1");
  expect_error({{"OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "4096"}}, "is above OTEL_BSP_MAX_QUEUE_SIZE=2048");
}

TEST(otel_env, an_empty_value_is_the_same_as_unset) {
  arbiter::otel_settings defaults;
  defaults.sdk_disabled = true;
  defaults.otlp.resource.service_name = "checkout";
  const env vars{{"OTEL_SDK_DISABLED", ""}, {"OTEL_SERVICE_NAME", " "}, {"OTEL_BSP_MAX_QUEUE_SIZE", ""}};
  const auto s = arbiter::read_otel_environment(
      [&vars](const char* name) -> const char* {
        const auto it = vars.find(name);
        return it == vars.end() ? nullptr : it->second.c_str();
      },
      defaults);
  EXPECT_TRUE(s.sdk_disabled) << "OTEL_SDK_DISABLED=\"\" does not switch tracing back on";
  EXPECT_EQ(s.exporter, arbiter::otel_settings::exporter_kind::none);
  EXPECT_EQ(s.otlp.resource.service_name, "checkout");
  EXPECT_EQ(s.batch.max_queue_size, 2048U);
}

TEST(otel_env, sampler_arg_is_ignored_by_samplers_without_a_ratio) {
  const auto s = read({{"OTEL_TRACES_SAMPLER", "always_off"}, {"OTEL_TRACES_SAMPLER_ARG", "not read"}});
  EXPECT_EQ(s.sampler.get_kind(), arbiter::configured_sampler::kind::always_off);
  EXPECT_DOUBLE_EQ(read({{"OTEL_TRACES_SAMPLER", "traceidratio"}}).sampler.ratio(), 1.0);
}

}  // namespace
