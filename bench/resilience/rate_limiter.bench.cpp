// BM_rate_limiter/acquire: try_acquire() that is granted, with coarse_clock (the default) and with steady_clock, on
// one thread and two. Its floors in this binary: BM_floor/coarse_clock and BM_floor/steady_clock (one clock read,
// circuit_breaker.bench.cpp) and BM_floor/atomic_compare_exchange (the one CAS it makes). The limit is high
// enough that every call is granted, so the benchmark measures the granting path.
#include <arbiter/clock/coarse_clock.hpp>
#include <arbiter/resilience/rate_limiter.hpp>

#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <cstdint>

namespace {

/// Granted every time: 1e9 permits a second and a burst of a billion.
constexpr arbiter::rate_limiter_options unlimited{
    .permits = 1'000'000'000, .period = std::chrono::seconds(1), .burst = 1'000'000'000};

template <class Clock>
void BM_rate_limiter_acquire(benchmark::State& state) {
  static arbiter::rate_limiter<Clock> limiter("bench", unlimited);  // shared by the threads
  std::int64_t refused = 0;
  for (auto _ : state) {
    const auto d = limiter.try_acquire();
    refused += d ? 0 : 1;
    benchmark::DoNotOptimize(d);
  }
  if (refused > 0) state.SkipWithError("a permit was refused: the benchmark measures the granting path");
}

void BM_floor_atomic_compare_exchange(benchmark::State& state) {
  static std::atomic<std::int64_t> shared{0};
  for (auto _ : state) {
    std::int64_t v = shared.load(std::memory_order_relaxed);
    while (!shared.compare_exchange_weak(v, v + 1, std::memory_order_acq_rel, std::memory_order_relaxed)) {
    }
  }
}

BENCHMARK(BM_floor_atomic_compare_exchange)->Name("BM_floor/atomic_compare_exchange");
BENCHMARK(BM_floor_atomic_compare_exchange)->Name("BM_floor/atomic_compare_exchange")->Threads(2);
BENCHMARK(BM_rate_limiter_acquire<arbiter::coarse_clock>)->Name("BM_rate_limiter/acquire");
BENCHMARK(BM_rate_limiter_acquire<arbiter::coarse_clock>)->Name("BM_rate_limiter/acquire")->Threads(2);
BENCHMARK(BM_rate_limiter_acquire<arbiter::steady_clock>)->Name("BM_rate_limiter/acquire_steady_clock");

}  // namespace
