// A failure threshold of 0 would open on nothing; its twin uses 1.
#include <arbiter/resilience/breaker_options.hpp>

#ifdef ARBITER_EXPECT_FAIL
inline constexpr arbiter::fixed_options<[] { return arbiter::breaker_options{.failure_threshold = 0}; }> thresholds{};
#else
inline constexpr arbiter::fixed_options<[] { return arbiter::breaker_options{.failure_threshold = 1}; }> thresholds{};
#endif

int main() {
  const arbiter::breaker_options options = thresholds;  // what a circuit_breaker's constructor receives
  return options.failure_threshold > 0 ? 0 : 1;
}
