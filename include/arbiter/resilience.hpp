#pragma once

/// \file
/// Every resilience header: circuit_breaker<> with its options, detectors, sync, timing, classifier and stats
/// policies; retry<> with its backoffs and budget; bulkhead<>; rate_limiter<>; time_limiter<> (a deadline for a
/// cooperative call) with what it reports (timeout.hpp); pipeline<> composing them around one call.

#include <arbiter/resilience/backoff.hpp>
#include <arbiter/resilience/breaker_options.hpp>
#include <arbiter/resilience/breaker_result.hpp>
#include <arbiter/resilience/breaker_state.hpp>
#include <arbiter/resilience/bulkhead.hpp>
#include <arbiter/resilience/circuit_breaker.hpp>
#include <arbiter/resilience/detectors.hpp>
#include <arbiter/resilience/outcome.hpp>
#include <arbiter/resilience/pipeline.hpp>
#include <arbiter/resilience/rate_limiter.hpp>
#include <arbiter/resilience/retry.hpp>
#include <arbiter/resilience/retry_budget.hpp>
#include <arbiter/resilience/stats.hpp>
#include <arbiter/resilience/sync.hpp>
#include <arbiter/resilience/time_limiter.hpp>
#include <arbiter/resilience/timeout.hpp>
#include <arbiter/resilience/timing.hpp>
