#pragma once

/// \file
/// Check names as compile-time strings, and the `component:measurement` key grammar they must follow.
///
/// A name is the key of the check in the health+json `checks` object (draft-inadarei-api-health-check):
/// `component` or `component:measurement`, each part one or more of `A-Z a-z 0-9 _ - .`, at most one colon.
/// Examples: "postgres:connections", "cpu:utilization", "uptime".

#include <cstddef>
#include <string_view>

#include <arbiter/version.hpp>

namespace arbiter::inline v1 {

/// A string literal usable as a template argument: `arbiter::make_check<"db:ping">(fn)`.
template <std::size_t N>
struct check_name {
  char value[N]{};

  /// Copies a string literal (N counts its terminating zero).
  consteval check_name(const char (&text)[N]) noexcept {  // NOLINT: implicit from a literal is the point
    for (std::size_t i = 0; i < N; ++i) value[i] = text[i];
  }

  /// Returns the name without its terminating zero.
  [[nodiscard]] constexpr std::string_view view() const noexcept { return {value, N - 1}; }
};

namespace detail {

[[nodiscard]] constexpr bool is_check_name_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
}

/// Returns true if `name` follows the `component[:measurement]` grammar of the file comment.
[[nodiscard]] constexpr bool valid_check_name(std::string_view name) noexcept {
  if (name.empty() || name.size() > 128) return false;
  std::size_t colons = 0;
  std::size_t part_length = 0;
  for (const char c : name) {
    if (c == ':') {
      if (part_length == 0 || ++colons > 1) return false;
      part_length = 0;
    } else if (is_check_name_char(c)) {
      ++part_length;
    } else {
      return false;
    }
  }
  return part_length > 0;
}

/// Explains why `name` breaks the grammar, for runtime-registered names (dynamic_checks).
[[nodiscard]] constexpr std::string_view check_name_problem(std::string_view name) noexcept {
  if (name.empty()) return "is empty";
  if (name.size() > 128) return "is longer than 128 characters";
  std::size_t colons = 0;
  std::size_t part_length = 0;
  for (const char c : name) {
    if (c == ':') {
      if (part_length == 0) return "has an empty component before ':'";
      if (++colons > 1) return "has more than one ':'";
      part_length = 0;
    } else if (!is_check_name_char(c)) {
      return "contains a character outside A-Z a-z 0-9 _ - . and one ':'";
    } else {
      ++part_length;
    }
  }
  if (part_length == 0) return "has an empty measurement after ':'";
  return {};
}

}  // namespace detail

}  // namespace arbiter::inline v1
