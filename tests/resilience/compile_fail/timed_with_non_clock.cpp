// timed_with<Clock> takes a clock; its twin writes the plain `timed` (steady_clock) and timed_with<coarse_clock>.
#include <arbiter/clock/coarse_clock.hpp>
#include <arbiter/resilience/circuit_breaker.hpp>

#include <type_traits>

#ifdef ARBITER_EXPECT_FAIL
using breaker = arbiter::circuit_breaker<arbiter::single_thread, arbiter::timed_with<int>>;
#else
using breaker = arbiter::circuit_breaker<arbiter::timed>;
static_assert(std::is_same_v<arbiter::timed, arbiter::timed_with<arbiter::steady_clock>>);
static_assert(std::is_same_v<breaker::timing_type, arbiter::timed>);
using coarse_breaker = arbiter::circuit_breaker<arbiter::single_thread, arbiter::timed_with<arbiter::coarse_clock>>;
static_assert(coarse_breaker::timing_type::enabled);
#endif

int main() {
  breaker b;
  return b.state() == arbiter::breaker_state::closed ? 0 : 1;
}
