#pragma once

/// \file
/// breaker_result<T>: a value or the rejection that stopped the call; what try_execute() returns, and what
/// execute(fn) returns in a build without exceptions. Shaped like std::expected (has_value(), value(), error()),
/// so a breaker around another breaker's calls classifies a rejection as a failure.

#include <type_traits>
#include <utility>
#include <variant>

#include <arbiter/resilience/breaker_state.hpp>

namespace arbiter::inline v1 {

/// The value of an admitted call, or why it was rejected.
template <class T>
class breaker_result {
  static_assert(!std::is_reference_v<T>,
                "====> arbiter: breaker_result<T> holds values; return a pointer or a "
                "std::reference_wrapper from the call instead of a reference.");

 public:
  breaker_result(T value) : data_(std::in_place_index<0>, std::move(value)) {}  // NOLINT
  breaker_result(const rejection& why) : data_(std::in_place_index<1>, why) {}  // NOLINT

  [[nodiscard]] bool has_value() const noexcept { return data_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  /// Returns the value; the result must hold one (std::get: a wrong use terminates instead of reading null).
  [[nodiscard]] T& value() & noexcept { return std::get<0>(data_); }
  [[nodiscard]] const T& value() const& noexcept { return std::get<0>(data_); }
  [[nodiscard]] T&& value() && noexcept { return std::get<0>(std::move(data_)); }
  [[nodiscard]] T& operator*() & noexcept { return value(); }
  [[nodiscard]] const T& operator*() const& noexcept { return value(); }
  [[nodiscard]] T* operator->() noexcept { return std::get_if<0>(&data_); }
  [[nodiscard]] const T* operator->() const noexcept { return std::get_if<0>(&data_); }

  /// Returns the value, or `fallback` when the call was rejected.
  template <class U>
  [[nodiscard]] T value_or(U&& fallback) const& {
    return has_value() ? value() : static_cast<T>(std::forward<U>(fallback));
  }

  /// Returns why the call was rejected; the result must hold a rejection.
  [[nodiscard]] const rejection& error() const noexcept { return std::get<1>(data_); }  // has_value() is false

 private:
  std::variant<T, rejection> data_;
};

/// The result of an admitted void call, or why it was rejected.
template <>
class breaker_result<void> {
 public:
  breaker_result() noexcept = default;
  breaker_result(const rejection& why) noexcept : rejected_(true), why_(why) {}  // NOLINT

  [[nodiscard]] bool has_value() const noexcept { return !rejected_; }
  explicit operator bool() const noexcept { return has_value(); }
  constexpr void value() const noexcept {}
  [[nodiscard]] const rejection& error() const noexcept { return why_; }

 private:
  bool rejected_ = false;
  rejection why_{};
};

}  // namespace arbiter::inline v1
