#pragma once

/// \file
/// The vocabulary of health: statuses, probes, component types and one check's result.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <arbiter/detail/chrono.hpp>
#include <arbiter/version.hpp>

namespace arbiter::inline v1 {

/// How well a check (or the whole service) is doing; ordered from best to worst so "worst wins" is std::max.
enum class health_status : std::uint8_t { healthy = 0, degraded = 1, unhealthy = 2 };

/// Returns "healthy", "degraded" or "unhealthy".
[[nodiscard]] constexpr std::string_view to_string(health_status status) noexcept {
  switch (status) {
    case health_status::healthy:
      return "healthy";
    case health_status::degraded:
      return "degraded";
    case health_status::unhealthy:
      return "unhealthy";
  }
  return "unknown";
}

/// Returns the IETF health+json word for a status: "pass", "warn" or "fail".
[[nodiscard]] constexpr std::string_view to_ietf_status(health_status status) noexcept {
  switch (status) {
    case health_status::healthy:
      return "pass";
    case health_status::degraded:
      return "warn";
    case health_status::unhealthy:
      return "fail";
  }
  return "fail";
}

/// Returns the HTTP status a probe answers with: 200 for pass and warn (still serving), 503 for fail.
[[nodiscard]] constexpr int http_status(health_status status) noexcept {
  return status == health_status::unhealthy ? 503 : 200;
}

/// Returns the worse of two statuses.
[[nodiscard]] constexpr health_status worst(health_status a, health_status b) noexcept { return a < b ? b : a; }

/// A Kubernetes probe. The values are bits, so a check can belong to several probes (see probe_set).
enum class probe : std::uint8_t { liveness = 1, readiness = 2, startup = 4 };

/// Returns "liveness", "readiness" or "startup".
[[nodiscard]] constexpr std::string_view to_string(probe which) noexcept {
  switch (which) {
    case probe::liveness:
      return "liveness";
    case probe::readiness:
      return "readiness";
    case probe::startup:
      return "startup";
  }
  return "unknown";
}

/// The probes a check belongs to. A structural type, so it can sit in a check's compile-time options.
struct probe_set {
  std::uint8_t bits = 0;

  constexpr probe_set() noexcept = default;
  constexpr probe_set(probe which) noexcept
      : bits(static_cast<std::uint8_t>(which)) {}  // NOLINT: probe is a set of one

  /// Returns true if `which` is in the set.
  [[nodiscard]] constexpr bool contains(probe which) const noexcept {
    return (bits & static_cast<std::uint8_t>(which)) != 0;
  }
  /// Returns true if the two sets share a probe.
  [[nodiscard]] constexpr bool contains_any(probe_set other) const noexcept { return (bits & other.bits) != 0; }
  [[nodiscard]] constexpr bool empty() const noexcept { return bits == 0; }

  friend constexpr probe_set operator|(probe_set a, probe_set b) noexcept {
    probe_set out;
    out.bits = static_cast<std::uint8_t>(a.bits | b.bits);
    return out;
  }
  friend constexpr bool operator==(probe_set, probe_set) noexcept = default;
};

/// Combines two probes into a set: `probe::liveness | probe::readiness`.
[[nodiscard]] constexpr probe_set operator|(probe a, probe b) noexcept { return probe_set(a) | probe_set(b); }

/// Every probe.
inline constexpr probe_set all_probes = probe::liveness | probe::readiness | probe::startup;

/// The IETF componentType of a check: a part of this service, a data store, or the system it runs on.
enum class component_type : std::uint8_t { component, datastore, system };

/// Returns "component", "datastore" or "system".
[[nodiscard]] constexpr std::string_view to_string(component_type type) noexcept {
  switch (type) {
    case component_type::component:
      return "component";
    case component_type::datastore:
      return "datastore";
    case component_type::system:
      return "system";
  }
  return "component";
}

/// One instance inside a check that covers several (a dynamic_checks set, a pool of replicas): rendered as its
/// own element of the check's health+json array.
struct check_instance {
  std::string component_id{};
  health_status status = health_status::healthy;
  std::string message{};
};

/// What a check reports. A check fills status, message and (optionally) details, an observed value and instances;
/// the monitor fills `duration` and `time`.
struct check_result {
  health_status status = health_status::healthy;
  std::string message{};
  std::vector<std::pair<std::string, std::string>> details{};  ///< key/value pairs, in insertion order
  std::optional<double> observed_value{};                      ///< the IETF observedValue, when the check measures one
  std::string observed_unit{};                                 ///< the IETF observedUnit ("ms", "percent", ...)
  std::vector<check_instance> instances{};                     ///< per-instance results, when the check covers several
  std::chrono::nanoseconds duration{0};                        ///< how long the check ran (by the monitor's Clock)
  std::chrono::system_clock::time_point time{};                ///< when the check finished, as wall time

  /// Makes a HEALTHY result.
  [[nodiscard]] static check_result healthy(std::string message = {}) {
    return make(health_status::healthy, std::move(message));
  }
  /// Makes a DEGRADED result.
  [[nodiscard]] static check_result degraded(std::string message) {
    return make(health_status::degraded, std::move(message));
  }
  /// Makes an UNHEALTHY result.
  [[nodiscard]] static check_result unhealthy(std::string message) {
    return make(health_status::unhealthy, std::move(message));
  }

  /// Adds a detail and returns the result, for chaining.
  check_result& with(std::string key, std::string value) & {
    details.emplace_back(std::move(key), std::move(value));
    return *this;
  }
  check_result&& with(std::string key, std::string value) && {
    details.emplace_back(std::move(key), std::move(value));
    return std::move(*this);
  }

  /// Sets the observed value and unit, for chaining.
  check_result&& observe(double value, std::string unit) && {
    observed_value = value;
    observed_unit = std::move(unit);
    return std::move(*this);
  }

  /// Returns the value of detail `key`, if present.
  [[nodiscard]] std::optional<std::string_view> detail(std::string_view key) const noexcept {
    for (const auto& [k, v] : details) {
      if (k == key) return std::string_view(v);
    }
    return std::nullopt;
  }

 private:
  static check_result make(health_status status, std::string message) {
    check_result result;
    result.status = status;
    result.message = std::move(message);
    return result;
  }
};

}  // namespace arbiter::inline v1
