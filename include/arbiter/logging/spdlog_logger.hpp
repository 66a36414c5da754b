#pragma once

/// \file
/// Adapts an spdlog logger to arbiter's Logger policy. Opt-in: needs spdlog (Debian's libspdlog-dev),
/// linked through its CMake target `spdlog::spdlog`. Fields are appended to the message in logfmt.

#include <memory>
#include <string_view>
#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <arbiter/detail/field_value.hpp>
#include <arbiter/logging/logger.hpp>

namespace arbiter::inline v1 {

/// Maps an arbiter level to spdlog's.
[[nodiscard]] constexpr spdlog::level::level_enum to_spdlog(log_level level) noexcept {
  switch (level) {
    case log_level::trace:
      return spdlog::level::trace;
    case log_level::debug:
      return spdlog::level::debug;
    case log_level::info:
      return spdlog::level::info;
    case log_level::warn:
      return spdlog::level::warn;
    case log_level::error:
      return spdlog::level::err;
    case log_level::critical:
      return spdlog::level::critical;
    case log_level::off:
      return spdlog::level::off;
  }
  return spdlog::level::off;
}

/// A Logger that forwards to an spdlog logger; level filtering is spdlog's own.
class spdlog_logger {
 public:
  /// Wraps spdlog's default logger.
  spdlog_logger() : logger_(spdlog::default_logger()) {}

  explicit spdlog_logger(std::shared_ptr<spdlog::logger> logger) : logger_(std::move(logger)) {}

  [[nodiscard]] bool enabled(log_level level) const noexcept {
    return level != log_level::off && logger_->should_log(to_spdlog(level));
  }

  template <class... T>
  void log(log_level level, std::string_view message, const log_field<T>&... fields) const {
    if (!enabled(level)) return;
    if constexpr (sizeof...(T) == 0) {
      logger_->log(to_spdlog(level), "{}", message);
    } else {
      fmt::memory_buffer text;
      text.append(message.data(), message.data() + message.size());
      ((text.push_back(' '), detail::append_logfmt_key(text, fields.key), text.push_back('='),
        detail::append_field_value(text, fields.value, detail::text_style::logfmt)),
       ...);
      logger_->log(to_spdlog(level), "{}", std::string_view(text.data(), text.size()));
    }
  }

  /// Returns the wrapped spdlog logger.
  [[nodiscard]] const std::shared_ptr<spdlog::logger>& underlying() const noexcept { return logger_; }

 private:
  std::shared_ptr<spdlog::logger> logger_;
};

static_assert(Logger<spdlog_logger>);

}  // namespace arbiter::inline v1
