// Logging overhead next to its floor: the same work unlogged, logged to null_logger, to fmt_logger on /dev/null.
#include <arbiter/logging/fmt_logger.hpp>
#include <arbiter/logging/null_logger.hpp>

#include <benchmark/benchmark.h>

#include "bench_work.hpp"

#include <cstdint>
#include <cstdio>

namespace {

using arbiter_bench::work;

template <class L>
inline std::uint64_t logged_work(const L& logger, std::uint64_t x) {
  x = work(x);
  logger.log(arbiter::log_level::info, "worked", arbiter::kv("x", x), arbiter::kv("component", "bench"),
             arbiter::kv("ok", true));
  return x;
}

void BM_no_logging(benchmark::State& state) {
  std::uint64_t x = 1;
  for (auto _ : state) {
    benchmark::DoNotOptimize(x);
    x = work(x);
    benchmark::DoNotOptimize(x);
  }
}

void BM_log_null(benchmark::State& state) {
  const arbiter::null_logger logger;
  std::uint64_t x = 1;
  for (auto _ : state) {
    benchmark::DoNotOptimize(x);
    x = logged_work(logger, x);
    benchmark::DoNotOptimize(x);
  }
}

void BM_log_fmt_devnull(benchmark::State& state) {
  std::FILE* devnull = std::fopen("/dev/null", "w");
  if (devnull == nullptr) {
    state.SkipWithError("cannot open /dev/null");
    return;
  }
  {
    const arbiter::fmt_logger logger(devnull, arbiter::log_level::info, arbiter::log_format::logfmt);
    std::uint64_t x = 1;
    for (auto _ : state) {
      benchmark::DoNotOptimize(x);
      x = logged_work(logger, x);
      benchmark::DoNotOptimize(x);
    }
  }
  std::fclose(devnull);
}

void BM_log_fmt_filtered(benchmark::State& state) {
  const arbiter::fmt_logger logger(stderr, arbiter::log_level::error);
  std::uint64_t x = 1;
  for (auto _ : state) {
    benchmark::DoNotOptimize(x);
    x = logged_work(logger, x);
    benchmark::DoNotOptimize(x);
  }
}

}  // namespace

BENCHMARK(BM_no_logging);
BENCHMARK(BM_log_null)->Name("BM_log/null");
BENCHMARK(BM_log_fmt_devnull)->Name("BM_log/fmt_devnull");
BENCHMARK(BM_log_fmt_filtered)->Name("BM_log/fmt_filtered_out");
