// A time limiter takes one Logger; its twin takes one.
#include <arbiter/logging/null_logger.hpp>
#include <arbiter/logging/recording_logger.hpp>
#include <arbiter/resilience/time_limiter.hpp>

int main() {
#ifdef ARBITER_EXPECT_FAIL
  arbiter::time_limiter<arbiter::null_logger, arbiter::recording_logger> limiter("x");
#else
  arbiter::time_limiter<arbiter::recording_logger> limiter("x");
#endif
  return limiter.execute([] { return 0; });
}
