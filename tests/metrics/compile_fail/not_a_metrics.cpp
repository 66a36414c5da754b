// A type without histograms is not a Metrics policy; its twin with them is.
#include <arbiter/metrics/metrics.hpp>

struct handle {
  void inc(std::uint64_t /*n*/) const noexcept {}
  void set(double /*x*/) const noexcept {}
  void add(double /*x*/) const noexcept {}
  void observe(double /*x*/) const noexcept {}
};

struct almost_metrics {
  using counter_type = handle;
  using gauge_type = handle;
  using histogram_type = handle;
  using callback_type = int;
  template <class S, std::size_t N>
  handle counter(const S& /*spec*/, const std::array<std::string_view, N>& /*values*/) {
    return {};
  }
  template <class S, std::size_t N>
  handle gauge(const S& /*spec*/, const std::array<std::string_view, N>& /*values*/) {
    return {};
  }
#ifndef ARBITER_EXPECT_FAIL
  template <class S, std::size_t N>
  handle histogram(const S& /*spec*/, const std::array<std::string_view, N>& /*values*/) {
    return {};
  }
#endif
  template <class S, std::size_t N>
  int gauge_callback(const S& /*spec*/, const std::array<std::string_view, N>& /*values*/,
                     std::function<double()> /*read*/) {
    return 0;
  }
  template <class S, std::size_t N>
  int counter_callback(const S& /*spec*/, const std::array<std::string_view, N>& /*values*/,
                       std::function<double()> /*read*/) {
    return 0;
  }
};

static_assert(arbiter::assert_metrics<almost_metrics>());

int main() {}
