#pragma once

/// \file
/// The protobuf wire format, written by hand into a std::string: varints, little-endian fixed32 and fixed64,
/// length-delimited fields, and nested messages whose length is back-patched (see protobuf_writer::open). Strings are
/// written as valid UTF-8, as proto3 `string` fields must be (a receiver that checks rejects the whole request for
/// one bad byte): each ill-formed sequence becomes U+FFFD by the rules of detail/json_text.hpp.
/// No protobuf library: the schema lives in the code that calls these (otlp_protobuf.hpp).

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include <arbiter/detail/json_text.hpp>

namespace arbiter::inline v1::detail {

/// The protobuf wire types this writer uses.
enum class wire_type : std::uint8_t { varint = 0, fixed64 = 1, length_delimited = 2, fixed32 = 5 };

/// Returns the key of field `field` with wire type `type`, as its varint is read: (field << 3) | type.
[[nodiscard]] constexpr std::uint32_t field_key(std::uint32_t field, wire_type type) noexcept {
  return (field << 3) | static_cast<std::uint32_t>(type);
}

/// Returns how many bytes the varint form of `value` takes (1 to 10): one per 7 significant bits.
[[nodiscard]] constexpr std::size_t varint_size(std::uint64_t value) noexcept {
  return (static_cast<std::size_t>(std::bit_width(value | 1)) * 9 + 64) / 64;
}

/// Writes `value` as a varint at `out`; returns the end.
[[gnu::always_inline]] inline char* put_varint(char* out, std::uint64_t value) noexcept {
  while (value >= 0x80) {
    *out++ = static_cast<char>(static_cast<std::uint8_t>(value) | 0x80);
    value >>= 7;
  }
  *out++ = static_cast<char>(value);
  return out;
}

/// Writes `value` as 8 little-endian bytes (fixed64, double); returns the end.
inline char* put_fixed64(char* out, std::uint64_t value) noexcept {
  if constexpr (std::endian::native != std::endian::little) {
    for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(value >> (8 * i));
  } else {
    std::memcpy(out, &value, 8);
  }
  return out + 8;
}

/// Writes `value` as 4 little-endian bytes (fixed32); returns the end.
inline char* put_fixed32(char* out, std::uint32_t value) noexcept {
  if constexpr (std::endian::native != std::endian::little) {
    for (int i = 0; i < 4; ++i) out[i] = static_cast<char>(value >> (8 * i));
  } else {
    std::memcpy(out, &value, 4);
  }
  return out + 4;
}

/// Writes `value` as 8 bytes, most significant first (how trace and span ids are `bytes`); returns the end.
inline char* put_big_endian64(char* out, std::uint64_t value) noexcept {
  if constexpr (std::endian::native == std::endian::little) {
#if defined(__GNUC__) || defined(__clang__)
    value = __builtin_bswap64(value);
    std::memcpy(out, &value, 8);
    return out + 8;
#endif
  }
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(value >> (56 - 8 * i));
  return out + 8;
}

/// A string measured for the wire: how many bytes it takes once written as valid UTF-8.
struct wire_string {
  std::string_view text;
  std::size_t size;  ///< text.size() when valid; with U+FFFD for each ill-formed sequence otherwise
  bool valid;        ///< well-formed UTF-8: written as it is
};

/// True when every byte of `text` is ASCII, tested 8 bytes at a time (most of what spans carry).
[[nodiscard, gnu::always_inline]] inline bool is_ascii(std::string_view text) noexcept {
  const char* p = text.data();
  std::size_t n = text.size();
  std::uint64_t bits = 0;
  for (; n >= 8; n -= 8, p += 8) {
    std::uint64_t word;
    std::memcpy(&word, p, 8);
    bits |= word;
  }
  if (n >= 4) {  // two 4-byte halves, overlapping when fewer than 8 bytes are left
    std::uint32_t head;
    std::uint32_t tail;
    std::memcpy(&head, p, 4);
    std::memcpy(&tail, p + n - 4, 4);
    bits |= head | tail;
  } else if (n > 0) {
    bits |= static_cast<unsigned>(static_cast<unsigned char>(p[0]) | static_cast<unsigned char>(p[n / 2]) |
                                  static_cast<unsigned char>(p[n - 1]));
  }
  return (bits & 0x8080808080808080ULL) == 0;
}

/// Measures text that is not all ASCII: valid UTF-8 as it is, or the size with every ill-formed sequence replaced.
[[gnu::noinline]] inline wire_string measure_non_ascii(std::string_view text) noexcept {
  const char* p = text.data();
  const char* const end = p + text.size();
  std::size_t size = 0;
  bool valid = true;
  while (p != end) {
    if (static_cast<unsigned char>(*p) < 0x80) {
      ++p;
      ++size;
      continue;
    }
    const utf8_sequence sequence = measure_utf8(p, end);
    if (sequence.valid) {
      size += sequence.size;
    } else {
      size += utf8_replacement.size();
      valid = false;
    }
    p += sequence.size;
  }
  return {text, size, valid};
}

/// Measures `text` for the wire (see wire_string). Inlined: it is a few instructions for the short ASCII names and
/// keys spans are made of, and a call per string cost a fifth of the encoding time.
[[nodiscard, gnu::always_inline]] inline wire_string measure_wire_string(std::string_view text) noexcept {
  if (is_ascii(text)) [[likely]]
    return {text, text.size(), true};
  return measure_non_ascii(text);
}

/// Returns the size of a length-delimited field with a one-byte key and a body of `size` bytes.
[[nodiscard]] constexpr std::size_t delimited_size(std::size_t size) noexcept { return 1 + varint_size(size) + size; }

/// Writes protobuf into a std::string through a raw cursor, as otlp_writer (otlp_json.hpp) writes JSON: each piece
/// makes room once (`reserve`), then writes with plain stores through a local copy of the cursor; room is made by
/// resizing `out` a chunk at a time, and the destructor cuts `out` back to what was written.
///
/// A nested message's length comes before the message, and is only known after it. `open` leaves a slot of a
/// guessed width for the varint and `close` writes the length into it; when the length needs another width (rare
/// with good guesses), the message's bytes are moved once by the difference. The output is the canonical encoding
/// (shortest varints), the same bytes libprotobuf writes.
class protobuf_writer {
 public:
  explicit protobuf_writer(std::string& out) noexcept
      : out_(out), cursor_(out.data() + out.size()), end_(out.data() + out.size()) {}
  ~protobuf_writer() { out_.resize(written()); }
  protobuf_writer(const protobuf_writer&) = delete;
  protobuf_writer& operator=(const protobuf_writer&) = delete;

  /// Makes room for `n` more bytes; returns where they go (write them, then `advance`).
  char* reserve(std::size_t n) {
    if (static_cast<std::size_t>(end_ - cursor_) < n) [[unlikely]]
      grow(n);
    return cursor_;
  }

  /// Marks the bytes up to `end` (within the room reserved) as written.
  void advance(char* end) noexcept { cursor_ = end; }

  /// Returns how many bytes `out` holds so far (with what was in it before).
  [[nodiscard]] std::size_t written() const noexcept { return static_cast<std::size_t>(cursor_ - out_.data()); }

  /// Writes the key of a varint field and `value`.
  void varint_field(std::uint32_t key, std::uint64_t value) {
    char* out = reserve(20);
    out = put_varint(out, key);
    cursor_ = put_varint(out, value);
  }

  /// Writes the key of a fixed64 field and `value`.
  void fixed64_field(std::uint32_t key, std::uint64_t value) {
    char* out = reserve(18);
    out = put_varint(out, key);
    cursor_ = put_fixed64(out, value);
  }

  /// Writes the key of a fixed32 field and `value`.
  void fixed32_field(std::uint32_t key, std::uint32_t value) {
    char* out = reserve(14);
    out = put_varint(out, key);
    cursor_ = put_fixed32(out, value);
  }

  /// Writes a string field (`key` below 128) measured by measure_wire_string.
  void string_field(std::uint8_t key, const wire_string& text) {
    char* out = reserve(11 + text.size);
    *out++ = static_cast<char>(key);
    out = put_varint(out, text.size);
    cursor_ = put_text(out, text);
  }
  void string_field(std::uint8_t key, std::string_view text) { string_field(key, measure_wire_string(text)); }

  /// Writes `text` (measured) with no key or length, at `out` (room reserved); returns the end.
  [[gnu::always_inline]] static char* put_text(char* out, const wire_string& text) noexcept {
    if (!text.valid) [[unlikely]]
      return put_repaired(out, text.text);
    put_bytes(out, text.text.data(), text.text.size());
    return out + text.text.size();
  }

  /// Copies `n` bytes to `out`. Up to 16 bytes (most names, keys and values) with two overlapping loads and stores
  /// inline rather than a call to memcpy, which cost more than the copy.
  [[gnu::always_inline]] static void put_bytes(char* out, const char* in, std::size_t n) noexcept {
    if (n >= 8 && n <= 16) {
      std::uint64_t head;
      std::uint64_t tail;
      std::memcpy(&head, in, 8);
      std::memcpy(&tail, in + n - 8, 8);
      std::memcpy(out, &head, 8);
      std::memcpy(out + n - 8, &tail, 8);
    } else if (n >= 4 && n < 8) {
      std::uint32_t head;
      std::uint32_t tail;
      std::memcpy(&head, in, 4);
      std::memcpy(&tail, in + n - 4, 4);
      std::memcpy(out, &head, 4);
      std::memcpy(out + n - 4, &tail, 4);
    } else if (n < 4) {
      if (n > 0) {
        out[0] = in[0];
        out[n / 2] = in[n / 2];
        out[n - 1] = in[n - 1];
      }
    } else {
      std::memcpy(out, in, n);
    }
  }

  /// Writes the key of a length-delimited field (`key` below 128) and leaves `width` bytes for its length; returns
  /// the slot to `close` once the field's bytes are written.
  std::size_t open(std::uint8_t key, std::size_t width) {
    char* out = reserve(1 + width);
    *out = static_cast<char>(key);
    cursor_ = out + 1 + width;
    return static_cast<std::size_t>(out + 1 - out_.data());
  }

  /// Writes the length of what was written since `open(key, width)` returned `slot` into the slot.
  void close(std::size_t slot, std::size_t width) {
    const auto length = static_cast<std::size_t>(cursor_ - (out_.data() + slot + width));
    const std::size_t needed = varint_size(length);
    if (needed != width) [[unlikely]]
      move_body(slot, width, needed, length);
    put_varint(out_.data() + slot, length);
  }

 private:
  /// Moves a message's `length` bytes so that its slot is `needed` bytes wide instead of `width`.
  [[gnu::noinline]] void move_body(std::size_t slot, std::size_t width, std::size_t needed, std::size_t length) {
    if (needed > width) reserve(needed - width);
    char* const body = out_.data() + slot + width;
    std::memmove(out_.data() + slot + needed, body, length);
    cursor_ = out_.data() + slot + needed + length;
  }

  /// Writes `text` with each ill-formed UTF-8 sequence replaced by U+FFFD (as measure_non_ascii counted).
  [[gnu::noinline]] static char* put_repaired(char* out, std::string_view text) noexcept {
    const char* p = text.data();
    const char* const end = p + text.size();
    while (p != end) {
      if (static_cast<unsigned char>(*p) < 0x80) {
        *out++ = *p++;
        continue;
      }
      const utf8_sequence sequence = measure_utf8(p, end);
      out = put_utf8_sequence(out, p, sequence);
      p += sequence.size;
    }
    return out;
  }

  /// The smallest step `out` grows by: enough for a few typical spans, small enough to stay in L1 while written.
  static constexpr std::size_t chunk = 4096;

  [[gnu::noinline]] void grow(std::size_t n) {
    const std::size_t used = written();
    out_.resize(used + (n > chunk ? n : chunk));
    cursor_ = out_.data() + used;
    end_ = out_.data() + out_.size();
  }

  std::string& out_;
  char* cursor_;  ///< the end of what is written; [cursor_, end_) is room
  char* end_;
};

}  // namespace arbiter::inline v1::detail
