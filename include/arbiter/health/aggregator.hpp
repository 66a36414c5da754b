#pragma once

/// \file
/// The Health aggregator policy: how the statuses of a probe's checks fold into one.
///
/// An aggregator is a copyable type with
///   health_status fold(health_status so_far, health_status check, bool critical) const noexcept;
/// The monitor starts from HEALTHY and folds every check of the probe in declaration order.
///
/// The default, worst_of_critical_capped:
///
///   | check status | critical check | non-critical check |
///   | ------------ | -------------- | ------------------ |
///   | HEALTHY      | HEALTHY        | HEALTHY            |
///   | DEGRADED     | DEGRADED       | DEGRADED           |
///   | UNHEALTHY    | UNHEALTHY      | DEGRADED           |
///
/// and the whole is the worst of these.

#include <concepts>
#include <type_traits>

#include <arbiter/health/status.hpp>

namespace arbiter::inline v1 {

/// A Health aggregator policy (see the file comment).
template <class A>
concept HealthAggregator = std::copy_constructible<A> && requires(const A& aggregator, health_status s, bool b) {
  { aggregator.fold(s, s, b) }
  noexcept->std::same_as<health_status>;
};

/// Checks that `A` is a Health aggregator and names what is missing if it is not.
template <class A>
consteval bool assert_health_aggregator() {
  static_assert(HealthAggregator<A>,
                "====> arbiter: the Health aggregator policy needs `health_status fold(health_status so_far, "
                "health_status check, bool critical) const noexcept`; use arbiter::worst_of_critical_capped.");
  return true;
}

/// The worst status wins, but a non-critical check can pull the whole down to DEGRADED at most.
struct worst_of_critical_capped {
  [[nodiscard]] static constexpr health_status fold(health_status so_far, health_status check, bool critical) noexcept {
    const health_status counted =
        critical ? check : (check < health_status::degraded ? check : health_status::degraded);
    return worst(so_far, counted);
  }
};

/// The worst status wins, critical or not: for probes where every component must be sound.
struct worst_of {
  [[nodiscard]] static constexpr health_status fold(health_status so_far, health_status check,
                                                    bool /*critical*/) noexcept {
    return worst(so_far, check);
  }
};

static_assert(HealthAggregator<worst_of_critical_capped> && std::is_empty_v<worst_of_critical_capped>);
static_assert(HealthAggregator<worst_of> && std::is_empty_v<worst_of>);

}  // namespace arbiter::inline v1
