#pragma once

/// \file
/// `arbiter::bulkhead<Policies...>`: at most `limit` calls in flight at once, so that one slow downstream cannot
/// take every thread of a service with it. A full bulkhead refuses at once, or lets a caller wait up to `max_wait`
/// for a permit; either way a refusal says why, like a breaker's rejection.
///
///   arbiter::bulkhead<> pool("inventory", {.max_concurrent = 16});
///   auto stock = pool.execute([&] { return inventory.get(sku); },
///                             [](const arbiter::bulkhead_decision& why) { return cached_stock(why); });
///
/// The limit is a policy (kind `concurrency_limit_policy`):
///   fixed_limit      max_concurrent, always (the default; the bulkhead reads no clock)
///   aimd_limit       additive increase, multiplicative decrease: +1 while calls go well and the bulkhead is at
///                    least half used, times `backoff_ratio` when a call is dropped or slower than `timeout`
///   gradient_limit   follows measured latency, as Netflix's concurrency-limits Gradient2: the limit shrinks when
///                    the short-term latency rises above the long-term one, so a service sheds load before its
///                    queue explodes, and grows by a queue allowance (sqrt(limit)) while latency holds
/// An adaptive limit starts at max_concurrent and stays within its own [min_limit, max_limit]; it learns from every
/// released permit: how long the call took (read with the Clock policy) and whether it was dropped (a call that
/// threw, through execute(); or release(true) by hand). Samples are folded in by one thread at a time; a sample
/// that arrives while another is being folded in is skipped, so releasing never waits.
///
/// Policies, in any order, one of each kind: a limit (above), a Clock (steady_clock; read only by adaptive
/// limits), a Logger (limit changes at debug, a refusal after a wait at debug), a Tracer (a "bulkhead.wait" span
/// around each wait) and a Metrics policy: `arbiter_bulkhead_calls_total{bulkhead, outcome}` (admitted, full,
/// waited_too_long, stopped), `arbiter_bulkhead_in_flight{bulkhead}` and `arbiter_bulkhead_limit{bulkhead}`.
///
/// Health: `health()` is DEGRADED when the bulkhead refused a call since the last health() (or is full now) and
/// `degrade_when_full` is set; make it a non-critical check so a full bulkhead pulls readiness to DEGRADED only.
///
/// The cost with fixed_limit: a permit is one increment to take and one decrement to give back, as a bare
/// semaphore's (`BM_bulkhead/acquire_release` beside `BM_floor/atomic_increment_decrement`). An increment that
/// finds the bulkhead full is undone and the place is looked for again with a compare-and-swap, so a caller is
/// refused only when every place is taken, never because of another caller's passing increment.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <concepts>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include <arbiter/clock/clock.hpp>
#include <arbiter/detail/functional.hpp>
#include <arbiter/health/status.hpp>
#include <arbiter/logging/logger.hpp>
#include <arbiter/logging/null_logger.hpp>
#include <arbiter/metrics/catalog.hpp>
#include <arbiter/metrics/metrics.hpp>
#include <arbiter/metrics/null_metrics.hpp>
#include <arbiter/resilience/detail/policies.hpp>
#include <arbiter/tracing/null_tracer.hpp>
#include <arbiter/tracing/scoped_span.hpp>
#include <arbiter/tracing/tracer.hpp>

namespace arbiter::inline v1 {

/// How many calls a bulkhead lets in at once, and how long a caller may wait for a permit.
struct bulkhead_options {
  std::uint32_t max_concurrent = 10;  ///< the limit (the start of an adaptive one), in [1, 1'000'000]
  /// How long acquire() and execute() wait for a permit when the bulkhead is full (zero: refuse at once).
  std::chrono::nanoseconds max_wait{0};
  bool degrade_when_full = true;  ///< health() says DEGRADED after a refusal
};

/// Why a bulkhead refused a permit.
enum class bulkhead_rejection : std::uint8_t {
  none,             ///< admitted
  full,             ///< every permit is taken (and no wait was allowed)
  waited_too_long,  ///< no permit came free within the wait
  stopped,          ///< a stop was requested during the wait
};

[[nodiscard]] constexpr std::string_view to_string(bulkhead_rejection r) noexcept {
  switch (r) {
    case bulkhead_rejection::none:
      return "none";
    case bulkhead_rejection::full:
      return "full";
    case bulkhead_rejection::waited_too_long:
      return "waited_too_long";
    case bulkhead_rejection::stopped:
      return "stopped";
  }
  return "unknown";
}

/// What a fallback is told, and what bulkhead_full carries.
struct bulkhead_decision {
  bulkhead_rejection reason = bulkhead_rejection::none;
  std::uint32_t limit = 0;      ///< the limit when the permit was refused
  std::uint32_t in_flight = 0;  ///< the calls in flight then

  [[nodiscard]] bool admitted() const noexcept { return reason == bulkhead_rejection::none; }
  explicit operator bool() const noexcept { return admitted(); }
};

/// Thrown by execute(fn) without a fallback when the bulkhead refuses the call.
class bulkhead_full : public std::runtime_error {
 public:
  bulkhead_full(std::string_view bulkhead_name, const bulkhead_decision& why)
      : std::runtime_error(make_message(bulkhead_name, why)), why_(why) {}

  [[nodiscard]] const bulkhead_decision& why() const noexcept { return why_; }

 private:
  static std::string make_message(std::string_view name, const bulkhead_decision& why) {
    std::string text = "bulkhead '";
    text.append(name);
    text.append("' refused the call: ");
    text.append(to_string(why.reason));
    text.append(" (");
    text.append(std::to_string(why.in_flight));
    text.append(" of ");
    text.append(std::to_string(why.limit));
    text.append(" in flight)");
    return text;
  }
  bulkhead_decision why_;
};

/// Kind tag of the concurrency limit policies.
struct concurrency_limit_policy {};

/// What an adaptive limit learns from one released permit.
struct limit_sample {
  std::chrono::nanoseconds latency{0};  ///< how long the permit was held
  std::uint32_t in_flight = 0;          ///< the calls in flight when it was taken (itself included)
  bool dropped = false;                 ///< the call failed in a way that signals overload
};

/// The limit is max_concurrent, always.
struct fixed_limit {
  using policy_kind = concurrency_limit_policy;
  static constexpr bool adaptive = false;
};

/// Additive increase, multiplicative decrease (Netflix concurrency-limits' AIMDLimit).
struct aimd_limit {
  using policy_kind = concurrency_limit_policy;
  static constexpr bool adaptive = true;

  std::uint32_t min_limit = 1;
  std::uint32_t max_limit = 1000;
  double backoff_ratio = 0.9;  ///< the limit is multiplied by this after a drop, in [0.5, 1)
  /// A call slower than this counts as dropped (zero: only drops count).
  std::chrono::nanoseconds timeout = std::chrono::seconds(5);

  /// The limit after `s`, from `limit`.
  [[nodiscard]] std::uint32_t update(std::uint32_t limit, const limit_sample& s) noexcept {
    if (s.dropped || (timeout > std::chrono::nanoseconds::zero() && s.latency > timeout)) {
      const auto lower = static_cast<std::uint32_t>(std::floor(static_cast<double>(limit) * backoff_ratio));
      return std::max(min_limit, std::min(lower, limit - 1));
    }
    if (std::uint64_t{s.in_flight} * 2 >= limit) return std::min(max_limit, limit + 1);
    return limit;
  }

  [[nodiscard]] std::string check() const {
    if (!(backoff_ratio >= 0.5 && backoff_ratio < 1.0)) return "aimd_limit.backoff_ratio must be in [0.5, 1)";
    if (timeout.count() < 0) return "aimd_limit.timeout is negative; zero means only drops count";
    return {};
  }
};

/// Follows latency (Netflix concurrency-limits' Gradient2Limit): the gradient long-term latency / short-term
/// latency, at most 1 (and at least 0.5), scales the limit, and a queue allowance of sqrt(limit) lets it grow
/// while the two agree.
struct gradient_limit {
  using policy_kind = concurrency_limit_policy;
  static constexpr bool adaptive = true;

  std::uint32_t min_limit = 1;
  std::uint32_t max_limit = 1000;
  double smoothing = 0.2;  ///< how much of each new estimate is taken, in (0, 1]
  double tolerance = 1.5;  ///< how much slower than the long-term latency calls may get before the limit shrinks
  std::uint32_t long_window = 600;  ///< samples in the long-term latency average

  /// What it has learned so far (starts empty; the bulkhead keeps it).
  struct learned_state {
    double long_rtt_ns = 0.0;  ///< the long-term latency average
    double estimate = 0.0;     ///< the limit before rounding down
  } learned{};

  /// The limit after `s`, from `limit`.
  [[nodiscard]] std::uint32_t update(std::uint32_t limit, const limit_sample& s) noexcept {
    const double short_rtt = std::max(1.0, static_cast<double>(s.latency.count()));
    if (learned.estimate <= 0.0) learned.estimate = static_cast<double>(limit);
    if (learned.long_rtt_ns <= 0.0) {
      learned.long_rtt_ns = short_rtt;
    } else {
      // Latency above the tolerance is taken in ten times slower: a queue that builds up behind the limit must
      // not become the new normal before the limit has shed it (latency that stays high still does, in time).
      const double window =
          static_cast<double>(long_window) * (short_rtt > tolerance * learned.long_rtt_ns ? 10.0 : 1.0);
      learned.long_rtt_ns += (short_rtt - learned.long_rtt_ns) * (2.0 / (window + 1.0));
      // Latency fell far below its long-term average (a recovery): let the average catch up faster.
      if (learned.long_rtt_ns / short_rtt > 2.0) learned.long_rtt_ns *= 0.95;
    }
    // An application that does not use half its limit says nothing about the downstream's capacity.
    if (!s.dropped && std::uint64_t{s.in_flight} * 2 < limit) return limit;
    const double gradient = s.dropped ? 0.5 : std::clamp(tolerance * learned.long_rtt_ns / short_rtt, 0.5, 1.0);
    const double target = learned.estimate * gradient + std::sqrt(learned.estimate);
    learned.estimate = std::clamp(learned.estimate * (1.0 - smoothing) + target * smoothing,
                                  static_cast<double>(min_limit), static_cast<double>(max_limit));
    return static_cast<std::uint32_t>(learned.estimate);
  }

  /// The long-term latency average, in nanoseconds (zero before the first sample).
  [[nodiscard]] double long_latency_ns() const noexcept { return learned.long_rtt_ns; }

  [[nodiscard]] std::string check() const {
    if (!(smoothing > 0.0 && smoothing <= 1.0)) return "gradient_limit.smoothing must be in (0, 1]";
    if (!(tolerance >= 1.0 && tolerance <= 100.0)) return "gradient_limit.tolerance must be in [1, 100]";
    if (long_window == 0) return "gradient_limit.long_window must be at least 1";
    return {};
  }
};

/// A concurrency limit policy: fixed (`adaptive` false), or adaptive with `update(limit, sample)`, min_limit,
/// max_limit and check() (an empty string, or what is wrong with its settings).
template <class L>
concept ConcurrencyLimit = detail::policy_of_kind<L, concurrency_limit_policy> && requires {
  { L::adaptive } -> std::convertible_to<bool>;
} &&(!L::adaptive || requires(L & l, const L& cl, std::uint32_t limit, const limit_sample& s) {
  { l.update(limit, s) } -> std::same_as<std::uint32_t>;
  { cl.min_limit } -> std::convertible_to<std::uint32_t>;
  { cl.max_limit } -> std::convertible_to<std::uint32_t>;
  { cl.check() } -> std::convertible_to<std::string>;
});

namespace detail {

template <class T>
struct is_limit_policy : std::bool_constant<policy_of_kind<T, concurrency_limit_policy>> {};

template <class P>
inline constexpr std::size_t bulkhead_kinds_of =
    std::size_t{is_limit_policy<P>::value} + std::size_t{is_clock_policy<P>::value} +
    std::size_t{is_logger_policy<P>::value} + std::size_t{is_tracer_policy<P>::value} +
    std::size_t{is_metrics_policy<P>::value};

template <class... P>
consteval bool assert_bulkhead_policies() {
  static_assert(((bulkhead_kinds_of<P> == 1) && ...),
                "====> arbiter: bulkhead<...> takes policies only: a limit (fixed_limit, aimd_limit, "
                "gradient_limit), a Clock, a Logger, a Tracer and a Metrics policy. The argument named below is "
                "none of them, or more than one.");
  static_assert(count_policies<is_limit_policy, P...> <= 1,
                "====> arbiter: bulkhead<...> got two limit policies; pass one of fixed_limit, aimd_limit, "
                "gradient_limit.");
  static_assert(count_policies<is_clock_policy, P...> <= 1,
                "====> arbiter: bulkhead<...> got two Clocks; pass at most one.");
  static_assert(count_policies<is_logger_policy, P...> <= 1,
                "====> arbiter: bulkhead<...> got two Loggers; pass at most one.");
  static_assert(count_policies<is_tracer_policy, P...> <= 1,
                "====> arbiter: bulkhead<...> got two Tracers; pass at most one.");
  static_assert(count_policies<is_metrics_policy, P...> <= 1,
                "====> arbiter: bulkhead<...> got two Metrics policies; pass at most one.");
  return true;
}

inline constexpr std::size_t bulkhead_outcome_count = 4;  // admitted, full, waited_too_long, stopped

/// The series of one bulkhead.
template <class M>
class bulkhead_instruments {
 public:
  template <class ReadInFlight, class ReadLimit>
  bulkhead_instruments(M& metrics, std::string_view bulkhead, ReadInFlight in_flight, ReadLimit limit)
      : admitted_(metrics.counter(metric_names::bulkhead_calls, {bulkhead, "admitted"})),
        full_(metrics.counter(metric_names::bulkhead_calls, {bulkhead, "full"})),
        waited_(metrics.counter(metric_names::bulkhead_calls, {bulkhead, "waited_too_long"})),
        stopped_(metrics.counter(metric_names::bulkhead_calls, {bulkhead, "stopped"})),
        in_flight_(metrics.gauge_callback(metric_names::bulkhead_in_flight, {bulkhead},
                                          [in_flight] { return static_cast<double>(in_flight()); })),
        limit_(metrics.gauge_callback(metric_names::bulkhead_limit, {bulkhead},
                                      [limit] { return static_cast<double>(limit()); })) {}

  void admitted() const noexcept { admitted_.inc(); }
  void refused(bulkhead_rejection why) const noexcept {
    switch (why) {
      case bulkhead_rejection::none:
        break;
      case bulkhead_rejection::full:
        full_.inc();
        break;
      case bulkhead_rejection::waited_too_long:
        waited_.inc();
        break;
      case bulkhead_rejection::stopped:
        stopped_.inc();
        break;
    }
  }

 private:
  typename M::counter_type admitted_, full_, waited_, stopped_;
  typename M::callback_type in_flight_, limit_;
};

/// Nothing to count.
struct no_bulkhead_instruments {
  template <class M, class ReadInFlight, class ReadLimit>
  constexpr no_bulkhead_instruments(M& /*metrics*/, std::string_view /*bulkhead*/, ReadInFlight /*in_flight*/,
                                    ReadLimit /*limit*/) noexcept {}
  static constexpr void admitted() noexcept {}
  static constexpr void refused(bulkhead_rejection /*why*/) noexcept {}
};

/// When a permit was taken, for an adaptive limit; nothing for a fixed one.
template <class TimePoint, bool Adaptive>
struct permit_start {
  TimePoint at{};
  std::uint32_t in_flight = 0;
};
template <class TimePoint>
struct permit_start<TimePoint, false> {};

}  // namespace detail

/// Bounds the calls in flight (see the file comment).
template <class... Policies>
class bulkhead {
  static_assert(detail::assert_bulkhead_policies<Policies...>());

 public:
  using limit_type = typename detail::pick_policy<detail::is_limit_policy, fixed_limit, Policies...>::type;
  using clock_type = typename detail::pick_policy<detail::is_clock_policy, steady_clock, Policies...>::type;
  using logger_type = typename detail::pick_policy<detail::is_logger_policy, null_logger, Policies...>::type;
  using tracer_type = typename detail::pick_policy<detail::is_tracer_policy, null_tracer, Policies...>::type;
  using metrics_type = typename detail::pick_policy<detail::is_metrics_policy, null_metrics, Policies...>::type;

  static_assert(ConcurrencyLimit<limit_type>,
                "====> arbiter: the limit policy needs `static constexpr bool adaptive`; an adaptive one also "
                "`std::uint32_t update(std::uint32_t limit, const limit_sample&)`, min_limit, max_limit and "
                "`std::string check() const`.");
  static_assert(assert_clock<clock_type>());
  static_assert(assert_logger<logger_type>());
  static_assert(assert_tracer<tracer_type>());
  static_assert(assert_metrics<metrics_type>());

  static constexpr bool adaptive = limit_type::adaptive;

  /// A permit to make one call: admitted (true) or refused (false, with why). An admitted permit gives its place
  /// back when released or destroyed. Move-only.
  class permit {
   public:
    permit() noexcept = default;
    permit(permit&& other) noexcept
        : owner_(std::exchange(other.owner_, nullptr)), why_(other.why_), start_(other.start_) {}
    permit& operator=(permit&& other) noexcept {
      if (this != &other) {
        release();
        owner_ = std::exchange(other.owner_, nullptr);
        why_ = other.why_;
        start_ = other.start_;
      }
      return *this;
    }
    permit(const permit&) = delete;
    permit& operator=(const permit&) = delete;
    ~permit() { release(); }

    [[nodiscard]] bool admitted() const noexcept { return owner_ != nullptr; }
    explicit operator bool() const noexcept { return admitted(); }
    /// Why it was refused (bulkhead_rejection::none when admitted, or after release).
    [[nodiscard]] const bulkhead_decision& why() const noexcept { return why_; }

    /// Gives the place back; `dropped` tells an adaptive limit that the call failed from overload. A second
    /// release, or a release of a refused permit, does nothing.
    void release(bool dropped = false) noexcept {
      if (bulkhead* owner = std::exchange(owner_, nullptr)) owner->give_back(start_, dropped);
    }

   private:
    friend class bulkhead;
    permit(bulkhead* owner, detail::permit_start<typename clock_type::time_point, adaptive> start) noexcept
        : owner_(owner), start_(start) {}
    explicit permit(const bulkhead_decision& why) noexcept : why_(why) {}

    bulkhead* owner_ = nullptr;
    bulkhead_decision why_{};
    [[no_unique_address]] detail::permit_start<typename clock_type::time_point, adaptive> start_{};
  };

  /// Builds a bulkhead; `options` (and an adaptive limit's settings) are validated, and the error names the
  /// bulkhead and the setting. `policies` are instances of its policy types (an aimd_limit with its settings, a
  /// manual_clock, a recording_logger, a metrics_registry, ...) in any order.
  template <class... A>
  explicit bulkhead(std::string name, const bulkhead_options& options = {}, A&&... policies)
      : name_(std::move(name)),
        options_(checked(name_, options)),
        limit_policy_(detail::take_policy<limit_type>(policies...)),
        clock_(detail::take_policy<clock_type>(policies...)),
        logger_(detail::take_policy<logger_type>(policies...)),
        tracer_(detail::take_policy<tracer_type>(policies...)),
        metrics_(detail::take_policy<metrics_type>(policies...)),
        limit_(start_limit(name_, options_, limit_policy_)),
        instruments_(
            metrics_, name_, [this] { return in_flight(); }, [this] { return limit(); }) {
    static_assert((is_policy_instance<std::remove_cvref_t<A>> && ...),
                  "====> arbiter: bulkhead's constructor takes instances of its own policy types only (its limit, "
                  "Clock, Logger, Tracer or Metrics).");
  }

  bulkhead(const bulkhead&) = delete;
  bulkhead& operator=(const bulkhead&) = delete;

  /// Takes a permit now, or refuses at once (bulkhead_rejection::full).
  [[nodiscard]] permit try_acquire() noexcept {
    const std::uint32_t limit = current_limit();
    // One increment, as a semaphore's; overshooting the limit undoes it and looks again exactly (below).
    const std::uint32_t before = in_flight_.fetch_add(1, std::memory_order_seq_cst);
    if (before < limit) [[likely]]
      return admit(before + 1);
    return try_acquire_full(limit);
  }

  /// Takes a permit, waiting up to `max_wait` for one to come free (in real time); a stop request ends the wait.
  [[nodiscard]] permit acquire(std::chrono::nanoseconds max_wait, const std::stop_token& stop = {}) {
    if (max_wait <= std::chrono::nanoseconds::zero()) return try_acquire();
    if (permit p = try_take()) return p;
    return wait_for_permit(max_wait, stop);
  }

  /// Takes a permit, waiting up to options().max_wait.
  [[nodiscard]] permit acquire(const std::stop_token& stop = {}) { return acquire(options_.max_wait, stop); }

  /// Calls `fn()` with a permit (waiting up to max_wait for it), else `fallback(decision)`; both return the same
  /// type. An exception from `fn` is passed on, and tells an adaptive limit the call was dropped.
  template <class F, class Fallback>
  std::invoke_result_t<F&> execute(F&& fn, Fallback&& fallback) {
    using R = std::invoke_result_t<F&>;
    static_assert(
        std::is_void_v<R> || std::is_convertible_v<std::invoke_result_t<Fallback&, const bulkhead_decision&>, R>,
        "====> arbiter: bulkhead::execute(fn, fallback): the fallback's result replaces fn's, so it must "
        "convert to fn's result type.");
    permit p = options_.max_wait > std::chrono::nanoseconds::zero() ? acquire() : try_acquire();
    if (!p) [[unlikely]] {
      if constexpr (std::is_void_v<R>) {
        fallback(p.why());
        return;
      } else {
        return static_cast<R>(fallback(p.why()));
      }
    }
    return run(p, fn);
  }

#if defined(__cpp_exceptions)
  /// Calls `fn()` with a permit (waiting up to max_wait for it); throws bulkhead_full when refused.
  template <class F>
  decltype(auto) execute(F&& fn) {
    permit p = options_.max_wait > std::chrono::nanoseconds::zero() ? acquire() : try_acquire();
    if (!p) throw bulkhead_full(name_, p.why());
    return run(p, fn);
  }
#endif

  /// The calls in flight now (for an instant it may also count a caller that is being refused).
  [[nodiscard]] std::uint32_t in_flight() const noexcept { return in_flight_.load(std::memory_order_relaxed); }
  /// The limit now.
  [[nodiscard]] std::uint32_t limit() const noexcept { return current_limit(); }
  /// The permits free now.
  [[nodiscard]] std::uint32_t available() const noexcept {
    const std::uint32_t l = limit(), f = in_flight();
    return f >= l ? 0 : l - f;
  }
  /// Every refusal so far.
  [[nodiscard]] std::uint64_t refused_total() const noexcept { return refused_.load(std::memory_order_relaxed); }

  /// DEGRADED when the bulkhead refused a call since the last health() or is full now (with degrade_when_full);
  /// HEALTHY otherwise. Details: in_flight, limit, refused (since the last health()).
  [[nodiscard]] check_result health() const {
    const std::uint64_t total = refused_total();
    const std::uint64_t before = seen_refused_.exchange(total, std::memory_order_relaxed);
    const std::uint64_t recent = total >= before ? total - before : 0;
    const std::uint32_t l = limit(), f = in_flight();
    const bool full = f >= l;
    check_result result =
        (options_.degrade_when_full && (recent > 0 || full))
            ? check_result::degraded(full ? "bulkhead '" + name_ + "' is full"
                                          : "bulkhead '" + name_ + "' refused " + std::to_string(recent) + " calls")
            : check_result::healthy();
    result.with("in_flight", std::to_string(f))
        .with("limit", std::to_string(l))
        .with("refused", std::to_string(recent));
    return result;
  }

  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  [[nodiscard]] const bulkhead_options& options() const noexcept { return options_; }

 private:
  using start_type = detail::permit_start<typename clock_type::time_point, adaptive>;

  [[nodiscard]] std::uint32_t current_limit() const noexcept {
    if constexpr (adaptive) {
      return limit_.load(std::memory_order_relaxed);
    } else {
      return limit_;
    }
  }

  permit admit(std::uint32_t in_flight) noexcept {
    instruments_.admitted();
    if constexpr (adaptive) {
      return permit(this, start_type{clock_.now(), in_flight});
    } else {
      (void)in_flight;
      return permit(this, start_type{});
    }
  }

  permit refuse(bulkhead_rejection why, std::uint32_t limit, std::uint32_t in_flight) noexcept {
    refused_.fetch_add(1, std::memory_order_relaxed);
    instruments_.refused(why);
    return permit(bulkhead_decision{why, limit, in_flight});
  }

  /// Called by permit::release.
  void give_back(const start_type& start, bool dropped) noexcept {
    if constexpr (adaptive) learn(start, dropped);
    give_back_place();
  }

  void give_back_place() noexcept {
    in_flight_.fetch_sub(1, std::memory_order_seq_cst);
    // A waiter registers (seq_cst) before it tries again, so either it sees this decrement or we see it.
    if (waiters_.load(std::memory_order_seq_cst) > 0) [[unlikely]]
      wake_one();
  }

  void learn(const start_type& start, bool dropped) noexcept {
    if constexpr (adaptive) {
      if (learning_.exchange(true, std::memory_order_acquire)) return;  // another release is folding in a sample
      const auto latency = std::chrono::duration_cast<std::chrono::nanoseconds>(clock_.now() - start.at);
      const std::uint32_t before = limit_.load(std::memory_order_relaxed);
      const std::uint32_t after =
          std::clamp(limit_policy_.update(before, limit_sample{latency, start.in_flight, dropped}),
                     limit_policy_.min_limit, limit_policy_.max_limit);
      if (after != before) limit_.store(after, std::memory_order_relaxed);
      learning_.store(false, std::memory_order_release);
      if (after == before) return;
      if (after > before && waiters_.load(std::memory_order_seq_cst) > 0) wake_all();
      if (logger_.enabled(log_level::debug)) {
#if defined(__cpp_exceptions)
        try {
#endif
          logger_.log(log_level::debug, "bulkhead limit changed", kv("bulkhead", std::string_view(name_)),
                      kv("from", before), kv("to", after),
                      kv("latency_ms", std::chrono::duration<double, std::milli>(latency).count()),
                      kv("dropped", dropped));
#if defined(__cpp_exceptions)
        } catch (...) {  // a failing logger must not break a release
        }
#endif
      }
    } else {
      (void)start;
      (void)dropped;
    }
  }

  void wake_one() noexcept {
    { const std::lock_guard lock(mutex_); }  // a waiter between its check and its wait holds the mutex
    wake_.notify_one();
  }
  void wake_all() noexcept {
    { const std::lock_guard lock(mutex_); }
    wake_.notify_all();
  }

  permit wait_for_permit(std::chrono::nanoseconds max_wait, const std::stop_token& stop) {
    if constexpr (detail::never_records<typename tracer_type::span_type>) {
      return wait_untraced(max_wait, stop);
    } else {
      auto span = tracer_.start_span("bulkhead.wait");
      span.set_attribute("bulkhead.name", std::string_view(name_));
      span.set_attribute("bulkhead.max_wait_ms", std::chrono::duration<double, std::milli>(max_wait).count());
      permit p = wait_untraced(max_wait, stop);
      span.set_attribute("bulkhead.outcome", to_string(p ? bulkhead_rejection::none : p.why().reason));
      span.end();
      return p;
    }
  }

  permit wait_untraced(std::chrono::nanoseconds max_wait, const std::stop_token& stop) {
    const auto deadline = std::chrono::steady_clock::now() + max_wait;
    std::unique_lock lock(mutex_);
    waiters_.fetch_add(1, std::memory_order_seq_cst);
    permit p;
    bulkhead_rejection why = bulkhead_rejection::none;
    for (;;) {
      p = try_take();
      if (p) break;
      if (stop.stop_requested()) {
        why = bulkhead_rejection::stopped;
        break;
      }
      if (std::chrono::steady_clock::now() >= deadline) {
        why = bulkhead_rejection::waited_too_long;
        break;
      }
      wake_.wait_until(lock, stop, deadline, [] { return true; });
    }
    waiters_.fetch_sub(1, std::memory_order_seq_cst);
    lock.unlock();
    if (p) return p;
    if (logger_.enabled(log_level::debug)) {
      logger_.log(log_level::debug, "bulkhead refused a call after waiting", kv("bulkhead", std::string_view(name_)),
                  kv("reason", to_string(why)),
                  kv("waited_ms", std::chrono::duration<double, std::milli>(max_wait).count()));
    }
    return refuse(why, limit(), in_flight());
  }

  /// The increment found the bulkhead full: gives it back, then takes a place only if one is free, so that
  /// another caller's passing overshoot is not mistaken for a full bulkhead.
  permit try_acquire_full(std::uint32_t limit) noexcept {
    give_back_place();
    if (permit p = try_take(limit)) return p;
    return refuse(bulkhead_rejection::full, limit, std::min(limit, in_flight()));
  }

  /// Takes a place if one is free, without counting a refusal (a waiter tries many times and is refused once).
  permit try_take(std::uint32_t limit) noexcept {
    std::uint32_t in_flight = in_flight_.load(std::memory_order_seq_cst);
    while (in_flight < limit) {
      if (in_flight_.compare_exchange_weak(in_flight, in_flight + 1, std::memory_order_seq_cst,
                                           std::memory_order_seq_cst)) {
        return admit(in_flight + 1);
      }
    }
    return permit();
  }
  permit try_take() noexcept { return try_take(current_limit()); }

  template <class F>
  decltype(auto) run(permit& p, F& fn) {
#if defined(__cpp_exceptions)
    try {
      return detail::invoke(fn);
    } catch (...) {
      p.release(true);
      throw;
    }
#else
    (void)p;
    return detail::invoke(fn);
#endif
  }

  static bulkhead_options checked(const std::string& name, const bulkhead_options& o) {
    const auto fail = [&name](const std::string& what) {
      detail::reject_options("bulkhead \"" + name + "\": " + what);
    };
    if (o.max_concurrent == 0) fail("max_concurrent is 0; at least 1 call must be let in");
    if (o.max_concurrent > 1'000'000)
      fail("max_concurrent is " + std::to_string(o.max_concurrent) + "; at most 1000000");
    if (o.max_wait.count() < 0) fail("max_wait is negative; zero means refuse at once");
    return o;
  }

  static auto start_limit(const std::string& name, const bulkhead_options& o, const limit_type& l) {
    if constexpr (adaptive) {
      const auto fail = [&name](const std::string& what) {
        detail::reject_options("bulkhead \"" + name + "\": " + what);
      };
      if (const std::string problem = l.check(); !problem.empty()) fail(problem);
      if (l.min_limit == 0) fail("min_limit is 0; at least 1 call must be let in");
      if (l.max_limit < l.min_limit) fail("max_limit is below min_limit");
      return std::clamp(o.max_concurrent, static_cast<std::uint32_t>(l.min_limit),
                        static_cast<std::uint32_t>(l.max_limit));
    } else {
      (void)name;
      (void)l;
      return o.max_concurrent;
    }
  }

  template <class T>
  static constexpr bool is_policy_instance =
      std::is_same_v<T, limit_type> || std::is_same_v<T, clock_type> || std::is_same_v<T, logger_type> ||
      std::is_same_v<T, tracer_type> || std::is_same_v<T, metrics_type>;

  using instruments_type =
      std::conditional_t<std::is_same_v<metrics_type, null_metrics>, detail::no_bulkhead_instruments,
                         detail::bulkhead_instruments<metrics_type>>;
  using limit_cell = std::conditional_t<adaptive, std::atomic<std::uint32_t>, const std::uint32_t>;

  std::string name_;
  bulkhead_options options_;
  [[no_unique_address]] limit_type limit_policy_;
  [[no_unique_address]] clock_type clock_;
  [[no_unique_address]] logger_type logger_;
  [[no_unique_address]] tracer_type tracer_;
  [[no_unique_address]] metrics_type metrics_;
  limit_cell limit_;
  std::atomic<bool> learning_{false};
  mutable std::atomic<std::uint64_t> seen_refused_{0};
  std::atomic<std::uint64_t> refused_{0};
  std::atomic<std::uint32_t> waiters_{0};
  std::mutex mutex_;
  std::condition_variable_any wake_;
  [[no_unique_address]] instruments_type instruments_;
  alignas(64) std::atomic<std::uint32_t> in_flight_{0};
};

}  // namespace arbiter::inline v1
