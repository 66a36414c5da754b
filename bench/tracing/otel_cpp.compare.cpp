// OpenTelemetry C++ side by side with arbiter, in bench_tracing itself (configure with -DARBITER_BENCH_OTEL_CPP=ON
// and OpenTelemetry C++ on CMAKE_PREFIX_PATH; scripts/bench-vs-otel builds both from an OpenTelemetry C++ source tree;
// see docs/tracing.md). Each benchmark does what its BM_span/* twin does: the traced work of bench_spans.hpp in a span
// named "work" with an int64, a string and a bool attribute, the span active while the work runs.
//   BM_otel_cpp/noop             the API alone, no SDK installed (the no-op tracer)           twin: BM_span/null
//   BM_otel_cpp/always_off       the SDK, sampler AlwaysOff                                     twin:
//   BM_span/sampled_out BM_otel_cpp/batch            the SDK, AlwaysOn, BatchSpanProcessor (queue 8192, batches of 512,
//   every 50 ms, as
//                                BM_span/batch_otlp's processor) and an exporter that discards each batch unencoded
//                                                                  twins: BM_span/batch_discard, BM_span/batch_otlp
//   BM_otel_cpp/batch_no_scope   the same without making the span active (no Tracer::WithActiveSpan): its cheapest
// The batch variants count what the exporter received and what was lost: OpenTelemetry's processor drops a span
// when its queue is full without counting it (it logs a warning, silenced here), so dropped = ended - exported after
// a flush.
#include "bench_spans.hpp"

#include <benchmark/benchmark.h>

#include <opentelemetry/nostd/shared_ptr.h>
#include <opentelemetry/nostd/span.h>
#include <opentelemetry/sdk/common/exporter_utils.h>
#include <opentelemetry/sdk/common/global_log_handler.h>
#include <opentelemetry/sdk/resource/resource.h>
#include <opentelemetry/sdk/trace/batch_span_processor.h>
#include <opentelemetry/sdk/trace/batch_span_processor_options.h>
#include <opentelemetry/sdk/trace/exporter.h>
#include <opentelemetry/sdk/trace/recordable.h>
#include <opentelemetry/sdk/trace/samplers/always_off.h>
#include <opentelemetry/sdk/trace/samplers/always_on.h>
#include <opentelemetry/sdk/trace/span_data.h>
#include <opentelemetry/sdk/trace/tracer_provider.h>
#include <opentelemetry/trace/provider.h>
#include <opentelemetry/trace/scope.h>
#include <opentelemetry/trace/tracer.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>

namespace {

namespace otel = opentelemetry;
namespace sdktrace = opentelemetry::sdk::trace;
using arbiter_bench::work;

/// Takes every batch into the SDK's own SpanData records, counts it and discards it, without encoding.
class discarding_exporter final : public sdktrace::SpanExporter {
 public:
  explicit discarding_exporter(std::atomic<std::uint64_t>& exported) : exported_(exported) {}
  std::unique_ptr<sdktrace::Recordable> MakeRecordable() noexcept override {
    return std::make_unique<sdktrace::SpanData>();
  }
  otel::sdk::common::ExportResult Export(
      const otel::nostd::span<std::unique_ptr<sdktrace::Recordable>>& spans) noexcept override {
    exported_.fetch_add(spans.size(), std::memory_order_relaxed);
    return otel::sdk::common::ExportResult::kSuccess;
  }
  bool ForceFlush(std::chrono::microseconds /*timeout*/) noexcept override { return true; }
  bool Shutdown(std::chrono::microseconds /*timeout*/) noexcept override { return true; }

 private:
  std::atomic<std::uint64_t>& exported_;
};

/// The traced work through an OpenTelemetry tracer, as instrumented code writes it.
template <bool Active>
std::uint64_t otel_traced_work(otel::trace::Tracer& tracer, std::uint64_t x) {
  auto span = tracer.StartSpan("work");
  if constexpr (Active) {
    const auto scope = otel::trace::Tracer::WithActiveSpan(span);
    span->SetAttribute("x", std::int64_t{1});
    span->SetAttribute("peer", "inventory");
    span->SetAttribute("cached", true);
    x = work(x);
  } else {
    span->SetAttribute("x", std::int64_t{1});
    span->SetAttribute("peer", "inventory");
    span->SetAttribute("cached", true);
    x = work(x);
  }
  span->End();
  return x;
}

template <bool Active = true>
void run_otel(benchmark::State& state, otel::trace::Tracer& tracer) {
  std::uint64_t x = 1;
  for (auto _ : state) {
    benchmark::DoNotOptimize(x);
    x = otel_traced_work<Active>(tracer, x);
    benchmark::DoNotOptimize(x);
  }
  state.SetItemsProcessed(state.iterations());
}

/// An SDK tracer provider with `sampler`, a batch processor configured as BM_span/batch_otlp's and the discarding
/// exporter counting into `exported`.
std::shared_ptr<sdktrace::TracerProvider> make_provider(std::unique_ptr<sdktrace::Sampler> sampler,
                                                        std::atomic<std::uint64_t>& exported) {
  // Its processor logs a warning for every span it drops (to stderr, by default): quiet, so that the printing is not
  // measured and the drops are counted below instead.
  otel::sdk::common::internal_log::GlobalLogHandler::SetLogLevel(otel::sdk::common::internal_log::LogLevel::Error);
  sdktrace::BatchSpanProcessorOptions options;
  options.max_queue_size = 8192;
  options.max_export_batch_size = 512;
  options.schedule_delay_millis = std::chrono::milliseconds(50);
  auto processor =
      std::make_unique<sdktrace::BatchSpanProcessor>(std::make_unique<discarding_exporter>(exported), options);
  return std::make_shared<sdktrace::TracerProvider>(
      std::move(processor), otel::sdk::resource::Resource::Create({{"service.name", "bench"}}), std::move(sampler));
}

void BM_otel_cpp_noop(benchmark::State& state) {
  const auto tracer = otel::trace::Provider::GetTracerProvider()->GetTracer("bench");
  run_otel(state, *tracer);
}

void BM_otel_cpp_always_off(benchmark::State& state) {
  static std::atomic<std::uint64_t> exported{0};
  static const auto provider = make_provider(std::make_unique<sdktrace::AlwaysOffSampler>(), exported);
  const auto tracer = provider->GetTracer("bench");
  run_otel(state, *tracer);
}

template <bool Active>
void otel_batch(benchmark::State& state) {
  static std::atomic<std::uint64_t> exported{0};
  static const auto provider = make_provider(std::make_unique<sdktrace::AlwaysOnSampler>(), exported);
  const auto tracer = provider->GetTracer("bench");
  static std::once_flag warmed;  // as BM_span/batch_otlp: the first spans pay for the allocator's first pages
  std::call_once(warmed, [&] {
    std::uint64_t x = 1;
    for (int i = 0; i < 300'000; ++i) x = otel_traced_work<Active>(*tracer, x);
    benchmark::DoNotOptimize(x);
    provider->ForceFlush(std::chrono::seconds(30));
  });
  const std::uint64_t before = exported.load();
  run_otel<Active>(state, *tracer);
  if (state.thread_index() == 0) {
    provider->ForceFlush(std::chrono::seconds(30));
    const auto sent = static_cast<double>(exported.load() - before);
    const auto ended = static_cast<double>(state.iterations()) * state.threads();
    state.counters["exported"] = benchmark::Counter(sent);
    state.counters["exported_per_second"] = benchmark::Counter(sent, benchmark::Counter::kIsRate);
    state.counters["dropped"] = benchmark::Counter(ended > sent ? ended - sent : 0.0);
    state.counters["dropped_pct"] = benchmark::Counter(ended > sent ? 100.0 * (ended - sent) / ended : 0.0);
  }
}

void BM_otel_cpp_batch(benchmark::State& state) { otel_batch<true>(state); }
void BM_otel_cpp_batch_no_scope(benchmark::State& state) { otel_batch<false>(state); }

}  // namespace

BENCHMARK(BM_otel_cpp_noop)->Name("BM_otel_cpp/noop")->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(BM_otel_cpp_always_off)->Name("BM_otel_cpp/always_off")->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(BM_otel_cpp_batch)->Name("BM_otel_cpp/batch")->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(BM_otel_cpp_batch_no_scope)->Name("BM_otel_cpp/batch_no_scope")->Threads(1)->Threads(2)->UseRealTime();
