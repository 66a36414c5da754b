#pragma once

/// \file
/// A breaker's thresholds: one plain struct that a config section fills at run time (checked by validate(),
/// which names the bad field), or that code fixes at compile time with fixed_options<> (checked by static_assert).
/// Either way the breaker receives a breaker_options, so its type does not depend on where the numbers came from.

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/core.h>

#include <arbiter/detail/chrono.hpp>
#include <arbiter/version.hpp>

namespace arbiter::inline v1 {

/// Every threshold of every detector, with the seed's defaults. Fields a detector does not use are ignored by it.
struct breaker_options {
  // -- the state machine
  std::uint32_t failure_threshold = 5;                 ///< consecutive failures that open (consecutive_failures)
  std::uint32_t success_threshold = 2;                 ///< half-open successes that close
  std::chrono::milliseconds open_duration{5000};       ///< how long the breaker stays open before trials
  std::uint32_t half_open_max_trials = 2;              ///< trial calls admitted at once while half-open
  std::chrono::milliseconds half_open_max_wait{5000};  ///< a trial silent this long gives its permit back
  double open_backoff_multiplier = 1.0;                ///< open duration grows by this after each failed trial
  std::chrono::milliseconds max_open_duration{60000};  ///< cap on the grown open duration
  // -- timing (used with timed or timed_with<Clock>)
  std::chrono::milliseconds operation_timeout{5000};    ///< a call longer than this is a timeout failure
  std::chrono::milliseconds slow_call_threshold{1000};  ///< a call longer than this is slow
  // -- rate windows (count_window, time_window, slow_call_rate)
  std::uint32_t window_size = 100;                 ///< calls in a count window
  std::uint32_t minimum_calls = 20;                ///< calls a window needs before its rates are judged
  double failure_rate_threshold = 50.0;            ///< percent of failures that opens, in (0, 100]
  double slow_call_rate_threshold = 100.0;         ///< percent of slow calls that opens, in (0, 100]
  std::chrono::milliseconds window_length{10000};  ///< span of a time window
  std::uint32_t window_buckets = 10;               ///< buckets a time window is cut into

  /// The largest success threshold and trial count (they share 12-bit fields of the state word).
  static constexpr std::uint32_t max_half_open_count = 4095;
  /// The largest count window and bucket count.
  static constexpr std::uint32_t max_window_size = 1u << 20;
  static constexpr std::uint32_t max_window_buckets = 1024;
};

/// What circuit_breaker::update_options() did: the fields now in force, and those that differ but keep their
/// value until the breaker is built again (trial slots, the detector's window).
struct options_update {
  std::vector<std::string> applied;
  std::vector<std::string> needs_restart;
  [[nodiscard]] bool changed() const noexcept { return !applied.empty(); }
};

/// What is wrong with a breaker_options: the field's name and a sentence naming value, origin and limit.
struct breaker_options_problem {
  std::string field;
  std::string message;
};

/// The error validate() throws: names the field, the value, where it came from and the allowed range.
class invalid_breaker_options : public std::invalid_argument {
 public:
  explicit invalid_breaker_options(breaker_options_problem problem)
      : std::invalid_argument(problem.message), field_(std::move(problem.field)) {}
  /// Returns the name of the offending field ("failure_threshold").
  [[nodiscard]] const std::string& field() const noexcept { return field_; }

 private:
  std::string field_;
};

namespace detail {

/// Checks fields one by one and keeps the first problem.
class option_checker {
 public:
  explicit option_checker(std::string_view where) : where_(where) {}

  void at_least(std::string_view field, std::uint64_t value, std::uint64_t min) {
    if (value < min) fail(field, value, "below the minimum", min);
  }
  void at_most(std::string_view field, std::uint64_t value, std::uint64_t max) {
    if (value > max) fail(field, value, "above the maximum", max);
  }
  void positive(std::string_view field, std::chrono::milliseconds value) {
    if (value.count() <= 0) fail(field, std::to_string(value.count()) + "ms", "not above the minimum", "0ms");
  }
  void percent(std::string_view field, double value) {
    if (!(value > 0.0)) fail(field, value, "not above the minimum", "0 %");
    if (value > 100.0) fail(field, value, "above the maximum", "100 %");
  }
  template <class V, class L>
  void fail(std::string_view field, const V& value, std::string_view relation, const L& limit) {
    if (problem_) return;  // keep the first
    std::string message(where_);
    message.append(".").append(field).append(": ").append(text(value)).append(" is ").append(relation);
    message.append(" ").append(text(limit));
    problem_ = breaker_options_problem{std::string(field), std::move(message)};
  }
  [[nodiscard]] std::optional<breaker_options_problem> result() && { return std::move(problem_); }

 private:
  // Plain conversions instead of one fmt::format per (value, limit) pair of types: that instantiated {fmt}'s
  // machinery several times in every translation unit (the output is the same).
  static std::string text(std::string_view s) { return std::string(s); }
  static std::string text(std::uint32_t v) { return std::to_string(v); }
  static std::string text(std::uint64_t v) { return std::to_string(v); }
  static std::string text(double v) { return fmt::vformat("{}", fmt::make_format_args(v)); }  // shortest round trip

  std::string_view where_;
  std::optional<breaker_options_problem> problem_;
};

}  // namespace detail

/// Returns the first bad field of `o`, if any, e.g. `resilience.payments.failure_threshold: 0 is below the
/// minimum 1`. `where` says where the options came from. For builds without exceptions.
[[nodiscard]] inline std::optional<breaker_options_problem> check(const breaker_options& o,
                                                                  std::string_view where = "breaker_options") {
  detail::option_checker c(where);
  c.at_least("failure_threshold", o.failure_threshold, 1);
  c.at_least("success_threshold", o.success_threshold, 1);
  c.at_most("success_threshold", o.success_threshold, breaker_options::max_half_open_count);
  c.positive("open_duration", o.open_duration);
  c.at_least("half_open_max_trials", o.half_open_max_trials, 1);
  c.at_most("half_open_max_trials", o.half_open_max_trials, breaker_options::max_half_open_count);
  c.positive("half_open_max_wait", o.half_open_max_wait);
  if (!(o.open_backoff_multiplier >= 1.0) || o.open_backoff_multiplier > 1000.0) {
    c.fail("open_backoff_multiplier", o.open_backoff_multiplier, "outside the range", "[1, 1000]");
  }
  if (o.max_open_duration < o.open_duration) {
    c.fail("max_open_duration", std::to_string(o.max_open_duration.count()) + "ms", "below open_duration",
           std::to_string(o.open_duration.count()) + "ms");
  }
  c.positive("operation_timeout", o.operation_timeout);
  c.positive("slow_call_threshold", o.slow_call_threshold);
  c.at_least("window_size", o.window_size, 1);
  c.at_most("window_size", o.window_size, breaker_options::max_window_size);
  c.at_least("minimum_calls", o.minimum_calls, 1);
  c.percent("failure_rate_threshold", o.failure_rate_threshold);
  c.percent("slow_call_rate_threshold", o.slow_call_rate_threshold);
  c.positive("window_length", o.window_length);
  c.at_least("window_buckets", o.window_buckets, 1);
  c.at_most("window_buckets", o.window_buckets, breaker_options::max_window_buckets);
  if (o.window_length.count() > 0 && o.window_length.count() < static_cast<std::int64_t>(o.window_buckets)) {
    c.fail("window_length", std::to_string(o.window_length.count()) + "ms",
           "shorter than one millisecond per bucket for window_buckets", o.window_buckets);
  }
  return std::move(c).result();
}

#if defined(__cpp_exceptions)
/// Checks every field and throws invalid_breaker_options naming the first bad one (see check()).
inline void validate(const breaker_options& o, std::string_view where = "breaker_options") {
  if (auto problem = check(o, where)) throw invalid_breaker_options(std::move(*problem));
}
#endif

/// Thresholds fixed at compile time: `fixed_options<[] { return breaker_options{.failure_threshold = 3}; }>{}`.
/// Every field is checked by a static_assert, so a bad constant never compiles. Converts to breaker_options.
template <auto Make>
struct fixed_options {
  static constexpr breaker_options value = Make();

  static_assert(value.failure_threshold >= 1, "====> arbiter: breaker_options.failure_threshold must be at least 1.");
  static_assert(value.success_threshold >= 1 && value.success_threshold <= breaker_options::max_half_open_count,
                "====> arbiter: breaker_options.success_threshold must be in [1, 4095].");
  static_assert(value.open_duration.count() > 0, "====> arbiter: breaker_options.open_duration must be above zero.");
  static_assert(value.half_open_max_trials >= 1 && value.half_open_max_trials <= breaker_options::max_half_open_count,
                "====> arbiter: breaker_options.half_open_max_trials must be in [1, 4095].");
  static_assert(value.half_open_max_wait.count() > 0,
                "====> arbiter: breaker_options.half_open_max_wait must be above zero.");
  static_assert(value.open_backoff_multiplier >= 1.0 && value.open_backoff_multiplier <= 1000.0,
                "====> arbiter: breaker_options.open_backoff_multiplier must be in [1, 1000].");
  static_assert(value.max_open_duration >= value.open_duration,
                "====> arbiter: breaker_options.max_open_duration must not be below open_duration.");
  static_assert(value.operation_timeout.count() > 0,
                "====> arbiter: breaker_options.operation_timeout must be above zero.");
  static_assert(value.slow_call_threshold.count() > 0,
                "====> arbiter: breaker_options.slow_call_threshold must be above zero.");
  static_assert(value.window_size >= 1 && value.window_size <= breaker_options::max_window_size,
                "====> arbiter: breaker_options.window_size must be in [1, 1048576] (a zero window judges nothing).");
  static_assert(value.minimum_calls >= 1, "====> arbiter: breaker_options.minimum_calls must be at least 1.");
  static_assert(value.failure_rate_threshold > 0.0 && value.failure_rate_threshold <= 100.0,
                "====> arbiter: breaker_options.failure_rate_threshold is a percentage in (0, 100].");
  static_assert(value.slow_call_rate_threshold > 0.0 && value.slow_call_rate_threshold <= 100.0,
                "====> arbiter: breaker_options.slow_call_rate_threshold is a percentage in (0, 100].");
  static_assert(value.window_length.count() > 0,
                "====> arbiter: breaker_options.window_length must be above zero (a zero window judges nothing).");
  static_assert(value.window_buckets >= 1 && value.window_buckets <= breaker_options::max_window_buckets,
                "====> arbiter: breaker_options.window_buckets must be in [1, 1024].");
  static_assert(value.window_length.count() >= static_cast<std::int64_t>(value.window_buckets),
                "====> arbiter: breaker_options.window_length must give each bucket at least one millisecond.");

  /// Returns the checked options.
  constexpr operator breaker_options() const noexcept { return value; }  // NOLINT(google-explicit-constructor)
};

}  // namespace arbiter::inline v1
