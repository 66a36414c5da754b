#pragma once

/// \file
/// Writing text that goes into HTTP answers, next to json_text.hpp and on the same rules (valid UTF-8 out,
/// whatever bytes come in):
/// - HTML: '&', '<', '>', '"' and '\'' as character references, control characters but tab and line feed as
///   spaces, ill-formed UTF-8 as U+FFFD (append_valid_utf8). Safe in element text and in quoted attributes.
/// - Header values: never a CR, LF or other control character (they would let a value start a header or a
///   body of its own); each becomes a space.
/// - Comparing secrets (a bearer token) in time that does not depend on where they differ.

#include <cstddef>
#include <string>
#include <string_view>

#include <arbiter/detail/json_text.hpp>

namespace arbiter::inline v1::detail {

/// Appends `text` escaped for HTML element text and quoted attribute values (see the file comment).
inline void append_html_escaped(std::string& out, std::string_view text) {
  std::string valid;
  valid.reserve(text.size());
  append_valid_utf8(valid, text);
  for (const char ch : valid) {
    switch (ch) {
      case '&':
        out.append("&amp;");
        break;
      case '<':
        out.append("&lt;");
        break;
      case '>':
        out.append("&gt;");
        break;
      case '"':
        out.append("&quot;");
        break;
      case '\'':
        out.append("&#39;");
        break;
      default: {
        const auto c = static_cast<unsigned char>(ch);
        out.push_back((c < 0x20 && c != '\t' && c != '\n') || c == 0x7F ? ' ' : ch);
      }
    }
  }
}

/// Returns `text` escaped for HTML (append_html_escaped).
[[nodiscard]] inline std::string html_escaped(std::string_view text) {
  std::string out;
  append_html_escaped(out, text);
  return out;
}

/// Returns `text` fit for an HTTP header value: control characters (CR and LF among them) and DEL as spaces,
/// ill-formed UTF-8 as U+FFFD, and no leading or trailing whitespace.
[[nodiscard]] inline std::string header_value(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  append_valid_utf8(out, text);
  for (char& ch : out) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7F) ch = ' ';
  }
  const std::size_t first = out.find_first_not_of(' ');
  if (first == std::string::npos) return {};
  out.erase(out.find_last_not_of(' ') + 1);
  out.erase(0, first);
  return out;
}

/// Compares two secrets in time that depends on their lengths only, not on the first byte that differs.
[[nodiscard]] inline bool constant_time_equal(std::string_view given, std::string_view expected) noexcept {
  // Every byte of `expected` is read whatever `given` holds; a length mismatch is folded in, not returned early.
  unsigned char diff = given.size() == expected.size() ? 0 : 1;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const unsigned char a = i < given.size() ? static_cast<unsigned char>(given[i]) : 0;
    diff = static_cast<unsigned char>(diff | (a ^ static_cast<unsigned char>(expected[i])));
  }
  return diff == 0;
}

}  // namespace arbiter::inline v1::detail
