// A hook that must stop before a hook missing from the set is rejected; the twin lists both.
#include <arbiter/lifecycle/shutdown_plan.hpp>

struct close_database {
  static constexpr std::string_view name = "database";
  void operator()() {}
};
struct stop_server {
  static constexpr std::string_view name = "server";
  using stops_before = arbiter::stop_before<close_database>;
  void operator()() {}
};

#ifdef ARBITER_EXPECT_FAIL
using order = arbiter::static_hook_order<stop_server>;
#else
using order = arbiter::static_hook_order<stop_server, close_database>;
#endif
static_assert(order::size > 0);

int main() {}
