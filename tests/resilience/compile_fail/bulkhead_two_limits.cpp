// A bulkhead takes one limit policy; its twin takes one.
#include <arbiter/resilience/bulkhead.hpp>

int main() {
#ifdef ARBITER_EXPECT_FAIL
  arbiter::bulkhead<arbiter::aimd_limit, arbiter::gradient_limit> pool("db");
#else
  arbiter::bulkhead<arbiter::gradient_limit> pool("db");
#endif
  return static_cast<int>(pool.limit()) == 10 ? 0 : 1;
}
