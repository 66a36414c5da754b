#pragma once

/// \file
/// The HTTP/1.1 client under the trace exporters (OTLP/HTTP, Zipkin): one keep-alive connection (TLS for https://),
/// a POST per export that ends by its deadline or at a stop request, optionally gzipped, and the answer classified
/// as an export_result. The exporter encodes the body and picks its Content-Type; this part only carries it.
/// Opt-in: it pulls in Boost.Asio, Beast, OpenSSL and zlib, so only the exporter headers include it (link
/// OpenSSL::SSL, OpenSSL::Crypto and ZLIB::ZLIB).

// clang-format off
#include <utility>  // before Asio: Boost 1.74's Asio needs std::exchange declared under g++ 12 in C++20
// clang-format on

#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
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
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

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
  tls_options tls{};                       ///< for an https:// endpoint; its files are loaded at construction
  std::string what = "otlp_http_options";  ///< names the options in construction errors ("<what>.tls.ca_file")
};

/// One keep-alive HTTP/1.1 connection that POSTs export bodies. Reconnects once at once when the receiver closed
/// an idle connection. Status 429, 502, 503 and 504, connection errors, failed TLS handshakes and timeouts are
/// retryable (with the receiver's Retry-After when given); other statuses and a server certificate that fails
/// verification are failures. Movable, not copyable; one thread at a time.
///
/// https: TLS 1.2 or later, the server's certificate verified against tls.ca_file (or the system's CAs) and its
/// name or IP address (OpenSSL's own check, X509_VERIFY_PARAM, so a mismatch is reported as such), SNI for names,
/// and a client certificate for mutual TLS when given.
class http_span_transport {
 public:
  /// Takes options the exporter has checked: every request line, Host header and extra header is built from them.
  /// Loads the TLS files of an https:// endpoint now: throws std::invalid_argument naming the option (`what`) and the
  /// path for a file that is missing, unreadable, not PEM, or a key that does not match its certificate.
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
  /// The URL errors show: `http[s]://host:port/target`.
  [[nodiscard]] std::string where() const { return state_->where(); }

 private:
  struct state {
    explicit state(http_transport_options o)
        : options(std::move(o)),
          port_text(std::to_string(options.endpoint.port)),
          tls(options.endpoint.https ? make_tls_context(options) : nullptr) {
      host_header = options.endpoint.host.find(':') != std::string::npos ? "[" + options.endpoint.host + "]"
                                                                         : options.endpoint.host;
      host_header += ":" + port_text;
    }

    static std::unique_ptr<boost::asio::ssl::context> make_tls_context(const http_transport_options& o) {
      namespace ssl = boost::asio::ssl;
      auto context = std::make_unique<ssl::context>(ssl::context::tls_client);
      SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION);
      context->set_verify_mode(ssl::verify_peer);
      // An encrypted client key fails at once ("bad decrypt") instead of OpenSSL prompting on the terminal.
      context->set_password_callback([](std::size_t, ssl::context::password_purpose) { return std::string(); });
      boost::system::error_code ec;
      const auto fail = [&](const std::string& field, const std::string& path, const std::string& why) {
        throw std::invalid_argument(o.what + ".tls." + field + ": \"" + printable(path) + "\" " + why);
      };
      if (o.tls.ca_file.empty()) {
        context->set_default_verify_paths(ec);
        if (ec) throw std::invalid_argument(o.what + ": cannot load the system's trusted CAs: " + ec.message());
      } else {
        check_readable_file(o.what + ".tls.ca_file", o.tls.ca_file);
        context->load_verify_file(o.tls.ca_file, ec);
        if (ec)
          fail("ca_file", o.tls.ca_file, "holds no PEM certificate OpenSSL can load (OpenSSL: " + ec.message() + ")");
      }
      const auto& cert = o.tls.client_certificate_file;
      const auto& key = o.tls.client_key_file;
      if (cert.empty() != key.empty()) {
        throw std::invalid_argument(o.what + ".tls: mutual TLS needs both client_certificate_file and client_key_file");
      }
      if (!cert.empty()) {
        check_readable_file(o.what + ".tls.client_certificate_file", cert);
        check_readable_file(o.what + ".tls.client_key_file", key);
        context->use_certificate_chain_file(cert, ec);
        if (ec)
          fail("client_certificate_file", cert,
               "holds no PEM certificate OpenSSL can load (OpenSSL: " + ec.message() + ")");
        context->use_private_key_file(key, ssl::context::pem, ec);  // also checks the key matches the certificate
        if (ec || SSL_CTX_check_private_key(context->native_handle()) != 1) {
          fail("client_key_file", key,
               "is not a PEM private key of the client certificate \"" + printable(cert) +
                   "\" (OpenSSL: " + (ec ? ec.message() : std::string("key values mismatch")) + ")");
        }
      }
      return context;
    }

    http_transport_options options;
    std::string port_text;
    std::string host_header;
    boost::asio::io_context io;
    boost::beast::tcp_stream stream{io};                                       // http://
    std::unique_ptr<boost::asio::ssl::context> tls;                            // https:// only
    std::optional<boost::beast::ssl_stream<boost::beast::tcp_stream>> secure;  // a new one for each connection
    boost::beast::flat_buffer buffer;
    bool connected = false;
    http_export_stats stats;
    std::unique_ptr<gzip_compressor> gzip =
        options.compression == http_compression::gzip ? std::make_unique<gzip_compressor>() : nullptr;

    boost::beast::tcp_stream& lowest() noexcept { return secure ? boost::beast::get_lowest_layer(*secure) : stream; }

    /// Calls `f` with the stream requests go through: the TLS stream for https, else the TCP stream.
    template <class F>
    void on_stream(F&& f) {
      if (secure) {
        f(*secure);
      } else {
        f(stream);
      }
    }

    void close() noexcept {
      boost::beast::error_code ignored;
      lowest().socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
      lowest().socket().close(ignored);
      connected = false;
      buffer.clear();
    }

    /// Runs the io_context until `done`, the deadline or `stop`; then cancels what is pending. (The stop callback in
    /// post() calls io.stop(), the one io_context call that is safe from another thread, to end a wait at once.)
    /// With `leave_behind`, a handler still pending at the deadline is not waited for: it must own what it writes
    /// (a name lookup, which Asio runs on its own thread and cannot interrupt).
    bool run_until(const bool& done, std::chrono::steady_clock::time_point deadline, const std::stop_token& stop,
                   bool leave_behind = false) {
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
          while (!done && !leave_behind) {
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

    /// Connects (and for https, shakes hands); returns what went wrong, if anything, as the export's result.
    std::optional<export_result> connect(std::chrono::steady_clock::time_point deadline, const std::stop_token& stop) {
      using boost::asio::ip::tcp;
      const auto failed = [&](const std::string& why) {
        close();
        if (stop.stop_requested()) return stopped();
        return export_result::retry(prefix() + ": " + why);
      };
      if (stop.stop_requested()) return stopped();
      if (tls) secure.emplace(io, *tls);  // nothing is pending on the old one: run_until() ran every handler
      boost::beast::error_code ec;
      tcp::resolver resolver(io);
      // An address needs no lookup: resolved at once, on this thread.
      tcp::resolver::results_type endpoints = resolver.resolve(
          options.endpoint.host, port_text, tcp::resolver::numeric_host | tcp::resolver::numeric_service, ec);
      if (ec) {
        // A name: Asio looks it up on a thread of its own, where getaddrinfo cannot be interrupted. The lookup owns
        // its results, so at the deadline or a stop it is left behind (cancelled) instead of waited for: a slow
        // DNS server cannot hold an export, or a shutdown, past its deadline.
        struct lookup_state {
          boost::beast::error_code ec;
          tcp::resolver::results_type results;
          bool done = false;
        };
        auto lookup = std::make_shared<lookup_state>();
        resolver.async_resolve(options.endpoint.host, port_text,
                               [lookup](const boost::beast::error_code& e, const tcp::resolver::results_type& r) {
                                 lookup->ec = e;
                                 lookup->results = r;
                                 lookup->done = true;
                               });
        if (!run_until(lookup->done, deadline, stop, /*leave_behind=*/true)) {
          resolver.cancel();
          return failed("cannot connect: name lookup of " + printable(options.endpoint.host) +
                        (stop.stop_requested() ? " stopped" : " timed out"));
        }
        ec = lookup->ec;
        endpoints = lookup->results;
      }
      if (ec) return failed("cannot connect: " + ec.message());
      bool done = false;
      lowest().expires_at(deadline);
      lowest().async_connect(endpoints, [&](const boost::beast::error_code& e, const tcp::endpoint&) {
        ec = e;
        done = true;
      });
      if (!run_until(done, deadline, stop)) ec = boost::beast::error::timeout;
      if (ec) return failed("cannot connect: " + ec.message());
      ++stats.connections;
      if (secure) {
        if (auto problem = handshake(deadline, stop)) {
          close();
          return problem;
        }
      }
      connected = true;
      return std::nullopt;
    }

    /// The TLS handshake on a connected `secure`: the server's certificate checked against the trusted CAs and
    /// against the endpoint's host (a name, with SNI, or an IP address).
    std::optional<export_result> handshake(std::chrono::steady_clock::time_point deadline,
                                           const std::stop_token& stop) {
      SSL* ssl = secure->native_handle();
      const std::string& host = options.endpoint.host;
      boost::system::error_code not_ip;
      (void)boost::asio::ip::make_address(host, not_ip);
      X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
      if (not_ip) {
        // SNI: SSL_set_tlsext_host_name is a macro with a C cast (-Wold-style-cast), so its SSL_ctrl call is
        // spelled out. An IP address gets no SNI (RFC 6066).
        X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        if (SSL_set1_host(ssl, host.c_str()) != 1 ||
            SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, const_cast<char*>(host.c_str())) !=
                1) {
          return export_result::fail(prefix() + ": OpenSSL refused the host name for TLS");
        }
      } else if (X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) != 1) {
        return export_result::fail(prefix() + ": OpenSSL refused the IP address for TLS");
      }
      boost::beast::error_code ec;
      bool done = false;
      lowest().expires_at(deadline);
      secure->async_handshake(boost::asio::ssl::stream_base::client, [&](const boost::beast::error_code& e) {
        ec = e;
        done = true;
      });
      if (!run_until(done, deadline, stop)) ec = boost::beast::error::timeout;
      if (!ec) return std::nullopt;
      if (stop.stop_requested()) return stopped();
      const long verify = SSL_get_verify_result(ssl);
      if (verify != X509_V_OK) {
        // Trying again will not change the certificate: a failure, with OpenSSL's reason.
        return export_result::fail(
            prefix() + ": TLS handshake failed: certificate verify failed: " + X509_verify_cert_error_string(verify) +
            " (the server's certificate must chain to a trusted CA, tls.ca_file or "
            "OTEL_EXPORTER_OTLP_CERTIFICATE, and name this host)");
      }
      return export_result::retry(prefix() + ": TLS handshake failed: " + ec.message());
    }

    export_result stopped() const {
      return export_result::retry(prefix() + ": stopped at the processor's shutdown deadline");
    }

    export_result post(std::string& body, std::string_view content_type, std::chrono::milliseconds timeout,
                       const std::stop_token& stop) {
      namespace http = boost::beast::http;
      const auto deadline = std::chrono::steady_clock::now() + timeout;
      const std::stop_callback on_stop(stop, [this]() noexcept { io.stop(); });

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
          if (auto problem = connect(deadline, stop)) return std::move(*problem);
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
        lowest().expires_at(deadline);
        on_stream([&](auto& s) {
          http::async_write(s, request, [&](const boost::beast::error_code& e, std::size_t) {
            ec = e;
            done = true;
          });
        });
        const bool written = run_until(done, deadline, stop);
        *wire = std::move(request.body());
        if (written && !ec) {
          ++stats.requests;
          stats.bytes_sent += wire->size();
          done = false;
          lowest().expires_at(deadline);
          on_stream([&](auto& s) {
            http::async_read(s, buffer, response, [&](const boost::beast::error_code& e, std::size_t) {
              ec = e;
              done = true;
            });
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
                         ec == boost::asio::error::connection_reset || ec == boost::asio::error::broken_pipe ||
                         ec == boost::asio::ssl::error::stream_truncated);
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
        why += printable(text.substr(0, 200));  // the receiver's words, on one line
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

    [[nodiscard]] std::string where() const {
      return std::string(options.endpoint.scheme()) + "://" + host_header + options.endpoint.target;
    }
    [[nodiscard]] std::string prefix() const { return options.label + " export to " + where(); }
  };

  std::unique_ptr<state> state_;
};

}  // namespace detail

}  // namespace arbiter::inline v1
