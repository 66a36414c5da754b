#pragma once

/// \file
/// The Stats policy: what a breaker counts about its calls. `no_stats` counts nothing and takes no space;
/// `counting_stats` keeps exact counters (atomic with lock_free, plain with single_thread) and hands out
/// one snapshot whose counts add up.
///
/// A Stats policy has `using policy_kind = arbiter::stats_policy;` and `template <class Sync> class counters`
/// with record(outcome, bool slow, bool timeout), record_rejection() and read(breaker_stats&) const.

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include <arbiter/resilience/breaker_state.hpp>
#include <arbiter/resilience/outcome.hpp>
#include <arbiter/resilience/sync.hpp>

namespace arbiter::inline v1 {

/// One snapshot of a breaker's statistics. `calls` = successes + failures + ignored: every admitted call that
/// reported back. Slow calls and timeouts are subsets of those (a timeout is also a failure).
struct breaker_stats {
  breaker_state state = breaker_state::closed;
  std::uint64_t calls = 0;
  std::uint64_t successes = 0;
  std::uint64_t failures = 0;
  std::uint64_t ignored = 0;
  std::uint64_t slow_calls = 0;
  std::uint64_t timeouts = 0;
  std::uint64_t rejections = 0;
  std::uint64_t transitions = 0;  ///< state changes since construction (also counted without a Stats policy)
  /// Failure percentage: the detector's window rate when it has one, else failures / (successes + failures);
  /// zero before any call.
  double failure_rate = 0.0;
  bool counted = false;  ///< false when the breaker has no Stats policy (the counters above are then zero)
};

/// Counts nothing; an empty type, so a breaker without statistics pays nothing for them.
struct no_stats {
  using policy_kind = stats_policy;
  template <class Sync>
  struct counters {
    static constexpr bool enabled = false;
    static constexpr void record(outcome /*o*/, bool /*slow*/, bool /*timeout*/) noexcept {}
    static constexpr void record_rejection() noexcept {}
    static constexpr void read(breaker_stats& /*out*/) noexcept {}
    static constexpr void restore(const breaker_stats& /*in*/) noexcept {}
  };
};

/// Exact counters. Each is one relaxed increment; read() retries until two passes agree, so a snapshot taken
/// while calls run is a consistent cut in all but pathological contention (then the last pass is returned).
struct counting_stats {
  using policy_kind = stats_policy;
  template <class Sync>
  class counters {
   public:
    static constexpr bool enabled = true;

    void record(outcome o, bool slow, bool timeout) noexcept {
      switch (o) {
        case outcome::success:
        case outcome::force_close:
          bump(success_index);
          break;
        case outcome::failure:
        case outcome::force_open:
          bump(failure_index);
          break;
        case outcome::ignored:
          bump(ignored_index);
          break;
      }
      if (slow) bump(slow_index);
      if (timeout) bump(timeout_index);
    }
    void record_rejection() noexcept { bump(rejection_index); }

    void read(breaker_stats& out) const noexcept {
      std::array<std::uint64_t, count> first{};
      std::array<std::uint64_t, count> second{};
      load(first);
      for (int attempt = 0; attempt < 8; ++attempt) {
        load(second);
        if (first == second) break;
        first = second;
      }
      out.successes = second[success_index];
      out.failures = second[failure_index];
      out.ignored = second[ignored_index];
      out.slow_calls = second[slow_index];
      out.timeouts = second[timeout_index];
      out.rejections = second[rejection_index];
      out.calls = out.successes + out.failures + out.ignored;
      out.counted = true;
    }

    void restore(const breaker_stats& in) noexcept {
      cells_[success_index].store(in.successes, std::memory_order_relaxed);
      cells_[failure_index].store(in.failures, std::memory_order_relaxed);
      cells_[ignored_index].store(in.ignored, std::memory_order_relaxed);
      cells_[slow_index].store(in.slow_calls, std::memory_order_relaxed);
      cells_[timeout_index].store(in.timeouts, std::memory_order_relaxed);
      cells_[rejection_index].store(in.rejections, std::memory_order_relaxed);
    }

   private:
    static constexpr std::size_t success_index = 0, failure_index = 1, ignored_index = 2, slow_index = 3,
                                 timeout_index = 4, rejection_index = 5, count = 6;
    void bump(std::size_t i) noexcept { cells_[i].fetch_add(1, std::memory_order_relaxed); }
    void load(std::array<std::uint64_t, count>& into) const noexcept {
      for (std::size_t i = 0; i < count; ++i) into[i] = cells_[i].load(std::memory_order_relaxed);
    }
    std::array<typename Sync::template cell<std::uint64_t>, count> cells_{};
  };
};

/// A Stats policy (see the file comment).
template <class S>
concept StatsPolicy = std::same_as<typename S::policy_kind, stats_policy> &&
    requires(typename S::template counters<single_thread>& c, const typename S::template counters<single_thread>& cc,
             breaker_stats& out) {
  c.record(outcome::success, false, false);
  c.record_rejection();
  cc.read(out);
};

static_assert(StatsPolicy<no_stats> && StatsPolicy<counting_stats>);
static_assert(std::is_empty_v<no_stats::counters<lock_free>>);

}  // namespace arbiter::inline v1
