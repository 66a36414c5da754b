#pragma once

/// \file
/// The circuit breaker's states, why it moves between them, and how it says no: the rejection it reports,
/// the `circuit_open` exception, and the state-change event handed to hooks, logs and traces.

#include <concepts>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include <arbiter/detail/chrono.hpp>
#include <arbiter/version.hpp>

namespace arbiter::inline v1 {

/// Where a breaker stands. FORCED_OPEN and DISABLED are only entered by hand and ignore call outcomes.
enum class breaker_state : std::uint8_t { closed, open, half_open, forced_open, disabled };

/// Returns the name of a state as logs and traces print it ("closed", "half_open", ...).
[[nodiscard]] constexpr std::string_view to_string(breaker_state state) noexcept {
  switch (state) {
    case breaker_state::closed:
      return "closed";
    case breaker_state::open:
      return "open";
    case breaker_state::half_open:
      return "half_open";
    case breaker_state::forced_open:
      return "forced_open";
    case breaker_state::disabled:
      return "disabled";
  }
  return "unknown";
}

/// Why a breaker changed state; carried by every state_change, log record and transition span.
enum class transition_reason : std::uint8_t {
  failure_threshold,    ///< consecutive failures reached the threshold
  failure_rate,         ///< the window's failure rate reached the threshold
  slow_call_rate,       ///< the window's slow-call rate reached the threshold
  open_elapsed,         ///< the open duration passed; trial calls may go through
  trials_succeeded,     ///< enough half-open trials succeeded
  trial_failed,         ///< a half-open trial failed
  result_forced_open,   ///< a call's result asked for the breaker to open
  result_forced_close,  ///< a call's result asked for the breaker to close
  forced_open,          ///< force_open() was called
  disabled,             ///< disable() was called
  reset,                ///< reset() was called
  restored,             ///< restore() installed an exported state
};

[[nodiscard]] constexpr std::string_view to_string(transition_reason reason) noexcept {
  switch (reason) {
    case transition_reason::failure_threshold:
      return "failure_threshold";
    case transition_reason::failure_rate:
      return "failure_rate";
    case transition_reason::slow_call_rate:
      return "slow_call_rate";
    case transition_reason::open_elapsed:
      return "open_elapsed";
    case transition_reason::trials_succeeded:
      return "trials_succeeded";
    case transition_reason::trial_failed:
      return "trial_failed";
    case transition_reason::result_forced_open:
      return "result_forced_open";
    case transition_reason::result_forced_close:
      return "result_forced_close";
    case transition_reason::forced_open:
      return "forced_open";
    case transition_reason::disabled:
      return "disabled";
    case transition_reason::reset:
      return "reset";
    case transition_reason::restored:
      return "restored";
  }
  return "unknown";
}

/// One state change. `sequence` counts transitions since construction (it wraps after 2^29), so a listener
/// that receives changes from several threads can put them back in order.
struct state_change {
  breaker_state from = breaker_state::closed;
  breaker_state to = breaker_state::closed;
  transition_reason reason = transition_reason::reset;
  std::uint32_t sequence = 0;
};

/// What a state change did, for a person (a console, a demo's narration; the log has the same facts as fields):
/// "opened: closed -> open (failure_threshold)", "half-open: open -> half_open (open_elapsed)".
template <std::same_as<state_change> Change>  // a template: compiled only where it is called
[[nodiscard]] std::string describe(const Change& c) {
  const auto verb = [](breaker_state to) -> std::string_view {
    switch (to) {
      case breaker_state::closed:
        return "closed";
      case breaker_state::open:
        return "opened";
      case breaker_state::half_open:
        return "half-open";
      case breaker_state::forced_open:
        return "forced open";
      case breaker_state::disabled:
        return "disabled";
    }
    return "changed";
  };
  return std::string(verb(c.to))
      .append(": ")
      .append(to_string(c.from))
      .append(" -> ")
      .append(to_string(c.to))
      .append(" (")
      .append(to_string(c.reason))
      .append(")");
}

/// Where a breaker stands and why: the state, read together with the transition that led to it.
struct breaker_status {
  breaker_state state = breaker_state::closed;
  std::optional<transition_reason> reason;  ///< why the last transition happened; none before the first one
  std::uint32_t sequence = 0;               ///< that transition's state_change::sequence (0 before the first)
};

/// Why a call was not let through.
enum class rejection_reason : std::uint8_t {
  open,            ///< the breaker is open and its open duration has not passed
  forced_open,     ///< the breaker was forced open by hand
  half_open_full,  ///< the breaker is half-open and every trial permit is taken
};

[[nodiscard]] constexpr std::string_view to_string(rejection_reason reason) noexcept {
  switch (reason) {
    case rejection_reason::open:
      return "open";
    case rejection_reason::forced_open:
      return "forced_open";
    case rejection_reason::half_open_full:
      return "half_open_full";
  }
  return "unknown";
}

/// What a fallback is told, and what `circuit_open` and an error result carry.
struct rejection {
  rejection_reason reason = rejection_reason::open;
  breaker_state state = breaker_state::open;
  /// How long until the breaker lets a trial through (zero when unknown or when forced open).
  std::chrono::nanoseconds retry_after{0};
};

/// Thrown by execute(fn) without a fallback when the breaker rejects the call.
class circuit_open : public std::runtime_error {
 public:
  circuit_open(std::string_view breaker_name, const rejection& why)
      : std::runtime_error(make_message(breaker_name, why)), rejection_(why) {}

  /// Returns why the call was rejected.
  [[nodiscard]] const arbiter::rejection& why() const noexcept { return rejection_; }

 private:
  static std::string make_message(std::string_view breaker_name, const rejection& why) {
    std::string text = "circuit breaker '";
    text.append(breaker_name);
    text.append("' rejected the call: ");
    text.append(to_string(why.reason));
    return text;
  }
  arbiter::rejection rejection_;
};

}  // namespace arbiter::inline v1
