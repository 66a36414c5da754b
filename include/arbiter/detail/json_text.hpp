#pragma once

/// \file
/// Writing JSON and logfmt text by hand: escaping, quoting, UTF-8 repair, numbers JSON has no literal for.
/// Shared by loggers, exporters and renderers, so that everything arbiter writes follows one set of rules:
/// - Strings: '"', '\\' and the control characters below 0x20 are escaped (RFC 8259); well-formed UTF-8 passes
///   through as it is; each ill-formed UTF-8 sequence (a stray continuation byte, a truncated sequence, an
///   overlong form, a surrogate D800-DFFF, a code point above U+10FFFF, bytes F5-FF) becomes one U+FFFD per
///   maximal subpart, as the Unicode standard (3.9, "U+FFFD Substitution of Maximal Subparts") and the WHATWG
///   decoder do. The output is valid UTF-8 whatever bytes come in: one bad byte cannot make a strict receiver
///   reject a whole document.
/// - Non-finite doubles: the strings of the protobuf JSON mapping, "NaN", "Infinity" and "-Infinity".

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include <arbiter/detail/float_math.hpp>
#include <arbiter/version.hpp>

namespace arbiter::inline v1::detail {

/// True for the bytes a JSON string must escape: '"', '\\' and the control characters below 0x20.
[[nodiscard]] constexpr bool json_needs_escape(unsigned char c) noexcept { return c < 0x20 || c == '"' || c == '\\'; }

/// True for the bytes a JSON writer copies as they are: printable ASCII but '"' and '\\'. The others are escaped
/// (json_needs_escape) or, from 0x80 up, start or continue a UTF-8 sequence that is validated first.
[[nodiscard]] constexpr bool json_plain_byte(unsigned char c) noexcept { return c < 0x80 && !json_needs_escape(c); }

/// True when all 8 bytes packed in `word` are json_plain_byte (in any byte order). Tests 8 bytes with a handful of
/// integer operations instead of 8 compares: plain ASCII text, most of what is written, is copied a word at a time.
[[nodiscard]] constexpr bool json_word_is_plain(std::uint64_t word) noexcept {
  constexpr std::uint64_t ones = 0x0101010101010101ULL;
  constexpr std::uint64_t highs = 0x8080808080808080ULL;
  // A byte b has b < n (n <= 0x80) exactly when (b - n) borrows into its high bit while b's own high bit is clear;
  // a borrow only propagates from a byte that already matched, so "some byte matches" is exact.
  const auto has_zero = [](std::uint64_t v) { return (v - ones) & ~v & highs; };
  const std::uint64_t control = (word - ones * 0x20) & ~word & highs;
  const std::uint64_t quote = has_zero(word ^ (ones * '"'));
  const std::uint64_t backslash = has_zero(word ^ (ones * '\\'));
  return (control | quote | backslash | (word & highs)) == 0;
}

/// Returns the first byte of [begin, end) that is not json_plain_byte, or `end`.
[[nodiscard]] inline const char* skip_json_plain(const char* begin, const char* end) noexcept {
  const char* p = begin;
  while (end - p >= 8) {
    std::uint64_t word;
    std::memcpy(&word, p, 8);
    if (!json_word_is_plain(word)) break;
    p += 8;
  }
  while (p != end && json_plain_byte(static_cast<unsigned char>(*p))) ++p;
  return p;
}

/// U+FFFD REPLACEMENT CHARACTER in UTF-8: what each ill-formed sequence is written as.
inline constexpr std::string_view utf8_replacement = "\xEF\xBF\xBD";

/// One UTF-8 sequence as measure_utf8 found it.
struct utf8_sequence {
  std::size_t size;  ///< bytes: 2 to 4 for a well-formed sequence, 1 to 3 for the maximal subpart of an ill-formed one
  bool valid;
};

/// Measures the UTF-8 sequence at `p` (`p != end`, `*p` 0x80 or above): a well-formed sequence (Unicode table 3-7),
/// or the maximal subpart of an ill-formed one, which one U+FFFD replaces. The subpart is the lead byte and the
/// continuation bytes that could still have begun a well-formed sequence; a byte that cannot lead (80-C1, F5-FF) is
/// a subpart of one byte, and the byte that breaks a sequence is not part of it (it starts the next one).
[[nodiscard]] constexpr utf8_sequence measure_utf8(const char* p, const char* end) noexcept {
  const auto lead = static_cast<unsigned char>(*p);
  std::size_t continuations;
  unsigned char low = 0x80;   // the range of the first continuation byte, narrowed to exclude overlong forms,
  unsigned char high = 0xBF;  // surrogates and code points above U+10FFFF
  if (lead >= 0xC2 && lead <= 0xDF) {
    continuations = 1;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    continuations = 2;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    continuations = 3;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    return {1, false};
  }
  const auto left = static_cast<std::size_t>(end - p);
  for (std::size_t i = 1; i <= continuations; ++i) {
    if (i == left) return {i, false};  // truncated by the end of the text
    const auto c = static_cast<unsigned char>(p[i]);
    if (c < low || c > high) return {i, false};
    low = 0x80;
    high = 0xBF;
  }
  return {continuations + 1, true};
}

/// Writes the sequence measure_utf8 found at `p` to `out`: its bytes when well-formed, else one U+FFFD. Returns
/// the end of what it wrote. The one repair rule of every writer (JSON here, protobuf strings in protobuf_wire.hpp).
inline char* put_utf8_sequence(char* out, const char* p, utf8_sequence sequence) noexcept {
  if (sequence.valid) {
    std::memcpy(out, p, sequence.size);
    return out + sequence.size;
  }
  std::memcpy(out, utf8_replacement.data(), utf8_replacement.size());
  return out + utf8_replacement.size();
}

/// True when `text` is well-formed UTF-8 throughout.
[[nodiscard]] constexpr bool is_valid_utf8(std::string_view text) noexcept {
  const char* p = text.data();
  const char* const end = p + text.size();
  while (p != end) {
    if (static_cast<unsigned char>(*p) < 0x80) {
      ++p;
      continue;
    }
    const utf8_sequence sequence = measure_utf8(p, end);
    if (!sequence.valid) return false;
    p += sequence.size;
  }
  return true;
}

/// Appends `text` with each ill-formed UTF-8 sequence replaced by U+FFFD and nothing else changed: for text that is
/// not JSON (logfmt, plain text) but must still be valid UTF-8.
template <class Buffer>
void append_valid_utf8(Buffer& out, std::string_view text) {
  const char* run = text.data();  // the start of the bytes not yet appended
  const char* p = run;
  const char* const end = text.data() + text.size();
  while (p != end) {
    if (static_cast<unsigned char>(*p) < 0x80) {
      ++p;
      continue;
    }
    const utf8_sequence sequence = measure_utf8(p, end);
    if (!sequence.valid) {
      out.append(run, p);
      out.append(utf8_replacement.data(), utf8_replacement.data() + utf8_replacement.size());
      run = p + sequence.size;
    }
    p += sequence.size;
  }
  out.append(run, end);
}

/// The most write_json_special writes for one step (`\u00XX`; a UTF-8 sequence is at most 4, U+FFFD 3). Every
/// step reads at least one byte, so 6 bytes per input byte bound any JSON string's inside.
inline constexpr std::size_t max_json_escape_size = 6;

/// Writes the escape sequence for `c` (one of json_needs_escape) to `out`; returns the end of what it wrote.
inline char* write_json_escape(char* out, unsigned char c) noexcept {
  constexpr char hex[] = "0123456789abcdef";
  *out++ = '\\';
  switch (c) {
    case '"':
      *out++ = '"';
      break;
    case '\\':
      *out++ = '\\';
      break;
    case '\n':
      *out++ = 'n';
      break;
    case '\r':
      *out++ = 'r';
      break;
    case '\t':
      *out++ = 't';
      break;
    case '\b':
      *out++ = 'b';
      break;
    case '\f':
      *out++ = 'f';
      break;
    default:
      *out++ = 'u';
      *out++ = '0';
      *out++ = '0';
      *out++ = hex[c >> 4];
      *out++ = hex[c & 0xF];
  }
  return out;
}

/// Writes what the byte at `p` (`p != end`, not json_plain_byte) stands for inside a JSON string: its escape, the
/// well-formed UTF-8 sequence it starts, or U+FFFD for the ill-formed subpart it starts. Writes at most
/// max_json_escape_size bytes at `out` and advances it; returns where the input goes on.
inline const char* write_json_special(char*& out, const char* p, const char* end) noexcept {
  const auto c = static_cast<unsigned char>(*p);
  if (c < 0x80) {
    out = write_json_escape(out, c);
    return p + 1;
  }
  const utf8_sequence sequence = measure_utf8(p, end);
  out = put_utf8_sequence(out, p, sequence);
  return p + sequence.size;
}

/// Appends `text` to `out` as the inside of a JSON string (see the file comment: RFC 8259 escapes, control
/// characters as \u00XX, ill-formed UTF-8 as U+FFFD). `Buffer` is anything with push_back(char) and
/// append(const char*, const char*): std::string, fmt::memory_buffer.
template <class Buffer>
void append_json_escaped(Buffer& out, std::string_view text) {
  const char* run = text.data();  // the start of the bytes not yet appended, all written as they are
  const char* p = run;
  const char* const end = text.data() + text.size();
  while ((p = skip_json_plain(p, end)) != end) {
    const auto c = static_cast<unsigned char>(*p);
    if (c >= 0x80) {
      const utf8_sequence sequence = measure_utf8(p, end);
      if (sequence.valid) {  // part of the run: appended with it, not on its own
        p += sequence.size;
        continue;
      }
      out.append(run, p);
      out.append(utf8_replacement.data(), utf8_replacement.data() + utf8_replacement.size());
      p += sequence.size;
    } else {
      out.append(run, p);
      char escape[max_json_escape_size];
      out.append(escape, write_json_escape(escape, c));
      ++p;
    }
    run = p;
  }
  out.append(run, end);
}

/// Appends `text` as a quoted JSON string.
template <class Buffer>
void append_json_string(Buffer& out, std::string_view text) {
  out.push_back('"');
  append_json_escaped(out, text);
  out.push_back('"');
}

/// Returns the JSON for a non-finite double: the quoted strings the protobuf JSON mapping uses, as JSON has no
/// number for them.
[[nodiscard]] inline std::string_view json_non_finite(double value) noexcept {
  if (detail::is_nan(value)) return "\"NaN\"";
  return value > 0 ? "\"Infinity\"" : "\"-Infinity\"";
}

/// Appends `value` as the shortest JSON number that reads back the same, or, when it is not finite, as
/// json_non_finite: never `nan` or `inf`, which no JSON parser accepts.
template <class Buffer>
void append_json_number(Buffer& out, double value) {
  if (!detail::is_finite(value)) {
    const std::string_view text = json_non_finite(value);
    out.append(text.data(), text.data() + text.size());
    return;
  }
  char buffer[32];  // the shortest form is at most 24 characters (-2.2250738585072014e-308)
  out.append(buffer, std::to_chars(buffer, buffer + sizeof buffer, value).ptr);
}

/// The largest integer every JSON reader holds exactly (2^53 - 1, JavaScript's Number.MAX_SAFE_INTEGER): a JSON
/// number beyond it is rounded by jq and JavaScript, so such integers are better written as strings.
inline constexpr std::int64_t json_max_safe_integer = (std::int64_t{1} << 53) - 1;

/// True when a logfmt value must be quoted: empty, or containing space, '=', '"', '\\' or a control character.
[[nodiscard]] constexpr bool logfmt_needs_quotes(std::string_view text) noexcept {
  if (text.empty()) return true;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c == '=' || c == '"' || c == '\\' || c == 0x7F) return true;
  }
  return false;
}

/// Appends `text` as a logfmt value: bare when it can be, otherwise quoted with JSON-style escapes; ill-formed
/// UTF-8 becomes U+FFFD either way.
template <class Buffer>
void append_logfmt_value(Buffer& out, std::string_view text) {
  if (logfmt_needs_quotes(text)) {
    append_json_string(out, text);
  } else {
    append_valid_utf8(out, text);
  }
}

/// Appends `key` as a logfmt key, which cannot be quoted: space, '=', '"' and control characters become '_',
/// ill-formed UTF-8 U+FFFD, and an empty key "_", so that a key can never break its line into other pairs.
template <class Buffer>
void append_logfmt_key(Buffer& out, std::string_view key) {
  if (key.empty()) {
    out.push_back('_');
    return;
  }
  const std::size_t at = out.size();
  append_valid_utf8(out, key);
  for (std::size_t i = at; i < out.size(); ++i) {
    const auto c = static_cast<unsigned char>(out.data()[i]);
    if (c <= 0x20 || c == '=' || c == '"' || c == 0x7F) out.data()[i] = '_';
  }
}

}  // namespace arbiter::inline v1::detail
