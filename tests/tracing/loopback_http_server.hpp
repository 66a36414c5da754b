#pragma once

// A plain HTTP server on 127.0.0.1 with an ephemeral port for the exporters' tests: one thread, blocking Beast I/O,
// one connection at a time (keep-alive honoured). Each request goes to `handle`, which returns the response, or
// std::nullopt to close the connection without one. Destroying the server wakes a blocked accept() or read() and
// joins its thread; a handler that waits must be released first (the receivers built on it do that).

#include <utility>  // before Asio

// Asio and Beast come from http_span_transport.hpp, which includes them under its -Wnull-dereference guard.
#include <arbiter/tracing/detail/http_span_transport.hpp>

#include <sys/socket.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <thread>

namespace arbiter_test {

class loopback_http_server {
 public:
  using request = boost::beast::http::request<boost::beast::http::string_body>;
  using response = boost::beast::http::response<boost::beast::http::string_body>;
  using handler = std::function<std::optional<response>(const request&)>;

  explicit loopback_http_server(handler handle)
      : handle_(std::move(handle)),
        acceptor_(io_, boost::asio::ip::tcp::endpoint(boost::asio::ip::address_v4::loopback(), 0)) {
    port_ = acceptor_.local_endpoint().port();
    listen_fd_ = acceptor_.native_handle();
    thread_ = std::thread([this] { serve(); });
  }
  loopback_http_server(const loopback_http_server&) = delete;
  loopback_http_server& operator=(const loopback_http_server&) = delete;
  ~loopback_http_server() {
    stopping_.store(true);
    ::shutdown(listen_fd_, SHUT_RDWR);  // wakes accept(); a raw syscall, so no race on the Asio objects
    const int fd = connection_fd_.load();
    if (fd >= 0) ::shutdown(fd, SHUT_RDWR);
    thread_.join();
  }

  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
  /// The connections accepted so far.
  [[nodiscard]] std::size_t connections() const noexcept { return connections_.load(); }

 private:
  void serve() {
    namespace http = boost::beast::http;
    using tcp = boost::asio::ip::tcp;
    while (!stopping_.load()) {
      tcp::socket socket(io_);
      boost::system::error_code ec;
      acceptor_.accept(socket, ec);
      if (ec || stopping_.load()) return;
      connections_.fetch_add(1);
      connection_fd_.store(socket.native_handle());
      boost::beast::flat_buffer buffer;
      while (true) {
        request req;
        http::read(socket, buffer, req, ec);
        if (ec) break;
        std::optional<response> res = handle_(req);
        if (!res || stopping_.load()) break;
        res->version(req.version());
        res->keep_alive(req.keep_alive());
        res->prepare_payload();
        http::write(socket, *res, ec);
        if (ec || !req.keep_alive()) break;
      }
      connection_fd_.store(-1);
      socket.shutdown(tcp::socket::shutdown_both, ec);
      socket.close(ec);
    }
  }

  handler handle_;
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  int listen_fd_ = -1;
  std::atomic<int> connection_fd_{-1};
  std::atomic<std::size_t> connections_{0};
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace arbiter_test
