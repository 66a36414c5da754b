#pragma once

/// \file
/// The parts an `arbiter::orchestrator<Parts...>` is assembled from, given in any order, each kind at most once
/// (breakers excepted: one `breaker<"name", ...>` per breaker):
///
///   breaker<"name", Policies...>   a circuit_breaker<Policies..., Logger, Tracer> named "name"; add `critical`
///                                  to its policies to make its health check critical (default: open = DEGRADED)
///   retried<"name", Policies...>   a retry<Policies..., Metrics> named "name", from resilience.retries.<name>.*
///   bulkheaded<"name", Policies...>  a bulkhead<Policies..., Metrics> named "name", from
///                                  resilience.bulkheads.<name>.*; a non-critical health check <name>:bulkhead
///                                  (both need <arbiter/orchestrator/guards.hpp>; svc.guarded<"name">() composes
///                                  the retry, breaker and bulkhead of one name)
///   with_schema<S>                 the config schema (orchestrator_config or a struct derived from it)
///   with_sources<Sources...>       the config sources, lowest precedence first (default: env_source<"ARBITER">)
///   with_logger<L>                 the Logger policy (default fmt_logger, configured from observability.*)
///   with_tracer<T>                 a Tracer (default null_tracer), or a tracing part that builds one from config
///                                  (json_lines_tracing, otlp_tracing), from a tracing_setup when it takes one
///   with_metrics<M>                the Metrics policy (default null_metrics; metrics_registry to be scraped): the
///                                  breakers, the health monitor, the config, the shutdown sequence and the
///                                  tracing part report through it, and the drain gate's work in flight
///   with_clock<C>                  the clock of the health monitor and the shutdown sequence (default steady_clock)
///   with_exit<E>                   the shutdown manager's Exit policy (default process_exit)
///   with_checks<C...>              health checks of the service's own (instances passed to the constructor)
///   with_hooks<H...>               static shutdown hooks, ordered by their `stops_before` at compile time
///   with_parts<P...>               optional parts (the admin server, your own): see docs/orchestrator.md
///
/// Every part is a type; none adds a virtual call or a type-erased function to a hot path.

#include <cstddef>
#include <cstdio>
#include <string_view>

#include <arbiter/config/detail/text.hpp>
#include <arbiter/version.hpp>

namespace arbiter::inline v1 {

struct otel_settings;  // tracing/otel_env.hpp

/// What the orchestrator builds a tracing part from, when the part is constructible from it (else from the
/// settings alone): the config's tracing settings, and where spans written as JSON lines go
/// (orchestrator_options::span_stream; stdout by default).
struct tracing_setup {
  const otel_settings& settings;
  std::FILE* span_stream = stdout;
};

/// A tracing_setup with the Metrics policy the tracing part reports through: what an orchestrator with_metrics<M>
/// builds a part offering `with_metrics<M>` from (sdk_tracing does).
template <class M>
struct metered_tracing_setup {
  tracing_setup setup;
  M metrics;
};

/// A named circuit breaker part: `breaker<"inventory", count_window, timed>`. Its policies are those of
/// circuit_breaker (detector, Sync, Clock, Timing, Outcome classifier, Stats), plus `critical`; the orchestrator
/// adds its Logger and Tracer.
template <detail::fixed_string Name, class... Policies>
struct breaker {
  static constexpr std::string_view name = Name.view();
};

/// A named retry part: `retried<"inventory">`. Its policies are those of retry (Backoff, Budget, Outcome
/// classifier, Clock, Sleeper; the Budget is a retry_budget<> unless one is given: no_retry_budget turns it off);
/// the orchestrator adds its Metrics policy. Include <arbiter/orchestrator/guards.hpp> to use it.
template <detail::fixed_string Name, class... Policies>
struct retried {
  static constexpr std::string_view name = Name.view();
};

/// A named bulkhead part: `bulkheaded<"inventory">`. Its policies are those of bulkhead (a limit, a Clock); the
/// orchestrator adds its Metrics policy. Include <arbiter/orchestrator/guards.hpp> to use it.
template <detail::fixed_string Name, class... Policies>
struct bulkheaded {
  static constexpr std::string_view name = Name.view();
};

/// Makes a breaker's health check critical: while it is open, readiness fails (HTTP 503) instead of DEGRADED.
struct critical {};

template <class S>
struct with_schema {};
template <class... Sources>
struct with_sources {};
template <class L>
struct with_logger {};
template <class T>
struct with_tracer {};
template <class C>
struct with_clock {};
template <class M>
struct with_metrics {};
template <class E>
struct with_exit {};
template <class... Checks>
struct with_checks {};
template <class... Hooks>
struct with_hooks {};
template <class... Parts>
struct with_parts {};

}  // namespace arbiter::inline v1
