// What a request pays to pass the drain gate, next to its floor (a bare atomic increment on a shared word,
// and the increment + decrement pair the gate needs), single thread and two threads; and the time from
// SIGTERM to process exit with 10 quick hooks, next to a process that dies of SIGTERM's default action.
#include <arbiter/lifecycle/drain_gate.hpp>

#include "child_process.hpp"

#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <string>

namespace {

std::atomic<std::uint64_t>& shared_counter() {
  alignas(64) static std::atomic<std::uint64_t> counter{0};
  return counter;
}

arbiter::drain_gate& shared_gate() {
  static arbiter::drain_gate gate;
  return gate;
}

void BM_atomic_increment(benchmark::State& state) {
  auto& counter = shared_counter();
  for (auto _ : state) {
    benchmark::DoNotOptimize(counter.fetch_add(1, std::memory_order_acquire));
  }
}
BENCHMARK(BM_atomic_increment)->Threads(1)->Threads(2);

void BM_atomic_increment_decrement(benchmark::State& state) {
  auto& counter = shared_counter();
  for (auto _ : state) {
    benchmark::DoNotOptimize(counter.fetch_add(1, std::memory_order_acquire));
    benchmark::DoNotOptimize(counter.fetch_sub(1, std::memory_order_release));
  }
}
BENCHMARK(BM_atomic_increment_decrement)->Threads(1)->Threads(2);

void BM_drain_gate_enter_leave(benchmark::State& state) {
  auto& gate = shared_gate();
  for (auto _ : state) {
    auto pass = gate.enter();
    benchmark::DoNotOptimize(pass);
  }
  if (gate.in_flight() > static_cast<std::size_t>(state.threads())) state.SkipWithError("the gate leaked passes");
}
BENCHMARK(BM_drain_gate_enter_leave)->Threads(1)->Threads(2);

/// Starts the helper with `scenario`, waits for "ready", then times SIGTERM until the process is reaped.
void time_sigterm_to_exit(benchmark::State& state, const char* scenario) {
  std::signal(SIGPIPE, SIG_IGN);
  for (auto _ : state) {
    arbiter_test::child_process child(ARBITER_LIFECYCLE_HELPER, {scenario}, "/dev/null");
    if (!child.wait_for_line("ready", std::chrono::seconds(20))) {
      state.SkipWithError("the helper did not start");
      return;
    }
    const auto sent = std::chrono::steady_clock::now();
    child.signal(SIGTERM);
    const auto status = child.wait_exit(std::chrono::seconds(20));
    const auto took = std::chrono::steady_clock::now() - sent;
    if (!status) {
      state.SkipWithError("the helper did not exit");
      return;
    }
    state.SetIterationTime(std::chrono::duration<double>(took).count());
  }
}

void BM_sigterm_to_exit_10_hooks(benchmark::State& state) { time_sigterm_to_exit(state, "quick10"); }
BENCHMARK(BM_sigterm_to_exit_10_hooks)->UseManualTime()->Iterations(30)->Unit(benchmark::kMillisecond);

void BM_sigterm_to_exit_default_action(benchmark::State& state) { time_sigterm_to_exit(state, "plain"); }
BENCHMARK(BM_sigterm_to_exit_default_action)->UseManualTime()->Iterations(30)->Unit(benchmark::kMillisecond);

}  // namespace
