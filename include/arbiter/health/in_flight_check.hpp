#pragma once

/// \file
/// `arbiter::in_flight_check<"name", Max, Unit>`: a critical readiness check on a service's work in flight, read
/// from its drain gate. The orchestrator builds one listed in with_checks<...> with its own gate; without the
/// orchestrator, build it with yours: `in_flight_check<"orders:in_flight", 64, "orders"> check(gate)`.

#include <cstddef>
#include <string>
#include <string_view>

#include <arbiter/config/detail/text.hpp>
#include <arbiter/detail/concat.hpp>
#include <arbiter/health/check.hpp>
#include <arbiter/lifecycle/drain_gate.hpp>

namespace arbiter::inline v1 {

/// A critical readiness check on the service's work in flight (the drain gate's passes): UNHEALTHY above `Max`,
/// so a replica drowning in work gets no more of it; HEALTHY otherwise, observing the count in `Unit`. List it in
/// with_checks<...>: the orchestrator builds it with its own gate.
template <detail::fixed_string Name, std::size_t Max, detail::fixed_string Unit = "requests">
class in_flight_check {
 public:
  static constexpr std::string_view name = Name.view();
  static constexpr probe_set probes = probe_set(probe::readiness);

  explicit in_flight_check(const drain_gate& gate) noexcept : gate_(&gate) {}

  [[nodiscard]] check_result operator()() const {
    const std::size_t in_flight = gate_->in_flight();
    if (in_flight > Max) {
      return check_result::unhealthy(detail::concat(std::to_string(in_flight), " ", Unit.view(), " in flight"));
    }
    return check_result::healthy().observe(static_cast<double>(in_flight), std::string(Unit.view()));
  }

 private:
  const drain_gate* gate_;
};

}  // namespace arbiter::inline v1
