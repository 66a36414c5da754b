// BM_time_limiter/in_time: a call that takes a std::stop_token and returns at once, through arbiter::time_limiter<>
// (a stop_source, arming and disarming the shared watchdog, two steady_clock reads), beside its floors in this
// binary: BM_direct_call and BM_floor/steady_clock (circuit_breaker.bench.cpp). A call that takes no token pays
// only the clock reads: BM_time_limiter/in_time_no_token. Two threads share the watchdog's mutex.
#include <arbiter/resilience/time_limiter.hpp>

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <stop_token>

namespace {

void BM_time_limiter_in_time(benchmark::State& state) {
  static arbiter::time_limiter<> limiter("bench", {.timeout = std::chrono::seconds(10)});  // shared
  std::uint64_t counter = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(limiter.execute(
        [&counter](const std::stop_token& stop) noexcept { return counter += !stop.stop_requested(); }));
  }
}

void BM_time_limiter_in_time_no_token(benchmark::State& state) {
  arbiter::time_limiter<> limiter("bench", {.timeout = std::chrono::seconds(10)});
  std::uint64_t counter = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(limiter.execute([&counter]() noexcept { return ++counter; }));
  }
}

BENCHMARK(BM_time_limiter_in_time)->Name("BM_time_limiter/in_time");
BENCHMARK(BM_time_limiter_in_time)->Name("BM_time_limiter/in_time")->Threads(2);
BENCHMARK(BM_time_limiter_in_time_no_token)->Name("BM_time_limiter/in_time_no_token");

}  // namespace
