// The classic: 30 s of hooks under a 10 s `docker stop`. The twin fits 2 s drain + 3 s + 4 s in 10 s.
#include <arbiter/lifecycle/shutdown_plan.hpp>

#ifdef ARBITER_EXPECT_FAIL
using budget = arbiter::shutdown_budget<10'000, 2'000, arbiter::phase_limit<0, 30'000>>;
#else
using budget = arbiter::shutdown_budget<10'000, 2'000, arbiter::phase_limit<0, 3'000>, arbiter::phase_limit<1, 4'000>>;
#endif
static_assert(budget::committed_ms <= 10'000);

int main() { return budget::options().deadline.count() == 10'000 ? 0 : 1; }
