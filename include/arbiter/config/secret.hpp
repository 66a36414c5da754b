#pragma once

/// \file
/// `secret<T>`: a config value that never appears in dumps, logs or error messages.

#include <compare>
#include <string_view>
#include <utility>

#include <arbiter/version.hpp>

namespace arbiter::inline v1 {

/// Wraps a sensitive value (a password, a token). Read it with `reveal()`; every renderer in arbiter prints
/// `redacted` instead, and errors about it show `***` instead of the offending text.
template <class T>
class secret {
 public:
  using value_type = T;

  constexpr secret() = default;
  constexpr explicit secret(T value) : value_(std::move(value)) {}

  /// Returns the value; the name makes every read of a secret visible in review.
  [[nodiscard]] constexpr const T& reveal() const noexcept { return value_; }
  [[nodiscard]] constexpr T& reveal() noexcept { return value_; }

  friend constexpr bool operator==(const secret&, const secret&) = default;

 private:
  T value_{};
};

/// The text every renderer shows in place of a secret's value.
inline constexpr std::string_view redacted = "***";

template <class T>
inline constexpr bool is_secret_v = false;
template <class T>
inline constexpr bool is_secret_v<secret<T>> = true;

}  // namespace arbiter::inline v1
