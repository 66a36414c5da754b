#pragma once

/// \file
/// The do-nothing Metrics policy: every handle is empty and every write compiles to nothing.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

#include <arbiter/detail/functional.hpp>
#include <arbiter/metrics/metrics.hpp>

namespace arbiter::inline v1 {

/// Metrics that are not kept: parts built with it carry no metrics code or state.
struct null_metrics {
  struct counter_type {
    static constexpr void inc(std::uint64_t /*n*/ = 1) noexcept {}
  };
  struct gauge_type {
    static constexpr void set(double /*value*/) noexcept {}
    static constexpr void add(double /*delta*/) noexcept {}
    static constexpr void sub(double /*delta*/) noexcept {}
  };
  struct histogram_type {
    static constexpr void observe(double /*x*/) noexcept {}
  };
  struct callback_type {};

  template <metric_type T, std::size_t N>
  static constexpr counter_type counter(const metric_spec<T, N>& /*spec*/,
                                        const std::array<std::string_view, N>& /*values*/) noexcept {
    return {};
  }
  template <metric_type T, std::size_t N>
  static constexpr gauge_type gauge(const metric_spec<T, N>& /*spec*/,
                                    const std::array<std::string_view, N>& /*values*/) noexcept {
    return {};
  }
  template <metric_type T, std::size_t N>
  static constexpr histogram_type histogram(const metric_spec<T, N>& /*spec*/,
                                            const std::array<std::string_view, N>& /*values*/) noexcept {
    return {};
  }
  template <metric_type T, std::size_t N, class Read>
  static constexpr callback_type counter_callback(const metric_spec<T, N>& /*spec*/,
                                                  const std::array<std::string_view, N>& /*values*/,
                                                  Read&& /*read*/) noexcept {
    return {};
  }
  template <metric_type T, std::size_t N, class Read>
  static constexpr callback_type gauge_callback(const metric_spec<T, N>& /*spec*/,
                                                const std::array<std::string_view, N>& /*values*/,
                                                Read&& /*read*/) noexcept {
    return {};
  }
};

static_assert(Metrics<null_metrics>);
static_assert(std::is_empty_v<null_metrics> && std::is_empty_v<null_metrics::counter_type> &&
              std::is_empty_v<null_metrics::gauge_type> && std::is_empty_v<null_metrics::histogram_type> &&
              std::is_empty_v<null_metrics::callback_type>);

/// True for the do-nothing policy: parts skip even computing what they would report.
template <class M>
inline constexpr bool is_null_metrics = std::is_same_v<M, null_metrics>;

}  // namespace arbiter::inline v1
