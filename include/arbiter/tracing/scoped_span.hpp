#pragma once

/// \file
/// An RAII span: started on construction, ended on destruction (or earlier, by hand).

#include <concepts>
#include <exception>
#include <string_view>
#include <type_traits>
#include <utility>

#include <arbiter/tracing/tracer.hpp>

namespace arbiter::inline v1 {

namespace detail {
/// True for span types that say, at compile time, that they never record (null_span and its kind).
template <class S>
concept never_records = requires {
  requires std::bool_constant<(S::is_recording(), true)>::value;
}
&&(!S::is_recording());
}  // namespace detail

/// Owns one span of tracer `T` and ends it when it goes out of scope.
template <class T>
class scoped_span {
  static_assert(assert_tracer<T>());

 public:
  using span_type = typename T::span_type;

  /// Starts span `name` on `tracer`.
  scoped_span(T& tracer, std::string_view name, span_options options = {}) : span_(tracer.start_span(name, options)) {}

  /// Adopts a span that is already started.
  explicit scoped_span(span_type&& span) noexcept(std::is_nothrow_move_constructible_v<span_type>)
      : span_(std::move(span)) {}

  scoped_span(const scoped_span&) = delete;
  scoped_span& operator=(const scoped_span&) = delete;
  scoped_span(scoped_span&&) = delete;
  scoped_span& operator=(scoped_span&&) = delete;

  ~scoped_span() { span_.end(); }

  /// Sets an attribute; the value may be any string-like, integer, floating point or bool.
  scoped_span& set_attribute(std::string_view key, attribute_view value) {
    span_.set_attribute(key, value);
    return *this;
  }
  scoped_span& add_event(std::string_view name) {
    span_.add_event(name);
    return *this;
  }
  scoped_span& record_exception(const std::exception& error) {
    span_.record_exception(error);
    return *this;
  }
  scoped_span& set_status(span_status status, std::string_view description = {}) {
    span_.set_status(status, description);
    return *this;
  }
  /// Ends the span now; the destructor then does nothing more.
  void end() { span_.end(); }

  [[nodiscard]] span_context context() const { return span_.context(); }
  [[nodiscard]] bool is_recording() const { return span_.is_recording(); }
  /// Returns the W3C tracestate the span records (header form), for spans that keep one (see sdk_span).
  [[nodiscard]] std::string_view trace_state() const requires requires(const span_type& span) {
    { span.trace_state() } -> std::convertible_to<std::string_view>;
  }
  { return span_.trace_state(); }

  /// Returns the underlying span, for what this wrapper does not forward.
  [[nodiscard]] span_type& get() noexcept { return span_; }

 private:
  span_type span_;
};

}  // namespace arbiter::inline v1
