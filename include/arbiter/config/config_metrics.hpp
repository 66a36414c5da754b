#pragma once

/// \file
/// What a config reports through its Metrics policy (the names are in arbiter/metrics/catalog.hpp):
///   arbiter_config_reloads_total{result}                  reloads: `applied` (the sources were valid and what
///                                                         changed took effect, if anything did) or `rejected`
///   arbiter_config_version                                snapshots this config has published: 1 after the first
///                                                         load, one more for each reload that changed a value
///   arbiter_config_last_success_timestamp_seconds         Unix time of the last valid load (first load or reload)
/// Every series is resolved when the config is built and written only by a load, never by a snapshot read. The
/// time is read on the config's Clock and carried to Unix time from an anchor taken at construction, so a test
/// with a manual_clock sets it exactly. With null_metrics all of it is an empty type.

#include <cstdint>
#include <utility>

#include <arbiter/clock/clock.hpp>
#include <arbiter/detail/chrono.hpp>
#include <arbiter/metrics/catalog.hpp>
#include <arbiter/metrics/metrics.hpp>
#include <arbiter/metrics/null_metrics.hpp>

namespace arbiter::inline v1::detail {

/// The series of one config, for a real Metrics model `M`; reads time on `C`.
template <class M, class C>
class config_instruments {
 public:
  config_instruments(M metrics, C clock)
      : metrics_(std::move(metrics)),
        clock_(std::move(clock)),
        clock_anchor_(clock_.now()),
        wall_anchor_(std::chrono::system_clock::now()),
        applied_(metrics_.counter(metric_names::config_reloads, {"applied"})),
        rejected_(metrics_.counter(metric_names::config_reloads, {"rejected"})),
        version_(metrics_.gauge(metric_names::config_version, {})),
        last_success_(metrics_.gauge(metric_names::config_last_success, {})) {}

  /// The first load succeeded: version 1, loaded now.
  void loaded() noexcept {
    version_.set(static_cast<double>(published_ = 1));
    last_success_.set(unix_now());
  }

  /// A reload was valid; `published` when it made a new snapshot.
  void applied(bool published) noexcept {
    applied_.inc();
    if (published) version_.set(static_cast<double>(++published_));
    last_success_.set(unix_now());
  }

  /// A reload was rejected: nothing else changes.
  void rejected() noexcept { rejected_.inc(); }

 private:
  [[nodiscard]] double unix_now() const noexcept {
    const auto wall =
        wall_anchor_ + std::chrono::duration_cast<std::chrono::system_clock::duration>(clock_.now() - clock_anchor_);
    return std::chrono::duration<double>(wall.time_since_epoch()).count();
  }

  M metrics_;  // keeps the registry alive as long as the handles below
  C clock_;
  typename C::time_point clock_anchor_;
  std::chrono::system_clock::time_point wall_anchor_;
  typename M::counter_type applied_;
  typename M::counter_type rejected_;
  typename M::gauge_type version_;
  typename M::gauge_type last_success_;
  std::uint64_t published_ = 0;  // written under the config's reload lock
};

/// Without metrics: nothing at all (not even the clock).
template <class C>
class config_instruments<null_metrics, C> {
 public:
  constexpr config_instruments(null_metrics /*metrics*/, const C& /*clock*/) noexcept {}
  static constexpr void loaded() noexcept {}
  static constexpr void applied(bool /*published*/) noexcept {}
  static constexpr void rejected() noexcept {}
};

}  // namespace arbiter::inline v1::detail
