#pragma once

/// \file
/// Everything in the tracing area.

#include <arbiter/tracing/attribute.hpp>
#include <arbiter/tracing/ids.hpp>
#include <arbiter/tracing/null_tracer.hpp>
#include <arbiter/tracing/recording_tracer.hpp>
#include <arbiter/tracing/scoped_span.hpp>
#include <arbiter/tracing/span_context.hpp>
#include <arbiter/tracing/trace.hpp>
#include <arbiter/tracing/tracer.hpp>
