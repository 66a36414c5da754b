#pragma once

/// \file
/// What a shutdown_manager reports through its Metrics policy (the names are in arbiter/metrics/catalog.hpp):
///   arbiter_shutdown_step_duration_seconds{step}   how long each step took, set as it ends: `readiness_off:<name>`,
///                                                  `grace`, `drain`, `hook:<name>`
///   arbiter_shutdown_exit_code                     the exit code the sequence chose, set when it ends
///   arbiter_shutdown_deadline_exceeded             1 when the sequence hit its overall deadline, else 0 (set
///                                                  when it ends)
/// None of these series exists before the shutdown writes it, so a scrape never reads an exit code that was not
/// chosen. A registry that refuses a series (its name taken by another metric) costs the series, never the
/// shutdown. With null_metrics all of it is an empty type.

#include <chrono>
#include <string>
#include <string_view>
#include <utility>

#include <arbiter/detail/concat.hpp>
#include <arbiter/metrics/catalog.hpp>
#include <arbiter/metrics/metrics.hpp>
#include <arbiter/metrics/null_metrics.hpp>

namespace arbiter::inline v1::detail {

/// The series of one shutdown_manager, for a real Metrics model `M`. Written by the sequence's thread only.
template <class M>
class shutdown_instruments {
 public:
  explicit shutdown_instruments(M metrics) : metrics_(std::move(metrics)) {}

  /// Step `kind` (`grace`, `drain`, or `readiness_off` / `hook` with the step's `name`) took `duration`.
  void step(std::string_view kind, std::string_view name, std::chrono::nanoseconds duration) noexcept {
    try {
      const std::string label = name.empty() ? std::string(kind) : concat(kind, ":", name);
      metrics_.gauge(metric_names::shutdown_step_duration, {std::string_view(label)})
          .set(std::chrono::duration<double>(duration).count());
    } catch (...) {  // a series the registry refuses is lost, the shutdown goes on
    }
  }

  /// The sequence ended with `exit_code`, past its deadline or not.
  void finished(int exit_code, bool deadline_hit) noexcept {
    try {
      metrics_.gauge(metric_names::shutdown_exit_code, {}).set(static_cast<double>(exit_code));
      metrics_.gauge(metric_names::shutdown_deadline_exceeded, {}).set(deadline_hit ? 1.0 : 0.0);
    } catch (...) {
    }
  }

 private:
  M metrics_;
};

/// Without metrics: nothing at all.
template <>
class shutdown_instruments<null_metrics> {
 public:
  constexpr explicit shutdown_instruments(null_metrics /*metrics*/) noexcept {}
  static constexpr void step(std::string_view /*kind*/, std::string_view /*name*/,
                             std::chrono::nanoseconds /*duration*/) noexcept {}
  static constexpr void finished(int /*exit_code*/, bool /*deadline_hit*/) noexcept {}
};

}  // namespace arbiter::inline v1::detail
