// The shared text layer: JSON escaping, UTF-8 repair (against an independent reference, exhaustively on short
// sequences and on random bytes), non-finite numbers, logfmt values and keys.
#include <arbiter/detail/json_text.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "utf8_reference.hpp"

namespace {

using json = nlohmann::json;
using namespace std::string_literals;

const std::string fffd = "\xEF\xBF\xBD";

/// Returns the bytes of `text` in hex, for failure messages.
std::string hex(std::string_view text) {
  std::string out;
  constexpr char digits[] = "0123456789abcdef";
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    out += digits[c >> 4];
    out += digits[c & 0xF];
    out += ' ';
  }
  return out;
}

std::string escaped(std::string_view text) {
  std::string out;
  arbiter::detail::append_json_escaped(out, text);
  return out;
}

std::string quoted(std::string_view text) {
  std::string out;
  arbiter::detail::append_json_string(out, text);
  return out;
}

/// What append_json_escaped must write, from the reference repair and RFC 8259's escapes.
std::string expected_escaped(std::string_view text) {
  std::string out;
  constexpr char hex[] = "0123456789abcdef";
  for (const char ch : utf8_reference::repaired(text)) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\b') {
      out += "\\b";
    } else if (c == '\f') {
      out += "\\f";
    } else if (c < 0x20) {
      out += "\\u00";
      out += hex[c >> 4];
      out += hex[c & 0xF];
    } else {
      out += ch;
    }
  }
  return out;
}

/// Checks `text` against the reference, and that the JSON string written parses back (nlohmann/json rejects
/// ill-formed UTF-8) to the repaired text.
void expect_written_right(std::string_view text) {
  const std::string out = quoted(text);
  ASSERT_EQ(out, '"' + expected_escaped(text) + '"') << hex(text);
  ASSERT_TRUE(arbiter::detail::is_valid_utf8(out));
  json parsed;
  ASSERT_NO_THROW(parsed = json::parse(out)) << out;
  ASSERT_EQ(parsed.get<std::string>(), utf8_reference::repaired(text));
}

TEST(json_text, escapes_quotes_backslashes_and_control_characters) {
  EXPECT_EQ(escaped("plain text"), "plain text");
  EXPECT_EQ(escaped("a\"b\\c"), "a\\\"b\\\\c");
  EXPECT_EQ(escaped("\n\r\t\b\f"), "\\n\\r\\t\\b\\f");
  EXPECT_EQ(escaped("\x01\x1f"s), "\\u0001\\u001f");
  EXPECT_EQ(escaped("\0"s), "\\u0000");
  EXPECT_EQ(escaped("\x7f"), "\x7f") << "DEL is not a JSON control character";
}

TEST(json_text, well_formed_utf8_passes_through_unchanged) {
  for (const std::string_view text :
       {"\xC2\x80", "\xC3\xA9t\xC3\xA9", "\xDF\xBF", "\xE0\xA0\x80", "\xE6\x97\xA5\xE6\x9C\xAC", "\xED\x9F\xBF",
        "\xEE\x80\x80", "\xEF\xBF\xBF", "\xF0\x90\x80\x80", "\xF0\x9F\x98\x80", "\xF4\x8F\xBF\xBF"}) {
    EXPECT_EQ(escaped(text), text);
    EXPECT_TRUE(arbiter::detail::is_valid_utf8(text));
  }
}

TEST(json_text, each_maximal_ill_formed_subpart_becomes_one_replacement_character) {
  struct example {
    std::string in;
    std::string out;
  };
  const std::vector<example> examples{
      {"a\x80"
       "b",
       "a" + fffd + "b"},         // a stray continuation byte
      {"\x80\xBF", fffd + fffd},  // two of them
      {"\xC0\x80", fffd + fffd},  // C0 and C1 never lead (overlong)
      {"\xC1\xBF", fffd + fffd},
      {"\xE0\x80\x80", fffd + fffd + fffd},  // overlong 3 bytes: E0 needs A0-BF next
      {"\xE0\x9F\xBF", fffd + fffd + fffd},
      {"\xF0\x80\x80\x80", fffd + fffd + fffd + fffd},  // overlong 4 bytes: F0 needs 90-BF next
      {"\xF0\x8F\xBF\xBF", fffd + fffd + fffd + fffd},
      {"\xED\xA0\x80", fffd + fffd + fffd},             // the surrogate D800
      {"\xED\xBF\xBF", fffd + fffd + fffd},             // the surrogate DFFF
      {"\xF4\x90\x80\x80", fffd + fffd + fffd + fffd},  // U+110000
      {"\xF5\x80\x80\x80", fffd + fffd + fffd + fffd},  // F5-FF never lead
      {"\xFF", fffd},
      {"\xFE\xFF", fffd + fffd},
      {"\xC3", fffd},      // truncated by the end
      {"\xE6\x97", fffd},  // one U+FFFD for the whole truncated sequence
      {"\xF0\x9F\x98", fffd},
      {"\xF0\x9F\x98x", fffd + "x"},  // the byte that breaks it starts the next one
      {"\xC3\xC3\xA9", fffd + "\xC3\xA9"},
      {"\xF0\x9F\xF0\x9F\x98\x80", fffd + "\xF0\x9F\x98\x80"},
      // Unicode 15 table 3-8 (and WHATWG): 61 F1 80 80 E1 80 C2 62 80 63 80 BF 64
      {"\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64",
       "a" + fffd + fffd + fffd + "b" + fffd + "c" + fffd + fffd + "d"},
  };
  EXPECT_EQ(escaped("\xE6\x97\""), fffd + "\\\"") << "a truncated sequence before an escape";
  for (const auto& e : examples) {
    EXPECT_EQ(escaped(e.in), e.out) << hex(e.in);
    EXPECT_EQ(utf8_reference::repaired(e.in), e.out) << "the reference agrees";
    EXPECT_FALSE(arbiter::detail::is_valid_utf8(e.in));
    expect_written_right(e.in);
  }
}

TEST(json_text, every_one_and_two_byte_string_is_written_as_the_reference_says) {
  for (unsigned a = 0; a < 256; ++a) {
    expect_written_right(std::string(1, static_cast<char>(a)));
    for (unsigned b = 0; b < 256; ++b) expect_written_right(std::string{static_cast<char>(a), static_cast<char>(b)});
  }
}

TEST(json_text, every_lead_byte_with_every_boundary_continuation_is_written_as_the_reference_says) {
  // Every byte that leads, followed by up to 3 bytes from the edges of every range that table 3-7 distinguishes,
  // and by a plain byte, at every offset of the 8-byte word scan.
  const std::vector<unsigned char> edges{0x00, 0x41, 0x7F, 0x80, 0x81, 0x8F, 0x90, 0x9F, 0xA0,
                                         0xBF, 0xC0, 0xC2, 0xE0, 0xED, 0xF0, 0xF4, 0xFF};
  std::size_t checked = 0;
  for (unsigned lead = 0x80; lead < 0x100; ++lead) {
    for (const unsigned char b : edges) {
      for (const unsigned char c : edges) {
        for (const unsigned char d : {static_cast<unsigned char>(0x80), static_cast<unsigned char>(0x41)}) {
          const std::string sequence{static_cast<char>(lead), static_cast<char>(b), static_cast<char>(c),
                                     static_cast<char>(d)};
          for (const std::size_t pad : {std::size_t{0}, std::size_t{5}}) {
            expect_written_right(std::string(pad, 'x') + sequence + "yz");
            ++checked;
          }
          expect_written_right(sequence.substr(0, 3));
        }
      }
    }
  }
  EXPECT_GT(checked, 100'000U);
}

TEST(json_text, random_bytes_always_give_valid_utf8_and_valid_json) {
  std::mt19937_64 rng(20261201);
  for (int i = 0; i < 20'000; ++i) {
    std::string text(rng() % 40, '\0');
    for (char& c : text) {
      const auto r = rng();
      // Mostly bytes of 0x80 and up, some ASCII: ill-formed and well-formed sequences both.
      c = static_cast<char>(r % 4 == 0 ? (r >> 8) % 0x80 : 0x80 + (r >> 8) % 0x80);
    }
    SCOPED_TRACE(i);
    expect_written_right(text);
    std::string valid;
    arbiter::detail::append_valid_utf8(valid, text);
    ASSERT_EQ(valid, utf8_reference::repaired(text));
    ASSERT_TRUE(arbiter::detail::is_valid_utf8(valid));
  }
}

TEST(json_text, word_test_agrees_with_the_byte_test_for_every_byte_at_every_offset) {
  for (unsigned b = 0; b < 256; ++b) {
    for (std::size_t at = 0; at < 8; ++at) {
      for (const char filler : {'a', '\x7f', ' ', '#', ']', '~'}) {
        char bytes[8];
        std::memset(bytes, filler, sizeof bytes);
        bytes[at] = static_cast<char>(b);
        std::uint64_t word;
        std::memcpy(&word, bytes, sizeof word);
        ASSERT_EQ(arbiter::detail::json_word_is_plain(word),
                  arbiter::detail::json_plain_byte(static_cast<unsigned char>(b)))
            << "byte " << b << " at " << at << " among " << int{static_cast<unsigned char>(filler)};
      }
    }
  }
  EXPECT_FALSE(arbiter::detail::json_plain_byte(0x80)) << "bytes of UTF-8 sequences are validated";
  EXPECT_FALSE(arbiter::detail::json_plain_byte(0xFF));
}

TEST(json_text, non_finite_numbers_are_the_protobuf_mapping_strings) {
  const auto number = [](double value) {
    std::string out;
    arbiter::detail::append_json_number(out, value);
    return out;
  };
  EXPECT_EQ(number(std::numeric_limits<double>::quiet_NaN()), "\"NaN\"");
  EXPECT_EQ(number(-std::numeric_limits<double>::quiet_NaN()), "\"NaN\"");
  EXPECT_EQ(number(std::numeric_limits<double>::infinity()), "\"Infinity\"");
  EXPECT_EQ(number(-std::numeric_limits<double>::infinity()), "\"-Infinity\"");
  EXPECT_EQ(number(0.25), "0.25");
  EXPECT_EQ(number(17.0), "17");
  EXPECT_EQ(json::parse(number(1e300)).get<double>(), 1e300);
  EXPECT_EQ(json::parse(number(-2.2250738585072014e-308)).get<double>(), -2.2250738585072014e-308);
}

TEST(json_text, logfmt_values_are_repaired_and_quoted_when_needed) {
  const auto value = [](std::string_view text) {
    std::string out;
    arbiter::detail::append_logfmt_value(out, text);
    return out;
  };
  EXPECT_EQ(value("db"), "db");
  EXPECT_EQ(value(""), "\"\"");
  EXPECT_EQ(value("a b"), "\"a b\"");
  EXPECT_EQ(value("line\nbreak"), "\"line\\nbreak\"");
  EXPECT_EQ(value("\xC3\xA9t\xC3\xA9"), "\xC3\xA9t\xC3\xA9");
  EXPECT_EQ(value("bad\xFF"), "bad" + fffd) << "bare, and still valid UTF-8";
  EXPECT_EQ(value("bad \xFF"), "\"bad " + fffd + "\"");
}

TEST(json_text, logfmt_keys_cannot_break_their_line) {
  const auto key = [](std::string_view text) {
    std::string out;
    arbiter::detail::append_logfmt_key(out, text);
    return out;
  };
  EXPECT_EQ(key("breaker"), "breaker");
  EXPECT_EQ(key("user id"), "user_id");
  EXPECT_EQ(key("a=b"), "a_b");
  EXPECT_EQ(key("new\nline"), "new_line");
  EXPECT_EQ(key("q\"uote"), "q_uote");
  EXPECT_EQ(key(""), "_");
  EXPECT_EQ(key("caf\xC3\xA9"), "caf\xC3\xA9");
  EXPECT_EQ(key("bad\x80"), "bad" + fffd);
}

}  // namespace
