#pragma once

/// \file
/// `arbiter::retry<Policies...>`: calls a callable again when it fails, waiting a backoff between attempts, within
/// a number of attempts, a total deadline and (optionally) a retry budget shared by every caller of a downstream.
///
///   arbiter::retry<> retry("inventory", {.max_attempts = 3, .initial_backoff = 50ms, .max_backoff = 1s});
///   auto stock = retry.execute([&] { return inventory.get(sku); }, shutdown.stop_token());
///
/// What is retried is decided by an Outcome classifier, the same policy a circuit_breaker uses, so one classifier
/// serves both: a result or exception it calls `failure` is retried; success, `ignored` (a cancelled call) and the
/// forcing outcomes are returned at once. When retries end, the last result is returned (or its exception
/// rethrown), so a caller sees what the downstream said.
///
/// A result may carry a retry-after hint: the wait before the next attempt is then at least the hint (a 429's or
/// 503's Retry-After, a breaker's rejection, a rate limiter's refusal). The hint is read from
///   - `retry_after_hint(result)` found by argument-dependent lookup, returning a duration (zero for none);
///   - else a member `retry_after` (a duration, or a function returning one), as rate_decision has;
///   - else, for an expected-like result without a value, the error's `retry_after` (a breaker_result's rejection);
///   - for an exception: a circuit_open's rejection.
///
/// Policies, in any order, one of each kind:
///   Backoff     full_jitter_backoff (default), fixed_backoff, exponential_backoff, equal_jitter_backoff,
///               decorrelated_jitter_backoff                                              (backoff.hpp)
///   Budget      no_retry_budget (default) or retry_budget<Clock>                         (retry_budget.hpp)
///   Outcome     default_classifier (default), ignore_exceptions<E...>, classify_with<F>, your own (outcome.hpp)
///   Clock       steady_clock (default); reads the total deadline
///   Sleeper     how a backoff is waited: real_sleeper (default), or with a clock that can be advanced by hand
///               (manual_clock) advancing_sleeper, which moves that clock instead of sleeping, so tests never sleep
///   Logger, Tracer, Metrics   what happens: each retry and each give-up (null by default: nothing is paid)
///
/// A wait honours the std::stop_token given to execute(): a stop request (shutdown) ends it at once, and the last
/// result is returned. A call that takes a std::stop_token receives that token.
///
/// The cost: a call whose first attempt succeeds pays nothing beyond classifying its result (constexpr for most
/// result types); `BM_retry/first_try_succeeds` measures it beside `BM_direct_call`. A deadline adds one clock
/// read per call, a retry_budget one relaxed load (and an add while its balance is below the cap).

#include <algorithm>
#include <chrono>
#include <concepts>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>
#include <random>
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
#include <arbiter/resilience/backoff.hpp>
#include <arbiter/resilience/breaker_state.hpp>
#include <arbiter/resilience/detail/policies.hpp>
#include <arbiter/resilience/outcome.hpp>
#include <arbiter/resilience/retry_budget.hpp>
#include <arbiter/resilience/sleeper.hpp>
#include <arbiter/tracing/null_tracer.hpp>
#include <arbiter/tracing/scoped_span.hpp>
#include <arbiter/tracing/tracer.hpp>

namespace arbiter::inline v1 {

/// How many attempts a retry makes and how long it waits between them.
struct retry_options {
  std::uint32_t max_attempts = 3;  ///< attempts in all, the first included (1: never retry), at most 1000
  std::chrono::nanoseconds initial_backoff = std::chrono::milliseconds(100);  ///< the first wait (before jitter)
  std::chrono::nanoseconds max_backoff = std::chrono::seconds(10);            ///< the cap on one wait
  double multiplier = 2.0;  ///< how much longer each wait is than the one before (exponential backoffs), >= 1
  /// The time all attempts and waits may take, from the first attempt (zero: none). A retry whose wait would end
  /// past it is not made.
  std::chrono::nanoseconds deadline{0};
};

/// Why a retry stopped retrying a call that still failed.
enum class retry_give_up : std::uint8_t {
  attempts,  ///< max_attempts were made
  deadline,  ///< the next wait would end past the deadline
  budget,    ///< the retry budget is spent
  stopped,   ///< a stop was requested
};

[[nodiscard]] constexpr std::string_view to_string(retry_give_up r) noexcept {
  switch (r) {
    case retry_give_up::attempts:
      return "attempts";
    case retry_give_up::deadline:
      return "deadline";
    case retry_give_up::budget:
      return "budget";
    case retry_give_up::stopped:
      return "stopped";
  }
  return "unknown";
}

namespace detail {

template <class T>
struct is_backoff_policy : std::bool_constant<policy_of_kind<T, backoff_policy>> {};
template <class T>
struct is_retry_budget_policy : std::bool_constant<policy_of_kind<T, retry_budget_policy>> {};

template <class P>
inline constexpr std::size_t retry_kinds_of =
    std::size_t{is_backoff_policy<P>::value} + std::size_t{is_retry_budget_policy<P>::value} +
    std::size_t{is_sleeper_policy<P>::value} + std::size_t{is_classifier_policy<P>::value} +
    std::size_t{is_clock_policy<P>::value} + std::size_t{is_logger_policy<P>::value} +
    std::size_t{is_tracer_policy<P>::value} + std::size_t{is_metrics_policy<P>::value};

template <class... P>
consteval bool assert_retry_policies() {
  static_assert(((retry_kinds_of<P> == 1) && ...),
                "====> arbiter: retry<...> takes policies only: a Backoff (full_jitter_backoff, fixed_backoff, "
                "exponential_backoff, equal_jitter_backoff, decorrelated_jitter_backoff), a Budget (no_retry_budget, "
                "retry_budget<>), an Outcome classifier, a Clock, a Sleeper, a Logger, a Tracer and a Metrics "
                "policy. The argument named below is none of them, or more than one.");
  static_assert(count_policies<is_backoff_policy, P...> <= 1,
                "====> arbiter: retry<...> got two Backoff policies; pass at most one.");
  static_assert(count_policies<is_retry_budget_policy, P...> <= 1,
                "====> arbiter: retry<...> got two Budget policies; pass at most one (copies of one retry_budget "
                "share it).");
  static_assert(count_policies<is_sleeper_policy, P...> <= 1,
                "====> arbiter: retry<...> got two Sleepers; pass at most one.");
  static_assert(count_policies<is_classifier_policy, P...> <= 1,
                "====> arbiter: retry<...> got two Outcome classifiers; pass at most one.");
  static_assert(count_policies<is_clock_policy, P...> <= 1,
                "====> arbiter: retry<...> got two Clocks; pass at most one.");
  static_assert(count_policies<is_logger_policy, P...> <= 1,
                "====> arbiter: retry<...> got two Loggers; pass at most one.");
  static_assert(count_policies<is_tracer_policy, P...> <= 1,
                "====> arbiter: retry<...> got two Tracers; pass at most one.");
  static_assert(count_policies<is_metrics_policy, P...> <= 1,
                "====> arbiter: retry<...> got two Metrics policies; pass at most one.");
  return true;
}

template <class D>
concept duration_like = requires(const D& d) {
  std::chrono::duration_cast<std::chrono::nanoseconds>(d);
};

/// The retry-after hint of a result (see the file comment); zero for none.
template <class R>
[[nodiscard]] std::chrono::nanoseconds result_retry_after(const R& r) {
  using std::chrono::nanoseconds;
  if constexpr (requires {
                  { retry_after_hint(r) } -> duration_like;
                }) {
    return std::chrono::duration_cast<nanoseconds>(retry_after_hint(r));
  } else if constexpr (requires {
                         { r.retry_after } -> duration_like;
                       }) {
    return std::chrono::duration_cast<nanoseconds>(r.retry_after);
  } else if constexpr (requires {
                         { r.retry_after() } -> duration_like;
                       }) {
    return std::chrono::duration_cast<nanoseconds>(r.retry_after());
  } else if constexpr (expected_like<R> && requires {
                         { r.error().retry_after } -> duration_like;
                       }) {
    return r.has_value() ? nanoseconds::zero() : std::chrono::duration_cast<nanoseconds>(r.error().retry_after);
  } else {
    return nanoseconds::zero();
  }
}

/// The retry-after hint of an exception: a circuit_open's; zero for others.
[[nodiscard]] inline std::chrono::nanoseconds exception_retry_after(const std::exception_ptr& error) noexcept {
#if defined(__cpp_exceptions)
  try {
    std::rethrow_exception(error);
  } catch (const circuit_open& open) {
    return open.why().retry_after;
  } catch (...) {
  }
#else
  (void)error;
#endif
  return std::chrono::nanoseconds::zero();
}

/// A 64-bit draw for jitter: a per-thread splitmix64, seeded once from std::random_device.
[[nodiscard]] inline std::uint64_t jitter_draw() noexcept {
  thread_local std::uint64_t state = [] {
    std::uint64_t seed = 0x9e3779b97f4a7c15ULL;
#if defined(__cpp_exceptions)
    try {
      std::random_device device;
      seed ^= (std::uint64_t{device()} << 32) ^ std::uint64_t{device()};
    } catch (...) {  // no entropy source: the address of this thread's state still differs per thread
    }
#endif
    return seed ^ static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(&seed));
  }();
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/// The counters of one retry.
template <class M>
class retry_instruments {
 public:
  retry_instruments(M& metrics, std::string_view retry)
      : first_(metrics.counter(metric_names::retry_attempts, {retry, "first"})),
        retry_(metrics.counter(metric_names::retry_attempts, {retry, "retry"})),
        attempts_(metrics.counter(metric_names::retry_gave_up, {retry, "attempts"})),
        deadline_(metrics.counter(metric_names::retry_gave_up, {retry, "deadline"})),
        budget_(metrics.counter(metric_names::retry_gave_up, {retry, "budget"})),
        stopped_(metrics.counter(metric_names::retry_gave_up, {retry, "stopped"})) {}
  void first_attempt() const noexcept { first_.inc(); }
  void retried() const noexcept { retry_.inc(); }
  void gave_up(retry_give_up why) const noexcept {
    switch (why) {
      case retry_give_up::attempts:
        attempts_.inc();
        break;
      case retry_give_up::deadline:
        deadline_.inc();
        break;
      case retry_give_up::budget:
        budget_.inc();
        break;
      case retry_give_up::stopped:
        stopped_.inc();
        break;
    }
  }

 private:
  typename M::counter_type first_, retry_, attempts_, deadline_, budget_, stopped_;
};

/// Nothing to count.
struct no_retry_instruments {
  template <class M>
  constexpr no_retry_instruments(M& /*metrics*/, std::string_view /*retry*/) noexcept {}
  static constexpr void first_attempt() noexcept {}
  static constexpr void retried() noexcept {}
  static constexpr void gave_up(retry_give_up /*why*/) noexcept {}
};

}  // namespace detail

/// Retries a failing call (see the file comment).
template <class... Policies>
class retry {
  static_assert(detail::assert_retry_policies<Policies...>());

 public:
  using backoff_type = typename detail::pick_policy<detail::is_backoff_policy, full_jitter_backoff, Policies...>::type;
  using budget_type = typename detail::pick_policy<detail::is_retry_budget_policy, no_retry_budget, Policies...>::type;
  using classifier_type =
      typename detail::pick_policy<detail::is_classifier_policy, default_classifier, Policies...>::type;
  using clock_type = typename detail::pick_policy<detail::is_clock_policy, steady_clock, Policies...>::type;
  using sleeper_type = typename detail::pick_policy<detail::is_sleeper_policy, detail::default_sleeper_for<clock_type>,
                                                    Policies...>::type;
  using logger_type = typename detail::pick_policy<detail::is_logger_policy, null_logger, Policies...>::type;
  using tracer_type = typename detail::pick_policy<detail::is_tracer_policy, null_tracer, Policies...>::type;
  using metrics_type = typename detail::pick_policy<detail::is_metrics_policy, null_metrics, Policies...>::type;

  static_assert(Backoff<backoff_type>,
                "====> arbiter: the Backoff policy needs `std::chrono::nanoseconds "
                "delay(const backoff_params&, const backoff_step&) const noexcept`.");
  static_assert(RetryBudget<budget_type>,
                "====> arbiter: the Budget policy needs deposit() and `bool try_withdraw()`.");
  static_assert(assert_outcome_classifier<classifier_type>());
  static_assert(assert_clock<clock_type>());
  static_assert(Sleeper<sleeper_type>,
                "====> arbiter: the Sleeper policy needs `bool sleep_for(std::chrono::"
                "nanoseconds, const std::stop_token&) const`, false when stopped.");
  static_assert(assert_logger<logger_type>());
  static_assert(assert_tracer<tracer_type>());
  static_assert(assert_metrics<metrics_type>());

  /// Builds a retry; `options` are validated (the error names the retry and the setting). `policies` are
  /// instances of its stateful policies (a retry_budget, a manual_clock, a recording_logger, ...) in any order;
  /// a Sleeper not given is made from the clock when it can be (advancing_sleeper).
  template <class... A>
  explicit retry(std::string name, const retry_options& options = {}, A&&... policies)
      : name_(std::move(name)),
        options_(checked(name_, options)),
        backoff_(detail::take_policy<backoff_type>(policies...)),
        budget_(detail::take_policy<budget_type>(policies...)),
        classifier_(detail::take_policy<classifier_type>(policies...)),
        clock_(detail::take_policy<clock_type>(policies...)),
        sleeper_(detail::take_sleeper<sleeper_type>(clock_, policies...)),
        logger_(detail::take_policy<logger_type>(policies...)),
        tracer_(detail::take_policy<tracer_type>(policies...)),
        metrics_(detail::take_policy<metrics_type>(policies...)),
        instruments_(metrics_, name_) {
    static_assert((is_policy_instance<std::remove_cvref_t<A>> && ...),
                  "====> arbiter: retry's constructor takes instances of its own policy types only (its Backoff, "
                  "Budget, Outcome classifier, Clock, Sleeper, Logger, Tracer or Metrics).");
  }

  retry(const retry&) = delete;
  retry& operator=(const retry&) = delete;

  template <class F>
  static constexpr bool retry_callable = std::is_invocable_v<F&> || std::is_invocable_v<F&, std::stop_token>;

  /// The result type of calling `F` (with a std::stop_token when it takes one).
  template <class F>
  using call_result_t =
      typename std::conditional_t<std::is_invocable_v<F&, std::stop_token>, std::invoke_result<F&, std::stop_token>,
                                  std::invoke_result<F&>>::type;

  /// Calls `fn` until it succeeds or retries end, and returns its last result (or rethrows its last exception).
  /// `stop` ends a wait between attempts at once; `fn` receives it when it takes a std::stop_token.
  template <class F>
  decltype(auto) execute(F&& fn, const std::stop_token& stop = {}) {
    static_assert(retry_callable<F>,
                  "====> arbiter: retry::execute(fn) calls fn with no arguments (or with a std::stop_token); "
                  "capture the arguments in a lambda instead, e.g. retry.execute([&] { return fetch(id); }).");
    if constexpr (retry_callable<F>) {
      return execute_classified(
          fn, [this](const auto& result) { return classifier_.classify_result(result); }, stop);
    }
  }

  /// execute(), deciding what is retried with `classify(result)` (an arbiter::outcome) instead of the Outcome
  /// classifier's classify_result; exceptions are still the classifier's. A pipeline classifies the results it
  /// wraps this way.
  template <class F, class Classify>
  decltype(auto) execute_classified(F&& fn, Classify&& classify, const std::stop_token& stop = {}) {
    static_assert(retry_callable<F>,
                  "====> arbiter: retry::execute_classified(fn, classify): fn takes no arguments "
                  "(or a std::stop_token).");
    using R = call_result_t<F>;
    budget_.deposit();
    instruments_.first_attempt();
    attempt_state at{};
    if (options_.deadline > std::chrono::nanoseconds::zero()) at.start = clock_.now();  // one read, with a deadline
    for (;;) {
#if defined(__cpp_exceptions)
      try {
#endif
        if constexpr (std::is_void_v<R>) {
          (void)classify;
          invoke_call(fn, stop);
          return;
        } else {
          R result = invoke_call(fn, stop);
          if (!wait_for_next(
                  at, classify(std::as_const(result)), [&] { return detail::result_retry_after(result); }, stop)) {
            return result;
          }
        }
#if defined(__cpp_exceptions)
      } catch (...) {
        const std::exception_ptr error = std::current_exception();
        if (!wait_for_next(
                at, classifier_.classify_exception(error), [&] { return detail::exception_retry_after(error); },
                stop)) {
          throw;
        }
      }
#endif
    }
  }

  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  [[nodiscard]] const retry_options& options() const noexcept { return options_; }
  [[nodiscard]] const budget_type& budget() const noexcept { return budget_; }
  [[nodiscard]] const classifier_type& classifier() const noexcept { return classifier_; }

  /// The wait before retry number `n` (1 before the second attempt) given the previous wait and a draw: what the
  /// Backoff policy says, capped at max_backoff.
  [[nodiscard]] std::chrono::nanoseconds backoff(std::uint32_t n, std::chrono::nanoseconds previous,
                                                 std::uint64_t random) const noexcept {
    return std::clamp(backoff_.delay(params(), backoff_step{n, previous, random}), std::chrono::nanoseconds::zero(),
                      options_.max_backoff);
  }

 private:
  struct attempt_state {
    std::uint32_t attempt = 1;  // the attempt just made
    std::chrono::nanoseconds previous{0};
    typename clock_type::time_point start{};
  };

  [[nodiscard]] backoff_params params() const noexcept {
    return {options_.initial_backoff, options_.max_backoff, options_.multiplier};
  }

  /// After a failed attempt: decides whether to retry, and waits. False when the last result stands.
  template <class Hint>
  bool wait_for_next(attempt_state& at, outcome o, Hint&& hint, const std::stop_token& stop) {
    if (o != outcome::failure) [[likely]]
      return false;
    return wait_for_retry(at, hint(), stop);
  }

  bool wait_for_retry(attempt_state& at, std::chrono::nanoseconds hint, const std::stop_token& stop) {
    if (at.attempt >= options_.max_attempts) return give_up(at, retry_give_up::attempts);
    const std::chrono::nanoseconds wait = std::max(backoff(at.attempt, at.previous, detail::jitter_draw()), hint);
    if (options_.deadline > std::chrono::nanoseconds::zero()) {
      const auto spent = std::chrono::duration_cast<std::chrono::nanoseconds>(clock_.now() - at.start);
      if (spent + wait >= options_.deadline) return give_up(at, retry_give_up::deadline);
    }
    if (stop.stop_requested()) return give_up(at, retry_give_up::stopped);
    if (!budget_.try_withdraw()) return give_up(at, retry_give_up::budget);
    announce_retry(at, wait, hint);
    if (!sleep(at, wait, stop)) {
      if constexpr (requires { budget_.refund(); }) budget_.refund();  // the retry it paid for never runs
      return give_up(at, retry_give_up::stopped);
    }
    instruments_.retried();
    at.previous = wait;
    ++at.attempt;
    return true;
  }

  bool give_up(const attempt_state& at, retry_give_up why) noexcept {
    instruments_.gave_up(why);
    if (logger_.enabled(log_level::warn)) {
#if defined(__cpp_exceptions)
      try {
#endif
        logger_.log(log_level::warn, "retry gave up", kv("retry", std::string_view(name_)), kv("attempts", at.attempt),
                    kv("reason", to_string(why)));
#if defined(__cpp_exceptions)
      } catch (...) {  // a failing logger must not hide the call's own result
      }
#endif
    }
    return false;
  }

  void announce_retry(const attempt_state& at, std::chrono::nanoseconds wait, std::chrono::nanoseconds hint) noexcept {
    if (logger_.enabled(log_level::debug)) {
#if defined(__cpp_exceptions)
      try {
#endif
        logger_.log(log_level::debug, "retrying", kv("retry", std::string_view(name_)), kv("attempt", at.attempt + 1),
                    kv("wait_ms", std::chrono::duration<double, std::milli>(wait).count()),
                    kv("retry_after_ms", std::chrono::duration<double, std::milli>(hint).count()));
#if defined(__cpp_exceptions)
      } catch (...) {
      }
#endif
    }
  }

  /// Waits `wait` before the next attempt, inside a "retry.backoff" span when the Tracer records.
  bool sleep(const attempt_state& at, std::chrono::nanoseconds wait, const std::stop_token& stop) {
    if constexpr (detail::never_records<typename tracer_type::span_type>) {
      (void)at;
      return sleeper_.sleep_for(wait, stop);
    } else {
      auto span = tracer_.start_span("retry.backoff");
      span.set_attribute("retry.name", std::string_view(name_));
      span.set_attribute("retry.attempt", static_cast<std::int64_t>(at.attempt + 1));
      span.set_attribute("retry.wait_ms", std::chrono::duration<double, std::milli>(wait).count());
      const bool slept = sleeper_.sleep_for(wait, stop);
      if (!slept) span.add_event("stopped");
      span.end();
      return slept;
    }
  }

  template <class F>
  static decltype(auto) invoke_call(F& fn, const std::stop_token& stop) {
    if constexpr (std::is_invocable_v<F&, std::stop_token>) {
      return detail::invoke(fn, stop);
    } else {
      (void)stop;
      return detail::invoke(fn);
    }
  }

  static retry_options checked(const std::string& name, const retry_options& o) {
    const auto fail = [&name](const std::string& what) { detail::reject_options("retry \"" + name + "\": " + what); };
    if (o.max_attempts == 0) fail("max_attempts is 0; it counts the first attempt too, so it is at least 1");
    if (o.max_attempts > 1000) fail("max_attempts is " + std::to_string(o.max_attempts) + "; at most 1000");
    if (o.initial_backoff.count() < 0) fail("initial_backoff is negative");
    if (o.max_backoff < o.initial_backoff) fail("max_backoff is shorter than initial_backoff");
    if (!(o.multiplier >= 1.0 && o.multiplier <= 1000.0)) {  // also catches NaN
      fail("multiplier is " + detail::shortest_text(o.multiplier) + "; it must be in [1, 1000]");
    }
    if (o.deadline.count() < 0) fail("deadline is negative; zero means no deadline");
    return o;
  }

  template <class T>
  static constexpr bool is_policy_instance =
      std::is_same_v<T, backoff_type> || std::is_same_v<T, budget_type> || std::is_same_v<T, classifier_type> ||
      std::is_same_v<T, clock_type> || std::is_same_v<T, sleeper_type> || std::is_same_v<T, logger_type> ||
      std::is_same_v<T, tracer_type> || std::is_same_v<T, metrics_type>;

  using instruments_type = std::conditional_t<std::is_same_v<metrics_type, null_metrics>, detail::no_retry_instruments,
                                              detail::retry_instruments<metrics_type>>;

  std::string name_;
  retry_options options_;
  [[no_unique_address]] backoff_type backoff_;
  [[no_unique_address]] budget_type budget_;
  [[no_unique_address]] classifier_type classifier_;
  [[no_unique_address]] clock_type clock_;
  [[no_unique_address]] sleeper_type sleeper_;
  [[no_unique_address]] logger_type logger_;
  [[no_unique_address]] tracer_type tracer_;
  [[no_unique_address]] metrics_type metrics_;
  [[no_unique_address]] instruments_type instruments_;
};

}  // namespace arbiter::inline v1
