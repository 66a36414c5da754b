#pragma once

/// \file
/// The tracing settings a service's configuration asks for: `observability.*` and `environment` of
/// orchestrator_config become the defaults under the standard OTEL_* variables.
///
/// - `observability.service_name`, `observability.service_version` and `environment`: the resource attributes
///   `service.name`, `service.version` and `deployment.environment`;
/// - `observability.otlp_endpoint`: the collector's base URL (`/v1/traces` is appended to its path), as
///   OTEL_EXPORTER_OTLP_ENDPOINT, and checked as it is (http_endpoint::parse_base);
/// - `observability.trace_sample_rate`: `parent_based<trace_id_ratio>` with that ratio;
/// - `observability.tracing_enabled = false`: OTEL_SDK_DISABLED=true.
///
/// An OTEL_* variable that is set (and not empty) wins over the config, as in every OpenTelemetry SDK: platforms
/// (the OpenTelemetry Operator, a collector sidecar) inject them and expect them to be honoured. The config's own
/// values are still checked: a bad `observability.otlp_endpoint` is an error even when a variable overrides it.

#include <concepts>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include <arbiter/config/orchestrator_config.hpp>
#include <arbiter/config/snapshot.hpp>
#include <arbiter/detail/functional.hpp>
#include <arbiter/tracing/otel_env.hpp>

namespace arbiter::inline v1 {

/// Returns the settings `config` asks for, before any OTEL_* variable. Throws std::invalid_argument for an
/// endpoint the exporter cannot use, naming the key and where its value came from.
/// `Schema` is orchestrator_config or a schema derived from it (an orchestrator's service_schema).
/// (A template only so that the reflection of orchestrator_config is instantiated where this is called, not in
/// every translation unit of the umbrella header: about 0.5 s of compile time.)
template <class Schema>
requires std::derived_from<Schema, orchestrator_config>
[[nodiscard]] otel_settings otel_defaults_from(const snapshot<Schema>& config) {
  const observability_settings& o = config->observability;
  otel_settings s;
  set_resource_attribute(s.otlp.resource, "service.name", o.service_name);
  set_resource_attribute(s.otlp.resource, "service.version", o.service_version);
  set_resource_attribute(s.otlp.resource, "deployment.environment", std::string(to_string(config->environment)));
  std::string where = "observability.otlp_endpoint";
  if (const value_origin* origin = config.origin(where)) where += " (from " + origin->describe() + ")";
  s.otlp.endpoint = http_endpoint::parse_base(o.otlp_endpoint, where);  // the checks the variables get
  s.sampler = configured_sampler(configured_sampler::kind::parent_based_trace_id_ratio, o.trace_sample_rate);
  s.sdk_disabled = !o.tracing_enabled;  // read_otel_environment turns the sampler and exporter off (or
                                        // OTEL_SDK_DISABLED=false turns tracing back on)
  return s;
}

/// Returns the tracing settings for a service: `config`'s (see the file comment) with the OTEL_* variables read
/// through `lookup` on top. Throws std::invalid_argument naming the bad key or variable and its value.
template <class Schema>
requires std::derived_from<Schema, orchestrator_config>
[[nodiscard]] otel_settings tracing_settings_from(
    const snapshot<Schema>& config,
    const std::function<const char*(const char*)>& lookup = [](const char* name) { return std::getenv(name); }) {
  return read_otel_environment(lookup, otel_defaults_from(config));
}

}  // namespace arbiter::inline v1
