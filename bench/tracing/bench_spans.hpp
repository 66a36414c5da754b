#pragma once

// What the tracing benchmarks export: 512 finished client spans with three attributes (an int, a string, a bool),
// as a traced call of the benchmarks' traced_work() leaves them.

#include <arbiter/tracing/ids.hpp>
#include <arbiter/tracing/span_data.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace arbiter_bench {

inline std::vector<arbiter::span_data> sample_batch() {
  std::vector<arbiter::span_data> spans(512);
  for (auto& s : spans) {
    s.name = "GET /inventory/items";
    s.context = {arbiter::trace_id::generate(), arbiter::span_id::generate(), 1, false};
    s.parent_span_id = arbiter::span_id::generate();
    s.kind = arbiter::span_kind::client;
    s.start_time = std::chrono::system_clock::now();
    s.end_time = s.start_time + std::chrono::microseconds(120);
    s.attributes = {{"x", std::int64_t{1}}, {"peer", std::string("inventory")}, {"cached", true}};
  }
  return spans;
}

}  // namespace arbiter_bench
