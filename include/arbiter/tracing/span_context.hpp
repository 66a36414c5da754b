#pragma once

/// \file
/// The identity of a span as it crosses process boundaries: trace id, span id, flags.

#include <cstdint>

#include <arbiter/tracing/ids.hpp>

namespace arbiter::inline v1 {

/// W3C trace flags (one byte); bit 0 is "sampled", bit 1 (Level 2) "random trace id".
struct trace_flags {
  static constexpr std::uint8_t sampled = 0x01;
  static constexpr std::uint8_t random = 0x02;
};

/// A span's propagated identity. Default-constructed it is invalid, which means "no parent".
struct span_context {
  arbiter::trace_id trace_id{};
  arbiter::span_id span_id{};
  std::uint8_t flags = 0;
  bool remote = false;  ///< true when extracted from a carrier (another process made it)

  [[nodiscard]] constexpr bool valid() const noexcept { return trace_id.valid() && span_id.valid(); }
  [[nodiscard]] constexpr bool sampled() const noexcept { return (flags & trace_flags::sampled) != 0; }

  friend constexpr bool operator==(const span_context&, const span_context&) noexcept = default;
};

}  // namespace arbiter::inline v1
