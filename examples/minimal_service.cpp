// A complete service in one page: config (defaults < ARBITER_* environment < --set key=value), two named breakers,
// a health check of its own, tracing as JSON lines on stdout, and a graceful shutdown on SIGTERM. See
// docs/orchestrator.md. Run: arbiter_minimal_service [orders, 0 = until SIGTERM] [--set key=value ...]
#include <arbiter/config/override_source.hpp>
#include <arbiter/orchestrator.hpp>
#include <arbiter/orchestrator/sdk_tracing.hpp>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <thread>

std::atomic<int> placed{0};

int reserve(int order) {  // the inventory downstream: down for orders 20 to 29
  if (order >= 20 && order < 30) throw std::runtime_error("inventory: connection refused");
  return 100 - order % 100;
}

struct orders_placed {  // the service's own readiness check, reporting a measurement
  static constexpr std::string_view name = "orders:placed";
  arbiter::check_result operator()() const { return arbiter::check_result::healthy().observe(placed.load(), "orders"); }
};

using service = arbiter::orchestrator<arbiter::breaker<"inventory", arbiter::counting_stats>,
                                      arbiter::breaker<"payments", arbiter::critical>,
                                      arbiter::with_checks<orders_placed>,
                                      arbiter::with_tracer<arbiter::json_lines_tracing>,
                                      arbiter::with_sources<arbiter::env_source<"ARBITER">, arbiter::override_source>>;

int main(int argc, char** argv) {
  const int orders = argc > 1 ? std::atoi(argv[1]) : 0;
  const auto serve = [orders](service& svc) {
    for (int order = 1; orders == 0 || order <= orders; ++order) {
      const auto pass = svc.gate().enter();  // the drain waits for an order in flight
      if (!pass) return;                     // shutting down: intake has stopped
      arbiter::trace(svc.tracer(), "orders.place", [&](auto& span) {
        try {
          const int left = svc.breaker<"inventory">().execute([&] { return reserve(order); },
                                                              [](const arbiter::rejection&) { return -1; });
          if (left >= 0) svc.breaker<"payments">().execute([] { return true; });
          placed += left >= 0 ? 1 : 0;
          span.set_attribute("order.placed", left >= 0);
        } catch (const std::exception& error) {
          span.set_status(arbiter::span_status::error, error.what());
        }
      });
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  };
  return service::run({}, serve, arbiter::env_source<"ARBITER">{},
                      arbiter::override_source::from_args(argc, argv));
}
