#pragma once

/// \file
/// detail::concat: builds an error message from text and integers, for headers that would otherwise include
/// {fmt}'s format.h and instantiate its formatting machinery in every translation unit (see docs/conventions.md,
/// compile time). The output is what fmt::format("{}") prints for these types.

#include <concepts>
#include <string>
#include <string_view>
#include <vector>

#include <arbiter/version.hpp>

namespace arbiter::inline v1::detail {

template <class T>
concept concat_part = std::convertible_to<const T&, std::string_view> ||
    (std::integral<T> && !std::same_as<T, bool> && !std::same_as<T, char>);

/// Returns the parts one after the other: text as it is, integers in decimal.
template <concat_part... Parts>
[[nodiscard]] std::string concat(const Parts&... parts) {
  std::string out;
  const auto append = [&out](const auto& part) {
    if constexpr (std::convertible_to<decltype(part), std::string_view>) {
      out.append(std::string_view(part));
    } else {
      out.append(std::to_string(part));
    }
  };
  (append(parts), ...);
  return out;
}

/// Returns `items` joined by `separator` ("a,b,c"): the one join of the log fields that list paths or fields.
[[nodiscard]] inline std::string join(const std::vector<std::string>& items, std::string_view separator = ",") {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out.append(separator);
    out.append(item);
  }
  return out;
}

}  // namespace arbiter::inline v1::detail
