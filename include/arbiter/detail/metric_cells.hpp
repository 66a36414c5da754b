#pragma once

/// \file
/// Per-thread metric cells: the storage behind counters and histograms.
///
/// Each series owns a few consecutive cell indexes (a counter one, a histogram one per bucket plus its sum).
/// Every thread slot (detail/thread_slot.hpp) has its own copy of every cell, in chunks it allocated itself, so a
/// write touches only memory its own thread writes: no cache line is ever written by two threads, and an owned
/// slot's cell is updated with a relaxed load and store rather than a locked instruction. A scrape sums the cell
/// over all slots with relaxed loads; each copy only grows, so the sum does too.
///
/// Layout: `slots_[slot]` points at a block of chunk pointers, `chunk[index / chunk_cells]` at 64-byte aligned
/// chunks of `chunk_cells` cells. Blocks and chunks are allocated on a thread's first write into them and kept
/// until the registry goes, so a thread that exits leaves its counts behind for the next owner of its slot.

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <new>
#include <stdexcept>
#include <string>

#include <arbiter/detail/thread_slot.hpp>

namespace arbiter::inline v1::detail {

class metric_cells {
 public:
  using cell = std::atomic<std::uint64_t>;
  static constexpr std::size_t chunk_cells = 512;  // 4 KiB: 64 lines, one allocation per slot and chunk
  static constexpr std::size_t max_chunks = 256;   // up to 131072 cells (a histogram takes its buckets + 2)
  static constexpr std::size_t max_cells = chunk_cells * max_chunks;

  metric_cells() = default;
  metric_cells(const metric_cells&) = delete;
  metric_cells& operator=(const metric_cells&) = delete;
  ~metric_cells() {
    for (auto& slot : slots_) {
      block* b = slot.load(std::memory_order_relaxed);
      if (b == nullptr) continue;
      for (auto& chunk : b->chunks) {
        cell* c = chunk.load(std::memory_order_relaxed);
        if (c != nullptr) ::operator delete[](c, std::align_val_t{64});
      }
      delete b;
    }
  }

  /// Reserves `count` consecutive cells that do not straddle a chunk (so a series' cells are one pointer away
  /// from each other) and returns the first index. Throws std::length_error when the registry is full.
  std::size_t reserve(std::size_t count) {
    const std::lock_guard lock(mutex_);
    if (count == 0 || count > chunk_cells) throw std::length_error("arbiter: a metric series needs 1 to 512 cells");
    std::size_t first = next_;
    if (first / chunk_cells != (first + count - 1) / chunk_cells) first = (first / chunk_cells + 1) * chunk_cells;
    if (first + count > max_cells) {
      throw std::length_error("arbiter: the metrics registry is full (" + std::to_string(max_cells) +
                              " cells: counters take 1, histograms their buckets + 2)");
    }
    next_ = first + count;
    return first;
  }

  /// The calling thread's copy of the cells starting at `index` (reserved, within one chunk), and whether the
  /// slot is shared (then writes must be atomic read-modify-writes).
  struct place {
    cell* cells;
    bool shared;
  };
  [[nodiscard]] place locate(std::size_t index) noexcept {
    const std::size_t slot = this_thread_slot();
    block* b = slots_[slot].load(std::memory_order_acquire);
    if (b != nullptr) [[likely]] {
      cell* chunk = b->chunks[index / chunk_cells].load(std::memory_order_acquire);
      if (chunk != nullptr) [[likely]]
        return {chunk + index % chunk_cells, slot == shared_thread_slot};
    }
    return {allocate(slot, index) + index % chunk_cells, slot == shared_thread_slot};
  }

  /// Adds `n` to the calling thread's copy of cell `index`.
  void add(std::size_t index, std::uint64_t n) noexcept {
    const place at = locate(index);
    add(at, 0, n);
  }

  /// Adds `n` to cell `offset` of a located place.
  static void add(place at, std::size_t offset, std::uint64_t n) noexcept {
    cell& c = at.cells[offset];
    if (!at.shared) [[likely]] {
      c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    } else {
      c.fetch_add(n, std::memory_order_relaxed);
    }
  }

  /// Adds `x` to the double whose bits cell `offset` of a located place holds.
  static void add_double(place at, std::size_t offset, double x) noexcept {
    cell& c = at.cells[offset];
    if (!at.shared) [[likely]] {
      c.store(std::bit_cast<std::uint64_t>(std::bit_cast<double>(c.load(std::memory_order_relaxed)) + x),
              std::memory_order_relaxed);
    } else {
      std::uint64_t old = c.load(std::memory_order_relaxed);
      while (!c.compare_exchange_weak(old, std::bit_cast<std::uint64_t>(std::bit_cast<double>(old) + x),
                                      std::memory_order_relaxed)) {
      }
    }
  }

  /// The sum of cell `index` over every slot.
  [[nodiscard]] std::uint64_t sum(std::size_t index) const noexcept {
    std::uint64_t total = 0;
    for_each_copy(index, [&](const cell& c) { total += c.load(std::memory_order_relaxed); });
    return total;
  }

  /// The sum of the doubles cell `index` holds over every slot.
  [[nodiscard]] double sum_double(std::size_t index) const noexcept {
    double total = 0;
    for_each_copy(index, [&](const cell& c) { total += std::bit_cast<double>(c.load(std::memory_order_relaxed)); });
    return total;
  }

 private:
  struct block {
    std::atomic<cell*> chunks[max_chunks]{};
  };

  template <class F>
  void for_each_copy(std::size_t index, F&& f) const noexcept {
    const std::size_t high = thread_slot_pool::instance().high_water();  // one acquire load
    const auto visit = [&](std::size_t slot) {
      const block* b = slots_[slot].load(std::memory_order_acquire);
      if (b == nullptr) return;
      const cell* chunk = b->chunks[index / chunk_cells].load(std::memory_order_acquire);
      if (chunk != nullptr) f(chunk[index % chunk_cells]);
    };
    for (std::size_t slot = 0; slot < high && slot < shared_thread_slot; ++slot) visit(slot);
    visit(shared_thread_slot);
  }

  /// Where writes go when memory for a thread's cells cannot be had: they are lost, nothing else is.
  static cell* discard_chunk() noexcept {
    alignas(64) static cell chunk[chunk_cells];
    return chunk;
  }

  [[gnu::noinline, gnu::cold]] cell* allocate(std::size_t slot, std::size_t index) noexcept {
    // Serialized, so that two threads sharing the shared slot cannot both install a block or a chunk.
    const std::lock_guard lock(mutex_);
    try {
      block* b = slots_[slot].load(std::memory_order_relaxed);
      if (b == nullptr) {
        b = new block;  // NOLINT(cppcoreguidelines-owning-memory): owned by slots_, freed in the destructor
        slots_[slot].store(b, std::memory_order_release);
      }
      std::atomic<cell*>& chunk_ptr = b->chunks[index / chunk_cells];
      cell* chunk = chunk_ptr.load(std::memory_order_relaxed);
      if (chunk == nullptr) {
        void* raw = ::operator new[](sizeof(cell) * chunk_cells, std::align_val_t{64});
        chunk = static_cast<cell*>(raw);
        for (std::size_t i = 0; i < chunk_cells; ++i) ::new (static_cast<void*>(chunk + i)) cell(0);
        chunk_ptr.store(chunk, std::memory_order_release);
      }
      return chunk;
    } catch (const std::bad_alloc&) {
      return discard_chunk();
    }
  }

  std::atomic<block*> slots_[max_thread_slots]{};
  std::mutex mutex_;
  std::size_t next_ = 0;
};

}  // namespace arbiter::inline v1::detail
