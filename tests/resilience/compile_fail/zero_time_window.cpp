// A time window of zero length judges nothing; its twin spans one bucket of 1 ms.
#include <arbiter/resilience/breaker_options.hpp>

#ifdef ARBITER_EXPECT_FAIL
inline constexpr arbiter::fixed_options<[] {
  return arbiter::breaker_options{.window_length = std::chrono::milliseconds(0), .window_buckets = 1};
}>
    thresholds{};
#else
inline constexpr arbiter::fixed_options<[] {
  return arbiter::breaker_options{.window_length = std::chrono::milliseconds(1), .window_buckets = 1};
}>
    thresholds{};
#endif

int main() {
  const arbiter::breaker_options options = thresholds;  // what a circuit_breaker's constructor receives
  return options.failure_threshold > 0 ? 0 : 1;
}
