// arbiter_demo: a simulated "orders" service on arbiter::orchestrator (config, logger, tracer, metrics, the
// "inventory" breaker with a retry (and its budget) outside it and a bulkhead inside, health, the HTTP admin server,
// graceful shutdown, SIGHUP reload), narrating a scripted scenario of a few seconds, or serving until SIGTERM with
// `--serve`. Run it with `scripts/demo`; docs/demo.md tells the story.
#include <arbiter/config/json_source.hpp>
#include <arbiter/health/heartbeat_check.hpp>
#include <arbiter/http/admin_server.hpp>
#include <arbiter/http/client.hpp>
#include <arbiter/lifecycle/shutdown_report.hpp>
#include <arbiter/metrics/registry.hpp>
#include <arbiter/orchestrator.hpp>
#include <arbiter/orchestrator/commands.hpp>
#include <arbiter/orchestrator/guards.hpp>
#include <arbiter/orchestrator/sdk_tracing.hpp>
#include <arbiter/orchestrator/service_sources.hpp>

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <latch>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using arbiter::breaker_state;
using arbiter::health_status;

/// The command line: the config's arguments (overrides, --dump-config, --help-config), the service's (--config,
/// --trace-file, --logs) and the demo's own.
struct command {
  bool serve = false;
  arbiter::service_command_line cli{"arbiter_demo",
                                    "Runs a simulated \"orders\" service: by default a scripted scenario of "
                                    "a few seconds, narrated on stdout.",
                                    "The scenario exits with 1 when something in it did not happen in time.\n"};
};

/// The demo's defaults, above the library's and below a file, the environment and the command line: the inventory
/// call's retry (3 attempts within 100 ms; a budget of 10% of first attempts, 5 saved up at most) and bulkhead (4
/// calls at once); the scenario's short timeouts; `--serve` keeps the library's, but checks health every second.
constexpr char guard_defaults[] = R"({"resilience": {"retries": {"inventory": {"max_attempts": 3,
  "initial_backoff": "2ms", "max_backoff": "20ms", "deadline": "100ms", "budget_ratio": 0.1,
  "budget_min_per_second": 1, "budget_max_balance": 5}}, "bulkheads": {"inventory": {"max_concurrent": 4}}}})";
constexpr char scenario_defaults[] = R"({"observability": {"service_name": "orders"},
  "resilience": {"failure_threshold": 3, "success_threshold": 2, "open_timeout": "400ms", "operation_timeout": "250ms"},
  "health": {"check_interval": "250ms", "check_timeout": "250ms"}, "shutdown": {"timeout": "5s"}, "admin": {"port": 0}})";
constexpr char serve_defaults[] = R"({"observability": {"service_name": "orders"},
  "health": {"check_interval": "1s", "check_timeout": "500ms"}})";

/// The config layers, lowest precedence first (made again for each load: the orchestrator keeps its own).
auto sources(const command& args) {
  return arbiter::make_service_sources(
      args.cli, arbiter::json_source::from_text(guard_defaults, "<demo defaults>"),
      arbiter::json_source::from_text(args.serve ? serve_defaults : scenario_defaults, "<demo defaults>"));
}

/// Tells the story of the run on stdout, one whole line at a time, from any thread.
const auto demo_start = std::chrono::steady_clock::now();
std::mutex say_mutex;
template <class... A>
void say(fmt::format_string<A...> format, A&&... args) {
  const std::chrono::duration<double> at = std::chrono::steady_clock::now() - demo_start;
  const std::lock_guard lock(say_mutex);
  fmt::print("[demo {:6.3f}s] {}\n", at.count(), fmt::format(format, std::forward<A>(args)...));
  std::fflush(stdout);
}

/// The simulated world: the inventory downstream (`latency` a call, 1 ms; fails while "down"; refuses calls after
/// close()), the order counts (placed, failed, rejected) and the intake loop's heartbeat for the liveness check.
struct world {
  std::atomic<bool> down{false}, closed{false};
  std::atomic<std::chrono::milliseconds> latency{1ms};
  std::array<std::atomic<std::uint64_t>, 3> counts{};
  arbiter::heartbeat<> intake_beat;
  std::atomic<int> next_order{1};

  int reserve(int order) const {
    if (closed) throw std::logic_error("inventory client used after close()");
    std::this_thread::sleep_for(latency.load());
    if (down) throw std::runtime_error("inventory: connection refused");
    return 1000 - order % 1000;
  }
};

/// Liveness: the intake loop makes progress (or has stopped on purpose); never a dependency, so a dead inventory
/// does not get every replica restarted.
using intake_check = arbiter::heartbeat_check<"orders:intake">;
/// Readiness, critical: a replica drowning in work (more than 64 orders in flight) should get no more of it.
using in_flight_check = arbiter::in_flight_check<"orders:in_flight", 64, "orders">;

/// The service: what guards the inventory call, outermost first: a retry, the breaker (timed makes
/// resilience.operation_timeout count: a slower call fails, whatever it returned) and a bulkhead; the admin server
/// serves the probes, /metrics and the status page on the `admin` section's port.
template <class Tracer>
using service =
    arbiter::orchestrator<arbiter::retried<"inventory">,
                          arbiter::breaker<"inventory", arbiter::timed, arbiter::counting_stats>,
                          arbiter::bulkheaded<"inventory">, arbiter::with_checks<intake_check, in_flight_check>,
                          arbiter::with_tracer<Tracer>, arbiter::with_metrics<arbiter::metrics_registry>,
                          arbiter::with_parts<arbiter::admin_server_part>, arbiter::service_sources<2>>;

/// Places one order: a server span, and in it the inventory call through the retry, the breaker and the bulkhead (an
/// open breaker or a full bulkhead answers through the fallback at once: no thread waits on a known-dead downstream).
template <class Svc>
void place(Svc& svc, world& w, int order) {
  const auto reserve = [&] {
    return arbiter::trace(svc.tracer(), "inventory.reserve", [&] { return w.reserve(order); });
  };
  const auto traced = [&](auto& span) {
    std::size_t outcome = 1;  // 0 placed, 1 failed, 2 rejected at once (the open breaker, the full bulkhead)
    try {
      const int left = svc.template guarded<"inventory">().execute(
          reserve, [](const arbiter::pipeline_rejection&) { return -1; }, svc.stop_token());
      outcome = left < 0 ? 2 : 0;
    } catch (const std::exception& error) {
      svc.logger().log(arbiter::log_level::debug, "order failed", arbiter::kv("order", order),
                       arbiter::kv("error", error.what()));
    }
    span.set_attribute("order.outcome", std::array{"placed", "failed", "rejected"}[outcome]);
    ++w.counts[outcome];
  };
  arbiter::trace(svc.tracer(), "orders.place", traced, arbiter::attr("order.id", order));
}

/// Prints what the service's own admin server answers to GET `target`, as a load balancer or Prometheus gets it:
/// the lines of the body that start with `prefix` (for /metrics), else the status and the body on one line.
template <class Svc>
void show(Svc& svc, std::string_view target, std::string_view prefix = {}, bool as_json = false) {
  const auto answer = arbiter::http_get(svc.template part<arbiter::admin_server_part>().port(), target,
                                        {.accept = as_json ? "application/health+json" : "text/plain"});
  std::string text = answer.body.substr(0, answer.body.find_last_not_of('\n') + 1);
  for (std::size_t at = 0, end = 0; !prefix.empty() && at < text.size(); at = end + 1) {
    end = std::min(text.find('\n', at), text.size());
    if (text.compare(at, prefix.size(), prefix) == 0) say("GET {} -> {}", target, text.substr(at, end - at));
  }
  std::replace(text.begin(), text.end(), '\n', ';');
  if (prefix.empty()) say("GET {} -> {} {}", target, answer.status, as_json ? answer.content_type : text);
  if (prefix.empty() && as_json) say("  {}", text);
}

/// Plays the story: traffic, an outage that opens the breaker, recovery, then a graceful shutdown with a slow
/// order in flight. Returns false when something did not happen in time (the run then exits with 1); the limits
/// are generous, so a loaded machine gets a slow demo, never a flaky one.
template <class Svc>
bool play_scenario(Svc& svc, world& w) {
  auto& breaker = svc.template breaker<"inventory">();
  bool ok = true;
  const auto expect = [&, patience = 5s + 4 * breaker.options().open_duration](auto done, std::string_view what) {
    const auto until = std::chrono::steady_clock::now() + patience;
    while (!done() && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(5ms);
    if (!done()) say("UNEXPECTED: {} did not happen in time", what);
    return ok = done() && ok;
  };
  const auto readiness = [&svc] { return svc.health().status(arbiter::probe::readiness); };
  const auto breaker_check_fails = [&svc] {  // degraded by the open breaker, not by the bulkhead's refusals
    const auto report = svc.health().check(arbiter::probe::readiness);
    const auto* check = report.find("inventory:circuit_breaker");
    return report.status == health_status::degraded && check && check->result.status == health_status::unhealthy;
  };

  say("1. normal traffic: orders flow, inventory answers");
  std::this_thread::sleep_for(300ms);
  expect([&] { return readiness() == health_status::healthy; }, "a healthy readiness probe");
  say("{} orders placed so far", w.counts[0].load());
  show(svc, "/readyz");

  say("a burst of 12 orders at once while inventory is slow (20 ms): the bulkhead lets {} in, refuses the rest",
      svc.template bulkhead<"inventory">().limit());
  w.latency = 20ms;
  {
    std::latch all_in(12);  // the 12 threads start together
    std::vector<std::jthread> burst;
    for (int i = 0; i < 12; ++i)
      burst.emplace_back([&] {
        all_in.arrive_and_wait();
        place(svc, w, w.next_order++);
      });
  }
  w.latency = 1ms;
  show(svc, "/metrics", "arbiter_bulkhead_calls_total{bulkhead=\"inventory\",outcome=\"full\"}");
  say("a refused order is retried after a backoff, but the retry budget (10% of first attempts, at most 5");
  say("saved up) stops the retries from multiplying the load:");
  show(svc, "/metrics", "arbiter_retry_gave_up_total{retry=\"inventory\",reason=\"budget\"}");

  say("2. inventory goes down: calls fail, and after {} failures in a row the breaker opens",
      breaker.options().failure_threshold);
  w.down = true;
  if (expect([&] { return breaker.state() == breaker_state::open; }, "the breaker opening")) {
    say("(logged as \"circuit breaker state changed\", traced as a circuit_breaker.transition span)");
  }
  expect(breaker_check_fails, "a degraded readiness probe with the breaker's check failing");
  show(svc, "/metrics", "arbiter_breaker_state{breaker=\"inventory\",state=\"open\"}");
  say("the retry gives up at once: the open breaker's retry-after is past the retry's 100 ms deadline:");
  show(svc, "/metrics", "arbiter_retry_gave_up_total{retry=\"inventory\",reason=\"deadline\"}");
  say("orders are rejected at once instead of waiting on inventory. The breaker check fails, but it is not");
  say("critical, so readiness says warn with HTTP 200: every replica shares this downstream, none should leave:");
  show(svc, "/readyz", {}, true);

  say("3. inventory recovers; after {} ms the breaker lets trial calls through",
      breaker.options().open_duration.count());
  w.down = false;
  expect([&] { return breaker.state() == breaker_state::closed; }, "the breaker closing");
  expect([&] { return readiness() == health_status::healthy; }, "a healthy readiness probe after recovery");
  show(svc, "/readyz");

  say("4. shutdown: a slow bulk order is still in flight when it starts");
  std::latch admitted(1);
  const std::jthread bulk([&svc, &w, &admitted] {
    const auto pass = svc.gate().enter();
    admitted.count_down();
    if (!pass) return;
    std::this_thread::sleep_for(svc.shutdown().options().readiness_grace + 300ms);  // longer than the grace
    place(svc, w, w.next_order++);
  });
  admitted.wait();
  say("{} order(s) in flight; shutting down as SIGTERM would", svc.gate().in_flight());
  svc.shutdown().trigger_shutdown("scenario finished");
  expect([&svc] { return !svc.health().accepting_traffic(); }, "readiness switching off");
  say("readiness is off first, so load balancers stop sending orders while in-flight ones finish:");
  show(svc, "/readyz");
  return ok;
}

/// Serves until a signal (there is no script to go wrong: returns true).
template <class Svc>
bool serve(Svc& svc, world& w) {
  say("serving: {} (pid {}); stop with SIGTERM or Ctrl-C", svc.config()->observability.service_name, ::getpid());
  say("admin server: http://127.0.0.1:{}/ (the status page; /readyz, /metrics, /health, /config, /breakers)",
      svc.template part<arbiter::admin_server_part>().port());
  say("the inventory downstream fails for 2 s every 10 s, so the breaker opens and closes");
  svc.shutdown().start_intake("inventory chaos", 100ms, [&w, tenths = 0]() mutable {
    if (++tenths % 100 != 80 && tenths % 100 != 0) return;  // down from 8 s to 10 s of every 10 s
    w.down = tenths % 100 == 80;
    say("{}", w.down ? "inventory goes down" : "inventory is back");
  });
  svc.shutdown().wait();  // the chaos loop stops with intake (phase 0)
  return true;
}

/// Runs the built service: narrates its events, starts the intake, plays the scenario (or serves until a signal),
/// then reports the shutdown. Returns 1 when the scenario went wrong, else 0 (the shutdown's code is run()'s).
template <class Svc>
int operate(Svc& svc, world& w, const command& args) {
  auto& breaker = svc.template breaker<"inventory">();
  breaker.on_state_change([](const arbiter::state_change& c) { say("inventory breaker {}", arbiter::describe(c)); });
  svc.on_reload([](const arbiter::service_reload& r) {
    for (const auto& line : arbiter::describe(r)) say("SIGHUP: {}", line);
  });
  // Orders come in every 5 ms; the intake stops after the drain (phase 0), then the inventory client is closed
  // (phase 1), before the orchestrator's health monitor (80) and tracing (90).
  svc.shutdown().start_intake(
      "order intake", 5ms, [&svc, &w] { place(svc, w, w.next_order++); }, w.intake_beat);
  svc.shutdown().add_hook(
      "inventory client", 1, [&w] { w.closed = true; }, 1s);

  say("{} ({}): the inventory breaker opens after {} failures in a row and stays open {} ms; health checks run "
      "every {} ms; shutdown has {} ms",
      svc.config()->observability.service_name, to_string(svc.config()->environment),
      breaker.options().failure_threshold, breaker.options().open_duration.count(),
      svc.health().config().interval.count(), svc.shutdown().options().deadline.count());
  const bool scenario_ok = args.serve ? serve(svc, w) : play_scenario(svc, w);
  for (const auto& line : arbiter::describe(svc.shutdown().wait())) say("{}", line);
  say("orders: {} placed, {} failed, {} rejected at once; the bulkhead refused {}", w.counts[0].load(),
      w.counts[1].load(), w.counts[2].load(), svc.template bulkhead<"inventory">().refused_total());
  if constexpr (requires { svc.tracing().processor(); }) {
    const arbiter::batch_stats spans = svc.tracing().processor()->stats();
    say("tracing: {} spans exported to {}, {} dropped", spans.exported, args.cli.trace_file().value_or("stdout"),
        spans.dropped());
  } else {
    say("tracing was off (observability.tracing_enabled=false): the service was built with null_tracer");
  }
  return scenario_ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  command args;
  args.cli.flag("--serve", "serve simulated traffic until SIGTERM or Ctrl-C, then shut down gracefully", args.serve);
  if (const auto code = args.cli.parse_or_usage(argc, argv)) return *code;
  // Answers --help, --help-config and --dump-config; with tracing off (observability.tracing_enabled=false) the
  // service is built with null_tracer and pays nothing for it, else spans go to the --trace-file (or stdout).
  world w;
  return arbiter::run_choosing_tracer<service, arbiter::json_lines_tracing>(
      args.cli, arbiter::instances(intake_check(w.intake_beat, 2s)), [&](auto& svc) { return operate(svc, w, args); },
      [&] { return sources(args); });
}
