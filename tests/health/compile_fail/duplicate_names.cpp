// Check names are the keys of the health+json `checks` object: two checks cannot share one.
#include <arbiter/health/health_monitor.hpp>

int main() {
  auto first = arbiter::make_check<"cache:ping">([] { return true; });
#ifdef ARBITER_EXPECT_FAIL
  auto second = arbiter::make_check<"cache:ping">([] { return false; });
#else
  auto second = arbiter::make_check<"cache:hit_rate">([] { return false; });
#endif
  auto monitor = arbiter::make_health_monitor({}, first, second);
  return monitor.is_ready() ? 0 : 1;
}
