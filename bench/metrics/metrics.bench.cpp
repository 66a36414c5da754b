// Counters, histograms and exposition: arbiter's metrics_registry next to prometheus-cpp 1.0.1 doing the same work,
// and next to the floors (a bare relaxed atomic add, a plain add) in the same binary.

#include <arbiter/metrics.hpp>

#include <benchmark/benchmark.h>
#include <prometheus/counter.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace {

constexpr auto requests = arbiter::counter_metric("bench_requests_total", "Requests.", "route");
constexpr double bounds[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                             0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};
constexpr auto latency = arbiter::histogram_metric("bench_latency_seconds", "Latency.", bounds, "route");

// ---- floors -------------------------------------------------------------------

std::atomic<std::uint64_t> bare_atomic{0};

void bare_fetch_add(benchmark::State& state) {
  for (auto _ : state) bare_atomic.fetch_add(1, std::memory_order_relaxed);
}
BENCHMARK(bare_fetch_add)->Name("BM_counter_inc/bare_atomic")->Threads(1)->Threads(2);

// ---- counter -----------------------------------------------------------------

struct arbiter_counters {
  arbiter::metrics_registry registry;
  arbiter::metric_counter counter = registry.counter(requests, {"/a"});
  arbiter::metric_histogram histogram = registry.histogram(latency, {"/a"});
};
arbiter_counters& ours() {
  static arbiter_counters instance;
  return instance;
}

struct prometheus_counters {
  prometheus::Registry registry;
  prometheus::Counter& counter = prometheus::BuildCounter()
                                     .Name("bench_requests_total")
                                     .Help("Requests.")
                                     .Register(registry)
                                     .Add({{"route", "/a"}});
  prometheus::Histogram& histogram =
      prometheus::BuildHistogram()
          .Name("bench_latency_seconds")
          .Help("Latency.")
          .Register(registry)
          .Add({{"route", "/a"}}, prometheus::Histogram::BucketBoundaries(std::begin(bounds), std::end(bounds)));
};
prometheus_counters& theirs() {
  static prometheus_counters instance;
  return instance;
}

void counter_arbiter(benchmark::State& state) {
  const arbiter::metric_counter c = ours().counter;
  for (auto _ : state) c.inc();
  benchmark::DoNotOptimize(c.value());
}
BENCHMARK(counter_arbiter)->Name("BM_counter_inc/arbiter")->Threads(1)->Threads(2);

void counter_prometheus(benchmark::State& state) {
  prometheus::Counter& c = theirs().counter;
  for (auto _ : state) c.Increment();
  benchmark::DoNotOptimize(c.Value());
}
BENCHMARK(counter_prometheus)->Name("BM_counter_inc/prometheus_cpp")->Threads(1)->Threads(2);

// ---- histogram -----------------------------------------------------------------

// The observed values walk over the buckets, so that neither library gets one predictable branch.
double sample(std::uint64_t i) noexcept { return static_cast<double>((i * 2654435761u) % 20000) * 0.0001; }

void histogram_arbiter(benchmark::State& state) {
  const arbiter::metric_histogram h = ours().histogram;
  std::uint64_t i = 0;
  for (auto _ : state) h.observe(sample(++i));
  benchmark::DoNotOptimize(h.count());
}
BENCHMARK(histogram_arbiter)->Name("BM_histogram_observe/arbiter")->Threads(1)->Threads(2);

void histogram_prometheus(benchmark::State& state) {
  prometheus::Histogram& h = theirs().histogram;
  std::uint64_t i = 0;
  for (auto _ : state) h.Observe(sample(++i));
}
BENCHMARK(histogram_prometheus)->Name("BM_histogram_observe/prometheus_cpp")->Threads(1)->Threads(2);

// ---- exposition: 1000 counter series, 10 families of 100, two labels ------------------------------------------

constexpr int families = 10;
constexpr int per_family = 100;

void expose_arbiter(benchmark::State& state) {
  arbiter::metrics_registry registry;
  std::vector<std::string> names;
  for (int f = 0; f < families; ++f) names.push_back("bench_family_" + std::to_string(f) + "_total");
  for (int f = 0; f < families; ++f) {
    const arbiter::counter_spec<2> spec{
        names[static_cast<std::size_t>(f)], "A family of counters.", {"instance", "route"}, {}, {}};
    for (int s = 0; s < per_family; ++s) {
      const std::string route = "/route/" + std::to_string(s);
      registry.counter(spec, {"host-1:8080", route}).inc(static_cast<std::uint64_t>(s) * 1000 + 7);
    }
  }
  std::string out;
  for (auto _ : state) {
    out.clear();
    registry.expose_to(out, arbiter::exposition_format::prometheus_text);
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["bytes"] = static_cast<double>(out.size());
}
BENCHMARK(expose_arbiter)->Name("BM_expose/arbiter")->Unit(benchmark::kMicrosecond);

void expose_prometheus(benchmark::State& state) {
  prometheus::Registry registry;
  for (int f = 0; f < families; ++f) {
    auto& family = prometheus::BuildCounter()
                       .Name("bench_family_" + std::to_string(f) + "_total")
                       .Help("A family of counters.")
                       .Register(registry);
    for (int s = 0; s < per_family; ++s) {
      family.Add({{"instance", "host-1:8080"}, {"route", "/route/" + std::to_string(s)}})
          .Increment(static_cast<double>(s) * 1000 + 7);
    }
  }
  const prometheus::TextSerializer serializer;
  std::string out;
  for (auto _ : state) {
    out = serializer.Serialize(registry.Collect());
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["bytes"] = static_cast<double>(out.size());
}
BENCHMARK(expose_prometheus)->Name("BM_expose/prometheus_cpp")->Unit(benchmark::kMicrosecond);

}  // namespace
