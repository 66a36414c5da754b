#pragma once

/// \file
/// What a health monitor reports through its Metrics policy (the names are in arbiter/metrics/catalog.hpp):
///   arbiter_health_check_status{check, status}        1 for each check's latest status, 0 for the other two
///   arbiter_health_check_duration_seconds{check}      how long each run of a check took
///   arbiter_health_check_timeouts_total{check}        runs that overran their timeout
///   arbiter_health_status{probe, status}              1 for each probe's overall status (liveness, readiness,
///                                                     startup), 0 for the others; readiness is unhealthy while
///                                                     the service refuses traffic
/// The statuses are read at scrape time from the latest results (a scrape never runs a check); durations and
/// timeouts are written where the runs end. With null_metrics all of it is an empty type.

#include <array>
#include <cstddef>
#include <string_view>
#include <utility>
#include <vector>

#include <arbiter/health/status.hpp>
#include <arbiter/metrics/catalog.hpp>
#include <arbiter/metrics/metrics.hpp>
#include <arbiter/metrics/null_metrics.hpp>

namespace arbiter::inline v1::detail {

inline constexpr std::array<health_status, 3> every_health_status{health_status::healthy, health_status::degraded,
                                                                  health_status::unhealthy};
inline constexpr std::array<probe, 3> every_probe{probe::liveness, probe::readiness, probe::startup};

/// The series of one monitor with `Count` checks. `read_check(i)` returns check i's latest status and
/// `read_probe(p)` probe p's overall status; both are called at scrape time and must not run checks.
template <class M, std::size_t Count>
class health_instruments {
 public:
  template <class ReadCheck, class ReadProbe>
  health_instruments(M metrics, const std::array<std::string_view, Count>& names, ReadCheck read_check,
                     ReadProbe read_probe)
      : metrics_(std::move(metrics)),
        durations_(make_handles<Count>(
            [&](std::size_t i) { return metrics_.histogram(metric_names::health_check_duration, {names[i]}); })),
        timeouts_(make_handles<Count>(
            [&](std::size_t i) { return metrics_.counter(metric_names::health_check_timeouts, {names[i]}); })) {
    callbacks_.reserve(Count * every_health_status.size() + every_probe.size() * every_health_status.size());
    for (std::size_t i = 0; i < Count; ++i) {
      for (const health_status status : every_health_status) {
        callbacks_.push_back(
            metrics_.gauge_callback(metric_names::health_check_status, {names[i], to_string(status)},
                                    [read_check, i, status] { return read_check(i) == status ? 1.0 : 0.0; }));
      }
    }
    for (const probe which : every_probe) {
      for (const health_status status : every_health_status) {
        callbacks_.push_back(
            metrics_.gauge_callback(metric_names::health_status, {to_string(which), to_string(status)},
                                    [read_probe, which, status] { return read_probe(which) == status ? 1.0 : 0.0; }));
      }
    }
  }

  void duration(std::size_t check, double seconds) const noexcept { durations_[check].observe(seconds); }
  void timed_out(std::size_t check) const noexcept { timeouts_[check].inc(); }

 private:
  M metrics_;
  std::array<typename M::histogram_type, Count> durations_;
  std::array<typename M::counter_type, Count> timeouts_;
  std::vector<typename M::callback_type> callbacks_;
};

/// Without metrics: nothing at all.
template <std::size_t Count>
class health_instruments<null_metrics, Count> {
 public:
  template <class ReadCheck, class ReadProbe>
  constexpr health_instruments(null_metrics /*metrics*/, const std::array<std::string_view, Count>& /*names*/,
                               ReadCheck /*read_check*/, ReadProbe /*read_probe*/) noexcept {}
  static constexpr void duration(std::size_t /*check*/, double /*seconds*/) noexcept {}
  static constexpr void timed_out(std::size_t /*check*/) noexcept {}
};

}  // namespace arbiter::inline v1::detail
