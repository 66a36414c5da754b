#pragma once

/// \file
/// The HTTP/1.1 client under the trace exporters (OTLP/HTTP, Zipkin): one keep-alive connection, a POST per export
/// that ends by its deadline or at a stop request, and the answer classified as an export_result. The exporter
/// encodes the body and picks its Content-Type; this part only carries it. Opt-in: it pulls in Boost.Asio and Beast,
/// so only the exporter headers include it.

// clang-format off
#include <utility>  // before Asio: Boost 1.74's Asio needs std::exchange declared under g++ 12 in C++20
// clang-format on

#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <stop_token>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

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

#include <arbiter/tracing/detail/gzip.hpp>
#include <arbiter/tracing/exporter.hpp>
#include <arbiter/tracing/otel_env.hpp>

namespace arbiter::inline v1 {

/// Counters of an HTTP trace exporter (read them from the thread that exports, or after shutdown).
struct http_export_stats {
  std::uint64_t requests = 0;     ///< HTTP requests sent, retries included
  std::uint64_t bytes_sent = 0;   ///< request bodies as sent (compressed, with gzip)
  std::uint64_t connections = 0;  ///< TCP connections opened
  unsigned last_status = 0;       ///< the last HTTP status received (0: none)
};

namespace detail {

/// What an http_span_transport connects to and sends with every request.
struct http_transport_options {
  http_endpoint endpoint{};                                  ///< checked by the exporter (http_endpoint::validate)
  std::vector<std::pair<std::string, std::string>> headers;  ///< checked by the exporter (check_http_header)
  std::string label = "OTLP";                                ///< errors read "<label> export to <url>: ..."
  std::string user_agent = "arbiter-otlp-http/0.1";
  http_compression compression = http_compression::none;
};

/// One keep-alive HTTP/1.1 connection that POSTs export bodies. Reconnects once at once when the receiver closed
/// an idle connection. Status 429, 502, 503 and 504, connection errors and timeouts are retryable (with the
/// receiver's Retry-After when given); other statuses are failures. Movable, not copyable; one thread at a time.
class http_span_transport {
 public:
  /// Takes options the exporter has checked: every request line, Host header and extra header is built from them.
  explicit http_span_transport(http_transport_options options) : state_(std::make_unique<state>(std::move(options))) {}

  /// POSTs `body` (left as it was, its capacity kept for the next export) with `content_type`; returns how it went.
  /// Never throws for network or HTTP problems. Resolving, connecting, writing and reading all end by `timeout`, or
  /// as soon as `stop` is requested.
  export_result post(std::string& body, std::string_view content_type, std::chrono::milliseconds timeout,
                     const std::stop_token& stop) {
    return state_->post(body, content_type, timeout, stop);
  }

  /// Closes the connection; the next post reconnects.
  void close() noexcept { state_->close(); }

  [[nodiscard]] const http_export_stats& stats() const noexcept { return state_->stats; }
  [[nodiscard]] const http_transport_options& options() const noexcept { return state_->options; }
  /// The URL errors show: `http://host:port/target`.
  [[nodiscard]] std::string where() const { return state_->where(); }

 private:
  struct state {
    explicit state(http_transport_options o) : options(std::move(o)), port_text(std::to_string(options.endpoint.port)) {
      host_header = options.endpoint.host.find(':') != std::string::npos ? "[" + options.endpoint.host + "]"
                                                                         : options.endpoint.host;
      host_header += ":" + port_text;
    }

    http_transport_options options;
    std::string port_text;
    std::string host_header;
    boost::asio::io_context io;
    boost::beast::tcp_stream stream{io};
    boost::beast::flat_buffer buffer;
    bool connected = false;
    http_export_stats stats;
    std::unique_ptr<gzip_compressor> gzip =
        options.compression == http_compression::gzip ? std::make_unique<gzip_compressor>() : nullptr;

    void close() noexcept {
      boost::beast::error_code ignored;
      stream.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
      stream.socket().close(ignored);
      connected = false;
      buffer.clear();
    }

    /// Runs the io_context until `done`, the deadline or `stop`; then cancels what is pending. (The stop callback in
    /// post() calls io.stop(), the one io_context call that is safe from another thread, to end a wait at once.)
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

    export_result post(std::string& body, std::string_view content_type, std::chrono::milliseconds timeout,
                       const std::stop_token& stop) {
      namespace http = boost::beast::http;
      const auto deadline = std::chrono::steady_clock::now() + timeout;
      const std::stop_callback on_stop(stop, [this]() noexcept { io.stop(); });
      const auto stopped = [&] {
        return export_result::retry(prefix() + ": stopped at the processor's shutdown deadline");
      };

      // The body on the wire: `body` itself, or its gzip form (moved into the request and back, as `body` is).
      std::string* wire = &body;
      if (gzip) {
        if (std::string problem = gzip->compress(body); !problem.empty()) {
          return export_result::fail(prefix() + ": " + problem);
        }
        wire = &gzip->output();
      }

      // A kept-alive connection may have been closed by the receiver while idle: then reconnect once at once.
      for (int round = 0; round < 2; ++round) {
        const bool reused = connected;
        if (!connected) {
          if (const auto ec = connect(deadline, stop)) {
            close();
            if (stop.stop_requested()) return stopped();
            return export_result::retry(prefix() + ": cannot connect: " + ec.message());
          }
        }
        http::request<http::string_body> request{http::verb::post, options.endpoint.target, 11};
        request.set(http::field::host, host_header);
        request.set(http::field::content_type, boost::beast::string_view(content_type.data(), content_type.size()));
        request.set(http::field::user_agent, options.user_agent);
        if (gzip) request.set(http::field::content_encoding, "gzip");
        for (const auto& [name, value] : options.headers) request.set(name, value);
        request.keep_alive(true);
        request.body() = std::move(*wire);
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
        *wire = std::move(request.body());
        if (written && !ec) {
          ++stats.requests;
          stats.bytes_sent += wire->size();
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
          return export_result::retry(prefix() + ": " + ec.message());
        }
        if (!response.keep_alive()) close();
        return classify(response);
      }
      return export_result::retry(prefix() + ": the connection keeps closing");
    }

    template <class Response>
    export_result classify(const Response& response) {
      const unsigned status = response.result_int();
      stats.last_status = status;
      if (status >= 200 && status < 300) return export_result::success();
      std::string why = prefix() + ": HTTP " + std::to_string(status);
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
    [[nodiscard]] std::string prefix() const { return options.label + " export to " + where(); }
  };

  std::unique_ptr<state> state_;
};

}  // namespace detail

}  // namespace arbiter::inline v1
