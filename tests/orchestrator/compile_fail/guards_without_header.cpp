// A retried<> part without <arbiter/orchestrator/guards.hpp> fails to compile with a sentence naming the header.
#ifndef ARBITER_EXPECT_FAIL
#include <arbiter/orchestrator/guards.hpp>
#endif
#include <arbiter/orchestrator.hpp>

using service = arbiter::orchestrator<arbiter::retried<"inventory">>;

int main() {
  service svc(arbiter::orchestrator_options{.handle_signals = false});
  return svc.started() ? 1 : 0;
}
