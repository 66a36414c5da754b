// A count window of zero calls judges nothing; its twin holds one call.
#include <arbiter/resilience/breaker_options.hpp>

#ifdef ARBITER_EXPECT_FAIL
inline constexpr arbiter::fixed_options<[] { return arbiter::breaker_options{.window_size = 0}; }> thresholds{};
#else
inline constexpr arbiter::fixed_options<[] { return arbiter::breaker_options{.window_size = 1}; }> thresholds{};
#endif

int main() {
  const arbiter::breaker_options options = thresholds;  // what a circuit_breaker's constructor receives
  return options.failure_threshold > 0 ? 0 : 1;
}
