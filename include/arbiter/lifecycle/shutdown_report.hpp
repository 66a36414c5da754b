#pragma once

/// \file
/// describe(result): what a shutdown did, as lines of text for a person (a console, the end of a demo). The log
/// has the same facts as fields, one record a step.

#include <algorithm>
#include <concepts>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include <arbiter/detail/chrono.hpp>
#include <arbiter/lifecycle/shutdown_options.hpp>

namespace arbiter::inline v1 {

namespace detail {

/// `text` left-aligned in `width` columns (longer text is kept whole).
[[nodiscard]] inline std::string padded(std::string_view text, std::size_t width) {
  std::string out(text);
  if (out.size() < width) out.append(width - out.size(), ' ');
  return out;
}

/// `d` in milliseconds with `decimals` decimals, right-aligned in `width` columns.
[[nodiscard]] inline std::string milliseconds_text(std::chrono::nanoseconds d, int decimals, int width) {
  char buffer[64];
  const int n = std::snprintf(buffer, sizeof buffer, "%*.*f", width, decimals,
                              std::chrono::duration<double, std::milli>(d).count());
  return n > 0 ? std::string(buffer) : std::string();
}

}  // namespace detail

/// Returns one line for the cause, one a readiness step, one for the drain, one a hook (phase, name, outcome,
/// duration, error) and one for the end (clean, or the exit code):
///
///   shutdown result (cause: requested: scenario finished):
///     readiness off  health             completed      0.2 ms
///     drain          0 left in flight   drained      300.9 ms
///     hook phase 0   order intake       completed      0.1 ms
///   shutdown complete: clean in 802 ms, exit code 0
template <std::same_as<shutdown_result> Result>  // a template: compiled only where it is called
[[nodiscard]] std::vector<std::string> describe(const Result& result) {
  using detail::milliseconds_text;
  using detail::padded;
  std::vector<std::string> lines;
  const auto& cause = result.cause;
  lines.push_back("shutdown result (cause: " + std::string(to_string(cause.reason)) +
                  (cause.detail.empty() ? "" : ": ") + cause.detail + "):");
  for (const auto& step : result.readiness) {
    lines.push_back("  readiness off  " + padded(step.name, 18) + " " + padded(to_string(step.outcome), 10) + " " +
                    milliseconds_text(step.duration, 1, 7) + " ms");
  }
  const auto& drain = result.drain;
  lines.push_back("  drain          " + padded(std::to_string(drain.in_flight_left) + " left in flight", 18) + " " +
                  padded(drain.drained ? "drained" : "NOT drained", 10) + " " +
                  milliseconds_text(drain.duration, 1, 7) + " ms");
  for (const auto& hook : result.hooks) {
    lines.push_back("  hook phase " + padded(std::to_string(hook.phase), 3) + " " + padded(hook.name, 18) + " " +
                    padded(to_string(hook.outcome), 10) + " " + milliseconds_text(hook.duration, 1, 7) + " ms" +
                    (hook.error.empty() ? "" : "  ") + hook.error);
  }
  const std::string total = milliseconds_text(result.duration, 0, 0);
  lines.push_back(result.exit_code == 0 ? "shutdown complete: clean in " + total + " ms, exit code 0"
                                        : "shutdown finished with exit code " + std::to_string(result.exit_code) +
                                              " after " + total + " ms");
  return lines;
}

}  // namespace arbiter::inline v1
