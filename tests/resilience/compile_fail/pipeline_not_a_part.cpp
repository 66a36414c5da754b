// A pipeline takes resilience parts only; the twin gives it one.
#include <arbiter/resilience/pipeline.hpp>

#include <string>

int main() {
  arbiter::circuit_breaker<> breaker("inventory");
#ifdef ARBITER_EXPECT_FAIL
  std::string not_a_part;
  arbiter::pipeline guarded(breaker, not_a_part);
#else
  arbiter::pipeline guarded(breaker);
#endif
  return guarded.execute([] { return 0; });
}
