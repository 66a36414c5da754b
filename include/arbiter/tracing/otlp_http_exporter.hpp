#pragma once

/// \file
/// OTLP/HTTP: `POST {endpoint}/v1/traces` with an ExportTraceServiceRequest body, in protobuf (`http/protobuf`, the
/// default: `Content-Type: application/x-protobuf`, otlp_protobuf.hpp) or in JSON (`http/json`:
/// `Content-Type: application/json`, otlp_json.hpp), as otlp_http_options::protocol says; gzip-compressed on
/// request, over TLS for an https:// endpoint. Works with the OpenTelemetry Collector, Jaeger (4318) and Grafana
/// Tempo. Opt-in header: it pulls in Boost.Asio and Beast (about 3 s of compile time), OpenSSL and zlib (link
/// OpenSSL::SSL, OpenSSL::Crypto and ZLIB::ZLIB), so nothing else includes it.
///
/// Put it behind a batch_processor: an export blocks its caller for up to the timeout.
///
///   auto settings = arbiter::read_otel_environment();
///   auto processor = std::make_shared<arbiter::batch_processor<arbiter::otlp_http_exporter>>(
///       arbiter::otlp_http_exporter(settings.otlp), settings.batch);
///
/// The exporter keeps one keep-alive connection and reconnects when the receiver closed it. Status 429, 502, 503
/// and 504, connection errors and timeouts are retryable (with the receiver's Retry-After when given); other
/// statuses are failures.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <span>
#include <stop_token>
#include <string>
#include <utility>

#include <arbiter/detail/chrono.hpp>
#include <arbiter/tracing/detail/http_span_transport.hpp>
#include <arbiter/tracing/exporter.hpp>
#include <arbiter/tracing/json_lines_exporter.hpp>
#include <arbiter/tracing/otel_env.hpp>
#include <arbiter/tracing/otlp_json.hpp>
#include <arbiter/tracing/otlp_protobuf.hpp>
#include <arbiter/tracing/zipkin_exporter.hpp>

namespace arbiter::inline v1 {

/// Counters of an otlp_http_exporter (read them from the thread that exports, or after shutdown).
using otlp_http_stats = http_export_stats;

/// The OTLP/HTTP SpanExporter (see the file comment). Movable, not copyable.
class otlp_http_exporter {
 public:
  /// Throws std::invalid_argument for options that could put anything but the intended lines on the wire: an
  /// endpoint that http_endpoint::validate() refuses, or a header with a name that is not an HTTP token or a value
  /// with CR, LF, NUL or another control byte (the error names the header, never its value); and, for an https://
  /// endpoint, a TLS file (options.tls) that is missing, unreadable or not PEM (the error names the option and the
  /// path). A repeated resource attribute key is sent once, with the value given last.
  explicit otlp_http_exporter(otlp_http_options options = {}) : impl_(std::make_unique<impl>(std::move(options))) {}

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
  void shutdown() { impl_->close(); }

  [[nodiscard]] const otlp_http_stats& stats() const noexcept { return impl_->transport.stats(); }
  [[nodiscard]] const otlp_http_options& options() const noexcept { return impl_->options; }

 private:
  struct impl {
    explicit impl(otlp_http_options o) : options(checked(std::move(o))), transport(transport_options(options)) {}

    /// Every request line, Host header and extra header is built from what passes here, so no option can add
    /// a line to a request.
    static otlp_http_options checked(otlp_http_options o) {
      o.endpoint.validate("otlp_http_options.endpoint");
      for (const auto& [name, value] : o.headers) detail::check_http_header("otlp_http_options.headers", name, value);
      o.resource = detail::with_unique_attributes(std::move(o.resource));
      return o;
    }

    static detail::http_transport_options transport_options(const otlp_http_options& o) {
      detail::http_transport_options t;
      t.endpoint = o.endpoint;
      t.headers = o.headers;
      t.label = "OTLP";
      t.user_agent = "arbiter-otlp-http/0.1";
      t.compression = o.compression;
      t.tls = o.tls;
      t.what = "otlp_http_options";
      return t;
    }

    otlp_http_options options;
    detail::http_span_transport transport;
    std::string body;

    void close() noexcept { transport.close(); }

    template <class Batch>
    export_result send(Batch batch, std::chrono::milliseconds timeout, const std::stop_token& stop) {
      body.clear();
      if (options.protocol == otlp_protocol::http_json) {
        encode_otlp_json(body, batch, options.resource);
        return transport.post(body, "application/json", timeout, stop);
      }
      encode_otlp_protobuf(body, batch, options.resource);
      return transport.post(body, "application/x-protobuf", timeout, stop);
    }
  };

  std::unique_ptr<impl> impl_;
};

static_assert(SpanExporter<otlp_http_exporter> && InPlaceSpanExporter<otlp_http_exporter>);

/// The exporter OTEL_TRACES_EXPORTER chose at run time: OTLP/HTTP (`otlp`), Zipkin v2 JSON (`zipkin`, to
/// OTEL_EXPORTER_ZIPKIN_ENDPOINT), JSON lines on stdout (`console`), or nothing (`none`, and a disabled SDK), behind
/// one type so the tracer's type does not depend on the environment. Every one carries settings.otlp.resource.
///
///   auto settings = arbiter::read_otel_environment();
///   auto processor = std::make_shared<arbiter::batch_processor<arbiter::configured_exporter>>(
///       arbiter::configured_exporter(settings), settings.batch);
class configured_exporter {
 public:
  explicit configured_exporter(const otel_settings& settings, std::FILE* console = stdout)
      : kind_(settings.exporter), console_(console, detail::with_unique_attributes(settings.otlp.resource)) {
    if (kind_ == otel_settings::exporter_kind::otlp) otlp_.emplace(settings.otlp);
    if (kind_ == otel_settings::exporter_kind::zipkin) zipkin_.emplace(settings.zipkin, settings.otlp.resource);
  }

  export_result export_spans(std::span<const span_data> batch, std::chrono::milliseconds timeout,
                             std::stop_token stop = {}) {
    return dispatch(batch, timeout, stop);
  }
  export_result export_spans(span_refs batch, std::chrono::milliseconds timeout, std::stop_token stop = {}) {
    return dispatch(batch, timeout, stop);
  }

  void shutdown() {
    if (otlp_) otlp_->shutdown();
    if (zipkin_) zipkin_->shutdown();
  }

  [[nodiscard]] otel_settings::exporter_kind kind() const noexcept { return kind_; }

 private:
  template <class Batch>
  export_result dispatch(Batch batch, std::chrono::milliseconds timeout, const std::stop_token& stop) {
    switch (kind_) {
      case otel_settings::exporter_kind::otlp:
        return otlp_->export_spans(batch, timeout, stop);
      case otel_settings::exporter_kind::zipkin:
        return zipkin_->export_spans(batch, timeout, stop);
      case otel_settings::exporter_kind::console:
        return console_.export_spans(batch, timeout);
      case otel_settings::exporter_kind::none:
        break;
    }
    return export_result::success();
  }

  otel_settings::exporter_kind kind_;
  std::optional<otlp_http_exporter> otlp_;
  std::optional<zipkin_exporter> zipkin_;
  json_lines_exporter console_;
};

static_assert(SpanExporter<configured_exporter> && InPlaceSpanExporter<configured_exporter>);

}  // namespace arbiter::inline v1
