#pragma once

/// \file
/// Encodes spans as an OTLP `ExportTraceServiceRequest` in the protobuf JSON mapping, the body of
/// `POST /v1/traces` with `Content-Type: application/json`: resourceSpans -> scopeSpans -> spans; trace and span ids
/// as lowercase hex; a span's or link's W3C tracestate as `traceState` (left out when empty, the proto3 default);
/// times as unix nanoseconds in decimal strings; enums as integers; attributes as key/value with a
/// typed value (`stringValue`, `intValue` as a decimal string, `doubleValue`, `boolValue`, `arrayValue`).
/// What a strict collector would reject the whole batch for is never written: strings are valid UTF-8 (ill-formed
/// bytes become U+FFFD, see detail/json_text.hpp), a non-finite `doubleValue` is "NaN", "Infinity" or "-Infinity",
/// an attribute with an empty key is left out and counted in the droppedAttributesCount of its span, event, link or
/// resource, and an empty span or event name is written as unnamed_span_name ("unnamed").
/// No sockets, no JSON library: testable and benchmarkable alone.

#include <array>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <vector>

#include <arbiter/detail/chrono.hpp>
#include <arbiter/detail/float_math.hpp>
#include <arbiter/detail/json_text.hpp>
#include <arbiter/tracing/exporter.hpp>
#include <arbiter/tracing/span_data.hpp>

namespace arbiter::inline v1 {

/// The resource every exported span belongs to (the service), and the instrumentation scope.
struct otlp_resource {
  std::string service_name = "unknown_service";
  std::string service_version;
  std::string deployment_environment;
  attribute_list attributes;  ///< more resource attributes (e.g. from OTEL_RESOURCE_ATTRIBUTES)
  std::string scope_name = "arbiter";
  std::string scope_version = "0.1.0";
};

namespace detail {

/// Appends a number in decimal (shortest round-trip form for doubles). The append_* helpers serve
/// json_lines_exporter; the OTLP encoder writes through otlp_writer below.
template <class T>
void append_decimal(std::string& out, T value) {
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  out.append(buffer, result.ptr);
}

/// Appends a double as the shortest JSON number that reads back the same; non-finite values as the strings the
/// protobuf JSON mapping uses ("NaN", "Infinity", "-Infinity"). Kept for callers; append_json_number is the rule.
inline void append_json_double(std::string& out, double value) { append_json_number(out, value); }

/// Returns `time` in unix nanoseconds; times before the epoch (unrepresentable as OTLP's fixed64) as 0.
[[nodiscard]] inline std::uint64_t unix_nanos(std::chrono::system_clock::time_point time) noexcept {
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(time.time_since_epoch()).count();
  return ns < 0 ? 0 : static_cast<std::uint64_t>(ns);
}

/// Appends `"<id in lowercase hex>"`.
template <class Id>
void append_hex_id(std::string& out, const Id& id, std::size_t digits) {
  out.push_back('"');
  const std::size_t at = out.size();
  out.resize(at + digits);
  id.to_hex(out.data() + at);
  out.push_back('"');
}

/// "00" "01" ... "ff": two hex digits per byte, so an id is written a byte (not a nibble) at a time.
inline constexpr std::array<char, 512> hex_byte_pairs = [] {
  constexpr char hex[] = "0123456789abcdef";
  std::array<char, 512> pairs{};
  for (std::size_t b = 0; b < 256; ++b) {
    pairs[2 * b] = hex[b >> 4];
    pairs[2 * b + 1] = hex[b & 0xF];
  }
  return pairs;
}();

/// Writes `value` as 16 lowercase hex digits; returns the end.
inline char* write_hex_u64(char* out, std::uint64_t value) noexcept {
  for (std::size_t i = 8; i-- > 0;) {
    std::memcpy(out + 2 * i, &hex_byte_pairs[2 * (value & 0xFF)], 2);
    value >>= 8;
  }
  return out + 16;
}

/// "00" "01" ... "99": decimals are written two digits per lookup.
inline constexpr std::array<char, 200> decimal_digit_pairs = [] {
  std::array<char, 200> pairs{};
  for (std::size_t i = 0; i < 100; ++i) {
    pairs[2 * i] = static_cast<char>('0' + i / 10);
    pairs[2 * i + 1] = static_cast<char>('0' + i % 10);
  }
  return pairs;
}();

/// Writes the two digits of `value` (below 100).
inline void write_digit_pair(char* out, std::uint32_t value) noexcept {
  std::memcpy(out, &decimal_digit_pairs[2 * value], 2);
}

/// Writes exactly 4 digits of `value` (below 10^4), leading zeros included; returns the end.
inline char* write_4_digits(char* out, std::uint32_t value) noexcept {
  write_digit_pair(out, value / 100);
  write_digit_pair(out + 2, value % 100);
  return out + 4;
}

/// Writes exactly 8 digits of `value` (below 10^8), leading zeros included; returns the end.
inline char* write_8_digits(char* out, std::uint32_t value) noexcept {
  return write_4_digits(write_4_digits(out, value / 10'000), value % 10'000);
}

/// Writes `value` (below 10^4) without leading zeros; returns the end.
inline char* write_short_decimal(char* out, std::uint32_t value) noexcept {
  if (value < 10) {
    *out = static_cast<char>('0' + value);
    return out + 1;
  }
  if (value < 100) {
    write_digit_pair(out, value);
    return out + 2;
  }
  if (value < 1000) {
    *out = static_cast<char>('0' + value / 100);
    write_digit_pair(out + 1, value % 100);
    return out + 3;
  }
  return write_4_digits(out, value);
}

/// Writes `value` (below 10^8) without leading zeros; returns the end.
inline char* write_medium_decimal(char* out, std::uint32_t value) noexcept {
  if (value < 10'000) return write_short_decimal(out, value);
  return write_4_digits(write_short_decimal(out, value / 10'000), value % 10'000);
}

/// Writes `value` in decimal (at most 20 characters); returns the end. Splits the value into blocks of 8 digits
/// worked in 32-bit arithmetic: unix nanoseconds have 19 digits, and std::to_chars's 64-bit divisions and digit
/// count loop made them a third of the encoding time.
inline char* write_u64_decimal(char* out, std::uint64_t value) noexcept {
  constexpr std::uint64_t e8 = 100'000'000;
  constexpr std::uint64_t e16 = e8 * e8;
  if (value < e8) return write_medium_decimal(out, static_cast<std::uint32_t>(value));
  if (value < e16) {
    out = write_medium_decimal(out, static_cast<std::uint32_t>(value / e8));
    return write_8_digits(out, static_cast<std::uint32_t>(value % e8));
  }
  const std::uint64_t low16 = value % e16;
  out = write_short_decimal(out, static_cast<std::uint32_t>(value / e16));  // at most 1844
  out = write_8_digits(out, static_cast<std::uint32_t>(low16 / e8));
  return write_8_digits(out, static_cast<std::uint32_t>(low16 % e8));
}

/// Writes a signed or unsigned integer in decimal (at most 20 characters); returns the end.
template <class T>
char* write_integer_decimal(char* out, T value) noexcept {
  static_assert(std::is_integral_v<T> && sizeof(T) <= 8);
  if constexpr (std::is_signed_v<T>) {
    if (value < 0) {
      *out++ = '-';
      // The magnitude in unsigned arithmetic, where negating the minimum does not overflow.
      return write_u64_decimal(out, std::uint64_t{0} - static_cast<std::uint64_t>(value));
    }
  }
  return write_u64_decimal(out, static_cast<std::uint64_t>(value));
}

/// Writes OTLP JSON into a std::string through a raw cursor. The std::string::append / push_back per piece that a
/// straightforward encoder does (a call, a capacity check, a strlen for each literal) cost more than the bytes
/// themselves; here each piece checks room once (`reserve`) and is then copied with fixed-size memcpys.
/// Room is made by resizing `out` past what is written, a chunk at a time (so the zero fill stays in cache);
/// the destructor cuts `out` back to exactly what was written, also when an exception leaves a piece half done.
/// Each piece works on a local copy of the cursor: a store through a char* may alias any object, members included,
/// so writing through `cursor_` itself would make the compiler reload it after every byte.
class otlp_writer {
 public:
  explicit otlp_writer(std::string& out) noexcept
      : out_(out), cursor_(out.data() + out.size()), end_(out.data() + out.size()) {}
  ~otlp_writer() { out_.resize(static_cast<std::size_t>(cursor_ - out_.data())); }
  otlp_writer(const otlp_writer&) = delete;
  otlp_writer& operator=(const otlp_writer&) = delete;

  /// Makes room for `n` more bytes.
  void reserve(std::size_t n) {
    if (static_cast<std::size_t>(end_ - cursor_) < n) [[unlikely]]
      grow(n);
  }

  /// Writes a string literal (its length known at compile time, no strlen).
  template <std::size_t N>
  void literal(const char (&text)[N]) {
    reserve(N - 1);
    char* const out = cursor_;
    std::memcpy(out, text, N - 1);
    cursor_ = out + (N - 1);
  }

  /// Writes `text` as it is: JSON that is already escaped (a fragment rendered once for a whole batch).
  void raw(std::string_view text) {
    reserve(text.size());
    char* const out = cursor_;
    std::memcpy(out, text.data(), text.size());
    cursor_ = out + text.size();
  }

  /// Takes back the last `n` bytes written.
  void unwrite(std::size_t n) noexcept { cursor_ -= n; }

  void character(char c) {
    reserve(1);
    char* const out = cursor_;
    *out = c;
    cursor_ = out + 1;
  }

  /// Writes `text` as a quoted JSON string (escapes and UTF-8 repair as detail/json_text.hpp says). Room for the
  /// text as it is is made once; every byte that is not plain makes room for what it may become (up to 6 bytes)
  /// and the rest, so the bound stays tight for plain text.
  void quoted(std::string_view text) {
    reserve(text.size() + 2);
    char* out = cursor_;
    *out++ = '"';
    const char* const begin = text.data();
    const char* p = begin;
    const char* const end = p + text.size();
    while (p != end) {
      if (end - p >= 8) {
        if (copy_plain_word(out, p)) {
          p += 8;
          continue;
        }
      } else if (copy_plain_tail(out, begin, p, end)) {
        break;
      }
      const special_run run = write_special_run(out, p, end);
      out = run.out;
      p = run.in;
    }
    *out++ = '"';
    cursor_ = out;
  }

  /// Writes `"<32 hex digits>"`.
  void quoted_id(const trace_id& id) {
    reserve(34);
    char* out = cursor_;
    *out++ = '"';
    out = write_hex_u64(write_hex_u64(out, id.high), id.low);
    *out++ = '"';
    cursor_ = out;
  }

  /// Writes `"<16 hex digits>"`.
  void quoted_id(const span_id& id) {
    reserve(18);
    char* out = cursor_;
    *out++ = '"';
    out = write_hex_u64(out, id.value);
    *out++ = '"';
    cursor_ = out;
  }

  /// Writes an integer in decimal.
  template <class T>
  void decimal(T value) {
    reserve(20);  // 18446744073709551615, -9223372036854775808
    cursor_ = write_integer_decimal(cursor_, value);
  }

  /// Writes `"<unix nanoseconds>"`: a string, as JSON numbers lose precision beyond 2^53.
  void quoted_nanos(std::chrono::system_clock::time_point time) {
    reserve(22);
    char* out = cursor_;
    *out++ = '"';
    out = write_u64_decimal(out, unix_nanos(time));
    *out++ = '"';
    cursor_ = out;
  }

  /// Writes a double as the shortest JSON number that reads back the same; non-finite values as the strings the
  /// protobuf JSON mapping uses ("NaN", "Infinity", "-Infinity").
  void number(double value) {
    reserve(32);  // the shortest form is at most 24 characters (-2.2250738585072014e-308); "-Infinity" in quotes 11
    if (!detail::is_finite(value)) [[unlikely]] {
      const std::string_view text = json_non_finite(value);
      std::memcpy(cursor_, text.data(), text.size());
      cursor_ += text.size();
      return;
    }
    cursor_ = std::to_chars(cursor_, cursor_ + 32, value).ptr;
  }

 private:
  /// Where write_special_run left the output and the input (returned in registers: a pointer to `out` passed in
  /// would let every byte store alias it).
  struct special_run {
    char* out;
    const char* in;
  };

  /// Writes the next 8 bytes at `p` (or the tail, when shorter) byte by byte to `out`: some byte among them is not
  /// plain (an escape, or a UTF-8 sequence, which may run past those 8 bytes). Kept out of line: plain ASCII, nearly
  /// all of what spans carry, never comes here, and `quoted` is inlined at every string of a span.
  [[gnu::noinline]] special_run write_special_run(char* out, const char* p, const char* end) {
    const char* const stop = end - p >= 8 ? p + 8 : end;
    while (p < stop) {
      if (json_plain_byte(static_cast<unsigned char>(*p))) {
        *out++ = *p++;
        continue;
      }
      cursor_ = out;
      reserve(max_json_escape_size + static_cast<std::size_t>(end - p));  // this step, the rest, the quote
      out = cursor_;
      p = write_json_special(out, p, end);
    }
    return {out, p};
  }

  /// Copies the 8 bytes at `p` to `out` when all are plain ASCII; returns whether it did.
  static bool copy_plain_word(char*& out, const char* p) noexcept {
    std::uint64_t word;
    std::memcpy(&word, p, 8);
    if (!json_word_is_plain(word)) return false;
    std::memcpy(out, &word, 8);
    out += 8;
    return true;
  }

  /// Copies the last 1 to 7 bytes [p, end) of a string starting at `begin` to `out` when all are plain ASCII, with
  /// whole word tests instead of a byte loop; returns whether it did. Spans are full of short names and keys.
  static bool copy_plain_tail(char*& out, const char* begin, const char* p, const char* end) noexcept {
    const auto left = static_cast<std::size_t>(end - p);
    if (end - begin >= 8) {
      // The word ending at `end` overlaps bytes already written. When it is plain, those bytes were plain too, so
      // each was written as itself: they are the last (8 - left) bytes before `out`, and rewriting them with the
      // same values is harmless.
      std::uint64_t word;
      std::memcpy(&word, end - 8, 8);
      if (!json_word_is_plain(word)) return false;
      std::memcpy(out - (8 - left), &word, 8);
      out += left;
      return true;
    }
    if (left >= 4) {
      // Two 4-byte halves, overlapping when fewer than 8 bytes are left, tested as one word.
      std::uint32_t head;
      std::uint32_t tail;
      std::memcpy(&head, p, 4);
      std::memcpy(&tail, end - 4, 4);
      if (!json_word_is_plain(head | std::uint64_t{tail} << 32)) return false;
      std::memcpy(out, &head, 4);
      std::memcpy(out + (left - 4), &tail, 4);
      out += left;
      return true;
    }
    return false;
  }

  /// The smallest step `out` grows by: enough for a few typical spans, small enough to stay in L1 while written.
  static constexpr std::size_t chunk = 4096;

  [[gnu::noinline]] void grow(std::size_t n) {
    const auto used = static_cast<std::size_t>(cursor_ - out_.data());
    out_.resize(used + (n > chunk ? n : chunk));
    cursor_ = out_.data() + used;
    end_ = out_.data() + out_.size();
  }

  std::string& out_;
  char* cursor_;  ///< the end of what is written; [cursor_, end_) is room
  char* end_;
};

inline void write_otlp_string_value(otlp_writer& out, std::string_view text) {
  out.literal("{\"stringValue\":");
  out.quoted(text);
  out.character('}');
}
inline void write_otlp_int_value(otlp_writer& out, std::int64_t value) {
  out.literal("{\"intValue\":\"");
  out.decimal(value);
  out.literal("\"}");
}
inline void write_otlp_double_value(otlp_writer& out, double value) {
  out.literal("{\"doubleValue\":");
  out.number(value);
  out.character('}');
}
inline void write_otlp_bool_value(otlp_writer& out, bool value) {
  if (value) {
    out.literal("{\"boolValue\":true}");
  } else {
    out.literal("{\"boolValue\":false}");
  }
}

template <class Vector, class WriteElement>
void write_otlp_array_value(otlp_writer& out, const Vector& values, WriteElement write_element) {
  out.literal("{\"arrayValue\":{\"values\":[");
  bool first = true;
  for (const auto& element : values) {
    if (!first) out.character(',');
    first = false;
    write_element(out, element);
  }
  out.literal("]}}");
}

/// Writes an OTLP AnyValue object for `value`. Tests the scalar types in turn: spans carry mostly strings and
/// integers.
inline void write_otlp_any_value(otlp_writer& out, const attribute_value& value) {
  if (const auto* text = value.get_if<std::string>()) {
    write_otlp_string_value(out, *text);
  } else if (const auto* integer = value.get_if<std::int64_t>()) {
    write_otlp_int_value(out, *integer);
  } else if (const auto* boolean = value.get_if<bool>()) {
    write_otlp_bool_value(out, *boolean);
  } else if (const auto* real = value.get_if<double>()) {
    write_otlp_double_value(out, *real);
  } else if (const auto* texts = value.get_if<std::vector<std::string>>()) {
    write_otlp_array_value(out, *texts, [](otlp_writer& o, const std::string& e) { write_otlp_string_value(o, e); });
  } else if (const auto* integers = value.get_if<std::vector<std::int64_t>>()) {
    write_otlp_array_value(out, *integers, [](otlp_writer& o, std::int64_t e) { write_otlp_int_value(o, e); });
  } else if (const auto* reals = value.get_if<std::vector<double>>()) {
    write_otlp_array_value(out, *reals, [](otlp_writer& o, double e) { write_otlp_double_value(o, e); });
  } else if (const auto* booleans = value.get_if<std::vector<bool>>()) {
    write_otlp_array_value(out, *booleans, [](otlp_writer& o, bool e) { write_otlp_bool_value(o, e); });
  }
}

inline void write_otlp_key_value(otlp_writer& out, std::string_view key, const attribute_value& value) {
  out.literal("{\"key\":");
  out.quoted(key);
  out.literal(",\"value\":");
  write_otlp_any_value(out, value);
  out.character('}');
}

/// Writes `,"attributes":[...]` (nothing when empty, as proto3 JSON omits empty repeated fields), leaving out those
/// with an empty key: OTLP forbids them and a strict collector rejects the whole batch for one. Returns how many
/// it left out, for the droppedAttributesCount next to it.
inline std::uint32_t write_otlp_attributes(otlp_writer& out, const attribute_list& attributes) {
  if (attributes.empty()) return 0;
  constexpr char head[] = ",\"attributes\":[";
  out.literal(head);
  std::uint32_t left_out = 0;
  bool first = true;
  for (const auto& [key, value] : attributes) {
    if (key.empty()) [[unlikely]] {
      ++left_out;
      continue;
    }
    if (!first) out.character(',');
    first = false;
    write_otlp_key_value(out, key, value);
  }
  if (first) [[unlikely]] {
    out.unwrite(sizeof head - 1);  // every key was empty: no field at all
  } else {
    out.character(']');
  }
  return left_out;
}

/// Writes `,"<field>":<count>` unless `count` is 0 (the proto3 default, omitted).
template <std::size_t N>
void write_otlp_dropped(otlp_writer& out, const char (&field)[N], std::uint32_t count) {
  if (count == 0) return;
  out.literal(field);
  out.decimal(count);
}

/// Writes one OTLP Span object.
inline void write_otlp_span(otlp_writer& out, const span_data& span) {
  out.literal("{\"traceId\":");
  out.quoted_id(span.context.trace_id);
  out.literal(",\"spanId\":");
  out.quoted_id(span.context.span_id);
  if (!span.trace_state.empty()) {
    out.literal(",\"traceState\":");
    out.quoted(span.trace_state);
  }
  if (span.parent_span_id.valid()) {
    out.literal(",\"parentSpanId\":");
    out.quoted_id(span.parent_span_id);
  }
  out.literal(",\"flags\":");
  out.decimal(otlp_span_flags(span));
  out.literal(",\"name\":");
  out.quoted(exported_name(span.name));
  out.literal(",\"kind\":");
  out.decimal(static_cast<int>(span.kind) + 1);  // SPAN_KIND_INTERNAL is 1
  out.literal(",\"startTimeUnixNano\":");
  out.quoted_nanos(span.start_time);
  out.literal(",\"endTimeUnixNano\":");
  out.quoted_nanos(span.end_time);
  const std::uint32_t left_out = write_otlp_attributes(out, span.attributes);
  write_otlp_dropped(out, ",\"droppedAttributesCount\":", saturating_add(span.dropped_attributes, left_out));
  if (!span.events.empty()) {
    out.literal(",\"events\":[");
    bool first = true;
    for (const auto& event : span.events) {
      if (!first) out.character(',');
      first = false;
      out.literal("{\"timeUnixNano\":");
      out.quoted_nanos(event.time);
      out.literal(",\"name\":");
      out.quoted(exported_name(event.name));
      const std::uint32_t event_left_out = write_otlp_attributes(out, event.attributes);
      write_otlp_dropped(out, ",\"droppedAttributesCount\":", saturating_add(event.dropped_attributes, event_left_out));
      out.character('}');
    }
    out.character(']');
  }
  write_otlp_dropped(out, ",\"droppedEventsCount\":", span.dropped_events);
  if (!span.links.empty()) {
    out.literal(",\"links\":[");
    bool first = true;
    for (const auto& link : span.links) {
      if (!first) out.character(',');
      first = false;
      out.literal("{\"traceId\":");
      out.quoted_id(link.context.trace_id);
      out.literal(",\"spanId\":");
      out.quoted_id(link.context.span_id);
      if (!link.trace_state.empty()) {
        out.literal(",\"traceState\":");
        out.quoted(link.trace_state);
      }
      out.literal(",\"flags\":");
      out.decimal(otlp_link_flags(link));
      const std::uint32_t link_left_out = write_otlp_attributes(out, link.attributes);
      write_otlp_dropped(out, ",\"droppedAttributesCount\":", saturating_add(link.dropped_attributes, link_left_out));
      out.character('}');
    }
    out.character(']');
  }
  write_otlp_dropped(out, ",\"droppedLinksCount\":", span.dropped_links);
  out.literal(",\"status\":{");
  if (span.status != span_status::unset) {
    out.literal("\"code\":");
    out.decimal(static_cast<int>(span.status));  // UNSET 0, OK 1, ERROR 2
    if (!span.status_description.empty()) {
      out.literal(",\"message\":");
      out.quoted(span.status_description);
    }
  }
  out.literal("}}");
}

}  // namespace detail

/// Appends one OTLP Span object.
inline void append_otlp_span(std::string& out, const span_data& span) {
  detail::otlp_writer writer(out);
  detail::write_otlp_span(writer, span);
}

namespace detail {
[[nodiscard]] inline const span_data& span_of(const span_data& span) noexcept { return span; }
[[nodiscard]] inline const span_data& span_of(const span_data* span) noexcept { return *span; }

/// Writes the request for a range of spans or of pointers to spans.
template <class Range>
void encode_otlp_json_range(std::string& out, const Range& spans, const otlp_resource& resource) {
  otlp_writer writer(out);
  writer.literal("{\"resourceSpans\":[{\"resource\":{\"attributes\":[");
  write_otlp_key_value(writer, "service.name", resource.service_name);
  if (!resource.service_version.empty()) {
    writer.character(',');
    write_otlp_key_value(writer, "service.version", resource.service_version);
  }
  if (!resource.deployment_environment.empty()) {
    writer.character(',');
    write_otlp_key_value(writer, "deployment.environment", resource.deployment_environment);
  }
  std::uint32_t left_out = 0;
  for (const auto& [key, value] : resource.attributes) {
    if (key == "service.name" || key == "service.version" || key == "deployment.environment") continue;
    if (key.empty()) {  // as write_otlp_attributes does
      ++left_out;
      continue;
    }
    writer.character(',');
    write_otlp_key_value(writer, key, value);
  }
  writer.character(']');
  write_otlp_dropped(writer, ",\"droppedAttributesCount\":", left_out);
  writer.literal("},\"scopeSpans\":[{\"scope\":{\"name\":");
  writer.quoted(resource.scope_name);
  if (!resource.scope_version.empty()) {
    writer.literal(",\"version\":");
    writer.quoted(resource.scope_version);
  }
  writer.literal("},\"spans\":[");
  bool first = true;
  for (const auto& span : spans) {
    if (!first) writer.character(',');
    first = false;
    write_otlp_span(writer, span_of(span));
  }
  writer.literal("]}]}]}");
}
}  // namespace detail

/// Appends a whole `ExportTraceServiceRequest` carrying `spans` for `resource`.
inline void encode_otlp_json(std::string& out, std::span<const span_data> spans, const otlp_resource& resource) {
  detail::encode_otlp_json_range(out, spans, resource);
}

/// The same for spans read in place (what batch_processor hands an InPlaceSpanExporter).
inline void encode_otlp_json(std::string& out, span_refs spans, const otlp_resource& resource) {
  detail::encode_otlp_json_range(out, spans, resource);
}

/// Returns the `ExportTraceServiceRequest` JSON for `spans`.
[[nodiscard]] inline std::string otlp_json(std::span<const span_data> spans, const otlp_resource& resource) {
  std::string out;
  out.reserve(256 + spans.size() * 320);
  encode_otlp_json(out, spans, resource);
  return out;
}

}  // namespace arbiter::inline v1
