// An Exit policy whose exit() may throw is rejected by shutdown_manager; its noexcept twin is accepted.
#include <arbiter/lifecycle/shutdown_manager.hpp>

struct leaky_exit {
#ifdef ARBITER_EXPECT_FAIL
  void exit(int /*code*/) {}
#else
  void exit(int /*code*/) noexcept {}
#endif
};

int main() {
  arbiter::shutdown_manager<arbiter::null_logger, arbiter::steady_clock, leaky_exit> manager;
  return manager.is_shutting_down() ? 1 : 0;
}
