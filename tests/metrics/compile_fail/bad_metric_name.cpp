// A metric spec written as a constant is checked by the compiler: a counter without _total does not build.
#include <arbiter/metrics/metric_spec.hpp>

#ifndef ARBITER_EXPECT_FAIL
constexpr auto requests = arbiter::counter_metric("shop_requests_total", "Requests served.", "route");
#else
constexpr auto requests = arbiter::counter_metric("shop_requests", "Requests served.", "route");
#endif

int main() { return requests.name.empty() ? 1 : 0; }
