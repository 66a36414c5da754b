// A service on the orchestrator without a tracer, for tests/precompiled/check.sh's `core` list: two breakers
// with the default policies, called once each, then a graceful shutdown.
#include <arbiter/orchestrator.hpp>

using service = arbiter::orchestrator<arbiter::breaker<"inventory">, arbiter::breaker<"payments">>;

int main() {
  return service::run({}, [](service& svc) {
    const int left = svc.breaker<"inventory">().execute([] { return 1; });
    return svc.breaker<"payments">().execute([left] { return left - 1; });
  });
}
