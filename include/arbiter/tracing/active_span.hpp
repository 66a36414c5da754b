#pragma once

/// \file
/// The thread's active span: a child started deep in a call finds its parent here without it being passed down.
/// `trace()` activates its span for the duration of the callable; `active_span_scope` does it by hand
/// (for example around a request handler, with the context extracted from the request's headers).
///
/// The active span also carries the W3C `tracestate` of its trace, in header form. It is set by the scope that
/// brings a trace into the thread (`active_span_scope scope(extract_trace_context(headers))`, which owns a copy)
/// and kept by every span of that trace activated below it: a span inherits its parent's tracestate unchanged, so
/// activating a child needs no string at all. Spans started with the active span as parent copy it (when they
/// record and it is not empty); `inject_trace_context(carrier)` sends it on.

#include <concepts>
#include <string>
#include <string_view>
#include <utility>

#include <arbiter/tracing/span_context.hpp>
#include <arbiter/tracing/trace_context.hpp>

namespace arbiter::inline v1 {

namespace detail {
/// Points at the context of this thread's active span (held by its active_span_scope), or is null. A pointer, so
/// activating a span is one 8-byte store: no 32-byte copy in and out of thread-local storage on every span.
inline thread_local const span_context* active_context_slot = nullptr;
/// The tracestate of the active span's trace, viewing the string its active_span_scope owns (empty: none).
/// Written only by active_span_scope: trace() activates children of the active span, which share it.
inline thread_local std::string_view active_trace_state_slot{};
}  // namespace detail

/// Returns the context of the thread's active span (invalid when none is active).
[[nodiscard]] inline span_context active_context() noexcept {
  const span_context* active = detail::active_context_slot;
  return active != nullptr ? *active : span_context{};
}

/// Returns the W3C tracestate of the thread's active span, in header form (empty when there is none), valid until
/// the innermost active_span_scope ends.
[[nodiscard]] inline std::string_view active_trace_state() noexcept {
  return detail::active_context_slot != nullptr ? detail::active_trace_state_slot : std::string_view{};
}

/// Makes `context` the thread's active span for this object's lifetime, then restores the previous one.
/// Scopes nest; destroy them in reverse order of creation (as stack objects are).
class active_span_scope {
 public:
  /// Activates `context`. A context of the active span's trace keeps its tracestate (a child shares its parent's);
  /// one of another trace has none.
  explicit active_span_scope(const span_context& context) noexcept
      : context_(context), previous_(detail::active_context_slot), previous_state_(detail::active_trace_state_slot) {
    if (previous_ == nullptr || previous_->trace_id != context.trace_id) detail::active_trace_state_slot = {};
    detail::active_context_slot = &context_;
  }

  /// Activates `context` with the W3C tracestate `trace_state` (header form), which the scope copies (an invalid
  /// context has none; a tracestate that breaks the W3C grammar is dropped: valid_tracestate_header).
  active_span_scope(const span_context& context, std::string_view trace_state)
      : context_(context),
        state_(context.valid() && valid_tracestate_header(trace_state) ? trace_state : std::string_view{}),
        previous_(detail::active_context_slot),
        previous_state_(detail::active_trace_state_slot) {
    detail::active_trace_state_slot = state_;
    detail::active_context_slot = &context_;
  }

  /// Activates what a request brought (the remote_context of extract_trace_context): its context and tracestate.
  template <class Remote>
  requires requires(const Remote& remote) {
    { remote.context } -> std::convertible_to<const span_context&>;
    { remote.state.to_header() } -> std::convertible_to<std::string>;
  }
  explicit active_span_scope(const Remote& remote) : active_span_scope(remote.context, remote.state.to_header()) {}

  active_span_scope(const active_span_scope&) = delete;
  active_span_scope& operator=(const active_span_scope&) = delete;
  ~active_span_scope() {
    detail::active_context_slot = previous_;
    detail::active_trace_state_slot = previous_state_;
  }

 private:
  span_context context_;
  std::string state_;
  const span_context* previous_;
  std::string_view previous_state_;
};

namespace detail {
/// Activates a context that outlives the scope, without copying it (trace() uses it for the span it owns). The
/// context must be of the active span's trace, or start a new one: the active tracestate is kept.
class borrowed_active_scope {
 public:
  explicit borrowed_active_scope(const span_context& context) noexcept
      : previous_(std::exchange(active_context_slot, &context)) {}
  borrowed_active_scope(const borrowed_active_scope&) = delete;
  borrowed_active_scope& operator=(const borrowed_active_scope&) = delete;
  ~borrowed_active_scope() { active_context_slot = previous_; }

 private:
  const span_context* previous_;
};

/// Picks the parent a tracer should use: the explicit one, else the active span unless a new root is asked for.
[[nodiscard]] inline span_context resolve_parent(const span_context& explicit_parent, bool root) noexcept {
  if (explicit_parent.valid()) return explicit_parent;
  const span_context* active = active_context_slot;
  if (root || active == nullptr) return {};
  return *active;
}

/// Picks the tracestate of the parent chosen by resolve_parent: the explicit parent's `explicit_state`, else the
/// active one when the active span is the parent, else none.
[[nodiscard]] inline std::string_view resolve_parent_trace_state(const span_context& explicit_parent,
                                                                 std::string_view explicit_state,
                                                                 const span_context& parent) noexcept {
  if (explicit_parent.valid()) return valid_tracestate_header(explicit_state) ? explicit_state : std::string_view{};
  return parent.valid() ? active_trace_state_slot : std::string_view{};
}
}  // namespace detail

}  // namespace arbiter::inline v1
