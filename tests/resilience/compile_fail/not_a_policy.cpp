// An int is no policy of a circuit breaker; its twin passes a real one.
#include <arbiter/resilience/circuit_breaker.hpp>

#ifdef ARBITER_EXPECT_FAIL
using breaker = arbiter::circuit_breaker<arbiter::single_thread, int>;
#else
using breaker = arbiter::circuit_breaker<arbiter::single_thread, arbiter::counting_stats>;
#endif

int main() {
  breaker b;
  return b.state() == arbiter::breaker_state::closed ? 0 : 1;
}
