#pragma once

/// \file
/// Writing JSON and logfmt text by hand: escaping, quoting. Shared by loggers, exporters and renderers
/// so that every JSON arbiter prints is escaped the same way.

#include <cstdint>
#include <string_view>

#include <arbiter/version.hpp>

namespace arbiter::inline v1::detail {

/// Appends `text` to `out` as the inside of a JSON string (RFC 8259 escapes; control characters as \u00XX).
/// `Buffer` is anything with push_back(char) and append(const char*, const char*): std::string, fmt::memory_buffer.
template <class Buffer>
void append_json_escaped(Buffer& out, std::string_view text) {
  constexpr char hex[] = "0123456789abcdef";
  const char* run = text.data();
  const char* const end = text.data() + text.size();
  for (const char* p = run; p != end; ++p) {
    const auto c = static_cast<unsigned char>(*p);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(run, p);
    out.push_back('\\');
    switch (c) {
      case '"':
        out.push_back('"');
        break;
      case '\\':
        out.push_back('\\');
        break;
      case '\n':
        out.push_back('n');
        break;
      case '\r':
        out.push_back('r');
        break;
      case '\t':
        out.push_back('t');
        break;
      case '\b':
        out.push_back('b');
        break;
      case '\f':
        out.push_back('f');
        break;
      default: {
        const char u[] = {'u', '0', '0', hex[c >> 4], hex[c & 0xF]};
        out.append(u, u + sizeof u);
      }
    }
    run = p + 1;
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
