#pragma once

/// \file
/// What a shutdown is configured with (deadline, drain time, phase timeouts, exit codes) and what it reports.

#include <csignal>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include <arbiter/detail/chrono.hpp>
#include <arbiter/detail/concat.hpp>
#include <arbiter/lifecycle/exit_policy.hpp>

namespace arbiter::inline v1 {

/// A time limit for all hooks of one phase together.
struct phase_timeout {
  int phase = 0;
  std::chrono::milliseconds timeout{0};
};

/// The settings of a shutdown_manager; the orchestrator fills them from the config section.
struct shutdown_options {
  std::chrono::milliseconds deadline{30000};      ///< from the signal to the forced exit, whatever is still running
  std::chrono::milliseconds readiness_grace{0};   ///< after readiness off, before the gate closes (endpoint updates)
  std::chrono::milliseconds drain_timeout{5000};  ///< the longest wait for in-flight work; bounded by the deadline
  std::vector<phase_timeout> phase_timeouts{};    ///< optional limits per phase
  std::chrono::milliseconds poll_interval{10};    ///< how often waits re-read the Clock (matters for manual clocks)
  exit_codes codes{};
  bool handle_sigint = true;     ///< SIGINT starts the shutdown like SIGTERM (SIGTERM is always handled)
  bool handle_sighup = true;     ///< SIGHUP goes to the reload subscribers instead of ending the process
  bool handle_terminate = true;  ///< std::terminate runs the hooks once with a fatal reason

  /// Checks the values and names the first bad one. \throws std::invalid_argument
  void validate(std::string_view source = "shutdown_options") const {
    const auto fail = [&](std::string_view field, std::int64_t value, std::string_view why) {
      throw std::invalid_argument(detail::concat("shutdown.", field, ": ", value, " ms from ", source, " ", why));
    };
    if (deadline.count() <= 0) fail("deadline", deadline.count(), "must be positive");
    if (readiness_grace.count() < 0) fail("readiness_grace", readiness_grace.count(), "must not be negative");
    if (drain_timeout.count() < 0) fail("drain_timeout", drain_timeout.count(), "must not be negative");
    if (poll_interval.count() <= 0) fail("poll_interval", poll_interval.count(), "must be positive");
    std::int64_t budget = readiness_grace.count() + drain_timeout.count();
    for (const auto& limit : phase_timeouts) {
      if (limit.timeout.count() <= 0) {
        fail(detail::concat("phase_timeouts[phase ", limit.phase, "]"), limit.timeout.count(), "must be positive");
      }
      budget += limit.timeout.count();
    }
    if (budget > deadline.count()) {
      throw std::invalid_argument(
          detail::concat("shutdown.deadline: ", deadline.count(), " ms from ", source,
                         " is shorter than readiness_grace + drain_timeout + the phase timeouts (", budget,
                         " ms); raise the deadline or shorten the steps"));
    }
  }
};

/// Why a shutdown started.
enum class shutdown_reason : std::uint8_t {
  requested,  ///< trigger_shutdown() was called
  signal,     ///< SIGTERM or SIGINT
  fatal       ///< std::terminate or an exception escaping an arbiter thread
};

/// Returns the name of a reason ("requested", "signal", "fatal").
[[nodiscard]] constexpr std::string_view to_string(shutdown_reason reason) noexcept {
  switch (reason) {
    case shutdown_reason::requested:
      return "requested";
    case shutdown_reason::signal:
      return "signal";
    case shutdown_reason::fatal:
      return "fatal";
  }
  return "unknown";
}

/// Returns "SIGTERM", "SIGINT", "SIGHUP", or "signal <n>".
[[nodiscard]] inline std::string signal_name(int signal_number) {
  switch (signal_number) {
    case SIGTERM:
      return "SIGTERM";
    case SIGINT:
      return "SIGINT";
    case SIGHUP:
      return "SIGHUP";
    default:
      return "signal " + std::to_string(signal_number);
  }
}

/// What started a shutdown: the reason, the signal (0 when none) and a human-readable detail.
struct shutdown_cause {
  shutdown_reason reason = shutdown_reason::requested;
  int signal_number = 0;
  std::string detail;
};

/// How one hook (or readiness callback) ended.
enum class hook_outcome : std::uint8_t {
  completed,  ///< returned normally
  failed,     ///< threw; the message is in hook_report::error
  timed_out,  ///< passed its own, its phase's or the overall limit and was left running
  skipped     ///< never started: its phase's time or the overall deadline was already spent
};

/// Returns the name of an outcome ("completed", "failed", "timed_out", "skipped").
[[nodiscard]] constexpr std::string_view to_string(hook_outcome outcome) noexcept {
  switch (outcome) {
    case hook_outcome::completed:
      return "completed";
    case hook_outcome::failed:
      return "failed";
    case hook_outcome::timed_out:
      return "timed_out";
    case hook_outcome::skipped:
      return "skipped";
  }
  return "unknown";
}

/// What a hook that takes an argument (`void(const arbiter::hook_budget&)`) is given when it starts: how long it
/// may run and a token that tells it when it has overrun. Pass `time_left` on to what the hook waits for (a
/// flush, a join, a socket) so that the hook ends within its limit instead of being left behind.
struct hook_budget {
  /// From the hook's start to its limit: its own timeout, its phase's or the overall deadline, whichever is first.
  std::chrono::milliseconds time_left{0};
  /// That limit, on the manager's Clock (steady time; manual time under a manual_clock).
  std::chrono::steady_clock::time_point deadline{};
  /// Stopped when the hook passes that limit and the manager leaves it behind.
  std::stop_token stop;
};

/// The outcome of one hook.
struct hook_report {
  std::string name;
  int phase = 0;
  hook_outcome outcome = hook_outcome::skipped;
  std::chrono::nanoseconds duration{0};
  std::string error;  ///< the exception message, or why it timed out or was skipped
};

/// The outcome of the drain step.
struct drain_report {
  bool drained = true;
  std::size_t in_flight_left = 0;
  std::chrono::nanoseconds duration{0};
};

/// Everything a shutdown did, returned by wait() and logged.
struct shutdown_result {
  shutdown_cause cause;
  std::vector<hook_report> readiness;  ///< the readiness-off callbacks, in the order they ran
  drain_report drain;
  std::vector<hook_report> hooks;  ///< the hooks, in the order they ran (or would have)
  bool deadline_hit = false;       ///< the overall deadline ended the shutdown with work still running
  bool fatal = false;              ///< a fatal path was seen (terminate, an escaped exception)
  /// Steps left behind that were still running at the end: the manager then ended the process itself with
  /// exit_code instead of letting main return under them.
  std::size_t still_running = 0;
  std::chrono::nanoseconds duration{0};
  int exit_code = 0;

  /// Returns the report of hook `name`, or nullptr.
  [[nodiscard]] const hook_report* find(std::string_view name) const noexcept {
    for (const auto& report : hooks) {
      if (report.name == name) return &report;
    }
    return nullptr;
  }

  /// Returns whether every step completed in time.
  [[nodiscard]] bool clean() const noexcept {
    if (deadline_hit || fatal || !drain.drained) return false;
    for (const auto* list : {&readiness, &hooks}) {
      for (const auto& report : *list) {
        if (report.outcome != hook_outcome::completed) return false;
      }
    }
    return true;
  }
};

/// Returns the exit code for a finished shutdown: fatal, deadline, timed out, hook failed, else clean.
[[nodiscard]] inline int choose_exit_code(const shutdown_result& result, const exit_codes& codes) noexcept {
  if (result.fatal) return codes.fatal;
  if (result.deadline_hit) return codes.deadline;
  bool failed = false;
  bool late = !result.drain.drained;
  for (const auto* list : {&result.readiness, &result.hooks}) {
    for (const auto& report : *list) {
      failed = failed || report.outcome == hook_outcome::failed;
      late = late || report.outcome == hook_outcome::timed_out || report.outcome == hook_outcome::skipped;
    }
  }
  if (late) return codes.timed_out;
  if (failed) return codes.hook_failed;
  return codes.clean;
}

}  // namespace arbiter::inline v1
