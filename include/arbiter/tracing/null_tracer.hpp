#pragma once

/// \file
/// The do-nothing Tracer: empty types and empty inline functions, so traced code compiles to untraced code.

#include <exception>
#include <string_view>
#include <type_traits>

#include <arbiter/tracing/tracer.hpp>

namespace arbiter::inline v1 {

/// A span that records nothing.
struct null_span {
  constexpr void set_attribute(std::string_view /*key*/, attribute_view /*value*/) const noexcept {}
  constexpr void add_event(std::string_view /*name*/) const noexcept {}
  constexpr void record_exception(const std::exception& /*error*/) const noexcept {}
  constexpr void set_status(span_status /*status*/, std::string_view /*description*/ = {}) const noexcept {}
  constexpr void end() const noexcept {}
  [[nodiscard]] constexpr span_context context() const noexcept { return {}; }
  [[nodiscard]] static constexpr bool is_recording() noexcept { return false; }
};

/// A Tracer that traces nothing.
struct null_tracer {
  using span_type = null_span;
  [[nodiscard]] constexpr span_type start_span(std::string_view /*name*/,
                                               span_options /*options*/ = {}) const noexcept {
    return {};
  }
};

static_assert(Tracer<null_tracer>);
static_assert(std::is_empty_v<null_tracer> && std::is_empty_v<null_span>);

}  // namespace arbiter::inline v1
