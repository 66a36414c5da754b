#pragma once

/// \file
/// The Sync policy: how a breaker's counters are shared. `lock_free` uses std::atomic, so one breaker serves
/// many threads; `single_thread` uses plain integers behind the same interface, so a breaker owned by one
/// thread (or one strand) carries no atomic instruction at all.
///
/// A Sync policy has `using policy_kind = arbiter::sync_policy;`, `static constexpr bool is_thread_safe`, and
/// `template <class T> using cell = ...;` offering std::atomic's load, store, exchange, compare_exchange_weak
/// and fetch_add.

#include <atomic>
#include <concepts>
#include <cstdint>

#include <arbiter/resilience/outcome.hpp>

namespace arbiter::inline v1 {

/// Shares a breaker between threads: one 64-bit atomic state word plus atomic counters; no locks.
struct lock_free {
  using policy_kind = sync_policy;
  static constexpr bool is_thread_safe = true;
  template <class T>
  using cell = std::atomic<T>;
};

namespace detail {

/// A plain value with std::atomic's interface; every memory order is ignored.
template <class T>
class plain_cell {
 public:
  constexpr plain_cell() noexcept = default;
  constexpr explicit plain_cell(T value) noexcept : value_(value) {}
  plain_cell(const plain_cell&) = delete;
  plain_cell& operator=(const plain_cell&) = delete;

  [[nodiscard]] constexpr T load(std::memory_order /*order*/ = std::memory_order_seq_cst) const noexcept {
    return value_;
  }
  constexpr void store(T value, std::memory_order /*order*/ = std::memory_order_seq_cst) noexcept { value_ = value; }
  constexpr T exchange(T value, std::memory_order /*order*/ = std::memory_order_seq_cst) noexcept {
    const T old = value_;
    value_ = value;
    return old;
  }
  constexpr bool compare_exchange_weak(T& expected, T desired, std::memory_order /*success*/ = {},
                                       std::memory_order /*failure*/ = {}) noexcept {
    if (value_ == expected) {
      value_ = desired;
      return true;
    }
    expected = value_;
    return false;
  }
  constexpr bool compare_exchange_strong(T& expected, T desired, std::memory_order success = {},
                                         std::memory_order failure = {}) noexcept {
    return compare_exchange_weak(expected, desired, success, failure);
  }
  constexpr T fetch_add(T delta, std::memory_order /*order*/ = std::memory_order_seq_cst) noexcept {
    const T old = value_;
    value_ = static_cast<T>(value_ + delta);
    return old;
  }

 private:
  T value_{};
};

}  // namespace detail

/// Keeps a breaker to one thread: plain integers, no atomic instruction anywhere.
struct single_thread {
  using policy_kind = sync_policy;
  static constexpr bool is_thread_safe = false;
  template <class T>
  using cell = detail::plain_cell<T>;
};

/// A Sync policy (see the file comment).
template <class S>
concept SyncPolicy = std::same_as<typename S::policy_kind, sync_policy> && requires {
  { S::is_thread_safe } -> std::convertible_to<bool>;
  typename S::template cell<std::uint64_t>;
};

static_assert(SyncPolicy<lock_free> && SyncPolicy<single_thread>);
static_assert(sizeof(single_thread::cell<std::uint64_t>) == sizeof(std::uint64_t));

}  // namespace arbiter::inline v1
