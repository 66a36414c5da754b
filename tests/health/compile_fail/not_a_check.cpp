// A check must return a check_result, a health_status or a bool.
#include <arbiter/health/health_monitor.hpp>

struct queue_depth {
  static constexpr std::string_view name = "queue:depth";
#ifdef ARBITER_EXPECT_FAIL
  int operator()() const { return 3; }
#else
  bool operator()() const { return true; }
#endif
};

int main() {
  arbiter::health_monitor<queue_depth> monitor;
  return monitor.is_ready() ? 0 : 1;
}
