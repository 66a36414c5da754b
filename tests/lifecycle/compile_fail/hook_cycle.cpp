// Server stops before the database, the database before the cache; making the cache stop before the server
// closes a cycle, which must not compile. The twin without that edge compiles and orders the three.
#include <arbiter/lifecycle/shutdown_plan.hpp>

struct close_cache;
struct close_database;

struct stop_server {
  static constexpr std::string_view name = "server";
  using stops_before = arbiter::stop_before<close_database>;
  void operator()() {}
};
struct close_database {
  static constexpr std::string_view name = "database";
  using stops_before = arbiter::stop_before<close_cache>;
  void operator()() {}
};
struct close_cache {
  static constexpr std::string_view name = "cache";
#ifdef ARBITER_EXPECT_FAIL
  using stops_before = arbiter::stop_before<stop_server>;
#endif
  void operator()() {}
};

using order = arbiter::static_hook_order<close_cache, close_database, stop_server>;
static_assert(order::position<stop_server>() == 0);
static_assert(order::position<close_cache>() == 2);

int main() {}
