// A check that depends on another system cannot decide whether this process gets restarted.
#include <arbiter/health/health_monitor.hpp>

struct database_ping {
  static constexpr std::string_view name = "postgres:ping";
  static constexpr bool external = true;
#ifdef ARBITER_EXPECT_FAIL
  static constexpr arbiter::probe_set probes = arbiter::probe::liveness | arbiter::probe::readiness;
#else
  static constexpr arbiter::probe_set probes = arbiter::probe::readiness;
#endif
  bool operator()() const { return true; }
};

int main() {
  arbiter::health_monitor<database_ping> monitor;
  return monitor.is_ready() ? 0 : 1;
}
