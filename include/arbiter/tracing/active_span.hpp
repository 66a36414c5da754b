#pragma once

/// \file
/// The thread's active span: a child started deep in a call finds its parent here without it being passed down.
/// `trace()` activates its span for the duration of the callable; `active_span_scope` does it by hand
/// (for example around a request handler, with the context extracted from the request's headers).

#include <utility>

#include <arbiter/tracing/span_context.hpp>

namespace arbiter::inline v1 {

namespace detail {
/// Points at the context of this thread's active span (held by its active_span_scope), or is null. A pointer, so
/// activating a span is one 8-byte store: no 32-byte copy in and out of thread-local storage on every span.
inline thread_local const span_context* active_context_slot = nullptr;
}  // namespace detail

/// Returns the context of the thread's active span (invalid when none is active).
[[nodiscard]] inline span_context active_context() noexcept {
  const span_context* active = detail::active_context_slot;
  return active != nullptr ? *active : span_context{};
}

/// Makes `context` the thread's active span for this object's lifetime, then restores the previous one.
/// Scopes nest; destroy them in reverse order of creation (as stack objects are).
class active_span_scope {
 public:
  explicit active_span_scope(const span_context& context) noexcept
      : context_(context), previous_(std::exchange(detail::active_context_slot, &context_)) {}
  active_span_scope(const active_span_scope&) = delete;
  active_span_scope& operator=(const active_span_scope&) = delete;
  ~active_span_scope() { detail::active_context_slot = previous_; }

 private:
  span_context context_;
  const span_context* previous_;
};

namespace detail {
/// Activates a context that outlives the scope, without copying it (trace() uses it for the span it owns).
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
}  // namespace detail

}  // namespace arbiter::inline v1
