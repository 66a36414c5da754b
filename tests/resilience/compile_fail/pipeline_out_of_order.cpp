// A bulkhead outside a breaker is out of resilience4j's order; the twin keeps the order with arbiter::any_order.
#include <arbiter/resilience/pipeline.hpp>

int main() {
  arbiter::circuit_breaker<> breaker("inventory");
  arbiter::bulkhead<> pool("inventory");
#ifdef ARBITER_EXPECT_FAIL
  arbiter::pipeline guarded(pool, breaker);
#else
  arbiter::pipeline guarded(arbiter::any_order{}, pool, breaker);
#endif
  return guarded.execute([] { return 0; });
}
