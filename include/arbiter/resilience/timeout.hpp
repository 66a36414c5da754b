#pragma once

/// \file
/// What a time_limiter reports when a call runs out of time, in a header of its own so that a circuit_breaker can
/// recognise a timeout without the limiter (or its watchdog):
///   timeout_exceeded        the exception time_limiter::execute() throws (a std::runtime_error)
///   time_limit_exceeded     the error of a try_execute(): the timeout and how long the call took
///   time_limited<T>         what try_execute() returns: a value or a time_limit_exceeded (shaped like std::expected)
/// A breaker around a limiter counts either as a timeout failure (breaker_stats::timeouts).

#include <chrono>
#include <concepts>
#include <exception>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include <arbiter/detail/value_or_error.hpp>
#include <arbiter/version.hpp>

namespace arbiter::inline v1 {

/// Why a time-limited call failed: it took `elapsed`, longer than `timeout` (or was stopped at its deadline).
struct time_limit_exceeded {
  std::chrono::nanoseconds timeout{0};
  std::chrono::nanoseconds elapsed{0};
};

/// Thrown by time_limiter::execute() when the call ran out of time.
class timeout_exceeded : public std::runtime_error {
 public:
  timeout_exceeded(std::string name, std::chrono::nanoseconds timeout, std::chrono::nanoseconds elapsed)
      : std::runtime_error(message(name, timeout, elapsed)), name_(std::move(name)), why_{timeout, elapsed} {}

  /// Returns the name of the time_limiter that gave up.
  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  [[nodiscard]] std::chrono::nanoseconds timeout() const noexcept { return why_.timeout; }
  [[nodiscard]] std::chrono::nanoseconds elapsed() const noexcept { return why_.elapsed; }
  [[nodiscard]] const time_limit_exceeded& why() const noexcept { return why_; }

 private:
  static std::string message(const std::string& name, std::chrono::nanoseconds timeout,
                             std::chrono::nanoseconds elapsed) {
    return "time_limiter \"" + name + "\": the call took " + std::to_string(elapsed.count() / 1000000) +
           " ms, more than its timeout of " + std::to_string(timeout.count() / 1000000) + " ms (" +
           std::to_string(timeout.count()) + " ns)";
  }

  std::string name_;
  time_limit_exceeded why_;
};

/// The value of a call that ended in time, or how it ran out of time (a void call: nothing, or how).
template <class T>
class time_limited : public detail::value_or_error<T, time_limit_exceeded> {
  static_assert(!std::is_reference_v<T>,
                "====> arbiter: time_limited<T> holds values; return a pointer or a std::reference_wrapper from "
                "the call instead of a reference.");

 public:
  using detail::value_or_error<T, time_limit_exceeded>::value_or_error;
};

namespace detail {

template <class R>
inline constexpr bool is_time_limited_v = false;
template <class T>
inline constexpr bool is_time_limited_v<time_limited<T>> = true;

/// True for a time_limited<T> that ran out of time (or a result that says so with `bool time_limit_failure()`,
/// as a pipeline's attempt does); constexpr false for every other result type.
template <class R>
[[nodiscard]] constexpr bool is_time_limit_failure(const R& result) noexcept {
  if constexpr (is_time_limited_v<std::remove_cvref_t<R>>) {
    return !result.has_value();
  } else if constexpr (requires {
                         { result.time_limit_failure() } -> std::same_as<bool>;
                       }) {
    return result.time_limit_failure();  // a pipeline's attempt whose time limiter ran out
  } else {
    (void)result;
    return false;
  }
}

/// True when `error` holds a timeout_exceeded (rethrows it to look: for cold paths only).
[[nodiscard]] inline bool is_time_limit_failure(const std::exception_ptr& error) noexcept {
#if defined(__cpp_exceptions)
  if (!error) return false;
  try {
    std::rethrow_exception(error);
  } catch (const timeout_exceeded&) {
    return true;
  } catch (...) {
    return false;
  }
#else
  (void)error;
  return false;
#endif
}

}  // namespace detail

}  // namespace arbiter::inline v1
