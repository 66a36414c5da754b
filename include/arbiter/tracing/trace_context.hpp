#pragma once

/// \file
/// W3C Trace Context: the `traceparent` and `tracestate` headers, parsed and written exactly as the
/// Recommendation says (Level 1 grammar; Level 2's random-trace-id flag is kept when present).

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <arbiter/tracing/span_context.hpp>

namespace arbiter::inline v1 {

namespace detail {

/// Strips HTTP optional whitespace (spaces and tabs) from both ends.
[[nodiscard]] constexpr std::string_view trim_ows(std::string_view text) noexcept {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

[[nodiscard]] constexpr bool is_lower_hex(char c) noexcept { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }
[[nodiscard]] constexpr bool is_lcalpha(char c) noexcept { return c >= 'a' && c <= 'z'; }
[[nodiscard]] constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
/// A character allowed after the first one of a tracestate key part: lcalpha / DIGIT / "_" / "-" / "*" / "/".
[[nodiscard]] constexpr bool is_key_char(char c) noexcept {
  return is_lcalpha(c) || is_digit(c) || c == '_' || c == '-' || c == '*' || c == '/';
}

}  // namespace detail

/// The flag bits arbiter understands and re-emits; the rest are reserved and always sent as 0.
inline constexpr std::uint8_t known_trace_flags = trace_flags::sampled | trace_flags::random;

/// Parses a `traceparent` header value. Returns nullopt when the header is invalid, which means "start a new trace":
/// version 00 must be exactly 55 characters `00-<32 hex>-<16 hex>-<2 hex>` in lowercase; version `ff` is invalid;
/// a higher version must be at least 55 characters, its four fields are read at the same positions, and the flags
/// must be followed by the end or `-` (the rest is ignored). An all-zero trace id or parent id invalidates the header.
/// The result is marked remote and keeps only the known flag bits.
[[nodiscard]] constexpr std::optional<span_context> parse_traceparent(std::string_view header) noexcept {
  header = detail::trim_ows(header);
  if (header.size() < 55) return std::nullopt;
  if (!detail::is_lower_hex(header[0]) || !detail::is_lower_hex(header[1])) return std::nullopt;
  const std::string_view version_field = header.substr(0, 2);
  if (version_field == "ff") return std::nullopt;
  if (version_field == "00" && header.size() != 55) return std::nullopt;
  if (header.size() > 55 && header[55] != '-') return std::nullopt;
  if (header[2] != '-' || header[35] != '-' || header[52] != '-') return std::nullopt;
  const auto trace = trace_id::from_hex(header.substr(3, 32));
  const auto parent = span_id::from_hex(header.substr(36, 16));
  const auto flags = detail::parse_hex_u64(header.substr(53, 2));
  if (!trace || !parent || !flags) return std::nullopt;
  span_context context;
  context.trace_id = *trace;
  context.span_id = *parent;
  context.flags = static_cast<std::uint8_t>(*flags & known_trace_flags);
  context.remote = true;
  return context;
}

/// Writes `context` as a version-00 `traceparent` value (55 characters); reserved flag bits are sent as 0.
[[nodiscard]] constexpr std::array<char, 55> format_traceparent(const span_context& context) noexcept {
  std::array<char, 55> out{};
  out[0] = '0';
  out[1] = '0';
  out[2] = '-';
  context.trace_id.to_hex(out.data() + 3);
  out[35] = '-';
  context.span_id.to_hex(out.data() + 36);
  out[52] = '-';
  detail::put_hex(out.data() + 53, context.flags & known_trace_flags, 2);
  return out;
}

/// Returns the `traceparent` value for `context` as a string.
[[nodiscard]] inline std::string traceparent_string(const span_context& context) {
  const auto text = format_traceparent(context);
  return std::string(text.data(), text.size());
}

/// True when `key` follows the tracestate key grammar: a simple key (lcalpha then up to 255 of
/// lcalpha / DIGIT / `_-*/`) or `tenant@system` (tenant: lcalpha or DIGIT then up to 240 more; system: lcalpha then
/// up to 13 more).
[[nodiscard]] constexpr bool valid_tracestate_key(std::string_view key) noexcept {
  const auto part_ok = [](std::string_view part, bool digit_first, std::size_t max_size) {
    if (part.empty() || part.size() > max_size) return false;
    if (!detail::is_lcalpha(part[0]) && !(digit_first && detail::is_digit(part[0]))) return false;
    for (std::size_t i = 1; i < part.size(); ++i) {
      if (!detail::is_key_char(part[i])) return false;
    }
    return true;
  };
  const auto at = key.find('@');
  if (at == std::string_view::npos) return part_ok(key, false, 256);
  return part_ok(key.substr(0, at), true, 241) && part_ok(key.substr(at + 1), false, 14);
}

/// True when `value` follows the tracestate value grammar: 1 to 256 printable ASCII characters (0x20 to 0x7E)
/// other than `,` and `=`, not ending in a space.
[[nodiscard]] constexpr bool valid_tracestate_value(std::string_view value) noexcept {
  if (value.empty() || value.size() > 256 || value.back() == ' ') return false;
  for (const char c : value) {
    if (c < 0x20 || c > 0x7E || c == ',' || c == '=') return false;
  }
  return true;
}

/// True when `header` is a well-formed `tracestate` header value: `key=value` members separated by commas (empty
/// members and spaces or tabs around the commas allowed), each key and value by the grammar above, no key twice, at
/// most 32 members. Every entry point that takes a tracestate as text (span_options::trace_state, a scope, a link,
/// inject_trace_context) checks it and drops one that fails, as a W3C receiver drops a malformed tracestate: what
/// reaches a header or an exporter is valid by construction (no CR or LF, nothing outside printable ASCII).
[[nodiscard]] constexpr bool valid_tracestate_header(std::string_view header) noexcept {
  constexpr auto npos = std::string_view::npos;
  std::size_t members = 0;
  for (std::size_t start = 0;;) {
    const auto comma = header.find(',', start);
    const std::string_view member = detail::trim_ows(header.substr(start, comma == npos ? npos : comma - start));
    if (!member.empty()) {
      const auto eq = member.find('=');
      if (eq == npos) return false;
      const std::string_view key = member.substr(0, eq);
      if (!valid_tracestate_key(key) || !valid_tracestate_value(member.substr(eq + 1)) || ++members > 32) {
        return false;
      }
      // A repeated key: the members before this one end at the comma before `start` (at most 31 of them).
      for (std::size_t at = 0; at < start;) {
        const auto end = header.find(',', at);
        const std::string_view other = detail::trim_ows(header.substr(at, end - at));
        if (!other.empty() && other.substr(0, other.find('=')) == key) return false;
        at = end + 1;
      }
    }
    if (comma == npos) return true;
    start = comma + 1;
  }
}

/// The vendor-specific `tracestate` list: at most 32 `key=value` members, the most recently updated first.
class trace_state {
 public:
  using entry = std::pair<std::string, std::string>;
  static constexpr std::size_t max_members = 32;
  /// The header size every vendor should propagate; `to_header()` truncates to it by default.
  static constexpr std::size_t default_max_header_size = 512;

  trace_state() = default;

  /// Parses one or more `tracestate` header values, combined in order as one list. Empty members and whitespace
  /// around commas are tolerated. Returns nullopt when any member breaks the grammar, a key repeats, or there are
  /// more than 32 members: the whole tracestate is then dropped (the traceparent stays valid).
  [[nodiscard]] static std::optional<trace_state> parse(const std::vector<std::string_view>& headers) {
    trace_state state;
    for (const std::string_view header : headers) {
      std::string_view rest = header;
      while (true) {
        const auto comma = rest.find(',');
        const std::string_view member = detail::trim_ows(rest.substr(0, comma));
        if (!member.empty()) {
          const auto eq = member.find('=');
          if (eq == std::string_view::npos) return std::nullopt;
          const std::string_view key = member.substr(0, eq);
          const std::string_view value = member.substr(eq + 1);
          if (!valid_tracestate_key(key) || !valid_tracestate_value(value)) return std::nullopt;
          if (state.get(key)) return std::nullopt;
          if (state.entries_.size() == max_members) return std::nullopt;
          state.entries_.emplace_back(key, value);
        }
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 1);
      }
    }
    return state;
  }

  /// Parses a single header value (see the overload taking several).
  [[nodiscard]] static std::optional<trace_state> parse(std::string_view header) {
    return parse(std::vector<std::string_view>{header});
  }

  /// Returns the value of `key`, if present.
  [[nodiscard]] std::optional<std::string_view> get(std::string_view key) const noexcept {
    for (const auto& [k, v] : entries_) {
      if (k == key) return std::string_view(v);
    }
    return std::nullopt;
  }

  /// Sets `key` to `value` and moves it to the front, as a vendor does when it updates its own entry.
  /// Returns false (and changes nothing) when the key or value breaks the grammar. A new key on a full list
  /// pushes out the rightmost member.
  bool put(std::string_view key, std::string_view value) {
    if (!valid_tracestate_key(key) || !valid_tracestate_value(value)) return false;
    erase(key);
    if (entries_.size() == max_members) entries_.pop_back();
    entries_.insert(entries_.begin(), entry(key, value));
    return true;
  }

  /// Removes `key`; returns whether it was there.
  bool erase(std::string_view key) {
    const auto it = std::find_if(entries_.begin(), entries_.end(), [key](const entry& e) { return e.first == key; });
    if (it == entries_.end()) return false;
    entries_.erase(it);
    return true;
  }

  [[nodiscard]] const std::vector<entry>& entries() const noexcept { return entries_; }
  [[nodiscard]] bool empty() const noexcept { return entries_.empty(); }
  [[nodiscard]] std::size_t size() const noexcept { return entries_.size(); }

  /// Writes the header value, at most `max_size` characters: when it is longer, whole entries are dropped,
  /// first those over 128 characters (rightmost first), then the rightmost ones.
  [[nodiscard]] std::string to_header(std::size_t max_size = default_max_header_size) const {
    std::vector<bool> keep(entries_.size(), true);
    const auto entry_size = [this](std::size_t i) { return entries_[i].first.size() + 1 + entries_[i].second.size(); };
    const auto total = [&] {
      std::size_t size = 0;
      std::size_t count = 0;
      for (std::size_t i = 0; i < entries_.size(); ++i) {
        if (!keep[i]) continue;
        size += entry_size(i);
        ++count;
      }
      return size + (count > 0 ? count - 1 : 0);
    };
    for (std::size_t i = entries_.size(); i-- > 0 && total() > max_size;) {
      if (entry_size(i) > 128) keep[i] = false;
    }
    for (std::size_t i = entries_.size(); i-- > 0 && total() > max_size;) keep[i] = false;
    std::string out;
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      if (!keep[i]) continue;
      if (!out.empty()) out.push_back(',');
      out += entries_[i].first;
      out.push_back('=');
      out += entries_[i].second;
    }
    return out;
  }

  friend bool operator==(const trace_state&, const trace_state&) = default;

 private:
  std::vector<entry> entries_;
};

}  // namespace arbiter::inline v1
