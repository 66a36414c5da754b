// A retry inside a breaker is refused (its retries are calls the open breaker cannot stop); the twin puts the
// retry outermost.
#include <arbiter/resilience/pipeline.hpp>

int main() {
  arbiter::retry<> retry("inventory");
  arbiter::circuit_breaker<> breaker("inventory");
#ifdef ARBITER_EXPECT_FAIL
  arbiter::pipeline guarded(breaker, retry);
#else
  arbiter::pipeline guarded(retry, breaker);
#endif
  return guarded.execute([] { return 0; });
}
