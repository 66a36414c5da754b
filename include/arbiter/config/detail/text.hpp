#pragma once

/// \file
/// Compile-time strings for the config area: string literals as template arguments (`field<"port">`) and
/// fixed-capacity text that consteval code can build (paths, environment variable names).

#include <cstddef>
#include <string_view>

#include <arbiter/version.hpp>

namespace arbiter::inline v1::detail {

/// A string literal usable as a template argument: `template <fixed_string Name>`.
template <std::size_t N>
struct fixed_string {
  char chars[N]{};

  consteval fixed_string(const char (&text)[N]) {  // NOLINT(google-explicit-constructor): literal conversion
    for (std::size_t i = 0; i < N; ++i) chars[i] = text[i];
  }

  [[nodiscard]] constexpr std::string_view view() const noexcept { return {chars, N - 1}; }
};

/// Text of at most `Capacity` characters that constant evaluation can build and keep.
template <std::size_t Capacity>
struct static_text {
  char chars[Capacity + 1]{};
  std::size_t length = 0;

  /// Appends `text`; stops at the capacity (schema paths are far shorter, and a static_assert checks them).
  constexpr void append(std::string_view text) noexcept {
    for (const char c : text) {
      if (length == Capacity) return;
      chars[length++] = c;
    }
  }

  [[nodiscard]] constexpr std::string_view view() const noexcept { return {chars, length}; }
};

/// The longest path or environment variable name a schema may have.
inline constexpr std::size_t max_name_length = 160;

using name_text = static_text<max_name_length>;

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

/// True for the ASCII whitespace an environment variable or file value may carry around it.
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
