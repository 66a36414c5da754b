// arbiter_demo: a small simulated "orders" service, wired the way a C++ service author wires arbiter.
//
//   configuration  arbiter::orchestrator_config: defaults < the demo's defaults < --config JSON file < ARBITER_*
//                  environment < key=value arguments; --help-config, --dump-config; SIGHUP reloads
//   logging        fmt_logger (logfmt or JSON lines), level and format from the observability section
//   tracing        the SDK tracer with a JSON-lines exporter when tracing is enabled, else null_tracer
//   resilience     a circuit breaker around the flaky "inventory" downstream
//   health         liveness + readiness checks, and the breaker as a non-critical check (open = DEGRADED)
//   lifecycle      readiness off -> grace -> stop intake -> drain in-flight orders -> hooks by phase -> exit code
//
// By default it plays a scripted scenario of a few seconds and narrates it; `--serve` keeps it running until
// SIGTERM or Ctrl-C. Run it with `scripts/demo`, or see docs/demo.md.
#include <arbiter/config.hpp>
#include <arbiter/config/json_source.hpp>
#include <arbiter/health.hpp>
#include <arbiter/lifecycle.hpp>
#include <arbiter/logging.hpp>
#include <arbiter/resilience.hpp>
#include <arbiter/tracing/batch_processor.hpp>
#include <arbiter/tracing/json_lines_exporter.hpp>
#include <arbiter/tracing/null_tracer.hpp>
#include <arbiter/tracing/otel_config.hpp>
#include <arbiter/tracing/sampler.hpp>
#include <arbiter/tracing/sdk_tracer.hpp>
#include <arbiter/tracing/trace.hpp>

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <iterator>
#include <latch>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace {

using namespace std::chrono_literals;
using arbiter::orchestrator_config;
using std::chrono::milliseconds;

// ---- the command line ------------------------------------------------------------------------------------------

constexpr char usage_text[] = R"(usage: arbiter_demo [options] [key.path=value ...]

Runs a simulated "orders" service: by default a scripted scenario of a few seconds, narrated on stdout.

  --config PATH       read settings from a JSON file (above the defaults, below the environment)
  --trace-file PATH   write spans as JSON lines to PATH (default: stdout) when tracing is enabled
  --logs stdout|stderr  where log lines go (default: stderr)
  --serve             keep serving simulated traffic until SIGTERM or Ctrl-C, then shut down gracefully
  --dump-config       print the effective configuration and where each value came from, then exit
  --help-config       print every setting (type, default, environment variable), then exit
  --help              print this text
  key.path=value      override one setting, e.g. resilience.failure_threshold=3 (also --set key=value)

Settings come from ARBITER_* environment variables too, e.g. ARBITER_OBSERVABILITY_LOG_FORMAT=json.
Signals: SIGTERM and SIGINT shut down gracefully (a second one forces the exit), SIGHUP reloads the settings.
Exit codes: 0 clean shutdown, 1 the scenario went wrong, 2 bad configuration or usage, others from shutdown.
)";

/// What the command line asked for.
struct command_line {
  std::optional<std::string> config_file;
  std::optional<std::string> trace_file;
  std::FILE* log_stream = stderr;
  std::vector<std::string> overrides;  ///< `key.path=value`, in the order given (later ones win)
  bool serve = false;
  bool dump_config = false;
  bool help_config = false;
  bool help = false;
};

/// A mistake on the command line (exit code 2, like a bad setting).
class usage_error : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Reads the flags; everything that is not a flag is a `key.path=value` override for the config loader to judge.
command_line parse_command_line(int argc, char** argv) {
  command_line out;
  const auto value_of = [&](int& i, std::string_view flag) -> std::string {
    if (i + 1 >= argc) throw usage_error(fmt::format("{} needs a value", flag));
    return argv[++i];
  };
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--config") {
      out.config_file = value_of(i, arg);
    } else if (arg == "--trace-file") {
      out.trace_file = value_of(i, arg);
    } else if (arg == "--logs") {
      const std::string where = value_of(i, arg);
      if (where != "stdout" && where != "stderr") throw usage_error("--logs takes stdout or stderr, not " + where);
      out.log_stream = where == "stdout" ? stdout : stderr;
    } else if (arg == "--set") {
      out.overrides.push_back(value_of(i, arg));
    } else if (arg == "--serve") {
      out.serve = true;
    } else if (arg == "--dump-config") {
      out.dump_config = true;
    } else if (arg == "--help-config") {
      out.help_config = true;
    } else if (arg == "--help" || arg == "-h") {
      out.help = true;
    } else if (arg.starts_with("-")) {
      throw usage_error(fmt::format("unknown option {}", arg));
    } else {
      out.overrides.emplace_back(arg);
    }
  }
  return out;
}

// ---- configuration ---------------------------------------------------------------------------------------------

/// The demo's own defaults, layered just above the library's: a quick scenario needs short timeouts. As the
/// lowest file layer they still lose to --config, the environment and the command line.
constexpr std::string_view scenario_defaults = R"({
  "observability": {"service_name": "orders"},
  "resilience": {"failure_threshold": 3, "success_threshold": 2, "open_timeout": "400ms",
                 "operation_timeout": "250ms"},
  "health": {"check_interval": "50ms", "check_timeout": "40ms"},
  "shutdown": {"timeout": "5s"}
})";

/// `--serve` keeps the library's timeouts, but checks health every second so status changes show up promptly.
constexpr std::string_view serve_defaults = R"({
  "observability": {"service_name": "orders"},
  "health": {"check_interval": "1s", "check_timeout": "500ms"}
})";

using env = arbiter::env_source<"ARBITER">;
using demo_config = arbiter::basic_config<orchestrator_config, arbiter::fmt_logger, arbiter::json_source,
                                          arbiter::json_source, env, arbiter::override_source>;

/// Loads the layers in precedence order. Throws arbiter::config_error listing every problem at once.
std::unique_ptr<demo_config> load_config(const command_line& args) {
  auto demo_defaults =
      arbiter::json_source::from_text(std::string(args.serve ? serve_defaults : scenario_defaults), "<demo defaults>");
  auto file = args.config_file ? arbiter::json_source(*args.config_file)
                               : arbiter::json_source::from_text("{}", "<no --config file>");
  // The loader logs warnings (say, unknown keys under a warn policy) before our own logger exists.
  arbiter::fmt_logger bootstrap({.out = stderr, .level = arbiter::log_level::warn, .name = "config"});
  return std::make_unique<demo_config>(bootstrap, std::move(demo_defaults), std::move(file), env{},
                                       arbiter::override_source(args.overrides));
}

/// The settings of every part, derived from one config snapshot and checked before anything starts.
struct service_settings {
  arbiter::breaker_options breaker;
  arbiter::health_config health;
  arbiter::shutdown_options shutdown;
  arbiter::fmt_logger::options log;
  std::string service_name;
  std::string environment;
  bool tracing = true;
  double sample_rate = 1.0;
  arbiter::otlp_resource resource;  ///< service.name, service.version, deployment.environment on every span line
};

/// Returns the config key a breaker_options field is filled from, or nothing for fields the demo leaves alone.
std::optional<std::string_view> config_key_of_breaker_field(std::string_view field) {
  if (field == "failure_threshold") return "resilience.failure_threshold";
  if (field == "success_threshold" || field == "half_open_max_trials") return "resilience.success_threshold";
  if (field == "open_duration" || field == "half_open_max_wait") return "resilience.open_timeout";
  if (field == "operation_timeout" || field == "slow_call_threshold") return "resilience.operation_timeout";
  return std::nullopt;
}

/// Maps the config sections onto the parts' option structs. Throws std::invalid_argument naming a value that
/// the config accepts but a part does not (e.g. a success_threshold above the breaker's 4095), and its source.
service_settings derive_settings(const arbiter::snapshot<orchestrator_config>& snapshot, const command_line& args) {
  const orchestrator_config& config = *snapshot;
  service_settings s;
  const auto& r = config.resilience;
  s.breaker.failure_threshold = r.failure_threshold;
  s.breaker.success_threshold = r.success_threshold;
  s.breaker.half_open_max_trials = r.success_threshold;  // enough trials in flight to close in one round
  s.breaker.open_duration = r.open_timeout;
  s.breaker.half_open_max_wait = r.open_timeout;
  s.breaker.operation_timeout = r.operation_timeout;
  s.breaker.slow_call_threshold = std::min(s.breaker.slow_call_threshold, r.operation_timeout);
  if (auto problem = arbiter::check(s.breaker, "resilience")) {
    const auto key = config_key_of_breaker_field(problem->field);
    const auto* origin = key ? snapshot.origin(*key) : nullptr;
    throw std::invalid_argument(problem->message + (origin ? " (from " + origin->describe() + ")" : std::string()));
  }

  // Background checks: probes answer from the latest results, as a load balancer's probe should.
  s.health = {.mode = arbiter::health_mode::background, .interval = config.health.check_interval};

  // The config gives one budget; spend a tenth (at most 1 s) letting load balancers notice readiness is off,
  // and at most half draining, so the hooks keep the rest.
  const milliseconds deadline = config.shutdown.timeout;
  s.shutdown.deadline = deadline;
  s.shutdown.readiness_grace = std::min<milliseconds>(1s, deadline / 10);
  s.shutdown.drain_timeout = deadline / 2;
  s.shutdown.validate("shutdown.timeout");

  const auto& o = config.observability;
  s.log = {.out = args.log_stream,
           .level = o.log_level,
           .format = o.log_format == "json" ? arbiter::log_format::json : arbiter::log_format::logfmt,
           .name = o.service_name,
           .flush = true};  // a human is watching: no line waits in a buffer
  s.service_name = o.service_name;
  s.environment = to_string(config.environment);
  s.tracing = o.tracing_enabled;
  s.sample_rate = o.trace_sample_rate;
  s.resource = arbiter::otel_defaults_from(snapshot).otlp.resource;  // also checks observability.otlp_endpoint
  return s;
}

// ---- narration -------------------------------------------------------------------------------------------------

/// Tells the story of the run on stdout, one whole line at a time, from any thread.
class narrator {
 public:
  template <class... A>
  void say(fmt::format_string<A...> format, A&&... args) {
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    std::string line = fmt::format("[demo {:6.3f}s] ", seconds);
    fmt::format_to(std::back_inserter(line), format, std::forward<A>(args)...);
    line.push_back('\n');
    const std::lock_guard lock(mutex_);
    std::fputs(line.c_str(), stdout);
    std::fflush(stdout);
  }

 private:
  std::mutex mutex_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

// ---- the simulated downstream ----------------------------------------------------------------------------------

/// Stands in for a remote inventory service: answers in about a millisecond, or fails while it is "down".
class inventory_client {
 public:
  /// Reserves stock for an order; returns the units left. Throws while the service is down or after close().
  int reserve(int order_id) {
    if (closed_.load()) throw std::logic_error("inventory client used after close()");
    std::this_thread::sleep_for(1ms);
    if (down_.load()) throw std::runtime_error("inventory: connection refused");
    return 1000 - order_id % 1000;
  }

  void set_down(bool down) noexcept { down_.store(down); }
  /// Releases the connection; registered as a shutdown hook after the orders have drained.
  void close() noexcept { closed_.store(true); }

 private:
  std::atomic<bool> down_{false};
  std::atomic<bool> closed_{false};
};

// ---- the service -----------------------------------------------------------------------------------------------

/// How one order went, as the caller saw it.
enum class order_outcome : std::uint8_t {
  placed,    ///< stock reserved
  failed,    ///< the inventory call failed (the breaker counted it)
  rejected,  ///< the open breaker answered at once, without calling inventory
};

constexpr std::string_view to_string(order_outcome outcome) noexcept {
  switch (outcome) {
    case order_outcome::placed:
      return "placed";
    case order_outcome::failed:
      return "failed";
    case order_outcome::rejected:
      return "rejected";
  }
  return "unknown";
}

/// Counts outcomes and remembers when the intake loop last made progress (the liveness check reads it).
struct traffic_stats {
  std::atomic<std::uint64_t> placed{0};
  std::atomic<std::uint64_t> failed{0};
  std::atomic<std::uint64_t> rejected{0};
  std::atomic<std::int64_t> last_beat_ms{0};

  void count(order_outcome outcome) noexcept {
    switch (outcome) {
      case order_outcome::placed:
        ++placed;
        break;
      case order_outcome::failed:
        ++failed;
        break;
      case order_outcome::rejected:
        ++rejected;
        break;
    }
  }
  void beat() noexcept { last_beat_ms.store(now_ms()); }
  [[nodiscard]] milliseconds since_beat() const noexcept { return milliseconds(now_ms() - last_beat_ms.load()); }

  static std::int64_t now_ms() noexcept {
    return std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
  }
};

/// The orders service. Logging and tracing are policies: with null_tracer the traced code is the bare code.
template <arbiter::Logger L, arbiter::Tracer T>
class orders_service {
 public:
  /// arbiter::timed makes resilience.operation_timeout count: a slower call is a failure whatever it returned.
  using breaker_type = arbiter::circuit_breaker<arbiter::timed, arbiter::counting_stats, L, T>;

  orders_service(const service_settings& settings, L logger, T tracer, inventory_client& inventory)
      : logger_(logger),
        tracer_(tracer),
        inventory_(inventory),
        service_name_(settings.service_name),
        breaker_("inventory", settings.breaker, logger, tracer) {}

  /// Places one order: a server span, and inside it the inventory call guarded by the breaker.
  order_outcome place(int order_id) {
    return arbiter::trace(
        tracer_, "orders.place",
        [&](auto& span) {
          const order_outcome outcome = reserve_stock(order_id);
          span.set_attribute("order.outcome", to_string(outcome));
          return outcome;
        },
        arbiter::attr("service.name", service_name_), arbiter::attr("order.id", order_id));
  }

  [[nodiscard]] breaker_type& breaker() noexcept { return breaker_; }
  [[nodiscard]] const breaker_type& breaker() const noexcept { return breaker_; }

 private:
  order_outcome reserve_stock(int order_id) {
    try {
      // While the breaker is open the fallback answers at once: no thread waits on a downstream known to be down.
      return breaker_.execute(
          [&] {
            arbiter::trace(tracer_, "inventory.reserve", [&] { return inventory_.reserve(order_id); });
            return order_outcome::placed;
          },
          [](const arbiter::rejection&) { return order_outcome::rejected; });
    } catch (const std::exception& error) {
      logger_.log(arbiter::log_level::debug, "order failed", arbiter::kv("order", order_id),
                  arbiter::kv("error", error.what()));
      return order_outcome::failed;
    }
  }

  [[no_unique_address]] L logger_;
  [[no_unique_address]] T tracer_;
  inventory_client& inventory_;
  std::string service_name_;
  breaker_type breaker_;
};

/// Sends an order every few milliseconds through the drain gate until intake stops.
template <class Service>
void send_orders(const std::stop_token& stop, Service& service, arbiter::drain_gate& gate, traffic_stats& stats,
                 std::atomic<int>& next_order) {
  while (!stop.stop_requested()) {
    {
      const auto pass = gate.enter();  // held while the order is in flight, so the drain waits for it
      if (!pass) break;                // shutting down: new work is refused
      stats.count(service.place(next_order++));
      stats.beat();
    }
    std::this_thread::sleep_for(5ms);
  }
}

// ---- health checks ---------------------------------------------------------------------------------------------

/// Liveness: the intake loop makes progress (or has stopped on purpose). Never a dependency: a dead inventory
/// must not get every replica restarted.
auto make_liveness_check(const traffic_stats& stats, const arbiter::drain_gate& gate) {
  return arbiter::make_check<"orders:intake", arbiter::check_options{.probes = arbiter::probe::liveness}>(
      [&stats, &gate]() -> arbiter::check_result {
        if (gate.is_closed()) return arbiter::check_result::healthy("intake stopped for shutdown");
        const auto quiet = stats.since_beat();
        if (quiet > 2s)
          return arbiter::check_result::unhealthy(fmt::format("no order handled for {} ms", quiet.count()));
        return arbiter::check_result::healthy().observe(static_cast<double>(quiet.count()), "ms");
      });
}

/// Readiness: room for more work. Critical: a replica drowning in work should get no more of it.
auto make_capacity_check(const arbiter::drain_gate& gate) {
  return arbiter::make_check<"orders:in_flight">([&gate]() -> arbiter::check_result {
    const auto in_flight = gate.in_flight();
    if (in_flight > 64) return arbiter::check_result::unhealthy(fmt::format("{} orders in flight", in_flight));
    return arbiter::check_result::healthy().observe(static_cast<double>(in_flight), "orders");
  });
}

/// The breaker as a non-critical readiness check: an open breaker degrades the service (HTTP 200, "warn")
/// instead of pulling the replica out, since every replica shares the same broken downstream.
template <class Breaker>
auto make_breaker_check(const Breaker& breaker) {
  constexpr arbiter::check_options options{.critical = false, .external = true};
  return arbiter::make_check<"inventory:circuit_breaker", options>([&breaker]() -> arbiter::check_result {
    switch (breaker.state()) {
      case arbiter::breaker_state::closed:
      case arbiter::breaker_state::disabled:
        return arbiter::check_result::healthy();
      case arbiter::breaker_state::half_open:
        return arbiter::check_result::degraded("half-open: trial calls to inventory");
      case arbiter::breaker_state::open:
      case arbiter::breaker_state::forced_open:
        break;
    }
    return arbiter::check_result::unhealthy("open: inventory calls are short-circuited");
  });
}

/// Prints what a load balancer would get from GET /readyz (plain or application/health+json).
template <class Monitor>
void show_readiness(narrator& story, Monitor& monitor, std::string_view service_name, bool as_json) {
  const auto report = monitor.check(arbiter::probe::readiness);
  if (as_json) {
    const auto response = arbiter::health_json_response(report, {.service_id = service_name});
    story.say("GET /readyz -> {} {}", response.http_status, response.content_type);
    story.say("  {}", response.body);
  } else {
    const auto response = arbiter::plain_response(report);
    std::string body = response.body;
    while (!body.empty() && body.back() == '\n') body.pop_back();
    std::replace(body.begin(), body.end(), '\n', ';');
    story.say("GET /readyz -> {} {}", response.http_status, body);
  }
}

// ---- the scripted scenario -------------------------------------------------------------------------------------

/// Sleeps for `duration` unless `stop` is requested first; returns false when it was.
bool sleep_unless_stopped(const std::stop_token& stop, milliseconds duration) {
  std::mutex mutex;
  std::condition_variable_any wake;
  std::unique_lock lock(mutex);
  return !wake.wait_for(lock, stop, duration, [&stop] { return stop.stop_requested(); });
}

/// Polls `done` until it holds or `limit` passes; a loaded machine gets generous limits, never a flaky demo.
template <class F>
bool wait_until(F done, milliseconds limit) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

/// The parts the scenario drives and observes.
template <class Service, class Monitor, class Shutdown>
struct service_parts {
  narrator& story;
  const service_settings& settings;
  inventory_client& inventory;
  Service& service;
  Monitor& monitor;
  Shutdown& shutdown;
  traffic_stats& stats;
  std::atomic<int>& next_order;
};

/// Plays the story: traffic, an outage that opens the breaker, recovery, then a graceful shutdown.
/// Returns false when something did not happen as it should (the run then exits with 1).
template <class Parts>
bool play_scenario(Parts& p) {
  auto& story = p.story;
  bool ok = true;
  const auto expect = [&](bool happened, std::string_view what) {
    if (!happened) story.say("UNEXPECTED: {} did not happen in time", what);
    ok = ok && happened;
    return happened;
  };
  const milliseconds patience = 5s + 4 * p.settings.breaker.open_duration;

  story.say("1. normal traffic: orders flow, inventory answers");
  std::this_thread::sleep_for(300ms);
  expect(wait_until([&] { return p.monitor.status(arbiter::probe::readiness) == arbiter::health_status::healthy; },
                    patience),
         "a healthy readiness probe");
  story.say("{} orders placed so far", p.stats.placed.load());
  show_readiness(story, p.monitor, p.settings.service_name, false);

  story.say("2. inventory goes down: calls fail, and after {} failures in a row the breaker opens",
            p.settings.breaker.failure_threshold);
  p.inventory.set_down(true);
  if (expect(wait_until([&] { return p.service.breaker().state() == arbiter::breaker_state::open; }, patience),
             "the breaker opening")) {
    story.say("(logged as \"circuit breaker state changed\", traced as a circuit_breaker.transition span)");
  }
  expect(wait_until([&] { return p.monitor.status(arbiter::probe::readiness) == arbiter::health_status::degraded; },
                    patience),
         "a degraded readiness probe");
  story.say("orders are rejected at once instead of waiting on inventory. The breaker check fails, but it is not");
  story.say("critical, so readiness says warn with HTTP 200: every replica shares this downstream, none should leave:");
  show_readiness(story, p.monitor, p.settings.service_name, true);

  story.say("3. inventory recovers; after {} ms the breaker lets trial calls through",
            p.settings.breaker.open_duration.count());
  p.inventory.set_down(false);
  expect(wait_until([&] { return p.service.breaker().state() == arbiter::breaker_state::closed; }, patience),
         "the breaker closing");
  expect(wait_until([&] { return p.monitor.status(arbiter::probe::readiness) == arbiter::health_status::healthy; },
                    patience),
         "a healthy readiness probe after recovery");
  show_readiness(story, p.monitor, p.settings.service_name, false);

  story.say("4. shutdown: a slow bulk order is still in flight when it starts");
  const milliseconds bulk_time = p.settings.shutdown.readiness_grace + 300ms;
  std::latch bulk_admitted(1);
  std::jthread bulk([&p, &bulk_admitted, bulk_time] {
    const auto pass = p.shutdown.gate().enter();
    bulk_admitted.count_down();
    if (!pass) return;
    std::this_thread::sleep_for(bulk_time);  // a big order: longer than the readiness grace
    p.stats.count(p.service.place(p.next_order++));
  });
  bulk_admitted.wait();
  story.say("{} order(s) in flight; shutting down as SIGTERM would", p.shutdown.gate().in_flight());
  p.shutdown.trigger_shutdown("scenario finished");
  expect(wait_until([&] { return !p.monitor.accepting_traffic(); }, patience), "readiness switching off");
  story.say("readiness is off first, so load balancers stop sending orders while in-flight ones finish:");
  show_readiness(story, p.monitor, p.settings.service_name, false);
  return ok;
}

/// Prints what the shutdown did, step by step.
void report_shutdown(narrator& story, const arbiter::shutdown_result& result) {
  const auto ms = [](std::chrono::nanoseconds d) { return std::chrono::duration<double, std::milli>(d).count(); };
  story.say("shutdown result (cause: {}{}{}):", to_string(result.cause.reason), result.cause.detail.empty() ? "" : ": ",
            result.cause.detail);
  for (const auto& step : result.readiness) {
    story.say("  readiness off  {:<18} {:<10} {:7.1f} ms", step.name, to_string(step.outcome), ms(step.duration));
  }
  story.say("  drain          {:<18} {:<10} {:7.1f} ms", fmt::format("{} left in flight", result.drain.in_flight_left),
            result.drain.drained ? "drained" : "NOT drained", ms(result.drain.duration));
  for (const auto& hook : result.hooks) {
    story.say("  hook phase {}   {:<18} {:<10} {:7.1f} ms{}{}", hook.phase, hook.name, to_string(hook.outcome),
              ms(hook.duration), hook.error.empty() ? "" : "  ", hook.error);
  }
  if (result.exit_code == 0) {
    story.say("shutdown complete: clean in {:.0f} ms, exit code 0", ms(result.duration));
  } else {
    story.say("shutdown finished with exit code {} after {:.0f} ms", result.exit_code, ms(result.duration));
  }
}

/// SIGHUP re-reads every layer (the --config file may have changed); a bad file changes nothing. The log level
/// applies at once, since every copy of the logger shares it; the other parts read their settings at start.
template <arbiter::Logger L>
void reload_on_sighup(narrator& story, demo_config& config, arbiter::shutdown_manager<L>& shutdown, L logger) {
  shutdown.on_reload([&story, &config, logger]() mutable {
    const arbiter::reload_result result = config.reload();
    if (!result.ok()) {
      story.say("SIGHUP: the configuration is invalid; the running one stays:");
      for (const auto& issue : result.issues) story.say("  {}", issue.message);
      return;
    }
    if (result.changed.empty()) {
      story.say("SIGHUP: configuration unchanged");
      return;
    }
    if constexpr (requires { logger.set_level(arbiter::log_level::info); }) {
      logger.set_level(config.current()->observability.log_level);
    }
    story.say("SIGHUP: configuration reloaded; changed: {} (the log level applies now, the rest at the next start)",
              fmt::join(result.changed, ", "));
  });
}

/// --serve: simulated traffic keeps flowing while the inventory fails now and then, until SIGTERM or Ctrl-C.
template <class Shutdown>
void serve_until_signal(narrator& story, const service_settings& settings, inventory_client& inventory,
                        Shutdown& shutdown) {
  story.say("serving: {} (pid {}); stop with SIGTERM or Ctrl-C", settings.service_name, ::getpid());
  story.say("the inventory downstream fails for 2 s every 10 s, so the breaker opens and closes");
  const std::jthread chaos =
      shutdown.start_thread("inventory chaos", [&inventory, &story](const std::stop_token& stop) {
        for (bool down = false; sleep_unless_stopped(stop, down ? 2s : 8s);) {
          down = !down;
          inventory.set_down(down);
          story.say("{}", down ? "inventory goes down" : "inventory is back");
        }
      });
  shutdown.wait();  // the chaos thread stops with intake, and is joined on the way out
}

// ---- wiring ----------------------------------------------------------------------------------------------------

/// Builds the service from its parts, runs the scenario (or serves), and shuts down. Returns the exit code.
template <arbiter::Logger L, arbiter::Tracer T>
int run_service(narrator& story, const command_line& args, demo_config& config, const service_settings& settings,
                L logger, T tracer, std::function<void()> flush_tracing) {
  inventory_client inventory;
  traffic_stats stats;
  stats.beat();
  std::atomic<int> next_order{1};

  orders_service<L, T> service(settings, logger, tracer, inventory);
  service.breaker().on_state_change([&story](const arbiter::state_change& change) {
    const std::string_view verb = change.to == arbiter::breaker_state::open        ? "opened"
                                  : change.to == arbiter::breaker_state::closed    ? "closed"
                                  : change.to == arbiter::breaker_state::half_open ? "half-open"
                                                                                   : "changed";
    story.say("inventory breaker {}: {} -> {} ({})", verb, to_string(change.from), to_string(change.to),
              to_string(change.reason));
  });

  arbiter::shutdown_manager<L> shutdown(logger, settings.shutdown);
  auto monitor = arbiter::make_health_monitor(
      settings.health, arbiter::health_policies<arbiter::steady_clock, L, T>{{}, logger, tracer},
      make_liveness_check(stats, shutdown.gate()), make_capacity_check(shutdown.gate()),
      make_breaker_check(service.breaker()));

  // Readiness goes off before anything else stops: the manager does not know the health monitor, we connect them.
  shutdown.on_readiness_off("health", [&monitor, &story] {
    monitor.set_accepting_traffic(false);
    story.say("shutdown started: readiness is off, /readyz answers 503 from now on");
  });
  std::jthread intake = shutdown.start_thread(
      "order intake", [&](std::stop_token stop) { send_orders(stop, service, shutdown.gate(), stats, next_order); });
  // Hooks run after the drain, lowest phase first: stop producing work, then release what the work used,
  // then flush the spans that describe all of it.
  shutdown.add_hook("order intake", 0, [&intake] {
    intake.request_stop();
    if (intake.joinable()) intake.join();
  });
  shutdown.add_hook(
      "inventory client", 1, [&inventory] { inventory.close(); }, 1s);
  if (flush_tracing) shutdown.add_hook("tracing", 2, std::move(flush_tracing), 2s);
  reload_on_sighup(story, config, shutdown, logger);
  shutdown.start();  // SIGTERM / SIGINT now start the same sequence, SIGHUP reloads

  story.say(
      "{} ({}): the inventory breaker opens after {} failures in a row and stays open {} ms; "
      "health checks run every {} ms; shutdown has {} ms",
      settings.service_name, settings.environment, settings.breaker.failure_threshold,
      settings.breaker.open_duration.count(), settings.health.interval.count(), settings.shutdown.deadline.count());
  bool scenario_ok = true;
  if (args.serve) {
    serve_until_signal(story, settings, inventory, shutdown);
  } else {
    auto parts = service_parts<orders_service<L, T>, decltype(monitor), arbiter::shutdown_manager<L>>{
        story, settings, inventory, service, monitor, shutdown, stats, next_order};
    scenario_ok = play_scenario(parts);
  }
  const arbiter::shutdown_result& result = shutdown.wait();
  report_shutdown(story, result);
  story.say("orders: {} placed, {} failed, {} rejected by the open breaker", stats.placed.load(), stats.failed.load(),
            stats.rejected.load());
  if (!scenario_ok) return 1;
  return result.exit_code;
}

/// The JSON-lines tracer: spans are queued by the traced call and written by the batch processor's thread.
using json_tracer = arbiter::tracer<arbiter::parent_based<arbiter::trace_id_ratio>,
                                    arbiter::batch_processor<arbiter::json_lines_exporter>>;

/// Picks the tracer the config asks for; each choice is its own instantiation of the service.
int run_with_tracing(const command_line& args, demo_config& config, const service_settings& settings) {
  narrator story;
  arbiter::fmt_logger logger(settings.log);
  if (!settings.tracing) {
    story.say("tracing is off (observability.tracing_enabled=false): the service is built with null_tracer");
    return run_service(story, args, config, settings, logger, arbiter::null_tracer{}, nullptr);
  }

  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(nullptr, &std::fclose);
  if (args.trace_file) {
    file.reset(std::fopen(args.trace_file->c_str(), "w"));
    if (!file) {
      std::fprintf(stderr, "arbiter_demo: cannot open --trace-file %s for writing\n", args.trace_file->c_str());
      return 2;
    }
  }
  auto processor = std::make_shared<arbiter::batch_processor<arbiter::json_lines_exporter>>(
      arbiter::json_lines_exporter(file ? file.get() : stdout, settings.resource),
      arbiter::batch_options{.schedule_delay = 200ms});
  json_tracer tracer(processor, arbiter::parent_based(arbiter::trace_id_ratio(settings.sample_rate)));
  // The shutdown hook flushes what the requests traced; health checks keep tracing until the monitor is gone,
  // so the processor shuts down (a final flush) only after the service has.
  const auto flush = [processor] {
    if (!processor->force_flush(1500ms)) throw std::runtime_error("spans not flushed within 1500 ms");
  };
  const int code = run_service(story, args, config, settings, logger, tracer, flush);
  processor->shutdown();
  const arbiter::batch_stats spans = processor->stats();
  story.say("tracing: {} spans exported to {}, {} dropped", spans.exported,
            args.trace_file ? *args.trace_file : std::string("stdout"),
            spans.dropped_queue_full + spans.dropped_export_failed + spans.dropped_after_shutdown);
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  command_line args;
  try {
    args = parse_command_line(argc, argv);
  } catch (const usage_error& error) {
    std::fprintf(stderr, "arbiter_demo: %s\n\n%s", error.what(), usage_text);
    return 2;
  }
  if (args.help) {
    std::fputs(usage_text, stdout);
    return 0;
  }
  if (args.help_config) {
    std::fputs(arbiter::help_text<orchestrator_config>().c_str(), stdout);
    return 0;
  }

  std::unique_ptr<demo_config> config;
  std::optional<service_settings> settings;
  try {
    config = load_config(args);
    const auto snapshot = config->current();
    if (args.dump_config) {
      std::fputs(arbiter::dump_text(snapshot).c_str(), stdout);
      return 0;
    }
    settings = derive_settings(snapshot, args);
  } catch (const arbiter::config_error& error) {
    std::fprintf(stderr, "arbiter_demo: %s\n", error.what());
    return 2;
  } catch (const std::invalid_argument& error) {  // a value the config accepts but a part rejects
    std::fprintf(stderr, "arbiter_demo: invalid configuration:\n  %s\n", error.what());
    return 2;
  }
  return run_with_tracing(args, *config, *settings);
}
