#pragma once

/// \file
/// Value parsers: text (from an environment variable, a command-line override or a file) into a typed value.
/// Every parser is strict: no silent overflow, truncation or guessing. A failure is a phrase that follows the
/// offending value in an error line ("is above the maximum 65535"), so callers can add the path and the source.

#include <charconv>
#include <concepts>
#include <cstdint>
#include <limits>
#include <optional>
#include <ratio>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include <arbiter/config/byte_size.hpp>
#include <arbiter/config/detail/text.hpp>
#include <arbiter/config/enum_names.hpp>
#include <arbiter/config/secret.hpp>
#include <arbiter/detail/chrono.hpp>
#include <arbiter/detail/float_math.hpp>

namespace arbiter::inline v1 {

/// How a field reads a number without a unit. Durations reject bare numbers unless the field names a unit
/// (`arbiter::bare_unit<std::chrono::milliseconds>`), so "5000" is never silently read as seconds.
struct parse_options {
  std::intmax_t bare_unit_num = 0;  ///< the unit's period in seconds, num/den; num == 0 rejects bare numbers
  std::intmax_t bare_unit_den = 1;
  bool quote_input = true;  ///< false for secrets: a problem never repeats part of the value (an unknown unit)
};

/// A parse failure: a phrase that follows the offending value ("is not an integer"), or nothing on success.
using parse_problem = std::optional<std::string>;

namespace detail {

template <class T>
inline constexpr bool is_vector_v = false;
template <class T, class A>
inline constexpr bool is_vector_v<std::vector<T, A>> = true;

template <class T>
inline constexpr bool is_optional_v = false;
template <class T>
inline constexpr bool is_optional_v<std::optional<T>> = true;

template <class T>
inline constexpr bool is_chrono_duration_v = false;
template <class R, class P>
inline constexpr bool is_chrono_duration_v<std::chrono::duration<R, P>> = true;

template <class T>
concept config_integer =
    std::integral<T> && !std::same_as<T, bool> && !std::same_as<T, char> && !std::same_as<T, char8_t> &&
    !std::same_as<T, char16_t> && !std::same_as<T, char32_t> && !std::same_as<T, wchar_t>;

/// Appends an integer in decimal.
template <class T>
void append_integer(std::string& out, T value) {
  char buf[24];
  const auto result = std::to_chars(buf, buf + sizeof buf, value);
  out.append(buf, result.ptr);
}

template <class T>
[[nodiscard]] std::string integer_text(T value) {
  std::string out;
  append_integer(out, value);
  return out;
}

/// Returns the shortest text that reads back as `value`.
template <std::floating_point T>
[[nodiscard]] std::string float_text(T value) {
  char buf[64];
  const auto result = std::to_chars(buf, buf + sizeof buf, value);
  return std::string(buf, result.ptr);
}

/// Returns the plural English name of a chrono period ("milliseconds"), used in "is not a whole number of ...".
template <class Period>
[[nodiscard]] constexpr std::string_view period_name() noexcept {
  if constexpr (std::is_same_v<Period, std::nano>)
    return "nanoseconds";
  else if constexpr (std::is_same_v<Period, std::micro>)
    return "microseconds";
  else if constexpr (std::is_same_v<Period, std::milli>)
    return "milliseconds";
  else if constexpr (std::is_same_v<Period, std::ratio<1>>)
    return "seconds";
  else if constexpr (std::is_same_v<Period, std::ratio<60>>)
    return "minutes";
  else if constexpr (std::is_same_v<Period, std::ratio<3600>>)
    return "hours";
  else if constexpr (std::is_same_v<Period, std::ratio<86400>>)
    return "days";
  else
    return "ticks of this field's unit";
}

/// A decimal number with an optional fraction, as written before a unit: "1", "1.5", "250".
struct decimal {
  std::uint64_t whole = 0;
  std::uint64_t fraction = 0;        ///< the digits after the point, as an integer
  std::uint64_t fraction_scale = 1;  ///< 10^(number of fraction digits)
};

/// Reads a decimal at `pos`; false when there is no digit or it does not fit.
[[nodiscard]] constexpr bool read_decimal(std::string_view text, std::size_t& pos, decimal& out,
                                          bool& overflow) noexcept {
  const std::size_t start = pos;
  overflow = false;
  while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
    const auto digit = static_cast<std::uint64_t>(text[pos] - '0');
    if (out.whole > (std::numeric_limits<std::uint64_t>::max() - digit) / 10)
      overflow = true;
    else
      out.whole = out.whole * 10 + digit;
    ++pos;
  }
  const bool had_whole = pos > start;
  if (pos < text.size() && text[pos] == '.') {
    const std::size_t dot = pos++;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (out.fraction_scale >= 1'000'000'000'000'000'000ULL) {
        overflow = true;
      } else {
        out.fraction = out.fraction * 10 + static_cast<std::uint64_t>(text[pos] - '0');
        out.fraction_scale *= 10;
      }
      ++pos;
    }
    if (pos == dot + 1) return false;  // "5." has no fraction digits
  }
  return had_whole || pos > start + 1;
}

/// Multiplies a decimal by an integer factor exactly; nullopt when it overflows or is not whole.
[[nodiscard]] constexpr std::optional<std::uint64_t> scale_decimal(const decimal& d, std::uint64_t factor,
                                                                   bool& not_whole) noexcept {
  not_whole = false;
  std::uint64_t whole = 0;
  if (__builtin_mul_overflow(d.whole, factor, &whole)) return std::nullopt;
  if (d.fraction == 0) return whole;
  std::uint64_t frac = 0;
  if (__builtin_mul_overflow(d.fraction, factor, &frac)) return std::nullopt;
  if (frac % d.fraction_scale != 0) {
    not_whole = true;
    return std::nullopt;
  }
  std::uint64_t total = 0;
  if (__builtin_add_overflow(whole, frac / d.fraction_scale, &total)) return std::nullopt;
  return total;
}

[[nodiscard]] constexpr bool is_letter(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

inline constexpr std::string_view duration_example = "a duration like 250ms, 5s, 1m30s or 2h";

/// Returns the nanoseconds in one `unit` ("ms" -> 1e6), or 0 for an unknown unit. Units are case-sensitive
/// ("m" is a minute, "M" is not a unit), since "ms" and "Ms" would otherwise be a trap.
[[nodiscard]] constexpr std::uint64_t duration_unit_ns(std::string_view unit) noexcept {
  if (unit == "ns") return 1;
  if (unit == "us") return 1'000;
  if (unit == "ms") return 1'000'000;
  if (unit == "s") return 1'000'000'000;
  if (unit == "m" || unit == "min") return 60'000'000'000;
  if (unit == "h") return 3'600'000'000'000;
  if (unit == "d") return 86'400'000'000'000;
  return 0;
}

}  // namespace detail

/// Parses an integer of type T: decimal, optional sign, surrounding whitespace ignored. Rejects fractions,
/// exponents ("1e3"), negative values for unsigned types and anything outside T's range.
template <detail::config_integer T>
[[nodiscard]] parse_problem parse_integer(std::string_view text, T& out) {
  std::string_view s = detail::trim(text);
  const std::string_view expected = std::is_signed_v<T> ? "an integer" : "an unsigned integer";
  if (s.empty()) return "is empty, expected " + std::string(expected);
  if (s.size() > 1 && s.front() == '+' && s[1] >= '0' && s[1] <= '9') s.remove_prefix(1);
  const bool negative = s.front() == '-';
  if constexpr (std::is_unsigned_v<T>) {
    if (negative) {
      std::intmax_t probe = 0;
      const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), probe);
      if ((ec == std::errc{} || ec == std::errc::result_out_of_range) && ptr == s.data() + s.size()) {
        if (ec == std::errc{} && probe == 0) {
          out = 0;
          return std::nullopt;
        }
        return std::string("is negative, expected ") + std::string(expected);
      }
      return "is not " + std::string(expected);
    }
  }
  T value{};
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec == std::errc::result_out_of_range) {
    // from_chars stops at the first non-digit even when out of range: "99999999999x" is not a number at all.
    std::size_t i = negative ? 1 : 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    if (i != s.size()) return "is not " + std::string(expected);
    if (negative) return "is below the minimum " + detail::integer_text(std::numeric_limits<T>::min());
    return "is above the maximum " + detail::integer_text(std::numeric_limits<T>::max());
  }
  if (ec != std::errc{} || ptr != s.data() + s.size()) return "is not " + std::string(expected);
  out = value;
  return std::nullopt;
}

/// Parses a finite floating point number ("0.25", "1e-3"); rejects "nan", "inf" and out-of-range values.
template <std::floating_point T>
[[nodiscard]] parse_problem parse_float(std::string_view text, T& out) {
  std::string_view s = detail::trim(text);
  if (s.empty()) return "is empty, expected a number";
  if (s.size() > 1 && s.front() == '+' && ((s[1] >= '0' && s[1] <= '9') || s[1] == '.')) s.remove_prefix(1);
  T value{};
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value, std::chars_format::general);
  if (ec == std::errc::result_out_of_range && ptr == s.data() + s.size()) {
    return std::is_same_v<T, float> ? "is out of range for a float" : "is out of range for a double";
  }
  if (ec != std::errc{} || ptr != s.data() + s.size()) return "is not a number";
  if (!detail::is_finite(value)) return "is not a finite number";
  out = value;
  return std::nullopt;
}

/// Parses a boolean: true/false, yes/no, on/off, 1/0, in any case.
[[nodiscard]] inline parse_problem parse_bool(std::string_view text, bool& out) {
  const std::string_view s = detail::trim(text);
  for (const std::string_view yes : {"true", "yes", "on", "1"}) {
    if (detail::iequals(s, yes)) {
      out = true;
      return std::nullopt;
    }
  }
  for (const std::string_view no : {"false", "no", "off", "0"}) {
    if (detail::iequals(s, no)) {
      out = false;
      return std::nullopt;
    }
  }
  if (s.empty()) return "is empty, expected a boolean (true/false, yes/no, on/off, 1/0)";
  return "is not a boolean (true/false, yes/no, on/off, 1/0)";
}

/// Parses an enumerator by name, ignoring case.
template <named_enum E>
[[nodiscard]] parse_problem parse_enum(std::string_view text, E& out) {
  const std::string_view s = detail::trim(text);
  if (const auto value = enum_from_name<E>(s)) {
    out = *value;
    return std::nullopt;
  }
  return "is not one of " + enum_name_list<E>();
}

/// Parses a duration: groups of a number and a unit, largest unit first ("250ms", "5s", "1m30s", "1.5h").
/// Units: ns, us, ms, s, m (or min), h, d. A bare number is read in `options`' unit, or rejected without one.
/// The result must be a whole number of the field's ticks ("1500us" does not fit a milliseconds field).
template <class Rep, class Period>
[[nodiscard]] parse_problem parse_duration(std::string_view text, std::chrono::duration<Rep, Period>& out,
                                           const parse_options& options = {}) {
  static_assert(std::ratio_greater_equal_v<Period, std::nano>,
                "====> arbiter: config durations must be nanoseconds or coarser.");
  using detail::duration_example;
  const std::string_view s = detail::trim(text);
  if (s.empty()) return "is empty, expected " + std::string(duration_example);
  if (s.front() == '-') return "is negative, expected " + std::string(duration_example);
  std::size_t pos = (s.front() == '+') ? 1 : 0;
  std::uint64_t total_ns = 0;
  std::uint64_t previous_unit = std::numeric_limits<std::uint64_t>::max();
  bool first = true;
  while (pos < s.size() || first) {
    detail::decimal number;
    bool overflow = false;
    if (!detail::read_decimal(s, pos, number, overflow)) return "is not " + std::string(duration_example);
    const std::size_t unit_start = pos;
    while (pos < s.size() && detail::is_letter(s[pos])) ++pos;
    const std::string_view unit = s.substr(unit_start, pos - unit_start);
    std::uint64_t unit_ns = 0;
    if (unit.empty()) {
      if (!first || pos != s.size()) return "is missing a unit, expected " + std::string(duration_example);
      if (options.bare_unit_num == 0) {
        return "has no unit, expected " + std::string(duration_example);
      }
      unit_ns = static_cast<std::uint64_t>(options.bare_unit_num) * 1'000'000'000ULL /
                static_cast<std::uint64_t>(options.bare_unit_den);
    } else {
      unit_ns = detail::duration_unit_ns(unit);
      if (unit_ns == 0) {
        if (!options.quote_input) return "has an unknown unit (use ns, us, ms, s, m, h or d)";
        return "has an unknown unit \"" + std::string(unit) + "\" (use ns, us, ms, s, m, h or d)";
      }
      if (unit_ns >= previous_unit) return "repeats or misorders its units; write the largest first, like 1h30m";
      previous_unit = unit_ns;
    }
    if (overflow) return "is too long for a duration";
    bool not_whole = false;
    const auto ns = detail::scale_decimal(number, unit_ns, not_whole);
    if (not_whole) return "is finer than a nanosecond";
    if (!ns || __builtin_add_overflow(total_ns, *ns, &total_ns) ||
        total_ns > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return "is too long for a duration (at most about 292 years)";
    }
    first = false;
  }
  constexpr std::uint64_t ns_per_tick =
      static_cast<std::uint64_t>(Period::num) * (1'000'000'000ULL / static_cast<std::uint64_t>(Period::den));
  if constexpr (std::is_floating_point_v<Rep>) {
    out = std::chrono::duration<Rep, Period>(
        static_cast<Rep>(static_cast<double>(total_ns) / static_cast<double>(ns_per_tick)));
  } else {
    if (total_ns % ns_per_tick != 0) {
      return "is not a whole number of " + std::string(detail::period_name<Period>());
    }
    const std::uint64_t ticks = total_ns / ns_per_tick;
    if (std::cmp_greater(ticks, std::numeric_limits<Rep>::max())) return "is too long for this field";
    out = std::chrono::duration<Rep, Period>(static_cast<Rep>(ticks));
  }
  return std::nullopt;
}

/// Parses a byte size: a number and a unit, "64KiB" (binary: KiB, MiB, GiB, TiB, PiB, or Ki, Mi, Gi as
/// Kubernetes writes them), "10MB" (decimal: KB, MB, GB, TB, PB) or "512B"; a bare number is bytes. Units
/// ignore case. A lone K, M, G, T or P is rejected as ambiguous rather than guessed.
[[nodiscard]] inline parse_problem parse_byte_size(std::string_view text, byte_size& out,
                                                   const parse_options& options = {}) {
  const std::string_view s = detail::trim(text);
  if (s.empty()) return "is empty, expected a size like 64KiB or 10MB";
  if (s.front() == '-') return "is negative, expected a size like 64KiB or 10MB";
  std::size_t pos = (s.front() == '+') ? 1 : 0;
  detail::decimal number;
  bool overflow = false;
  if (!detail::read_decimal(s, pos, number, overflow)) return "is not a size like 64KiB or 10MB";
  while (pos < s.size() && s[pos] == ' ') ++pos;
  const std::string_view unit = s.substr(pos);
  std::string lower;
  for (const char c : unit) lower.push_back(detail::ascii_lower(c));
  std::uint64_t factor = 0;
  constexpr std::string_view letters = "kmgtp";
  if (lower.empty() || lower == "b") {
    factor = 1;
  } else if (lower.size() <= 3 && letters.find(lower[0]) != std::string_view::npos) {
    const auto power = letters.find(lower[0]) + 1;
    const std::string_view rest = std::string_view(lower).substr(1);
    if (rest == "b") {
      factor = 1;
      for (std::size_t i = 0; i < power; ++i) factor *= 1000;
    } else if (rest == "ib" || rest == "i") {
      factor = std::uint64_t{1} << (10 * power);
    } else if (rest.empty()) {
      if (!options.quote_input) {
        return "is ambiguous: write a binary (1024-based, like MiB) or a decimal (1000-based, like MB) unit";
      }
      const std::string upper(1, detail::ascii_upper(lower[0]));
      return "is ambiguous: write " + upper + "iB for binary (1024-based) or " + upper + "B for decimal (1000-based)";
    }
  }
  if (factor == 0) {
    for (const char c : unit) {
      if (!detail::is_letter(c)) return "is not a size like 64KiB or 10MB";
    }
    constexpr std::string_view units = "(use B, KB, MB, GB, TB, KiB, MiB, GiB or TiB)";
    if (!options.quote_input) return "has an unknown unit " + std::string(units);
    return "has an unknown unit \"" + std::string(unit) + "\" " + std::string(units);
  }
  if (overflow) return "is too large for a byte size";
  bool not_whole = false;
  const auto bytes = detail::scale_decimal(number, factor, not_whole);
  if (not_whole) return "is not a whole number of bytes";
  if (!bytes) return "is too large for a byte size";
  out = byte_size{*bytes};
  return std::nullopt;
}

/// True for the types `parse_scalar` reads from one piece of text.
template <class T>
concept config_scalar = std::same_as<T, bool> || detail::config_integer<T> || std::floating_point<T> ||
    std::same_as<T, std::string> || named_enum<T> || detail::is_chrono_duration_v<T> || std::same_as<T, byte_size>;

/// Parses one scalar value of any supported type. Strings are taken verbatim (whitespace kept).
template <config_scalar T>
[[nodiscard]] parse_problem parse_scalar(std::string_view text, T& out, const parse_options& options = {}) {
  if constexpr (std::is_same_v<T, bool>) {
    return parse_bool(text, out);
  } else if constexpr (detail::config_integer<T>) {
    return parse_integer(text, out);
  } else if constexpr (std::floating_point<T>) {
    return parse_float(text, out);
  } else if constexpr (std::is_same_v<T, std::string>) {
    out.assign(text);
    return std::nullopt;
  } else if constexpr (named_enum<T>) {
    return parse_enum(text, out);
  } else if constexpr (detail::is_chrono_duration_v<T>) {
    return parse_duration(text, out, options);
  } else {
    return parse_byte_size(text, out, options);
  }
}

namespace detail {

/// Renders a duration as the parser reads it back: "1m30s", "250ms", "0s".
template <class Rep, class Period>
[[nodiscard]] std::string duration_text(std::chrono::duration<Rep, Period> value) {
  if constexpr (std::is_floating_point_v<Rep>) {
    return float_text(std::chrono::duration<double>(value).count()) + "s";
  } else {
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(value).count();
    if (ns == 0) return "0s";
    std::string out;
    if (ns < 0) {
      out.push_back('-');
      ns = -ns;
    }
    constexpr std::pair<std::int64_t, std::string_view> units[] = {
        {3'600'000'000'000, "h"}, {60'000'000'000, "m"}, {1'000'000'000, "s"},
        {1'000'000, "ms"},        {1'000, "us"},         {1, "ns"}};
    for (const auto& [size, name] : units) {
      if (ns >= size) {
        append_integer(out, ns / size);
        out.append(name);
        ns %= size;
      }
    }
    return out;
  }
}

/// Renders a byte size in the largest unit that holds it exactly: "64KiB", "10MB", "1000B".
[[nodiscard]] inline std::string byte_size_text(byte_size size) {
  const std::uint64_t n = size.bytes;
  if (n == 0) return "0B";
  constexpr std::string_view binary[] = {"PiB", "TiB", "GiB", "MiB", "KiB"};
  for (std::size_t i = 0; i < 5; ++i) {
    const std::uint64_t unit = std::uint64_t{1} << (10 * (5 - i));
    if (n % unit == 0) return integer_text(n / unit) + std::string(binary[i]);
  }
  constexpr std::string_view decimal_units[] = {"PB", "TB", "GB", "MB", "KB"};
  std::uint64_t unit = 1'000'000'000'000'000ULL;
  for (const auto name : decimal_units) {
    if (n % unit == 0) return integer_text(n / unit) + std::string(name);
    unit /= 1000;
  }
  return integer_text(n) + "B";
}

}  // namespace detail

/// Renders a scalar the way `parse_scalar` reads it back (secrets are the caller's business).
template <config_scalar T>
[[nodiscard]] std::string scalar_text(const T& value) {
  if constexpr (std::is_same_v<T, bool>) {
    return value ? "true" : "false";
  } else if constexpr (detail::config_integer<T>) {
    return detail::integer_text(value);
  } else if constexpr (std::floating_point<T>) {
    return detail::float_text(value);
  } else if constexpr (std::is_same_v<T, std::string>) {
    return value;
  } else if constexpr (named_enum<T>) {
    return std::string(enum_name(value));
  } else if constexpr (detail::is_chrono_duration_v<T>) {
    return detail::duration_text(value);
  } else {
    return detail::byte_size_text(value);
  }
}

}  // namespace arbiter::inline v1
