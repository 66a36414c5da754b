// Two breakers with one name would share a config key and a health check name: it must not compile.
#include <arbiter/orchestrator.hpp>

#ifdef ARBITER_EXPECT_FAIL
using service = arbiter::orchestrator<arbiter::breaker<"inventory">, arbiter::breaker<"inventory", arbiter::counting_stats>>;
#else
using service = arbiter::orchestrator<arbiter::breaker<"inventory">, arbiter::breaker<"payments", arbiter::counting_stats>>;
#endif

int main() { return sizeof(service) > 0 ? 0 : 1; }
