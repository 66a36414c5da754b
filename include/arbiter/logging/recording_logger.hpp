#pragma once

/// \file
/// A Logger for tests: keeps every record in memory, thread-safe, with the fields as text.

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <arbiter/detail/field_value.hpp>
#include <arbiter/logging/logger.hpp>

namespace arbiter::inline v1 {

/// One record kept by a recording_logger.
struct log_record {
  log_level level{};
  std::string message;
  std::vector<std::pair<std::string, std::string>> fields;  ///< values as plain text, in call order

  /// Returns the value of field `key`, if the record has one.
  [[nodiscard]] std::optional<std::string> field(std::string_view key) const {
    for (const auto& [k, v] : fields) {
      if (k == key) return v;
    }
    return std::nullopt;
  }
};

/// Keeps records in memory. Copies share the store, so a test keeps one copy and hands another to the part.
class recording_logger {
 public:
  explicit recording_logger(log_level level = log_level::trace) : state_(std::make_shared<state>(level)) {}

  [[nodiscard]] bool enabled(log_level level) const noexcept {
    return level != log_level::off && level >= state_->level.load(std::memory_order_relaxed);
  }

  void set_level(log_level level) noexcept { state_->level.store(level, std::memory_order_relaxed); }

  template <class... T>
  void log(log_level level, std::string_view message, const log_field<T>&... fields) const {
    if (!enabled(level)) return;
    log_record record{level, std::string(message), {}};
    record.fields.reserve(sizeof...(T));
    (record.fields.emplace_back(std::string(fields.key), detail::field_text(fields.value)), ...);
    const std::lock_guard lock(state_->mutex);
    state_->records.push_back(std::move(record));
  }

  /// Returns a copy of every record so far, oldest first.
  [[nodiscard]] std::vector<log_record> records() const {
    const std::lock_guard lock(state_->mutex);
    return state_->records;
  }

  /// Returns how many records were kept.
  [[nodiscard]] std::size_t size() const {
    const std::lock_guard lock(state_->mutex);
    return state_->records.size();
  }

  /// Returns how many records have exactly this message.
  [[nodiscard]] std::size_t count(std::string_view message) const {
    const std::lock_guard lock(state_->mutex);
    return static_cast<std::size_t>(std::count_if(state_->records.begin(), state_->records.end(),
                                                  [&](const log_record& r) { return r.message == message; }));
  }

  /// Returns the most recent record with this message, if any.
  [[nodiscard]] std::optional<log_record> last(std::string_view message) const {
    const std::lock_guard lock(state_->mutex);
    for (auto it = state_->records.rbegin(); it != state_->records.rend(); ++it) {
      if (it->message == message) return *it;
    }
    return std::nullopt;
  }

  /// Forgets every record.
  void clear() const {
    const std::lock_guard lock(state_->mutex);
    state_->records.clear();
  }

 private:
  struct state {
    explicit state(log_level l) : level(l) {}
    std::atomic<log_level> level;
    mutable std::mutex mutex;
    std::vector<log_record> records;
  };
  std::shared_ptr<state> state_;
};

static_assert(Logger<recording_logger>);

}  // namespace arbiter::inline v1
