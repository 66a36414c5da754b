// A reference for UTF-8 repair, shared by the tests of the JSON writers. It shares no code with
// arbiter/detail/json_text.hpp and works from code point arithmetic rather than from the table of well-formed byte
// sequences: a prefix of a sequence is viable while some Unicode scalar value (0 to 10FFFF without the surrogates
// D800-DFFF) of that sequence length, and not encodable shorter, still starts with it. One U+FFFD replaces each
// maximal viable prefix of an ill-formed sequence, or one byte when the lead byte alone is not viable.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace utf8_reference {

/// How many bytes the sequence starting at text[at] takes, and whether it is well-formed.
struct step {
  std::size_t size;
  bool valid;
};

/// True when some scalar value encoded in `length` bytes lies in [low, high].
inline bool viable(std::uint32_t low, std::uint32_t high, std::size_t length) {
  const std::uint32_t shortest = length == 2 ? 0x80 : length == 3 ? 0x800 : 0x10000;  // no overlong forms
  const std::uint32_t lo = low < shortest ? shortest : low;
  const std::uint32_t hi = high > 0x10FFFF ? 0x10FFFF : high;
  if (lo > hi) return false;
  return lo < 0xD800 || hi > 0xDFFF;  // not entirely within the surrogates
}

inline step decode(std::string_view text, std::size_t at) {
  const auto lead = static_cast<unsigned char>(text[at]);
  std::size_t length;
  std::uint32_t bits;
  if ((lead & 0xE0) == 0xC0) {
    length = 2;
    bits = lead & 0x1Fu;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3;
    bits = lead & 0x0Fu;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4;
    bits = lead & 0x07u;
  } else {
    return {1, false};  // a continuation byte, or F8-FF
  }
  for (std::size_t k = 1;; ++k) {
    const std::size_t unknown = 6 * (length - k);  // bits still to come
    const std::uint32_t low = bits << unknown;
    const std::uint32_t high = low | ((std::uint32_t{1} << unknown) - 1);
    if (!viable(low, high, length)) return {k == 1 ? 1 : k - 1, false};
    if (k == length) return {length, true};
    if (at + k >= text.size()) return {k, false};
    const auto c = static_cast<unsigned char>(text[at + k]);
    if ((c & 0xC0) != 0x80) return {k, false};
    bits = (bits << 6) | (c & 0x3Fu);
  }
}

/// Returns `text` with each ill-formed sequence replaced by U+FFFD.
inline std::string repaired(std::string_view text) {
  std::string out;
  for (std::size_t at = 0; at < text.size();) {
    if (static_cast<unsigned char>(text[at]) < 0x80) {
      out.push_back(text[at++]);
      continue;
    }
    const step s = decode(text, at);
    out += s.valid ? std::string(text.substr(at, s.size)) : std::string("\xEF\xBF\xBD");
    at += s.size;
  }
  return out;
}

}  // namespace utf8_reference
