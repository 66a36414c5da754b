// A probe answered from cached results, next to its floor (a clock read plus one atomic load per check), and the
// health+json rendering of 10 checks, next to copying the same bytes.
#include <arbiter/health.hpp>

#include <benchmark/benchmark.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

namespace {

template <std::size_t I>
struct bench_check {
  static constexpr std::array<char, 6> storage{
      'c', ':', static_cast<char>('0' + I / 100), static_cast<char>('0' + I / 10 % 10), static_cast<char>('0' + I % 10),
      '\0'};
  static constexpr std::string_view name{storage.data(), 5};
  static constexpr auto cache_ttl = std::chrono::hours(1);
  static constexpr bool critical = I % 3 != 0;
  arbiter::check_result operator()() const {
    return arbiter::check_result::healthy("ok").with("replica", "primary").observe(static_cast<double>(I), "ms");
  }
};

template <std::size_t... I>
auto monitor_for(std::index_sequence<I...>) -> arbiter::health_monitor<bench_check<I>...>;

template <std::size_t N>
using monitor_of = decltype(monitor_for(std::make_index_sequence<N>{}));

template <std::size_t N>
void BM_probe_cached(benchmark::State& state) {
  monitor_of<N> monitor({.max_threads = 2});
  if (!monitor.is_ready()) state.SkipWithError("the checks did not pass");  // fills the cache
  for (auto _ : state) {
    benchmark::DoNotOptimize(monitor.is_ready());
  }
}

/// The floor of a cached probe: one clock read and one atomic load per check, folded.
template <std::size_t N>
void BM_probe_floor(benchmark::State& state) {
  std::array<std::atomic<std::uint8_t>, N> statuses{};
  const arbiter::steady_clock clock;
  for (auto _ : state) {
    auto now = clock.now();
    benchmark::DoNotOptimize(now);
    std::uint8_t folded = 0;
    for (const auto& s : statuses) folded = std::max(folded, s.load(std::memory_order_acquire));
    benchmark::DoNotOptimize(folded);
  }
}

void BM_render_health_json(benchmark::State& state) {
  monitor_of<10> monitor({.max_threads = 2});
  const auto report = monitor.check(arbiter::probe::readiness);
  std::size_t bytes = 0;
  for (auto _ : state) {
    const auto body = arbiter::render_health_json(report, {.service_id = "orders", .release_id = "1.4.2"});
    bytes += body.size();
    benchmark::DoNotOptimize(body.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}

/// The floor of rendering: copying a finished document of the same size into a new string.
void BM_render_floor_copy(benchmark::State& state) {
  monitor_of<10> monitor({.max_threads = 2});
  const auto text = arbiter::render_health_json(monitor.check(arbiter::probe::readiness));
  std::size_t bytes = 0;
  for (auto _ : state) {
    std::string body = text;
    bytes += body.size();
    benchmark::DoNotOptimize(body.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}

BENCHMARK(BM_probe_cached<1>)->Name("BM_probe_cached/1");
BENCHMARK(BM_probe_floor<1>)->Name("BM_probe_floor/1");
BENCHMARK(BM_probe_cached<10>)->Name("BM_probe_cached/10");
BENCHMARK(BM_probe_floor<10>)->Name("BM_probe_floor/10");
BENCHMARK(BM_probe_cached<100>)->Name("BM_probe_cached/100");
BENCHMARK(BM_probe_floor<100>)->Name("BM_probe_floor/100");
BENCHMARK(BM_render_health_json)->Name("BM_render_health_json/10");
BENCHMARK(BM_render_floor_copy)->Name("BM_render_floor_copy/10");

}  // namespace
