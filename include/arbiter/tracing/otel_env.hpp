#pragma once

/// \file
/// The standard OpenTelemetry environment variables, read as every OTel SDK reads them, with a clear error for a bad
/// value (the variable, the value, what was expected) instead of a silent default. An empty value is unset.
///
/// | variable | meaning |
/// | --- | --- |
/// | OTEL_SDK_DISABLED | `true` turns tracing off: the sampler becomes always_off and the exporter none |
/// | OTEL_TRACES_EXPORTER | `otlp` (default), `console` (JSON lines on stdout), `none` |
/// | OTEL_EXPORTER_OTLP_ENDPOINT | base URL, `/v1/traces` is appended (default `http://127.0.0.1:4318`) |
/// | OTEL_EXPORTER_OTLP_TRACES_ENDPOINT | full URL, used as is; wins over the base URL |
/// | OTEL_EXPORTER_OTLP_[TRACES_]HEADERS | `key=value,key2=value2`, values percent-decoded |
/// | OTEL_EXPORTER_OTLP_[TRACES_]TIMEOUT | milliseconds per export request (default 10000) |
/// | OTEL_EXPORTER_OTLP_[TRACES_]PROTOCOL | only `http/json` is supported |
/// | OTEL_SERVICE_NAME | `service.name`; wins over OTEL_RESOURCE_ATTRIBUTES |
/// | OTEL_RESOURCE_ATTRIBUTES | `key=value,...` resource attributes, values percent-decoded |
/// | OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG | sampler name and ratio |
/// | OTEL_BSP_SCHEDULE_DELAY, OTEL_BSP_EXPORT_TIMEOUT | milliseconds |
/// | OTEL_BSP_MAX_QUEUE_SIZE, OTEL_BSP_MAX_EXPORT_BATCH_SIZE | spans |

#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <arbiter/detail/ascii.hpp>
#include <arbiter/tracing/baggage.hpp>
#include <arbiter/tracing/batch_processor.hpp>
#include <arbiter/tracing/otlp_json.hpp>
#include <arbiter/tracing/sampler.hpp>

namespace arbiter::inline v1 {

/// Where an OTLP/HTTP request goes: `http://host:port/path`.
struct http_endpoint {
  std::string host = "127.0.0.1";
  std::uint16_t port = 4318;
  std::string target = "/v1/traces";

  /// Parses an `http://host[:port][/path]` URL; `what` names where it came from in the error.
  /// https is refused (arbiter's exporter has no TLS: put a collector next to the service).
  [[nodiscard]] static http_endpoint parse(std::string_view url, std::string_view what = "endpoint") {
    const auto fail = [&](std::string_view why) {
      throw std::invalid_argument(std::string(what) + ": \"" + std::string(url) + "\" " + std::string(why));
    };
    constexpr std::string_view scheme = "http://";
    if (url.substr(0, 8) == "https://") {
      fail("uses https, which arbiter's OTLP exporter does not speak; send to a local collector over http://");
    }
    if (url.substr(0, scheme.size()) != scheme) fail("is not an http:// URL");
    std::string_view rest = url.substr(scheme.size());
    const auto slash = rest.find('/');
    const std::string_view authority = rest.substr(0, slash);
    http_endpoint result;
    result.target = slash == std::string_view::npos ? std::string("/") : std::string(rest.substr(slash));
    std::string_view host = authority;
    std::string_view port_text;
    if (!authority.empty() && authority.front() == '[') {  // [IPv6]:port
      const auto close = authority.find(']');
      if (close == std::string_view::npos) fail("has an unclosed IPv6 bracket");
      host = authority.substr(1, close - 1);
      const std::string_view after = authority.substr(close + 1);
      if (!after.empty()) {
        if (after.front() != ':') fail("has text after the IPv6 address");
        port_text = after.substr(1);
      }
    } else if (const auto colon = authority.rfind(':'); colon != std::string_view::npos) {
      host = authority.substr(0, colon);
      port_text = authority.substr(colon + 1);
    }
    if (host.empty()) fail("has no host");
    result.host = std::string(host);
    result.port = 80;
    if (!port_text.empty() || authority.back() == ':') {
      unsigned value = 0;
      const auto [end, error] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
      if (error != std::errc() || end != port_text.data() + port_text.size() || value == 0 || value > 65535) {
        fail("has the port \"" + std::string(port_text) + "\", which is not a number from 1 to 65535");
      }
      result.port = static_cast<std::uint16_t>(value);
    }
    return result;
  }
};

/// Everything an OTLP/HTTP exporter needs.
struct otlp_http_options {
  http_endpoint endpoint{};
  std::vector<std::pair<std::string, std::string>> headers;  ///< extra request headers (authentication, tenant)
  std::chrono::milliseconds timeout{10000};                  ///< per request
  otlp_resource resource{};
};

/// What the OTEL_* variables ask for.
struct otel_settings {
  enum class exporter_kind : unsigned char { otlp, console, none };

  bool sdk_disabled = false;
  exporter_kind exporter = exporter_kind::otlp;
  otlp_http_options otlp{};
  configured_sampler sampler{};
  batch_options batch{};
};

namespace detail {

[[nodiscard]] inline std::string lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = ascii_lower(c);
  return out;
}

[[noreturn]] inline void bad_env(std::string_view name, std::string_view value, std::string_view expected) {
  throw std::invalid_argument(std::string(name) + "=\"" + std::string(value) + "\" is not valid: expected " +
                              std::string(expected));
}

/// Parses `key=value,key2=value2` (values percent-decoded) as OTEL_EXPORTER_OTLP_HEADERS and OTEL_RESOURCE_ATTRIBUTES
/// are written.
[[nodiscard]] inline std::vector<std::pair<std::string, std::string>> parse_env_pairs(std::string_view name,
                                                                                      std::string_view value) {
  std::vector<std::pair<std::string, std::string>> out;
  std::string_view rest = value;
  while (true) {
    const auto comma = rest.find(',');
    const std::string_view member = trim_ows(rest.substr(0, comma));
    if (!member.empty()) {
      const auto eq = member.find('=');
      const std::string_view key = eq == std::string_view::npos ? member : trim_ows(member.substr(0, eq));
      if (eq == std::string_view::npos || key.empty()) {
        bad_env(name, value, "comma-separated key=value pairs, and \"" + std::string(member) + "\" is not one");
      }
      const std::string_view raw = trim_ows(member.substr(eq + 1));
      std::string decoded;
      for (std::size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] == '%' && i + 2 < raw.size() && hex_value(raw[i + 1]) >= 0 && hex_value(raw[i + 2]) >= 0) {
          decoded.push_back(static_cast<char>(hex_value(raw[i + 1]) * 16 + hex_value(raw[i + 2])));
          i += 2;
        } else if (raw[i] == '%') {
          bad_env(name, value, "percent-encoded values, and \"" + std::string(raw) + "\" has a broken % escape");
        } else {
          decoded.push_back(raw[i]);
        }
      }
      out.emplace_back(std::string(key), std::move(decoded));
    }
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return out;
}

template <class T>
[[nodiscard]] T parse_env_unsigned(std::string_view name, std::string_view value, std::string_view unit) {
  T result{};
  const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), result);
  if (value.empty() || error != std::errc() || end != value.data() + value.size()) {
    bad_env(name, value, "a non-negative whole number of " + std::string(unit));
  }
  return result;
}

[[nodiscard]] inline std::chrono::milliseconds parse_env_millis(std::string_view name, std::string_view value) {
  const auto ms = parse_env_unsigned<std::uint32_t>(name, value, "milliseconds");
  if (ms == 0) bad_env(name, value, "a positive number of milliseconds");
  return std::chrono::milliseconds(ms);
}

}  // namespace detail

/// Reads the OTEL_* variables through `lookup` (a function from a name to a `const char*`, null when unset; by
/// default std::getenv) on top of `defaults`. Throws std::invalid_argument naming the variable and the bad value.
[[nodiscard]] inline otel_settings read_otel_environment(
    const std::function<const char*(const char*)>& lookup = [](const char* name) { return std::getenv(name); },
    otel_settings defaults = {}) {
  otel_settings s = std::move(defaults);
  // An empty (or blank) value counts as unset, as the OpenTelemetry specification says: a platform that sets
  // OTEL_SDK_DISABLED="" must not switch tracing back on, nor OTEL_SERVICE_NAME="" erase the configured name.
  const auto get = [&](const char* name) -> std::optional<std::string_view> {
    const char* value = lookup(name);
    if (value == nullptr || detail::trim_ows(value).empty()) return std::nullopt;
    return std::string_view(value);
  };
  const auto either = [&](const char* specific,
                          const char* general) -> std::optional<std::pair<const char*, std::string_view>> {
    if (auto v = get(specific)) return std::pair{specific, *v};
    if (auto v = get(general)) return std::pair{general, *v};
    return std::nullopt;
  };

  if (const auto v = get("OTEL_SDK_DISABLED")) {
    const std::string text = detail::lowercase(detail::trim_ows(*v));
    if (text == "true") {
      s.sdk_disabled = true;
    } else if (text == "false" || text.empty()) {
      s.sdk_disabled = false;
    } else {
      detail::bad_env("OTEL_SDK_DISABLED", *v, "true or false");
    }
  }

  if (const auto v = get("OTEL_TRACES_EXPORTER")) {
    const std::string text = detail::lowercase(detail::trim_ows(*v));
    if (text == "otlp") {
      s.exporter = otel_settings::exporter_kind::otlp;
    } else if (text == "console") {
      s.exporter = otel_settings::exporter_kind::console;
    } else if (text == "none") {
      s.exporter = otel_settings::exporter_kind::none;
    } else {
      detail::bad_env("OTEL_TRACES_EXPORTER", *v, "otlp, console or none");
    }
  }

  if (const auto v = either("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL")) {
    if (detail::trim_ows(v->second) != "http/json") {
      detail::bad_env(v->first, v->second, "http/json (arbiter's exporter sends OTLP JSON over HTTP)");
    }
  }

  if (const auto v = get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")) {
    s.otlp.endpoint = http_endpoint::parse(detail::trim_ows(*v), "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
  } else if (const auto base = get("OTEL_EXPORTER_OTLP_ENDPOINT")) {
    std::string url(detail::trim_ows(*base));
    while (!url.empty() && url.back() == '/') url.pop_back();
    s.otlp.endpoint = http_endpoint::parse(url + "/v1/traces", "OTEL_EXPORTER_OTLP_ENDPOINT");
  }

  if (const auto v = either("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "OTEL_EXPORTER_OTLP_HEADERS")) {
    s.otlp.headers = detail::parse_env_pairs(v->first, v->second);
  }
  if (const auto v = either("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "OTEL_EXPORTER_OTLP_TIMEOUT")) {
    s.otlp.timeout = detail::parse_env_millis(v->first, detail::trim_ows(v->second));
  }

  if (const auto v = get("OTEL_RESOURCE_ATTRIBUTES")) {
    for (auto& [key, value] : detail::parse_env_pairs("OTEL_RESOURCE_ATTRIBUTES", *v)) {
      if (key == "service.name") {
        s.otlp.resource.service_name = value;
      } else if (key == "service.version") {
        s.otlp.resource.service_version = value;
      } else if (key == "deployment.environment" || key == "deployment.environment.name") {
        s.otlp.resource.deployment_environment = value;
      } else {
        s.otlp.resource.attributes.emplace_back(key, value);
      }
    }
  }
  if (const auto v = get("OTEL_SERVICE_NAME")) {
    const std::string_view name = detail::trim_ows(*v);
    if (name.empty()) detail::bad_env("OTEL_SERVICE_NAME", *v, "a service name");
    s.otlp.resource.service_name = std::string(name);
  }

  if (const auto v = get("OTEL_TRACES_SAMPLER")) {
    using kind = configured_sampler::kind;
    const std::string name = detail::lowercase(detail::trim_ows(*v));
    kind k{};
    bool takes_ratio = false;
    if (name == "always_on") {
      k = kind::always_on;
    } else if (name == "always_off") {
      k = kind::always_off;
    } else if (name == "traceidratio") {
      k = kind::trace_id_ratio;
      takes_ratio = true;
    } else if (name == "parentbased_always_on") {
      k = kind::parent_based_always_on;
    } else if (name == "parentbased_always_off") {
      k = kind::parent_based_always_off;
    } else if (name == "parentbased_traceidratio") {
      k = kind::parent_based_trace_id_ratio;
      takes_ratio = true;
    } else {
      detail::bad_env("OTEL_TRACES_SAMPLER", *v,
                      "always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off or "
                      "parentbased_traceidratio");
    }
    double ratio = 1.0;
    if (const auto arg = get("OTEL_TRACES_SAMPLER_ARG"); arg && takes_ratio) {
      const std::string_view text = detail::trim_ows(*arg);
      const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), ratio);
      if (text.empty() || error != std::errc() || end != text.data() + text.size() || !(ratio >= 0.0 && ratio <= 1.0)) {
        detail::bad_env("OTEL_TRACES_SAMPLER_ARG", *arg, "a ratio from 0 to 1 for the sampler " + name);
      }
    }
    s.sampler = configured_sampler(k, ratio);
  }

  if (const auto v = get("OTEL_BSP_SCHEDULE_DELAY")) {
    s.batch.schedule_delay = detail::parse_env_millis("OTEL_BSP_SCHEDULE_DELAY", detail::trim_ows(*v));
  }
  if (const auto v = get("OTEL_BSP_EXPORT_TIMEOUT")) {
    s.batch.export_timeout = detail::parse_env_millis("OTEL_BSP_EXPORT_TIMEOUT", detail::trim_ows(*v));
  }
  if (const auto v = get("OTEL_BSP_MAX_QUEUE_SIZE")) {
    s.batch.max_queue_size =
        detail::parse_env_unsigned<std::size_t>("OTEL_BSP_MAX_QUEUE_SIZE", detail::trim_ows(*v), "spans");
    if (s.batch.max_queue_size == 0) detail::bad_env("OTEL_BSP_MAX_QUEUE_SIZE", *v, "at least 1 span");
  }
  if (const auto v = get("OTEL_BSP_MAX_EXPORT_BATCH_SIZE")) {
    s.batch.max_export_batch_size =
        detail::parse_env_unsigned<std::size_t>("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", detail::trim_ows(*v), "spans");
    if (s.batch.max_export_batch_size == 0) detail::bad_env("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", *v, "at least 1 span");
  }
  if (s.batch.max_export_batch_size > s.batch.max_queue_size) {
    throw std::invalid_argument("OTEL_BSP_MAX_EXPORT_BATCH_SIZE=" + std::to_string(s.batch.max_export_batch_size) +
                                " is above OTEL_BSP_MAX_QUEUE_SIZE=" + std::to_string(s.batch.max_queue_size) +
                                "; a batch cannot be larger than the queue");
  }
  if (s.sdk_disabled) {  // a disabled SDK traces nothing: sampled-out spans (which still propagate), no exporter
    s.sampler = configured_sampler(configured_sampler::kind::always_off);
    s.exporter = otel_settings::exporter_kind::none;
  }
  return s;
}

}  // namespace arbiter::inline v1
