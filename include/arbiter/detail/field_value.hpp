#pragma once

/// \file
/// Turns a structured field's value into logfmt or JSON text. Shared by every Logger that writes text.

#include <charconv>
#include <concepts>
#include <iterator>
#include <string>
#include <string_view>
#include <type_traits>

#include <fmt/core.h>

#include <arbiter/detail/chrono.hpp>
#include <arbiter/detail/float_math.hpp>
#include <arbiter/detail/json_text.hpp>

namespace arbiter::inline v1::detail {

enum class text_style : unsigned char { logfmt, json };

template <class T>
concept string_like =
    std::convertible_to<const T&, std::string_view> && !std::is_same_v<std::decay_t<T>, std::nullptr_t>;

template <class T>
concept has_adl_to_string = std::is_enum_v<T> && requires(const T& value) {
  { to_string(value) } -> std::convertible_to<std::string_view>;
};

template <class T>
struct is_duration : std::false_type {};
template <class Rep, class Period>
struct is_duration<std::chrono::duration<Rep, Period>> : std::true_type {};

/// Returns the unit suffix of a std::chrono period ("ns", "ms", "s", ...), or an empty view for odd periods.
template <class Period>
[[nodiscard]] constexpr std::string_view duration_suffix() noexcept {
  if constexpr (std::is_same_v<Period, std::nano>)
    return "ns";
  else if constexpr (std::is_same_v<Period, std::micro>)
    return "us";
  else if constexpr (std::is_same_v<Period, std::milli>)
    return "ms";
  else if constexpr (std::is_same_v<Period, std::ratio<1>>)
    return "s";
  else if constexpr (std::is_same_v<Period, std::ratio<60>>)
    return "min";
  else if constexpr (std::is_same_v<Period, std::ratio<3600>>)
    return "h";
  else
    return {};
}

template <class Buffer>
void append_text(Buffer& out, std::string_view text, text_style style) {
  if (style == text_style::json) {
    append_json_string(out, text);
  } else {
    append_logfmt_value(out, text);
  }
}

/// True for values written bare (numbers and booleans); everything else is text.
template <class T>
inline constexpr bool is_bare_value = std::is_arithmetic_v<T> && !std::is_same_v<T, char>;

/// Appends a number or boolean as its shortest decimal text.
template <class Buffer, class T>
requires is_bare_value<T>
void append_bare(Buffer& out, const T& value) {
  if constexpr (std::is_same_v<T, bool>) {
    const std::string_view text = value ? "true" : "false";
    out.append(text.data(), text.data() + text.size());
  } else if constexpr (std::is_integral_v<T>) {
    char buffer[24];  // the longest 64-bit integer is 20 digits and a sign
    out.append(buffer, std::to_chars(buffer, buffer + sizeof buffer, value).ptr);
  } else {
    // {fmt}'s shortest form ("0.5", "1e+20"), through the compiled vformat: format_to into an arbitrary buffer
    // would need <fmt/format.h>, and with <fmt/core.h> alone clang links it against a symbol libfmt lacks.
    const std::string text = fmt::format("{}", value);
    out.append(text.data(), text.data() + text.size());
  }
}

/// Returns a non-numeric value as plain, unquoted text.
template <class T>
[[nodiscard]] std::string plain_text(const T& value) {
  if constexpr (std::is_same_v<T, char>) {
    return std::string(1, value);
  } else if constexpr (string_like<T>) {
    return std::string(std::string_view(value));
  } else if constexpr (is_duration<T>::value) {
    if constexpr (!duration_suffix<typename T::period>().empty()) {
      return fmt::format("{}{}", value.count(), duration_suffix<typename T::period>());
    } else {  // an unusual period: say it in nanoseconds
      return fmt::format("{}ns", std::chrono::duration_cast<std::chrono::duration<double, std::nano>>(value).count());
    }
  } else if constexpr (has_adl_to_string<T>) {
    return std::string(std::string_view(to_string(value)));
  } else if constexpr (std::is_enum_v<T>) {
    return fmt::format("{}", static_cast<std::underlying_type_t<T>>(value));
  } else {
    static_assert(fmt::is_formattable<T>::value,
                  "====> arbiter: a log field's value must be a number, bool, string, std::chrono duration, "
                  "an enum with an ADL to_string(), or a type {fmt} can format.");
    return fmt::format("{}", value);
  }
}

/// Appends `value` in `style`: numbers and booleans bare, everything else as a (quoted when needed) string.
/// Non-finite floating point values are, in JSON, which has no literal for them, the strings every arbiter JSON
/// writer uses (json_non_finite: "NaN", "Infinity", "-Infinity").
template <class Buffer, class T>
void append_field_value(Buffer& out, const T& value, text_style style) {
  if constexpr (std::is_floating_point_v<T>) {
    if (style == text_style::json && !detail::is_finite(value)) {
      const std::string_view text = json_non_finite(static_cast<double>(value));
      out.append(text.data(), text.data() + text.size());
      return;
    }
  }
  if constexpr (is_bare_value<T>) {
    append_bare(out, value);
  } else if constexpr (string_like<T>) {
    append_text(out, std::string_view(value), style);
  } else {
    append_text(out, plain_text(value), style);
  }
}

/// Returns `value` as plain text (strings unquoted, numbers in decimal), the way a recording sink stores it.
template <class T>
[[nodiscard]] std::string field_text(const T& value) {
  if constexpr (is_bare_value<T>) {
    std::string out;
    append_bare(out, value);
    return out;
  } else {
    return plain_text(value);
  }
}

}  // namespace arbiter::inline v1::detail
