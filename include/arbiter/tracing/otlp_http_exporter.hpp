#pragma once

/// \file
/// OTLP/HTTP with JSON encoding: `POST {endpoint}/v1/traces`, `Content-Type: application/json`, an
/// ExportTraceServiceRequest body. Works with the OpenTelemetry Collector, Jaeger (4318) and Grafana Tempo.
/// Opt-in header: it pulls in Boost.Asio and Beast (about 3 s of compile time), so nothing else includes it.
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

// clang-format off
#include <utility>  // before Asio: Boost 1.74's Asio needs std::exchange declared under g++ 12 in C++20
// clang-format on

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <string_view>
#include <system_error>

// Asio 1.74 trips g++ 12's -Wnull-dereference at -O2 and above (a false positive inside its scheduler).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#endif
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

#include <arbiter/detail/chrono.hpp>
#include <arbiter/tracing/exporter.hpp>
#include <arbiter/tracing/json_lines_exporter.hpp>
#include <arbiter/tracing/otel_env.hpp>
#include <arbiter/tracing/otlp_json.hpp>

namespace arbiter::inline v1 {

/// Counters of an otlp_http_exporter (read them from the thread that exports, or after shutdown).
struct otlp_http_stats {
  std::uint64_t requests = 0;     ///< HTTP requests sent, retries included
  std::uint64_t bytes_sent = 0;   ///< request bodies
  std::uint64_t connections = 0;  ///< TCP connections opened
  unsigned last_status = 0;       ///< the last HTTP status received (0: none)
};

/// The OTLP/HTTP JSON SpanExporter (see the file comment). Movable, not copyable.
class otlp_http_exporter {
 public:
  /// Throws std::invalid_argument for options that could put anything but the intended lines on the wire: an
  /// endpoint that http_endpoint::validate() refuses, or a header with a name that is not an HTTP token or a value
  /// with CR, LF, NUL or another control byte (the error names the header, never its value). A repeated resource
  /// attribute key is sent once, with the value given last.
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

  [[nodiscard]] const otlp_http_stats& stats() const noexcept { return impl_->stats; }
  [[nodiscard]] const otlp_http_options& options() const noexcept { return impl_->options; }

 private:
  struct impl {
    explicit impl(otlp_http_options o)
        : options(checked(std::move(o))), port_text(std::to_string(options.endpoint.port)) {
      host_header = options.endpoint.host.find(':') != std::string::npos ? "[" + options.endpoint.host + "]"
                                                                         : options.endpoint.host;
      host_header += ":" + port_text;
    }

    /// Every request line, Host header and extra header is built from what passes here, so no option can add
    /// a line to a request.
    static otlp_http_options checked(otlp_http_options o) {
      o.endpoint.validate("otlp_http_options.endpoint");
      for (const auto& [name, value] : o.headers) detail::check_http_header("otlp_http_options.headers", name, value);
      o.resource = detail::with_unique_attributes(std::move(o.resource));
      return o;
    }

    otlp_http_options options;
    std::string port_text;
    std::string host_header;
    boost::asio::io_context io;
    boost::beast::tcp_stream stream{io};
    boost::beast::flat_buffer buffer;
    bool connected = false;
    std::string body;
    otlp_http_stats stats;

    void close() noexcept {
      boost::beast::error_code ignored;
      stream.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
      stream.socket().close(ignored);
      connected = false;
      buffer.clear();
    }

    /// Runs the io_context until `done`, the deadline or `stop`; then cancels what is pending. (The stop callback in
    /// send() calls io.stop(), the one io_context call that is safe from another thread, to end a wait at once.)
    bool run_until(const bool& done, std::chrono::steady_clock::time_point deadline, const std::stop_token& stop) {
      io.restart();
      while (!done) {
        const auto now = std::chrono::steady_clock::now();
        if (stop.stop_requested() || now >= deadline || io.run_one_for(deadline - now) == 0) {
          if (done) break;
          if (!stop.stop_requested() && std::chrono::steady_clock::now() < deadline) {
            io.restart();
            continue;
          }
          close();
          // Run the cancelled handler (it writes to the caller's locals) before returning; a late io.stop() from
          // the stop callback may end one run early, hence the loop.
          while (!done) {
            io.restart();
            io.run_one();
          }
          io.restart();
          io.poll();
          return false;
        }
      }
      return true;
    }

    boost::beast::error_code connect(std::chrono::steady_clock::time_point deadline, const std::stop_token& stop) {
      using boost::asio::ip::tcp;
      boost::beast::error_code ec;
      tcp::resolver resolver(io);
      tcp::resolver::results_type endpoints;
      bool done = false;
      resolver.async_resolve(options.endpoint.host, port_text,
                             [&](const boost::beast::error_code& e, const tcp::resolver::results_type& results) {
                               ec = e;
                               endpoints = results;
                               done = true;
                             });
      if (!run_until(done, deadline, stop)) {
        resolver.cancel();
        return boost::beast::error::timeout;
      }
      if (ec) return ec;
      done = false;
      stream.expires_at(deadline);
      stream.async_connect(endpoints, [&](const boost::beast::error_code& e, const tcp::endpoint&) {
        ec = e;
        done = true;
      });
      if (!run_until(done, deadline, stop)) return boost::beast::error::timeout;
      if (!ec) {
        connected = true;
        ++stats.connections;
      }
      return ec;
    }

    template <class Batch>
    export_result send(Batch batch, std::chrono::milliseconds timeout, const std::stop_token& stop) {
      namespace http = boost::beast::http;
      const auto deadline = std::chrono::steady_clock::now() + timeout;
      const std::stop_callback on_stop(stop, [this]() noexcept { io.stop(); });
      const auto stopped = [&] {
        return export_result::retry("OTLP export to " + where() + ": stopped at the processor's shutdown deadline");
      };
      body.clear();
      encode_otlp_json(body, batch, options.resource);

      // A kept-alive connection may have been closed by the receiver while idle: then reconnect once at once.
      for (int round = 0; round < 2; ++round) {
        const bool reused = connected;
        if (!connected) {
          if (const auto ec = connect(deadline, stop)) {
            close();
            if (stop.stop_requested()) return stopped();
            return export_result::retry("OTLP export to " + where() + ": cannot connect: " + ec.message());
          }
        }
        http::request<http::string_body> request{http::verb::post, options.endpoint.target, 11};
        request.set(http::field::host, host_header);
        request.set(http::field::content_type, "application/json");
        request.set(http::field::user_agent, "arbiter-otlp-http/0.1");
        for (const auto& [name, value] : options.headers) request.set(name, value);
        request.keep_alive(true);
        request.body() = std::move(body);
        request.prepare_payload();

        boost::beast::error_code ec;
        bool done = false;
        http::response<http::string_body> response;
        stream.expires_at(deadline);
        http::async_write(stream, request, [&](const boost::beast::error_code& e, std::size_t) {
          ec = e;
          done = true;
        });
        const bool written = run_until(done, deadline, stop);
        body = std::move(request.body());
        if (written && !ec) {
          ++stats.requests;
          stats.bytes_sent += body.size();
          done = false;
          stream.expires_at(deadline);
          http::async_read(stream, buffer, response, [&](const boost::beast::error_code& e, std::size_t) {
            ec = e;
            done = true;
          });
          if (!run_until(done, deadline, stop)) ec = boost::beast::error::timeout;
        } else if (!written) {
          ec = boost::beast::error::timeout;
        }
        if (ec) {
          close();
          if (stop.stop_requested()) return stopped();
          const bool stale =
              reused && (ec == http::error::end_of_stream || ec == boost::asio::error::eof ||
                         ec == boost::asio::error::connection_reset || ec == boost::asio::error::broken_pipe);
          if (stale && std::chrono::steady_clock::now() < deadline) continue;
          return export_result::retry("OTLP export to " + where() + ": " + ec.message());
        }
        if (!response.keep_alive()) close();
        return classify(response);
      }
      return export_result::retry("OTLP export to " + where() + ": the connection keeps closing");
    }

    template <class Response>
    export_result classify(const Response& response) {
      const unsigned status = response.result_int();
      stats.last_status = status;
      if (status >= 200 && status < 300) return export_result::success();
      std::string why = "OTLP export to " + where() + ": HTTP " + std::to_string(status);
      const std::string_view text = response.body();
      if (!text.empty()) {
        why += ": ";
        why += text.substr(0, 200);
      }
      if (status == 429 || status == 502 || status == 503 || status == 504) {
        std::chrono::milliseconds after{0};
        const auto header = response.find(boost::beast::http::field::retry_after);
        if (header != response.end()) {
          const std::string_view value(header->value().data(), header->value().size());
          unsigned seconds = 0;
          const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), seconds);
          if (error == std::errc() && end == value.data() + value.size()) after = std::chrono::seconds(seconds);
        }
        return export_result::retry(std::move(why), after);
      }
      return export_result::fail(std::move(why));
    }

    [[nodiscard]] std::string where() const { return "http://" + host_header + options.endpoint.target; }
  };

  std::unique_ptr<impl> impl_;
};

static_assert(SpanExporter<otlp_http_exporter> && InPlaceSpanExporter<otlp_http_exporter>);

/// The exporter OTEL_TRACES_EXPORTER chose at run time: OTLP/HTTP (`otlp`), JSON lines on stdout (`console`), or
/// nothing (`none`, and a disabled SDK), behind one type so the tracer's type does not depend on the environment.
///
///   auto settings = arbiter::read_otel_environment();
///   auto processor = std::make_shared<arbiter::batch_processor<arbiter::configured_exporter>>(
///       arbiter::configured_exporter(settings), settings.batch);
class configured_exporter {
 public:
  explicit configured_exporter(const otel_settings& settings, std::FILE* console = stdout)
      : kind_(settings.exporter), console_(console, detail::with_unique_attributes(settings.otlp.resource)) {
    if (kind_ == otel_settings::exporter_kind::otlp) otlp_.emplace(settings.otlp);
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
  }

  [[nodiscard]] otel_settings::exporter_kind kind() const noexcept { return kind_; }

 private:
  template <class Batch>
  export_result dispatch(Batch batch, std::chrono::milliseconds timeout, const std::stop_token& stop) {
    switch (kind_) {
      case otel_settings::exporter_kind::otlp:
        return otlp_->export_spans(batch, timeout, stop);
      case otel_settings::exporter_kind::console:
        return console_.export_spans(batch, timeout);
      case otel_settings::exporter_kind::none:
        break;
    }
    return export_result::success();
  }

  otel_settings::exporter_kind kind_;
  std::optional<otlp_http_exporter> otlp_;
  json_lines_exporter console_;
};

static_assert(SpanExporter<configured_exporter> && InPlaceSpanExporter<configured_exporter>);

}  // namespace arbiter::inline v1
