#pragma once

/// \file
/// `arbiter::pipeline<Parts...>`: resilience parts composed around one call at compile time, in resilience4j's
/// decorator order, outermost first:
///
///   retry  ->  circuit_breaker  ->  rate_limiter  ->  time_limiter  ->  bulkhead  ->  the call
///
///   arbiter::pipeline guarded(retry, breaker, limiter, bulkhead);   // references to parts built elsewhere
///   auto stock = guarded.execute([&] { return inventory.get(sku); },
///                                [](const arbiter::pipeline_rejection& why) { return cached(why); });
///
/// The pipeline holds references: the parts keep their own names, options, policies, health and metrics, and one
/// part (a breaker the orchestrator owns) may serve several pipelines. Any subset of the parts may be used, each
/// kind at most once where the order is checked.
///
/// What each part does inside a pipeline:
///   retry            runs everything inside it again when the call fails or an inner part refuses, waiting at
///                    least the refusal's retry-after (an open breaker's remaining time, a rate limiter's next
///                    permit); what is a failure is the retry's Outcome classifier's say for a value
///   circuit_breaker  admits or rejects through its own execute path (a timed breaker times the calls inside it,
///                    and its operation_timeout stops the token they get, as the caller's stop does);
///                    counts the call by its own classifier; a time limiter's timeout inside it
///                    is a timeout failure (breaker_stats::timeouts); a refusal by a part inside it (a full
///                    bulkhead, a rate limit) says nothing about the downstream and is not counted
///   rate_limiter     a permit now, or a refusal with its retry-after (the retry outside waits for it)
///   time_limiter     the calls inside run against its deadline; the call and the bulkhead's wait receive its
///                    std::stop_token (linked to the caller's); a call that runs out of time is a rejection
///                    `timed_out` (the breaker outside counts it)
///   bulkhead         a permit (waiting up to its max_wait, stopped with the token), given back when the call ends;
///                    an exception or a timeout tells an adaptive limit the call was dropped
///
/// One fallback serves every refusal: execute(fn, fallback) calls `fallback(const pipeline_rejection&)`, which
/// says which part refused (its stage and name) and why. try_execute(fn) returns a pipeline_result<T> instead.
/// Exceptions from the call pass through every part (each counts them as it does alone) to the caller.
///
/// The order is checked at compile time. A retry inside a breaker, or any part out of the order above, fails to
/// compile with an `====> arbiter:` message; `arbiter::pipeline<arbiter::any_order, Parts...>` (or
/// `pipeline(arbiter::any_order{}, parts...)`) keeps the order given.
///
/// The cost: nothing beyond the parts; `BM_pipeline/all_pass` measures retry, breaker, rate limiter and bulkhead
/// beside the same parts nested by hand (`BM_pipeline/by_hand`).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>

#include <arbiter/detail/functional.hpp>
#include <arbiter/detail/value_or_error.hpp>
#include <arbiter/resilience/breaker_state.hpp>
#include <arbiter/resilience/bulkhead.hpp>
#include <arbiter/resilience/circuit_breaker.hpp>
#include <arbiter/resilience/outcome.hpp>
#include <arbiter/resilience/rate_limiter.hpp>
#include <arbiter/resilience/retry.hpp>
#include <arbiter/resilience/time_limiter.hpp>
#include <arbiter/resilience/timeout.hpp>

namespace arbiter::inline v1 {

/// Which part of a pipeline refused a call.
enum class pipeline_stage : std::uint8_t { circuit_breaker, rate_limiter, time_limiter, bulkhead };

[[nodiscard]] constexpr std::string_view to_string(pipeline_stage s) noexcept {
  switch (s) {
    case pipeline_stage::circuit_breaker:
      return "circuit_breaker";
    case pipeline_stage::rate_limiter:
      return "rate_limiter";
    case pipeline_stage::time_limiter:
      return "time_limiter";
    case pipeline_stage::bulkhead:
      return "bulkhead";
  }
  return "unknown";
}

/// Why a pipeline did not return the call's result: which part refused, and its own account of why.
struct pipeline_rejection {
  pipeline_stage stage = pipeline_stage::circuit_breaker;
  std::string_view part;    ///< the part's name (valid while the part lives)
  std::string_view reason;  ///< "open", "forced_open", "half_open_full", "rate", "over_burst", "timed_out", "full",
                            ///< "waited_too_long", "stopped"
  std::chrono::nanoseconds retry_after{0};  ///< when trying again could succeed (zero: unknown)
  /// The part's own decision: a breaker's rejection, a rate_decision, a time_limit_exceeded, a bulkhead_decision.
  std::variant<rejection, rate_decision, time_limit_exceeded, bulkhead_decision> detail{};
};

/// Thrown by pipeline::execute(fn) without a fallback when a part refused the call.
class pipeline_rejected : public std::runtime_error {
 public:
  explicit pipeline_rejected(const pipeline_rejection& why)
      : std::runtime_error(make_message(why)), why_(why), part_(why.part) {
    why_.part = part_;  // the message and the copy outlive a part destroyed while the exception flies
  }
  pipeline_rejected(const pipeline_rejected& other) : std::runtime_error(other), why_(other.why_), part_(other.part_) {
    why_.part = part_;
  }
  pipeline_rejected& operator=(const pipeline_rejected& other) {
    std::runtime_error::operator=(other);
    why_ = other.why_;
    part_ = other.part_;
    why_.part = part_;
    return *this;
  }
  ~pipeline_rejected() override = default;

  [[nodiscard]] const pipeline_rejection& why() const noexcept { return why_; }

 private:
  static std::string make_message(const pipeline_rejection& why) {
    std::string text(to_string(why.stage));
    text.append(" '");
    text.append(why.part);
    text.append("' refused the call: ");
    text.append(why.reason);
    return text;
  }
  pipeline_rejection why_;
  std::string part_;
};

/// The call's value, or the refusal that stopped it (a void call: nothing, or the refusal).
template <class T>
class pipeline_result : public detail::value_or_error<T, pipeline_rejection> {
  static_assert(!std::is_reference_v<T>,
                "====> arbiter: a pipeline's call returns a value; return a pointer or a std::reference_wrapper "
                "instead of a reference.");

 public:
  using detail::value_or_error<T, pipeline_rejection>::value_or_error;
};

/// A retry outside a pipeline waits at least the refusal's retry-after, or the value's own hint.
template <class T>
[[nodiscard]] std::chrono::nanoseconds retry_after_hint(const pipeline_result<T>& r) {
  if (!r.has_value()) return r.error().retry_after;
  if constexpr (std::is_void_v<T>) {
    return std::chrono::nanoseconds::zero();
  } else {
    return detail::result_retry_after(r.value());
  }
}

/// Put first in a pipeline's parts to keep the order given instead of checking it.
struct any_order {};

namespace detail {

/// Where a part goes in the checked order (resilience4j's decorator order), by its class template; -1 for a type
/// that is no resilience part. Derived classes count as their base.
template <class... P>
std::integral_constant<int, 0> pipeline_rank_probe(const retry<P...>*);
template <class... P>
std::integral_constant<int, 1> pipeline_rank_probe(const circuit_breaker<P...>*);
template <class... P>
std::integral_constant<int, 2> pipeline_rank_probe(const rate_limiter<P...>*);
template <class... P>
std::integral_constant<int, 3> pipeline_rank_probe(const time_limiter<P...>*);
template <class... P>
std::integral_constant<int, 4> pipeline_rank_probe(const bulkhead<P...>*);
std::integral_constant<int, -1> pipeline_rank_probe(const void*);

template <class T>
inline constexpr int pipeline_rank = decltype(pipeline_rank_probe(static_cast<const T*>(nullptr)))::value;

template <int... Ranks>
consteval bool pipeline_in_order() {
  constexpr int ranks[] = {Ranks..., 99};
  for (std::size_t i = 0; i + 1 < sizeof...(Ranks); ++i) {
    if (ranks[i] > ranks[i + 1] || (ranks[i] == ranks[i + 1])) return false;
  }
  return true;
}

template <int... Ranks>
consteval bool pipeline_retry_outermost() {
  constexpr int ranks[] = {Ranks..., 99};
  for (std::size_t i = 1; i < sizeof...(Ranks); ++i) {
    if (ranks[i] == 0) return false;
  }
  return true;
}

template <bool Checked, class... Parts>
consteval bool assert_pipeline_parts() {
  static_assert(sizeof...(Parts) > 0, "====> arbiter: a pipeline needs at least one part.");
  static_assert(((pipeline_rank<Parts> >= 0) && ...),
                "====> arbiter: pipeline<...> takes resilience parts only: retry<...>, circuit_breaker<...>, "
                "rate_limiter<...>, time_limiter<...> and bulkhead<...> (arbiter::any_order first, to keep an "
                "order of your own). The argument named below is none of them.");
  if constexpr (Checked && ((pipeline_rank<Parts> >= 0) && ...)) {
    static_assert(pipeline_retry_outermost<pipeline_rank<Parts>...>(),
                  "====> arbiter: a retry inside another part of a pipeline is usually a mistake: inside a "
                  "circuit_breaker its retries are calls the open breaker cannot stop, inside a rate limiter or a "
                  "bulkhead they hold a permit while they wait. Put the retry first (outermost): pipeline<retry<...>, "
                  "circuit_breaker<...>, rate_limiter<...>, time_limiter<...>, bulkhead<...>>, or put "
                  "arbiter::any_order first to keep this order.");
    static_assert(!pipeline_retry_outermost<pipeline_rank<Parts>...>() || pipeline_in_order<pipeline_rank<Parts>...>(),
                  "====> arbiter: the parts of this pipeline are out of order, or one kind comes twice. The order "
                  "(resilience4j's) is, outermost first: retry, circuit_breaker, rate_limiter, time_limiter, "
                  "bulkhead; each at most once. Reorder them, or put arbiter::any_order first to keep yours.");
  }
  return true;
}

/// The call's result type, with a std::stop_token when it takes one.
template <class F>
using pipeline_call_t =
    typename std::conditional_t<std::is_invocable_v<F&, std::stop_token>, std::invoke_result<F&, std::stop_token>,
                                std::invoke_result<F&>>::type;

/// Where the layers of one call leave its outcome: nothing yet (an exception flew), the call's value, or the
/// refusal of a part. Written in place by the layer that knows it, read by the layers outside, so a value is never
/// copied from layer to layer.
template <class V>
class pipeline_slot {
 public:
  pipeline_slot() noexcept {}  // NOLINT: the union holds nothing yet
  pipeline_slot(const pipeline_slot&) = delete;
  pipeline_slot& operator=(const pipeline_slot&) = delete;
  ~pipeline_slot() { reset(); }

  template <class... A>
  void emplace(A&&... args) {
    std::construct_at(&value_, std::forward<A>(args)...);
    held_ = held::value;
  }
  void reject(const pipeline_rejection& why) noexcept {
    reset();
    std::construct_at(&why_, why);
    held_ = held::rejection;
  }
  void reset() noexcept {
    if constexpr (!std::is_trivially_destructible_v<V>) {
      if (held_ == held::value) std::destroy_at(&value_);
    }
    held_ = held::nothing;
  }

  [[nodiscard]] bool has_value() const noexcept { return held_ == held::value; }
  [[nodiscard]] bool rejected() const noexcept { return held_ == held::rejection; }
  [[nodiscard]] bool timed_out() const noexcept { return rejected() && why_.stage == pipeline_stage::time_limiter; }
  [[nodiscard]] V& value() noexcept { return value_; }
  [[nodiscard]] const V& value() const noexcept { return value_; }
  [[nodiscard]] const pipeline_rejection& error() const noexcept { return why_; }

 private:
  enum class held : std::uint8_t { nothing, value, rejection };
  union {
    V value_;
    pipeline_rejection why_;
  };
  held held_ = held::nothing;
};

template <>
class pipeline_slot<void> {
 public:
  void emplace() noexcept { held_ = held::value; }
  void reject(const pipeline_rejection& why) noexcept {
    why_ = why;
    held_ = held::rejection;
  }
  void reset() noexcept { held_ = held::nothing; }
  [[nodiscard]] bool has_value() const noexcept { return held_ == held::value; }
  [[nodiscard]] bool rejected() const noexcept { return held_ == held::rejection; }
  [[nodiscard]] bool timed_out() const noexcept { return rejected() && why_.stage == pipeline_stage::time_limiter; }
  [[nodiscard]] const pipeline_rejection& error() const noexcept { return why_; }

 private:
  enum class held : std::uint8_t { nothing, value, rejection };
  pipeline_rejection why_{};
  held held_ = held::nothing;
};

/// What one attempt of the layers inside a retry hands the retry: where the outcome is. The retry classifies it
/// with the pipeline's rules and reads its retry-after hint through argument-dependent lookup.
template <class V>
struct pipeline_attempt {
  const pipeline_slot<V>* slot;

  /// A breaker outside counts a time limiter's refusal inside as a timeout.
  [[nodiscard]] bool time_limit_failure() const noexcept { return slot->timed_out(); }

  friend std::chrono::nanoseconds retry_after_hint(const pipeline_attempt& a) {
    if (a.slot->rejected()) return a.slot->error().retry_after;
    if constexpr (std::is_void_v<V>) {
      return std::chrono::nanoseconds::zero();
    } else {
      return a.slot->has_value() ? result_retry_after(a.slot->value()) : std::chrono::nanoseconds::zero();
    }
  }
};

/// The core: the parts by reference and the layers, one a part, built at compile time from the outside in.
template <bool Checked, class... Parts>
class pipeline_core {
  static_assert(assert_pipeline_parts<Checked, Parts...>());

  template <class F>
  using value_t = std::remove_cvref_t<pipeline_call_t<F>>;

 public:
  explicit pipeline_core(Parts&... parts) noexcept : parts_(parts...) {}

  /// Runs `fn` through every part; a refusal comes back as the result's error. Exceptions from `fn` pass through.
  /// `stop` (a shutdown's token) ends the retry's waits and the bulkhead's, and reaches the call.
  template <class F>
  pipeline_result<value_t<F>> try_execute(F&& fn, const std::stop_token& stop = {}) {
    static_assert(callable<F>,
                  "====> arbiter: pipeline::execute(fn) calls fn with no arguments (or with a std::stop_token); "
                  "capture the arguments in a lambda instead, e.g. pipeline.execute([&] { return fetch(id); }).");
    pipeline_slot<value_t<F>> out;
    layer<0>(fn, stop, out);
    if (out.rejected()) [[unlikely]]
      return out.error();
    if constexpr (std::is_void_v<value_t<F>>) {
      return {};
    } else {
      return pipeline_result<value_t<F>>(std::move(out.value()));
    }
  }

  /// Runs `fn` through every part and returns its result, or `fallback(const pipeline_rejection&)`'s.
  template <class F, class Fallback>
  pipeline_call_t<F> execute(F&& fn, Fallback&& fallback, const std::stop_token& stop = {}) {
    using R = pipeline_call_t<F>;
    static_assert(callable<F>,
                  "====> arbiter: pipeline::execute(fn, fallback) calls fn with no arguments (or with a "
                  "std::stop_token); capture the arguments in a lambda instead.");
    static_assert(std::is_invocable_v<Fallback&, const pipeline_rejection&>,
                  "====> arbiter: a pipeline's fallback takes `const arbiter::pipeline_rejection&`.");
    static_assert(
        std::is_void_v<R> || std::is_convertible_v<std::invoke_result_t<Fallback&, const pipeline_rejection&>, R>,
        "====> arbiter: execute(fn, fallback): the fallback's result replaces fn's, so it must convert "
        "to fn's result type.");
    pipeline_slot<value_t<F>> out;
    layer<0>(fn, stop, out);
    if constexpr (std::is_void_v<R>) {
      if (out.rejected()) fallback(out.error());
    } else {
      if (!out.rejected()) [[likely]]
        return std::move(out.value());
      return static_cast<R>(fallback(out.error()));
    }
  }

#if defined(__cpp_exceptions)
  /// Runs `fn` through every part and returns its result; throws pipeline_rejected when a part refused.
  template <class F>
  pipeline_call_t<F> execute(F&& fn, const std::stop_token& stop = {}) {
    static_assert(callable<F>,
                  "====> arbiter: pipeline::execute(fn) calls fn with no arguments (or with a std::stop_token); "
                  "capture the arguments in a lambda instead, e.g. pipeline.execute([&] { return fetch(id); }).");
    pipeline_slot<value_t<F>> out;
    layer<0>(fn, stop, out);
    if (out.rejected()) [[unlikely]]
      throw pipeline_rejected(out.error());
    if constexpr (!std::is_void_v<value_t<F>>) return std::move(out.value());
  }
#endif

  /// The part at position `I` (outermost first).
  template <std::size_t I>
  [[nodiscard]] auto& part() const noexcept {
    return std::get<I>(parts_);
  }

 private:
  static constexpr std::size_t count = sizeof...(Parts);

  template <class F>
  static constexpr bool callable = std::is_invocable_v<F&> || std::is_invocable_v<F&, std::stop_token>;

  template <std::size_t I>
  using part_t = std::tuple_element_t<I, std::tuple<Parts...>>;

  /// Layer I: part I around layers I+1...; past the last part, the call. Leaves the outcome in `out`.
  template <std::size_t I, class F, class V>
  void layer(F& fn, const std::stop_token& stop, pipeline_slot<V>& out) {
    if constexpr (I == count) {
      if constexpr (std::is_void_v<V>) {
        call(fn, stop);
        out.emplace();
      } else {
        out.emplace(call(fn, stop));
      }
    } else {
      auto& p = std::get<I>(parts_);
      constexpr int rank = pipeline_rank<part_t<I>>;
      if constexpr (rank == 0) {
        through_retry<I>(p, fn, stop, out);
      } else if constexpr (rank == 1) {
        through_breaker<I>(p, fn, stop, out);
      } else if constexpr (rank == 2) {
        through_rate_limiter<I>(p, fn, stop, out);
      } else if constexpr (rank == 3) {
        through_time_limiter<I>(p, fn, stop, out);
      } else {
        through_bulkhead<I>(p, fn, stop, out);
      }
    }
  }

  template <class F>
  static decltype(auto) call(F& fn, const std::stop_token& stop) {
    if constexpr (std::is_invocable_v<F&, std::stop_token>) {
      return detail::invoke(fn, stop);
    } else {
      (void)stop;
      return detail::invoke(fn);
    }
  }

  template <std::size_t I, class Retry, class F, class V>
  void through_retry(Retry& retry, F& fn, const std::stop_token& stop, pipeline_slot<V>& out) {
    (void)retry.execute_classified(
        [&] {
          out.reset();
          layer<I + 1>(fn, stop, out);
          return pipeline_attempt<V>{&out};
        },
        [&](const pipeline_attempt<V>&) {
          if (out.rejected()) return outcome::failure;  // refused inside: tried again after its retry-after
          if constexpr (std::is_void_v<V>) {
            return outcome::success;
          } else {
            return retry.classifier().classify_result(std::as_const(out.value()));
          }
        },
        stop);
  }

  template <std::size_t I, class Breaker, class F, class V>
  void through_breaker(Breaker& breaker, F& fn, const std::stop_token& stop, pipeline_slot<V>& out) {
    // Through the breaker's own execute path, so a timed breaker times the calls inside it as it times its own, and
    // for a call that takes a std::stop_token arms its watchdog as it does for its own: the parts inside get a
    // token that the caller's stop or the breaker's operation_timeout stops, whichever comes first. Otherwise the
    // caller's token is passed on, at no cost.
    const auto inside = [&] {
      if constexpr (Breaker::timing_type::enabled && std::is_invocable_v<F&, std::stop_token>) {
        return [&](const std::stop_token& timeout) {
          if (!stop.stop_possible()) {
            layer<I + 1>(fn, timeout, out);
          } else {
            const detail::forward_stop either;
            const std::stop_callback<detail::forward_stop> from_caller(stop, either);
            const std::stop_callback<detail::forward_stop> from_timeout(timeout, either);
            layer<I + 1>(fn, either.source.get_token(), out);
          }
          return pipeline_attempt<V>{&out};
        };
      } else {
        return [&] {
          layer<I + 1>(fn, stop, out);
          return pipeline_attempt<V>{&out};
        };
      }
    }();
    (void)breaker.execute_classified(
        inside,
        [&](const pipeline_attempt<V>&) {
          if (out.has_value()) [[likely]] {
            if constexpr (std::is_void_v<V>) {
              return outcome::success;
            } else {
              return breaker.classifier().classify_result(std::as_const(out.value()));
            }
          }
          // A time limiter's timeout inside is a failure (and a timeout); a refusal by another part inside says
          // nothing of the downstream.
          return out.timed_out() ? outcome::failure : outcome::ignored;
        },
        [&](const rejection& why) {
          out.reject(pipeline_rejection{pipeline_stage::circuit_breaker, breaker.name(), to_string(why.reason),
                                        why.retry_after, why});
          return pipeline_attempt<V>{&out};
        });
  }

  template <std::size_t I, class Limiter, class F, class V>
  void through_rate_limiter(Limiter& limiter, F& fn, const std::stop_token& stop, pipeline_slot<V>& out) {
    if (const rate_decision d = limiter.try_acquire(); !d) [[unlikely]] {
      out.reject(
          pipeline_rejection{pipeline_stage::rate_limiter, limiter.name(), to_string(d.refusal), d.retry_after, d});
      return;
    }
    layer<I + 1>(fn, stop, out);
  }

  template <std::size_t I, class Limiter, class F, class V>
  void through_time_limiter(Limiter& limiter, F& fn, const std::stop_token& stop, pipeline_slot<V>& out) {
    const auto limited =
        limiter.try_execute([&](const std::stop_token& deadline) { layer<I + 1>(fn, deadline, out); }, stop);
    if (!limited.has_value()) [[unlikely]] {
      // A late value is dropped: the caller was promised an answer within the timeout.
      out.reject(pipeline_rejection{pipeline_stage::time_limiter, limiter.name(), "timed_out",
                                    std::chrono::nanoseconds::zero(), limited.error()});
    }
  }

  template <std::size_t I, class Bulkhead, class F, class V>
  void through_bulkhead(Bulkhead& pool, F& fn, const std::stop_token& stop, pipeline_slot<V>& out) {
    auto permit = pool.options().max_wait > std::chrono::nanoseconds::zero() ? pool.acquire(stop) : pool.try_acquire();
    if (!permit) [[unlikely]] {
      const bulkhead_decision why = permit.why();
      out.reject(pipeline_rejection{pipeline_stage::bulkhead, pool.name(), to_string(why.reason),
                                    std::chrono::nanoseconds::zero(), why});
      return;
    }
#if defined(__cpp_exceptions)
    try {
#endif
      layer<I + 1>(fn, stop, out);
#if defined(__cpp_exceptions)
    } catch (...) {
      permit.release(true);
      throw;
    }
#endif
    permit.release(out.timed_out());
  }

  std::tuple<Parts&...> parts_;
};

}  // namespace detail

/// Resilience parts composed around a call (see the file comment). Holds references to the parts.
template <class... Parts>
class pipeline : public detail::pipeline_core<true, Parts...> {
 public:
  using detail::pipeline_core<true, Parts...>::pipeline_core;
};

/// The parts in the order given, unchecked.
template <class... Parts>
class pipeline<any_order, Parts...> : public detail::pipeline_core<false, Parts...> {
 public:
  explicit pipeline(any_order /*tag*/, Parts&... parts) noexcept : detail::pipeline_core<false, Parts...>(parts...) {}
  explicit pipeline(Parts&... parts) noexcept : detail::pipeline_core<false, Parts...>(parts...) {}
};

template <class... Parts>
pipeline(Parts&...) -> pipeline<Parts...>;
template <class... Parts>
pipeline(any_order, Parts&...) -> pipeline<any_order, Parts...>;

}  // namespace arbiter::inline v1
