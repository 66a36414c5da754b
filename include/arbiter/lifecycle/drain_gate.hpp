#pragma once

/// \file
/// The drain gate: request handlers pass through it; once shutdown starts it refuses new entries and the
/// shutdown waits, bounded by its deadline, until the work already inside has left.
///
/// Passing costs two atomic read-modify-writes on one word (enter and leave); the closed flag lives in the
/// same word, so a refused entry and a closing gate can never both miss each other.

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <utility>

#include <arbiter/clock/clock.hpp>
#include <arbiter/detail/chrono.hpp>

namespace arbiter::inline v1 {

/// Counts work in flight and refuses new work once closed. Thread-safe; must outlive every pass.
class drain_gate {
 public:
  /// One admitted unit of work: leaves the gate when destroyed. Empty (false) when the gate refused entry.
  class pass {
   public:
    pass() noexcept = default;
    pass(pass&& other) noexcept : gate_(std::exchange(other.gate_, nullptr)) {}
    pass& operator=(pass&& other) noexcept {
      if (this != &other) {
        release();
        gate_ = std::exchange(other.gate_, nullptr);
      }
      return *this;
    }
    pass(const pass&) = delete;
    pass& operator=(const pass&) = delete;
    ~pass() { release(); }

    /// Returns whether the gate admitted this work.
    [[nodiscard]] explicit operator bool() const noexcept { return gate_ != nullptr; }

    /// Leaves the gate now rather than at destruction.
    void release() noexcept {
      if (gate_ != nullptr) std::exchange(gate_, nullptr)->leave();
    }

   private:
    friend class drain_gate;
    explicit pass(drain_gate* gate) noexcept : gate_(gate) {}
    drain_gate* gate_ = nullptr;
  };

  drain_gate() = default;
  drain_gate(const drain_gate&) = delete;
  drain_gate& operator=(const drain_gate&) = delete;

  /// Enters the gate; the returned pass is false when the gate is closed. Leave by destroying the pass.
  [[nodiscard]] pass enter() noexcept { return try_enter() ? pass(this) : pass(); }

  /// Enters without a pass object; returns false when closed. A true return must be paired with leave().
  [[nodiscard]] bool try_enter() noexcept {
    const auto before = state_.fetch_add(1, std::memory_order_acquire);
    if ((before & closed_bit) != 0) [[unlikely]] {
      leave();
      return false;
    }
    return true;
  }

  /// Leaves the gate after a successful try_enter().
  void leave() noexcept {
    const auto before = state_.fetch_sub(1, std::memory_order_release);
    if (before == (closed_bit | 1)) [[unlikely]] {
      // The last one out of a closed gate wakes the drain; taking the mutex orders this after its check.
      const std::lock_guard lock(mutex_);
      drained_.notify_all();
    }
  }

  /// Refuses every entry from now on; work already inside carries on.
  void close() noexcept { state_.fetch_or(closed_bit, std::memory_order_acq_rel); }

  /// Returns whether close() was called.
  [[nodiscard]] bool is_closed() const noexcept { return (state_.load(std::memory_order_acquire) & closed_bit) != 0; }

  /// Returns how much work is inside (a refused entry may count for an instant).
  [[nodiscard]] std::size_t in_flight() const noexcept {
    return static_cast<std::size_t>(state_.load(std::memory_order_acquire) & ~closed_bit);
  }

  /// Waits until the gate is closed and empty, or until `clock` reads `limit`. Returns whether it drained.
  /// Waits in slices of at most `slice` so that a manual clock moved by a test is noticed.
  template <Clock C>
  bool wait_drained_until(const C& clock, typename C::time_point limit,
                          std::chrono::nanoseconds slice = std::chrono::milliseconds(10)) {
    std::unique_lock lock(mutex_);
    while (state_.load(std::memory_order_acquire) != closed_bit) {
      const auto now = clock.now();
      if (now >= limit) return false;
      const auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(limit - now);
      drained_.wait_for(lock, std::min(left, slice));
    }
    return true;
  }

 private:
  static constexpr std::uint64_t closed_bit = std::uint64_t{1} << 63;
  std::atomic<std::uint64_t> state_{0};
  std::mutex mutex_;
  std::condition_variable drained_;
};

}  // namespace arbiter::inline v1
