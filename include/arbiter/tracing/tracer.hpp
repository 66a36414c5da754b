#pragma once

/// \file
/// The Tracer policy: span kinds and status, the Span and Tracer concepts, and a compile-time check
/// that names what a would-be tracer lacks.
///
/// A Tracer has a nested `span_type` and `span_type start_span(std::string_view name, span_options = {})`.
/// span_options: .parent, .kind, .root (ignore the active span), .links, .trace_state (the parent's tracestate).
/// A span is move-only and offers:
///   set_attribute(std::string_view key, attribute_view value)   // string, int64, double, bool
///   add_event(std::string_view name)
///   record_exception(const std::exception&)                    // an "exception" event with type and message
///   set_status(span_status, std::string_view description)
///   end()                                                       // idempotent; later calls do nothing
///   context() const -> span_context,  is_recording() const -> bool
/// Tracers are handles: copies share one destination.

#include <concepts>
#include <exception>
#include <span>
#include <string_view>

#include <arbiter/tracing/attribute.hpp>
#include <arbiter/tracing/span_context.hpp>

namespace arbiter::inline v1 {

/// What a span represents (OpenTelemetry's SpanKind; the numeric values are OTLP's minus one).
enum class span_kind : unsigned char { internal, server, client, producer, consumer };

/// A span's outcome (OpenTelemetry's StatusCode).
enum class span_status : unsigned char { unset, ok, error };

[[nodiscard]] constexpr std::string_view to_string(span_kind kind) noexcept {
  switch (kind) {
    case span_kind::internal:
      return "internal";
    case span_kind::server:
      return "server";
    case span_kind::client:
      return "client";
    case span_kind::producer:
      return "producer";
    case span_kind::consumer:
      return "consumer";
  }
  return "unknown";
}

[[nodiscard]] constexpr std::string_view to_string(span_status status) noexcept {
  switch (status) {
    case span_status::unset:
      return "unset";
    case span_status::ok:
      return "ok";
    case span_status::error:
      return "error";
  }
  return "unknown";
}

/// How to start a span. An invalid `parent` means "the thread's active span" (see active_span.hpp), or a new
/// trace when there is none or `root` is set. `links` point at related spans of other traces (batch jobs,
/// fan-in); tracers that do not keep links ignore them. `trace_state` is the W3C `tracestate` of an explicit
/// `parent`, in header form: a recording span keeps a copy (and exports it); with the active span as parent the
/// active tracestate is used instead (see active_span.hpp).
struct span_options {
  span_context parent{};
  span_kind kind = span_kind::internal;
  bool root = false;                      ///< ignore the active span: start a new trace unless `parent` is valid
  std::span<const span_context> links{};  ///< viewed for the call only
  std::string_view trace_state{};         ///< the tracestate of `parent` (ignored without one); viewed for the call
};

namespace detail {

template <class S>
concept span_has_attributes = requires(S& span, std::string_view key, attribute_view value) {
  span.set_attribute(key, value);
};
template <class S>
concept span_has_events = requires(S& span, std::string_view name, const std::exception& error) {
  span.add_event(name);
  span.record_exception(error);
};
template <class S>
concept span_has_status_and_end = requires(S& span, std::string_view text) {
  span.set_status(span_status::error, text);
  span.end();
};
template <class S>
concept span_has_context = requires(const S& span) {
  { span.context() } -> std::convertible_to<span_context>;
  { span.is_recording() } -> std::convertible_to<bool>;
};

template <class T>
concept tracer_has_span_type = requires {
  typename T::span_type;
};

template <class T>
concept tracer_has_start_span = tracer_has_span_type<T> && requires(T& tracer, std::string_view name, span_options o) {
  { tracer.start_span(name) } -> std::same_as<typename T::span_type>;
  { tracer.start_span(name, o) } -> std::same_as<typename T::span_type>;
};

}  // namespace detail

/// A span as handed out by a Tracer.
template <class S>
concept Span = detail::span_has_attributes<S> && detail::span_has_events<S> && detail::span_has_status_and_end<S> &&
    detail::span_has_context<S> && std::move_constructible<S>;

/// A Tracer policy (see the file comment).
template <class T>
concept Tracer = detail::tracer_has_start_span<T> && Span<typename T::span_type> && std::copy_constructible<T>;

/// Checks that `S` is a Span and names what is missing if it is not.
template <class S>
consteval bool assert_span() {
  static_assert(
      detail::span_has_attributes<S>,
      "====> arbiter: the Tracer's span_type lacks `set_attribute(std::string_view, arbiter::attribute_view)`.");
  static_assert(detail::span_has_events<S>,
                "====> arbiter: the Tracer's span_type lacks `add_event(std::string_view)` or "
                "`record_exception(const std::exception&)`.");
  static_assert(detail::span_has_status_and_end<S>,
                "====> arbiter: the Tracer's span_type lacks `set_status(arbiter::span_status, std::string_view)` or "
                "`end()`.");
  static_assert(detail::span_has_context<S>,
                "====> arbiter: the Tracer's span_type lacks `context() const` returning arbiter::span_context or "
                "`is_recording() const`.");
  static_assert(std::move_constructible<S>, "====> arbiter: the Tracer's span_type must be movable.");
  return true;
}

/// Checks that `T` is a Tracer and names what is missing if it is not. Use as `static_assert(assert_tracer<T>())`.
template <class T>
consteval bool assert_tracer() {
  static_assert(detail::tracer_has_span_type<T>,
                "====> arbiter: the Tracer policy lacks a nested `span_type`; "
                "write one, or use arbiter::null_tracer to trace nothing.");
  if constexpr (detail::tracer_has_span_type<T>) {
    static_assert(detail::tracer_has_start_span<T>,
                  "====> arbiter: the Tracer policy lacks `span_type start_span(std::string_view name, "
                  "arbiter::span_options options = {})`.");
    static_assert(assert_span<typename T::span_type>());
  }
  static_assert(std::copy_constructible<T>,
                "====> arbiter: the Tracer policy must be copyable (a handle to a shared destination).");
  return true;
}

}  // namespace arbiter::inline v1
