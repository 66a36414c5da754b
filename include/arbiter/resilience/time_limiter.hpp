#pragma once

/// \file
/// `arbiter::time_limiter<Policies...>`: a deadline for a cooperative call. The call runs on the caller's thread
/// (never on a new one, nothing is detached or abandoned); a callable that takes a std::stop_token receives one
/// whose stop is requested at the deadline by the shared watchdog thread (timing.hpp), and when the caller's own
/// token is stopped.
///
///   arbiter::time_limiter<> limiter("inventory", {.timeout = 200ms});
///   auto stock = limiter.execute([&](std::stop_token stop) { return inventory.get(sku, stop); });
///
/// A call ran out of time when the watchdog stopped it, or when it took longer than the timeout by the Clock
/// (a call that takes no token is only found out after it returns). Then execute() throws timeout_exceeded and
/// try_execute() returns a time_limited<T> holding a time_limit_exceeded (timeout.hpp). A call stopped by the
/// caller's token (a shutdown) did not run out of time: what it returned or threw is passed on. An exception
/// from a call that ended in time is rethrown unchanged; one from a call that ran out of time is nested in the
/// timeout_exceeded (std::throw_with_nested), since a stopped call often throws because it was stopped.
///
/// A circuit_breaker around a limiter, breaker.execute([&] { return limiter.execute(fn); }), counts its
/// timeouts as timeout failures (breaker_stats::timeouts), from the exception or from a time_limited<T> result.
///
/// Policies, in any order, one of each kind: a Clock (steady_clock by default: measures the elapsed time;
/// manual_clock in tests, advanced inside the call to make it late), a Logger, a Tracer and a Metrics policy
/// (null by default: nothing is paid). A timeout is logged at warn ("call timed out") and traced as a
/// "time_limiter.timeout" span; with a registry every call counts in
/// `arbiter_time_limiter_calls_total{time_limiter, outcome="in_time"|"timed_out"}`.
///
/// The cost of a call in time: two clock reads; for a callable that takes a std::stop_token also a stop_source
/// and arming and disarming the watchdog (a mutex and a map node); `BM_time_limiter/in_time` measures it.

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <optional>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include <arbiter/clock/clock.hpp>
#include <arbiter/detail/functional.hpp>
#include <arbiter/logging/logger.hpp>
#include <arbiter/logging/null_logger.hpp>
#include <arbiter/metrics/catalog.hpp>
#include <arbiter/metrics/metrics.hpp>
#include <arbiter/metrics/null_metrics.hpp>
#include <arbiter/resilience/detail/policies.hpp>
#include <arbiter/resilience/timeout.hpp>
#include <arbiter/resilience/timing.hpp>
#include <arbiter/tracing/null_tracer.hpp>
#include <arbiter/tracing/scoped_span.hpp>
#include <arbiter/tracing/tracer.hpp>

namespace arbiter::inline v1 {

/// How long a time_limiter lets a call run.
struct time_limiter_options {
  std::chrono::nanoseconds timeout = std::chrono::seconds(1);  ///< above zero
};

namespace detail {

template <class P>
inline constexpr std::size_t time_limiter_kinds_of =
    std::size_t{is_clock_policy<P>::value} + std::size_t{is_logger_policy<P>::value} +
    std::size_t{is_tracer_policy<P>::value} + std::size_t{is_metrics_policy<P>::value};

template <class... P>
consteval bool assert_time_limiter_policies() {
  static_assert(((time_limiter_kinds_of<P> == 1) && ...),
                "====> arbiter: time_limiter<...> takes policies only: a Clock (steady_clock, coarse_clock, "
                "manual_clock, ...), a Logger, a Tracer and a Metrics policy. The argument named below is none of "
                "them, or more than one.");
  static_assert(count_policies<is_clock_policy, P...> <= 1,
                "====> arbiter: time_limiter<...> got two Clocks; pass at most one.");
  static_assert(count_policies<is_logger_policy, P...> <= 1,
                "====> arbiter: time_limiter<...> got two Loggers; pass at most one.");
  static_assert(count_policies<is_tracer_policy, P...> <= 1,
                "====> arbiter: time_limiter<...> got two Tracers; pass at most one.");
  static_assert(count_policies<is_metrics_policy, P...> <= 1,
                "====> arbiter: time_limiter<...> got two Metrics policies; pass at most one.");
  return true;
}

/// The counters of one time limiter.
template <class M>
class time_limiter_instruments {
 public:
  time_limiter_instruments(M& metrics, std::string_view limiter)
      : in_time_(metrics.counter(metric_names::time_limiter_calls, {limiter, "in_time"})),
        timed_out_(metrics.counter(metric_names::time_limiter_calls, {limiter, "timed_out"})) {}
  void in_time() const noexcept { in_time_.inc(); }
  void timed_out() const noexcept { timed_out_.inc(); }

 private:
  typename M::counter_type in_time_;
  typename M::counter_type timed_out_;
};

/// Nothing to count.
struct no_time_limiter_instruments {
  template <class M>
  constexpr no_time_limiter_instruments(M& /*metrics*/, std::string_view /*limiter*/) noexcept {}
  static constexpr void in_time() noexcept {}
  static constexpr void timed_out() noexcept {}
};

/// Requests stop on the call's source when the caller's token is stopped.
struct forward_stop {
  std::stop_source source;
  void operator()() noexcept { source.request_stop(); }
};

}  // namespace detail

/// Gives a cooperative call a deadline (see the file comment).
template <class... Policies>
class time_limiter {
  static_assert(detail::assert_time_limiter_policies<Policies...>());

 public:
  using clock_type = typename detail::pick_policy<detail::is_clock_policy, steady_clock, Policies...>::type;
  using logger_type = typename detail::pick_policy<detail::is_logger_policy, null_logger, Policies...>::type;
  using tracer_type = typename detail::pick_policy<detail::is_tracer_policy, null_tracer, Policies...>::type;
  using metrics_type = typename detail::pick_policy<detail::is_metrics_policy, null_metrics, Policies...>::type;

  static_assert(assert_clock<clock_type>());
  static_assert(assert_logger<logger_type>());
  static_assert(assert_tracer<tracer_type>());
  static_assert(assert_metrics<metrics_type>());

  /// Builds a limiter; `options` are validated (std::invalid_argument naming the limiter and the setting).
  /// `policies` are instances of its stateful policies (a manual_clock, a recording_logger, a metrics_registry,
  /// ...) in any order.
  template <class... A>
  explicit time_limiter(std::string name, const time_limiter_options& options = {}, A&&... policies)
      : name_(std::move(name)),
        options_(checked(name_, options)),
        clock_(detail::take_policy<clock_type>(policies...)),
        logger_(detail::take_policy<logger_type>(policies...)),
        tracer_(detail::take_policy<tracer_type>(policies...)),
        metrics_(detail::take_policy<metrics_type>(policies...)),
        instruments_(metrics_, name_) {
    static_assert((is_policy_instance<std::remove_cvref_t<A>> && ...),
                  "====> arbiter: time_limiter's constructor takes instances of its own policy types only (its "
                  "Clock, Logger, Tracer or Metrics).");
  }

  time_limiter(const time_limiter&) = delete;
  time_limiter& operator=(const time_limiter&) = delete;

  /// The result type of calling `F` (with a std::stop_token when it takes one).
  template <class F>
  using call_result_t =
      typename std::conditional_t<std::is_invocable_v<F&, std::stop_token>, std::invoke_result<F&, std::stop_token>,
                                  std::invoke_result<F&>>::type;

#if defined(__cpp_exceptions)
  /// Calls `fn` on this thread within the timeout and returns its result; throws timeout_exceeded when it ran out
  /// of time. `outer` (a shutdown's token) also stops the call, and a call it stopped is not a timeout.
  template <class F>
  call_result_t<F> execute(F&& fn, const std::stop_token& outer = {}) {
    static_assert(assert_callable<F>());
    using R = call_result_t<F>;
    call c(*this, outer, takes_token<F>);
    if constexpr (std::is_void_v<R>) {
      guarded(c, fn);
      if (const auto why = c.finish()) throw_timeout(*why);
    } else {
      R result = guarded(c, fn);
      if (const auto why = c.finish()) throw_timeout(*why);
      if constexpr (std::is_rvalue_reference_v<R>) {
        return std::move(result);
      } else {
        return result;  // moved (or elided) for values, passed on for references
      }
    }
  }
#else
  /// Without exceptions a timeout comes back as the result's error: execute() is try_execute().
  template <class F>
  time_limited<std::decay_t<call_result_t<F>>> execute(F&& fn, const std::stop_token& outer = {}) {
    return try_execute(fn, outer);
  }
#endif

  /// Calls `fn` as execute() does, but a timeout comes back as the result's error, never as an exception (an
  /// exception from `fn` is still rethrown).
  template <class F>
  time_limited<std::decay_t<call_result_t<F>>> try_execute(F&& fn, const std::stop_token& outer = {}) {
    static_assert(assert_callable<F>());
    using R = call_result_t<F>;
    call c(*this, outer, takes_token<F>);
    if constexpr (std::is_void_v<R>) {
      guarded(c, fn);
      if (const auto why = c.finish()) return *why;
      return {};
    } else {
      std::decay_t<R> result = guarded(c, fn);
      if (const auto why = c.finish()) return *why;
      return time_limited<std::decay_t<R>>(std::move(result));
    }
  }

  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  [[nodiscard]] const time_limiter_options& options() const noexcept { return options_; }
  [[nodiscard]] std::chrono::nanoseconds timeout() const noexcept { return options_.timeout; }

 private:
  template <class F>
  static constexpr bool takes_token = std::is_invocable_v<F&, std::stop_token>;

  template <class F>
  static consteval bool assert_callable() {
    static_assert(std::is_invocable_v<F&> || std::is_invocable_v<F&, std::stop_token>,
                  "====> arbiter: time_limiter::execute(fn) calls fn with a std::stop_token (or with nothing); "
                  "capture the arguments in a lambda instead, e.g. limiter.execute([&](std::stop_token stop) { "
                  "return fetch(id, stop); }).");
    return true;
  }

  /// One call: its start, its stop source (armed on the watchdog) and the link from the caller's token.
  class call {
   public:
    call(time_limiter& limiter, const std::stop_token& outer, bool with_token)
        : limiter_(limiter), outer_(outer), start_(limiter.clock_.now()) {
      if (!with_token) return;  // nothing could stop it: only its duration is checked
      source_.emplace();
      if (outer.stop_possible()) link_.emplace(outer, detail::forward_stop{*source_});
      ticket_ = detail::deadline_watchdog::instance().arm(std::chrono::steady_clock::now() + limiter.options_.timeout,
                                                          *source_);
      armed_ = true;
    }
    call(const call&) = delete;
    call& operator=(const call&) = delete;
    ~call() { disarm(); }

    [[nodiscard]] std::stop_token token() const noexcept { return source_ ? source_->get_token() : std::stop_token{}; }

    /// Ends the call: disarms the watchdog, counts it, and says how it ran out of time (nothing when it did not).
    std::optional<time_limit_exceeded> finish() noexcept {
      const auto elapsed = std::chrono::duration_cast<std::chrono::nanoseconds>(limiter_.clock_.now() - start_);
      disarm();
      const bool fired = source_ && source_->stop_requested();
      const bool timed_out = (fired || elapsed > limiter_.options_.timeout) && !outer_.stop_requested();
      if (!timed_out) [[likely]] {
        limiter_.instruments_.in_time();
        return std::nullopt;
      }
      const time_limit_exceeded why{limiter_.options_.timeout, elapsed};
      limiter_.instruments_.timed_out();
      limiter_.announce(why);
      return why;
    }

   private:
    void disarm() noexcept {
      if (!armed_) return;
      armed_ = false;
#if defined(__cpp_exceptions)
      try {
        detail::deadline_watchdog::instance().disarm(ticket_);
      } catch (...) {  // a failed lock: the watchdog fires on a token nobody holds, harmlessly
      }
#else
      detail::deadline_watchdog::instance().disarm(ticket_);
#endif
    }

    time_limiter& limiter_;
    const std::stop_token& outer_;
    typename clock_type::time_point start_;
    std::optional<std::stop_source> source_;
    std::optional<std::stop_callback<detail::forward_stop>> link_;
    detail::deadline_watchdog::ticket ticket_{};
    bool armed_ = false;
  };

  /// Calls `fn`; an exception from a call that ran out of time is nested in a timeout_exceeded.
  template <class F>
  call_result_t<F> guarded(call& c, F& fn) {
#if defined(__cpp_exceptions)
    try {
      return invoke_call(fn, c);
    } catch (...) {
      if (const auto why = c.finish()) std::throw_with_nested(timeout_exceeded(name_, why->timeout, why->elapsed));
      throw;
    }
#else
    return invoke_call(fn, c);
#endif
  }

  template <class F>
  static decltype(auto) invoke_call(F& fn, const call& c) {
    if constexpr (takes_token<F>) {
      return detail::invoke(fn, c.token());
    } else {
      (void)c;
      return detail::invoke(fn);
    }
  }

  [[noreturn]] void throw_timeout(const time_limit_exceeded& why) const {
#if defined(__cpp_exceptions)
    throw timeout_exceeded(name_, why.timeout, why.elapsed);
#else
    (void)why;
    std::terminate();
#endif
  }

  /// Logs and traces a timeout (cold: only when the Logger or Tracer records).
  void announce(const time_limit_exceeded& why) noexcept {
    const auto ms = [](std::chrono::nanoseconds d) { return std::chrono::duration<double, std::milli>(d).count(); };
    if (logger_.enabled(log_level::warn)) {
#if defined(__cpp_exceptions)
      try {
#endif
        logger_.log(log_level::warn, "call timed out", kv("time_limiter", std::string_view(name_)),
                    kv("timeout_ms", ms(why.timeout)), kv("elapsed_ms", ms(why.elapsed)));
#if defined(__cpp_exceptions)
      } catch (...) {  // a failing logger must not hide the timeout
      }
#endif
    }
    if constexpr (!detail::never_records<typename tracer_type::span_type>) {
#if defined(__cpp_exceptions)
      try {
#endif
        auto span = tracer_.start_span("time_limiter.timeout");
        span.set_attribute("time_limiter.name", std::string_view(name_));
        span.set_attribute("time_limiter.timeout_ms", ms(why.timeout));
        span.set_attribute("time_limiter.elapsed_ms", ms(why.elapsed));
        span.end();
#if defined(__cpp_exceptions)
      } catch (...) {
      }
#endif
    }
  }

  static time_limiter_options checked(const std::string& name, const time_limiter_options& o) {
    if (o.timeout.count() <= 0) {
      const std::string what = "time_limiter \"" + name + "\": timeout is " + std::to_string(o.timeout.count()) +
                               " ns; it must be above zero";
      detail::reject_options(what);
    }
    return o;
  }

  template <class T>
  static constexpr bool is_policy_instance = std::is_same_v<T, clock_type> || std::is_same_v<T, logger_type> ||
                                             std::is_same_v<T, tracer_type> || std::is_same_v<T, metrics_type>;

  using instruments_type =
      std::conditional_t<std::is_same_v<metrics_type, null_metrics>, detail::no_time_limiter_instruments,
                         detail::time_limiter_instruments<metrics_type>>;

  std::string name_;
  time_limiter_options options_;
  [[no_unique_address]] clock_type clock_;
  [[no_unique_address]] logger_type logger_;
  [[no_unique_address]] tracer_type tracer_;
  [[no_unique_address]] metrics_type metrics_;
  [[no_unique_address]] instruments_type instruments_;
};

}  // namespace arbiter::inline v1
