// A Logger part that does not model Logger is named as such, not as a page of template errors.
#include <arbiter/orchestrator.hpp>

struct printer {
  void print(const char* /*text*/) const {}
};

#ifdef ARBITER_EXPECT_FAIL
using service = arbiter::orchestrator<arbiter::breaker<"inventory">, arbiter::with_logger<printer>>;
#else
using service = arbiter::orchestrator<arbiter::breaker<"inventory">, arbiter::with_logger<arbiter::null_logger>>;
#endif

int main() {
  service svc(arbiter::orchestrator_options{.handle_signals = false});
  return svc.breaker_names().size() == 1 ? 0 : 1;
}
