// Asking for a retry that no retried<> part names fails to compile with one error, whose first line lists the name
// asked for and then the names that exist.
#include <arbiter/orchestrator/guards.hpp>

using service = arbiter::orchestrator<arbiter::retried<"inventory">, arbiter::retried<"payments">>;

int main() {
  service svc(arbiter::orchestrator_options{.handle_signals = false});
#ifdef ARBITER_EXPECT_FAIL
  auto& retry = svc.retry<"payment">();
#else
  auto& retry = svc.retry<"payments">();
#endif
  return retry.name() == "payments" ? 0 : 1;
}
