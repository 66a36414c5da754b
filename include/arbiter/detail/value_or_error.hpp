#pragma once

/// \file
/// detail::value_or_error<T, E>: a call's value, or why there is none; shaped like std::expected (has_value(),
/// value(), error()). breaker_result<T>, time_limited<T> and pipeline_result<T> are it with their own error types,
/// so a breaker, a retry or a pipeline around another part classifies a refusal the same way whichever it is.

#include <type_traits>
#include <utility>
#include <variant>

namespace arbiter::inline v1::detail {

template <class T, class E>
class value_or_error {
 public:
  value_or_error(T value) : data_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: a value converts
  value_or_error(const E& why) : data_(std::in_place_index<1>, why) {}          // NOLINT: so does an error

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

  /// Returns the value, or `fallback` when there is none.
  template <class U>
  [[nodiscard]] T value_or(U&& fallback) const& {
    return has_value() ? value() : static_cast<T>(std::forward<U>(fallback));
  }

  /// Returns why there is no value; the result must hold none.
  [[nodiscard]] const E& error() const noexcept { return std::get<1>(data_); }

 private:
  std::variant<T, E> data_;
};

/// A void call that ended well, or why it did not.
template <class E>
class value_or_error<void, E> {
 public:
  value_or_error() noexcept = default;
  value_or_error(const E& why) noexcept : failed_(true), why_(why) {}  // NOLINT: an error converts

  [[nodiscard]] bool has_value() const noexcept { return !failed_; }
  explicit operator bool() const noexcept { return has_value(); }
  constexpr void value() const noexcept {}
  [[nodiscard]] const E& error() const noexcept { return why_; }

 private:
  bool failed_ = false;
  E why_{};
};

}  // namespace arbiter::inline v1::detail
