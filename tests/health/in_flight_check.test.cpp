#include <arbiter/health/in_flight_check.hpp>

#include <gtest/gtest.h>

#include <optional>
#include <vector>

namespace {

using arbiter::health_status;
using check = arbiter::in_flight_check<"orders:in_flight", 2, "orders">;

static_assert(arbiter::HealthCheck<check>);
static_assert(check::name == "orders:in_flight");
static_assert(check::probes.contains(arbiter::probe::readiness) && !check::probes.contains(arbiter::probe::liveness));

TEST(in_flight_check, IsUnhealthyAboveItsLimitAndObservesTheCountOtherwise) {
  arbiter::drain_gate gate;
  const check in_flight(gate);
  std::vector<arbiter::drain_gate::pass> passes;
  auto result = in_flight();
  EXPECT_EQ(result.status, health_status::healthy);
  EXPECT_EQ(result.observed_value, std::optional<double>(0.0));
  EXPECT_EQ(result.observed_unit, "orders");
  passes.push_back(gate.enter());
  passes.push_back(gate.enter());
  result = in_flight();
  EXPECT_EQ(result.status, health_status::healthy) << "at the limit";
  EXPECT_EQ(result.observed_value, std::optional<double>(2.0));
  passes.push_back(gate.enter());
  result = in_flight();
  EXPECT_EQ(result.status, health_status::unhealthy) << "above it";
  EXPECT_EQ(result.message, "3 orders in flight");
  passes.clear();
  EXPECT_EQ(in_flight().status, health_status::healthy) << "the passes left";
}

}  // namespace
