#pragma once

/// \file
/// How config learns an enum's names: an ADL function `enum_entries(E)` next to the enum, returning
/// a std::array of `arbiter::enum_entry<E>`. Names are matched case-insensitively when parsing.
///
///   enum class color { red, green };
///   constexpr auto enum_entries(color) {
///     return std::array{arbiter::enum_entry<color>{color::red, "red"}, arbiter::enum_entry<color>{color::green,
///     "green"}};
///   }

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include <arbiter/config/detail/text.hpp>
#include <arbiter/logging/level.hpp>

namespace arbiter::inline v1 {

/// One enumerator and the name config files and environment variables use for it.
template <class E>
struct enum_entry {
  E value;
  std::string_view name;
};

/// Names the log levels, so that a config field can hold an arbiter::log_level.
[[nodiscard]] constexpr auto enum_entries(log_level /*tag*/) noexcept {
  using e = enum_entry<log_level>;
  return std::array{e{log_level::trace, "trace"}, e{log_level::debug, "debug"}, e{log_level::info, "info"},
                    e{log_level::warn, "warn"},   e{log_level::error, "error"}, e{log_level::critical, "critical"},
                    e{log_level::off, "off"}};
}

/// An enum that config can read: it has an ADL `enum_entries(E)`.
template <class E>
concept named_enum = std::is_enum_v<E> && requires(E e) {
  enum_entries(e)[0].name;
  enum_entries(e).size();
};

/// Returns the name of `value`, or an empty view for a value without one.
template <named_enum E>
[[nodiscard]] constexpr std::string_view enum_name(E value) noexcept {
  for (const auto& entry : enum_entries(E{})) {
    if (entry.value == value) return entry.name;
  }
  return {};
}

/// Finds the enumerator named `text`, ignoring ASCII case.
template <named_enum E>
[[nodiscard]] constexpr std::optional<E> enum_from_name(std::string_view text) noexcept {
  for (const auto& entry : enum_entries(E{})) {
    if (detail::iequals(entry.name, text)) return entry.value;
  }
  return std::nullopt;
}

/// Returns every name of `E` joined by `separator` ("development, staging, production").
template <named_enum E>
[[nodiscard]] std::string enum_name_list(std::string_view separator = ", ") {
  std::string out;
  for (const auto& entry : enum_entries(E{})) {
    if (!out.empty()) out.append(separator);
    out.append(entry.name);
  }
  return out;
}

}  // namespace arbiter::inline v1
