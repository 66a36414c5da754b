// What one reading of each Clock policy costs, next to its floor: std::chrono::steady_clock::now() called
// directly. tsc_clock is what the production tracer reads twice a span; coarse_clock is what breakers may read on
// their open path.
#include <arbiter/clock/clock.hpp>
#include <arbiter/clock/coarse_clock.hpp>
#include <arbiter/clock/manual_clock.hpp>
#include <arbiter/clock/tsc_clock.hpp>

#include <benchmark/benchmark.h>

#include <chrono>
#include <type_traits>

namespace {

void BM_std_steady_clock(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(std::chrono::steady_clock::now());
}

template <class Clock>
void BM_clock(benchmark::State& state) {
  const Clock clock;
  // tsc_clock calibrates during its first millisecond of use (reading steady_clock meanwhile): measure after it.
  const auto calibrated = std::chrono::steady_clock::now() + std::chrono::milliseconds(5);
  while (std::chrono::steady_clock::now() < calibrated) benchmark::DoNotOptimize(clock.now());
  for (auto _ : state) benchmark::DoNotOptimize(clock.now());
  if constexpr (std::is_same_v<Clock, arbiter::tsc_clock>) {
    state.counters["uses_counter"] = arbiter::tsc_clock::uses_counter() ? 1 : 0;
  }
}

}  // namespace

BENCHMARK(BM_std_steady_clock);
BENCHMARK(BM_clock<arbiter::steady_clock>)->Name("BM_clock/steady");
BENCHMARK(BM_clock<arbiter::tsc_clock>)->Name("BM_clock/tsc");
BENCHMARK(BM_clock<arbiter::coarse_clock>)->Name("BM_clock/coarse");
BENCHMARK(BM_clock<arbiter::manual_clock>)->Name("BM_clock/manual");
