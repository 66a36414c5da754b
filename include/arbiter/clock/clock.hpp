#pragma once

/// \file
/// The Clock policy. Every arbiter clock reads monotonic time as a std::chrono::steady_clock::time_point,
/// so parts can swap the real clock for a coarse or a manual one without changing a single type.
///
/// A Clock is copyable (copies of a manual_clock share one time) and has
///   time_point now() const noexcept;

#include <concepts>

#include <arbiter/detail/chrono.hpp>
#include <arbiter/version.hpp>

namespace arbiter::inline v1 {

/// A monotonic clock policy (see the file comment).
template <class C>
concept Clock = std::copy_constructible<C> && requires(const C& clock) {
  typename C::duration;
  typename C::time_point;
  { clock.now() }
  noexcept->std::same_as<typename C::time_point>;
};

/// Checks that `C` is a Clock and says what is missing if it is not.
template <class C>
consteval bool assert_clock() {
  static_assert(
      Clock<C>,
      "====> arbiter: the Clock policy needs nested `duration` and `time_point` types and "
      "`time_point now() const noexcept`; use arbiter::steady_clock, arbiter::tsc_clock, arbiter::coarse_clock or "
      "arbiter::manual_clock.");
  return true;
}

/// The process's monotonic clock (std::chrono::steady_clock), about 20 ns a read.
struct steady_clock {
  using duration = std::chrono::steady_clock::duration;
  using time_point = std::chrono::steady_clock::time_point;
  [[nodiscard]] time_point now() const noexcept { return std::chrono::steady_clock::now(); }
};

static_assert(Clock<steady_clock>);

}  // namespace arbiter::inline v1
