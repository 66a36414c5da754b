#pragma once

/// \file
/// The Budget policy of `arbiter::retry<...>`: how many retries a retry may make in all, so that when a downstream
/// fails, retries cannot multiply its load.
///
///   no_retry_budget             every retry its options allow (the default; costs nothing)
///   retry_budget<Clock>         retries are at most `ratio` of first attempts, plus `min_per_second`
///
/// `retry_budget` is a token bucket in the manner of Finagle's RetryBudget and gRPC's retry throttling: every first
/// attempt deposits `ratio` of a token (the balance is capped at `max_balance`), every retry withdraws a whole one.
/// With the balance spent, a retry may still take one of `min_per_second` retries a second (a rate_limiter), so a
/// service with little traffic can still retry at all. With ratio 0.2 a failing downstream sees at most 1.2 times
/// the calls it would see without retries, whatever `max_attempts` says.
///
/// Copies share one bucket: build one budget per downstream and hand it to every retry that calls it.
///
///   arbiter::retry_budget<> budget({.ratio = 0.2, .min_per_second = 10});
///   arbiter::retry<arbiter::retry_budget<>> get_retry("inventory.get", {}, budget);
///   arbiter::retry<arbiter::retry_budget<>> put_retry("inventory.put", {}, budget);
///
/// The cost: a first attempt reads the balance (one relaxed load) and adds to it only when it is below its cap, so
/// a healthy service, whose balance stays full, writes nothing on its hot path.

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include <arbiter/clock/clock.hpp>
#include <arbiter/clock/coarse_clock.hpp>
#include <arbiter/resilience/rate_limiter.hpp>

namespace arbiter::inline v1 {

namespace detail {
/// A double as its shortest decimal text ("0.5", "1e+20"), for error messages.
[[nodiscard]] inline std::string shortest_text(double value) {
  char buffer[32];
  return std::string(buffer, std::to_chars(buffer, buffer + sizeof buffer, value).ptr);
}
}  // namespace detail

/// Kind tag of the Budget policies.
struct retry_budget_policy {};

/// No budget: every retry the options allow.
struct no_retry_budget {
  using policy_kind = retry_budget_policy;
  static constexpr bool enabled = false;
  static constexpr void deposit() noexcept {}
  [[nodiscard]] static constexpr bool try_withdraw() noexcept { return true; }
  static constexpr void refund() noexcept {}
};

/// The size of a retry_budget.
struct retry_budget_options {
  double ratio = 0.2;                 ///< tokens deposited per first attempt, in [0, 1]: retries per first attempt
  std::uint32_t min_per_second = 10;  ///< retries allowed each second whatever the balance (0 for none)
  std::uint32_t max_balance = 100;    ///< the cap on saved retries, and the balance a new budget starts with
};

/// Retries as a fraction of first attempts (see the file comment). Thread-safe; copies share the bucket.
template <Clock C = coarse_clock>
class retry_budget {
 public:
  using policy_kind = retry_budget_policy;
  static constexpr bool enabled = true;

  /// Throws std::invalid_argument naming the setting when the options make no budget.
  explicit retry_budget(retry_budget_options options = {}, C clock = C{})
      : state_(std::make_shared<state>(checked(options), std::move(clock))) {}

  /// A first attempt: adds `ratio` of a token unless the balance is full.
  void deposit() const noexcept {
    state& s = *state_;
    if (s.milli.load(std::memory_order_relaxed) < s.cap) s.milli.fetch_add(s.per_attempt, std::memory_order_relaxed);
  }

  /// A retry: takes one token, or one of the `min_per_second`; false when neither is left.
  [[nodiscard]] bool try_withdraw() const noexcept {
    state& s = *state_;
    std::int64_t have = s.milli.load(std::memory_order_relaxed);
    while (have >= unit) {
      if (s.milli.compare_exchange_weak(have, std::min(have, s.cap) - unit, std::memory_order_relaxed)) return true;
    }
    return s.floor.has_value() && s.floor->try_acquire().granted();
  }

  /// A withdrawn token whose retry never ran (its wait was stopped): back into the balance, up to the cap. (A
  /// permit of the per-second floor comes back as a saved token too: the retry it allowed did not happen.)
  void refund() const noexcept {
    state& s = *state_;
    std::int64_t have = s.milli.load(std::memory_order_relaxed);
    while (have < s.cap &&
           !s.milli.compare_exchange_weak(have, std::min(have + unit, s.cap), std::memory_order_relaxed)) {
    }
  }

  /// The retries saved (whole tokens), not counting the per-second floor.
  [[nodiscard]] double balance() const noexcept {
    return static_cast<double>(std::min(state_->milli.load(std::memory_order_relaxed), state_->cap)) / unit;
  }
  [[nodiscard]] const retry_budget_options& options() const noexcept { return state_->options; }

 private:
  static constexpr std::int64_t unit = 1000;  // a token, in thousandths

  static retry_budget_options checked(const retry_budget_options& o) {
    if (!(o.ratio >= 0.0 && o.ratio <= 1.0)) {  // also catches NaN
      detail::reject_options("retry_budget: ratio is " + detail::shortest_text(o.ratio) +
                             "; it is the retries allowed per first attempt, in [0, 1]");
    }
    if (o.ratio == 0.0 && o.min_per_second == 0 && o.max_balance == 0) {
      detail::reject_options(
          "retry_budget: ratio, min_per_second and max_balance are all 0, so no retry is "
          "ever allowed; use max_attempts = 1 to turn retries off");
    }
    return o;
  }

  struct state {
    state(const retry_budget_options& o, C clock)
        : options(o),
          per_attempt(static_cast<std::int64_t>(std::llround(o.ratio * unit))),
          cap(static_cast<std::int64_t>(o.max_balance) * unit),
          milli(cap) {
      if (o.min_per_second > 0) {
        floor.emplace("retry_budget",
                      rate_limiter_options{.permits = o.min_per_second, .period = std::chrono::seconds(1)},
                      std::move(clock));
      }
    }
    retry_budget_options options;
    std::int64_t per_attempt;  // thousandths of a token per first attempt
    std::int64_t cap;          // thousandths
    alignas(64) std::atomic<std::int64_t> milli;
    std::optional<rate_limiter<C>> floor;
  };
  std::shared_ptr<state> state_;
};

/// A Budget policy: deposit() on a first attempt, try_withdraw() before a retry; optionally refund() when the
/// withdrawn retry did not run (a stop request ended its wait).
template <class B>
concept RetryBudget = std::same_as<typename B::policy_kind, retry_budget_policy> && requires(const B& b) {
  b.deposit();
  { b.try_withdraw() } -> std::same_as<bool>;
};

static_assert(RetryBudget<no_retry_budget> && RetryBudget<retry_budget<>>);

}  // namespace arbiter::inline v1
