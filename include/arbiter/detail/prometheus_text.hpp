#pragma once

/// \file
/// Writing the Prometheus text format (0.0.4) and OpenMetrics text (1.0): escaping and numbers, beside the JSON
/// and logfmt rules of json_text.hpp and on the same UTF-8 repair, so that what a scrape reads is valid whatever
/// bytes a label value held.
/// - Label values: '\\', '"' and line feed are escaped (`\\`, `\"`, `\n`) in both formats.
/// - HELP text: '\\' and line feed are escaped; OpenMetrics escapes '"' too.
/// - Ill-formed UTF-8 becomes U+FFFD (one per maximal subpart, as in JSON).
/// - Numbers: integers as decimal digits, doubles in their shortest round-trip form (fixed or exponent as Go's
///   `strconv.FormatFloat(x, 'g', -1, 64)` chooses), and the non-finite values as
///   `+Inf`, `-Inf` and `NaN`, the spellings both formats define.

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <arbiter/detail/float_math.hpp>
#include <arbiter/detail/json_text.hpp>

namespace arbiter::inline v1::detail {

/// Appends `text` with `\\`, line feed and (when `escape_quote`) `"` escaped and ill-formed UTF-8 repaired.
template <class Buffer>
void append_prometheus_escaped(Buffer& out, std::string_view text, bool escape_quote) {
  const char* run = text.data();
  const char* p = run;
  const char* const end = text.data() + text.size();
  const auto flush = [&](const char* upto) { out.append(run, upto); };
  while (p != end) {
    const auto c = static_cast<unsigned char>(*p);
    if (c < 0x80) {
      if (c == '\\' || c == '\n' || (escape_quote && c == '"')) {
        flush(p);
        const char escaped[2] = {'\\', c == '\n' ? 'n' : static_cast<char>(c)};
        out.append(escaped, escaped + 2);
        run = p + 1;
      }
      ++p;
      continue;
    }
    const utf8_sequence sequence = measure_utf8(p, end);
    if (!sequence.valid) {
      flush(p);
      out.append(utf8_replacement.data(), utf8_replacement.data() + utf8_replacement.size());
      run = p + sequence.size;
    }
    p += sequence.size;
  }
  flush(end);
}

/// Appends a label value (without its quotes).
template <class Buffer>
void append_prometheus_label_value(Buffer& out, std::string_view value) {
  append_prometheus_escaped(out, value, true);
}

/// Appends HELP text: OpenMetrics escapes quotes in it, the 0.0.4 format does not.
template <class Buffer>
void append_prometheus_help(Buffer& out, std::string_view help, bool openmetrics) {
  append_prometheus_escaped(out, help, openmetrics);
}

/// Appends an unsigned integer sample value.
template <class Buffer>
void append_prometheus_number(Buffer& out, std::uint64_t value) {
  char buffer[24];
  out.append(buffer, std::to_chars(buffer, buffer + sizeof buffer, value).ptr);
}

/// Appends a double sample value: shortest round-trip form, or `+Inf`, `-Inf`, `NaN`.
template <class Buffer>
void append_prometheus_number(Buffer& out, double value) {
  if (detail::is_nan(value)) {
    constexpr std::string_view nan = "NaN";
    out.append(nan.data(), nan.data() + nan.size());
    return;
  }
  if (!detail::is_finite(value)) {
    const std::string_view text = value > 0 ? std::string_view("+Inf") : std::string_view("-Inf");
    out.append(text.data(), text.data() + text.size());
    return;
  }
  if (value < 9007199254740992.0 && value > -9007199254740992.0 &&
      value == static_cast<double>(static_cast<std::int64_t>(value))) {
    char digits[24];  // an integer below 2^53 is exact: write it as one (1048576, not 1.048576e+06)
    out.append(digits, std::to_chars(digits, digits + sizeof digits, static_cast<std::int64_t>(value)).ptr);
    return;
  }
  char buffer[32];  // otherwise as Go's strconv 'g' does, which Prometheus itself writes: 0.0001, 1e-05, 2.5e+20
  out.append(buffer, std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::general).ptr);
}

}  // namespace arbiter::inline v1::detail
