// The OTLP/HTTP exporter's own throughput: batches of 512 spans (3 attributes each) encoded as OTLP JSON
// (BM_otlp_http_export) or protobuf (BM_otlp_http_export/protobuf), each also gzipped (/json_gzip, /protobuf_gzip),
// and POSTed over one kept-alive loopback connection to a receiver in this process that reads each request and
// answers 200. Its floors are BM_otlp_encode and BM_otlp_encode_protobuf (encoding alone) in tracing.bench.cpp.
#include <utility>  // before Asio

#include <arbiter/tracing/otlp_http_exporter.hpp>

#include "bench_spans.hpp"

#include <benchmark/benchmark.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

// Asio and Beast come from otlp_http_exporter.hpp, which includes them under its -Wnull-dereference guard.

namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

/// Accepts connections on 127.0.0.1 and answers every request with 200 until destroyed.
class sink_receiver {
 public:
  sink_receiver() : acceptor_(io_, tcp::endpoint(asio::ip::address_v4::loopback(), 0)) {
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] { serve(); });
  }
  sink_receiver(const sink_receiver&) = delete;
  sink_receiver& operator=(const sink_receiver&) = delete;
  ~sink_receiver() {
    stopping_ = true;
    ::shutdown(acceptor_.native_handle(), SHUT_RDWR);
    const int fd = connection_fd_.load();
    if (fd >= 0) ::shutdown(fd, SHUT_RDWR);
    thread_.join();
  }
  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }

 private:
  void serve() {
    while (!stopping_) {
      tcp::socket socket(io_);
      boost::system::error_code ec;
      acceptor_.accept(socket, ec);
      if (ec || stopping_) return;
      connection_fd_.store(socket.native_handle());
      boost::beast::flat_buffer buffer;
      while (true) {
        http::request<http::string_body> request;
        http::read(socket, buffer, request, ec);
        if (ec) break;
        http::response<http::string_body> response{http::status::ok, request.version()};
        response.body() = "{}";
        response.keep_alive(true);
        response.prepare_payload();
        http::write(socket, response, ec);
        if (ec) break;
      }
      connection_fd_.store(-1);
    }
  }

  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> connection_fd_{-1};
  std::thread thread_;
};

/// One kept-alive connection, 512-span batches, until the benchmark stops; spans per second (items) and bytes on
/// the wire (compressed, with gzip).
void export_batches(benchmark::State& state, arbiter::otlp_protocol protocol, arbiter::http_compression compression) {
  sink_receiver receiver;
  arbiter::otlp_http_options options;
  options.protocol = protocol;
  options.endpoint =
      arbiter::http_endpoint::parse("http://127.0.0.1:" + std::to_string(receiver.port()) + "/v1/traces");
  options.resource.service_name = "bench";
  options.compression = compression;
  arbiter::otlp_http_exporter exporter(options);
  const std::vector<arbiter::span_data> spans = arbiter_bench::sample_batch();
  std::int64_t failures = 0;
  for (auto _ : state) {
    if (!exporter.export_spans(spans, std::chrono::seconds(10)).ok()) ++failures;
  }
  exporter.shutdown();
  state.SetItemsProcessed(state.iterations() * 512);
  state.SetBytesProcessed(static_cast<std::int64_t>(exporter.stats().bytes_sent));
  state.counters["failed_requests"] = benchmark::Counter(static_cast<double>(failures));
  state.counters["connections"] = benchmark::Counter(static_cast<double>(exporter.stats().connections));
  state.counters["wire_bytes_per_span"] =
      benchmark::Counter(state.iterations() == 0 ? 0.0
                                                 : static_cast<double>(exporter.stats().bytes_sent) /
                                                       static_cast<double>(state.iterations() * 512));
}

// One function per protocol and compression (the name says which). JSON, uncompressed, keeps the original name.
using arbiter::http_compression;
using arbiter::otlp_protocol;
void BM_otlp_http_export(benchmark::State& state) {
  export_batches(state, otlp_protocol::http_json, http_compression::none);
}
void BM_otlp_http_export_json_gzip(benchmark::State& state) {
  export_batches(state, otlp_protocol::http_json, http_compression::gzip);
}
void BM_otlp_http_export_protobuf(benchmark::State& state) {
  export_batches(state, otlp_protocol::http_protobuf, http_compression::none);
}
void BM_otlp_http_export_protobuf_gzip(benchmark::State& state) {
  export_batches(state, otlp_protocol::http_protobuf, http_compression::gzip);
}

}  // namespace

BENCHMARK(BM_otlp_http_export)->UseRealTime();
BENCHMARK(BM_otlp_http_export_json_gzip)->Name("BM_otlp_http_export/json_gzip")->UseRealTime();
BENCHMARK(BM_otlp_http_export_protobuf)->Name("BM_otlp_http_export/protobuf")->UseRealTime();
BENCHMARK(BM_otlp_http_export_protobuf_gzip)->Name("BM_otlp_http_export/protobuf_gzip")->UseRealTime();
