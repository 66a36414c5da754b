#pragma once

/// \file
/// What a metric is before it has any values: its name, HELP text, type, label names and (for histograms)
/// bucket bounds. Specs are literal types, so a spec written as a `constexpr` variable is checked by the
/// compiler: a name outside the Prometheus grammar, a counter without `_total`, a reserved or repeated label,
/// unsorted buckets each stop the build with an `====> arbiter:` line. A spec built at run time gets the same
/// checks from the registry, as a metrics_error that names the metric.
///
///   inline constexpr auto requests = arbiter::counter_metric("shop_requests_total", "Requests served.", "route");
///   inline constexpr double latency_bounds[] = {0.005, 0.01, 0.05, 0.1, 0.5, 1};
///   inline constexpr auto latency =
///       arbiter::histogram_metric("shop_request_duration_seconds", "Time to serve a request.", latency_bounds,
///                                 "route");

#include <array>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

#include <arbiter/version.hpp>

namespace arbiter::inline v1 {

/// A metric that cannot be registered (bad name, labels or buckets; a name taken by another kind of metric).
class metrics_error : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

/// The three kinds of instrument.
enum class metric_type { counter, gauge, histogram };

/// The Prometheus TYPE word of `type`.
[[nodiscard]] constexpr std::string_view to_string(metric_type type) noexcept {
  switch (type) {
    case metric_type::counter:
      return "counter";
    case metric_type::gauge:
      return "gauge";
    case metric_type::histogram:
      return "histogram";
  }
  return "untyped";
}

/// The most labels a metric can have.
inline constexpr std::size_t max_metric_labels = 8;

/// The most bucket bounds a histogram can have (the +Inf bucket is implied and not counted).
inline constexpr std::size_t max_histogram_buckets = 64;

/// A metric's description, without its label values. Build one with counter_metric, gauge_metric or
/// histogram_metric, which check it.
template <metric_type Type, std::size_t Labels>
struct metric_spec {
  static constexpr metric_type type = Type;
  static constexpr std::size_t label_count = Labels;
  std::string_view name;
  std::string_view help;
  std::array<std::string_view, Labels> labels{};
  std::span<const double> buckets{};  ///< histograms: the upper bounds (`le`), strictly increasing, finite
  std::string_view unit{};            ///< optional OpenMetrics UNIT, which the name must end with (`_seconds`)
};

template <std::size_t Labels>
using counter_spec = metric_spec<metric_type::counter, Labels>;
template <std::size_t Labels>
using gauge_spec = metric_spec<metric_type::gauge, Labels>;
template <std::size_t Labels>
using histogram_spec = metric_spec<metric_type::histogram, Labels>;

namespace detail {

/// Throws the metrics_error for a bad spec. Not constexpr on purpose: reached during constant evaluation it stops
/// the build, and the compiler prints the call, whose first argument is the sentence naming the fix.
[[noreturn]] inline void bad_metric_spec(std::string_view why, std::string_view name) {
#if defined(__cpp_exceptions)
  throw metrics_error(std::string(why) + " (metric '" + std::string(name) + "')");
#else  // no way to report it: say why, then stop
  std::fprintf(stderr, "%.*s (metric '%.*s')\n", static_cast<int>(why.size()), why.data(),
               static_cast<int>(name.size()), name.data());
  std::abort();
#endif
}

[[nodiscard]] constexpr bool metric_name_char(char c, bool first) noexcept {
  const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
  return alpha || (!first && c >= '0' && c <= '9');
}

/// True for a Prometheus metric name: [a-zA-Z_:][a-zA-Z0-9_:]*.
[[nodiscard]] constexpr bool valid_metric_name(std::string_view name) noexcept {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (!metric_name_char(name[i], i == 0)) return false;
  }
  return true;
}

/// True for a Prometheus label name: [a-zA-Z_][a-zA-Z0-9_]*, not starting with the reserved "__".
[[nodiscard]] constexpr bool valid_label_name(std::string_view name) noexcept {
  if (name.empty() || name.starts_with("__")) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (name[i] == ':' || !metric_name_char(name[i], i == 0)) return false;
  }
  return true;
}

[[nodiscard]] constexpr bool ends_with(std::string_view text, std::string_view suffix) noexcept {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

/// Checks everything about a spec that does not depend on other metrics; throws metrics_error (or, in constant
/// evaluation, fails to compile) with the reason.
template <metric_type Type, std::size_t Labels>
constexpr void check_metric_spec(const metric_spec<Type, Labels>& spec) {
  static_assert(Labels <= max_metric_labels, "====> arbiter: a metric has at most 8 labels (max_metric_labels).");
  if (!valid_metric_name(spec.name)) {
    bad_metric_spec("====> arbiter: a metric name must match [a-zA-Z_:][a-zA-Z0-9_:]*", spec.name);
  }
  if (spec.help.empty()) bad_metric_spec("====> arbiter: every metric needs a HELP text", spec.name);
  if constexpr (Type == metric_type::counter) {
    if (!ends_with(spec.name, "_total") || spec.name == "_total") {
      bad_metric_spec("====> arbiter: a counter's name ends with _total", spec.name);
    }
  } else {
    if (ends_with(spec.name, "_total")) {
      bad_metric_spec("====> arbiter: only counters end with _total", spec.name);
    }
  }
  if constexpr (Type == metric_type::histogram) {
    for (const std::string_view suffix : {"_bucket", "_count", "_sum"}) {
      if (ends_with(spec.name, suffix)) {
        bad_metric_spec("====> arbiter: a histogram's name cannot end with _bucket, _count or _sum", spec.name);
      }
    }
    if (spec.buckets.empty() || spec.buckets.size() > max_histogram_buckets) {
      bad_metric_spec("====> arbiter: a histogram needs 1 to 64 bucket bounds", spec.name);
    }
    for (std::size_t i = 0; i < spec.buckets.size(); ++i) {
      const double bound = spec.buckets[i];
      if (!(bound > -1.7976931348623157e308 && bound < 1.7976931348623157e308)) {
        bad_metric_spec("====> arbiter: histogram bucket bounds are finite numbers (+Inf is implied)", spec.name);
      }
      if (i > 0 && !(spec.buckets[i - 1] < bound)) {
        bad_metric_spec("====> arbiter: histogram bucket bounds must be strictly increasing", spec.name);
      }
    }
  } else if (!spec.buckets.empty()) {
    bad_metric_spec("====> arbiter: only histograms have buckets", spec.name);
  }
  if (!spec.unit.empty()) {
    const std::string_view family = Type == metric_type::counter
                                        ? spec.name.substr(0, spec.name.size() - std::string_view("_total").size())
                                        : spec.name;
    if (!valid_label_name(spec.unit) || family.size() <= spec.unit.size() ||
        family.substr(family.size() - spec.unit.size()) != spec.unit ||
        family[family.size() - spec.unit.size() - 1] != '_') {
      bad_metric_spec("====> arbiter: a metric with a unit has a name ending in _<unit> (before _total)", spec.name);
    }
  }
  for (std::size_t i = 0; i < Labels; ++i) {
    if (!valid_label_name(spec.labels[i])) {
      bad_metric_spec("====> arbiter: a label name must match [a-zA-Z_][a-zA-Z0-9_]* and not start with __", spec.name);
    }
    if (Type == metric_type::histogram && spec.labels[i] == "le") {
      bad_metric_spec("====> arbiter: a histogram cannot have a label named le (it is the bucket bound)", spec.name);
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (spec.labels[i] == spec.labels[j]) bad_metric_spec("====> arbiter: a label name is repeated", spec.name);
    }
  }
}

}  // namespace detail

/// A counter: a count that only goes up (`_total` name). `labels` are the label names, in the order values are
/// given when a series is made.
template <class... L>
[[nodiscard]] constexpr counter_spec<sizeof...(L)> counter_metric(std::string_view name, std::string_view help,
                                                                  const L&... labels) {
  counter_spec<sizeof...(L)> spec{name, help, {std::string_view(labels)...}, {}, {}};
  detail::check_metric_spec(spec);
  return spec;
}

/// A gauge: a value that goes up and down (or is read by a callback at scrape time).
template <class... L>
[[nodiscard]] constexpr gauge_spec<sizeof...(L)> gauge_metric(std::string_view name, std::string_view help,
                                                              const L&... labels) {
  gauge_spec<sizeof...(L)> spec{name, help, {std::string_view(labels)...}, {}, {}};
  detail::check_metric_spec(spec);
  return spec;
}

/// A histogram with fixed buckets: `buckets` are the upper bounds, strictly increasing; keep them alive as long
/// as the spec (a `static constexpr` array, typically).
template <class... L>
[[nodiscard]] constexpr histogram_spec<sizeof...(L)> histogram_metric(std::string_view name, std::string_view help,
                                                                      std::span<const double> buckets,
                                                                      const L&... labels) {
  histogram_spec<sizeof...(L)> spec{name, help, {std::string_view(labels)...}, buckets, {}};
  detail::check_metric_spec(spec);
  return spec;
}

/// The same spec with an OpenMetrics UNIT (`"seconds"`, `"bytes"`), which the name must end with.
template <metric_type Type, std::size_t Labels>
[[nodiscard]] constexpr metric_spec<Type, Labels> with_unit(metric_spec<Type, Labels> spec, std::string_view unit) {
  spec.unit = unit;
  detail::check_metric_spec(spec);
  return spec;
}

/// Upper bounds growing by `factor` from `start`: `exponential_buckets<8>(0.001, 2)` is 1 ms to 128 ms.
template <std::size_t Count>
[[nodiscard]] constexpr std::array<double, Count> exponential_buckets(double start, double factor) {
  static_assert(Count > 0 && Count <= max_histogram_buckets, "====> arbiter: a histogram has 1 to 64 buckets.");
  if (!(start > 0) || !(factor > 1)) {
    detail::bad_metric_spec("====> arbiter: exponential_buckets needs start > 0 and factor > 1", "buckets");
  }
  std::array<double, Count> bounds{};
  double bound = start;
  for (double& b : bounds) {
    b = bound;
    bound *= factor;
  }
  return bounds;
}

/// The latency buckets arbiter's own duration histograms use, in seconds: 100 µs to 10 s.
inline constexpr double default_duration_buckets[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                      0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};

}  // namespace arbiter::inline v1
