// retry::execute(fn) calls fn with no arguments (or a std::stop_token); its twin captures the argument instead.
#include <arbiter/resilience/retry.hpp>

int main() {
  arbiter::retry<> retry("x");
#ifdef ARBITER_EXPECT_FAIL
  retry.execute([](int id) { return id; });
#else
  (void)retry.execute([] { return 1; });
#endif
  return 0;
}
