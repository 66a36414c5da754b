#pragma once

/// \file
/// ASCII text helpers shared by every area that reads text (config values, HTTP header names, check names).
/// Locale-free and constexpr, so they work in constant evaluation too.

#include <cstddef>
#include <string_view>

#include <arbiter/version.hpp>

namespace arbiter::inline v1::detail {

/// Returns `c` in upper case (ASCII).
[[nodiscard]] constexpr char ascii_upper(char c) noexcept {
  return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}

/// Returns `c` in lower case (ASCII).
[[nodiscard]] constexpr char ascii_lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

/// True when `a` and `b` are equal ignoring ASCII case.
[[nodiscard]] constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

/// True for ASCII whitespace (space, tab, newline, carriage return, form feed, vertical tab).
[[nodiscard]] constexpr bool is_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/// Returns `text` without leading and trailing ASCII whitespace.
[[nodiscard]] constexpr std::string_view trim(std::string_view text) noexcept {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

}  // namespace arbiter::inline v1::detail
