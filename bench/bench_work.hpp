#pragma once

// The work the logging and tracing benchmarks wrap: a few arithmetic steps the optimizer cannot fold away, so a
// benchmark measures what is around them against the same steps alone.

#include <cstdint>

namespace arbiter_bench {

// Internal linkage, as in each benchmark file's anonymous namespace: with external linkage g++ -O2 inlined less of
// the traced call around it (BM_span/sampled_out measured 4.0 ns instead of 2.6).
namespace {

inline std::uint64_t work(std::uint64_t x) noexcept {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  return x;
}

}  // namespace

}  // namespace arbiter_bench
