// A breaker has one failure detector; its twin names just one.
#include <arbiter/resilience/circuit_breaker.hpp>

#ifdef ARBITER_EXPECT_FAIL
using breaker = arbiter::circuit_breaker<arbiter::count_window, arbiter::consecutive_failures>;
#else
using breaker = arbiter::circuit_breaker<arbiter::count_window>;
#endif

int main() {
  breaker b;
  return b.state() == arbiter::breaker_state::closed ? 0 : 1;
}
