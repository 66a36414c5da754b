#pragma once

/// \file
/// What a circuit_breaker reports through its Metrics policy (the names are in arbiter/metrics/catalog.hpp):
///   arbiter_breaker_calls_total{breaker, outcome}        every recorded call: success, failure, ignored, force_*
///   arbiter_breaker_rejections_total{breaker, reason}    open, forced_open, half_open_full
///   arbiter_breaker_state{breaker, state}                1 for the current state, 0 for the other four
///   arbiter_breaker_transitions_total{breaker, from, to} each state change (series made on first use)
///   arbiter_breaker_call_duration_seconds{breaker}       each call's duration, when the breaker is timed
/// Every series but the transitions is resolved when the breaker is built; the state is read at scrape time, so
/// it is exact even when transitions are announced out of order. With null_metrics all of it is an empty type.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include <arbiter/metrics/catalog.hpp>
#include <arbiter/metrics/metrics.hpp>
#include <arbiter/metrics/null_metrics.hpp>
#include <arbiter/resilience/breaker_state.hpp>
#include <arbiter/resilience/outcome.hpp>

namespace arbiter::inline v1::detail {

inline constexpr std::size_t breaker_outcome_count = 5;    // outcome::success .. outcome::force_close
inline constexpr std::size_t breaker_rejection_count = 3;  // rejection_reason::open .. half_open_full
inline constexpr std::size_t breaker_state_count = 5;      // breaker_state::closed .. disabled

/// Stands in for the duration histogram of a breaker that does not time its calls.
struct no_duration_histogram {
  static constexpr void observe(double /*seconds*/) noexcept {}
};

/// The series of one breaker. `read_state` returns the breaker's current state (read at scrape time); `Timed`
/// breakers also have the call duration histogram.
template <class M, bool Timed>
class breaker_instruments {
 public:
  template <class ReadState>
  breaker_instruments(M metrics, std::string_view breaker, ReadState read_state)
      : metrics_(std::move(metrics)),
        breaker_(breaker),
        calls_(make_handles<breaker_outcome_count>([&](std::size_t i) {
          return metrics_.counter(metric_names::breaker_calls, {breaker, to_string(static_cast<outcome>(i))});
        })),
        rejections_(make_handles<breaker_rejection_count>([&](std::size_t i) {
          return metrics_.counter(metric_names::breaker_rejections,
                                  {breaker, to_string(static_cast<rejection_reason>(i))});
        })),
        duration_(make_duration(metrics_, breaker)),
        states_(make_handles<breaker_state_count>([&](std::size_t i) {
          const auto state = static_cast<breaker_state>(i);
          return metrics_.gauge_callback(metric_names::breaker_state, {breaker, to_string(state)},
                                         [read_state, state] { return read_state() == state ? 1.0 : 0.0; });
        })) {}

  void call(outcome o) const noexcept { calls_[static_cast<std::size_t>(o)].inc(); }
  void rejected(rejection_reason reason) const noexcept { rejections_[static_cast<std::size_t>(reason)].inc(); }
  void duration(double seconds) const noexcept { duration_.observe(seconds); }

  /// Counts a transition; its series is found (or made) now, off the hot path. Never throws.
  void transition(breaker_state from, breaker_state to) noexcept {
#if defined(__cpp_exceptions)
    try {
#endif
      metrics_.counter(metric_names::breaker_transitions, {breaker_, to_string(from), to_string(to)}).inc();
#if defined(__cpp_exceptions)
    } catch (...) {  // no memory for a new series: the transition itself is made and logged regardless
    }
#endif
  }

 private:
  using duration_type = std::conditional_t<Timed, typename M::histogram_type, no_duration_histogram>;
  static duration_type make_duration(M& metrics, std::string_view breaker) {
    if constexpr (Timed) {
      return metrics.histogram(metric_names::breaker_call_duration, {breaker});
    } else {
      (void)metrics;
      (void)breaker;
      return {};
    }
  }

  M metrics_;
  std::string breaker_;
  std::array<typename M::counter_type, breaker_outcome_count> calls_;
  std::array<typename M::counter_type, breaker_rejection_count> rejections_;
  [[no_unique_address]] duration_type duration_;
  std::array<typename M::callback_type, breaker_state_count> states_;
};

/// Without metrics: nothing at all.
template <bool Timed>
class breaker_instruments<null_metrics, Timed> {
 public:
  template <class ReadState>
  constexpr breaker_instruments(null_metrics /*metrics*/, std::string_view /*breaker*/,
                                ReadState /*read_state*/) noexcept {}
  static constexpr void call(outcome /*o*/) noexcept {}
  static constexpr void rejected(rejection_reason /*reason*/) noexcept {}
  static constexpr void duration(double /*seconds*/) noexcept {}
  static constexpr void transition(breaker_state /*from*/, breaker_state /*to*/) noexcept {}
};

}  // namespace arbiter::inline v1::detail
