#pragma once

/// \file
/// Tracing parts for an orchestrator: `with_tracer<json_lines_tracing>` builds the SDK tracer from the config's
/// tracing settings (observability.*, then the OTEL_* variables on top, see tracing/otel_config.hpp): its sampler
/// (`always_off` when tracing is disabled), a batch processor, and an exporter. The orchestrator flushes it in the
/// shutdown hook "tracing" (phase 90) within what is left of the deadline; spans lost there make that hook fail.
///
///   json_lines_tracing   spans as JSON lines on stdout, or on orchestrator_options::span_stream (a file the
///                        service opened): a sidecar or a log shipper reads them
///   otlp_tracing         OTLP/HTTP to a collector: opt-in, in <arbiter/orchestrator/otlp_tracing.hpp> (Asio)
///
/// `sdk_tracing<Exporter, Metrics>` is the template behind both: Exporter is any exporter with a
/// `static Exporter from_settings(const otel_settings&)`, or one constructible from `const otel_settings&`; one
/// constructible from `(const otel_settings&, std::FILE*)` is given the span stream of the tracing_setup. Metrics
/// is what the batch processor reports through (spans ended, exported, dropped, the queue, export durations); an
/// orchestrator with_metrics<M> builds `with_metrics<M>` of the part it is given, so `with_tracer<json_lines_tracing>`
/// reports through the service's registry without naming it.

#include <concepts>
#include <cstdio>
#include <memory>
#include <utility>

#include <arbiter/clock/clock.hpp>
#include <arbiter/detail/precompiled.hpp>
#include <arbiter/lifecycle/exit_policy.hpp>
#include <arbiter/lifecycle/shutdown_manager.hpp>
#include <arbiter/logging/fmt_logger.hpp>
#include <arbiter/metrics/null_metrics.hpp>
#include <arbiter/orchestrator/parts.hpp>
#include <arbiter/resilience/circuit_breaker.hpp>
#include <arbiter/tracing/batch_processor.hpp>
#include <arbiter/tracing/json_lines_exporter.hpp>
#include <arbiter/tracing/otel_env.hpp>
#include <arbiter/tracing/sampler.hpp>
#include <arbiter/tracing/sdk_tracer.hpp>

namespace arbiter::inline v1 {

/// A tracing part: the SDK tracer over a batch processor of `Exporter`, built from the tracing settings; the
/// processor reports through `Metrics` (none by default).
template <class Exporter, class Metrics = null_metrics>
class sdk_tracing {
 public:
  using exporter_type = Exporter;
  using processor_type = batch_processor<Exporter, Metrics>;
  using tracer_type = ::arbiter::tracer<configured_sampler, processor_type>;
  /// The same part reporting through `M`: what an orchestrator with_metrics<M> builds.
  template <class M>
  using with_metrics = sdk_tracing<Exporter, M>;

  explicit sdk_tracing(const otel_settings& settings, Metrics metrics = Metrics{})
      : processor_(std::make_shared<processor_type>(make_exporter(settings), settings.batch, std::move(metrics))),
        tracer_(processor_, settings.sampler) {}

  /// Builds the exporter with the setup's span stream when it takes one (the orchestrator passes
  /// orchestrator_options::span_stream), else from the settings alone.
  explicit sdk_tracing(const tracing_setup& setup, Metrics metrics = Metrics{})
      : processor_(std::make_shared<processor_type>(make_exporter(setup), setup.settings.batch, std::move(metrics))),
        tracer_(processor_, setup.settings.sampler) {}

  /// Builds it from the setup, reporting through the metrics it carries (what an orchestrator with_metrics<M>
  /// passes).
  explicit sdk_tracing(const metered_tracing_setup<Metrics>& setup) : sdk_tracing(setup.setup, setup.metrics) {}

  sdk_tracing(const sdk_tracing&) = delete;
  sdk_tracing& operator=(const sdk_tracing&) = delete;
  sdk_tracing(sdk_tracing&&) = delete;
  sdk_tracing& operator=(sdk_tracing&&) = delete;
  /// Shuts the processor down (a last flush) if the shutdown hook has not.
  ~sdk_tracing() { processor_->shutdown(); }

  /// Returns the tracer (a handle: copies share the processor).
  [[nodiscard]] const tracer_type& tracer() const noexcept { return tracer_; }
  /// Returns the processor (its stats() count what was exported and dropped).
  [[nodiscard]] const std::shared_ptr<processor_type>& processor() const noexcept { return processor_; }
  /// Returns the shutdown hook that flushes within the hook's budget (see tracing_shutdown_hook).
  [[nodiscard]] processor_shutdown_hook<processor_type> shutdown_hook() const {
    return tracing_shutdown_hook(processor_);
  }

 private:
  static Exporter make_exporter(const otel_settings& settings) {
    if constexpr (requires { Exporter::from_settings(settings); }) {
      return Exporter::from_settings(settings);
    } else {
      return Exporter(settings);
    }
  }
  static Exporter make_exporter(const tracing_setup& setup) {
    if constexpr (std::constructible_from<Exporter, const otel_settings&, std::FILE*>) {
      return Exporter(setup.settings, setup.span_stream);
    } else {
      return make_exporter(setup.settings);
    }
  }

  std::shared_ptr<processor_type> processor_;
  tracer_type tracer_;
};

/// A JSON-lines exporter to stdout, or to the stream it is given, that takes the resource (service.name, ...) from
/// the tracing settings.
class stdout_json_lines_exporter : public json_lines_exporter {
 public:
  explicit stdout_json_lines_exporter(const otel_settings& settings) : stdout_json_lines_exporter(settings, stdout) {}
  /// Writes to `stream` instead (a file the service opened; with nullptr every export fails).
  stdout_json_lines_exporter(const otel_settings& settings, std::FILE* stream)
      : json_lines_exporter(stream, detail::with_unique_attributes(settings.otlp.resource)) {}
};

/// Spans as JSON lines on stdout (or the orchestrator's span_stream), built from the config's tracing settings.
using json_lines_tracing = sdk_tracing<stdout_json_lines_exporter>;

#if defined(ARBITER_PRECOMPILED)
// Compiled once, in the translation unit that includes arbiter/precompiled.hpp.
ARBITER_DETAIL_PRECOMPILED_JSON_LINES(ARBITER_DETAIL_EXTERN_TEMPLATE)
#endif

}  // namespace arbiter::inline v1
