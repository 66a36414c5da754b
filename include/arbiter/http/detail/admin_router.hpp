#pragma once

/// \file
/// What the admin server answers, free of any networking: the sources it reads (type-erased, since none of this
/// is a hot path of the parts it shows), the breaker history it samples, and the router that turns one request
/// into one response. admin_server.hpp puts it behind Boost.Beast; tests can call it directly.

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <arbiter/detail/ascii.hpp>
#include <arbiter/detail/http_text.hpp>
#include <arbiter/detail/json_text.hpp>
#include <arbiter/detail/timestamp.hpp>
#include <arbiter/health/render.hpp>
#include <arbiter/health/report.hpp>
#include <arbiter/health/status.hpp>
#include <arbiter/metrics/exposition.hpp>
#include <arbiter/resilience/breaker_state.hpp>
#include <arbiter/resilience/stats.hpp>

namespace arbiter::inline v1 {

/// The health monitor as the admin server reads it. admin_health_of(monitor) fills it in.
struct admin_health {
  std::function<health_status(probe)> status;  ///< the aggregate of one probe from cached results (fast)
  std::function<bool()> accepting;             ///< the readiness switch
  std::function<health_report(probe)> report;  ///< one probe's full report (monitor.check(probe))
  std::function<health_report()> report_all;   ///< every check (monitor.check_all())
};

/// One breaker as the admin server shows and drives it. admin_breaker_of(name, breaker) fills it in.
struct admin_breaker {
  std::string name;
  std::function<breaker_status()> status;
  std::function<breaker_stats()> stats;
  std::function<void()> force_open;   ///< POST /breakers/<name>/force-open
  std::function<void()> force_close;  ///< POST /breakers/<name>/force-close: every call passes until reset
  std::function<void()> reset;        ///< POST /breakers/<name>/reset: closed, counts forgotten
};

/// The config as the admin server shows it: the effective values with their origins, secrets redacted.
struct admin_config {
  std::function<std::string()> json;  ///< dump_json(snapshot): GET /config
  std::function<std::string()> text;  ///< dump_text(snapshot): the status page
  /// POST /config/reload: reloads and returns a JSON summary; with `ok` false the answer is 422. Empty: 404.
  std::function<std::pair<bool, std::string>()> reload;
};

/// Everything the admin server shows. Every member may be left empty: its endpoint then says so (404).
struct admin_sources {
  admin_health health;
  std::function<std::string(exposition_format)> metrics;  ///< the body of a scrape (registry.expose(format))
  admin_config config;
  std::vector<admin_breaker> breakers;
  std::function<std::string()> shutdown_state;  ///< one line for the status page ("running", "draining: 3 in flight")
  std::string service_id;                       ///< health+json serviceId and the status page's title
  std::string version;                          ///< health+json version
};

/// Returns the sources of a health monitor (any basic_health_monitor), which must outlive the server.
template <class Monitor>
[[nodiscard]] admin_health admin_health_of(Monitor& monitor) {
  admin_health out;
  out.status = [&monitor](probe which) { return monitor.status(which); };
  out.accepting = [&monitor] { return monitor.accepting_traffic(); };
  out.report = [&monitor](probe which) { return monitor.check(which); };
  out.report_all = [&monitor] { return monitor.check_all(); };
  return out;
}

/// Returns the entry of a circuit breaker named `name`, which must outlive the server.
template <class Breaker>
[[nodiscard]] admin_breaker admin_breaker_of(std::string name, Breaker& breaker) {
  admin_breaker out;
  out.name = std::move(name);
  out.status = [&breaker] { return breaker.status(); };
  out.stats = [&breaker] { return breaker.stats(); };
  out.force_open = [&breaker] { breaker.force_open(); };
  out.force_close = [&breaker] { breaker.disable(); };
  out.reset = [&breaker] { breaker.reset(); };
  return out;
}

namespace detail {

/// A request as the router sees it (views into the server's buffers).
struct admin_request {
  std::string_view method;  ///< "GET", "HEAD", "POST", or whatever the client sent
  std::string_view target;  ///< path and query
  std::string_view accept;
  std::string_view authorization;
  std::string_view body;
};

/// A response before it is serialized. Header values are made safe (header_value) where they are set.
struct admin_response {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::string allow;              ///< the Allow header of a 405
  bool www_authenticate = false;  ///< a 401 asks for a bearer token
  bool cacheable = false;         ///< no Cache-Control: no-store (nothing here is, for now)
};

/// A recorded state change of a breaker, as the sampler saw it.
struct transition_record {
  std::chrono::system_clock::time_point time{};
  breaker_state from = breaker_state::closed;
  breaker_state to = breaker_state::closed;
  std::optional<transition_reason> reason;
  std::uint32_t sequence = 0;
  std::uint32_t missed = 0;  ///< transitions between two samples that were not seen one by one
};

/// What the sampler keeps of one breaker: calls and rejections per interval, and the latest transitions.
struct breaker_history {
  std::deque<std::uint64_t> calls;       ///< per sample interval, oldest first
  std::deque<std::uint64_t> rejections;  ///< per sample interval, oldest first
  std::deque<transition_record> transitions;
  std::uint64_t last_calls = 0;
  std::uint64_t last_rejections = 0;
  breaker_status last_status{};
  bool seen = false;
};

/// The media type of JSON answers.
inline constexpr std::string_view json_content_type = "application/json";
inline constexpr std::string_view html_content_type = "text/html; charset=utf-8";
inline constexpr std::string_view text_content_type = "text/plain; charset=utf-8";

/// True when the query string holds `key` (as `key`, `key=...`), e.g. `?verbose`.
[[nodiscard]] inline bool query_has(std::string_view query, std::string_view key) noexcept {
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view part = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (part.substr(0, part.find('=')) == key) return true;
  }
  return false;
}

/// True when an Accept header names application/health+json (with q above 0).
[[nodiscard]] inline bool accepts_health_json(std::string_view accept) noexcept {
  while (!accept.empty()) {
    const std::size_t comma = accept.find(',');
    const std::string_view range = accept.substr(0, comma);
    accept = comma == std::string_view::npos ? std::string_view{} : accept.substr(comma + 1);
    const std::size_t semi = range.find(';');
    if (!iequals(trim(range.substr(0, semi)), health_json_content_type)) continue;
    if (semi == std::string_view::npos) return true;
    const std::string_view params = range.substr(semi + 1);
    const std::size_t q = params.find("q=");
    if (q == std::string_view::npos) return true;
    const std::string_view value = trim(params.substr(q + 2, params.find(';', q) - q - 2));
    return parse_qvalue(value) > 0;
  }
  return false;
}

/// Writes `"key":` into a JSON object.
inline void json_key(std::string& out, std::string_view key) {
  append_json_string(out, key);
  out.push_back(':');
}

inline void json_uint(std::string& out, std::string_view key, std::uint64_t value) {
  json_key(out, key);
  out.append(std::to_string(value));
}

[[nodiscard]] inline admin_response text_answer(int status, std::string body) {
  admin_response r;
  r.status = status;
  r.body = std::move(body);
  r.body.push_back('\n');
  return r;
}

/// The router: one request in, one response out. Thread-safe: the sampler's history has its own lock, and the
/// sources are called as they are (a health monitor and a breaker are safe to read from any thread).
class admin_router {
 public:
  struct settings {
    bool enable_write_actions = false;
    std::string token;
    std::size_t history_samples = 300;
    std::chrono::milliseconds sample_interval{1000};
    std::size_t kept_transitions = 20;
    int refresh_seconds = 5;  ///< the status page's auto-refresh
  };

  admin_router(admin_sources sources, settings s)
      : sources_(std::move(sources)), settings_(std::move(s)), history_(sources_.breakers.size()) {
    sample();  // the baselines: the first interval starts now
  }

  /// Reads every breaker's counts and state once; the server calls it every sample_interval.
  void sample() {
    const auto now = std::chrono::system_clock::now();
    const std::lock_guard lock(mutex_);
    for (std::size_t i = 0; i < sources_.breakers.size(); ++i) {
      const admin_breaker& b = sources_.breakers[i];
      breaker_history& h = history_[i];
      const breaker_stats stats = b.stats ? b.stats() : breaker_stats{};
      const breaker_status status = b.status ? b.status() : breaker_status{};
      if (h.seen) {
        push_bounded(h.calls, stats.calls >= h.last_calls ? stats.calls - h.last_calls : stats.calls);
        push_bounded(h.rejections,
                     stats.rejections >= h.last_rejections ? stats.rejections - h.last_rejections : stats.rejections);
        if (status.sequence != h.last_status.sequence) {
          const std::uint32_t gap = status.sequence - h.last_status.sequence;  // wraps as the sequence does
          h.transitions.push_back(
              transition_record{now, h.last_status.state, status.state, status.reason, status.sequence, gap - 1});
          while (h.transitions.size() > settings_.kept_transitions) h.transitions.pop_front();
        }
      }
      h.last_calls = stats.calls;
      h.last_rejections = stats.rejections;
      h.last_status = status;
      h.seen = true;
    }
  }

  /// Answers one request.
  [[nodiscard]] admin_response handle(const admin_request& request) {
    const std::size_t question = request.target.find('?');
    const std::string_view path = request.target.substr(0, question);
    const std::string_view query =
        question == std::string_view::npos ? std::string_view{} : request.target.substr(question + 1);
    const bool read = request.method == "GET" || request.method == "HEAD";

    if (const std::optional<probe> which = probe_of(path)) {
      if (!read) return method_not_allowed("GET, HEAD");
      return probe_answer(*which, query_has(query, "verbose") || accepts_health_json(request.accept));
    }
    if (path == "/health" || path == "/metrics" || path == "/config" || path == "/breakers" || path == "/") {
      if (!read) return method_not_allowed("GET, HEAD");
      if (path == "/health") return full_health();
      if (path == "/metrics") return metrics(request.accept);
      if (path == "/config") return config();
      if (path == "/breakers") return breakers_answer();
      return status_page();
    }
    if (path == "/config/reload" || (path.starts_with("/breakers/") && write_action_of(path))) {
      if (!settings_.enable_write_actions) {
        return text_answer(404, "not found: write actions are disabled (admin.enable_write_actions)");
      }
      if (request.method != "POST") return method_not_allowed("POST");
      if (admin_response denied; !authorized(request.authorization, denied)) return denied;
      return path == "/config/reload" ? reload() : breaker_action(path);
    }
    return text_answer(404, "not found");
  }

  [[nodiscard]] const admin_sources& sources() const noexcept { return sources_; }
  [[nodiscard]] const settings& options() const noexcept { return settings_; }

 private:
  enum class action { force_open, force_close, reset };

  void push_bounded(std::deque<std::uint64_t>& series, std::uint64_t value) const {
    series.push_back(value);
    while (series.size() > settings_.history_samples) series.pop_front();
  }

  [[nodiscard]] static std::optional<probe> probe_of(std::string_view path) noexcept {
    if (path == "/livez" || path == "/health/live") return probe::liveness;
    if (path == "/readyz" || path == "/health/ready") return probe::readiness;
    if (path == "/startupz" || path == "/health/started") return probe::startup;
    return std::nullopt;
  }

  /// `/breakers/<name>/<action>`: the action, or none for another shape.
  [[nodiscard]] static std::optional<action> write_action_of(std::string_view path) noexcept {
    const std::string_view rest = path.substr(std::string_view("/breakers/").size());
    const std::size_t slash = rest.find('/');
    if (slash == 0 || slash == std::string_view::npos) return std::nullopt;
    const std::string_view verb = rest.substr(slash + 1);
    if (verb == "force-open") return action::force_open;
    if (verb == "force-close") return action::force_close;
    if (verb == "reset") return action::reset;
    return std::nullopt;
  }

  [[nodiscard]] static admin_response method_not_allowed(std::string_view allow) {
    admin_response r = text_answer(405, "method not allowed");
    r.allow = std::string(allow);
    return r;
  }

  [[nodiscard]] static admin_response unavailable(std::string_view what) {
    return text_answer(404, std::string("not available: ").append(what));
  }

  [[nodiscard]] health_json_options json_options() const noexcept {
    return health_json_options{.service_id = sources_.service_id, .version = sources_.version};
  }

  [[nodiscard]] static admin_response from_probe(probe_response p) {
    admin_response r;
    r.status = p.http_status;
    r.content_type = std::string(p.content_type);
    r.body = std::move(p.body);
    return r;
  }

  [[nodiscard]] admin_response probe_answer(probe which, bool json) {
    const admin_health& h = sources_.health;
    if (!h.status || !h.report) return unavailable("no health monitor");
    if (!json) {
      // The common case, a probe that passes, answers from the cached status without building a report.
      const bool switch_on = which != probe::readiness || !h.accepting || h.accepting();
      if (switch_on && h.status(which) == health_status::healthy) {
        admin_response r;
        r.body = "pass\n";
        return r;
      }
      return from_probe(plain_response(h.report(which)));
    }
    return from_probe(health_json_response(h.report(which), json_options()));
  }

  [[nodiscard]] admin_response full_health() {
    if (!sources_.health.report_all) return unavailable("no health monitor");
    return from_probe(health_json_response(sources_.health.report_all(), json_options()));
  }

  [[nodiscard]] admin_response metrics(std::string_view accept) const {
    if (!sources_.metrics) {
      return unavailable("no metrics registry (assemble the service with with_metrics<metrics_registry>)");
    }
    const exposition_format format = negotiate_exposition(accept);
    admin_response r;
    r.content_type = std::string(content_type(format));
    r.body = sources_.metrics(format);
    return r;
  }

  [[nodiscard]] admin_response config() const {
    if (!sources_.config.json) return unavailable("no config");
    admin_response r;
    r.content_type = std::string(json_content_type);
    r.body = sources_.config.json();
    return r;
  }

  void append_breaker_json(std::string& out, std::size_t i) const {
    const admin_breaker& b = sources_.breakers[i];
    const breaker_history& h = history_[i];
    const breaker_status status = b.status ? b.status() : breaker_status{};
    const breaker_stats stats = b.stats ? b.stats() : breaker_stats{};
    out.push_back('{');
    json_key(out, "name");
    append_json_string(out, b.name);
    out.push_back(',');
    json_key(out, "state");
    append_json_string(out, to_string(status.state));
    out.push_back(',');
    json_key(out, "reason");
    if (status.reason) {
      append_json_string(out, to_string(*status.reason));
    } else {
      out.append("null");
    }
    out.push_back(',');
    json_uint(out, "sequence", status.sequence);
    out.append(",\"counts\":{");
    json_uint(out, "calls", stats.calls);
    out.push_back(',');
    json_uint(out, "successes", stats.successes);
    out.push_back(',');
    json_uint(out, "failures", stats.failures);
    out.push_back(',');
    json_uint(out, "ignored", stats.ignored);
    out.push_back(',');
    json_uint(out, "slow_calls", stats.slow_calls);
    out.push_back(',');
    json_uint(out, "timeouts", stats.timeouts);
    out.push_back(',');
    json_uint(out, "rejections", stats.rejections);
    out.push_back(',');
    json_uint(out, "transitions", stats.transitions);
    out.append(",\"failure_rate\":");
    append_json_number(out, stats.failure_rate);
    out.append(",\"counted\":");
    out.append(stats.counted ? "true" : "false");
    out.append("},\"transitions\":[");
    for (std::size_t t = 0; t < h.transitions.size(); ++t) {
      const transition_record& rec = h.transitions[h.transitions.size() - 1 - t];  // newest first
      if (t != 0) out.push_back(',');
      out.append("{\"time\":\"");
      append_rfc3339(out, rec.time);
      out.append("\",\"from\":");
      append_json_string(out, to_string(rec.from));
      out.append(",\"to\":");
      append_json_string(out, to_string(rec.to));
      out.append(",\"reason\":");
      if (rec.reason) {
        append_json_string(out, to_string(*rec.reason));
      } else {
        out.append("null");
      }
      out.push_back(',');
      json_uint(out, "sequence", rec.sequence);
      out.push_back(',');
      json_uint(out, "missed", rec.missed);
      out.push_back('}');
    }
    out.append("],\"history\":{");
    json_uint(out, "interval_ms", static_cast<std::uint64_t>(settings_.sample_interval.count()));
    out.append(",\"calls\":[");
    append_series(out, h.calls);
    out.append("],\"rejections\":[");
    append_series(out, h.rejections);
    out.append("]}}");
  }

  static void append_series(std::string& out, const std::deque<std::uint64_t>& series) {
    bool first = true;
    for (const std::uint64_t v : series) {
      if (!first) out.push_back(',');
      first = false;
      out.append(std::to_string(v));
    }
  }

  [[nodiscard]] admin_response breakers_answer() const {
    admin_response r;
    r.content_type = std::string(json_content_type);
    r.body = "{\"breakers\":[";
    const std::lock_guard lock(mutex_);
    for (std::size_t i = 0; i < sources_.breakers.size(); ++i) {
      if (i != 0) r.body.push_back(',');
      append_breaker_json(r.body, i);
    }
    r.body.append("]}");
    return r;
  }

  [[nodiscard]] bool authorized(std::string_view authorization, admin_response& denied) const {
    const std::string_view scheme = "Bearer ";
    if (authorization.size() < scheme.size() || !iequals(authorization.substr(0, scheme.size()), scheme)) {
      denied = text_answer(401, "unauthorized: send Authorization: Bearer <admin.token>");
      denied.www_authenticate = true;
      return false;
    }
    const std::string_view given = trim(authorization.substr(scheme.size()));
    if (settings_.token.empty() || !constant_time_equal(given, settings_.token)) {
      denied = text_answer(403, "forbidden: wrong token");
      return false;
    }
    return true;
  }

  [[nodiscard]] admin_response breaker_action(std::string_view path) {
    const std::string_view rest = path.substr(std::string_view("/breakers/").size());
    const std::string_view name = rest.substr(0, rest.find('/'));
    const action what = *write_action_of(path);
    for (std::size_t i = 0; i < sources_.breakers.size(); ++i) {
      admin_breaker& b = sources_.breakers[i];
      if (b.name != name) continue;
      const std::function<void()>& fn =
          what == action::force_open ? b.force_open : (what == action::force_close ? b.force_close : b.reset);
      if (!fn) return unavailable("this action on this breaker");
      fn();
      sample();  // the transition shows at once
      admin_response r;
      r.content_type = std::string(json_content_type);
      const std::lock_guard lock(mutex_);
      append_breaker_json(r.body, i);
      return r;
    }
    return text_answer(404, "not found: no breaker has this name");
  }

  [[nodiscard]] admin_response reload() {
    if (!sources_.config.reload) return unavailable("config reload");
    auto [ok, summary] = sources_.config.reload();
    admin_response r;
    r.status = ok ? 200 : 422;
    r.content_type = std::string(json_content_type);
    r.body = std::move(summary);
    return r;
  }

  // ---- the status page ------------------------------------------------------------------------------------

  static void append_sparkline(std::string& out, const std::deque<std::uint64_t>& calls,
                               const std::deque<std::uint64_t>& rejections) {
    constexpr int width = 240;
    constexpr int height = 36;
    std::uint64_t top = 1;
    for (const auto v : calls) top = std::max(top, v);
    for (const auto v : rejections) top = std::max(top, v);
    out.append(R"(<svg class="spark" width="240" height="36" viewBox="0 0 240 36" role="img">)");
    const auto line = [&](const std::deque<std::uint64_t>& series, std::string_view css) {
      if (series.empty()) return;
      out.append(R"(<polyline fill="none" class=")").append(css).append(R"(" points=")");
      const double step = series.size() > 1 ? static_cast<double>(width) / static_cast<double>(series.size() - 1) : 0;
      for (std::size_t i = 0; i < series.size(); ++i) {
        const double x = step * static_cast<double>(i);
        const double y = height - 2 - (height - 4) * static_cast<double>(series[i]) / static_cast<double>(top);
        if (i != 0) out.push_back(' ');
        out.append(std::to_string(static_cast<int>(x))).push_back(',');
        out.append(std::to_string(static_cast<int>(y)));
      }
      out.append(R"("/>)");
    };
    line(calls, "calls");
    line(rejections, "rejections");
    out.append("</svg>");
  }

  [[nodiscard]] admin_response status_page() const {
    admin_response r;
    r.content_type = std::string(html_content_type);
    std::string& out = r.body;
    const std::string title = sources_.service_id.empty() ? std::string("arbiter") : sources_.service_id;
    out.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    out.append("<meta http-equiv=\"refresh\" content=\"").append(std::to_string(settings_.refresh_seconds));
    out.append("\"><title>");
    append_html_escaped(out, title);
    out.append(
        " admin</title><style>"
        "body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}"
        "table{border-collapse:collapse;margin-bottom:1em}td,th{padding:.2em .6em;border-bottom:1px solid #ddd;"
        "text-align:left;vertical-align:top}"
        ".pass,.closed,.disabled{color:#1a7f37}.warn,.half_open{color:#9a6700}.fail,.open,.forced_open{color:#cf222e}"
        ".spark .calls{stroke:#0969da;stroke-width:1.5}.spark .rejections{stroke:#cf222e;stroke-width:1.5}"
        "pre{background:#f6f8fa;padding:.6em;overflow:auto}"
        "</style></head><body>\n<h1>");
    append_html_escaped(out, title);
    out.append("</h1>\n");

    if (sources_.shutdown_state) {
      out.append("<p id=\"shutdown\">service: ");
      append_html_escaped(out, sources_.shutdown_state());
      out.append("</p>\n");
    }

    out.append("<h2>Health</h2>\n");
    if (sources_.health.report_all) {
      const health_report report = sources_.health.report_all();
      out.append("<p id=\"health-status\" class=\"").append(to_ietf_status(report.status)).append("\">overall: ");
      out.append(to_ietf_status(report.status)).append("</p>\n");
      out.append("<table id=\"checks\"><tr><th>check</th><th>status</th><th>output</th></tr>\n");
      for (const auto& check : report.checks) {
        const std::string_view st = to_ietf_status(check.result.status);
        out.append("<tr><td>");
        append_html_escaped(out, check.name);
        out.append("</td><td class=\"").append(st).append("\">").append(st).append("</td><td>");
        append_html_escaped(out, check.result.message);
        out.append("</td></tr>\n");
      }
      out.append("</table>\n");
    } else {
      out.append("<p>no health monitor</p>\n");
    }

    out.append("<h2>Circuit breakers</h2>\n");
    out.append(
        "<table id=\"breakers\"><tr><th>breaker</th><th>state</th><th>reason</th><th>calls</th><th>failures</th>"
        "<th>rejections</th><th>calls (blue) and rejections (red), last ");
    out.append(std::to_string(settings_.history_samples * static_cast<std::size_t>(settings_.sample_interval.count()) /
                              1000))
        .append(" s</th></tr>\n");
    std::string transitions;
    {
      const std::lock_guard lock(mutex_);
      for (std::size_t i = 0; i < sources_.breakers.size(); ++i) {
        const admin_breaker& b = sources_.breakers[i];
        const breaker_status status = b.status ? b.status() : breaker_status{};
        const breaker_stats stats = b.stats ? b.stats() : breaker_stats{};
        const std::string_view st = to_string(status.state);
        out.append("<tr class=\"breaker\" data-name=\"");
        append_html_escaped(out, b.name);
        out.append("\" data-state=\"").append(st).append("\"><td>");
        append_html_escaped(out, b.name);
        out.append("</td><td class=\"").append(st).append("\">").append(st).append("</td><td>");
        out.append(status.reason ? to_string(*status.reason) : std::string_view("-"));
        out.append("</td><td>").append(std::to_string(stats.calls));
        out.append("</td><td>").append(std::to_string(stats.failures));
        out.append("</td><td>").append(std::to_string(stats.rejections)).append("</td><td>");
        append_sparkline(out, history_[i].calls, history_[i].rejections);
        out.append("</td></tr>\n");
        for (const auto& rec : history_[i].transitions) {
          std::string row = "<tr><td>";
          append_rfc3339(row, rec.time);
          row.append("</td><td>");
          append_html_escaped(row, b.name);
          row.append("</td><td>").append(to_string(rec.from)).append(" &rarr; ").append(to_string(rec.to));
          row.append("</td><td>").append(rec.reason ? to_string(*rec.reason) : std::string_view("-"));
          row.append("</td></tr>\n");
          transitions.insert(0, row);  // newest first
        }
      }
    }
    out.append("</table>\n<h2>Last transitions</h2>\n");
    out.append("<table id=\"transitions\"><tr><th>time</th><th>breaker</th><th>change</th><th>reason</th></tr>\n");
    out.append(transitions).append("</table>\n");

    out.append("<h2>Config</h2>\n");
    if (sources_.config.text) {
      out.append("<pre id=\"config\">");
      append_html_escaped(out, sources_.config.text());
      out.append("</pre>\n");
    } else {
      out.append("<p>no config</p>\n");
    }
    out.append(
        "<p>JSON: <a href=\"/health\">/health</a> <a href=\"/breakers\">/breakers</a> <a href=\"/config\">/config"
        "</a> <a href=\"/metrics\">/metrics</a></p>\n</body></html>\n");
    return r;
  }

  admin_sources sources_;
  settings settings_;
  mutable std::mutex mutex_;  // guards history_
  std::vector<breaker_history> history_;
};

}  // namespace detail

}  // namespace arbiter::inline v1
