#pragma once

/// \file
/// Thread slots: a small process-wide number for each live thread that writes metrics, so that per-thread cells
/// can be indexed by it. A slot has one owner at a time, which is what lets its cells be written with a plain
/// load and store instead of a locked read-modify-write.
///
/// - A thread takes the lowest free slot on its first metric write and gives it back when it exits; the next
///   thread to take that slot continues the sums the cells hold (only sums are ever read, never a thread's own).
/// - The owner change is ordered by the pool's mutex: the old owner's last store happens before the new
///   owner's first load.
/// - Past `max_thread_slots - 1` live threads, the rest share the last slot and write it with atomic
///   read-modify-writes: slower, never wrong.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>

#include <arbiter/version.hpp>

namespace arbiter::inline v1::detail {

/// How many slots there are; the last one is shared by every thread that finds no free slot.
inline constexpr std::size_t max_thread_slots = 256;

/// The slot that threads without a slot of their own share (written with atomic read-modify-writes).
inline constexpr std::size_t shared_thread_slot = max_thread_slots - 1;

/// The process-wide pool of slots.
class thread_slot_pool {
 public:
  static thread_slot_pool& instance() noexcept {
    static thread_slot_pool pool;
    return pool;
  }

  /// Takes the lowest free slot, or shared_thread_slot when none is free.
  std::size_t acquire() noexcept {
    const std::lock_guard lock(mutex_);
    for (std::size_t word = 0; word < words; ++word) {
      if (used_[word] == ~std::uint64_t{0}) continue;
      for (std::size_t bit = 0; bit < 64; ++bit) {
        const std::size_t slot = word * 64 + bit;
        if (slot == shared_thread_slot) return shared_thread_slot;
        if ((used_[word] & (std::uint64_t{1} << bit)) == 0) {
          used_[word] |= std::uint64_t{1} << bit;
          if (slot >= high_water_.load(std::memory_order_relaxed)) {
            high_water_.store(slot + 1, std::memory_order_release);
          }
          return slot;
        }
      }
    }
    return shared_thread_slot;
  }

  /// Gives `slot` back (shared_thread_slot is never owned, so giving it back does nothing).
  void release(std::size_t slot) noexcept {
    if (slot >= shared_thread_slot) return;
    const std::lock_guard lock(mutex_);
    used_[slot / 64] &= ~(std::uint64_t{1} << (slot % 64));
  }

  /// One past the highest slot ever owned: readers need only look at slots below it (and the shared one).
  [[nodiscard]] std::size_t high_water() const noexcept { return high_water_.load(std::memory_order_acquire); }

 private:
  static constexpr std::size_t words = max_thread_slots / 64;
  std::mutex mutex_;
  std::uint64_t used_[words]{};
  std::atomic<std::size_t> high_water_{0};
};

/// The calling thread's slot holder: takes a slot on first use, gives it back at thread exit.
class thread_slot_owner {
 public:
  thread_slot_owner() noexcept : slot_(thread_slot_pool::instance().acquire()) {}
  thread_slot_owner(const thread_slot_owner&) = delete;
  thread_slot_owner& operator=(const thread_slot_owner&) = delete;
  ~thread_slot_owner();

  [[nodiscard]] std::size_t slot() const noexcept { return slot_; }

 private:
  std::size_t slot_;
};

/// The calling thread's slot, cached in a constant-initialized thread_local so that the fast path is one TLS read
/// and a compare. `unassigned` before the first use; `shared_thread_slot` again once the thread's owner was
/// destroyed (a metric written from a later thread_local destructor goes to the shared slot).
inline constexpr std::size_t unassigned_thread_slot = ~std::size_t{0};
inline constinit thread_local std::size_t this_thread_slot_cache = unassigned_thread_slot;

inline thread_slot_owner::~thread_slot_owner() {
  this_thread_slot_cache = shared_thread_slot;
  thread_slot_pool::instance().release(slot_);
}

[[gnu::noinline, gnu::cold]] inline std::size_t assign_this_thread_slot() noexcept {
  static thread_local thread_slot_owner owner;
  // A thread whose owner has already been destroyed keeps the shared slot (set by the destructor).
  if (this_thread_slot_cache == unassigned_thread_slot) this_thread_slot_cache = owner.slot();
  return this_thread_slot_cache;
}

/// The calling thread's slot.
[[nodiscard]] inline std::size_t this_thread_slot() noexcept {
  const std::size_t slot = this_thread_slot_cache;
  if (slot != unassigned_thread_slot) [[likely]]
    return slot;
  return assign_this_thread_slot();
}

}  // namespace arbiter::inline v1::detail
