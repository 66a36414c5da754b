// Tracing overhead next to its floor: the same function untraced, traced with null_tracer, with recording_tracer.
#include <arbiter/tracing/null_tracer.hpp>
#include <arbiter/tracing/recording_tracer.hpp>
#include <arbiter/tracing/trace.hpp>

#include <benchmark/benchmark.h>

#include <cstdint>

namespace {

/// The traced function: a few arithmetic steps the optimizer cannot fold away.
inline std::uint64_t work(std::uint64_t x) noexcept {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  return x;
}

void BM_no_tracing(benchmark::State& state) {
  std::uint64_t x = 1;
  for (auto _ : state) {
    benchmark::DoNotOptimize(x);
    x = work(x);
    benchmark::DoNotOptimize(x);
  }
}

void BM_span_null(benchmark::State& state) {
  arbiter::null_tracer tracer;
  std::uint64_t x = 1;
  for (auto _ : state) {
    benchmark::DoNotOptimize(x);
    x = arbiter::trace(
        tracer, "work", [x] { return work(x); }, arbiter::attr("x", 1));
    benchmark::DoNotOptimize(x);
  }
}

void BM_span_recording(benchmark::State& state) {
  arbiter::recording_tracer tracer;
  std::uint64_t x = 1;
  std::uint32_t n = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(x);
    x = arbiter::trace(
        tracer, "work", [x] { return work(x); }, arbiter::attr("x", 1));
    benchmark::DoNotOptimize(x);
    if (++n % 4096 == 0) tracer.clear();  // keep memory flat; amortized over 4096 spans
  }
}

}  // namespace

BENCHMARK(BM_no_tracing);
BENCHMARK(BM_span_null)->Name("BM_span/null");
BENCHMARK(BM_span_recording)->Name("BM_span/recording");
