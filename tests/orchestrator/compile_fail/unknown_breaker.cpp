// Asking for a breaker that no part names fails to compile with one error, whose first line lists the name asked
// for and then the names that exist.
#include <arbiter/orchestrator.hpp>

using service = arbiter::orchestrator<arbiter::breaker<"inventory">, arbiter::breaker<"payments">>;

int main() {
  service svc(arbiter::orchestrator_options{.handle_signals = false});
#ifdef ARBITER_EXPECT_FAIL
  auto& breaker = svc.breaker<"payment">();
#else
  auto& breaker = svc.breaker<"payments">();
#endif
  return breaker.name() == "payments" ? 0 : 1;
}
