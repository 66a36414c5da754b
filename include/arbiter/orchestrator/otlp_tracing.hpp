#pragma once

/// \file
/// `with_tracer<otlp_tracing>`: the orchestrator's tracer exports to an OpenTelemetry collector over OTLP/HTTP
/// (or to the console, or nowhere, as OTEL_TRACES_EXPORTER says), built from observability.* and the OTEL_*
/// variables. Opt-in: it pulls in Asio and Beast (about 3 s of compile time).

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp needs std::exchange

#include <arbiter/orchestrator/sdk_tracing.hpp>
#include <arbiter/tracing/otlp_http_exporter.hpp>

namespace arbiter::inline v1 {

/// The SDK tracer over a batch processor of configured_exporter (OTLP/HTTP by default).
using otlp_tracing = sdk_tracing<configured_exporter>;

}  // namespace arbiter::inline v1
