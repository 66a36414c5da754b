#pragma once

/// \file
/// The two text formats a scrape can ask for, their Content-Type, and choosing one from an HTTP Accept header the
/// way Prometheus negotiates it.
///
/// Prometheus 2.x sends
///   `Accept: application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,`
///   `text/plain;version=0.0.4;q=0.5,*/*;q=0.1`
/// and negotiate_exposition answers OpenMetrics 1.0 to it; a client that names only `text/plain`, `*/*` or
/// nothing at all gets the 0.0.4 text format, which every Prometheus-compatible scraper reads.

#include <cstddef>
#include <string_view>

#include <arbiter/detail/ascii.hpp>

namespace arbiter::inline v1 {

/// A text exposition format.
enum class exposition_format {
  prometheus_text,  ///< the Prometheus text format 0.0.4
  openmetrics,      ///< OpenMetrics 1.0 text (`# EOF`, counters' families without `_total`, UNIT lines)
};

/// The Content-Type header value of `format`.
[[nodiscard]] constexpr std::string_view content_type(exposition_format format) noexcept {
  return format == exposition_format::openmetrics ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
                                                  : "text/plain; version=0.0.4; charset=utf-8";
}

namespace detail {

/// Parses an Accept header's q value ("0.5", "1", "0.125"); returns -1 for text that is not one (RFC 9110 qvalue).
[[nodiscard]] constexpr double parse_qvalue(std::string_view text) noexcept {
  if (text.empty() || (text[0] != '0' && text[0] != '1')) return -1;
  double value = text[0] == '1' ? 1 : 0;
  if (text.size() == 1) return value;
  if (text[1] != '.' || text.size() > 5) return -1;
  double scale = 0.1;
  for (std::size_t i = 2; i < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') return -1;
    value += scale * (text[i] - '0');
    scale /= 10;
  }
  return value > 1 ? -1 : value;
}

}  // namespace detail

/// Chooses the format for an HTTP `Accept` header: the acceptable media range with the highest q (the first of
/// equals) among OpenMetrics 1.0 (`application/openmetrics-text`, version 1.0.0 or none) and the text format
/// (`text/plain` with version 0.0.4 or none, `text/*`, `*/*`). Anything else, an empty header included, gets
/// the text format.
[[nodiscard]] constexpr exposition_format negotiate_exposition(std::string_view accept) noexcept {
  exposition_format best = exposition_format::prometheus_text;
  double best_q = 0;
  while (!accept.empty()) {
    const std::size_t comma = accept.find(',');
    std::string_view range = accept.substr(0, comma);
    accept = comma == std::string_view::npos ? std::string_view{} : accept.substr(comma + 1);

    const std::size_t semi = range.find(';');
    const std::string_view media = detail::trim(range.substr(0, semi));
    std::string_view params = semi == std::string_view::npos ? std::string_view{} : range.substr(semi + 1);
    double q = 1;
    std::string_view version_param;
    while (!params.empty()) {
      const std::size_t next = params.find(';');
      const std::string_view param = params.substr(0, next);
      params = next == std::string_view::npos ? std::string_view{} : params.substr(next + 1);
      const std::size_t eq = param.find('=');
      if (eq == std::string_view::npos) continue;
      const std::string_view key = detail::trim(param.substr(0, eq));
      std::string_view value = detail::trim(param.substr(eq + 1));
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
      if (detail::iequals(key, "q")) {
        q = detail::parse_qvalue(value);
      } else if (detail::iequals(key, "version")) {
        version_param = value;
      }
    }
    if (q <= 0) continue;  // q=0 is "not acceptable"; a malformed q is ignored with its range

    exposition_format format;
    if (detail::iequals(media, "application/openmetrics-text") && (version_param.empty() || version_param == "1.0.0")) {
      format = exposition_format::openmetrics;
    } else if ((detail::iequals(media, "text/plain") && (version_param.empty() || version_param == "0.0.4")) ||
               detail::iequals(media, "text/*") || media == "*/*") {
      format = exposition_format::prometheus_text;
    } else {
      continue;
    }
    if (q > best_q) {
      best = format;
      best_q = q;
    }
  }
  return best;
}

}  // namespace arbiter::inline v1
