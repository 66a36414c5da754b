// A rate limiter takes one Logger; its twin takes one.
#include <arbiter/logging/null_logger.hpp>
#include <arbiter/logging/recording_logger.hpp>
#include <arbiter/resilience/rate_limiter.hpp>

int main() {
#ifdef ARBITER_EXPECT_FAIL
  arbiter::rate_limiter<arbiter::recording_logger, arbiter::null_logger> limiter("x");
#else
  arbiter::rate_limiter<arbiter::recording_logger> limiter("x");
#endif
  return limiter.try_acquire() ? 0 : 1;
}
