// The OTEL_* environment variables: defaults, every variable honoured, and clear errors for bad values.
#include <arbiter/tracing/otel_env.hpp>

#include <gtest/gtest.h>

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

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
  EXPECT_EQ(s.otlp.protocol, arbiter::otlp_protocol::http_protobuf) << "the specification's default";
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
  EXPECT_EQ(s.otlp.protocol, arbiter::otlp_protocol::http_json);
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

TEST(otel_env, zipkin_defaults_are_the_specifications) {
  const auto s = read({});
  EXPECT_EQ(s.zipkin.endpoint.host, "localhost");
  EXPECT_EQ(s.zipkin.endpoint.port, 9411);
  EXPECT_EQ(s.zipkin.endpoint.target, "/api/v2/spans");
  EXPECT_EQ(s.zipkin.timeout, 10000ms);
  EXPECT_TRUE(s.zipkin.headers.empty());
}

TEST(otel_env, zipkin_is_chosen_and_pointed_by_its_variables) {
  const auto s = read({{"OTEL_TRACES_EXPORTER", " Zipkin "},
                       {"OTEL_EXPORTER_ZIPKIN_ENDPOINT", "http://zipkin.tracing:19411/custom/spans?x=1"},
                       {"OTEL_EXPORTER_ZIPKIN_TIMEOUT", "2500"},
                       {"OTEL_EXPORTER_OTLP_TIMEOUT", "700"}});
  EXPECT_EQ(s.exporter, arbiter::otel_settings::exporter_kind::zipkin);
  EXPECT_EQ(s.zipkin.endpoint.host, "zipkin.tracing");
  EXPECT_EQ(s.zipkin.endpoint.port, 19411);
  EXPECT_EQ(s.zipkin.endpoint.target, "/custom/spans?x=1") << "used as is, nothing appended";
  EXPECT_EQ(s.zipkin.timeout, 2500ms);
  EXPECT_EQ(s.otlp.timeout, 700ms) << "each exporter its own timeout";
  EXPECT_EQ(read({{"OTEL_EXPORTER_ZIPKIN_ENDPOINT", "http://zipkin"}}).zipkin.endpoint.port, 80);
  EXPECT_EQ(read({{"OTEL_TRACES_EXPORTER", "zipkin"}, {"OTEL_SDK_DISABLED", "true"}}).exporter,
            arbiter::otel_settings::exporter_kind::none)
      << "a disabled SDK exports nothing";
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

TEST(otel_env, the_traces_protocol_wins_over_the_general_one) {
  using arbiter::otlp_protocol;
  EXPECT_EQ(read({{"OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"}}).otlp.protocol, otlp_protocol::http_json);
  EXPECT_EQ(read({{"OTEL_EXPORTER_OTLP_PROTOCOL", " http/protobuf "}}).otlp.protocol, otlp_protocol::http_protobuf);
  EXPECT_EQ(read({{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "HTTP/JSON"}}).otlp.protocol, otlp_protocol::http_json);
  EXPECT_EQ(
      read({{"OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"}, {"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/protobuf"}})
          .otlp.protocol,
      otlp_protocol::http_protobuf);
  EXPECT_EQ(
      read({{"OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"}, {"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/json"}})
          .otlp.protocol,
      otlp_protocol::http_json);
  EXPECT_EQ(read({{"OTEL_EXPORTER_OTLP_PROTOCOL", ""}}).otlp.protocol, otlp_protocol::http_protobuf) << "empty: unset";
  EXPECT_EQ(arbiter::to_string(otlp_protocol::http_protobuf), "http/protobuf");
  EXPECT_EQ(arbiter::to_string(otlp_protocol::http_json), "http/json");
}

TEST(otel_env, an_unknown_protocol_names_the_variable_and_what_is_accepted) {
  for (const char* variable : {"OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"}) {
    const std::string message = error_of({{variable, "grpc"}});
    EXPECT_NE(message.find(std::string(variable) + "=\"grpc\""), std::string::npos) << message;
    EXPECT_NE(message.find("http/protobuf"), std::string::npos) << message;
    EXPECT_NE(message.find("http/json"), std::string::npos) << message;
  }
  // The traces variable is read first: its bad value is the one named, even with a good general value.
  const std::string message =
      error_of({{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/xml"}, {"OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"}});
  EXPECT_NE(message.find("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=\"http/xml\""), std::string::npos) << message;
}

TEST(otel_env, bad_values_name_the_variable_and_the_value) {
  const auto expect_error = [](const env& vars, const std::string& needle) {
    const std::string message = error_of(vars);
    EXPECT_NE(message.find(vars.begin()->first), std::string::npos) << message;
    EXPECT_NE(message.find(needle), std::string::npos) << message;
  };
  expect_error({{"OTEL_SDK_DISABLED", "yes"}}, "\"yes\"");
  expect_error({{"OTEL_TRACES_EXPORTER", "jaeger"}}, "\"jaeger\"");
  expect_error({{"OTEL_TRACES_EXPORTER", "jaeger"}}, "otlp, zipkin, console or none");
  expect_error({{"OTEL_EXPORTER_ZIPKIN_ENDPOINT", "zipkin:9411/api/v2/spans"}}, "not an http:// or https:// URL");
  expect_error({{"OTEL_EXPORTER_ZIPKIN_ENDPOINT", "http://zipkin:0/api/v2/spans"}}, "\"0\"");
  expect_error({{"OTEL_EXPORTER_ZIPKIN_ENDPOINT", "http://zipkin:9411/api v2"}}, "a space");
  expect_error({{"OTEL_EXPORTER_ZIPKIN_TIMEOUT", "10s"}}, "\"10s\"");
  expect_error({{"OTEL_EXPORTER_ZIPKIN_TIMEOUT", "0"}}, "a positive number of milliseconds");
  expect_error({{"OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318"}}, "not an http:// or https:// URL");
  expect_error({{"OTEL_EXPORTER_OTLP_ENDPOINT", "grpc://collector:4317"}}, "not an http:// or https:// URL");
  expect_error({{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://collector:99999/v1/traces"}}, "99999");
  expect_error({{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://:4318/v1/traces"}}, "no host");
  expect_error({{"OTEL_EXPORTER_OTLP_HEADERS", "novalue"}}, "no '='");
  expect_error({{"OTEL_EXPORTER_OTLP_HEADERS", "k=%zz"}}, "broken % escape");
  expect_error({{"OTEL_RESOURCE_ATTRIBUTES", "novalue"}}, "\"novalue\"");
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

// --- headers: nothing from OTEL_EXPORTER_OTLP_[TRACES_]HEADERS can add a line to the request ---

/// Checks that reading `vars` fails with a message holding every `needles` and none of `secrets`.
void expect_refused(const env& vars, const std::vector<std::string>& needles, const std::vector<std::string>& secrets) {
  const std::string message = error_of(vars);
  for (const auto& needle : needles) EXPECT_NE(message.find(needle), std::string::npos) << needle << " in " << message;
  for (const auto& secret : secrets) EXPECT_EQ(message.find(secret), std::string::npos) << secret << " in " << message;
  EXPECT_EQ(message.find_first_of("\r\n"), std::string::npos) << "the message is one line: " << message;
}

TEST(otel_env, header_values_with_cr_lf_or_control_characters_are_refused_without_echoing_them) {
  expect_refused({{"OTEL_EXPORTER_OTLP_HEADERS", "api-key=s3cret%0D%0Ax-evil:%201"}},
                 {"OTEL_EXPORTER_OTLP_HEADERS", "\"api-key\"", "carriage return", "byte 7"}, {"s3cret", "x-evil"});
  expect_refused({{"OTEL_EXPORTER_OTLP_HEADERS", "api-key=s3cret%0Ax-evil:%201"}}, {"line feed", "byte 7"},
                 {"s3cret", "x-evil"});
  expect_refused({{"OTEL_EXPORTER_OTLP_HEADERS", "x-tenant=acme,api-key=s3cret\r\nx-evil: 1"}},
                 {"OTEL_EXPORTER_OTLP_HEADERS", "\"api-key\"", "carriage return"}, {"s3cret", "x-evil"});
  expect_refused({{"OTEL_EXPORTER_OTLP_TRACES_HEADERS", "api-key=s3cret%00"}},
                 {"OTEL_EXPORTER_OTLP_TRACES_HEADERS", "\"api-key\"", "NUL"}, {"s3cret"});
  expect_refused({{"OTEL_EXPORTER_OTLP_HEADERS", "k=s3cret%7F"}}, {"\"k\"", "0x7F"}, {"s3cret"});
  expect_refused({{"OTEL_EXPORTER_OTLP_HEADERS", "k=s3cret%1B"}}, {"\"k\"", "0x1B"}, {"s3cret"});
  // A tab and bytes above 0x7F (obs-text) are allowed in a field value.
  const auto s = read({{"OTEL_EXPORTER_OTLP_HEADERS", "k=a%09b,l=caf%C3%A9"}});
  ASSERT_EQ(s.otlp.headers.size(), 2U);
  EXPECT_EQ(s.otlp.headers[0].second, "a\tb");
  EXPECT_EQ(s.otlp.headers[1].second, "caf\xC3\xA9");
}

TEST(otel_env, header_names_must_be_http_tokens) {
  expect_refused({{"OTEL_EXPORTER_OTLP_HEADERS", "x tenant=s3cret"}},
                 {"OTEL_EXPORTER_OTLP_HEADERS", "\"x tenant\"", "a space at byte 2", "token"}, {"s3cret"});
  expect_refused({{"OTEL_EXPORTER_OTLP_TRACES_HEADERS", "x:tenant=s3cret"}},
                 {"OTEL_EXPORTER_OTLP_TRACES_HEADERS", "':' at byte 2"}, {"s3cret"});
  expect_refused({{"OTEL_EXPORTER_OTLP_HEADERS", "x\ntenant=s3cret"}}, {"\"x\\ntenant\"", "line feed"}, {"s3cret"});
  EXPECT_EQ(read({{"OTEL_EXPORTER_OTLP_HEADERS", "X-Scope-OrgID=acme"}}).otlp.headers.at(0).first, "X-Scope-OrgID");
  // Headers that frame the request are the exporter's: one from outside would desynchronise it from its body.
  expect_refused({{"OTEL_EXPORTER_OTLP_HEADERS", "Transfer-Encoding=chunked"}},
                 {"OTEL_EXPORTER_OTLP_HEADERS", "\"Transfer-Encoding\"", "set by the exporter"}, {"chunked"});
  expect_refused({{"OTEL_EXPORTER_OTLP_HEADERS", "content-length=0"}}, {"\"content-length\""}, {});
  expect_refused({{"OTEL_EXPORTER_OTLP_HEADERS", "Host=elsewhere"}}, {"\"Host\""}, {"elsewhere"});
}

TEST(otel_env, malformed_headers_are_reported_without_echoing_what_may_be_a_token) {
  expect_refused({{"OTEL_EXPORTER_OTLP_HEADERS", "Authorization: Bearer s3cret"}},
                 {"OTEL_EXPORTER_OTLP_HEADERS", "member 1", "no '='"}, {"s3cret", "Bearer"});
  expect_refused({{"OTEL_EXPORTER_OTLP_HEADERS", "a=1,api-key=s3cret%zz"}},
                 {"OTEL_EXPORTER_OTLP_HEADERS", "\"api-key\"", "broken % escape", "byte 7"}, {"s3cret"});
  expect_refused({{"OTEL_EXPORTER_OTLP_HEADERS", "=s3cret"}}, {"OTEL_EXPORTER_OTLP_HEADERS", "member 1", "no name"},
                 {"s3cret"});
}

// --- endpoints: one clear message at configuration time for every URL the exporter cannot use ---

TEST(otel_env, https_endpoints_are_taken_with_port_443_by_default) {
  auto s = read({{"OTEL_EXPORTER_OTLP_ENDPOINT", "https://collector"}});
  EXPECT_TRUE(s.otlp.endpoint.https);
  EXPECT_EQ(s.otlp.endpoint.scheme(), "https");
  EXPECT_EQ(s.otlp.endpoint.host, "collector");
  EXPECT_EQ(s.otlp.endpoint.port, 443);
  EXPECT_EQ(s.otlp.endpoint.target, "/v1/traces");
  s = read({{"OTEL_EXPORTER_OTLP_ENDPOINT", "HTTPS://collector:4318/otlp/"}});
  EXPECT_TRUE(s.otlp.endpoint.https);
  EXPECT_EQ(s.otlp.endpoint.port, 4318);
  EXPECT_EQ(s.otlp.endpoint.target, "/otlp/v1/traces");
  s = read({{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "https://[::1]/traces"}});
  EXPECT_TRUE(s.otlp.endpoint.https);
  EXPECT_EQ(s.otlp.endpoint.host, "::1");
  EXPECT_EQ(s.otlp.endpoint.port, 443);
  EXPECT_EQ(s.otlp.endpoint.target, "/traces");
  s = read({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector"}});
  EXPECT_FALSE(s.otlp.endpoint.https);
  EXPECT_EQ(s.otlp.endpoint.port, 80);
}

TEST(otel_env, other_schemes_and_hostless_urls_are_refused_with_the_url_as_written) {
  expect_refused({{"OTEL_EXPORTER_OTLP_ENDPOINT", "https://"}}, {"\"https://\"", "no host"}, {"https:/v1/traces"});
  expect_refused({{"OTEL_EXPORTER_OTLP_ENDPOINT", "ftp://collector"}},
                 {"\"ftp://collector\"", "not an http:// or https:// URL"}, {"/v1/traces"});
  expect_refused({{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "httpss://collector/v1/traces"}},
                 {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "not an http:// or https:// URL"}, {});
}

TEST(otel_env, user_info_is_refused_without_echoing_the_password) {
  expect_refused({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://user:s3cret@collector:4318"}},
                 {"OTEL_EXPORTER_OTLP_ENDPOINT", "user info", "OTEL_EXPORTER_OTLP_HEADERS"}, {"s3cret"});
  expect_refused({{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "https://user:s3cret@collector/v1/traces"}},
                 {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"}, {"s3cret"});
  expect_refused({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://s3cret@collector"}}, {"user info"}, {"s3cret"});
}

TEST(otel_env, bad_hosts_and_ports_are_refused_at_configuration_time) {
  expect_refused({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://col lector:4318"}},
                 {"OTEL_EXPORTER_OTLP_ENDPOINT", "host \"col lector\"", "a space at byte 4"}, {});
  expect_refused({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector\r\nx-evil:4318"}},
                 {"host", "carriage return", "\\r\\n"}, {});
  expect_refused({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://"}}, {"OTEL_EXPORTER_OTLP_ENDPOINT", "no host"}, {});
  expect_refused({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://:4318"}}, {"no host"}, {});
  expect_refused({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://[]:4318"}}, {"no host"}, {});
  expect_refused({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://[::1 ]:4318"}}, {"host", "space"}, {});
  expect_refused({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://a:1:2"}}, {"host", "':'", "IPv6"}, {});
  for (const std::string port : {"abc", "0", "65536", "99999", "", "-1", "+80", "80a", "123456789012"}) {
    expect_refused({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:" + port}},
                   {"OTEL_EXPORTER_OTLP_ENDPOINT", "port \"" + port + "\"", "1 to 65535"}, {});
  }
  EXPECT_EQ(read({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:65535"}}).otlp.endpoint.port, 65535);
  EXPECT_EQ(read({{"OTEL_EXPORTER_OTLP_ENDPOINT", "HTTP://Collector.example_1"}}).otlp.endpoint.host,
            "Collector.example_1");
}

TEST(otel_env, endpoint_paths_with_spaces_or_control_characters_are_refused) {
  expect_refused({{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://collector:4318/v1/my traces"}},
                 {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "path", "a space at byte 7", "percent-encode"}, {});
  expect_refused({{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://collector/v1/traces HTTP/1.1\r\nX-Evil: 1"}},
                 {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "path", "a space"}, {});
  expect_refused({{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://collector/v1\r\nX-Evil:1"}},
                 {"path", "carriage return", "\\r\\nX-Evil"}, {});
  expect_refused({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector/base\n"}},
                 {"OTEL_EXPORTER_OTLP_ENDPOINT", "line feed"}, {});
  expect_refused({{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://collector/v1%0"}}, {"path", "broken % escape"}, {});
  expect_refused({{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://collector/v1/traces#top"}}, {"fragment"}, {});
  // Percent-encoded bytes are legal in a path: they travel encoded, so an encoded CR LF cannot break the line.
  EXPECT_EQ(read({{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://c/v1/my%20traces%0D%0A"}}).otlp.endpoint.target,
            "/v1/my%20traces%0D%0A");
  // The base URL's own path is kept and /v1/traces goes after it, before a query.
  EXPECT_EQ(read({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318/otlp/"}}).otlp.endpoint.target, "/otlp/v1/traces");
  EXPECT_EQ(read({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318/otlp?tenant=a"}}).otlp.endpoint.target,
            "/otlp/v1/traces?tenant=a");
}

TEST(otel_env, http_endpoint_validate_checks_what_was_set_field_by_field) {
  arbiter::http_endpoint e;
  EXPECT_NO_THROW(e.validate("endpoint"));
  e.target = "/v1/traces\r\nX-Evil: 1";
  EXPECT_THROW(e.validate("endpoint"), std::invalid_argument);
  e = {};
  e.host = "a b";
  EXPECT_THROW(e.validate("endpoint"), std::invalid_argument);
  e = {};
  e.port = 0;
  EXPECT_THROW(e.validate("endpoint"), std::invalid_argument);
  e = {};
  e.target = "v1/traces";
  EXPECT_THROW(e.validate("endpoint"), std::invalid_argument);
}

// --- resource attributes: one attribute per key, the later value wins ---

/// Counts how often `"key"` appears in the OTLP resource `s` encodes.
std::size_t encoded_keys(const arbiter::otel_settings& s, const std::string& key) {
  const std::string json = arbiter::otlp_json({}, s.otlp.resource);
  std::size_t count = 0;
  for (auto at = json.find("\"key\":\"" + key + "\""); at != std::string::npos;
       at = json.find("\"key\":\"" + key + "\"", at + 1)) {
    ++count;
  }
  return count;
}

TEST(otel_env, a_repeated_resource_attribute_key_keeps_the_later_value_once) {
  const auto s = read({{"OTEL_RESOURCE_ATTRIBUTES", "team=a,host.name=h,team=b,team=c"}});
  ASSERT_EQ(s.otlp.resource.attributes.size(), 2U);
  EXPECT_EQ(s.otlp.resource.attributes[0].first, "team");
  EXPECT_EQ(s.otlp.resource.attributes[0].second, arbiter::attribute_value(std::string("c")));
  EXPECT_EQ(s.otlp.resource.attributes[1].first, "host.name");
  EXPECT_EQ(encoded_keys(s, "team"), 1U);

  const auto t = read({{"OTEL_RESOURCE_ATTRIBUTES",
                        "service.name=a,service.name=b,deployment.environment=x,deployment.environment.name=y"}});
  EXPECT_EQ(t.otlp.resource.service_name, "b");
  EXPECT_EQ(t.otlp.resource.deployment_environment, "y");
  EXPECT_EQ(encoded_keys(t, "service.name"), 1U);
  EXPECT_EQ(encoded_keys(t, "deployment.environment"), 1U);
  EXPECT_EQ(encoded_keys(t, "deployment.environment.name"), 0U);

  // OTEL_SERVICE_NAME wins over service.name from OTEL_RESOURCE_ATTRIBUTES, whatever the order.
  const auto u = read({{"OTEL_RESOURCE_ATTRIBUTES", "service.name=a"}, {"OTEL_SERVICE_NAME", "orders"}});
  EXPECT_EQ(u.otlp.resource.service_name, "orders");
  EXPECT_EQ(encoded_keys(u, "service.name"), 1U);
}

TEST(otel_env, resource_attributes_merge_over_the_defaults_one_key_once) {
  arbiter::otel_settings defaults;
  defaults.otlp.resource.attributes = {{"team", std::string("from-defaults")}, {"region", std::string("eu")}};
  const env vars{{"OTEL_RESOURCE_ATTRIBUTES", "team=from-env"}};
  const auto s = arbiter::read_otel_environment(
      [&vars](const char* name) -> const char* {
        const auto it = vars.find(name);
        return it == vars.end() ? nullptr : it->second.c_str();
      },
      defaults);
  ASSERT_EQ(s.otlp.resource.attributes.size(), 2U);
  EXPECT_EQ(s.otlp.resource.attributes[0].second, arbiter::attribute_value(std::string("from-env")));
  EXPECT_EQ(encoded_keys(s, "team"), 1U);
}

TEST(otel_env, set_resource_attribute_is_the_one_merge) {
  arbiter::otlp_resource r;
  arbiter::set_resource_attribute(r, "team", std::string("a"));
  arbiter::set_resource_attribute(r, "team", std::int64_t{7});
  arbiter::set_resource_attribute(r, "service.name", std::string("orders"));
  arbiter::set_resource_attribute(r, "deployment.environment.name", std::string("prod"));
  ASSERT_EQ(r.attributes.size(), 1U);
  EXPECT_EQ(r.attributes[0].second, arbiter::attribute_value(std::int64_t{7}));
  EXPECT_EQ(r.service_name, "orders");
  EXPECT_EQ(r.deployment_environment, "prod");
}

}  // namespace

namespace {

TEST(otel_env, compression_is_gzip_or_none_and_the_traces_variable_wins) {
  EXPECT_EQ(read({}).otlp.compression, arbiter::http_compression::none);
  EXPECT_EQ(read({{"OTEL_EXPORTER_OTLP_COMPRESSION", "gzip"}}).otlp.compression, arbiter::http_compression::gzip);
  EXPECT_EQ(read({{"OTEL_EXPORTER_OTLP_COMPRESSION", " GZIP "}}).otlp.compression, arbiter::http_compression::gzip);
  EXPECT_EQ(read({{"OTEL_EXPORTER_OTLP_COMPRESSION", "none"}}).otlp.compression, arbiter::http_compression::none);
  EXPECT_EQ(read({{"OTEL_EXPORTER_OTLP_COMPRESSION", "gzip"}, {"OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "none"}})
                .otlp.compression,
            arbiter::http_compression::none);
  EXPECT_EQ(read({{"OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "gzip"}}).otlp.compression,
            arbiter::http_compression::gzip);
}

TEST(otel_env, unknown_compression_names_the_variable_and_the_choices) {
  const std::string what = error_of({{"OTEL_EXPORTER_OTLP_COMPRESSION", "zstd"}});
  EXPECT_NE(what.find("OTEL_EXPORTER_OTLP_COMPRESSION=\"zstd\""), std::string::npos) << what;
  EXPECT_NE(what.find("gzip or none"), std::string::npos) << what;
  const std::string traces = error_of({{"OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "deflate"}});
  EXPECT_NE(traces.find("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION=\"deflate\""), std::string::npos) << traces;
}

}  // namespace

namespace {

TEST(otel_env, content_type_and_content_encoding_are_the_exporters_own_headers) {
  for (const char* name : {"Content-Type", "content-encoding"}) {
    try {
      arbiter::detail::check_http_header("OTEL_EXPORTER_OTLP_HEADERS", name, "gzip");
      ADD_FAILURE() << name << " was accepted";
    } catch (const std::invalid_argument& error) {
      EXPECT_NE(std::string(error.what()).find("is set by the exporter itself"), std::string::npos) << error.what();
      EXPECT_NE(std::string(error.what()).find("OTEL_EXPORTER_OTLP_HEADERS"), std::string::npos) << error.what();
    }
  }
}

TEST(otel_env, a_directory_is_not_a_readable_certificate_file) {
  try {
    arbiter::detail::check_readable_file("OTEL_EXPORTER_OTLP_CERTIFICATE", "/");
    FAIL() << "a directory was taken for a file";
  } catch (const std::invalid_argument& error) {
    EXPECT_EQ(std::string(error.what()), "OTEL_EXPORTER_OTLP_CERTIFICATE: cannot read the file \"/\": Is a directory");
  }
}

}  // namespace
