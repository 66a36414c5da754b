#pragma once

/// \file
/// The do-nothing Logger: empty, never enabled, compiles to nothing.

#include <type_traits>

#include <arbiter/logging/logger.hpp>

namespace arbiter::inline v1 {

/// A Logger that drops everything; parts built with it carry no logging code at all.
struct null_logger {
  /// Returns false: nothing is ever logged.
  [[nodiscard]] static constexpr bool enabled(log_level /*level*/) noexcept { return false; }

  /// Does nothing.
  template <class... T>
  static constexpr void log(log_level /*level*/, std::string_view /*message*/,
                            const log_field<T>&... /*fields*/) noexcept {}
};

static_assert(Logger<null_logger>);
static_assert(std::is_empty_v<null_logger>);

}  // namespace arbiter::inline v1
