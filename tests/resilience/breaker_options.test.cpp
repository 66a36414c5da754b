// Runtime options: every bad field is named with its value and where the options came from; good ones pass.
#include <arbiter/resilience/breaker_options.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <string>

namespace {

using namespace std::chrono_literals;
using arbiter::breaker_options;

std::string error_of(const breaker_options& options, const char* where = "resilience.payments") {
  try {
    arbiter::validate(options, where);
  } catch (const arbiter::invalid_breaker_options& e) {
    return e.field() + " | " + e.what();
  }
  return "accepted";
}

TEST(breaker_options, TheSeedDefaultsAreValid) {
  const breaker_options defaults;
  EXPECT_EQ(defaults.failure_threshold, 5u);
  EXPECT_EQ(defaults.success_threshold, 2u);
  EXPECT_EQ(defaults.open_duration, 5000ms);
  EXPECT_EQ(defaults.operation_timeout, 5000ms);
  EXPECT_EQ(error_of(defaults), "accepted");
}

TEST(breaker_options, EachBadFieldIsNamed) {
  EXPECT_EQ(error_of({.failure_threshold = 0}),
            "failure_threshold | resilience.payments.failure_threshold: 0 is below the minimum 1");
  EXPECT_EQ(error_of({.success_threshold = 5000}),
            "success_threshold | resilience.payments.success_threshold: 5000 is above the maximum 4095");
  EXPECT_EQ(error_of({.open_duration = 0ms}),
            "open_duration | resilience.payments.open_duration: 0ms is not above the minimum 0ms");
  EXPECT_EQ(error_of({.half_open_max_trials = 0}),
            "half_open_max_trials | resilience.payments.half_open_max_trials: 0 is below the minimum 1");
  EXPECT_EQ(error_of({.open_backoff_multiplier = 0.5}),
            "open_backoff_multiplier | resilience.payments.open_backoff_multiplier: 0.5 is outside the range [1, "
            "1000]");
  EXPECT_EQ(error_of({.open_duration = 10s, .max_open_duration = 5s}),
            "max_open_duration | resilience.payments.max_open_duration: 5000ms is below open_duration 10000ms");
  EXPECT_EQ(error_of({.operation_timeout = -1ms}),
            "operation_timeout | resilience.payments.operation_timeout: -1ms is not above the minimum 0ms");
  EXPECT_EQ(error_of({.window_size = 0}), "window_size | resilience.payments.window_size: 0 is below the minimum 1");
  EXPECT_EQ(error_of({.failure_rate_threshold = 101.0}),
            "failure_rate_threshold | resilience.payments.failure_rate_threshold: 101 is above the maximum 100 %");
  EXPECT_EQ(error_of({.failure_rate_threshold = 0.0}),
            "failure_rate_threshold | resilience.payments.failure_rate_threshold: 0 is not above the minimum 0 %");
  EXPECT_EQ(error_of({.slow_call_rate_threshold = -3.0}),
            "slow_call_rate_threshold | resilience.payments.slow_call_rate_threshold: -3 is not above the minimum "
            "0 %");
  EXPECT_EQ(error_of({.window_length = 0ms}),
            "window_length | resilience.payments.window_length: 0ms is not above the minimum 0ms");
  EXPECT_EQ(error_of({.window_buckets = 0}),
            "window_buckets | resilience.payments.window_buckets: 0 is below the minimum 1");
  EXPECT_EQ(error_of({.window_length = 5ms, .window_buckets = 10}),
            "window_length | resilience.payments.window_length: 5ms is shorter than one millisecond per bucket for "
            "window_buckets 10");
}

TEST(breaker_options, NotANumberIsNoRate) { EXPECT_NE(error_of({.failure_rate_threshold = std::nan("")}), "accepted"); }

TEST(breaker_options, FixedOptionsConvertToTheSameStruct) {
  constexpr arbiter::fixed_options<[] { return breaker_options{.failure_threshold = 3, .open_duration = 250ms}; }>
      fixed{};
  const breaker_options options = fixed;
  EXPECT_EQ(options.failure_threshold, 3u);
  EXPECT_EQ(options.open_duration, 250ms);
  EXPECT_EQ(options.success_threshold, 2u);
  EXPECT_EQ(error_of(options), "accepted");
}

}  // namespace
