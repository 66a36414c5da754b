// A breaker call through the orchestrator next to the same breaker alone: svc.breaker<"name">() is found at
// compile time, so both loops should compile to the same code. Names are fixed by the issue.
#include <arbiter/orchestrator.hpp>

#include <arbiter/config/override_source.hpp>
#include <arbiter/logging/null_logger.hpp>

#include <benchmark/benchmark.h>

#include <cstdint>

namespace {

/// The protected call: as cheap as a call can be, so the breaker's own cost shows.
struct trivial_call {
  std::uint64_t* counter;
  std::uint64_t operator()() const noexcept { return ++*counter; }
};

using service = arbiter::orchestrator<arbiter::breaker<"inventory">, arbiter::breaker<"payments">,
                                      arbiter::breaker<"search">, arbiter::with_logger<arbiter::null_logger>,
                                      arbiter::with_sources<arbiter::override_source>>;

void BM_direct_call(benchmark::State& state) {
  std::uint64_t counter = 0;
  const trivial_call call{&counter};
  for (auto _ : state) {
    benchmark::DoNotOptimize(call());
  }
}

void BM_breaker_alone(benchmark::State& state) {
  arbiter::circuit_breaker<arbiter::null_logger, arbiter::null_tracer> breaker("payments");
  std::uint64_t counter = 0;
  const trivial_call call{&counter};
  for (auto _ : state) {
    benchmark::DoNotOptimize(breaker.execute(call));
  }
}

void BM_orchestrator_breaker_call(benchmark::State& state) {
  service svc(arbiter::orchestrator_options{.handle_signals = false, .health = arbiter::health_mode::on_demand},
              arbiter::override_source{});
  std::uint64_t counter = 0;
  const trivial_call call{&counter};
  for (auto _ : state) {
    benchmark::DoNotOptimize(svc.breaker<"payments">().execute(call));
  }
}

}  // namespace

BENCHMARK(BM_direct_call);
BENCHMARK(BM_breaker_alone);
BENCHMARK(BM_orchestrator_breaker_call);
