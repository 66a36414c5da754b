#pragma once

/// \file
/// The thread's active span: a child started deep in a call finds its parent here without it being passed down.
/// `trace()` activates its span for the duration of the callable; `active_span_scope` does it by hand
/// (for example around a request handler, with the context extracted from the request's headers).

#include <utility>

#include <arbiter/tracing/span_context.hpp>

namespace arbiter::inline v1 {

namespace detail {
/// The active context of this thread; constant-initialized, so reading it is a plain TLS load.
inline thread_local span_context active_context_slot{};
}  // namespace detail

/// Returns the context of the thread's active span (invalid when none is active).
[[nodiscard]] inline span_context active_context() noexcept { return detail::active_context_slot; }

/// Makes `context` the thread's active span for this object's lifetime, then restores the previous one.
/// Scopes nest; destroy them in reverse order of creation (as stack objects are).
class active_span_scope {
 public:
  explicit active_span_scope(const span_context& context) noexcept
      : previous_(std::exchange(detail::active_context_slot, context)) {}
  active_span_scope(const active_span_scope&) = delete;
  active_span_scope& operator=(const active_span_scope&) = delete;
  ~active_span_scope() { detail::active_context_slot = previous_; }

 private:
  span_context previous_;
};

namespace detail {
/// Picks the parent a tracer should use: the explicit one, else the active span unless a new root is asked for.
[[nodiscard]] inline span_context resolve_parent(const span_context& explicit_parent, bool root) noexcept {
  if (explicit_parent.valid()) return explicit_parent;
  if (root) return {};
  return active_context_slot;
}
}  // namespace detail

}  // namespace arbiter::inline v1
