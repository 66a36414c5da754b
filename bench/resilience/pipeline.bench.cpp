// BM_pipeline/all_pass: a call through retry, circuit breaker, rate limiter (coarse_clock) and bulkhead composed by
// arbiter::pipeline, every part letting it through. Beside it, BM_pipeline/by_hand nests the same four parts by
// hand (each one's execute with a fallback), and the parts alone are in this binary: BM_retry/first_try_succeeds,
// BM_breaker_closed/lock_free, BM_rate_limiter/acquire and BM_bulkhead/acquire_release; their sum is the goal.
#include <arbiter/resilience/pipeline.hpp>

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>

namespace {

using namespace std::chrono_literals;

struct bench_parts {
  arbiter::retry<> retry{"bench"};
  arbiter::circuit_breaker<> breaker{"bench"};
  arbiter::rate_limiter<> limiter{"bench", {.permits = 1'000'000'000, .period = 1s}};  // never refuses here
  arbiter::bulkhead<> pool{"bench", {.max_concurrent = 64}};
};

bench_parts& shared_parts() {
  static bench_parts parts;  // one set for every thread of a ->Threads(n) run
  return parts;
}

void BM_pipeline_all_pass(benchmark::State& state) {
  auto& p = shared_parts();
  arbiter::pipeline guarded(p.retry, p.breaker, p.limiter, p.pool);
  std::uint64_t counter = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(guarded.execute([&counter]() noexcept { return ++counter; },
                                             [](const arbiter::pipeline_rejection&) noexcept { return 0ULL; }));
  }
}

void BM_pipeline_by_hand(benchmark::State& state) {
  auto& p = shared_parts();
  std::uint64_t counter = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(p.retry.execute([&] {
      return p.breaker.execute(
          [&] {
            return p.limiter.execute(
                [&] {
                  return p.pool.execute([&counter]() noexcept { return ++counter; },
                                        [](const arbiter::bulkhead_decision&) noexcept { return 0ULL; });
                },
                [](const arbiter::rate_decision&) noexcept { return 0ULL; });
          },
          [](const arbiter::rejection&) noexcept { return 0ULL; });
    }));
  }
}

BENCHMARK(BM_pipeline_all_pass)->Name("BM_pipeline/all_pass");
BENCHMARK(BM_pipeline_all_pass)->Name("BM_pipeline/all_pass")->Threads(2);
BENCHMARK(BM_pipeline_by_hand)->Name("BM_pipeline/by_hand");
BENCHMARK(BM_pipeline_by_hand)->Name("BM_pipeline/by_hand")->Threads(2);

}  // namespace
