#pragma once

/// \file
/// Typed span attributes: string, int64, double, bool and arrays of each. A non-owning view for the call,
/// an owning value for storage.

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include <arbiter/version.hpp>

namespace arbiter::inline v1 {

/// The type an attribute holds.
enum class attribute_type : unsigned char {
  string,
  int64,
  float64,
  boolean,
  string_array,
  int64_array,
  float64_array,
  boolean_array
};

/// A non-owning attribute value. Integers become int64 (unsigned values above INT64_MAX saturate),
/// floating point becomes double, and anything convertible to std::string_view is a string:
/// `span.set_attribute("http.method", "GET")` stores a string, never the bool a `const char*` would decay to.
/// Arrays are contiguous ranges of std::string_view, std::string, std::int64_t, double or bool
/// (`std::vector<std::int64_t>`, `std::array<std::string_view, 3>`, ...), viewed, not copied.
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

  template <class R>
  requires(!std::convertible_to<const R&, std::string_view> &&
           std::constructible_from<std::span<const std::string_view>,
                                   const R&>) constexpr attribute_view(const R& values) noexcept  // NOLINT
      : type_(attribute_type::string_array),
        array_{std::span<const std::string_view>(values).data(), std::span<const std::string_view>(values).size(),
               false} {}

  template <class R>
  requires(!std::convertible_to<const R&, std::string_view> &&
           std::constructible_from<std::span<const std::string>,
                                   const R&>) constexpr attribute_view(const R& values) noexcept  // NOLINT
      : type_(attribute_type::string_array),
        array_{std::span<const std::string>(values).data(), std::span<const std::string>(values).size(), true} {}

  template <class R>
  requires std::constructible_from < std::span<const std::int64_t>,
  const R& > constexpr attribute_view(const R& values) noexcept  // NOLINT
      : type_(attribute_type::int64_array),
  array_{std::span<const std::int64_t>(values).data(), std::span<const std::int64_t>(values).size(), false} {}

  template <class R>
  requires std::constructible_from < std::span<const double>,
  const R& > constexpr attribute_view(const R& values) noexcept  // NOLINT
      : type_(attribute_type::float64_array),
  array_{std::span<const double>(values).data(), std::span<const double>(values).size(), false} {}

  template <class R>
  requires std::constructible_from < std::span<const bool>,
  const R& > constexpr attribute_view(const R& values) noexcept  // NOLINT
      : type_(attribute_type::boolean_array),
  array_{std::span<const bool>(values).data(), std::span<const bool>(values).size(), false} {}

  [[nodiscard]] constexpr attribute_type type() const noexcept { return type_; }
  [[nodiscard]] constexpr std::string_view as_string() const noexcept {
    return type_ == attribute_type::string ? string_ : std::string_view();
  }
  [[nodiscard]] constexpr std::int64_t as_int64() const noexcept { return type_ == attribute_type::int64 ? int_ : 0; }
  [[nodiscard]] constexpr double as_double() const noexcept { return type_ == attribute_type::float64 ? double_ : 0.0; }
  [[nodiscard]] constexpr bool as_bool() const noexcept { return type_ == attribute_type::boolean && bool_; }
  [[nodiscard]] std::span<const std::int64_t> as_int64_array() const noexcept {
    if (type_ != attribute_type::int64_array) return {};
    return {static_cast<const std::int64_t*>(array_.data), array_.size};
  }
  [[nodiscard]] std::span<const double> as_double_array() const noexcept {
    if (type_ != attribute_type::float64_array) return {};
    return {static_cast<const double*>(array_.data), array_.size};
  }
  [[nodiscard]] std::span<const bool> as_bool_array() const noexcept {
    if (type_ != attribute_type::boolean_array) return {};
    return {static_cast<const bool*>(array_.data), array_.size};
  }

  /// Returns the number of elements of a string array (held as string_views or as strings).
  [[nodiscard]] constexpr std::size_t string_array_size() const noexcept {
    return type_ == attribute_type::string_array ? array_.size : 0;
  }
  /// Returns element `i` of a string array.
  [[nodiscard]] std::string_view string_array_at(std::size_t i) const noexcept {
    if (array_.strings) return static_cast<const std::string*>(array_.data)[i];
    return static_cast<const std::string_view*>(array_.data)[i];
  }

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

  struct array_ref {
    const void* data;
    std::size_t size;
    bool strings;  ///< elements are std::string rather than std::string_view
  };

  attribute_type type_;
  union {
    std::string_view string_;
    std::int64_t int_;
    double double_;
    bool bool_;
    array_ref array_;
  };
};

/// A key with a non-owning value, as passed to trace() and span starts.
struct attribute {
  std::string_view key;
  attribute_view value;
};

/// Makes an attribute: `trace(tracer, "load", fn, attr("user.id", id))`.
[[nodiscard]] constexpr attribute attr(std::string_view key, attribute_view value) noexcept { return {key, value}; }

/// An owning attribute value, as recorders and exporters store it.
using attribute_value = std::variant<std::string, std::int64_t, double, bool, std::vector<std::string>,
                                     std::vector<std::int64_t>, std::vector<double>, std::vector<bool>>;

/// Copies a view into an owning value. (This and assign_value are templates only so that std::variant's
/// machinery is instantiated where they are called, not in every translation unit that includes a tracer.)
template <std::convertible_to<attribute_view> View>
[[nodiscard]] attribute_value to_value(const View& given) {
  const attribute_view view(given);
  switch (view.type()) {
    case attribute_type::string:
      return std::string(view.as_string());
    case attribute_type::int64:
      return view.as_int64();
    case attribute_type::float64:
      return view.as_double();
    case attribute_type::boolean:
      return view.as_bool();
    case attribute_type::string_array: {
      std::vector<std::string> values;
      values.reserve(view.string_array_size());
      for (std::size_t i = 0; i < view.string_array_size(); ++i) values.emplace_back(view.string_array_at(i));
      return values;
    }
    case attribute_type::int64_array:
      return std::vector<std::int64_t>(view.as_int64_array().begin(), view.as_int64_array().end());
    case attribute_type::float64_array:
      return std::vector<double>(view.as_double_array().begin(), view.as_double_array().end());
    case attribute_type::boolean_array:
      return std::vector<bool>(view.as_bool_array().begin(), view.as_bool_array().end());
  }
  return std::string();
}

/// Copies a view into `slot`, reusing the storage `slot` already owns when the types match.
template <std::convertible_to<attribute_view> View>
void assign_value(attribute_value& slot, const View& given) {
  const attribute_view view(given);
  switch (view.type()) {
    case attribute_type::string:
      if (auto* text = std::get_if<std::string>(&slot)) {
        text->assign(view.as_string());
        return;
      }
      break;
    case attribute_type::int64:
      slot.emplace<std::int64_t>(view.as_int64());
      return;
    case attribute_type::float64:
      slot.emplace<double>(view.as_double());
      return;
    case attribute_type::boolean:
      slot.emplace<bool>(view.as_bool());
      return;
    default:
      break;
  }
  slot = to_value(view);
}

}  // namespace arbiter::inline v1
