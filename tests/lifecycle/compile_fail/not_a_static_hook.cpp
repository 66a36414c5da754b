// A static hook without a name is rejected with one sentence; its named twin is registered.
#include <arbiter/lifecycle/shutdown_manager.hpp>

#include <string_view>

struct flush_logs {
#ifndef ARBITER_EXPECT_FAIL
  static constexpr std::string_view name = "flush logs";
#endif
  void operator()() {}
};

int main() {
  arbiter::shutdown_manager<> manager;
  manager.add_ordered_hooks(0, flush_logs{});
}
