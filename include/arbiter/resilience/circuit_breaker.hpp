#pragma once

/// \file
/// circuit_breaker<Policies...>: a circuit breaker assembled at compile time from policies given in any order:
///   failure detector   consecutive_failures (default), count_window, time_window, slow_call_rate
///   Sync               lock_free (default), single_thread
///   Clock              steady_clock (default), coarse_clock, manual_clock: reads open deadlines
///   Timing             untimed (default), timed or timed_with<Clock>: operation timeout and slow calls
///   Outcome classifier default_classifier (default), ignore_exceptions<E...>, classify_with<F>, your own
///   Stats              no_stats (default), counting_stats
///   Logger, Tracer     null_logger, null_tracer (defaults), or any model; every transition is logged and traced
///   Metrics            null_metrics (default) or metrics_registry: calls, rejections, state, transitions and
///                      durations (breaker_metrics.hpp)
/// Thresholds come from a breaker_options (checked at run time) or a fixed_options<> (checked at compile time).
///
/// The whole state is one 64-bit word: [state:3][epoch:29][payload:32]. The epoch counts transitions, so an
/// outcome (a forcing one included) from a call admitted before a transition is recognised as stale and ignored.
/// Payload: the consecutive-failure count when closed; [in-flight trials:12][successes:12] when half-open. Each
/// trial permit also holds a slot with its grant time, so a silent trial is reclaimed on its own.
/// A closed call therefore costs one load to admit and, when it succeeds with no failure pending, one more
/// load to report: no write at all.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <limits>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>

#include <arbiter/clock/clock.hpp>
#include <arbiter/detail/chrono.hpp>
#include <arbiter/detail/concat.hpp>
#include <arbiter/detail/float_math.hpp>
#include <arbiter/detail/functional.hpp>
#include <arbiter/logging/logger.hpp>
#include <arbiter/logging/null_logger.hpp>
#include <arbiter/metrics/metrics.hpp>
#include <arbiter/metrics/null_metrics.hpp>
#include <arbiter/resilience/breaker_metrics.hpp>
#include <arbiter/resilience/breaker_options.hpp>
#include <arbiter/resilience/breaker_result.hpp>
#include <arbiter/resilience/breaker_state.hpp>
#include <arbiter/resilience/detail/policies.hpp>
#include <arbiter/resilience/detectors.hpp>
#include <arbiter/resilience/outcome.hpp>
#include <arbiter/resilience/stats.hpp>
#include <arbiter/resilience/sync.hpp>
#include <arbiter/resilience/timeout.hpp>
#include <arbiter/resilience/timing.hpp>
#include <arbiter/tracing/null_tracer.hpp>
#include <arbiter/tracing/scoped_span.hpp>
#include <arbiter/tracing/tracer.hpp>

#if defined(__GNUC__) || defined(__clang__)
#define ARBITER_BREAKER_COLD [[gnu::cold, gnu::noinline]]
#define ARBITER_BREAKER_NOINLINE [[gnu::noinline]]
#else
#define ARBITER_BREAKER_COLD
#define ARBITER_BREAKER_NOINLINE
#endif

namespace arbiter::inline v1 {

/// A breaker's state as a plain struct, for a restart or a warm standby: export_state() and restore().
/// Window detectors start with an empty window after a restore.
struct breaker_snapshot {
  breaker_state state = breaker_state::closed;
  std::uint32_t consecutive_failures = 0;      ///< closed, consecutive_failures detector
  std::uint32_t half_open_successes = 0;       ///< half-open
  std::chrono::nanoseconds open_remaining{0};  ///< open: time left before trials
  std::uint32_t reopen_count = 0;              ///< failed half-open rounds in a row (drives the open backoff)
  breaker_stats stats{};                       ///< counters (restored when the breaker counts)
  std::optional<transition_reason> reason;     ///< why the last transition happened (not restored)
};

namespace detail {

template <class T>
struct is_detector_policy : std::bool_constant<policy_of_kind<T, failure_detector_policy>> {};
template <class T>
struct is_sync_policy : std::bool_constant<policy_of_kind<T, sync_policy>> {};
template <class T>
struct is_timing_policy : std::bool_constant<policy_of_kind<T, timing_policy>> {};
template <class T>
struct is_stats_policy : std::bool_constant<policy_of_kind<T, stats_policy>> {};

template <class P>
inline constexpr std::size_t kinds_of =
    std::size_t{is_detector_policy<P>::value} + std::size_t{is_sync_policy<P>::value} +
    std::size_t{is_timing_policy<P>::value} + std::size_t{is_classifier_policy<P>::value} +
    std::size_t{is_stats_policy<P>::value} + std::size_t{is_clock_policy<P>::value} +
    std::size_t{is_logger_policy<P>::value} + std::size_t{is_tracer_policy<P>::value} +
    std::size_t{is_metrics_policy<P>::value};

/// Checks one template argument of circuit_breaker<...>.
template <class P>
consteval bool assert_breaker_policy() {
  static_assert(kinds_of<P> != 0,
                "====> arbiter: circuit_breaker<...> takes policies only: a failure detector (consecutive_failures, "
                "count_window, time_window, slow_call_rate), a Sync (lock_free, single_thread), a Clock, a Timing "
                "(untimed, timed, timed_with<Clock>), an Outcome classifier, a Stats (no_stats, counting_stats), a "
                "Logger, a Tracer and a Metrics policy. The argument named below is none of them.");
  static_assert(kinds_of<P> <= 1, "====> arbiter: a circuit_breaker policy must be of exactly one kind.");
  return true;
}

/// Checks that no kind of policy is given twice.
template <class... P>
consteval bool assert_breaker_policies() {
  static_assert((assert_breaker_policy<P>() && ...));
  static_assert(count_policies<is_detector_policy, P...> <= 1,
                "====> arbiter: circuit_breaker<...> got two failure detectors; pass at most one.");
  static_assert(count_policies<is_sync_policy, P...> <= 1,
                "====> arbiter: circuit_breaker<...> got two Sync policies; pass lock_free or single_thread.");
  static_assert(count_policies<is_timing_policy, P...> <= 1,
                "====> arbiter: circuit_breaker<...> got two Timing policies; pass at most one.");
  static_assert(count_policies<is_classifier_policy, P...> <= 1,
                "====> arbiter: circuit_breaker<...> got two Outcome classifiers; pass at most one.");
  static_assert(count_policies<is_stats_policy, P...> <= 1,
                "====> arbiter: circuit_breaker<...> got two Stats policies; pass at most one.");
  static_assert(count_policies<is_clock_policy, P...> <= 1,
                "====> arbiter: circuit_breaker<...> got two Clocks; pass at most one.");
  static_assert(count_policies<is_logger_policy, P...> <= 1,
                "====> arbiter: circuit_breaker<...> got two Loggers; pass at most one.");
  static_assert(count_policies<is_tracer_policy, P...> <= 1,
                "====> arbiter: circuit_breaker<...> got two Tracers; pass at most one.");
  static_assert(count_policies<is_metrics_policy, P...> <= 1,
                "====> arbiter: circuit_breaker<...> got two Metrics policies; pass at most one.");
  return true;
}

/// A member padded to its own cache line when it is written by many threads.
template <class T, bool Pad>
struct maybe_padded : T {
  using T::T;
};
template <class T>
struct alignas(64) maybe_padded<T, true> : T {
  using T::T;
};

/// What call_result_t names for a callable execute() cannot call, so that the static_assert naming the fix is
/// the first error rather than a page of "no matching function".
/// It converts to anything, so the caller's own line adds no error of its own.
struct not_a_call {
  template <class T>
  operator T() const noexcept;  // NOLINT(google-explicit-constructor): never defined, never called
};

/// A callable a breaker can run: with no arguments, or with a std::stop_token.
template <class F>
concept breaker_callable = std::is_invocable_v<F&> || std::is_invocable_v<F&, std::stop_token>;

template <class F>
struct call_result {
  using type = not_a_call;
};
template <class F>
requires std::is_invocable_v<F&, std::stop_token>
struct call_result<F> {
  using type = std::invoke_result_t<F&, std::stop_token>;
};
template <class F>
requires(!std::is_invocable_v<F&, std::stop_token> && std::is_invocable_v<F&>) struct call_result<F> {
  using type = std::invoke_result_t<F&>;
};

/// Checks the callable handed to execute() / try_execute().
template <class F>
consteval bool assert_breaker_call() {
  static_assert(breaker_callable<F>,
                "====> arbiter: circuit_breaker::execute(fn) and try_execute(fn) call fn with no arguments (or with "
                "a std::stop_token), but this fn takes other arguments: capture them in a lambda instead, e.g. "
                "breaker.execute([&] { return fetch(id); }).");
  return true;
}

/// Calls a fallback with the rejection when it takes one, else with nothing.
template <class G>
decltype(auto) call_fallback(G& fallback, const rejection& why) {
  if constexpr (std::is_invocable_v<G&, const rejection&>) {
    return detail::invoke(fallback, why);
  } else {
    return detail::invoke(fallback);
  }
}

template <class G>
using fallback_result_t =
    typename std::conditional_t<std::is_invocable_v<G&, const rejection&>, std::invoke_result<G&, const rejection&>,
                                std::invoke_result<G&>>::type;

/// True when a fallback `G` can stand in for a call returning `R`.
template <class R, class G>
concept fallback_fits = (std::is_invocable_v<G&, const rejection&> ||
                         std::is_invocable_v<G&>)&&(std::is_void_v<R> ||
                                                    std::is_constructible_v<R, fallback_result_t<G>>);

/// Checks the fallback handed to execute(fn, fallback) against the call's result type `R`.
template <class R, class G>
consteval bool assert_breaker_fallback() {
  if constexpr (!std::is_invocable_v<G&, const rejection&> && !std::is_invocable_v<G&>) {
    static_assert(std::is_invocable_v<G&>,
                  "====> arbiter: execute(fn, fallback) needs fallback callable with (const arbiter::rejection&) "
                  "or with no arguments.");
  } else {
    static_assert(fallback_fits<R, G>,
                  "====> arbiter: execute(fn, fallback): the fallback's result replaces fn's, so it must return the "
                  "type fn returns (or one convertible to it); make both return the same type.");
  }
  return true;
}

/// Arms the shared watchdog for one call that takes a std::stop_token.
class call_watch {
 public:
  call_watch() = default;
  call_watch(const call_watch&) = delete;
  call_watch& operator=(const call_watch&) = delete;
  ~call_watch() { (void)disarm(); }

  /// Returns the token the call receives; stop is requested `timeout` from now.
  std::stop_token arm(std::chrono::milliseconds timeout) {
    source_.emplace();
    ticket_ = deadline_watchdog::instance().arm(std::chrono::steady_clock::now() + timeout, *source_);
    armed_ = true;
    return source_->get_token();
  }

  /// Disarms the watchdog; returns true when it had already requested stop (the call ran out of time).
  bool disarm() noexcept {
    if (!source_) return false;
    if (armed_) {
      armed_ = false;
#if defined(__cpp_exceptions)
      try {
        deadline_watchdog::instance().disarm(ticket_);
      } catch (...) {  // a failed lock: the watchdog fires on a token nobody holds, harmlessly
      }
#else
      deadline_watchdog::instance().disarm(ticket_);
#endif
    }
    return source_->stop_requested();
  }

 private:
  std::optional<std::stop_source> source_;
  deadline_watchdog::ticket ticket_{};
  bool armed_ = false;
};

}  // namespace detail

/// A circuit breaker (see the file comment for the policies).
template <class... Policies>
class circuit_breaker {
  static_assert((detail::timing_clock_ok<Policies> && ...));
  static_assert(detail::assert_breaker_policies<Policies...>());

 public:
  using detector_type =
      typename detail::pick_policy<detail::is_detector_policy, consecutive_failures, Policies...>::type;
  using sync_type = typename detail::pick_policy<detail::is_sync_policy, lock_free, Policies...>::type;
  using clock_type = typename detail::pick_policy<detail::is_clock_policy, steady_clock, Policies...>::type;
  using timing_type = typename detail::pick_policy<detail::is_timing_policy, untimed, Policies...>::type;
  using classifier_type =
      typename detail::pick_policy<detail::is_classifier_policy, default_classifier, Policies...>::type;
  using stats_type = typename detail::pick_policy<detail::is_stats_policy, no_stats, Policies...>::type;
  using logger_type = typename detail::pick_policy<detail::is_logger_policy, null_logger, Policies...>::type;
  using tracer_type = typename detail::pick_policy<detail::is_tracer_policy, null_tracer, Policies...>::type;
  using metrics_type = typename detail::pick_policy<detail::is_metrics_policy, null_metrics, Policies...>::type;

  static_assert(assert_failure_detector<detector_type>());
  static_assert(SyncPolicy<sync_type>, "====> arbiter: the Sync policy must be arbiter::lock_free or single_thread.");
  static_assert(assert_clock<clock_type>());
  static_assert(TimingPolicy<timing_type>,
                "====> arbiter: the Timing policy must be untimed, timed or timed_with<Clock>.");
  static_assert(assert_outcome_classifier<classifier_type>());
  static_assert(StatsPolicy<stats_type>, "====> arbiter: the Stats policy must be no_stats or counting_stats.");
  static_assert(assert_logger<logger_type>());
  static_assert(assert_tracer<tracer_type>());
  static_assert(assert_metrics<metrics_type>());
  static_assert(
      !requires { detector_type::requires_timing; } || timing_type::enabled,
      "====> arbiter: the slow_call_rate detector needs call durations: add arbiter::timed (or "
      "timed_with<Clock>) to the circuit_breaker's policies.");

  /// An admission: what try_acquire() hands out and record() takes back.
  class permit {
   public:
    /// Returns true when the call may go ahead.
    [[nodiscard]] bool admitted() const noexcept { return admitted_; }
    explicit operator bool() const noexcept { return admitted_; }
    /// Returns true for a half-open trial call.
    [[nodiscard]] bool is_trial() const noexcept { return admitted_ && code_of(word_) == code_half_open; }
    /// Returns the period (epoch) this permit was admitted in; trials of one half-open period share the limit.
    [[nodiscard]] std::uint64_t round() const noexcept { return identity(word_); }
    /// Returns why the call was rejected (meaningful when not admitted).
    [[nodiscard]] const rejection& why() const noexcept { return why_; }

   private:
    friend class circuit_breaker;
    constexpr explicit permit(std::uint64_t word) noexcept : word_(word), admitted_(true) {}
    constexpr permit(std::uint64_t word, std::int32_t slot, std::int64_t granted) noexcept
        : word_(word), granted_(granted), slot_(slot), admitted_(true) {}
    constexpr explicit permit(const rejection& why) noexcept : why_(why) {}
    std::uint64_t word_ = 0;
    std::int64_t granted_ = 0;  // a trial: when its slot was granted (the slot's value while it is live)
    rejection why_{};
    std::int32_t slot_ = -1;  // a trial: its slot in trial_slots_
    bool admitted_ = false;
  };

  /// Builds a closed breaker with the seed's defaults, when every policy can be made without an instance. (A
  /// template, so that an explicit instantiation of a breaker whose Tracer needs an instance, as
  /// arbiter/precompiled.hpp makes, leaves it out: clang 14 would instantiate it despite the constraint.)
  template <class Self = circuit_breaker>
  requires(
      std::default_initializable<typename Self::clock_type>&& std::default_initializable<typename Self::timing_type>&&
          std::default_initializable<typename Self::classifier_type>&& std::default_initializable<
              typename Self::logger_type>&& std::default_initializable<typename Self::tracer_type>&&
              std::default_initializable<typename Self::metrics_type>) circuit_breaker()
      : circuit_breaker(std::string("circuit_breaker")) {}

  /// Builds a closed breaker. `options` are validated (the error names `name` and the field); `policies` are
  /// instances of this breaker's stateful policies (a manual_clock, a recording_logger, ...) in any order.
  template <class... A>
  explicit circuit_breaker(std::string name, const breaker_options& options = {}, A&&... policies)
      : name_(std::move(name)),
        options_(checked(options, name_)),
        live_(options_),
        detector_(options_),
        clock_(detail::take_policy<clock_type>(policies...)),
        timing_(detail::take_policy<timing_type>(policies...)),
        classifier_(detail::take_policy<classifier_type>(policies...)),
        logger_(detail::take_policy<logger_type>(policies...)),
        tracer_(detail::take_policy<tracer_type>(policies...)),
        trial_slots_(std::make_unique<cell<std::int64_t>[]>(options_.half_open_max_trials)),
        instruments_(detail::take_policy<metrics_type>(policies...), name_, [this] { return state(); }) {
    for (std::uint32_t i = 0; i < options_.half_open_max_trials; ++i) trial_slots_[i].store(free_slot);
    static_assert((is_policy_instance<std::remove_cvref_t<A>> && ...),
                  "====> arbiter: circuit_breaker's constructor takes instances of its own policy types only "
                  "(its Clock, Timing, Outcome classifier, Logger, Tracer or Metrics).");
  }

  circuit_breaker(const circuit_breaker&) = delete;
  circuit_breaker& operator=(const circuit_breaker&) = delete;
  circuit_breaker(circuit_breaker&&) = delete;
  circuit_breaker& operator=(circuit_breaker&&) = delete;
  ~circuit_breaker() = default;

  // ---- calls -----------------------------------------------------------------------------------------------

  /// The result type of calling `F` (with a std::stop_token when it takes one).
  template <class F>
  using call_result_t = typename detail::call_result<F>::type;

#if defined(__cpp_exceptions)
  /// Runs `fn` if the breaker admits it and returns its result; throws circuit_open when rejected.
  /// Exceptions from `fn` are classified, recorded and rethrown.
  template <class F>
  call_result_t<F> execute(F&& fn) {
    static_assert(detail::assert_breaker_call<F>());
    if constexpr (detail::breaker_callable<F>) {
      const std::uint64_t word = word_.load(std::memory_order_acquire);
      if (code_of(word) == code_closed) [[likely]]
        return run(permit(word), fn);
      const permit p = acquire_not_closed(word);
      if (!p.admitted_) [[unlikely]]
        throw_rejected(p.why_);
      return run(p, fn);
    } else {
      return {};
    }
  }
#else
  /// Runs `fn` if the breaker admits it; without exceptions a rejection comes back as an error result.
  template <class F>
  breaker_result<std::decay_t<call_result_t<F>>> execute(F&& fn) {
    return try_execute(fn);
  }
#endif

  /// Runs `fn` if admitted, else `fallback` (called with the rejection, or with nothing) and returns its result.
  template <class F, class G>
  call_result_t<F> execute(F&& fn, G&& fallback) {
    using R = call_result_t<F>;
    static_assert(detail::assert_breaker_call<F>());
    static_assert(detail::assert_breaker_fallback<R, G>());
    if constexpr (detail::breaker_callable<F> && detail::fallback_fits<R, G>) {
      const std::uint64_t word = word_.load(std::memory_order_acquire);
      if (code_of(word) == code_closed) [[likely]]
        return run(permit(word), fn);
      const permit p = acquire_not_closed(word);
      if (!p.admitted_) {
        if constexpr (std::is_void_v<R>) {
          detail::call_fallback(fallback, p.why_);
          return;
        } else {
          return static_cast<R>(detail::call_fallback(fallback, p.why_));
        }
      }
      return run(p, fn);
    } else {
      std::abort();  // unreachable: the static_asserts above stop the build
    }
  }

  /// Runs `fn` if admitted; a rejection comes back as the result's error, never as an exception.
  template <class F>
  breaker_result<std::decay_t<call_result_t<F>>> try_execute(F&& fn) {
    static_assert(detail::assert_breaker_call<F>());
    if constexpr (detail::breaker_callable<F>) {
      const std::uint64_t word = word_.load(std::memory_order_acquire);
      const permit p = code_of(word) == code_closed ? permit(word) : acquire_not_closed(word);
      if (!p.admitted_) [[unlikely]]
        return p.why_;
      if constexpr (std::is_void_v<call_result_t<F>>) {
        run(p, fn);
        return {};
      } else {
        return run(p, fn);
      }
    } else {
      return detail::not_a_call{};
    }
  }

  /// Runs `fn` if admitted, timed as execute() is, counting its result by `classify(result)` (an
  /// arbiter::outcome) instead of the Outcome classifier's classify_result (exceptions are still the
  /// classifier's). A rejection is handed to `rejected(const rejection&)`, whose result replaces fn's. A pipeline
  /// counts the calls it wraps this way.
  template <class F, class Classify, class Rejected>
  call_result_t<F> execute_classified(F&& fn, Classify&& classify, Rejected&& rejected) {
    static_assert(detail::assert_breaker_call<F>());
    if constexpr (detail::breaker_callable<F>) {
      const std::uint64_t word = word_.load(std::memory_order_acquire);
      const permit p = code_of(word) == code_closed ? permit(word) : acquire_not_closed(word);
      if (!p.admitted_) [[unlikely]]
        return rejected(p.why_);
      return run(p, fn, classify);
    } else {
      std::abort();  // unreachable: the static_assert above stops the build
    }
  }

  // ---- the low-level protocol ------------------------------------------------------------------------------

  /// Asks to make one call. An admitted permit must be handed back to record() exactly once
  /// (a half-open trial that is never reported gives its permit back after half_open_max_wait).
  [[nodiscard]] permit try_acquire() noexcept {
    const std::uint64_t word = word_.load(std::memory_order_acquire);
    if (code_of(word) == code_closed) [[likely]]
      return permit(word);
    return acquire_not_closed(word);
  }

  /// Reports how an admitted call went. `slow` and `timeout` feed the statistics and rate windows.
  void record(const permit& p, outcome o, bool slow = false, bool timeout = false) noexcept {
    if (!p.admitted_) return;
    stats_.record(o, slow, timeout);
    instruments_.call(o);
    if constexpr (detector_type::counts_in_state_word) {
      if (o == outcome::success) {
        // Closed with no failure pending (or any state whose payload is empty): nothing to change.
        if (word_.load(std::memory_order_relaxed) < payload_one) [[likely]]
          return;
      }
    }
    record_slow(p.word_, p.slot_, p.granted_, o, slow);  // by value: a closed call never puts its permit in memory
  }

  // ---- state by hand ---------------------------------------------------------------------------------------

  /// Returns the current state.
  [[nodiscard]] breaker_state state() const noexcept { return public_state(word_.load(std::memory_order_acquire)); }

  /// Returns the current state with the reason and sequence number of the transition that led to it.
  [[nodiscard]] breaker_status status() const noexcept {
    for (int attempt = 0;; ++attempt) {
      const std::uint64_t word = word_.load(std::memory_order_acquire);
      const std::uint64_t change = last_change_.load(std::memory_order_acquire);
      // The winner of a transition announces it just after making it: wait for that (briefly) so the state
      // and the reason belong together.
      if ((change & epoch_mask) == epoch_of(word) || attempt == 100) {
        breaker_status out{public_state(word), std::nullopt, static_cast<std::uint32_t>(change & epoch_mask)};
        if ((change >> 32) != 0) out.reason = static_cast<transition_reason>((change >> 32) - 1);
        return out;
      }
      std::this_thread::yield();
    }
  }

  /// Opens the breaker until reset(); outcomes of calls are ignored meanwhile.
  void force_open() { move_by_hand(code_forced_open, transition_reason::forced_open); }

  /// Lets every call through and ignores outcomes until reset().
  void disable() { move_by_hand(code_disabled, transition_reason::disabled); }

  /// Closes the breaker and forgets every count (failures, window, open backoff, statistics; `transitions`
  /// keeps counting since construction).
  void reset() {
    stats_.restore(breaker_stats{});
    move_by_hand(code_closed, transition_reason::reset);
  }

  /// Calls `hook` after every state change, on the thread that made it. Set it before sharing the breaker.
  void on_state_change(std::function<void(const state_change&)> hook) { on_change_ = std::move(hook); }

  // ---- introspection ---------------------------------------------------------------------------------------

  /// Returns one snapshot of the statistics (counters are zero without a Stats policy, see breaker_stats).
  [[nodiscard]] breaker_stats stats() const noexcept {
    breaker_stats out;
    stats_.read(out);
    out.state = state();
    out.transitions = transitions_.load(std::memory_order_relaxed);
    const double window_rate = detector_.failure_rate(detector_now());
    if (!detail::is_nan(window_rate)) {
      out.failure_rate = window_rate;
    } else if (out.successes + out.failures != 0) {
      out.failure_rate = static_cast<double>(out.failures) * 100.0 / static_cast<double>(out.successes + out.failures);
    }
    return out;
  }

  /// Returns the state as a plain struct (see breaker_snapshot).
  [[nodiscard]] breaker_snapshot export_state() const noexcept {
    breaker_snapshot out;
    const std::uint64_t word = word_.load(std::memory_order_acquire);
    out.state = public_state(word);
    if (code_of(word) == code_closed && detector_type::counts_in_state_word) {
      out.consecutive_failures = static_cast<std::uint32_t>(word >> payload_shift);
    } else if (code_of(word) == code_half_open) {
      out.half_open_successes = static_cast<std::uint32_t>(successes_of(word));
    } else if (code_of(word) == code_open) {
      const std::int64_t left = open_until_.load(std::memory_order_relaxed) - ticks(clock_.now());
      out.open_remaining = std::chrono::nanoseconds(std::max<std::int64_t>(0, left));
    } else if (code_of(word) == code_opening) {
      out.open_remaining = std::chrono::nanoseconds(live_.open_duration.load(std::memory_order_relaxed));
    }
    out.reopen_count = reopens_.load(std::memory_order_relaxed);
    out.stats = stats();
    out.reason = status().reason;
    return out;
  }

  /// Installs an exported state (counts above this breaker's thresholds are clamped just below them).
  void restore(const breaker_snapshot& in) {
    if (in.stats.counted) stats_.restore(in.stats);
    reopens_.store(in.reopen_count, std::memory_order_relaxed);
    detector_.clear();
    std::uint64_t word = word_.load(std::memory_order_acquire);
    for (;;) {
      const std::uint64_t epoch = next_epoch(word);
      std::uint64_t payload = 0;
      std::uint8_t code = code_closed;
      switch (in.state) {
        case breaker_state::closed:
          if constexpr (detector_type::counts_in_state_word) {
            payload = std::min<std::uint64_t>(in.consecutive_failures,
                                              live_.failure_threshold.load(std::memory_order_relaxed) - 1u);
          }
          break;
        case breaker_state::open:
          code = code_opening;
          break;
        case breaker_state::half_open:
          code = code_half_opening;  // published as half-open once the trial slots are free
          payload = std::min<std::uint64_t>(in.half_open_successes,
                                            live_.success_threshold.load(std::memory_order_relaxed) - 1u)
                    << 12;
          break;
        case breaker_state::forced_open:
          code = code_forced_open;
          break;
        case breaker_state::disabled:
          code = code_disabled;
          break;
      }
      const std::uint64_t next = make_word(code, epoch, payload);
      if (!word_.compare_exchange_weak(word, next, std::memory_order_acq_rel, std::memory_order_acquire)) continue;
      if (code == code_opening) {
        open_until_.store(
            ticks(clock_.now()) +
                std::chrono::duration_cast<std::chrono::steady_clock::duration>(in.open_remaining).count(),
            std::memory_order_relaxed);
        std::uint64_t expected = next;
        word_.compare_exchange_strong(expected, make_word(code_open, epoch, 0), std::memory_order_release,
                                      std::memory_order_relaxed);
      } else if (code == code_half_opening) {
        free_trial_slots();
        std::uint64_t expected = next;
        word_.compare_exchange_strong(expected, make_word(code_half_open, epoch, payload), std::memory_order_release,
                                      std::memory_order_relaxed);
      }
      announce(public_state(word), in.state, transition_reason::restored, epoch);
      return;
    }
  }

  /// Changes the thresholds of a running breaker, keeping its state and counts: the fields that can change live
  /// (failure_threshold, success_threshold, open_duration, half_open_max_wait, open_backoff_multiplier,
  /// max_open_duration, operation_timeout, slow_call_threshold) apply to the next outcome or admission; the
  /// others (trial slots and the detector's window) keep their value and are listed in `needs_restart`.
  /// Safe while other threads call through the breaker. \throws invalid_breaker_options (nothing changes then)
  options_update update_options(const breaker_options& next) {
    checked(next, name_);
    options_update out;
    const breaker_options now = options();
    const auto note = [&out](bool differs, std::string_view field, bool live) {
      if (differs) (live ? out.applied : out.needs_restart).emplace_back(field);
    };
    note(next.failure_threshold != now.failure_threshold, "failure_threshold", true);
    note(next.success_threshold != now.success_threshold, "success_threshold", true);
    note(next.open_duration != now.open_duration, "open_duration", true);
    note(next.half_open_max_wait != now.half_open_max_wait, "half_open_max_wait", true);
    note(next.open_backoff_multiplier != now.open_backoff_multiplier, "open_backoff_multiplier", true);
    note(next.max_open_duration != now.max_open_duration, "max_open_duration", true);
    note(next.operation_timeout != now.operation_timeout, "operation_timeout", true);
    note(next.slow_call_threshold != now.slow_call_threshold, "slow_call_threshold", true);
    note(next.half_open_max_trials != now.half_open_max_trials, "half_open_max_trials", false);
    note(next.window_size != now.window_size, "window_size", false);
    note(next.minimum_calls != now.minimum_calls, "minimum_calls", false);
    note(next.failure_rate_threshold != now.failure_rate_threshold, "failure_rate_threshold", false);
    note(next.slow_call_rate_threshold != now.slow_call_rate_threshold, "slow_call_rate_threshold", false);
    note(next.window_length != now.window_length, "window_length", false);
    note(next.window_buckets != now.window_buckets, "window_buckets", false);
    live_.store(next);
    if (!out.applied.empty()) {
      const std::string fields = detail::join(out.applied);
      logger_.log(log_level::info, "circuit breaker options updated", kv("breaker", std::string_view(name_)),
                  kv("applied", std::string_view(fields)));
    }
    return out;
  }

  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  /// Returns the Outcome classifier (a pipeline classifies the calls it makes with the low-level protocol).
  [[nodiscard]] const classifier_type& classifier() const noexcept { return classifier_; }
  /// Returns the thresholds in force (the live ones as update_options last set them).
  [[nodiscard]] breaker_options options() const noexcept {
    breaker_options out = options_;
    live_.load_into(out);
    return out;
  }
  [[nodiscard]] const clock_type& clock() const noexcept { return clock_; }
  [[nodiscard]] const logger_type& logger() const noexcept { return logger_; }
  [[nodiscard]] const tracer_type& tracer() const noexcept { return tracer_; }

 private:
  // ---- the state word --------------------------------------------------------------------------------------
  static constexpr std::uint8_t code_closed = 0, code_open = 1, code_half_open = 2, code_forced_open = 3,
                                code_disabled = 4,
                                code_opening = 5,  // open, deadline not yet published: reject without reading it
      code_half_opening = 6;                       // half-open, trial slots not yet freed: reject trials
  static constexpr std::uint64_t code_mask = 7;
  static constexpr unsigned epoch_shift = 3, payload_shift = 32;
  static constexpr std::uint64_t epoch_mask = (std::uint64_t{1} << 29) - 1;
  static constexpr std::uint64_t identity_mask = (std::uint64_t{1} << payload_shift) - 1;
  static constexpr std::uint64_t payload_one = std::uint64_t{1} << payload_shift;  // one failure, or one trial
  static constexpr std::uint64_t count12 = 0xFFF;
  static constexpr unsigned successes_shift = payload_shift + 12;
  static constexpr std::uint64_t success_one = std::uint64_t{1} << successes_shift;
  static constexpr std::int64_t free_slot = std::numeric_limits<std::int64_t>::min();

  static constexpr std::uint8_t code_of(std::uint64_t word) noexcept {
    return static_cast<std::uint8_t>(word & code_mask);
  }
  static constexpr std::uint64_t identity(std::uint64_t word) noexcept { return word & identity_mask; }
  static constexpr std::uint64_t epoch_of(std::uint64_t word) noexcept { return (word >> epoch_shift) & epoch_mask; }
  static constexpr std::uint64_t next_epoch(std::uint64_t word) noexcept { return (epoch_of(word) + 1) & epoch_mask; }
  static constexpr std::uint64_t in_flight_of(std::uint64_t word) noexcept { return (word >> payload_shift) & count12; }
  static constexpr std::uint64_t successes_of(std::uint64_t word) noexcept {
    return (word >> successes_shift) & count12;
  }
  static constexpr std::uint64_t make_word(std::uint8_t code, std::uint64_t epoch, std::uint64_t payload) noexcept {
    return code | (epoch << epoch_shift) | (payload << payload_shift);
  }
  static constexpr breaker_state public_state(std::uint64_t word) noexcept {
    switch (code_of(word)) {
      case code_closed:
        return breaker_state::closed;
      case code_half_open:
      case code_half_opening:
        return breaker_state::half_open;
      case code_forced_open:
        return breaker_state::forced_open;
      case code_disabled:
        return breaker_state::disabled;
      default:
        return breaker_state::open;
    }
  }

  template <class TimePoint>
  static std::int64_t ticks(TimePoint t) noexcept {
    return std::chrono::duration_cast<std::chrono::steady_clock::duration>(t.time_since_epoch()).count();
  }

  template <class T>
  static constexpr bool is_policy_instance =
      std::is_same_v<T, clock_type> || std::is_same_v<T, timing_type> || std::is_same_v<T, classifier_type> ||
      std::is_same_v<T, logger_type> || std::is_same_v<T, tracer_type> || std::is_same_v<T, metrics_type>;

  static const breaker_options& checked(const breaker_options& options, const std::string& name) {
#if defined(__cpp_exceptions)
    validate(options, name);
#else
    if (const auto problem = check(options, name)) {  // no way to report it: say why, then stop
      std::fputs(problem->message.c_str(), stderr);
      std::fputc('\n', stderr);
      std::abort();
    }
#endif
    return options;
  }

  [[nodiscard]] std::chrono::milliseconds operation_timeout() const noexcept {
    return std::chrono::milliseconds(live_.operation_timeout.load(std::memory_order_relaxed));
  }

  [[nodiscard]] std::chrono::steady_clock::time_point detector_now() const noexcept {
    if constexpr (detector_type::needs_clock) {
      return std::chrono::steady_clock::time_point(std::chrono::steady_clock::duration(ticks(clock_.now())));
    } else {
      return {};
    }
  }

  // ---- admission -------------------------------------------------------------------------------------------
  /// Admits or rejects when the state word is not closed; an open rejection is one load and one clock read.
  permit acquire_not_closed(std::uint64_t word) noexcept {
    if (code_of(word) == code_open) {
      const std::int64_t now = ticks(clock_.now());
      const std::int64_t until = open_until_.load(std::memory_order_relaxed);
      if (now < until) [[likely]]
        return reject(rejection_reason::open, breaker_state::open, until - now);
    }
    return acquire_slow(word);
  }

  permit reject(rejection_reason reason, breaker_state state, std::int64_t retry_after) noexcept {
    stats_.record_rejection();
    instruments_.rejected(reason);
    return permit(rejection{reason, state, std::chrono::nanoseconds(retry_after)});
  }

  ARBITER_BREAKER_NOINLINE permit acquire_slow(std::uint64_t word) noexcept {
    for (;;) {
      switch (code_of(word)) {
        case code_closed:
        case code_disabled:
          return permit(word);
        case code_forced_open:
          return reject(rejection_reason::forced_open, breaker_state::forced_open, 0);
        case code_opening:
          return reject(rejection_reason::open, breaker_state::open,
                        live_.open_duration.load(std::memory_order_relaxed));
        case code_half_opening:
          return reject(rejection_reason::half_open_full, breaker_state::half_open, 0);
        case code_open: {
          const std::int64_t now = ticks(clock_.now());
          const std::int64_t until = open_until_.load(std::memory_order_relaxed);
          if (now < until) return reject(rejection_reason::open, breaker_state::open, until - now);
          // The open duration has passed: become half-open, taking the first trial permit. Only the winner
          // frees the trial slots (older trials may have left theirs taken), then publishes the half-open word.
          const std::uint64_t epoch = next_epoch(word);
          const std::uint64_t opening = make_word(code_half_opening, epoch, 0);
          if (!word_.compare_exchange_strong(word, opening, std::memory_order_acq_rel, std::memory_order_acquire)) {
            break;  // someone else moved: look again
          }
          free_trial_slots();
          trial_slots_[0].store(now, std::memory_order_relaxed);
          const std::uint64_t next = make_word(code_half_open, epoch, 1);
          std::uint64_t expected = opening;
          const bool published =
              word_.compare_exchange_strong(expected, next, std::memory_order_acq_rel, std::memory_order_acquire);
          announce(breaker_state::open, breaker_state::half_open, transition_reason::open_elapsed, epoch);
          if (published) return permit(next, 0, now);
          word = expected;  // moved by hand meanwhile
          break;
        }
        case code_half_open: {
          const std::int64_t now = ticks(clock_.now());
          if (in_flight_of(word) < options_.half_open_max_trials) {
            const std::uint64_t next = word + payload_one;
            if (!word_.compare_exchange_weak(word, next, std::memory_order_acq_rel, std::memory_order_acquire)) break;
            return permit(next, claim_trial_slot(now), now);
          }
          // Every permit is out: the oldest comes back once it has been silent for half_open_max_wait.
          const std::int64_t max_wait = live_.half_open_max_wait.load(std::memory_order_relaxed);
          std::int32_t oldest = -1;
          std::int64_t granted = std::numeric_limits<std::int64_t>::max();
          for (std::uint32_t i = 0; i < options_.half_open_max_trials; ++i) {
            const std::int64_t t = trial_slots_[i].load(std::memory_order_acquire);
            if (t != free_slot && t < granted) {
              granted = t;
              oldest = static_cast<std::int32_t>(i);
            }
          }
          if (oldest < 0) return reject(rejection_reason::half_open_full, breaker_state::half_open, 0);
          if (now - granted < max_wait) {
            return reject(rejection_reason::half_open_full, breaker_state::half_open, granted + max_wait - now);
          }
          // Take the silent trial's slot over: its report no longer matches the slot and is ignored.
          std::int64_t expected = granted;
          if (trial_slots_[static_cast<std::size_t>(oldest)].compare_exchange_strong(
                  expected, now, std::memory_order_acq_rel, std::memory_order_relaxed)) {
            const std::uint64_t current = word_.load(std::memory_order_acquire);
            if (identity(current) == identity(word)) return permit(current, oldest, now);
            word = current;  // the period ended meanwhile; its slots are freed when the next one starts
            break;
          }
          word = word_.load(std::memory_order_acquire);
          break;
        }
        default:
          return reject(rejection_reason::open, breaker_state::open, 0);
      }
    }
  }

  /// Frees every trial slot; only the thread that made a half-opening word does this, before publishing it.
  void free_trial_slots() noexcept {
    for (std::uint32_t i = 0; i < options_.half_open_max_trials; ++i) {
      trial_slots_[i].store(free_slot, std::memory_order_relaxed);
    }
  }

  /// Takes a free trial slot for a permit granted at `now`. One is free for every permit counted in the word
  /// that holds none (a trial frees its slot before leaving the count), so a few passes find it.
  std::int32_t claim_trial_slot(std::int64_t now) noexcept {
    for (int pass = 0; pass < 1000; ++pass) {
      for (std::uint32_t i = 0; i < options_.half_open_max_trials; ++i) {
        std::int64_t expected = free_slot;
        if (trial_slots_[i].load(std::memory_order_relaxed) == free_slot &&
            trial_slots_[i].compare_exchange_strong(expected, now, std::memory_order_acq_rel,
                                                    std::memory_order_relaxed)) {
          return static_cast<std::int32_t>(i);
        }
      }
    }
    return -1;  // the period ended under us: a slotless permit is never reclaimed, and its report is stale
  }

  /// True while a trial permit still holds its slot (it was not reclaimed).
  [[nodiscard]] bool holds_slot(const permit& p) const noexcept {
    return p.slot_ < 0 || trial_slots_[static_cast<std::size_t>(p.slot_)].load(std::memory_order_acquire) == p.granted_;
  }

  [[noreturn]] ARBITER_BREAKER_COLD void throw_rejected(const rejection& why) const {
#if defined(__cpp_exceptions)
    throw circuit_open(name_, why);
#else
    (void)why;
    std::terminate();
#endif
  }

  // ---- outcomes --------------------------------------------------------------------------------------------
  ARBITER_BREAKER_NOINLINE void record_slow(std::uint64_t taken, std::int32_t slot, std::int64_t granted, outcome o,
                                            bool slow) noexcept {
    const permit p(taken, slot, granted);
    if (o == outcome::force_open || o == outcome::force_close) {
      forced_by_result(p, o == outcome::force_open);
      return;
    }
    if (o == outcome::ignored) {
      if (code_of(taken) == code_half_open) release_trial(p, false, false);
      return;
    }
    const bool failure = o == outcome::failure;
    if (code_of(taken) == code_closed) {
      record_closed(taken, failure, slow);
    } else if (code_of(taken) == code_half_open) {
      release_trial(p, true, failure || (slow && detector_type::judges_slow_calls && timing_type::enabled));
    }
  }

  void record_closed(std::uint64_t taken, bool failure, bool slow) noexcept {
    std::uint64_t word = word_.load(std::memory_order_acquire);
    if constexpr (detector_type::counts_in_state_word) {
      (void)slow;
      for (;;) {
        if (identity(word) != identity(taken)) return;  // a transition happened since: stale outcome
        const std::uint64_t failures = word >> payload_shift;
        std::uint64_t next = identity(word);
        if (!failure) {
          if (failures == 0) return;
        } else if (failures + 1 >= live_.failure_threshold.load(std::memory_order_relaxed)) {
          if (begin_open(word, transition_reason::failure_threshold)) return;
          continue;
        } else {
          next = word + payload_one;
        }
        if (word_.compare_exchange_weak(word, next, std::memory_order_acq_rel, std::memory_order_acquire)) return;
      }
    } else {
      if (identity(word) != identity(taken)) return;
      if (const auto why = detector_.record(failure, slow, detector_now())) {
        while (identity(word) == identity(taken)) {
          if (begin_open(word, *why)) return;
        }
      }
    }
  }

  /// Gives back a half-open trial permit; `counted` trials move the period toward closing or reopen on `failed`.
  void release_trial(const permit& p, bool counted, bool failed) noexcept {
    std::uint64_t word = word_.load(std::memory_order_acquire);
    if (identity(word) != identity(p.word_)) return;  // stale: the half-open period is over
    if (p.slot_ >= 0) {
      std::int64_t expected = p.granted_;
      if (!trial_slots_[static_cast<std::size_t>(p.slot_)].compare_exchange_strong(
              expected, free_slot, std::memory_order_acq_rel, std::memory_order_relaxed)) {
        return;  // reclaimed after half_open_max_wait: another trial holds the slot now
      }
    }
    for (;;) {
      if (identity(word) != identity(p.word_) || in_flight_of(word) == 0) return;
      std::uint64_t next = word - payload_one;
      if (counted && failed) {
        if (begin_open(word, transition_reason::trial_failed)) return;
        continue;
      }
      if (counted) {
        if (successes_of(word) + 1 >= live_.success_threshold.load(std::memory_order_relaxed)) {
          if (close_from(word, transition_reason::trials_succeeded)) return;
          continue;
        }
        next += success_one;
      }
      if (word_.compare_exchange_weak(word, next, std::memory_order_acq_rel, std::memory_order_acquire)) return;
    }
  }

  /// Applies a result's force_open / force_close. Like any outcome it is stale after a transition (and for a
  /// reclaimed trial); forced and disabled breakers ignore it.
  void forced_by_result(const permit& p, bool to_open) noexcept {
    std::uint64_t word = word_.load(std::memory_order_acquire);
    for (;;) {
      if (identity(word) != identity(p.word_)) return;  // stale: admitted before a transition
      const auto code = code_of(word);
      if (code == code_forced_open || code == code_disabled) return;
      if (code == code_half_open && !holds_slot(p)) return;
      if (to_open) {
        if (code == code_open || code == code_opening) return;
        if (begin_open(word, transition_reason::result_forced_open)) return;
      } else if (code == code_closed) {
        detector_.clear();
        if (word < payload_one) return;
        if (word_.compare_exchange_weak(word, identity(word), std::memory_order_acq_rel, std::memory_order_acquire))
          return;
      } else {
        if (close_from(word, transition_reason::result_forced_close)) return;
      }
    }
  }

  /// Moves from `expected` to open; false (with `expected` reloaded) when another thread moved first.
  bool begin_open(std::uint64_t& expected, transition_reason why) noexcept {
    const std::uint64_t epoch = next_epoch(expected);
    const std::uint64_t opening = make_word(code_opening, epoch, 0);
    const breaker_state from = public_state(expected);
    const bool after_trial = code_of(expected) == code_half_open;
    if (!word_.compare_exchange_strong(expected, opening, std::memory_order_acq_rel, std::memory_order_acquire)) {
      return false;
    }
    // Only the winner is here: publish the deadline, then the open state.
    const std::uint32_t reopens = after_trial ? reopens_.load(std::memory_order_relaxed) + 1 : 0;
    reopens_.store(reopens, std::memory_order_relaxed);
    open_until_.store(ticks(clock_.now()) + open_duration(reopens).count(), std::memory_order_relaxed);
    std::uint64_t current = opening;
    word_.compare_exchange_strong(current, make_word(code_open, epoch, 0), std::memory_order_release,
                                  std::memory_order_relaxed);
    announce(from, breaker_state::open, why, epoch);
    return true;
  }

  /// Moves from `expected` to closed, forgetting the detector's counts.
  bool close_from(std::uint64_t& expected, transition_reason why) noexcept {
    detector_.clear();
    const std::uint64_t next = make_word(code_closed, next_epoch(expected), 0);
    const breaker_state from = public_state(expected);
    if (!word_.compare_exchange_strong(expected, next, std::memory_order_acq_rel, std::memory_order_acquire)) {
      return false;
    }
    reopens_.store(0, std::memory_order_relaxed);
    announce(from, breaker_state::closed, why, epoch_of(next));
    return true;
  }

  void move_by_hand(std::uint8_t code, transition_reason why) {
    std::uint64_t word = word_.load(std::memory_order_acquire);
    for (;;) {
      if (code == code_closed) {
        detector_.clear();
        reopens_.store(0, std::memory_order_relaxed);
        if (code_of(word) == code_closed) {  // already closed: just forget the counts
          if (word < payload_one ||
              word_.compare_exchange_weak(word, identity(word), std::memory_order_acq_rel, std::memory_order_acquire))
            return;
          continue;
        }
        if (close_from(word, why)) return;
        continue;
      }
      if (code_of(word) == code) return;
      const std::uint64_t next = make_word(code, next_epoch(word), 0);
      if (word_.compare_exchange_weak(word, next, std::memory_order_acq_rel, std::memory_order_acquire)) {
        announce(public_state(word), public_state(next), why, epoch_of(next));
        return;
      }
    }
  }

  /// Returns the open duration after `reopens` failed half-open rounds: grown by the backoff, capped.
  [[nodiscard]] std::chrono::nanoseconds open_duration(std::uint32_t reopens) const noexcept {
    const std::chrono::nanoseconds base{live_.open_duration.load(std::memory_order_relaxed)};
    if (reopens == 0 || live_.open_backoff_multiplier.load(std::memory_order_relaxed) <= 1.0) return base;
    const double grown =
        static_cast<double>(base.count()) *
        detail::power(live_.open_backoff_multiplier.load(std::memory_order_relaxed), static_cast<double>(reopens));
    const auto cap = live_.max_open_duration.load(std::memory_order_relaxed);
    return std::chrono::nanoseconds(grown >= static_cast<double>(cap) ? cap : static_cast<std::int64_t>(grown));
  }

  /// Logs, traces and reports one state change; runs on the thread that made it.
  ARBITER_BREAKER_COLD void announce(breaker_state from, breaker_state to, transition_reason why,
                                     std::uint64_t epoch) noexcept {
    transitions_.fetch_add(1, std::memory_order_relaxed);
    instruments_.transition(from, to);
    const state_change change{from, to, why, static_cast<std::uint32_t>(epoch)};
    // Keep the newest transition's reason: announcements of transitions made in a row may run out of order.
    const std::uint64_t packed = ((static_cast<std::uint64_t>(why) + 1) << 32) | epoch;
    std::uint64_t last = last_change_.load(std::memory_order_relaxed);
    while (((epoch - (last & epoch_mask)) & epoch_mask) < (epoch_mask >> 1) &&
           !last_change_.compare_exchange_weak(last, packed, std::memory_order_release, std::memory_order_relaxed)) {
    }
#if defined(__cpp_exceptions)
    try {
#endif
      const log_level level =
          (to == breaker_state::closed || to == breaker_state::half_open) ? log_level::info : log_level::warn;
      if (logger_.enabled(level)) {
        logger_.log(level, "circuit breaker state changed", kv("breaker", std::string_view(name_)), kv("from", from),
                    kv("to", to), kv("reason", why), kv("sequence", change.sequence));
      }
      if constexpr (!detail::never_records<typename tracer_type::span_type>) {
        auto span = tracer_.start_span("circuit_breaker.transition");
        span.set_attribute("breaker.name", std::string_view(name_));
        span.set_attribute("breaker.from", to_string(from));
        span.set_attribute("breaker.to", to_string(to));
        span.set_attribute("breaker.reason", to_string(why));
        span.set_attribute("breaker.sequence", change.sequence);
        span.end();
      }
      if (on_change_) on_change_(change);
#if defined(__cpp_exceptions)
    } catch (...) {  // the transition is made; a failing logger, tracer or hook must not undo or hide it
    }
#endif
  }

  // ---- running a call --------------------------------------------------------------------------------------
  template <class F>
  static decltype(auto) invoke_call(F& fn, const std::stop_token& token) {
    if constexpr (std::is_invocable_v<F&, std::stop_token>) {
      return detail::invoke(fn, token);
    } else {
      (void)token;
      return detail::invoke(fn);
    }
  }

  /// Classifies a result with the Outcome classifier.
  struct by_classifier {
    const circuit_breaker* self;
    template <class R>
    outcome operator()(const R& result) const {
      return self->classifier_.classify_result(result);
    }
  };

  template <class F>
  call_result_t<F> run(const permit& p, F& fn) {
    return run(p, fn, by_classifier{this});
  }

  template <class F, class Classify>
  call_result_t<F> run(const permit& p, F& fn, Classify&& classify) {
    using R = call_result_t<F>;
    if constexpr (timing_type::enabled) {
      return run_timed(p, fn, classify);
    } else if constexpr (std::is_void_v<R>) {
      (void)classify;
      guarded(p, fn, std::stop_token{}, [](outcome, bool) {});
      record(p, outcome::success);
    } else {
      R result = guarded(p, fn, std::stop_token{}, [](outcome, bool) {});
      const outcome o = classify(std::as_const(result));
      // A time_limited<T> that ran out of time is a timeout; for every other R the check is a constant false.
      record(p, o, false, o == outcome::failure && detail::is_time_limit_failure(result));
      return result;  // moved (or elided) for values, passed on for references
    }
  }

  /// Calls `fn`; an exception is classified, handed to `on_throw` (or recorded), and rethrown. A time_limiter's
  /// timeout_exceeded that the classifier calls a failure also counts as a timeout.
  template <class F, class OnThrow>
  call_result_t<F> guarded(const permit& p, F& fn, const std::stop_token& token, OnThrow&& on_throw) {
#if defined(__cpp_exceptions)
    try {
      return invoke_call(fn, token);
    } catch (const timeout_exceeded&) {
      thrown(p, on_throw, true);
      throw;
    } catch (...) {
      thrown(p, on_throw, false);
      throw;
    }
#else
    (void)p;
    (void)on_throw;
    return invoke_call(fn, token);
#endif
  }

#if defined(__cpp_exceptions)
  /// Classifies the exception being handled and records it (or hands it to `on_throw`).
  template <class OnThrow>
  ARBITER_BREAKER_COLD void thrown(const permit& p, OnThrow& on_throw, bool time_limit) {
    const outcome o = classifier_.classify_exception(std::current_exception());
    const bool timeout = time_limit && o == outcome::failure;
    if constexpr (timing_type::enabled) {
      (void)p;
      on_throw(o, timeout);
    } else {
      (void)on_throw;
      record(p, o, false, timeout);
    }
  }
#endif

  template <class F, class Classify>
  call_result_t<F> run_timed(const permit& p, F& fn, Classify& classify) {
    using R = call_result_t<F>;
    detail::call_watch watch;
    std::stop_token token;
    const auto start = timing_.clock.now();
    if constexpr (std::is_invocable_v<F&, std::stop_token>) token = watch.arm(operation_timeout());
    const auto finish = [&](outcome o, bool time_limit) noexcept {
      const auto elapsed = timing_.clock.now() - start;
      instruments_.duration(std::chrono::duration<double>(elapsed).count());
      const bool timed_out = watch.disarm() || elapsed > operation_timeout() || time_limit;
      const bool slow = elapsed > std::chrono::nanoseconds(live_.slow_call_threshold.load(std::memory_order_relaxed));
      if (timed_out && o != outcome::force_open && o != outcome::force_close) o = outcome::failure;
      record(p, o, slow, timed_out);
    };
    if constexpr (std::is_void_v<R>) {
      guarded(p, fn, token, finish);
      finish(outcome::success, false);
    } else {
      R result = guarded(p, fn, token, finish);
      const outcome o = classify(std::as_const(result));
      finish(o, o == outcome::failure && detail::is_time_limit_failure(result));
      return result;  // moved (or elided) for values, passed on for references
    }
  }

  // ---- members ---------------------------------------------------------------------------------------------
  template <class T>
  using cell = typename sync_type::template cell<T>;
  static constexpr bool shared = sync_type::is_thread_safe;

  /// The thresholds update_options() may change while calls run, each in a cell of the Sync policy.
  struct live_options {
    explicit live_options(const breaker_options& o) noexcept { store(o); }
    void store(const breaker_options& o) noexcept {
      constexpr auto relaxed = std::memory_order_relaxed;
      failure_threshold.store(o.failure_threshold, relaxed);
      success_threshold.store(o.success_threshold, relaxed);
      open_duration.store(std::chrono::nanoseconds(o.open_duration).count(), relaxed);
      half_open_max_wait.store(std::chrono::nanoseconds(o.half_open_max_wait).count(), relaxed);
      open_backoff_multiplier.store(o.open_backoff_multiplier, relaxed);
      max_open_duration.store(std::chrono::nanoseconds(o.max_open_duration).count(), relaxed);
      operation_timeout.store(o.operation_timeout.count(), relaxed);
      slow_call_threshold.store(std::chrono::nanoseconds(o.slow_call_threshold).count(), relaxed);
    }
    void load_into(breaker_options& o) const noexcept {
      constexpr auto relaxed = std::memory_order_relaxed;
      using std::chrono::duration_cast;
      using std::chrono::milliseconds;
      using std::chrono::nanoseconds;
      o.failure_threshold = failure_threshold.load(relaxed);
      o.success_threshold = success_threshold.load(relaxed);
      o.open_duration = duration_cast<milliseconds>(nanoseconds(open_duration.load(relaxed)));
      o.half_open_max_wait = duration_cast<milliseconds>(nanoseconds(half_open_max_wait.load(relaxed)));
      o.open_backoff_multiplier = open_backoff_multiplier.load(relaxed);
      o.max_open_duration = duration_cast<milliseconds>(nanoseconds(max_open_duration.load(relaxed)));
      o.operation_timeout = milliseconds(operation_timeout.load(relaxed));
      o.slow_call_threshold = duration_cast<milliseconds>(nanoseconds(slow_call_threshold.load(relaxed)));
    }
    cell<std::uint32_t> failure_threshold;
    cell<std::uint32_t> success_threshold;
    cell<std::int64_t> open_duration;       // ns
    cell<std::int64_t> half_open_max_wait;  // ns
    cell<double> open_backoff_multiplier;
    cell<std::int64_t> max_open_duration;    // ns
    cell<std::int64_t> operation_timeout;    // ms
    cell<std::int64_t> slow_call_threshold;  // ns
  };

  std::string name_;
  breaker_options options_;  // as constructed: the fields that cannot change live are read from here
  live_options live_;
  // The hot line: read by every call, written only by failures and transitions.
  alignas(shared ? 64 : alignof(std::uint64_t)) cell<std::uint64_t> word_{make_word(code_closed, 0, 0)};
  cell<std::int64_t> open_until_{0};
  cell<std::uint32_t> reopens_{0};
  cell<std::uint64_t> transitions_{0};
  cell<std::uint64_t> last_change_{0};  // [reason + 1:32][sequence:32] of the newest announced transition
  // Rate windows are written by every call: keep them off the state word's line.
  [[no_unique_address]] detail::maybe_padded<typename detector_type::template state<sync_type>,
                                             shared && !detector_type::counts_in_state_word>
      detector_;
  [[no_unique_address]] detail::maybe_padded<typename stats_type::template counters<sync_type>,
                                             shared && stats_type::template counters<sync_type>::enabled>
      stats_;
  [[no_unique_address]] clock_type clock_;
  [[no_unique_address]] timing_type timing_;
  [[no_unique_address]] classifier_type classifier_;
  [[no_unique_address]] logger_type logger_;
  [[no_unique_address]] tracer_type tracer_;
  std::function<void(const state_change&)> on_change_;
  std::unique_ptr<cell<std::int64_t>[]> trial_slots_;  // grant time of each trial permit out, or free_slot
  // Last, so that its scrape-time callbacks (which read the state word) go before anything they read.
  [[no_unique_address]] detail::breaker_instruments<metrics_type, timing_type::enabled> instruments_;
};

/// The seed's default assembly: consecutive failures, lock-free, steady clock, untimed, no statistics.
using default_circuit_breaker = circuit_breaker<>;
/// The seed's assembly with its operation timeout on (5000 ms by default): every call is timed.
using timed_circuit_breaker = circuit_breaker<timed>;
/// A breaker for one thread or one strand: no atomic instruction at all.
using single_thread_circuit_breaker = circuit_breaker<single_thread>;

}  // namespace arbiter::inline v1

#undef ARBITER_BREAKER_COLD
#undef ARBITER_BREAKER_NOINLINE
