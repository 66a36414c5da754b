// BM_retry/first_try_succeeds: a call through arbiter::retry<> whose first attempt succeeds, beside its floor
// BM_direct_call (circuit_breaker.bench.cpp, the same call made directly) in this binary. With a retry_budget the
// first attempt also reads the budget's balance: BM_retry/first_try_succeeds_with_budget, on one thread and two.
#include <arbiter/resilience/retry.hpp>
#include <arbiter/resilience/retry_budget.hpp>

#include <benchmark/benchmark.h>

#include <cstdint>

namespace {

void BM_retry_first_try_succeeds(benchmark::State& state) {
  arbiter::retry<> retry("bench");
  std::uint64_t counter = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(retry.execute([&counter]() noexcept { return ++counter; }));
  }
}

void BM_retry_first_try_succeeds_with_budget(benchmark::State& state) {
  static arbiter::retry<arbiter::retry_budget<>> retry(
      "bench", {}, arbiter::retry_budget<>(arbiter::retry_budget_options{}));  // shared
  std::uint64_t counter = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(retry.execute([&counter]() noexcept { return ++counter; }));
  }
}

BENCHMARK(BM_retry_first_try_succeeds)->Name("BM_retry/first_try_succeeds");
BENCHMARK(BM_retry_first_try_succeeds_with_budget)->Name("BM_retry/first_try_succeeds_with_budget");
BENCHMARK(BM_retry_first_try_succeeds_with_budget)->Name("BM_retry/first_try_succeeds_with_budget")->Threads(2);

}  // namespace
