// A failure rate above 100 % can never be reached; its twin uses 100.
#include <arbiter/resilience/breaker_options.hpp>

#ifdef ARBITER_EXPECT_FAIL
inline constexpr arbiter::fixed_options<[] { return arbiter::breaker_options{.failure_rate_threshold = 101.0}; }>
    thresholds{};
#else
inline constexpr arbiter::fixed_options<[] { return arbiter::breaker_options{.failure_rate_threshold = 100.0}; }>
    thresholds{};
#endif

int main() {
  const arbiter::breaker_options options = thresholds;  // what a circuit_breaker's constructor receives
  return options.failure_threshold > 0 ? 0 : 1;
}
