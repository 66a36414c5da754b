#pragma once

/// \file
/// The networking of the admin server, on Boost.Beast and Asio: a listener that accepts (and turns away what
/// is over the connection cap with a 503), one session per connection that reads requests under the header and
/// body limits and the read timeout, asks the router, and writes answers in order (keep-alive and pipelining:
/// Beast's buffer keeps the bytes of the next request), and a stop that finishes the requests in flight.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

// Asio 1.74 trips g++ 12's -Wnull-dereference at -O2 and above (a false positive inside its scheduler).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#endif
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

#include <arbiter/detail/http_text.hpp>
#include <arbiter/http/detail/admin_router.hpp>

namespace arbiter::inline v1::detail {

namespace admin_net {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;
}  // namespace admin_net

/// What the sessions share: the router, the limits, the count of open connections and the stop flag.
struct admin_shared {
  admin_router router;
  std::chrono::milliseconds read_timeout{5000};
  std::size_t max_connections = 64;
  std::size_t header_limit = 8 * 1024;
  std::size_t body_limit = 64 * 1024;

  std::atomic<bool> stopping{false};
  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> server_nanoseconds{0};
  std::atomic<std::uint64_t> rejected_connections{0};
  std::atomic<std::uint64_t> timed_out{0};

  std::mutex mutex;  // guards sessions and connections
  std::condition_variable idle;
  std::size_t connections = 0;
  std::list<std::weak_ptr<class admin_session>> sessions;

  admin_shared(admin_sources sources, admin_router::settings settings)
      : router(std::move(sources), std::move(settings)) {}
};

/// Closes `stream` politely: stop sending, read what the client still sends (for at most a second and 1 MiB),
/// then close, so that the last answer is not lost to a reset caused by unread bytes. `self` keeps the owner alive.
template <class Self>
void drain_and_close(admin_net::beast::tcp_stream& stream, char (&sink)[4096], std::size_t& discarded,
                     std::shared_ptr<Self> self) {
  stream.async_read_some(admin_net::asio::buffer(sink),
                         [&stream, &sink, &discarded, self](admin_net::beast::error_code ec, std::size_t n) {
                           discarded += n;
                           if (ec || discarded > 1024 * 1024) {
                             admin_net::beast::error_code ignored;
                             stream.socket().close(ignored);
                             return;
                           }
                           drain_and_close(stream, sink, discarded, self);
                         });
}

template <class Self>
void close_politely(admin_net::beast::tcp_stream& stream, char (&sink)[4096], std::size_t& discarded,
                    std::shared_ptr<Self> self) {
  admin_net::beast::error_code ec;
  stream.socket().shutdown(admin_net::tcp::socket::shutdown_send, ec);
  if (ec) {
    stream.socket().close(ec);
    return;
  }
  stream.expires_after(std::chrono::seconds(1));
  drain_and_close(stream, sink, discarded, std::move(self));
}

/// One connection: reads a request, answers it, and reads the next (see the file comment).
class admin_session : public std::enable_shared_from_this<admin_session> {
 public:
  admin_session(admin_net::tcp::socket socket, admin_shared& shared) : stream_(std::move(socket)), shared_(shared) {}

  admin_session(const admin_session&) = delete;
  admin_session& operator=(const admin_session&) = delete;
  admin_session(admin_session&&) = delete;
  admin_session& operator=(admin_session&&) = delete;

  ~admin_session() {
    const std::lock_guard lock(shared_.mutex);
    --shared_.connections;
    shared_.idle.notify_all();
  }

  void start() {
    admin_net::asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read(); });
  }

  /// Closes the socket from outside the io_context, once its threads have been joined.
  void close_after_join() { close_now(); }

  /// Called at stop: an idle connection closes now; one with a request in flight closes after its answer.
  void stop() {
    admin_net::asio::post(stream_.get_executor(), [self = shared_from_this()] {
      if (!self->busy_ && !self->closing_) self->close_now();
    });
  }

 private:
  void read() {
    if (shared_.stopping.load(std::memory_order_acquire)) return close_now();
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(shared_.header_limit));
    parser_->body_limit(shared_.body_limit);
    header_bytes_ = 0;
    stream_.expires_after(shared_.read_timeout);  // one deadline for the whole request: a slow client is dropped
    read_header();
  }

  // The header is read piece by piece so its total size can be counted here: Beast 1.74 applies header_limit to one
  // read's worth of unparsed bytes only, so many small header lines added up to any size were accepted.
  void read_header() {
    admin_net::http::async_read_some(stream_, buffer_, *parser_,
                                     [self = shared_from_this()](admin_net::beast::error_code ec, std::size_t parsed) {
                                       self->on_header_part(ec, parsed);
                                     });
  }

  void on_header_part(admin_net::beast::error_code ec, std::size_t parsed) {
    namespace http = admin_net::http;
    if (ec) return on_read(ec);
    header_bytes_ += parsed;
    if (!parser_->is_header_done()) {
      if (header_bytes_ + buffer_.size() > shared_.header_limit) return on_read(http::error::header_limit);
      return read_header();
    }
    if (header_bytes_ > shared_.header_limit) return on_read(http::error::header_limit);
    if (parser_->is_done()) return on_read({});
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](admin_net::beast::error_code body_ec, std::size_t /*n*/) {
                       self->on_read(body_ec);
                     });
  }

  void on_read(admin_net::beast::error_code ec) {
    namespace http = admin_net::http;
    if (ec) {
      if (ec == admin_net::beast::error::timeout) shared_.timed_out.fetch_add(1, std::memory_order_relaxed);
      const auto& parse_errors = http::make_error_code(http::error::bad_target).category();
      if (ec.category() != parse_errors || ec == http::error::end_of_stream || ec == http::error::partial_message) {
        // A socket error, the client leaving, a timeout (slowloris), or the stop: nothing to answer.
        return close_now();
      }
      admin_response r;
      if (ec == http::error::header_limit) {
        r = text_answer(431, "request header fields too large");
      } else if (ec == http::error::body_limit) {
        r = text_answer(413, "payload too large");
      } else {
        r = text_answer(400, std::string("bad request: ").append(ec.message()));
      }
      return respond(std::move(r), false, false, 11);
    }
    busy_ = true;
    started_ = std::chrono::steady_clock::now();
    const auto& req = parser_->get();
    admin_request request;
    request.method = {req.method_string().data(), req.method_string().size()};
    request.target = {req.target().data(), req.target().size()};
    if (const auto it = req.find(http::field::accept); it != req.end()) {
      request.accept = {it->value().data(), it->value().size()};
    }
    if (const auto it = req.find(http::field::authorization); it != req.end()) {
      request.authorization = {it->value().data(), it->value().size()};
    }
    request.body = req.body();
    const bool head = req.method() == http::verb::head;
    admin_response r = shared_.router.handle(request);
    // Decided after the answer is ready: a stop that came while it was made closes the connection after it.
    const bool keep = req.keep_alive() && !shared_.stopping.load(std::memory_order_acquire);
    respond(std::move(r), keep, head, req.version());
  }

  void respond(admin_response r, bool keep, bool head, unsigned version) {
    namespace http = admin_net::http;
    response_.emplace(static_cast<http::status>(r.status), version);
    auto& res = *response_;
    res.set(http::field::server, "arbiter");
    res.set(http::field::content_type, header_value(r.content_type));
    res.set(http::field::cache_control, "no-store");
    if (!r.allow.empty()) res.set(http::field::allow, header_value(r.allow));
    if (r.www_authenticate) res.set(http::field::www_authenticate, "Bearer realm=\"arbiter admin\"");
    res.keep_alive(keep);
    const std::size_t size = r.body.size();
    if (!head) res.body() = std::move(r.body);
    res.content_length(size);
    stream_.expires_after(shared_.read_timeout);  // a client that does not read its answer is dropped as well
    http::async_write(stream_, res, [self = shared_from_this(), keep](admin_net::beast::error_code ec, std::size_t) {
      self->on_write(ec, keep);
    });
  }

  void on_write(admin_net::beast::error_code ec, bool keep) {
    if (busy_) {
      const auto took = std::chrono::steady_clock::now() - started_;
      shared_.requests.fetch_add(1, std::memory_order_relaxed);
      shared_.server_nanoseconds.fetch_add(
          static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(took).count()),
          std::memory_order_relaxed);
    }
    busy_ = false;
    response_.reset();
    if (ec) return close_now();
    if (!keep || shared_.stopping.load(std::memory_order_acquire)) return close_politely();
    read();
  }

  void close_politely() {
    closing_ = true;
    detail::close_politely(stream_, sink_, discarded_, shared_from_this());
  }

  void close_now() {
    admin_net::beast::error_code ec;
    stream_.socket().shutdown(admin_net::tcp::socket::shutdown_both, ec);
    stream_.close();
  }

  admin_net::beast::tcp_stream stream_;
  admin_shared& shared_;
  admin_net::beast::flat_buffer buffer_;
  std::optional<admin_net::http::request_parser<admin_net::http::string_body>> parser_;
  std::optional<admin_net::http::response<admin_net::http::string_body>> response_;
  std::chrono::steady_clock::time_point started_{};
  std::size_t header_bytes_ = 0;  // of the request being read
  bool busy_ = false;             // a request is being answered
  bool closing_ = false;          // the last answer is out; draining what the client still sends
  char sink_[4096];
  std::size_t discarded_ = 0;
};

/// Turns away a connection over the cap: a 503 with Connection: close, then a polite close.
class admin_refusal : public std::enable_shared_from_this<admin_refusal> {
 public:
  explicit admin_refusal(admin_net::tcp::socket socket) : stream_(std::move(socket)) {}

  void run() {
    stream_.expires_after(std::chrono::seconds(1));
    admin_net::asio::async_write(stream_, admin_net::asio::buffer(text()),
                                 [self = shared_from_this()](admin_net::beast::error_code ec, std::size_t) {
                                   if (ec) {
                                     admin_net::beast::error_code ignored;
                                     self->stream_.socket().close(ignored);
                                     return;
                                   }
                                   detail::close_politely(self->stream_, self->sink_, self->discarded_, self);
                                 });
  }

  /// The whole answer, on the wire as it is.
  [[nodiscard]] static const std::string& text() {
    static const std::string answer = [] {
      const std::string body = "too many connections to the admin server\n";
      return "HTTP/1.1 503 Service Unavailable\r\nServer: arbiter\r\nContent-Type: text/plain; charset=utf-8\r\n"
             "Cache-Control: no-store\r\nRetry-After: 1\r\nConnection: close\r\nContent-Length: " +
             std::to_string(body.size()) + "\r\n\r\n" + body;
    }();
    return answer;
  }

 private:
  admin_net::beast::tcp_stream stream_;
  char sink_[4096];
  std::size_t discarded_ = 0;
};

/// Accepts connections until stopped.
class admin_acceptor : public std::enable_shared_from_this<admin_acceptor> {
 public:
  admin_acceptor(admin_net::asio::io_context& io, admin_net::tcp::endpoint endpoint, admin_shared& shared)
      : io_(io), acceptor_(admin_net::asio::make_strand(io)), shared_(shared) {
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(admin_net::asio::socket_base::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen(admin_net::asio::socket_base::max_listen_connections);
  }

  [[nodiscard]] std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

  void start() {
    admin_net::asio::dispatch(acceptor_.get_executor(), [self = shared_from_this()] { self->accept(); });
  }

  void stop() {
    admin_net::asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
      admin_net::beast::error_code ec;
      self->acceptor_.close(ec);
    });
  }

  /// Closes the listening socket from outside the io_context, once its threads have been joined (the posted
  /// close of stop() may never have run).
  void close_after_join() {
    admin_net::beast::error_code ec;
    acceptor_.close(ec);
  }

 private:
  void accept() {
    acceptor_.async_accept(admin_net::asio::make_strand(io_),
                           [self = shared_from_this()](admin_net::beast::error_code ec, admin_net::tcp::socket s) {
                             self->on_accept(ec, std::move(s));
                           });
  }

  void on_accept(admin_net::beast::error_code ec, admin_net::tcp::socket socket) {
    if (ec == admin_net::asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (!ec) {
      admin_net::beast::error_code ignored;
      socket.set_option(admin_net::tcp::no_delay(true), ignored);
      std::shared_ptr<admin_session> session;
      {
        const std::lock_guard lock(shared_.mutex);
        if (shared_.connections < shared_.max_connections && !shared_.stopping.load(std::memory_order_acquire)) {
          ++shared_.connections;
          session = std::make_shared<admin_session>(std::move(socket), shared_);
          shared_.sessions.remove_if([](const std::weak_ptr<admin_session>& w) { return w.expired(); });
          shared_.sessions.push_back(session);
        }
      }
      if (session) {
        session->start();
      } else {
        shared_.rejected_connections.fetch_add(1, std::memory_order_relaxed);
        std::make_shared<admin_refusal>(std::move(socket))->run();
      }
    }
    accept();
  }

  admin_net::asio::io_context& io_;
  admin_net::tcp::acceptor acceptor_;
  admin_shared& shared_;
};

}  // namespace arbiter::inline v1::detail
