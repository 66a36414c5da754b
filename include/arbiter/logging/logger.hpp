#pragma once

/// \file
/// The Logger policy: a concept, structured key/value fields, and a compile-time check with a readable message.
///
/// A Logger has two members:
///   bool enabled(arbiter::log_level) const noexcept;          // cheap filter, checked before any formatting
///   void log(arbiter::log_level, std::string_view message, arbiter::log_field<T>... fields);
/// Loggers are handles: copies share one sink, so every part of a service can hold its own copy by value.

#include <concepts>
#include <cstdint>
#include <string_view>

#include <arbiter/logging/level.hpp>

namespace arbiter::inline v1 {

/// One structured key/value pair of a log record. Holds a reference: build it inside the log call.
template <class T>
struct log_field {
  std::string_view key;
  const T& value;
};

/// Makes a structured field: `logger.log(log_level::info, "breaker opened", kv("breaker", name))`.
template <class T>
[[nodiscard]] constexpr log_field<T> kv(std::string_view key, const T& value) noexcept {
  return log_field<T>{key, value};
}

namespace detail {

template <class L>
concept logger_has_enabled = requires(const L& logger, log_level level) {
  { logger.enabled(level) }
  noexcept->std::convertible_to<bool>;
};

template <class L>
concept logger_has_log = requires(L& logger, log_level level, std::string_view message, std::int64_t i,
                                  std::string_view s, double d, bool b) {
  logger.log(level, message);
  logger.log(level, message, kv("int", i), kv("string", s), kv("double", d), kv("bool", b));
};

}  // namespace detail

/// A Logger policy (see the file comment for the two members it needs).
template <class L>
concept Logger = detail::logger_has_enabled<L> && detail::logger_has_log<L> && std::copy_constructible<L>;

/// Checks that `L` is a Logger and names what is missing if it is not. Use as `static_assert(assert_logger<L>())`.
template <class L>
consteval bool assert_logger() {
  static_assert(detail::logger_has_enabled<L>,
                "====> arbiter: the Logger policy lacks `bool enabled(arbiter::log_level) const noexcept`; "
                "write one, or use arbiter::null_logger to log nothing.");
  static_assert(detail::logger_has_log<L>,
                "====> arbiter: the Logger policy lacks `void log(arbiter::log_level, std::string_view message, "
                "arbiter::log_field<T>... fields)` for int64, string_view, double and bool fields.");
  static_assert(std::copy_constructible<L>,
                "====> arbiter: the Logger policy must be copyable (a handle to a shared sink).");
  return true;
}

}  // namespace arbiter::inline v1
