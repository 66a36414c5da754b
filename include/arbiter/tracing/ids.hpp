#pragma once

/// \file
/// 128-bit trace ids and 64-bit span ids, their lowercase hex form, and a fast per-thread generator.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

// The seed's entropy: getrandom(2) where there is one; <random> (std::random_device) costs 0.06 s of compile time
// in every translation unit that includes a tracer.
#if defined(__linux__) && __has_include(<sys/random.h>)
#include <sys/random.h>
#define ARBITER_DETAIL_HAS_GETRANDOM 1
#else
#include <random>
#define ARBITER_DETAIL_HAS_GETRANDOM 0
#endif

#include <arbiter/version.hpp>

namespace arbiter::inline v1 {

namespace detail {

/// Writes `value` as `digits` lowercase hex characters.
constexpr void put_hex(char* out, std::uint64_t value, int digits) noexcept {
  constexpr char hex[] = "0123456789abcdef";
  for (int i = digits - 1; i >= 0; --i) {
    out[i] = hex[value & 0xF];
    value >>= 4;
  }
}

/// Parses exactly `text.size()` (at most 16) lowercase hex characters; uppercase is rejected (W3C form).
[[nodiscard]] constexpr std::optional<std::uint64_t> parse_hex_u64(std::string_view text) noexcept {
  if (text.empty() || text.size() > 16) return std::nullopt;
  std::uint64_t value = 0;
  for (const char c : text) {
    std::uint64_t digit = 0;
    if (c >= '0' && c <= '9') {
      digit = static_cast<std::uint64_t>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      digit = static_cast<std::uint64_t>(c - 'a') + 10;
    } else {
      return std::nullopt;
    }
    value = (value << 4) | digit;
  }
  return value;
}

/// The state of this thread's SplitMix64 stream; 0 until first use. Constant-initialized, so reading it is a plain
/// TLS load with no initialization guard.
inline thread_local std::uint64_t random_state = 0;

/// Seeds this thread's stream from the system's entropy (getrandom, else std::random_device) and the thread's
/// identity (never 0).
[[gnu::noinline]] inline std::uint64_t seed_random_state() noexcept {
  std::uint64_t seed = std::hash<std::thread::id>{}(std::this_thread::get_id());
#if ARBITER_DETAIL_HAS_GETRANDOM
  std::uint64_t entropy = 0;  // never blocks; without entropy the thread identity and the state's address still differ
  if (::getrandom(&entropy, sizeof entropy, GRND_NONBLOCK) == static_cast<::ssize_t>(sizeof entropy)) seed ^= entropy;
#elif defined(__cpp_exceptions)
  try {
    std::random_device device;
    seed ^= (static_cast<std::uint64_t>(device()) << 32) ^ device();
  } catch (...) {  // no entropy source: the thread identity and the address of the state still differ
  }
#else
  std::random_device device;  // without exceptions a missing entropy source ends the program, as the library says
  seed ^= (static_cast<std::uint64_t>(device()) << 32) ^ device();
#endif
  seed ^= reinterpret_cast<std::uintptr_t>(&random_state);
  return seed == 0 ? 0x2545F4914F6CDD1DULL : seed;
}

/// SplitMix64's output function.
[[nodiscard]] constexpr std::uint64_t mix64(std::uint64_t z) noexcept {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

/// Returns the next `N` values of this thread's SplitMix64 stream with one read and one write of its state, so the
/// values are computed side by side (a span start needs three). No lock, no shared state.
/// Not cryptographic: ids must be unique and well spread, not unguessable.
/// Written as a pack expansion, not a loop: at -O2 (no complete unrolling of small loops) g++ kept the loop and
/// built the array on the stack, which made a sampled-out span 1.8 times as slow as at -O3.
template <std::size_t N>
[[nodiscard, gnu::always_inline]] inline std::array<std::uint64_t, N> random_u64s() noexcept {
  std::uint64_t state = random_state;
  if (state == 0) [[unlikely]]
    state = seed_random_state();
  random_state = state + N * 0x9E3779B97F4A7C15ULL;
  return [state]<std::size_t... I>(std::index_sequence<I...>) noexcept {
    return std::array<std::uint64_t, N>{mix64(state + (I + 1) * 0x9E3779B97F4A7C15ULL)...};
  }
  (std::make_index_sequence<N>{});
}

/// Returns the next value of this thread's stream.
[[nodiscard, gnu::always_inline]] inline std::uint64_t random_u64() noexcept { return random_u64s<1>()[0]; }

/// Returns a random value that is never zero (zero means "invalid" for both id kinds).
[[nodiscard]] inline std::uint64_t random_nonzero_u64() noexcept {
  std::uint64_t value = random_u64();
  while (value == 0) value = random_u64();
  return value;
}

}  // namespace detail

/// A W3C / OpenTelemetry trace id: 16 bytes, all zero meaning invalid.
struct trace_id {
  std::uint64_t high = 0;
  std::uint64_t low = 0;

  /// Returns a fresh random id, never all zero.
  [[nodiscard]] static trace_id generate() noexcept { return {detail::random_u64(), detail::random_nonzero_u64()}; }

  /// Makes an id from two random values (the low half made non-zero).
  [[nodiscard]] static trace_id from_random(std::uint64_t high, std::uint64_t low) noexcept {
    return {high, low != 0 ? low : detail::random_nonzero_u64()};
  }

  /// Parses 32 lowercase hex characters; anything else (or all zero) gives nullopt.
  [[nodiscard]] static constexpr std::optional<trace_id> from_hex(std::string_view text) noexcept {
    if (text.size() != 32) return std::nullopt;
    const auto hi = detail::parse_hex_u64(text.substr(0, 16));
    const auto lo = detail::parse_hex_u64(text.substr(16));
    if (!hi || !lo || (*hi == 0 && *lo == 0)) return std::nullopt;
    return trace_id{*hi, *lo};
  }

  [[nodiscard]] constexpr bool valid() const noexcept { return high != 0 || low != 0; }

  /// Writes the 32-character lowercase hex form to `out` (no terminator).
  constexpr void to_hex(char* out) const noexcept {
    detail::put_hex(out, high, 16);
    detail::put_hex(out + 16, low, 16);
  }

  [[nodiscard]] std::string to_string() const {
    std::string s(32, '0');
    to_hex(s.data());
    return s;
  }

  /// Returns the 16 bytes, most significant first (the wire order).
  [[nodiscard]] constexpr std::array<std::uint8_t, 16> bytes() const noexcept {
    std::array<std::uint8_t, 16> b{};
    for (std::size_t i = 0; i < 8; ++i) {
      b[i] = static_cast<std::uint8_t>(high >> (56 - 8 * i));
      b[8 + i] = static_cast<std::uint8_t>(low >> (56 - 8 * i));
    }
    return b;
  }

  friend constexpr bool operator==(const trace_id&, const trace_id&) noexcept = default;
};

/// A W3C / OpenTelemetry span id: 8 bytes, zero meaning invalid.
struct span_id {
  std::uint64_t value = 0;

  /// Returns a fresh random id, never zero.
  [[nodiscard]] static span_id generate() noexcept { return {detail::random_nonzero_u64()}; }

  /// Makes an id from a random value (made non-zero).
  [[nodiscard]] static span_id from_random(std::uint64_t value) noexcept {
    return {value != 0 ? value : detail::random_nonzero_u64()};
  }

  /// Parses 16 lowercase hex characters; anything else (or zero) gives nullopt.
  [[nodiscard]] static constexpr std::optional<span_id> from_hex(std::string_view text) noexcept {
    if (text.size() != 16) return std::nullopt;
    const auto v = detail::parse_hex_u64(text);
    if (!v || *v == 0) return std::nullopt;
    return span_id{*v};
  }

  [[nodiscard]] constexpr bool valid() const noexcept { return value != 0; }

  /// Writes the 16-character lowercase hex form to `out` (no terminator).
  constexpr void to_hex(char* out) const noexcept { detail::put_hex(out, value, 16); }

  [[nodiscard]] std::string to_string() const {
    std::string s(16, '0');
    to_hex(s.data());
    return s;
  }

  friend constexpr bool operator==(const span_id&, const span_id&) noexcept = default;
};

}  // namespace arbiter::inline v1
