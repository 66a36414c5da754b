#pragma once

/// \file
/// `arbiter::orchestrator_config`: the seed's configuration with sensible defaults. The other parts of arbiter
/// read their settings from its sections (resilience for breakers, health for probes, shutdown for draining).
/// Environment variables: ARBITER_<SECTION>_<FIELD>, e.g. ARBITER_SERVER_PORT, ARBITER_RESILIENCE_OPEN_TIMEOUT.

#include <array>
#include <cstdint>
#include <string>

#include <arbiter/config/byte_size.hpp>
#include <arbiter/config/config.hpp>
#include <arbiter/config/constraints.hpp>
#include <arbiter/config/detail/adapt_struct.hpp>
#include <arbiter/config/enum_names.hpp>
#include <arbiter/config/global.hpp>
#include <arbiter/config/secret.hpp>
#include <arbiter/detail/chrono.hpp>
#include <arbiter/logging/level.hpp>

namespace arbiter::inline v1 {

/// Where the service runs; some defaults (log level, sampling) are chosen per environment by the app.
enum class deployment_environment : std::uint8_t { development, staging, production, test };

[[nodiscard]] constexpr auto enum_entries(deployment_environment /*tag*/) noexcept {
  using e = enum_entry<deployment_environment>;
  return std::array{e{deployment_environment::development, "development"},
                    e{deployment_environment::staging, "staging"}, e{deployment_environment::production, "production"},
                    e{deployment_environment::test, "test"}};
}

/// Returns the name of an environment ("production").
[[nodiscard]] constexpr std::string_view to_string(deployment_environment value) noexcept { return enum_name(value); }

/// The HTTP endpoint (probes, metrics). Both fields need a restart: the socket is bound once.
struct server_settings {
  std::string host = "0.0.0.0";
  std::uint16_t port = 8080;

  static constexpr auto config_rules =
      rules(field<"host">(non_empty, restart_only), field<"port">(range(1, 65535), restart_only));
};

/// The agent registry: how many agents it tracks and how long lookups are cached.
struct agent_registry_settings {
  std::uint32_t max_agents = 100;
  bool enable_caching = true;
  std::chrono::milliseconds cache_ttl{std::chrono::minutes(5)};

  static constexpr auto config_rules =
      rules(field<"max_agents">(range(1, 1'000'000)),
            field<"cache_ttl">(range(std::chrono::milliseconds(1), std::chrono::hours(24))));
};

/// Task routing: per-task time limits and how often routing explores a non-best agent.
struct task_routing_settings {
  std::chrono::milliseconds default_timeout{std::chrono::seconds(30)};
  std::chrono::milliseconds max_timeout{std::chrono::minutes(5)};
  double exploration_rate = 0.1;
  std::uint32_t max_retries = 3;

  static constexpr auto config_rules =
      rules(field<"default_timeout">(min(std::chrono::milliseconds(1))),
            field<"max_timeout">(min(std::chrono::milliseconds(1))), field<"exploration_rate">(range(0.0, 1.0)),
            field<"max_retries">(max(100)));

  /// Rejects a default timeout above the maximum.
  void validate(validation_context& context) const {
    if (default_timeout > max_timeout) {
      context.fail("default_timeout",
                   value_text(default_timeout) + " is above task_routing.max_timeout (" + value_text(max_timeout) + ")",
                   {"max_timeout"});
    }
  }
};

/// Performance tracking: the in-memory buffer of samples and how often it is flushed.
struct performance_tracking_settings {
  bool enabled = true;
  std::uint32_t buffer_capacity = 1000;
  byte_size max_buffer_bytes{std::uint64_t{1} << 20};  // 1 MiB
  std::chrono::milliseconds flush_interval{std::chrono::seconds(10)};

  static constexpr auto config_rules = rules(field<"buffer_capacity">(range(1, 10'000'000)),
                                             field<"flush_interval">(min(std::chrono::milliseconds(10))));
};

/// Observability: tracing, metrics and logging switches.
struct observability_settings {
  std::string service_name = "arbiter";
  std::string service_version;  ///< the `service.version` resource attribute; empty leaves it out
  bool tracing_enabled = true;
  double trace_sample_rate = 1.0;
  std::string otlp_endpoint = "http://127.0.0.1:4318";  ///< the collector's base URL; /v1/traces is appended
  bool metrics_enabled = true;
  ::arbiter::log_level log_level = ::arbiter::log_level::info;
  std::string log_format = "logfmt";

  static constexpr auto config_rules =
      rules(field<"service_name">(non_empty), field<"trace_sample_rate">(range(0.0, 1.0)),
            field<"log_format">(one_of("logfmt", "json")));
};

/// Resilience: circuit breaker thresholds and timeouts (the seed's 5 / 2 / 5000 ms / 5000 ms).
struct resilience_settings {
  std::uint32_t failure_threshold = 5;
  std::uint32_t success_threshold = 2;
  std::chrono::milliseconds open_timeout{5000};
  std::chrono::milliseconds operation_timeout{5000};

  static constexpr auto config_rules =
      rules(field<"failure_threshold">(range(1, 10'000)),
            field<"success_threshold">(range(1, 4095)),  // the breaker's limit: breaker_options::max_half_open_count
            field<"open_timeout">(min(std::chrono::milliseconds(1))),
            field<"operation_timeout">(min(std::chrono::milliseconds(1))));
};

/// Health checking: how often checks run and how long one may take.
struct health_settings {
  std::chrono::milliseconds check_interval{std::chrono::seconds(10)};
  std::chrono::milliseconds check_timeout{std::chrono::seconds(2)};

  static constexpr auto config_rules = rules(field<"check_interval">(min(std::chrono::milliseconds(10))),
                                             field<"check_timeout">(min(std::chrono::milliseconds(1))));

  /// Rejects a check timeout longer than the interval, which would let checks pile up.
  void validate(validation_context& context) const {
    if (check_timeout > check_interval) {
      context.fail(
          "check_timeout",
          value_text(check_timeout) + " is longer than health.check_interval (" + value_text(check_interval) + ")",
          {"check_interval"});
    }
  }
};

/// Graceful shutdown: the overall time allowed to drain and run hooks (the seed's 30000 ms).
struct shutdown_settings {
  std::chrono::milliseconds timeout{30000};

  static constexpr auto config_rules = rules(field<"timeout">(min(std::chrono::milliseconds(1))));
};

/// The HTTP admin server (arbiter/http/admin_server.hpp, an optional part): probes, /metrics, /config, the status
/// page. It binds to the loopback interface by default; port 0 picks a free port (the bound one is logged). The
/// write actions (forcing breakers, reloading the config) are off unless enabled, and then need the bearer token.
struct admin_settings {
  std::string host = "127.0.0.1";
  std::uint16_t port = 9901;
  std::chrono::milliseconds read_timeout{
      std::chrono::seconds(5)};  ///< a request (or an idle keep-alive) must come in this time
  std::uint32_t max_connections = 64;
  bool enable_write_actions = false;
  secret<std::string> token;  ///< the bearer token of the write actions

  static constexpr auto config_rules =
      rules(field<"host">(non_empty, restart_only), field<"port">(restart_only),
            field<"read_timeout">(range(std::chrono::milliseconds(1), std::chrono::minutes(10)), restart_only),
            field<"max_connections">(range(1, 100'000), restart_only), field<"enable_write_actions">(restart_only),
            field<"token">(restart_only));

  /// Rejects write actions without a token: anyone who reaches the port could force a breaker open.
  void validate(validation_context& context) const {
    if (enable_write_actions && token.reveal().empty()) {
      context.fail("token", "is empty while admin.enable_write_actions is true: set a bearer token",
                   {"enable_write_actions"});
    }
  }
};

/// The orchestrator's whole configuration.
struct orchestrator_config {
  deployment_environment environment = deployment_environment::development;
  server_settings server;
  agent_registry_settings agent_registry;
  task_routing_settings task_routing;
  performance_tracking_settings performance_tracking;
  observability_settings observability;
  resilience_settings resilience;
  health_settings health;
  shutdown_settings shutdown;
  admin_settings admin;
};

/// Returns the global orchestrator config (the seed's getConfig()): the installed one, or defaults plus the
/// ARBITER_* environment on first use. Tests call `global_config<orchestrator_config>::reset()`. A template
/// only so that including this header does not compile the loader until a program calls it.
template <class Schema = orchestrator_config>
[[nodiscard]] snapshot<Schema> get_config() {
  return global_config<Schema>::current();
}

}  // namespace arbiter::inline v1

ARBITER_DETAIL_ADAPT_STRUCT(arbiter::server_settings, host, port);
ARBITER_DETAIL_ADAPT_STRUCT(arbiter::agent_registry_settings, max_agents, enable_caching, cache_ttl);
ARBITER_DETAIL_ADAPT_STRUCT(arbiter::task_routing_settings, default_timeout, max_timeout, exploration_rate,
                            max_retries);
ARBITER_DETAIL_ADAPT_STRUCT(arbiter::performance_tracking_settings, enabled, buffer_capacity, max_buffer_bytes,
                            flush_interval);
ARBITER_DETAIL_ADAPT_STRUCT(arbiter::observability_settings, service_name, service_version, tracing_enabled,
                            trace_sample_rate, otlp_endpoint, metrics_enabled, log_level, log_format);
ARBITER_DETAIL_ADAPT_STRUCT(arbiter::resilience_settings, failure_threshold, success_threshold, open_timeout,
                            operation_timeout);
ARBITER_DETAIL_ADAPT_STRUCT(arbiter::health_settings, check_interval, check_timeout);
ARBITER_DETAIL_ADAPT_STRUCT(arbiter::shutdown_settings, timeout);
ARBITER_DETAIL_ADAPT_STRUCT(arbiter::admin_settings, host, port, read_timeout, max_connections, enable_write_actions,
                            token);
ARBITER_DETAIL_ADAPT_STRUCT(arbiter::orchestrator_config, environment, server, agent_registry, task_routing,
                            performance_tracking, observability, resilience, health, shutdown, admin);
