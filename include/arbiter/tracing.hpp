#pragma once

/// \file
/// Everything in the tracing area except the HTTP exporters, which pull in Asio and Beast: include
/// <arbiter/tracing/otlp_http_exporter.hpp> (or <arbiter/tracing/zipkin_exporter.hpp>) where you build the exporter;
/// and the bridge from the orchestrator's config, <arbiter/tracing/otel_config.hpp>, which pulls in the config area
/// (Boost.Hana).

#include <arbiter/tracing/active_span.hpp>
#include <arbiter/tracing/attribute.hpp>
#include <arbiter/tracing/baggage.hpp>
#include <arbiter/tracing/batch_processor.hpp>
#include <arbiter/tracing/exporter.hpp>
#include <arbiter/tracing/ids.hpp>
#include <arbiter/tracing/json_lines_exporter.hpp>
#include <arbiter/tracing/null_tracer.hpp>
#include <arbiter/tracing/otel_env.hpp>
#include <arbiter/tracing/otlp_json.hpp>
#include <arbiter/tracing/propagation.hpp>
#include <arbiter/tracing/recording_tracer.hpp>
#include <arbiter/tracing/sampler.hpp>
#include <arbiter/tracing/scoped_span.hpp>
#include <arbiter/tracing/sdk_tracer.hpp>
#include <arbiter/tracing/span_context.hpp>
#include <arbiter/tracing/span_data.hpp>
#include <arbiter/tracing/trace.hpp>
#include <arbiter/tracing/trace_context.hpp>
#include <arbiter/tracing/tracer.hpp>
#include <arbiter/tracing/zipkin_json.hpp>
