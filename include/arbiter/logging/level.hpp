#pragma once

/// \file
/// Severity levels shared by every Logger policy.

#include <cstdint>
#include <optional>
#include <string_view>

#include <arbiter/version.hpp>

namespace arbiter::inline v1 {

/// How severe a log record is; `off` is only a filter threshold, never a record's level.
enum class log_level : std::uint8_t { trace, debug, info, warn, error, critical, off };

/// Returns the lowercase name of a level ("info", "warn", ...).
[[nodiscard]] constexpr std::string_view to_string(log_level level) noexcept {
  switch (level) {
    case log_level::trace:
      return "trace";
    case log_level::debug:
      return "debug";
    case log_level::info:
      return "info";
    case log_level::warn:
      return "warn";
    case log_level::error:
      return "error";
    case log_level::critical:
      return "critical";
    case log_level::off:
      return "off";
  }
  return "unknown";
}

/// Parses a level name (case-insensitive; "warning" and "fatal" are accepted as aliases).
[[nodiscard]] constexpr std::optional<log_level> parse_log_level(std::string_view text) noexcept {
  constexpr auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
  const auto equals = [&](std::string_view name) {
    if (name.size() != text.size()) return false;
    for (std::size_t i = 0; i < name.size(); ++i) {
      if (lower(text[i]) != name[i]) return false;
    }
    return true;
  };
  if (equals("trace")) return log_level::trace;
  if (equals("debug")) return log_level::debug;
  if (equals("info")) return log_level::info;
  if (equals("warn") || equals("warning")) return log_level::warn;
  if (equals("error")) return log_level::error;
  if (equals("critical") || equals("fatal")) return log_level::critical;
  if (equals("off")) return log_level::off;
  return std::nullopt;
}

}  // namespace arbiter::inline v1
