#pragma once

/// \file
/// Immutable config snapshots and the store that publishes them. Readers take the current snapshot without
/// blocking and keep it as long as they like; a reload publishes a new one and never touches the old.
///
/// Taking a snapshot is a thread-local cache hit in the common case: each thread keeps the last snapshot it
/// took per store and checks it against the store's version (one acquire load). Only the first take after a
/// reload goes to the shared slot, under a mutex held for a pointer copy. See docs/config.md, "Snapshots".

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string_view>
#include <utility>
#include <vector>

#include <arbiter/config/schema.hpp>
#include <arbiter/config/source.hpp>

namespace arbiter::inline v1 {

/// What a snapshot holds: the values, where each came from (by leaf index) and a version.
template <class Schema>
struct snapshot_data {
  Schema value;
  std::vector<value_origin> origins;
  std::uint64_t version = 0;  ///< unique across every store in the process; increases with each publish
};

/// A shared, immutable view of one loaded config: `snap->server.port`. Cheap to copy; keeps its values alive.
template <class Schema>
class snapshot {
 public:
  snapshot() = default;
  explicit snapshot(std::shared_ptr<const snapshot_data<Schema>> data) noexcept : data_(std::move(data)) {}

  [[nodiscard]] const Schema* operator->() const noexcept { return &data_->value; }
  [[nodiscard]] const Schema& operator*() const noexcept { return data_->value; }
  [[nodiscard]] const Schema* get() const noexcept { return data_ ? &data_->value : nullptr; }
  [[nodiscard]] explicit operator bool() const noexcept { return static_cast<bool>(data_); }

  /// Returns the version of this snapshot (higher is newer within one store).
  [[nodiscard]] std::uint64_t version() const noexcept { return data_->version; }

  /// Returns where each leaf's value came from, by leaf index (see schema_leaves).
  [[nodiscard]] const std::vector<value_origin>& origins() const noexcept { return data_->origins; }

  /// Returns where the value at `path` came from, or nullptr for an unknown path.
  [[nodiscard]] const value_origin* origin(std::string_view path) const noexcept {
    constexpr auto& leaves = schema_leaves<Schema>;
    for (std::size_t i = 0; i < leaves.size(); ++i) {
      if (leaves[i].path.view() == path) return &data_->origins[i];
    }
    return nullptr;
  }

  /// Returns a std::shared_ptr to the values that shares this snapshot's lifetime.
  [[nodiscard]] std::shared_ptr<const Schema> shared() const noexcept {
    return std::shared_ptr<const Schema>(data_, &data_->value);
  }

 private:
  std::shared_ptr<const snapshot_data<Schema>> data_;
};

namespace detail {

inline std::atomic<std::uint64_t> next_snapshot_version{1};
inline std::atomic<std::uint64_t> next_store_id{0};

inline constexpr std::size_t snapshot_cache_slots = 4;

template <class Schema>
struct snapshot_cache_slot {
  std::uint64_t version = 0;
  std::shared_ptr<const snapshot_data<Schema>> data;
};

/// Returns this thread's last snapshot per store (direct-mapped by store id); versions are process-unique, so
/// a slot filled by another store never matches. A function-local thread_local, not a variable template: with
/// an `inline thread_local` variable template, g++ 12 builds leaked each exited thread's last snapshot
/// (LeakSanitizer), i.e. its destructor did not run at thread exit.
template <class Schema>
[[nodiscard]] std::array<snapshot_cache_slot<Schema>, snapshot_cache_slots>& snapshot_cache() noexcept {
  thread_local std::array<snapshot_cache_slot<Schema>, snapshot_cache_slots> cache{};
  return cache;
}

}  // namespace detail

/// Publishes snapshots of `Schema` to any number of reader threads (see the file comment).
template <class Schema>
class snapshot_store {
 public:
  explicit snapshot_store(snapshot_data<Schema> first)
      : id_(detail::next_store_id.fetch_add(1, std::memory_order_relaxed)) {
    publish(std::move(first));
  }

  snapshot_store(const snapshot_store&) = delete;
  snapshot_store& operator=(const snapshot_store&) = delete;

  /// Returns the current snapshot. Never blocks while a reload reads or validates its sources.
  [[nodiscard]] snapshot<Schema> current() const {
    auto& slot = detail::snapshot_cache<Schema>()[id_ % detail::snapshot_cache_slots];
    if (slot.version == version_.load(std::memory_order_acquire)) return snapshot<Schema>(slot.data);
    std::shared_ptr<const snapshot_data<Schema>> data;
    {
      const std::lock_guard lock(mutex_);
      data = current_;
    }
    slot.version = data->version;
    slot.data = data;
    return snapshot<Schema>(std::move(data));
  }

  /// Returns the version of the current snapshot.
  [[nodiscard]] std::uint64_t version() const noexcept { return version_.load(std::memory_order_acquire); }

  /// Makes `data` the current snapshot, with a new version; returns it.
  snapshot<Schema> publish(snapshot_data<Schema> data) {
    data.version = detail::next_snapshot_version.fetch_add(1, std::memory_order_relaxed);
    auto shared = std::make_shared<const snapshot_data<Schema>>(std::move(data));
    std::shared_ptr<const snapshot_data<Schema>> old;
    {
      const std::lock_guard lock(mutex_);
      old = std::exchange(current_, shared);
      version_.store(shared->version, std::memory_order_release);
    }
    return snapshot<Schema>(std::move(shared));  // `old` is released outside the lock
  }

 private:
  std::uint64_t id_;
  std::atomic<std::uint64_t> version_{0};
  mutable std::mutex mutex_;
  std::shared_ptr<const snapshot_data<Schema>> current_;
};

}  // namespace arbiter::inline v1
