// A rate limiter takes one Clock; its twin takes one.
#include <arbiter/clock/manual_clock.hpp>
#include <arbiter/resilience/rate_limiter.hpp>

int main() {
#ifdef ARBITER_EXPECT_FAIL
  arbiter::rate_limiter<arbiter::steady_clock, arbiter::manual_clock> limiter("x");
#else
  arbiter::rate_limiter<arbiter::manual_clock> limiter("x");
#endif
  return limiter.try_acquire() ? 0 : 1;
}
