#pragma once

/// \file
/// Failure detectors: when a closed breaker opens.
///   consecutive_failures  `failure_threshold` failures in a row (the default; counted inside the state word,
///                         so a success that changes nothing writes nothing)
///   count_window          failure (and slow-call) rate over the last `window_size` calls
///   time_window           failure (and slow-call) rate over the last `window_length`, in `window_buckets` buckets
///   slow_call_rate        slow-call rate over the last `window_size` calls (needs timed or timed_with<Clock>)
/// Rates are judged after every recorded outcome (a success included, as resilience4j does) once the window holds
/// `minimum_calls` calls (capped at `window_size` for count windows).
///
/// A detector has `using policy_kind = arbiter::failure_detector_policy;`, the flags `counts_in_state_word`,
/// `needs_clock` and `judges_slow_calls`, and `template <class Sync> class state` with
///   explicit state(const breaker_options&);
///   std::optional<transition_reason> record(bool failure, bool slow, time_point now) noexcept;  // trip?
///   void clear() noexcept;   double failure_rate(time_point now) const noexcept;   // percent, NaN if none

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>

#include <arbiter/detail/chrono.hpp>
#include <arbiter/resilience/breaker_options.hpp>
#include <arbiter/resilience/breaker_state.hpp>
#include <arbiter/resilience/outcome.hpp>
#include <arbiter/resilience/sync.hpp>

namespace arbiter::inline v1 {

/// Opens after `failure_threshold` consecutive failures. The count lives in the breaker's state word.
struct consecutive_failures {
  using policy_kind = failure_detector_policy;
  static constexpr bool counts_in_state_word = true;
  static constexpr bool needs_clock = false;
  static constexpr bool judges_slow_calls = false;

  template <class Sync>
  struct state {
    explicit constexpr state(const breaker_options& /*options*/) noexcept {}
    static constexpr std::optional<transition_reason> record(bool /*failure*/, bool /*slow*/,
                                                             std::chrono::steady_clock::time_point /*now*/) noexcept {
      return std::nullopt;
    }
    static constexpr void clear() noexcept {}
    [[nodiscard]] static constexpr double failure_rate(std::chrono::steady_clock::time_point /*now*/) noexcept {
      return std::numeric_limits<double>::quiet_NaN();
    }
  };
};

namespace detail {

/// Returns true when `count` of `calls` reaches `threshold_percent`.
[[nodiscard]] constexpr bool rate_reached(std::int64_t count, std::uint64_t calls, double threshold_percent) noexcept {
  return count > 0 && static_cast<double>(count) * 100.0 >= threshold_percent * static_cast<double>(calls);
}

/// A ring of the last `window_size` outcomes. Each slot is one byte (occupied, failure, slow), and the running
/// sums (calls, failures, slow calls) are the sums of the slots: every change of a slot, a record's and a clear's
/// alike, is one exchange whose difference is added to the sums. So a clear() racing record()s cannot leave a
/// sum too low or too high: once they finish, the sums are exactly those of the calls left in the window.
template <class Sync, bool JudgeFailures, bool JudgeSlow>
class count_ring {
 public:
  explicit count_ring(const breaker_options& o)
      : size_(o.window_size),
        minimum_(std::min(o.minimum_calls, o.window_size)),
        failure_threshold_(o.failure_rate_threshold),
        slow_threshold_(o.slow_call_rate_threshold),
        slots_(std::make_unique<typename Sync::template cell<std::uint8_t>[]>(o.window_size)) {}

  /// Records one outcome and judges the rates (after every outcome, a success included).
  std::optional<transition_reason> record(bool failure, bool slow,
                                          std::chrono::steady_clock::time_point /*now*/) noexcept {
    const auto value = static_cast<std::uint8_t>(occupied | (failure ? failed : 0u) | (slow ? slowed : 0u));
    const std::int64_t full = calls_.load(std::memory_order_relaxed);
    if (value == occupied && full == static_cast<std::int64_t>(size_) &&
        failures_.load(std::memory_order_relaxed) == 0 && slows_.load(std::memory_order_relaxed) == 0) [[likely]] {
      // A success into a window that holds nothing but successes: whichever success it evicts, the window is
      // the same, so neither the cursor nor a slot needs to move (and a healthy breaker's threads share clean
      // cache lines). A failure later still evicts the oldest call: every call older than it is a success.
      return std::nullopt;
    }
    const std::uint64_t index = next_.fetch_add(1, std::memory_order_relaxed);
    auto& slot = slots_[index % size_];
    if (slot.load(std::memory_order_relaxed) != value) account(slot.exchange(value, std::memory_order_relaxed), value);
    const std::int64_t calls = calls_.load(std::memory_order_relaxed);
    if (calls < static_cast<std::int64_t>(minimum_)) return std::nullopt;
    const auto n = static_cast<std::uint64_t>(calls);
    if (JudgeFailures && rate_reached(failures_.load(std::memory_order_relaxed), n, failure_threshold_)) {
      return transition_reason::failure_rate;
    }
    if (JudgeSlow && rate_reached(slows_.load(std::memory_order_relaxed), n, slow_threshold_)) {
      return transition_reason::slow_call_rate;
    }
    return std::nullopt;
  }

  /// Empties the window, slot by slot, the same way a record() changes a slot.
  void clear() noexcept {
    for (std::uint32_t i = 0; i < size_; ++i) {
      if (slots_[i].load(std::memory_order_relaxed) == 0) continue;
      account(slots_[i].exchange(0, std::memory_order_relaxed), 0);
    }
  }

  [[nodiscard]] double failure_rate(std::chrono::steady_clock::time_point /*now*/) const noexcept {
    const std::int64_t calls = calls_.load(std::memory_order_relaxed);
    if (calls <= 0) return 0.0;
    const auto failures = std::clamp<std::int64_t>(failures_.load(std::memory_order_relaxed), 0, calls);
    return static_cast<double>(failures) * 100.0 / static_cast<double>(calls);
  }

 private:
  static constexpr unsigned occupied = 4u, failed = 1u, slowed = 2u;

  /// Adds the difference between a slot's new and old contents to the sums.
  void account(std::uint8_t old, std::uint8_t value) noexcept {
    const auto delta = [&](unsigned bit) { return std::int64_t{(value & bit) != 0} - std::int64_t{(old & bit) != 0}; };
    if (const auto d = delta(occupied); d != 0) calls_.fetch_add(d, std::memory_order_relaxed);
    if (const auto d = delta(failed); d != 0) failures_.fetch_add(d, std::memory_order_relaxed);
    if (const auto d = delta(slowed); d != 0) slows_.fetch_add(d, std::memory_order_relaxed);
  }

  std::uint32_t size_;
  std::uint32_t minimum_;
  double failure_threshold_;
  double slow_threshold_;
  std::unique_ptr<typename Sync::template cell<std::uint8_t>[]> slots_;
  // The write cursor, never reset (the slots are the window), on a line of its own: the sums below are read by
  // every record, the cursor written by most.
  alignas(64) typename Sync::template cell<std::uint64_t> next_{0};
  alignas(64) typename Sync::template cell<std::int64_t> calls_{0};
  typename Sync::template cell<std::int64_t> failures_{0};
  typename Sync::template cell<std::int64_t> slows_{0};
};

/// A ring of time buckets. Each bucket is one 64-bit word: [bucket tag:22][calls:14][failures:14][slow:14],
/// updated by compare-exchange, so a bucket that rolls over is reset and counted in one step. A bucket stops
/// counting at 16383 calls (the rest of its interval is sampled by its first 16383 calls). The 22-bit tag tells a
/// live bucket from a stale one unless the stale one sat untouched for exactly a multiple of 2^22 bucket widths.
template <class Sync>
class time_ring {
 public:
  explicit time_ring(const breaker_options& o)
      : buckets_(o.window_buckets),
        width_(std::chrono::duration_cast<std::chrono::steady_clock::duration>(o.window_length).count() /
               static_cast<std::int64_t>(o.window_buckets)),
        minimum_(o.minimum_calls),
        failure_threshold_(o.failure_rate_threshold),
        slow_threshold_(o.slow_call_rate_threshold),
        slots_(std::make_unique<typename Sync::template cell<std::uint64_t>[]>(o.window_buckets)) {}

  std::optional<transition_reason> record(bool failure, bool slow, std::chrono::steady_clock::time_point now) noexcept {
    const std::uint64_t index = bucket_of(now);
    auto& slot = slots_[index % buckets_];
    const std::uint64_t tag = (index & tag_mask) << tag_shift;
    const std::uint64_t add = (std::uint64_t{1} << calls_shift) | (failure ? std::uint64_t{1} << failures_shift : 0) |
                              (slow ? std::uint64_t{1} : 0);
    std::uint64_t current = slot.load(std::memory_order_relaxed);
    for (;;) {
      std::uint64_t next = 0;
      if ((current & (tag_mask << tag_shift)) != tag) {
        next = tag | add;  // the bucket rolled over: start it afresh
      } else if (((current >> calls_shift) & count_mask) == count_mask) {
        break;  // saturated
      } else {
        next = current + add;
      }
      if (slot.compare_exchange_weak(current, next, std::memory_order_relaxed, std::memory_order_relaxed)) break;
    }
    const totals sum = sum_at(index);  // judged after every outcome, a success included
    if (sum.calls < minimum_) return std::nullopt;
    if (rate_reached(static_cast<std::int64_t>(sum.failures), sum.calls, failure_threshold_)) {
      return transition_reason::failure_rate;
    }
    if (rate_reached(static_cast<std::int64_t>(sum.slow), sum.calls, slow_threshold_)) {
      return transition_reason::slow_call_rate;
    }
    return std::nullopt;
  }

  void clear() noexcept {
    for (std::uint32_t i = 0; i < buckets_; ++i) slots_[i].store(0, std::memory_order_relaxed);
  }

  [[nodiscard]] double failure_rate(std::chrono::steady_clock::time_point now) const noexcept {
    const totals sum = sum_at(bucket_of(now));
    if (sum.calls == 0) return 0.0;
    return static_cast<double>(sum.failures) * 100.0 / static_cast<double>(sum.calls);
  }

 private:
  struct totals {
    std::uint64_t calls = 0, failures = 0, slow = 0;
  };
  static constexpr unsigned tag_shift = 42, calls_shift = 28, failures_shift = 14;
  static constexpr std::uint64_t tag_mask = (std::uint64_t{1} << 22) - 1;
  static constexpr std::uint64_t count_mask = (std::uint64_t{1} << 14) - 1;

  [[nodiscard]] std::uint64_t bucket_of(std::chrono::steady_clock::time_point now) const noexcept {
    const auto ticks = now.time_since_epoch().count();
    // Offset by 2^22 buckets so that `index - back` in sum_at() never wraps below zero.
    return static_cast<std::uint64_t>(ticks > 0 ? ticks / width_ : 0) + (tag_mask + 1);
  }

  [[nodiscard]] totals sum_at(std::uint64_t index) const noexcept {
    totals sum;
    for (std::uint64_t back = 0; back < buckets_; ++back) {
      const std::uint64_t bucket = index - back;
      const std::uint64_t word = slots_[bucket % buckets_].load(std::memory_order_relaxed);
      if (((word >> tag_shift) & tag_mask) != (bucket & tag_mask)) continue;  // stale or empty
      sum.calls += (word >> calls_shift) & count_mask;
      sum.failures += (word >> failures_shift) & count_mask;
      sum.slow += word & count_mask;
    }
    return sum;
  }

  std::uint32_t buckets_;
  std::int64_t width_;
  std::uint32_t minimum_;
  double failure_threshold_;
  double slow_threshold_;
  std::unique_ptr<typename Sync::template cell<std::uint64_t>[]> slots_;
};

}  // namespace detail

/// Opens when the failure rate of the last `window_size` calls reaches `failure_rate_threshold` (or, with
/// timed or timed_with<Clock>, when the slow-call rate reaches `slow_call_rate_threshold`).
struct count_window {
  using policy_kind = failure_detector_policy;
  static constexpr bool counts_in_state_word = false;
  static constexpr bool needs_clock = false;
  static constexpr bool judges_slow_calls = true;
  template <class Sync>
  using state = detail::count_ring<Sync, true, true>;
};

/// Opens when the failure (or slow-call) rate over the last `window_length` reaches its threshold.
/// Reads the breaker's clock on every call: pair it with coarse_clock where that matters.
struct time_window {
  using policy_kind = failure_detector_policy;
  static constexpr bool counts_in_state_word = false;
  static constexpr bool needs_clock = true;
  static constexpr bool judges_slow_calls = true;
  template <class Sync>
  using state = detail::time_ring<Sync>;
};

/// Opens when the slow-call rate of the last `window_size` calls reaches `slow_call_rate_threshold`;
/// failures alone never open it. Needs timed or timed_with<Clock>.
struct slow_call_rate {
  using policy_kind = failure_detector_policy;
  static constexpr bool counts_in_state_word = false;
  static constexpr bool needs_clock = false;
  static constexpr bool judges_slow_calls = true;
  static constexpr bool requires_timing = true;
  template <class Sync>
  using state = detail::count_ring<Sync, false, true>;
};

/// A failure detector policy (see the file comment).
template <class D>
concept FailureDetector = std::same_as<typename D::policy_kind, failure_detector_policy> && requires {
  { D::counts_in_state_word } -> std::convertible_to<bool>;
  { D::needs_clock } -> std::convertible_to<bool>;
  { D::judges_slow_calls } -> std::convertible_to<bool>;
  typename D::template state<single_thread>;
} && requires(typename D::template state<single_thread>& s, std::chrono::steady_clock::time_point now) {
  { s.record(true, false, now) } -> std::same_as<std::optional<transition_reason>>;
  s.clear();
  { s.failure_rate(now) } -> std::convertible_to<double>;
};

/// Checks that `D` is a failure detector and says what is missing if it is not.
template <class D>
consteval bool assert_failure_detector() {
  static_assert(FailureDetector<D>,
                "====> arbiter: a failure detector needs `using policy_kind = arbiter::failure_detector_policy;`, "
                "the flags counts_in_state_word, needs_clock and judges_slow_calls, and `template <class Sync> "
                "class state` with record(failure, slow, now), clear() and failure_rate(now); use "
                "arbiter::consecutive_failures, count_window, time_window or slow_call_rate.");
  return true;
}

static_assert(FailureDetector<consecutive_failures> && FailureDetector<count_window> && FailureDetector<time_window> &&
              FailureDetector<slow_call_rate>);

}  // namespace arbiter::inline v1
