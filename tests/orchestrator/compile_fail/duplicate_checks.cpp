// A check of the service's own named like a breaker's check ("<name>:circuit_breaker") clashes with it.
#include <arbiter/orchestrator.hpp>

struct ping {
#ifdef ARBITER_EXPECT_FAIL
  static constexpr std::string_view name = "inventory:circuit_breaker";
#else
  static constexpr std::string_view name = "inventory:ping";
#endif
  bool operator()() const { return true; }
};

using service = arbiter::orchestrator<arbiter::breaker<"inventory">, arbiter::with_checks<ping>>;

int main() {
  service svc(arbiter::orchestrator_options{.handle_signals = false});
  return svc.health().size() == 3 ? 0 : 1;
}
