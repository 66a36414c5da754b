// Asking for a bulkhead that no bulkheaded<> part names fails to compile with one error, whose first line lists
// the name asked for and then the names that exist.
#include <arbiter/orchestrator/guards.hpp>

using service = arbiter::orchestrator<arbiter::bulkheaded<"inventory">, arbiter::bulkheaded<"payments">>;

int main() {
  service svc(arbiter::orchestrator_options{.handle_signals = false});
#ifdef ARBITER_EXPECT_FAIL
  auto& pool = svc.bulkhead<"inventroy">();
#else
  auto& pool = svc.bulkhead<"inventory">();
#endif
  return pool.name() == "inventory" ? 0 : 1;
}
