#pragma once

/// \file
/// `arbiter::rate_limiter<Policies...>`: at most `permits` per `period`, with bursts of up to `burst` after a quiet
/// spell, by the generic cell rate algorithm (GCRA): one atomic, the theoretical arrival time, moved by one
/// compare-and-swap per acquire. No lock, no background thread, no refill timer.
///
///   arbiter::rate_limiter<> limiter("payments", {.permits = 100, .period = std::chrono::seconds(1)});
///   if (const auto d = limiter.try_acquire()) { call(); } else { reject(d.retry_after); }
///
/// Three ways to take permits:
///   try_acquire(n)              now or never: refused at once, saying when they would be granted (retry_after)
///   reserve(n, max_wait)        takes them if they are due within max_wait and says how long to wait (no sleep:
///                               the caller waits as it likes; deterministic with a manual clock)
///   acquire(n, max_wait, stop)  reserve, then wait until they are due through the Sleeper; a stop request ends
///                               the wait early
///
/// Policies, in any order, one of each kind: a Clock (coarse_clock by default: a few ns a read, the tick is the
/// limiter's resolution; steady_clock for finer rates; manual_clock in tests), a Metrics policy (null_metrics by
/// default: nothing is counted and nothing is stored), a Logger and a Tracer (null_logger and null_tracer by
/// default: nothing is paid), and a Sleeper (how acquire() waits, see sleeper.hpp: real_sleeper, or with a clock a
/// test moves by hand advancing_sleeper, which moves that clock instead, so acquire() is deterministic too). With a
/// registry it counts `arbiter_rate_limiter_permits_total{limiter, outcome="granted"|"refused"}`. A refusal is logged
/// at debug
/// ("rate limited", checked before anything is built: refusals are the hot path of an overload) and, with a
/// recording Tracer, is a "rate_limiter.refused" span.
///
/// The guarantee: over any stretch of time of length `w`, the permits granted are at most `burst + w / interval`,
/// where `interval = period / permits`. Waiting callers hold reservations; a reservation is never given back.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include <arbiter/clock/clock.hpp>
#include <arbiter/clock/coarse_clock.hpp>
#include <arbiter/logging/logger.hpp>
#include <arbiter/logging/null_logger.hpp>
#include <arbiter/metrics/catalog.hpp>
#include <arbiter/metrics/metrics.hpp>
#include <arbiter/metrics/null_metrics.hpp>
#include <arbiter/resilience/detail/policies.hpp>
#include <arbiter/resilience/sleeper.hpp>
#include <arbiter/tracing/null_tracer.hpp>
#include <arbiter/tracing/scoped_span.hpp>
#include <arbiter/tracing/tracer.hpp>

namespace arbiter::inline v1 {

/// How fast a rate_limiter grants permits.
struct rate_limiter_options {
  std::uint32_t permits = 100;                                ///< permits per period (at least 1)
  std::chrono::nanoseconds period = std::chrono::seconds(1);  ///< at least `permits` nanoseconds
  std::uint32_t burst = 0;  ///< permits grantable at once after a quiet spell; 0 means `permits`
};

/// Why a rate_limiter refused.
enum class rate_refusal : std::uint8_t {
  none,        ///< granted
  rate,        ///< the permits are not due yet (retry_after says when they would be)
  over_burst,  ///< more permits than the burst were asked for at once: never grantable
};

[[nodiscard]] constexpr std::string_view to_string(rate_refusal r) noexcept {
  switch (r) {
    case rate_refusal::none:
      return "none";
    case rate_refusal::rate:
      return "rate";
    case rate_refusal::over_burst:
      return "over_burst";
  }
  return "unknown";
}

/// What an acquire decided. True when the permits were granted.
struct rate_decision {
  rate_refusal refusal = rate_refusal::none;
  /// Refused (rate): how long until the permits would be due. Granted by reserve(): how long to wait before using
  /// them (zero when they are due now).
  std::chrono::nanoseconds retry_after{0};

  [[nodiscard]] bool granted() const noexcept { return refusal == rate_refusal::none; }
  explicit operator bool() const noexcept { return granted(); }
};

namespace detail {

/// The counters of one limiter: granted and refused permits.
template <class M>
class rate_limiter_instruments {
 public:
  rate_limiter_instruments(M& metrics, std::string_view limiter)
      : granted_(metrics.counter(metric_names::rate_limiter_permits, {limiter, "granted"})),
        refused_(metrics.counter(metric_names::rate_limiter_permits, {limiter, "refused"})) {}
  void granted(std::uint32_t n) const noexcept { granted_.inc(n); }
  void refused(std::uint32_t n) const noexcept { refused_.inc(n); }

 private:
  typename M::counter_type granted_;
  typename M::counter_type refused_;
};

/// Nothing to count.
struct no_rate_limiter_instruments {
  template <class M>
  constexpr no_rate_limiter_instruments(M& /*metrics*/, std::string_view /*limiter*/) noexcept {}
  static constexpr void granted(std::uint32_t /*n*/) noexcept {}
  static constexpr void refused(std::uint32_t /*n*/) noexcept {}
};

template <class P>
inline constexpr std::size_t rate_limiter_kinds_of =
    std::size_t{is_clock_policy<P>::value} + std::size_t{is_metrics_policy<P>::value} +
    std::size_t{is_logger_policy<P>::value} + std::size_t{is_tracer_policy<P>::value} +
    std::size_t{is_sleeper_policy<P>::value};

template <class... P>
consteval bool assert_rate_limiter_policies() {
  static_assert(((rate_limiter_kinds_of<P> == 1) && ...),
                "====> arbiter: rate_limiter<...> takes policies only: a Clock (coarse_clock, steady_clock, "
                "manual_clock, ...), a Metrics policy (null_metrics, metrics_registry), a Logger, a Tracer and a "
                "Sleeper (real_sleeper, advancing_sleeper<Clock>). The "
                "argument named below is none of them, or more than one.");
  static_assert(count_policies<is_clock_policy, P...> <= 1,
                "====> arbiter: rate_limiter<...> got two Clocks; pass at most one.");
  static_assert(count_policies<is_metrics_policy, P...> <= 1,
                "====> arbiter: rate_limiter<...> got two Metrics policies; pass at most one.");
  static_assert(count_policies<is_logger_policy, P...> <= 1,
                "====> arbiter: rate_limiter<...> got two Loggers; pass at most one.");
  static_assert(count_policies<is_tracer_policy, P...> <= 1,
                "====> arbiter: rate_limiter<...> got two Tracers; pass at most one.");
  static_assert(count_policies<is_sleeper_policy, P...> <= 1,
                "====> arbiter: rate_limiter<...> got two Sleepers; pass at most one.");
  return true;
}

}  // namespace detail

template <class... Policies>
class rate_limiter {
  static_assert(detail::assert_rate_limiter_policies<Policies...>());

 public:
  using clock_type = typename detail::pick_policy<detail::is_clock_policy, coarse_clock, Policies...>::type;
  using metrics_type = typename detail::pick_policy<detail::is_metrics_policy, null_metrics, Policies...>::type;
  using logger_type = typename detail::pick_policy<detail::is_logger_policy, null_logger, Policies...>::type;
  using tracer_type = typename detail::pick_policy<detail::is_tracer_policy, null_tracer, Policies...>::type;
  using sleeper_type = typename detail::pick_policy<detail::is_sleeper_policy, detail::default_sleeper_for<clock_type>,
                                                    Policies...>::type;

  static_assert(assert_logger<logger_type>());
  static_assert(assert_tracer<tracer_type>());
  static_assert(Sleeper<sleeper_type>,
                "====> arbiter: the Sleeper policy needs `bool sleep_for(std::chrono::nanoseconds, const "
                "std::stop_token&) const`, false when stopped.");

  /// Throws std::invalid_argument naming the limiter and the setting when the options cannot describe a rate.
  explicit rate_limiter(std::string name, rate_limiter_options options = {}, clock_type clock = {},
                        metrics_type metrics = {})
      : name_(std::move(name)),
        options_(checked(name_, options)),
        interval_(options_.period.count() / options_.permits),
        tolerance_(interval_ * static_cast<std::int64_t>(options_.burst)),
        clock_(std::move(clock)),
        sleeper_(detail::take_sleeper<sleeper_type>(clock_)),
        metrics_(std::move(metrics)),
        instruments_(metrics_, name_) {}

  /// The same with the instances of its stateful policies (a manual_clock, a metrics_registry, a recording_logger,
  /// a tracer, ...) in any order; a kind not given is default-built.
  template <class... A>
  rate_limiter(std::string name, rate_limiter_options options, A&&... policies)
      : name_(std::move(name)),
        options_(checked(name_, options)),
        interval_(options_.period.count() / options_.permits),
        tolerance_(interval_ * static_cast<std::int64_t>(options_.burst)),
        clock_(detail::take_policy<clock_type>(policies...)),
        sleeper_(detail::take_sleeper<sleeper_type>(clock_, policies...)),
        metrics_(detail::take_policy<metrics_type>(policies...)),
        logger_(detail::take_policy<logger_type>(policies...)),
        tracer_(detail::take_policy<tracer_type>(policies...)),
        instruments_(metrics_, name_) {
    static_assert((is_policy_instance<std::remove_cvref_t<A>> && ...),
                  "====> arbiter: rate_limiter's constructor takes instances of its own policy types only (its "
                  "Clock, Metrics, Logger, Tracer or Sleeper).");
  }

  rate_limiter(const rate_limiter&) = delete;
  rate_limiter& operator=(const rate_limiter&) = delete;

  /// Takes `n` permits now, or refuses at once. One compare-and-swap (again only if another thread moved the
  /// limiter in between).
  [[nodiscard]] rate_decision try_acquire(std::uint32_t n = 1) noexcept { return take(n, 0); }

  /// Takes `n` permits if they are due within `max_wait`, and says how long to wait before using them. Refuses
  /// (and takes nothing) when they are due later.
  [[nodiscard]] rate_decision reserve(std::uint32_t n, std::chrono::nanoseconds max_wait) noexcept {
    return take(n, std::max<std::int64_t>(0, max_wait.count()));
  }

  /// Reserves `n` permits within `max_wait`, then waits until they are due (the Sleeper: in real time, or by
  /// moving a manual clock). False when refused, or when `stop` was requested during the wait (the reservation is
  /// spent either way).
  bool acquire(std::uint32_t n, std::chrono::nanoseconds max_wait, const std::stop_token& stop = {}) {
    const rate_decision d = reserve(n, max_wait);
    if (!d) return false;
    if (d.retry_after <= std::chrono::nanoseconds::zero()) return !stop.stop_requested();
    return sleeper_.sleep_for(d.retry_after, stop) && !stop.stop_requested();
  }

  /// Calls `fn()` when a permit is granted now, else `fallback(decision)`; both must return the same type.
  template <class F, class Fallback>
  std::invoke_result_t<F&> execute(F&& fn, Fallback&& fallback) {
    using R = std::invoke_result_t<F&>;
    static_assert(std::is_void_v<R> || std::is_convertible_v<std::invoke_result_t<Fallback&, const rate_decision&>, R>,
                  "====> arbiter: rate_limiter::execute(fn, fallback): the fallback's result replaces fn's, so it "
                  "must convert to fn's result type.");
    const rate_decision d = try_acquire();
    if (d) return fn();
    if constexpr (std::is_void_v<R>) {
      fallback(d);
    } else {
      return static_cast<R>(fallback(d));
    }
  }

  /// The permits that could be taken now (at most the burst).
  [[nodiscard]] std::uint32_t available() const noexcept {
    const std::int64_t now = now_ns();
    const std::int64_t backlog = std::max<std::int64_t>(0, tat_.load(std::memory_order_acquire) - now);
    const std::int64_t free = (tolerance_ - backlog) / interval_;
    return static_cast<std::uint32_t>(std::clamp<std::int64_t>(free, 0, options_.burst));
  }

  [[nodiscard]] std::string_view name() const noexcept { return name_; }
  [[nodiscard]] const rate_limiter_options& options() const noexcept { return options_; }
  /// The time between two permits at the steady rate.
  [[nodiscard]] std::chrono::nanoseconds interval() const noexcept { return std::chrono::nanoseconds(interval_); }

 private:
  static rate_limiter_options checked(const std::string& name, rate_limiter_options o) {
    const auto fail = [&name](const std::string& what) {
      detail::reject_options("rate_limiter \"" + name + "\": " + what);
    };
    if (o.permits == 0) fail("permits is 0; at least 1 permit per period is needed");
    if (o.period.count() <= 0) fail("period is " + std::to_string(o.period.count()) + " ns; it must be positive");
    if (o.period.count() < static_cast<std::int64_t>(o.permits)) {
      fail(std::to_string(o.permits) + " permits per " + std::to_string(o.period.count()) +
           " ns is finer than 1 ns a permit; use a longer period");
    }
    if (o.burst == 0) o.burst = o.permits;
    const std::int64_t interval = o.period.count() / o.permits;
    if (interval > (std::int64_t{1} << 61) / std::max<std::int64_t>(2, o.burst)) {
      fail("a burst of " + std::to_string(o.burst) + " permits of " + std::to_string(interval) +
           " ns each is too long a time to keep; shorten the period or the burst");
    }
    return o;
  }

  [[nodiscard]] std::int64_t now_ns() const noexcept {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(clock_.now().time_since_epoch()).count();
  }

  /// GCRA: the theoretical arrival time `tat` is when the limiter would be idle again. A request for `n` permits
  /// moves it by n intervals; it conforms when the new tat is at most `tolerance` (the burst) ahead of now, or
  /// `tolerance + slack` for a reservation that may wait `slack`.
  rate_decision take(std::uint32_t n, std::int64_t slack) noexcept {
    if (n > options_.burst) {
      instruments_.refused(n);
      tell_refusal(n, rate_refusal::over_burst, std::chrono::nanoseconds::zero());
      return {rate_refusal::over_burst, std::chrono::nanoseconds::zero()};
    }
    const std::int64_t now = now_ns();
    const std::int64_t cost = interval_ * static_cast<std::int64_t>(n);
    std::int64_t tat = tat_.load(std::memory_order_relaxed);
    for (;;) {
      const std::int64_t next = std::max(tat, now) + cost;
      const std::int64_t due = next - tolerance_;  // when these permits conform
      if (due - now > slack) {
        instruments_.refused(n);
        tell_refusal(n, rate_refusal::rate, std::chrono::nanoseconds(due - now));
        return {rate_refusal::rate, std::chrono::nanoseconds(due - now)};
      }
      if (tat_.compare_exchange_weak(tat, next, std::memory_order_acq_rel, std::memory_order_relaxed)) {
        instruments_.granted(n);
        return {rate_refusal::none, std::chrono::nanoseconds(std::max<std::int64_t>(0, due - now))};
      }
    }
  }

  /// Logs (at debug, checked first) and traces a refusal; nothing at all with the null Logger and Tracer.
  void tell_refusal(std::uint32_t n, rate_refusal why, std::chrono::nanoseconds retry_after) noexcept {
    if (logger_.enabled(log_level::debug)) [[unlikely]]
      log_refusal(n, why, retry_after);
    if constexpr (!detail::never_records<typename tracer_type::span_type>) trace_refusal(n, why, retry_after);
  }

  [[gnu::noinline]] void log_refusal(std::uint32_t n, rate_refusal why, std::chrono::nanoseconds retry_after) noexcept {
#if defined(__cpp_exceptions)
    try {
#endif
      logger_.log(log_level::debug, "rate limited", kv("limiter", std::string_view(name_)),
                  kv("retry_after_ms", std::chrono::duration<double, std::milli>(retry_after).count()),
                  kv("permits", n), kv("reason", to_string(why)));
#if defined(__cpp_exceptions)
    } catch (...) {  // a failing logger must not turn a refusal into a crash
    }
#endif
  }

  [[gnu::noinline]] void trace_refusal(std::uint32_t n, rate_refusal why,
                                       std::chrono::nanoseconds retry_after) noexcept {
#if defined(__cpp_exceptions)
    try {
#endif
      auto span = tracer_.start_span("rate_limiter.refused");
      span.set_attribute("rate_limiter.name", std::string_view(name_));
      span.set_attribute("rate_limiter.permits", static_cast<std::int64_t>(n));
      span.set_attribute("rate_limiter.reason", to_string(why));
      span.set_attribute("rate_limiter.retry_after_ms", std::chrono::duration<double, std::milli>(retry_after).count());
      span.end();
#if defined(__cpp_exceptions)
    } catch (...) {
    }
#endif
  }

  template <class T>
  static constexpr bool is_policy_instance =
      std::is_same_v<T, clock_type> || std::is_same_v<T, metrics_type> || std::is_same_v<T, logger_type> ||
      std::is_same_v<T, tracer_type> || std::is_same_v<T, sleeper_type>;

  using instruments_type =
      std::conditional_t<std::is_same_v<metrics_type, null_metrics>, detail::no_rate_limiter_instruments,
                         detail::rate_limiter_instruments<metrics_type>>;

  std::string name_;
  rate_limiter_options options_;
  std::int64_t interval_;   // nanoseconds between two permits
  std::int64_t tolerance_;  // burst * interval
  [[no_unique_address]] clock_type clock_;
  [[no_unique_address]] sleeper_type sleeper_;
  [[no_unique_address]] metrics_type metrics_;
  [[no_unique_address]] logger_type logger_;
  [[no_unique_address]] tracer_type tracer_;
  [[no_unique_address]] instruments_type instruments_;
  alignas(64) std::atomic<std::int64_t> tat_{std::numeric_limits<std::int64_t>::min() / 2};
};

}  // namespace arbiter::inline v1
