#pragma once

/// \file
/// breaker_result<T>: a value or the rejection that stopped the call; what try_execute() returns, and what
/// execute(fn) returns in a build without exceptions. Shaped like std::expected (has_value(), value(), error()),
/// so a breaker around another breaker's calls classifies a rejection as a failure.

#include <type_traits>

#include <arbiter/detail/value_or_error.hpp>
#include <arbiter/resilience/breaker_state.hpp>

namespace arbiter::inline v1 {

/// The value of an admitted call, or why it was rejected (a void call: nothing, or why it was rejected).
template <class T>
class breaker_result : public detail::value_or_error<T, rejection> {
  static_assert(!std::is_reference_v<T>,
                "====> arbiter: breaker_result<T> holds values; return a pointer or a "
                "std::reference_wrapper from the call instead of a reference.");

 public:
  using detail::value_or_error<T, rejection>::value_or_error;
};

}  // namespace arbiter::inline v1
