#pragma once

/// \file
/// The umbrella header: every area of arbiter except opt-in headers with heavy dependencies
/// (the spdlog adapter, the JSON and TOML config sources, the OTLP/HTTP exporter).

#include <arbiter/clock.hpp>
#include <arbiter/config.hpp>
#include <arbiter/health.hpp>
#include <arbiter/lifecycle.hpp>
#include <arbiter/logging.hpp>
#include <arbiter/metrics.hpp>
#include <arbiter/resilience.hpp>
#include <arbiter/tracing.hpp>
#include <arbiter/tracing/otel_config.hpp>  // the tracing area leaves it out (it needs config)
#include <arbiter/version.hpp>
