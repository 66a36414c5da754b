#pragma once

/// \file
/// `byte_size`: an amount of memory or data, written "64KiB" (binary) or "10MB" (decimal) in config values.

#include <compare>
#include <cstdint>

#include <arbiter/version.hpp>

namespace arbiter::inline v1 {

/// A number of bytes. A distinct type, so that a config field says it holds a size and takes units.
struct byte_size {
  std::uint64_t bytes = 0;

  [[nodiscard]] constexpr std::uint64_t count() const noexcept { return bytes; }
  friend constexpr auto operator<=>(const byte_size&, const byte_size&) = default;
};

namespace literals {

/// Writes byte sizes in code the way config files do: `64_KiB`, `10_MB`.
[[nodiscard]] constexpr byte_size operator""_B(unsigned long long n) noexcept { return {n}; }
[[nodiscard]] constexpr byte_size operator""_KB(unsigned long long n) noexcept { return {n * 1000ULL}; }
[[nodiscard]] constexpr byte_size operator""_MB(unsigned long long n) noexcept { return {n * 1000'000ULL}; }
[[nodiscard]] constexpr byte_size operator""_GB(unsigned long long n) noexcept { return {n * 1000'000'000ULL}; }
[[nodiscard]] constexpr byte_size operator""_KiB(unsigned long long n) noexcept { return {n << 10U}; }
[[nodiscard]] constexpr byte_size operator""_MiB(unsigned long long n) noexcept { return {n << 20U}; }
[[nodiscard]] constexpr byte_size operator""_GiB(unsigned long long n) noexcept { return {n << 30U}; }

}  // namespace literals

}  // namespace arbiter::inline v1
