// Static shutdown hooks given to the orchestrator are ordered at compile time: a cycle does not compile.
#include <arbiter/orchestrator.hpp>

struct close_cache;

struct stop_server {
  static constexpr std::string_view name = "server";
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

using service = arbiter::orchestrator<arbiter::breaker<"inventory">, arbiter::with_hooks<stop_server, close_cache>>;

int main() {
  service svc(arbiter::orchestrator_options{.handle_signals = false});
  return svc.breaker_names().size() == 1 ? 0 : 1;
}
