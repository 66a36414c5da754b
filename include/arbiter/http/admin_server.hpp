#pragma once

/// \file
/// `arbiter::admin_server`: the HTTP admin endpoints that Kubernetes and Prometheus call (probes, /metrics), and
/// what people look at (/config, /breakers, a status page), on Boost.Beast. Opt-in: no umbrella header includes
/// it, for its compile cost. See docs/http.md for every endpoint and its status codes.
///
///   arbiter::admin_server server(arbiter::admin_options{.port = 0}, sources);   // binds now
///   server.start();                                                              // serves on its own thread
///   std::uint16_t port = server.port();
///
/// It runs on an io_context and threads of its own (one by default), never on a caller's thread. As an optional
/// part of the orchestrator (`with_parts<arbiter::admin_server_part>`) it reads the `admin` config section,
/// shows the service's health, metrics, config and breakers, keeps answering through the shutdown's grace and
/// drain (so /readyz says 503 while work drains), and at its own hook ("admin server", phase 50) stops
/// accepting, finishes the requests in flight and closes.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include <arbiter/config/dump.hpp>
#include <arbiter/config/orchestrator_config.hpp>
#include <arbiter/detail/json_text.hpp>
#include <arbiter/http/detail/admin_listener.hpp>
#include <arbiter/http/detail/admin_router.hpp>
#include <arbiter/lifecycle/shutdown_options.hpp>
#include <arbiter/logging/logger.hpp>
#include <arbiter/metrics/exposition.hpp>

namespace arbiter::inline v1 {

/// How the admin server listens and what it lets clients do.
struct admin_options {
  std::string host = "127.0.0.1";  ///< an IP address to bind to (not a name: nothing is resolved)
  std::uint16_t port = 0;          ///< 0: a free port, read it with port()
  std::size_t threads = 1;
  /// A request must arrive whole within this time, and an idle keep-alive connection is closed after it
  /// (a slowloris client is dropped, never waited for).
  std::chrono::milliseconds read_timeout{std::chrono::seconds(5)};
  std::size_t max_connections = 64;     ///< more get 503 and are closed
  std::size_t header_limit = 8 * 1024;  ///< the request line and headers; larger gets 431
  std::size_t body_limit = 64 * 1024;   ///< larger gets 413
  bool enable_write_actions = false;    ///< POST /breakers/<name>/... and /config/reload; off: 404
  std::string token{};                  ///< the bearer token of the write actions (required when they are on)
  std::chrono::milliseconds sample_interval{std::chrono::seconds(1)};  ///< the breakers' sparkline step
  std::size_t history_samples = 300;  ///< how many steps the sparkline keeps (5 minutes at 1 s)
  int refresh_seconds = 5;            ///< the status page's auto-refresh
};

/// Counters of an admin_server (requests answered and the time spent on them, from request read to answer sent).
struct admin_stats {
  std::uint64_t requests = 0;
  std::chrono::nanoseconds server_time{0};  ///< summed over `requests`
  std::uint64_t rejected_connections = 0;   ///< turned away over max_connections
  std::uint64_t timed_out = 0;              ///< connections closed by the read timeout
};

/// Returns the sources of a metrics registry (anything with expose(exposition_format)), which must outlive the
/// server.
template <class Registry>
[[nodiscard]] std::function<std::string(exposition_format)> admin_metrics_of(const Registry& registry) {
  return [&registry](exposition_format format) { return registry.expose(format); };
}

/// Returns the config source of a config store (basic_config: current() returns a snapshot), which must outlive
/// the server. `reload`, if given, answers POST /config/reload.
template <class Config>
[[nodiscard]] admin_config admin_config_of(const Config& config) {
  admin_config out;
  out.json = [&config] { return dump_json(config.current()); };
  out.text = [&config] { return dump_text(config.current()); };
  return out;
}

namespace detail {

inline void append_json_strings(std::string& out, std::string_view key, const std::vector<std::string>& values) {
  json_key(out, key);
  out.push_back('[');
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i != 0) out.push_back(',');
    append_json_string(out, values[i]);
  }
  out.push_back(']');
}

/// The JSON answer of POST /config/reload for a reload_result-like `r` (applied, changed, issues) and the paths
/// that wait for a restart.
template <class Result>
[[nodiscard]] std::string reload_json(const Result& r, const std::vector<std::string>& needs_restart) {
  std::string out = "{\"ok\":";
  out.append(r.ok() ? "true" : "false");
  out.append(",\"applied\":").append(r.applied ? "true" : "false").push_back(',');
  append_json_strings(out, "changed", r.changed);
  out.push_back(',');
  append_json_strings(out, "needs_restart", needs_restart);
  out.append(",\"issues\":[");
  for (std::size_t i = 0; i < r.issues.size(); ++i) {
    if (i != 0) out.push_back(',');
    out.append("{\"path\":");
    append_json_string(out, r.issues[i].path);
    out.append(",\"message\":");
    append_json_string(out, r.issues[i].message);
    out.push_back('}');
  }
  out.append("]}");
  return out;
}

}  // namespace detail

/// The HTTP admin server (see the file comment). Not copyable or movable: it owns threads.
class admin_server {
 public:
  /// Binds to options.host:options.port and listens; nothing is served before start().
  /// \throws std::invalid_argument for options it cannot run with (no thread, write actions without a token, a
  ///         host that is not an IP address), std::system_error when it cannot bind
  admin_server(admin_options options, admin_sources sources)
      : options_(checked(std::move(options))),
        shared_(std::make_unique<detail::admin_shared>(std::move(sources), router_settings(options_))) {
    shared_->read_timeout = options_.read_timeout;
    shared_->max_connections = options_.max_connections;
    shared_->header_limit = options_.header_limit;
    shared_->body_limit = options_.body_limit;
    boost::system::error_code ec;
    const auto address = boost::asio::ip::make_address(options_.host, ec);
    if (ec) throw std::invalid_argument("admin_options.host: '" + options_.host + "' is not an IP address");
    try {
      acceptor_ = std::make_shared<detail::admin_acceptor>(io_, boost::asio::ip::tcp::endpoint(address, options_.port),
                                                           *shared_);
    } catch (const boost::system::system_error& error) {
      throw std::system_error(error.code(),
                              "admin server: cannot listen on " + options_.host + ":" + std::to_string(options_.port));
    }
    port_ = acceptor_->port();
  }

  admin_server(const admin_server&) = delete;
  admin_server& operator=(const admin_server&) = delete;
  admin_server(admin_server&&) = delete;
  admin_server& operator=(admin_server&&) = delete;

  /// Stops as stop() does, waiting at most a second for the requests in flight.
  ~admin_server() { stop(std::chrono::seconds(1)); }

  /// Starts accepting and serving on the server's own threads. Calling it again does nothing.
  void start() {
    const std::lock_guard lock(lifecycle_);
    if (started_ || stopped_) return;
    started_ = true;
    acceptor_->start();
    schedule_sample();
    threads_.reserve(options_.threads);
    for (std::size_t i = 0; i < options_.threads; ++i) threads_.emplace_back([this] { io_.run(); });
  }

  /// Stops accepting, closes idle connections, lets the requests in flight finish (their connections close after
  /// the answer), and after at most `grace` closes whatever is left and joins the threads. Idempotent.
  void stop(std::chrono::milliseconds grace = std::chrono::seconds(5)) {
    const std::lock_guard lock(lifecycle_);
    if (stopped_) return;
    stopped_ = true;
    shared_->stopping.store(true, std::memory_order_release);
    acceptor_->stop();
    sampler_.cancel();
    // Weak: a strong reference held here would keep the sessions (and the connection count) alive through the
    // wait below, which would then always last the whole grace.
    std::list<std::weak_ptr<detail::admin_session>> open;
    {
      std::unique_lock sessions_lock(shared_->mutex);
      open.swap(shared_->sessions);
    }
    for (const auto& weak : open) {
      if (const auto session = weak.lock()) session->stop();
    }
    if (started_) {
      std::unique_lock sessions_lock(shared_->mutex);
      shared_->idle.wait_for(sessions_lock, grace, [this] { return shared_->connections == 0; });
    }
    io_.stop();
    for (auto& thread : threads_) thread.join();
    threads_.clear();
    // No thread runs the io_context any more: close what is left now, not when the server is destroyed.
    acceptor_->close_after_join();
    for (const auto& weak : open) {
      if (const auto session = weak.lock()) session->close_after_join();  // its handlers were never run
    }
  }

  /// Returns the port the server listens on (the one chosen when options asked for port 0).
  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
  [[nodiscard]] const admin_options& options() const noexcept { return options_; }

  /// Returns the counters (requests answered, server time, connections refused or timed out).
  [[nodiscard]] admin_stats stats() const noexcept {
    return admin_stats{shared_->requests.load(std::memory_order_relaxed),
                       std::chrono::nanoseconds(shared_->server_nanoseconds.load(std::memory_order_relaxed)),
                       shared_->rejected_connections.load(std::memory_order_relaxed),
                       shared_->timed_out.load(std::memory_order_relaxed)};
  }

  /// Samples the breakers now (the server does it every sample_interval).
  void sample() { shared_->router.sample(); }

 private:
  static admin_options checked(admin_options o) {
    if (o.threads == 0) throw std::invalid_argument("admin_options.threads: at least 1");
    if (o.max_connections == 0) throw std::invalid_argument("admin_options.max_connections: at least 1");
    if (o.read_timeout.count() <= 0) throw std::invalid_argument("admin_options.read_timeout: must be positive");
    if (o.sample_interval.count() <= 0) throw std::invalid_argument("admin_options.sample_interval: must be positive");
    if (o.enable_write_actions && o.token.empty()) {
      throw std::invalid_argument("admin_options.token: write actions are enabled without a token");
    }
    return o;
  }

  static detail::admin_router::settings router_settings(const admin_options& o) {
    detail::admin_router::settings s;
    s.enable_write_actions = o.enable_write_actions;
    s.token = o.token;
    s.history_samples = o.history_samples;
    s.sample_interval = o.sample_interval;
    s.refresh_seconds = o.refresh_seconds;
    return s;
  }

  void schedule_sample() {
    sampler_.expires_after(options_.sample_interval);
    sampler_.async_wait([this](const boost::system::error_code& ec) {
      if (ec || shared_->stopping.load(std::memory_order_acquire)) return;
      shared_->router.sample();
      schedule_sample();
    });
  }

  admin_options options_;
  std::unique_ptr<detail::admin_shared> shared_;
  boost::asio::io_context io_;
  std::shared_ptr<detail::admin_acceptor> acceptor_;
  boost::asio::steady_timer sampler_{boost::asio::make_strand(io_)};
  std::uint16_t port_ = 0;
  std::mutex lifecycle_;
  bool started_ = false;
  bool stopped_ = false;
  std::vector<std::thread> threads_;
};

/// Returns the admin server's options from the `admin` config section (admin_settings).
[[nodiscard]] inline admin_options admin_options_from(const admin_settings& s) {
  admin_options o;
  o.host = s.host;
  o.port = s.port;
  o.read_timeout = s.read_timeout;
  o.max_connections = s.max_connections;
  o.enable_write_actions = s.enable_write_actions;
  o.token = s.token.reveal();
  return o;
}

/// Returns what an orchestrator shows: its health monitor, its metrics (when with_metrics<> has expose()), its
/// config (with reload), its breakers and its shutdown state. `svc` must outlive the server.
template <class Svc>
[[nodiscard]] admin_sources admin_sources_of(Svc& svc) {
  admin_sources out;
  out.health = admin_health_of(svc.health());
  if constexpr (requires { svc.metrics().expose(exposition_format::prometheus_text); }) {
    out.metrics = admin_metrics_of(svc.metrics());
  }
  out.config = admin_config_of(svc.config_store());
  out.config.reload = [&svc] {
    const auto r = svc.reload();
    return std::pair<bool, std::string>(r.ok(), detail::reload_json(r.config, r.needs_restart));
  };
  svc.for_each_breaker([&out](std::string_view name, auto& breaker) {
    out.breakers.push_back(admin_breaker_of(std::string(name), breaker));
  });
  out.shutdown_state = [&svc] {
    if (!svc.shutdown().is_shutting_down()) return std::string(svc.started() ? "running" : "starting");
    return "shutting down: " + std::to_string(svc.gate().in_flight()) + " in flight, readiness " +
           (svc.health().accepting_traffic() ? "on" : "off");
  };
  const auto config = svc.config();
  out.service_id = config->observability.service_name;
  out.version = config->observability.service_version;
  return out;
}

/// The admin server as an optional part of the orchestrator: `with_parts<arbiter::admin_server_part>`. Built
/// from the orchestrator, it reads the `admin` config section, binds at once (the bound port is logged as
/// "admin server listening"), serves from start(), and stops at its shutdown hook "admin server" (phase 50),
/// after the grace and the drain, within the hook's budget.
class admin_server_part {
 public:
  template <class Svc>
  explicit admin_server_part(Svc& svc) : server_(admin_options_from(svc.config()->admin), admin_sources_of(svc)) {
    svc.logger().log(log_level::info, "admin server listening", kv("host", std::string_view(server_.options().host)),
                     kv("port", std::uint64_t{server_.port()}));
    svc.shutdown().add_hook("admin server", 50, [this](const hook_budget& budget) {
      server_.stop(std::max(std::chrono::milliseconds(1), budget.time_left - budget.time_left / 10));
    });
  }

  void start() { server_.start(); }

  [[nodiscard]] std::uint16_t port() const noexcept { return server_.port(); }
  [[nodiscard]] admin_server& server() noexcept { return server_; }

 private:
  admin_server server_;
};

}  // namespace arbiter::inline v1
