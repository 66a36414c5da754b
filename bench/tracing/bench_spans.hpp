#pragma once

// What the tracing benchmarks share: the traced work (a span with three attributes around a few arithmetic steps),
// the exporter that encodes every batch as OTLP JSON, and 512 finished client spans as traced_work() leaves them.

#include <arbiter/tracing/exporter.hpp>
#include <arbiter/tracing/ids.hpp>
#include <arbiter/tracing/otlp_json.hpp>
#include <arbiter/tracing/span_data.hpp>
#include <arbiter/tracing/trace.hpp>

#include <benchmark/benchmark.h>

#include "bench_work.hpp"

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace arbiter_bench {

// Internal linkage, as when this lived in the benchmark file's anonymous namespace (see bench_work.hpp).
namespace {

/// Runs `work` inside a span with three attributes (an int, a string, a bool) through `tracer`.
template <class T>
inline std::uint64_t traced_work(T& tracer, std::uint64_t x) {
  return arbiter::trace(
      tracer, "work", [x] { return work(x); }, arbiter::attr("x", 1), arbiter::attr("peer", "inventory"),
      arbiter::attr("cached", true));
}

}  // namespace

/// An exporter that does the full OTLP JSON encoding of every batch and then discards the bytes.
class encoding_sink {
 public:
  arbiter::export_result export_spans(std::span<const arbiter::span_data> batch, std::chrono::milliseconds) {
    return encode(batch);
  }
  /// In place, as the OTLP/HTTP exporter takes batches from a batch_processor.
  arbiter::export_result export_spans(arbiter::span_refs batch, std::chrono::milliseconds) { return encode(batch); }

 private:
  template <class Batch>
  arbiter::export_result encode(Batch batch) {
    body_.clear();
    arbiter::encode_otlp_json(body_, batch, resource_);
    benchmark::DoNotOptimize(body_.data());
    return arbiter::export_result::success();
  }

  std::string body_;
  arbiter::otlp_resource resource_{"bench", "1.0", "bench", {}, "arbiter", "0.1.0"};
};

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
