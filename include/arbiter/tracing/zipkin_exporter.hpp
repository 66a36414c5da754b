#pragma once

/// \file
/// Zipkin v2 over HTTP: `POST /api/v2/spans` (by default `http://localhost:9411/api/v2/spans`), `Content-Type:
/// application/json`, a JSON list of spans mapped as zipkin_json.hpp says. Works with Zipkin itself and with
/// anything that takes Zipkin's v2 JSON (the OpenTelemetry Collector's zipkin receiver, Jaeger's Zipkin port).
/// Opt-in header: it pulls in Boost.Asio, Beast, OpenSSL and zlib through the HTTP transport shared with
/// otlp_http_exporter (link OpenSSL::SSL, OpenSSL::Crypto and ZLIB::ZLIB); an https:// endpoint is verified against
/// the system's trusted CAs.
///
/// Put it behind a batch_processor: an export blocks its caller for up to the timeout.
///
///   auto settings = arbiter::read_otel_environment();
///   auto processor = std::make_shared<arbiter::batch_processor<arbiter::zipkin_exporter>>(
///       arbiter::zipkin_exporter(settings.zipkin, settings.otlp.resource), settings.batch);
///
/// Or let OTEL_TRACES_EXPORTER=zipkin choose it through configured_exporter (otlp_http_exporter.hpp).
/// Zipkin answers 202 Accepted; status 429, 502, 503 and 504, connection errors and timeouts are retryable (with
/// the receiver's Retry-After when given); other statuses (a 400 for a body it cannot read) are failures.

#include <algorithm>
#include <chrono>
#include <memory>
#include <span>
#include <stop_token>
#include <string>
#include <utility>

#include <arbiter/tracing/detail/http_span_transport.hpp>
#include <arbiter/tracing/exporter.hpp>
#include <arbiter/tracing/otel_env.hpp>
#include <arbiter/tracing/zipkin_json.hpp>

namespace arbiter::inline v1 {

/// The Zipkin v2 JSON SpanExporter (see the file comment). Movable, not copyable.
class zipkin_exporter {
 public:
  /// Sends spans of `resource` (its service.name is each span's localEndpoint.serviceName) as `options` say.
  /// Throws std::invalid_argument for options that could put anything but the intended lines on the wire, as
  /// otlp_http_exporter does: an endpoint that http_endpoint::validate() refuses, or a bad header name or value
  /// (the error names the header, never its value). A repeated resource attribute key is sent once, the last value.
  explicit zipkin_exporter(zipkin_options options = {}, otlp_resource resource = {})
      : impl_(std::make_unique<impl>(std::move(options), std::move(resource))) {}

  /// Encodes `batch` and posts it; returns how it went. Never throws for network or HTTP problems. Resolving,
  /// connecting, writing and reading all end by `timeout` (at most options().timeout), or as soon as `stop` is
  /// requested (batch_processor's shutdown does that at its deadline).
  export_result export_spans(std::span<const span_data> batch, std::chrono::milliseconds timeout,
                             std::stop_token stop = {}) {
    return impl_->send(batch, std::min(timeout, impl_->options.timeout), stop);
  }
  export_result export_spans(span_refs batch, std::chrono::milliseconds timeout, std::stop_token stop = {}) {
    return impl_->send(batch, std::min(timeout, impl_->options.timeout), stop);
  }

  /// Closes the connection; later exports reconnect.
  void shutdown() { impl_->transport.close(); }

  [[nodiscard]] const http_export_stats& stats() const noexcept { return impl_->transport.stats(); }
  [[nodiscard]] const zipkin_options& options() const noexcept { return impl_->options; }
  [[nodiscard]] const otlp_resource& resource() const noexcept { return impl_->resource; }

 private:
  struct impl {
    impl(zipkin_options o, otlp_resource r)
        : options(checked(std::move(o))),
          resource(detail::with_unique_attributes(std::move(r))),
          transport(detail::http_transport_options{options.endpoint, options.headers, "Zipkin", "arbiter-zipkin/0.1",
                                                   http_compression::none, tls_options{}, "zipkin_options"}) {}

    /// Every request line, Host header and extra header is built from what passes here.
    static zipkin_options checked(zipkin_options o) {
      o.endpoint.validate("zipkin_options.endpoint");
      for (const auto& [name, value] : o.headers) detail::check_http_header("zipkin_options.headers", name, value);
      return o;
    }

    zipkin_options options;
    otlp_resource resource;
    detail::http_span_transport transport;
    std::string body;

    template <class Batch>
    export_result send(Batch batch, std::chrono::milliseconds timeout, const std::stop_token& stop) {
      body.clear();
      encode_zipkin_json(body, batch, resource);
      return transport.post(body, "application/json", timeout, stop);
    }
  };

  std::unique_ptr<impl> impl_;
};

static_assert(SpanExporter<zipkin_exporter> && InPlaceSpanExporter<zipkin_exporter>);

}  // namespace arbiter::inline v1
