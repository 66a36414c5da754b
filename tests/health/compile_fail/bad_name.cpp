// A name must follow the `component:measurement` key grammar.
#include <arbiter/health/health_monitor.hpp>

struct disk_check {
#ifdef ARBITER_EXPECT_FAIL
  static constexpr std::string_view name = "disk space:free:bytes";
#else
  static constexpr std::string_view name = "disk:free_bytes";
#endif
  arbiter::health_status operator()() const { return arbiter::health_status::healthy; }
};

int main() {
  arbiter::health_monitor<disk_check> monitor;
  return monitor.is_ready() ? 0 : 1;
}
