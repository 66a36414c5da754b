#pragma once

/// \file
/// Everything in the lifecycle area: graceful shutdown, the drain gate, signals.

#include <arbiter/lifecycle/drain_gate.hpp>
#include <arbiter/lifecycle/exit_policy.hpp>
#include <arbiter/lifecycle/shutdown_manager.hpp>
#include <arbiter/lifecycle/shutdown_options.hpp>
#include <arbiter/lifecycle/shutdown_plan.hpp>
#include <arbiter/lifecycle/shutdown_report.hpp>
#include <arbiter/lifecycle/signal_listener.hpp>
