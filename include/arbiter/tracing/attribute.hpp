#pragma once

/// \file
/// Typed span attributes: string, int64, double, bool. A non-owning view for the call, an owning value for storage.

#include <concepts>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

#include <arbiter/version.hpp>

namespace arbiter::inline v1 {

/// The type an attribute holds.
enum class attribute_type : unsigned char { string, int64, float64, boolean };

/// A non-owning attribute value. Integers become int64 (unsigned values above INT64_MAX saturate),
/// floating point becomes double, and anything convertible to std::string_view is a string:
/// `span.set_attribute("http.method", "GET")` stores a string, never the bool a `const char*` would decay to.
class attribute_view {
 public:
  constexpr attribute_view(bool value) noexcept : type_(attribute_type::boolean), bool_(value) {}  // NOLINT

  template <std::integral T>
  requires(!std::same_as<T, bool> && !std::same_as<T, char>) constexpr attribute_view(T value) noexcept
      : type_(attribute_type::int64), int_(saturate(value)) {}  // NOLINT

  template <std::floating_point T>
  constexpr attribute_view(T value) noexcept
      : type_(attribute_type::float64), double_(static_cast<double>(value)) {}  // NOLINT

  template <class T>
  requires(std::convertible_to<const T&, std::string_view> &&
           !std::same_as<std::decay_t<T>, std::nullptr_t>) constexpr attribute_view(const T& value) noexcept
      : type_(attribute_type::string), string_(value) {}  // NOLINT

  [[nodiscard]] constexpr attribute_type type() const noexcept { return type_; }
  [[nodiscard]] constexpr std::string_view as_string() const noexcept { return string_; }
  [[nodiscard]] constexpr std::int64_t as_int64() const noexcept { return int_; }
  [[nodiscard]] constexpr double as_double() const noexcept { return double_; }
  [[nodiscard]] constexpr bool as_bool() const noexcept { return bool_; }

 private:
  template <class T>
  static constexpr std::int64_t saturate(T value) noexcept {
    if constexpr (std::is_unsigned_v<T> && sizeof(T) >= sizeof(std::int64_t)) {
      constexpr auto max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
      return value > max ? std::numeric_limits<std::int64_t>::max() : static_cast<std::int64_t>(value);
    } else {
      return static_cast<std::int64_t>(value);
    }
  }

  attribute_type type_;
  std::string_view string_{};
  std::int64_t int_ = 0;
  double double_ = 0.0;
  bool bool_ = false;
};

/// A key with a non-owning value, as passed to trace() and span starts.
struct attribute {
  std::string_view key;
  attribute_view value;
};

/// Makes an attribute: `trace(tracer, "load", fn, attr("user.id", id))`.
[[nodiscard]] constexpr attribute attr(std::string_view key, attribute_view value) noexcept { return {key, value}; }

/// An owning attribute value, as recorders and exporters store it.
using attribute_value = std::variant<std::string, std::int64_t, double, bool>;

/// Copies a view into an owning value.
[[nodiscard]] inline attribute_value to_value(attribute_view view) {
  switch (view.type()) {
    case attribute_type::string:
      return std::string(view.as_string());
    case attribute_type::int64:
      return view.as_int64();
    case attribute_type::float64:
      return view.as_double();
    case attribute_type::boolean:
      return view.as_bool();
  }
  return std::string();
}

}  // namespace arbiter::inline v1
