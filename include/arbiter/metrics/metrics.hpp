#pragma once

/// \file
/// The Metrics policy: what a part asks of it, and a compile-time check with a readable message.
///
/// A Metrics model makes series handles from specs (metric_spec.hpp) and label values, once, when a part is built:
///   M::counter_type   m.counter(counter_spec<N>, std::array<std::string_view, N>)     .inc(std::uint64_t)
///   M::gauge_type     m.gauge(gauge_spec<N>, values)                                  .set(double), .add(double)
///   M::histogram_type m.histogram(histogram_spec<N>, values)                          .observe(double)
///   M::callback_type  m.gauge_callback(gauge_spec<N>, values, std::function<double()>)  (unregisters when dropped)
///   M::callback_type  m.counter_callback(counter_spec<N>, values, std::function<double()>)
/// Models are handles: copies share their metrics. `null_metrics` makes empty handles that do nothing, so a part
/// built with it has the size and code it has without metrics; `metrics_registry` is the real one.

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>

#include <arbiter/detail/functional.hpp>
#include <arbiter/metrics/metric_spec.hpp>

namespace arbiter::inline v1 {

namespace detail {

inline constexpr double metrics_probe_buckets[] = {1};
inline constexpr auto metrics_probe_counter = counter_spec<1>{"probe_total", "probe", {"label"}, {}, {}};
inline constexpr auto metrics_probe_gauge = gauge_spec<1>{"probe", "probe", {"label"}, {}, {}};
inline constexpr auto metrics_probe_histogram =
    histogram_spec<1>{"probe_seconds", "probe", {"label"}, metrics_probe_buckets, {}};

template <class M>
concept metrics_has_counter = requires(M& m, const std::array<std::string_view, 1>& values, std::uint64_t n) {
  typename M::counter_type;
  { m.counter(metrics_probe_counter, values) } -> std::same_as<typename M::counter_type>;
  { std::declval<const typename M::counter_type&>().inc(n) }
  noexcept;
};

template <class M>
concept metrics_has_gauge = requires(M& m, const std::array<std::string_view, 1>& values, double x) {
  typename M::gauge_type;
  { m.gauge(metrics_probe_gauge, values) } -> std::same_as<typename M::gauge_type>;
  { std::declval<const typename M::gauge_type&>().set(x) }
  noexcept;
  { std::declval<const typename M::gauge_type&>().add(x) }
  noexcept;
};

template <class M>
concept metrics_has_histogram = requires(M& m, const std::array<std::string_view, 1>& values, double x) {
  typename M::histogram_type;
  { m.histogram(metrics_probe_histogram, values) } -> std::same_as<typename M::histogram_type>;
  { std::declval<const typename M::histogram_type&>().observe(x) }
  noexcept;
};

template <class M>
concept metrics_has_callback = requires(M& m, const std::array<std::string_view, 1>& values,
                                        std::function<double()> read) {
  typename M::callback_type;
  { m.gauge_callback(metrics_probe_gauge, values, read) } -> std::same_as<typename M::callback_type>;
  { m.counter_callback(metrics_probe_counter, values, read) } -> std::same_as<typename M::callback_type>;
};

/// Makes a `std::array` of N series handles, which have no default constructor: element i is `make(i)`. How a
/// part resolves one series per outcome, state or check when it is built.
template <std::size_t N, class Make>
[[nodiscard]] auto make_handles(Make&& make) {
  return [&]<std::size_t... I>(std::index_sequence<I...>) {
    return std::array<decltype(make(std::size_t{0})), N>{make(I)...};
  }
  (std::make_index_sequence<N>{});
}

}  // namespace detail

/// A Metrics policy (see the file comment for what it needs).
template <class M>
concept Metrics = detail::metrics_has_counter<M> && detail::metrics_has_gauge<M> && detail::metrics_has_histogram<M> &&
    detail::metrics_has_callback<M> && std::copy_constructible<M>;

/// Checks that `M` is a Metrics policy and names what is missing if it is not: `static_assert(assert_metrics<M>())`.
template <class M>
consteval bool assert_metrics() {
  static_assert(detail::metrics_has_counter<M>,
                "====> arbiter: the Metrics policy lacks `counter_type counter(const counter_spec<N>&, "
                "std::array<std::string_view, N>)` whose result has `inc(std::uint64_t) const noexcept`; use "
                "arbiter::null_metrics for none or arbiter::metrics_registry for Prometheus.");
  static_assert(detail::metrics_has_gauge<M>,
                "====> arbiter: the Metrics policy lacks `gauge_type gauge(const gauge_spec<N>&, "
                "std::array<std::string_view, N>)` whose result has `set(double)` and `add(double)`, const noexcept.");
  static_assert(detail::metrics_has_histogram<M>,
                "====> arbiter: the Metrics policy lacks `histogram_type histogram(const histogram_spec<N>&, "
                "std::array<std::string_view, N>)` whose result has `observe(double) const noexcept`.");
  static_assert(detail::metrics_has_callback<M>,
                "====> arbiter: the Metrics policy lacks `callback_type gauge_callback(const gauge_spec<N>&, "
                "std::array<std::string_view, N>, std::function<double()>)` or the same counter_callback.");
  static_assert(std::copy_constructible<M>,
                "====> arbiter: the Metrics policy must be copyable (a handle to shared metrics).");
  return true;
}

}  // namespace arbiter::inline v1
