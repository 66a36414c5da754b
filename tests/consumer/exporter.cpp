// A consumer of the opt-in trace exporters (linked with arbiter::exporters): an https:// OTLP exporter with gzip,
// exporting to a port where nothing listens, so OpenSSL and zlib are really linked and the export fails as
// retryable without any network.
#include <arbiter/tracing/otlp_http_exporter.hpp>

#include <chrono>
#include <cstdio>
#include <span>

int main() {
  arbiter::otlp_http_options options;
  options.endpoint = arbiter::http_endpoint::parse("https://127.0.0.1:1/v1/traces");
  options.compression = arbiter::http_compression::gzip;
  arbiter::otlp_http_exporter exporter(options);
  arbiter::span_data span;
  span.name = "consumer";
  const auto result = exporter.export_spans(std::span<const arbiter::span_data>(&span, 1), std::chrono::seconds(2));
  const bool ok = result.status == arbiter::export_result::code::retryable;
  std::printf("arbiter exporter consumer: %s (%s)\n", ok ? "ok" : "FAILED", result.error.c_str());
  return ok ? 0 : 1;
}
