#pragma once

/// \file
/// The metrics area: the Metrics policy, null_metrics, metrics_registry, specs and the exposition formats.

#include <arbiter/metrics/catalog.hpp>
#include <arbiter/metrics/exposition.hpp>
#include <arbiter/metrics/metric_spec.hpp>
#include <arbiter/metrics/metrics.hpp>
#include <arbiter/metrics/null_metrics.hpp>
#include <arbiter/metrics/registry.hpp>
