#pragma once

/// \file
/// A probe's full answer: the overall status, why, and every check's latest result.

#include <string>
#include <string_view>
#include <vector>

#include <arbiter/health/status.hpp>

namespace arbiter::inline v1 {

/// One check as it appears in a report.
struct check_report {
  std::string_view name{};  ///< the `component:measurement` key (static storage: a compile-time name)
  component_type type = component_type::component;
  std::string_view component_id{};  ///< empty when the check names none
  bool critical = true;
  bool checked = false;  ///< false until the check has produced a first result
  check_result result{};
};

/// What a probe (or the whole monitor) says, with the evidence.
struct health_report {
  probe_set scope{};  ///< the probes this report covers
  health_status status = health_status::healthy;
  bool accepting_traffic = true;       ///< the readiness switch (readiness reports only)
  std::string output{};                ///< why the whole is not HEALTHY; empty when it is
  std::vector<check_report> checks{};  ///< in declaration order

  /// Returns the check named `name`, or nullptr.
  [[nodiscard]] const check_report* find(std::string_view name) const noexcept {
    for (const auto& check : checks) {
      if (check.name == name) return &check;
    }
    return nullptr;
  }
};

}  // namespace arbiter::inline v1
