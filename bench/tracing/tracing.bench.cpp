// Tracing overhead next to its floor: the same function untraced (BM_no_tracing), then traced with null_tracer,
// with a sampled-out production tracer (through trace(), and by hand: BM_span/sampled_out_direct), with
// recording_tracer, and with the production tracer feeding a batch_processor whose exporter encodes every span as OTLP
// JSON in the background. Every traced variant does start + 3 attributes + end around the function; each runs on 1 and
// 2 threads. The batch variants report what became of the spans: exported, dropped (every one counted), and the export
// rate.
//   BM_span/batch_otlp               the defaults: tsc_clock span times, the export thread at normal priority
//   BM_span/batch_otlp_background    the export thread at niceness 19 (batch_options::worker_nice)
//   BM_span/batch_otlp_steady_clock  span times from steady_clock, to show what the two clock reads cost
//   BM_span/batch_discard            an exporter that discards each batch unencoded (BM_otel_cpp/batch's twin)
// BM_otlp_encode measures the exporter's own throughput (spans encoded per second) next to a memcpy of the body;
// BM_otlp_encode_protobuf the same for the protobuf body (http/protobuf), next to a memcpy of that body;
// BM_zipkin_encode the same for the Zipkin v2 JSON encoder.
#include <arbiter/clock/tsc_clock.hpp>
#include <arbiter/tracing/batch_processor.hpp>
#include <arbiter/tracing/null_tracer.hpp>
#include <arbiter/tracing/otlp_json.hpp>
#include <arbiter/tracing/otlp_protobuf.hpp>
#include <arbiter/tracing/recording_tracer.hpp>
#include <arbiter/tracing/sampler.hpp>
#include <arbiter/tracing/sdk_tracer.hpp>
#include <arbiter/tracing/trace.hpp>
#include <arbiter/tracing/zipkin_json.hpp>

#include "bench_spans.hpp"

#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

namespace {

using arbiter_bench::encoding_sink;
using arbiter_bench::traced_work;
using arbiter_bench::work;

void BM_no_tracing(benchmark::State& state) {
  std::uint64_t x = 1;
  for (auto _ : state) {
    benchmark::DoNotOptimize(x);
    x = work(x);
    benchmark::DoNotOptimize(x);
  }
  state.SetItemsProcessed(state.iterations());
}

/// The benchmark loop of every traced variant: traced_work() through `tracer`, as often as the state asks.
template <class T>
inline void run_traced(benchmark::State& state, T& tracer) {
  std::uint64_t x = 1;
  for (auto _ : state) {
    benchmark::DoNotOptimize(x);
    x = traced_work(tracer, x);
    benchmark::DoNotOptimize(x);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_span_null(benchmark::State& state) {
  arbiter::null_tracer tracer;
  run_traced(state, tracer);
}

using batch = arbiter::batch_processor<encoding_sink>;

/// An exporter that takes every batch in place and discards it unencoded: what BM_otel_cpp/batch's exporter does
/// (otel_cpp.compare.cpp), so that pair compares the tracers and their processors alone.
struct discarding_sink {
  arbiter::export_result export_spans(std::span<const arbiter::span_data> spans, std::chrono::milliseconds) {
    benchmark::DoNotOptimize(spans.data());
    return arbiter::export_result::success();
  }
  arbiter::export_result export_spans(arbiter::span_refs spans, std::chrono::milliseconds) {
    benchmark::DoNotOptimize(spans.data());
    return arbiter::export_result::success();
  }
};

void BM_span_sampled_out(benchmark::State& state) {
  static const auto processor = std::make_shared<batch>(encoding_sink{});
  const arbiter::tracer<arbiter::always_off, batch> tracer(processor);
  run_traced(state, tracer);
}

/// The same span driven by hand, as instrumented code often does: start_span, three set_attribute calls, end.
/// Unlike trace() nothing tests is_recording() first, so this is the span's own cost when sampled out (what must
/// stay inline at -O2: the test, not the out-of-line recording).
void BM_span_sampled_out_direct(benchmark::State& state) {
  static const auto processor = std::make_shared<batch>(encoding_sink{});
  const arbiter::tracer<arbiter::always_off, batch> tracer(processor);
  std::uint64_t x = 1;
  for (auto _ : state) {
    benchmark::DoNotOptimize(x);
    auto span = tracer.start_span("work");
    span.set_attribute("x", 1);
    span.set_attribute("peer", "inventory");
    span.set_attribute("cached", true);
    x = work(x);
    span.end();
    benchmark::DoNotOptimize(x);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_span_recording(benchmark::State& state) {
  static const arbiter::recording_tracer shared;
  const arbiter::recording_tracer tracer = shared;
  std::uint64_t x = 1;
  std::uint32_t n = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(x);
    x = traced_work(tracer, x);
    benchmark::DoNotOptimize(x);
    if (++n % 4096 == 0 && state.thread_index() == 0) tracer.clear();  // keep memory flat
  }
  state.SetItemsProcessed(state.iterations());
}

template <class Clock, int WorkerNice = 0, class Sink = encoding_sink>
void batch_otlp(benchmark::State& state) {
  using processor_type = arbiter::batch_processor<Sink>;
  static const auto processor = [] {
    arbiter::batch_options options;
    options.max_queue_size = 8192;
    options.max_export_batch_size = 512;
    options.schedule_delay = std::chrono::milliseconds(50);
    options.worker_nice = WorkerNice;
    return std::make_shared<processor_type>(Sink{}, options);
  }();
  const arbiter::tracer<arbiter::always_on, processor_type, Clock> tracer(processor);
  // Warm up once per processor: the first spans allocate the records that later ones recycle, and a cold start
  // made the first repetition up to three times slower than the rest.
  static std::once_flag warmed;
  std::call_once(warmed, [&] {
    std::uint64_t x = 1;
    for (int i = 0; i < 300'000; ++i) x = traced_work(tracer, x);
    benchmark::DoNotOptimize(x);
    processor->force_flush(std::chrono::seconds(30));
  });
  const auto before = processor->stats();
  run_traced(state, tracer);
  if (state.thread_index() == 0) {
    processor->force_flush(std::chrono::seconds(30));
    const auto after = processor->stats();
    const auto ended = static_cast<double>(state.iterations()) * state.threads();
    state.counters["exported"] = benchmark::Counter(static_cast<double>(after.exported - before.exported));
    state.counters["exported_per_second"] =
        benchmark::Counter(static_cast<double>(after.exported - before.exported), benchmark::Counter::kIsRate);
    state.counters["dropped"] = benchmark::Counter(static_cast<double>(after.dropped() - before.dropped()));
    state.counters["dropped_pct"] =
        benchmark::Counter(100.0 * static_cast<double>(after.dropped() - before.dropped()) / ended);
  }
}

/// With the tracer's default clock (tsc_clock).
void BM_span_batch_otlp(benchmark::State& state) { batch_otlp<arbiter::tsc_clock>(state); }

/// The same with the export thread at niceness 19: it encodes on idle CPU only, so traced threads keep every
/// core when they need them all (and what the exporter cannot keep up with is dropped, counted).
void BM_span_batch_otlp_background(benchmark::State& state) { batch_otlp<arbiter::tsc_clock, 19>(state); }

/// The same reading span times from steady_clock: shows what the two clock reads a span cost.
void BM_span_batch_otlp_steady_clock(benchmark::State& state) { batch_otlp<arbiter::steady_clock>(state); }

/// The same with an exporter that discards each batch unencoded (BM_otel_cpp/batch's twin).
void BM_span_batch_discard(benchmark::State& state) { batch_otlp<arbiter::tsc_clock, 0, discarding_sink>(state); }

const arbiter::otlp_resource bench_resource{"bench", "1.0", "bench", {}, "arbiter", "0.1.0"};

/// Encodes the 512 spans of sample_batch() with `encode(body, spans, resource)` each iteration: spans and bytes a
/// second.
template <class Encode>
void encode_batch(benchmark::State& state, Encode encode) {
  const std::vector<arbiter::span_data> spans = arbiter_bench::sample_batch();
  std::string body;
  for (auto _ : state) {
    body.clear();
    encode(body, spans, bench_resource);
    benchmark::DoNotOptimize(body.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * 512);
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(body.size()));
}

/// An encoder's floor: copying the finished body of the same 512 spans (what no encoder can beat).
void copy_encoded(benchmark::State& state, const std::string& encoded) {
  std::string body;
  for (auto _ : state) {
    body.assign(encoded);
    benchmark::DoNotOptimize(body.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * 512);
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(body.size()));
}

/// The exporter's own throughput: spans encoded as OTLP JSON per second, in batches of 512.
void BM_otlp_encode(benchmark::State& state) {
  encode_batch(state, [](auto&... a) { arbiter::encode_otlp_json(a...); });
}

/// Its floor: copying the finished body of the same 512 spans.
void BM_otlp_encode_floor_memcpy(benchmark::State& state) {
  copy_encoded(state, arbiter::otlp_json(arbiter_bench::sample_batch(), bench_resource));
}

/// The same 512 spans encoded as OTLP protobuf (the http/protobuf body), in spans per second.
void BM_otlp_encode_protobuf(benchmark::State& state) {
  encode_batch(state, [](auto&... a) { arbiter::encode_otlp_protobuf(a...); });
}

/// Its floor: copying the finished protobuf body of the same 512 spans.
void BM_otlp_encode_protobuf_floor_memcpy(benchmark::State& state) {
  copy_encoded(state, arbiter::otlp_protobuf(arbiter_bench::sample_batch(), bench_resource));
}

/// The Zipkin encoder's throughput on the same 512 spans: spans encoded as Zipkin v2 JSON per second.
void BM_zipkin_encode(benchmark::State& state) {
  encode_batch(state, [](auto&... a) { arbiter::encode_zipkin_json(a...); });
}

}  // namespace

// Real time, so that items_per_second of the 2-thread runs is the combined throughput of both threads.
BENCHMARK(BM_no_tracing)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(BM_span_null)->Name("BM_span/null")->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(BM_span_sampled_out)->Name("BM_span/sampled_out")->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(BM_span_sampled_out_direct)->Name("BM_span/sampled_out_direct")->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(BM_span_recording)->Name("BM_span/recording")->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(BM_span_batch_otlp)->Name("BM_span/batch_otlp")->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(BM_span_batch_otlp_background)->Name("BM_span/batch_otlp_background")->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(BM_span_batch_discard)->Name("BM_span/batch_discard")->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(BM_span_batch_otlp_steady_clock)->Name("BM_span/batch_otlp_steady_clock")->UseRealTime();
BENCHMARK(BM_otlp_encode);
BENCHMARK(BM_otlp_encode_floor_memcpy)->Name("BM_otlp_encode/floor_memcpy");
BENCHMARK(BM_otlp_encode_protobuf);
BENCHMARK(BM_otlp_encode_protobuf_floor_memcpy)->Name("BM_otlp_encode_protobuf/floor_memcpy");
BENCHMARK(BM_zipkin_encode);
