#pragma once

/// \file
/// trace(tracer, name, fn, attributes...): runs fn inside a span, records an escaping exception as an error
/// and rethrows it, and returns fn's result.

#include <concepts>
#include <exception>
#include <string_view>
#include <type_traits>
#include <utility>

#include <arbiter/detail/functional.hpp>
#include <arbiter/tracing/active_span.hpp>
#include <arbiter/tracing/scoped_span.hpp>

namespace arbiter::inline v1 {

namespace detail {
/// Makes `span` the thread's active span: by reference when the span exposes `context_ref()` (its context then
/// lives as long as the span), by copy otherwise.
template <class S>
[[nodiscard]] auto activate(const S& span) noexcept {
  if constexpr (requires {
                  { span.context_ref() } -> std::same_as<const span_context&>;
                }) {
    return borrowed_active_scope(span.context_ref());
  } else {
    return active_span_scope(span.context());
  }
}
}  // namespace detail

/// Runs `fn` inside a span named `name` with `attributes` set on it, and returns what `fn` returns.
/// `fn` may take the span (`scoped_span<T>&`) or nothing. An exception from `fn` is recorded on the span
/// (an "exception" event, status error with its message) and rethrown unchanged.
/// While `fn` runs the span is the thread's active span, so spans started inside become its children.
/// With a tracer whose spans never record (null_tracer) this is exactly `fn()`.
template <class T, class F, class... A>
requires(std::convertible_to<const A&, attribute>&&...) decltype(auto)
    trace(T& tracer, std::string_view name, F&& fn, const A&... attributes) {
  static_assert(assert_tracer<T>());
  static_assert(std::is_invocable_v<F&&, scoped_span<T>&> || std::is_invocable_v<F&&>,
                "====> arbiter: trace(tracer, name, fn) needs fn callable with no arguments or with "
                "arbiter::scoped_span<Tracer>&.");
  if constexpr (detail::never_records<typename T::span_type>) {
    if constexpr (std::is_invocable_v<F&&, scoped_span<T>&>) {
      scoped_span<T> span(tracer, name);
      return detail::invoke(std::forward<F>(fn), span);
    } else {
      return detail::invoke(std::forward<F>(fn));
    }
  } else {
    scoped_span<T> span(tracer, name);
    const auto active = detail::activate(span.get());
    if (span.is_recording()) {  // a sampled-out span skips even building the attribute views
      (span.set_attribute(static_cast<const attribute&>(attributes).key,
                          static_cast<const attribute&>(attributes).value),
       ...);
    }
    try {
      if constexpr (std::is_invocable_v<F&&, scoped_span<T>&>) {
        return detail::invoke(std::forward<F>(fn), span);
      } else {
        return detail::invoke(std::forward<F>(fn));
      }
    } catch (const std::exception& error) {
      span.record_exception(error);
      span.set_status(span_status::error, error.what());
      throw;
    } catch (...) {
      span.add_event("exception");
      span.set_status(span_status::error, "unknown exception");
      throw;
    }
  }
}

}  // namespace arbiter::inline v1
