#pragma once

/// \file
/// Health monitoring: compile-time check sets, timeouts that hold, liveness/readiness/startup probes, health+json.

#include <arbiter/health/aggregator.hpp>
#include <arbiter/health/check.hpp>
#include <arbiter/health/check_name.hpp>
#include <arbiter/health/dynamic_checks.hpp>
#include <arbiter/health/health_monitor.hpp>
#include <arbiter/health/render.hpp>
#include <arbiter/health/report.hpp>
#include <arbiter/health/status.hpp>
