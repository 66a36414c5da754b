// Config read paths next to their floors: a plain struct read, a read through a held snapshot, taking the
// current snapshot (uncontended, and while another thread reloads), loading 100 fields from the environment.
#include <arbiter/config.hpp>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>

#include <benchmark/benchmark.h>
#include <boost/hana/adapt_struct.hpp>

namespace bench {

struct ten {
  std::int64_t f0 = 0, f1 = 1, f2 = 2, f3 = 3, f4 = 4, f5 = 5, f6 = 6, f7 = 7, f8 = 8, f9 = 9;
};
struct hundred {
  ten s0, s1, s2, s3, s4, s5, s6, s7, s8, s9;
};

}  // namespace bench

BOOST_HANA_ADAPT_STRUCT(bench::ten, f0, f1, f2, f3, f4, f5, f6, f7, f8, f9);
BOOST_HANA_ADAPT_STRUCT(bench::hundred, s0, s1, s2, s3, s4, s5, s6, s7, s8, s9);

namespace {

/// Makes the process multi-threaded before any benchmark runs. libstdc++ skips the atomic instructions of
/// shared_ptr reference counts while a process has never started a thread, which would flatter whichever
/// benchmarks run before the first multi-threaded one; a service is always multi-threaded.
const bool multi_threaded = [] {
  std::thread([] {}).join();
  return true;
}();

using orchestrator = arbiter::config<arbiter::orchestrator_config, arbiter::override_source>;

void BM_struct_read(benchmark::State& state) {
  const auto plain = std::make_unique<arbiter::orchestrator_config>();
  const arbiter::orchestrator_config* p = plain.get();
  benchmark::DoNotOptimize(p);
  for (auto _ : state) {
    benchmark::DoNotOptimize(p->server.port);
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_struct_read);

void BM_config_read(benchmark::State& state) {
  const orchestrator cfg{arbiter::override_source{}};
  const auto snap = cfg.current();
  const arbiter::orchestrator_config* p = snap.get();
  benchmark::DoNotOptimize(p);
  for (auto _ : state) {
    benchmark::DoNotOptimize(snap->server.port);
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_config_read);

void BM_shared_ptr_copy(benchmark::State& state) {  // the floor under taking a snapshot: one refcount round trip
  const auto shared = std::make_shared<const arbiter::orchestrator_config>();
  for (auto _ : state) {
    auto copy = shared;
    benchmark::DoNotOptimize(copy);
  }
}
BENCHMARK(BM_shared_ptr_copy);

/// The alternative we did not take: libstdc++ 12's std::atomic<std::shared_ptr> (a lock bit in the pointer).
void BM_atomic_shared_ptr_load(benchmark::State& state) {
  static std::atomic<std::shared_ptr<const arbiter::orchestrator_config>> slot;
  if (state.thread_index() == 0) slot.store(std::make_shared<const arbiter::orchestrator_config>());
  for (auto _ : state) {
    auto copy = slot.load();
    benchmark::DoNotOptimize(copy);
  }
}
BENCHMARK(BM_atomic_shared_ptr_load)->Threads(1)->Threads(2);

void BM_snapshot_acquire(benchmark::State& state) {
  static orchestrator* cfg = nullptr;
  if (state.thread_index() == 0) cfg = new orchestrator(arbiter::override_source{});
  for (auto _ : state) {
    auto snap = cfg->current();
    benchmark::DoNotOptimize(snap.get());
  }
  if (state.thread_index() == 0) {
    delete cfg;
    cfg = nullptr;
  }
}
BENCHMARK(BM_snapshot_acquire)->Threads(1)->Threads(2);

/// A source that changes one value on every read, so every reload publishes.
struct ticking_source {
  std::shared_ptr<std::atomic<std::uint32_t>> tick = std::make_shared<std::atomic<std::uint32_t>>(0);
  template <class Schema>
  void read(arbiter::source_output& out) const {
    out.entries.push_back({"agent_registry.max_agents",
                           arbiter::raw_value::scalar(std::to_string(1 + tick->fetch_add(1) % 1000)),
                           {arbiter::origin_kind::override_value, "agent_registry.max_agents"}});
  }
};

/// Taking a snapshot while another thread reloads as fast as it can (every reload publishes).
void BM_snapshot_acquire_during_reload(benchmark::State& state) {
  arbiter::config<arbiter::orchestrator_config, ticking_source> cfg{ticking_source{}};
  std::atomic<bool> stop{false};
  std::thread reloader([&] {
    while (!stop.load(std::memory_order_relaxed)) cfg.reload();
  });
  for (auto _ : state) {
    auto snap = cfg.current();
    benchmark::DoNotOptimize(snap.get());
  }
  stop = true;
  reloader.join();
}
BENCHMARK(BM_snapshot_acquire_during_reload)->UseRealTime();

void BM_reload_swap(benchmark::State& state) {
  arbiter::config<arbiter::orchestrator_config, ticking_source> cfg{ticking_source{}};
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> reads{0};
  std::thread reader([&] {
    std::uint64_t n = 0;
    while (!stop.load(std::memory_order_relaxed)) {
      auto snap = cfg.current();
      benchmark::DoNotOptimize(snap->agent_registry.max_agents);
      ++n;
    }
    reads = n;
  });
  for (auto _ : state) {
    auto result = cfg.reload();
    benchmark::DoNotOptimize(result.applied);
  }
  stop = true;
  reader.join();
  state.counters["reader_reads"] = static_cast<double>(reads.load());
}
BENCHMARK(BM_reload_swap)->UseRealTime();

void BM_load_env(benchmark::State& state) {
  using env = arbiter::env_source<"BENCH">;
  for (std::size_t i = 0; i < arbiter::schema_size<bench::hundred>; ++i) {
    ::setenv(std::string(env::variable<bench::hundred>(i)).c_str(), std::to_string(i * 7).c_str(), 1);
  }
  for (auto _ : state) {
    auto result = arbiter::load_config<bench::hundred>(env{});
    if (!result.ok()) state.SkipWithError("load failed");
    benchmark::DoNotOptimize(result.value.s9.f9);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * 100);
}
BENCHMARK(BM_load_env)->Name("BM_load_env/100");

}  // namespace
