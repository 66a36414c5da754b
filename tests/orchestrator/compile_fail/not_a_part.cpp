// A policy given where a part is expected (the breaker's detector outside breaker<...>) is named as such.
#include <arbiter/orchestrator.hpp>

#ifdef ARBITER_EXPECT_FAIL
using service = arbiter::orchestrator<arbiter::breaker<"inventory">, arbiter::count_window>;
#else
using service = arbiter::orchestrator<arbiter::breaker<"inventory", arbiter::count_window>>;
#endif

int main() { return sizeof(service) > 0 ? 0 : 1; }
