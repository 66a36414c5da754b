#pragma once

/// \file
/// Compiles, once for the program, the parts of the orchestrator that do not depend on the service: the shutdown
/// manager and the circuit breaker with the default policies, and json_lines_tracing's tracer and batch processor.
///
/// Include this header in exactly one translation unit of the program, and define ARBITER_PRECOMPILED for every
/// translation unit (this one included): CMake's `arbiter_precompile_defaults(<target>)` does both, so call it
/// for one target of a program (the executable, or one library every other target of it links). The others then
/// see explicit instantiation declarations at the end of orchestrator.hpp and orchestrator/sdk_tracing.hpp and
/// leave those specializations to this one: about 2,000 functions (of some 8,500) fewer to compile in each of
/// them, 10 to 16% of a service's compile time (docs/orchestrator.md, "Cost").
///
/// Everything still works without it: a translation unit without ARBITER_PRECOMPILED instantiates what it uses,
/// as it always does, and the linker keeps one copy. Compile this one with the same flags as the rest (the same
/// sanitizers, the same _GLIBCXX_ASSERTIONS), as for any code of the program: the helper adds it to the target
/// for that reason.

#include <type_traits>
#include <utility>

#include <arbiter/detail/precompiled.hpp>
#include <arbiter/orchestrator.hpp>
#include <arbiter/orchestrator/sdk_tracing.hpp>

namespace arbiter::inline v1 {

ARBITER_DETAIL_PRECOMPILED_CORE(ARBITER_DETAIL_INSTANTIATE)
ARBITER_DETAIL_PRECOMPILED_JSON_LINES(ARBITER_DETAIL_INSTANTIATE)

// The lists spell out what the orchestrator's defaults make; if those change, these fail rather than leaving a
// list that no service uses.
namespace detail {
using precompiled_untraced = orchestrator<breaker<"a">>;
using precompiled_json_lines = orchestrator<breaker<"a">, with_tracer<json_lines_tracing>>;
template <class Service>
using precompiled_breaker_of = std::remove_cvref_t<decltype(std::declval<Service&>().template breaker<"a">())>;
}  // namespace detail
static_assert(std::is_same_v<detail::precompiled_untraced::shutdown_type,
                             shutdown_manager<fmt_logger, steady_clock, process_exit, null_tracer, null_metrics>> &&
                  std::is_same_v<detail::precompiled_breaker_of<detail::precompiled_untraced>,
                                 circuit_breaker<fmt_logger, null_tracer>>,
              "====> arbiter: update ARBITER_DETAIL_PRECOMPILED_CORE to the orchestrator's default types.");
static_assert(
    std::is_same_v<json_lines_tracing::tracer_type,
                   tracer<configured_sampler, batch_processor<stdout_json_lines_exporter, null_metrics>, tsc_clock>> &&
        std::is_same_v<
            detail::precompiled_json_lines::shutdown_type,
            shutdown_manager<fmt_logger, steady_clock, process_exit, json_lines_tracing::tracer_type, null_metrics>> &&
        std::is_same_v<detail::precompiled_breaker_of<detail::precompiled_json_lines>,
                       circuit_breaker<fmt_logger, json_lines_tracing::tracer_type>>,
    "====> arbiter: update ARBITER_DETAIL_PRECOMPILED_JSON_LINES to json_lines_tracing's types.");

}  // namespace arbiter::inline v1
