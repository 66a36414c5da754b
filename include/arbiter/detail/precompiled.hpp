#pragma once

/// \file
/// The lists of specializations that arbiter/precompiled.hpp instantiates once for a whole program (see that
/// header and docs/orchestrator.md, "Cost"). Each list takes the operation to apply to every specialization:
/// ARBITER_DETAIL_EXTERN_TEMPLATE (an explicit instantiation declaration: "compiled elsewhere, do not instantiate
/// it here") where the orchestrator's headers end, ARBITER_DETAIL_INSTANTIATE in the one translation unit that
/// compiles them. One list for both, so that what is declared and what is compiled cannot drift apart.
///
/// The spellings are the specializations the orchestrator makes from its default policies (fmt_logger,
/// steady_clock, process_exit, null_metrics) with no tracer and with json_lines_tracing; a test compiles a service
/// with ARBITER_PRECOMPILED and checks that its object defines none of their members.

#define ARBITER_DETAIL_EXTERN_TEMPLATE(...) extern template class __VA_ARGS__;
#define ARBITER_DETAIL_INSTANTIATE(...) template class __VA_ARGS__;

/// What a service on the orchestrator without a tracer uses (declared at the end of orchestrator.hpp).
#define ARBITER_DETAIL_PRECOMPILED_CORE(op)                                               \
  op(shutdown_manager<fmt_logger, steady_clock, process_exit, null_tracer, null_metrics>) \
      op(circuit_breaker<fmt_logger, null_tracer>)

/// What json_lines_tracing adds (declared at the end of orchestrator/sdk_tracing.hpp).
#define ARBITER_DETAIL_PRECOMPILED_JSON_LINES(op)                                                               \
  op(batch_processor<stdout_json_lines_exporter, null_metrics>)                                                 \
      op(tracer<configured_sampler, batch_processor<stdout_json_lines_exporter, null_metrics>, tsc_clock>)      \
          op(shutdown_manager<                                                                                  \
              fmt_logger, steady_clock, process_exit,                                                           \
              tracer<configured_sampler, batch_processor<stdout_json_lines_exporter, null_metrics>, tsc_clock>, \
              null_metrics>)                                                                                    \
              op(circuit_breaker<                                                                               \
                  fmt_logger,                                                                                   \
                  tracer<configured_sampler, batch_processor<stdout_json_lines_exporter, null_metrics>, tsc_clock>>)
