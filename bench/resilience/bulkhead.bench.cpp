// BM_bulkhead/acquire_release: one permit taken and given back through arbiter::bulkhead<> (fixed limit), beside
// its floor BM_floor/atomic_increment_decrement (the bare atomic increment and decrement a semaphore makes), on one
// thread and two sharing one bulkhead. BM_bulkhead/execute adds the call; BM_bulkhead/acquire_release_aimd is the
// adaptive limit, which also reads the clock twice and folds in a sample.
#include <arbiter/resilience/bulkhead.hpp>

#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdint>

namespace {

void BM_floor_atomic_increment_decrement(benchmark::State& state) {
  static std::atomic<std::uint32_t> in_flight{0};  // shared by the threads, as the bulkhead's count is
  for (auto _ : state) {
    benchmark::DoNotOptimize(in_flight.fetch_add(1, std::memory_order_acquire));
    in_flight.fetch_sub(1, std::memory_order_release);
  }
}

void BM_bulkhead_acquire_release(benchmark::State& state) {
  static arbiter::bulkhead<> pool("bench", {.max_concurrent = 64});
  for (auto _ : state) {
    auto permit = pool.try_acquire();
    benchmark::DoNotOptimize(permit);
  }
}

void BM_bulkhead_execute(benchmark::State& state) {
  static arbiter::bulkhead<> pool("bench", {.max_concurrent = 64});
  std::uint64_t counter = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(pool.execute([&counter]() noexcept { return ++counter; },
                                          [](const arbiter::bulkhead_decision&) noexcept { return std::uint64_t{0}; }));
  }
}

void BM_bulkhead_acquire_release_aimd(benchmark::State& state) {
  static arbiter::bulkhead<arbiter::aimd_limit> pool("bench", {.max_concurrent = 64});
  for (auto _ : state) {
    auto permit = pool.try_acquire();
    benchmark::DoNotOptimize(permit);
  }
}

BENCHMARK(BM_floor_atomic_increment_decrement)->Name("BM_floor/atomic_increment_decrement");
BENCHMARK(BM_floor_atomic_increment_decrement)->Name("BM_floor/atomic_increment_decrement")->Threads(2);
BENCHMARK(BM_bulkhead_acquire_release)->Name("BM_bulkhead/acquire_release");
BENCHMARK(BM_bulkhead_acquire_release)->Name("BM_bulkhead/acquire_release")->Threads(2);
BENCHMARK(BM_bulkhead_execute)->Name("BM_bulkhead/execute");
BENCHMARK(BM_bulkhead_acquire_release_aimd)->Name("BM_bulkhead/acquire_release_aimd");
BENCHMARK(BM_bulkhead_acquire_release_aimd)->Name("BM_bulkhead/acquire_release_aimd")->Threads(2);

}  // namespace
