// The circuit breaker's hot paths next to their floors: the trivial call alone, a clock read, an atomic add.
// Names are fixed by the issue so results compare across versions.
#include <arbiter/resilience/circuit_breaker.hpp>

#include <arbiter/clock/coarse_clock.hpp>
#include <arbiter/clock/manual_clock.hpp>
#include <arbiter/metrics/registry.hpp>

#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <cstdint>

namespace {

using namespace std::chrono_literals;

/// The protected call: as cheap as a call can be, so the breaker's own cost shows.
struct trivial_call {
  std::uint64_t* counter;
  std::uint64_t operator()() const noexcept { return ++*counter; }
};

std::uint64_t reject_value(const arbiter::rejection& /*why*/) noexcept { return 0; }

void BM_direct_call(benchmark::State& state) {
  std::uint64_t counter = 0;
  const trivial_call call{&counter};
  for (auto _ : state) {
    benchmark::DoNotOptimize(call());
  }
}

void BM_floor_atomic_fetch_add(benchmark::State& state) {
  std::atomic<std::uint64_t> cell{0};
  for (auto _ : state) {
    benchmark::DoNotOptimize(cell.fetch_add(1, std::memory_order_relaxed));
  }
}

template <class Clock>
void BM_floor_clock(benchmark::State& state) {
  const Clock clock;
  for (auto _ : state) {
    benchmark::DoNotOptimize(clock.now());
  }
}

template <class Breaker>
void closed(benchmark::State& state) {
  static Breaker* shared = nullptr;  // one breaker for every thread of a ->Threads(n) run
  if (state.thread_index() == 0) shared = new Breaker("bench");
  std::uint64_t counter = 0;
  const trivial_call call{&counter};
  // Google Benchmark starts every thread's timing loop together, after thread 0's setup above.
  for (auto _ : state) {
    benchmark::DoNotOptimize(shared->execute(call));
  }
  if (state.thread_index() == 0) {
    if (shared->state() != arbiter::breaker_state::closed) state.SkipWithError("the breaker left the closed state");
    delete shared;
    shared = nullptr;
  }
}

template <class Breaker>
void open_reject(benchmark::State& state) {
  Breaker breaker("bench", arbiter::breaker_options{.open_duration = 24h, .max_open_duration = 24h});
  for (int i = 0; i < 5; ++i) {
    auto p = breaker.try_acquire();
    breaker.record(p, arbiter::outcome::failure);
  }
  if (breaker.state() != arbiter::breaker_state::open) state.SkipWithError("the breaker did not open");
  std::uint64_t counter = 0;
  const trivial_call call{&counter};
  for (auto _ : state) {
    benchmark::DoNotOptimize(breaker.execute(call, reject_value));
  }
  if (counter != 0) state.SkipWithError("an open breaker let a call through");
}

template <class Breaker, std::uint64_t Period = 2>
void closed_with_failures(benchmark::State& state) {
  // One call in `Period` fails, far below any threshold. Every other call (the default breaker: never 5 in a row)
  // writes the state word on each call: a failure adds one, the success after it clears the count; the cost of a
  // write the healthy path avoids. One in 100 keeps a count window from ever holding only successes, so every
  // call moves its cursor and writes its slot: the healthy case's other side.
  static Breaker* shared = nullptr;
  if (state.thread_index() == 0) shared = new Breaker("bench");
  std::uint64_t counter = 0;
  const auto call = [&counter] {
    return ++counter % Period == 0 ? arbiter::outcome::failure : arbiter::outcome::success;
  };
  for (auto _ : state) {
    benchmark::DoNotOptimize(shared->execute(call));
  }
  if (state.thread_index() == 0) {
    if (shared->state() != arbiter::breaker_state::closed) state.SkipWithError("the breaker left the closed state");
    delete shared;
    shared = nullptr;
  }
}

void BM_breaker_half_open(benchmark::State& state) {
  // A half-open round that never ends: each trial reports a neutral outcome, so every iteration is one permit
  // taken (compare-exchange plus a coarse clock read for the silent-trial timer) and one given back.
  using breaker_type = arbiter::circuit_breaker<arbiter::lock_free, arbiter::coarse_clock>;
  breaker_type breaker("bench", arbiter::breaker_options{.open_duration = 1ms});
  for (int i = 0; i < 5; ++i) {
    auto p = breaker.try_acquire();
    breaker.record(p, arbiter::outcome::failure);
  }
  const auto until = std::chrono::steady_clock::now() + 50ms;
  while (breaker.state() == arbiter::breaker_state::open && std::chrono::steady_clock::now() < until) {
    auto p = breaker.try_acquire();
    if (p) breaker.record(p, arbiter::outcome::ignored);
  }
  if (breaker.state() != arbiter::breaker_state::half_open) state.SkipWithError("the breaker is not half-open");
  for (auto _ : state) {
    benchmark::DoNotOptimize(breaker.execute([] { return arbiter::outcome::ignored; }));
  }
  if (breaker.state() != arbiter::breaker_state::half_open) state.SkipWithError("the breaker left half-open");
}

using closed_lock_free = arbiter::circuit_breaker<arbiter::lock_free>;
using closed_single_thread = arbiter::circuit_breaker<arbiter::single_thread>;
using closed_counting = arbiter::circuit_breaker<arbiter::lock_free, arbiter::counting_stats>;
using timed_steady = arbiter::circuit_breaker<arbiter::lock_free, arbiter::timed>;
using timed_coarse = arbiter::circuit_breaker<arbiter::lock_free, arbiter::timed_with<arbiter::coarse_clock>>;
using closed_count_window = arbiter::circuit_breaker<arbiter::lock_free, arbiter::count_window>;
using closed_time_window = arbiter::circuit_breaker<arbiter::lock_free, arbiter::time_window, arbiter::coarse_clock>;
using open_coarse = arbiter::circuit_breaker<arbiter::lock_free, arbiter::coarse_clock>;
using open_steady = arbiter::circuit_breaker<arbiter::lock_free, arbiter::steady_clock>;
// The same closed breaker reporting to a metrics_registry (a per-thread counter add per call); the breaker is
// built with a process-wide registry so that every benchmark thread's breaker shares one.
arbiter::metrics_registry& bench_metrics() {
  static arbiter::metrics_registry registry;
  return registry;
}
struct closed_with_metrics : arbiter::circuit_breaker<arbiter::lock_free, arbiter::metrics_registry> {
  explicit closed_with_metrics(std::string name)
      : arbiter::circuit_breaker<arbiter::lock_free, arbiter::metrics_registry>(std::move(name), {}, bench_metrics()) {}
};

}  // namespace

BENCHMARK(BM_direct_call);
BENCHMARK(BM_floor_atomic_fetch_add)->Name("BM_floor/atomic_fetch_add");
BENCHMARK(BM_floor_clock<arbiter::coarse_clock>)->Name("BM_floor/coarse_clock");
BENCHMARK(BM_floor_clock<arbiter::steady_clock>)->Name("BM_floor/steady_clock");
BENCHMARK(closed<closed_lock_free>)->Name("BM_breaker_closed/lock_free");
BENCHMARK(closed<closed_single_thread>)->Name("BM_breaker_closed/single_thread");
BENCHMARK(closed<closed_counting>)->Name("BM_breaker_closed/lock_free_counting_stats");
BENCHMARK(closed<closed_lock_free>)->Name("BM_breaker_closed/lock_free")->Threads(2);
BENCHMARK(closed<closed_with_metrics>)->Name("BM_breaker_closed/with_metrics");
BENCHMARK(closed<closed_with_metrics>)->Name("BM_breaker_closed/with_metrics")->Threads(2);
BENCHMARK(closed<closed_count_window>)->Name("BM_breaker_closed/lock_free_count_window");
BENCHMARK(closed<closed_count_window>)->Name("BM_breaker_closed/lock_free_count_window")->Threads(2);
BENCHMARK(closed_with_failures<closed_count_window, 100>)
    ->Name("BM_breaker_closed_one_in_100_fails/lock_free_count_window");
BENCHMARK(closed_with_failures<closed_count_window, 100>)
    ->Name("BM_breaker_closed_one_in_100_fails/lock_free_count_window")
    ->Threads(2);
BENCHMARK(closed<closed_time_window>)->Name("BM_breaker_closed/lock_free_time_window_coarse");
BENCHMARK(closed_with_failures<closed_lock_free>)->Name("BM_breaker_closed_every_other_fails/lock_free");
BENCHMARK(closed_with_failures<closed_lock_free>)->Name("BM_breaker_closed_every_other_fails/lock_free")->Threads(2);
BENCHMARK(open_reject<open_coarse>)->Name("BM_breaker_open_reject/lock_free");
BENCHMARK(open_reject<open_steady>)->Name("BM_breaker_open_reject/lock_free_steady_clock");
BENCHMARK(BM_breaker_half_open)->Name("BM_breaker_half_open/lock_free");
BENCHMARK(closed<timed_steady>)->Name("BM_breaker_closed_timed/steady");
BENCHMARK(closed<timed_coarse>)->Name("BM_breaker_closed_timed/coarse");
