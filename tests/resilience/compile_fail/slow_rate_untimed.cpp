// The slow-call detector needs call durations, so an untimed breaker cannot use it; its twin times calls.
#include <arbiter/resilience/circuit_breaker.hpp>

#ifdef ARBITER_EXPECT_FAIL
using breaker = arbiter::circuit_breaker<arbiter::slow_call_rate>;
#else
using breaker = arbiter::circuit_breaker<arbiter::slow_call_rate, arbiter::timed>;
#endif

int main() {
  breaker b;
  return b.state() == arbiter::breaker_state::closed ? 0 : 1;
}
