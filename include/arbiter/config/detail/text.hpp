#pragma once

/// \file
/// Compile-time strings for the config area: string literals as template arguments (`field<"port">`) and
/// fixed-capacity text that consteval code can build (paths, environment variable names).

#include <cstddef>
#include <string_view>

#include <arbiter/detail/ascii.hpp>
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

}  // namespace arbiter::inline v1::detail
