#pragma once

/// \file
/// `arbiter::http_get(port, target)`: one blocking GET to a server on this machine, such as the service's own admin
/// server. For a container's health command (`my_service --probe` in a Docker HEALTHCHECK, where the image has no
/// curl), a smoke test, or a demo printing what its probes answer. Opt-in like admin_server.hpp: it pulls in Beast.
///
///   const auto answer = arbiter::http_get(port, "/readyz");
///   return answer.status == 200 ? 0 : 1;

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <arbiter/detail/http_text.hpp>

namespace arbiter::inline v1 {

/// What a server answered.
struct http_answer {
  int status = 0;            ///< 200, 503, ...
  std::string content_type;  ///< empty when the server sent none
  std::string body;
};

/// What http_get sends and how long it waits.
struct http_get_options {
  std::string host = "127.0.0.1";           ///< an IPv4 or IPv6 address (no name lookup)
  std::string accept = "*/*";               ///< the Accept header
  std::chrono::milliseconds timeout{5000};  ///< for the whole exchange: connect, send, receive
  std::size_t body_limit = 8 * 1024 * 1024;
};

/// GETs `target` ("/readyz", "/metrics?x=1") from `options.host`:`port` over a new connection and returns the
/// answer, whatever its status. Throws std::runtime_error naming the address, the target and what went wrong when
/// there is no answer: nothing listens, the timeout passed, or the answer is not HTTP.
[[nodiscard]] inline http_answer http_get(std::uint16_t port, std::string_view target,
                                          const http_get_options& options = {}) {
  namespace asio = boost::asio;
  namespace beast = boost::beast;
  namespace http = beast::http;
  const std::string where = "http_get http://" + options.host + ":" + std::to_string(port) + std::string(target);
  beast::error_code ec;
  const auto address = asio::ip::make_address(options.host, ec);
  if (ec) throw std::invalid_argument(where + ": '" + options.host + "' is not an IP address");
  if (target.empty() || target.front() != '/' || detail::header_value(target) != target) {
    throw std::invalid_argument(where + ": the target must start with '/' and hold no control character");
  }

  asio::io_context io;
  beast::tcp_stream stream(io);
  http::request<http::empty_body> request(http::verb::get, beast::string_view(target.data(), target.size()), 11);
  request.set(http::field::host, options.host);
  request.set(http::field::accept, detail::header_value(options.accept));
  request.set(http::field::connection, "close");
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(options.body_limit);
  std::string failure;  // what went wrong, set by the step that failed
  const auto failed = [&failure](std::string_view step, const beast::error_code& e) {
    failure = std::string(step) + ": " + (e == beast::error::timeout ? std::string("timed out") : e.message());
  };

  stream.expires_after(options.timeout);
  stream.async_connect(asio::ip::tcp::endpoint(address, port), [&](const beast::error_code& connect_ec) {
    if (connect_ec) return failed("connect", connect_ec);
    http::async_write(stream, request, [&](const beast::error_code& write_ec, std::size_t) {
      if (write_ec) return failed("send", write_ec);
      http::async_read(stream, buffer, parser, [&](const beast::error_code& read_ec, std::size_t) {
        if (read_ec) failed("read the answer", read_ec);
      });
    });
  });
  io.run();
  if (!failure.empty()) throw std::runtime_error(where + ": " + failure);

  http_answer answer;
  const auto& response = parser.get();
  answer.status = static_cast<int>(response.result_int());
  if (const auto it = response.find(http::field::content_type); it != response.end()) {
    answer.content_type = std::string(it->value().data(), it->value().size());
  }
  answer.body = response.body();
  return answer;
}

}  // namespace arbiter::inline v1
