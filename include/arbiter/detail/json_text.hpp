#pragma once

/// \file
/// Writing JSON and logfmt text by hand: escaping, quoting. Shared by loggers, exporters and renderers
/// so that every JSON arbiter prints is escaped the same way.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include <arbiter/version.hpp>

namespace arbiter::inline v1::detail {

/// True for the bytes a JSON string must escape: '"', '\\' and the control characters below 0x20. Bytes of
/// UTF-8 sequences (0x80 and up) pass through as they are.
[[nodiscard]] constexpr bool json_needs_escape(unsigned char c) noexcept { return c < 0x20 || c == '"' || c == '\\'; }

/// True when any of the 8 bytes packed in `word` needs escaping (in any byte order). Tests 8 bytes with a handful
/// of integer operations instead of 8 compares: clean text, most of what is written, is skipped a word at a time.
[[nodiscard]] constexpr bool json_word_needs_escape(std::uint64_t word) noexcept {
  constexpr std::uint64_t ones = 0x0101010101010101ULL;
  constexpr std::uint64_t highs = 0x8080808080808080ULL;
  // A byte b has b < n (n <= 0x80) exactly when (b - n) borrows into its high bit while b's own high bit is clear;
  // a borrow only propagates from a byte that already matched, so "some byte matches" is exact.
  const auto has_zero = [](std::uint64_t v) { return (v - ones) & ~v & highs; };
  const std::uint64_t control = (word - ones * 0x20) & ~word & highs;
  const std::uint64_t quote = has_zero(word ^ (ones * '"'));
  const std::uint64_t backslash = has_zero(word ^ (ones * '\\'));
  return (control | quote | backslash) != 0;
}

/// Returns the first byte of [begin, end) that needs escaping, or `end`.
[[nodiscard]] inline const char* find_json_escape(const char* begin, const char* end) noexcept {
  const char* p = begin;
  while (end - p >= 8) {
    std::uint64_t word;
    std::memcpy(&word, p, 8);
    if (json_word_needs_escape(word)) break;
    p += 8;
  }
  while (p != end && !json_needs_escape(static_cast<unsigned char>(*p))) ++p;
  return p;
}

/// The longest escape write_json_escape writes (`\u00XX`).
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

/// Appends `text` to `out` as the inside of a JSON string (RFC 8259 escapes; control characters as \u00XX).
/// `Buffer` is anything with push_back(char) and append(const char*, const char*): std::string, fmt::memory_buffer.
template <class Buffer>
void append_json_escaped(Buffer& out, std::string_view text) {
  const char* run = text.data();
  const char* const end = text.data() + text.size();
  while (true) {
    const char* const p = find_json_escape(run, end);
    out.append(run, p);
    if (p == end) break;
    char escape[max_json_escape_size];
    out.append(escape, write_json_escape(escape, static_cast<unsigned char>(*p)));
    run = p + 1;
  }
}

/// Appends `text` as a quoted JSON string.
template <class Buffer>
void append_json_string(Buffer& out, std::string_view text) {
  out.push_back('"');
  append_json_escaped(out, text);
  out.push_back('"');
}

/// True when a logfmt value must be quoted: empty, or containing space, '=', '"', '\\' or a control character.
[[nodiscard]] constexpr bool logfmt_needs_quotes(std::string_view text) noexcept {
  if (text.empty()) return true;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c == '=' || c == '"' || c == '\\' || c == 0x7F) return true;
  }
  return false;
}

/// Appends `text` as a logfmt value: bare when it can be, otherwise quoted with JSON-style escapes.
template <class Buffer>
void append_logfmt_value(Buffer& out, std::string_view text) {
  if (logfmt_needs_quotes(text)) {
    append_json_string(out, text);
  } else {
    out.append(text.data(), text.data() + text.size());
  }
}

}  // namespace arbiter::inline v1::detail
