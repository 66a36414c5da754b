#pragma once

/// \file
/// W3C Baggage: application key/value pairs that travel with a request (`baggage: userId=alice,isVip=true;ttl=5`).

#include <algorithm>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <arbiter/tracing/trace_context.hpp>

namespace arbiter::inline v1 {

namespace detail {

/// An RFC 7230 token character (baggage keys are tokens).
[[nodiscard]] constexpr bool is_tchar(char c) noexcept {
  if (c >= 'a' && c <= 'z') return true;
  if (c >= 'A' && c <= 'Z') return true;
  if (c >= '0' && c <= '9') return true;
  constexpr std::string_view extra = "!#$%&'*+-.^_`|~";
  return extra.find(c) != std::string_view::npos;
}

[[nodiscard]] constexpr bool is_token(std::string_view text) noexcept {
  if (text.empty()) return false;
  for (const char c : text) {
    if (!is_tchar(c)) return false;
  }
  return true;
}

/// A baggage-octet: printable US-ASCII except space, `"`, `,`, `;` and `\`.
[[nodiscard]] constexpr bool is_baggage_octet(char c) noexcept {
  return c >= 0x21 && c <= 0x7E && c != '"' && c != ',' && c != ';' && c != '\\';
}

[[nodiscard]] constexpr int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// Percent-decodes a baggage value; nullopt when it holds a character outside the grammar or a broken escape.
[[nodiscard]] inline std::optional<std::string> baggage_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (!is_baggage_octet(c)) return std::nullopt;
    if (c != '%') {
      out.push_back(c);
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    const int hi = hex_value(text[i + 1]);
    const int lo = hex_value(text[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

/// Percent-encodes every byte that is not a baggage-octet, and `%` itself.
inline void baggage_encode(std::string& out, std::string_view text) {
  constexpr char hex[] = "0123456789ABCDEF";
  for (const char c : text) {
    if (is_baggage_octet(c) && c != '%') {
      out.push_back(c);
    } else {
      const auto byte = static_cast<unsigned char>(c);
      out.push_back('%');
      out.push_back(hex[byte >> 4]);
      out.push_back(hex[byte & 0xF]);
    }
  }
}

}  // namespace detail

/// A set of baggage entries: key, (decoded) value, and the member's properties kept verbatim.
class baggage {
 public:
  struct entry {
    std::string key;
    std::string value;
    std::string properties;  ///< the text after the first `;`, e.g. `ttl=5`; empty when none
    friend bool operator==(const entry&, const entry&) = default;
  };
  /// The limits a vendor must at least propagate; beyond them entries are dropped, rightmost first.
  static constexpr std::size_t max_members = 64;
  static constexpr std::size_t max_header_size = 8192;

  baggage() = default;

  /// Parses one or more `baggage` header values in order. Members that break the grammar are skipped (the others are
  /// kept); a later member with the same key replaces the earlier one. Beyond 64 members the rest is ignored.
  [[nodiscard]] static baggage parse(const std::vector<std::string_view>& headers) {
    baggage result;
    for (const std::string_view header : headers) {
      std::string_view rest = header;
      while (true) {
        const auto comma = rest.find(',');
        const std::string_view member = detail::trim_ows(rest.substr(0, comma));
        if (!member.empty()) result.parse_member(member);
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 1);
      }
    }
    return result;
  }

  [[nodiscard]] static baggage parse(std::string_view header) { return parse(std::vector<std::string_view>{header}); }

  /// Returns the value of `key`, if present.
  [[nodiscard]] std::optional<std::string_view> get(std::string_view key) const noexcept {
    for (const auto& e : entries_) {
      if (e.key == key) return std::string_view(e.value);
    }
    return std::nullopt;
  }

  /// Sets `key` (which must be an RFC 7230 token) to `value` (any bytes: they are percent-encoded on the wire).
  /// Returns false when the key is not a token or the set is full.
  bool set(std::string_view key, std::string_view value, std::string_view properties = {}) {
    if (!detail::is_token(key)) return false;
    for (auto& e : entries_) {
      if (e.key == key) {
        e.value.assign(value);
        e.properties.assign(properties);
        return true;
      }
    }
    if (entries_.size() == max_members) return false;
    entries_.push_back(entry{std::string(key), std::string(value), std::string(properties)});
    return true;
  }

  bool erase(std::string_view key) {
    const auto it = std::find_if(entries_.begin(), entries_.end(), [key](const entry& e) { return e.key == key; });
    if (it == entries_.end()) return false;
    entries_.erase(it);
    return true;
  }

  [[nodiscard]] const std::vector<entry>& entries() const noexcept { return entries_; }
  [[nodiscard]] bool empty() const noexcept { return entries_.empty(); }
  [[nodiscard]] std::size_t size() const noexcept { return entries_.size(); }

  /// Writes the header value (values percent-encoded), dropping whole rightmost entries beyond 8192 characters.
  [[nodiscard]] std::string to_header() const {
    std::string out;
    for (const auto& e : entries_) {
      std::string member = e.key;
      member.push_back('=');
      detail::baggage_encode(member, e.value);
      if (!e.properties.empty()) {
        member.push_back(';');
        member += e.properties;
      }
      if (out.size() + (out.empty() ? 0 : 1) + member.size() > max_header_size) break;
      if (!out.empty()) out.push_back(',');
      out += member;
    }
    return out;
  }

  friend bool operator==(const baggage&, const baggage&) = default;

 private:
  void parse_member(std::string_view member) {
    if (entries_.size() == max_members) return;
    const auto semicolon = member.find(';');
    const std::string_view pair = member.substr(0, semicolon);
    const std::string_view properties =
        semicolon == std::string_view::npos ? std::string_view() : detail::trim_ows(member.substr(semicolon + 1));
    const auto eq = pair.find('=');
    if (eq == std::string_view::npos) return;
    const std::string_view key = detail::trim_ows(pair.substr(0, eq));
    const std::string_view raw_value = detail::trim_ows(pair.substr(eq + 1));
    if (!detail::is_token(key)) return;
    auto value = detail::baggage_decode(raw_value);
    if (!value) return;
    set(key, *value, properties);
  }

  std::vector<entry> entries_;
};

}  // namespace arbiter::inline v1
