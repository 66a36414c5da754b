#pragma once

/// \file
/// The Sampler policy: which spans are recorded and exported. Decided once, when a span starts, so a sampled-out
/// span costs almost nothing.
///
/// A Sampler is copyable and has
///   bool should_sample(const span_context& parent, const trace_id& trace, std::string_view name,
///                      span_kind kind) const noexcept;
/// where `parent` is invalid for a root span and `trace` is the trace id the span will carry.

#include <concepts>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>

#include <arbiter/tracing/span_context.hpp>
#include <arbiter/tracing/tracer.hpp>

namespace arbiter::inline v1 {

/// A sampling policy (see the file comment).
template <class S>
concept Sampler = std::copy_constructible<S> && requires(const S& sampler, const span_context& parent,
                                                         const trace_id& trace, std::string_view name, span_kind kind) {
  { sampler.should_sample(parent, trace, name, kind) } -> std::convertible_to<bool>;
};

/// Checks that `S` is a Sampler and says what is missing if it is not.
template <class S>
consteval bool assert_sampler() {
  static_assert(Sampler<S>,
                "====> arbiter: the Sampler policy lacks `bool should_sample(const arbiter::span_context& parent, "
                "const arbiter::trace_id&, std::string_view name, arbiter::span_kind) const noexcept`; use "
                "arbiter::always_on, always_off, trace_id_ratio or parent_based<Root>.");
  return true;
}

/// Samples every span.
struct always_on {
  [[nodiscard]] static constexpr bool should_sample(const span_context& /*parent*/, const trace_id& /*trace*/,
                                                    std::string_view /*name*/, span_kind /*kind*/) noexcept {
    return true;
  }
};

/// Samples nothing: every span is a cheap non-recording one that still propagates its context.
struct always_off {
  [[nodiscard]] static constexpr bool should_sample(const span_context& /*parent*/, const trace_id& /*trace*/,
                                                    std::string_view /*name*/, span_kind /*kind*/) noexcept {
    return false;
  }
};

/// Samples a fixed fraction of traces, decided from the trace id alone so every service that sees the trace
/// agrees: the span is sampled when the id's rightmost 56 bits (random by W3C Level 2) fall below ratio * 2^56.
class trace_id_ratio {
 public:
  /// Takes a ratio in [0, 1]; anything else (or NaN) is an error that names the value.
  explicit trace_id_ratio(double ratio) : ratio_(ratio), threshold_(threshold_for(ratio)) {}

  [[nodiscard]] constexpr bool should_sample(const span_context& /*parent*/, const trace_id& trace,
                                             std::string_view /*name*/, span_kind /*kind*/) const noexcept {
    return (trace.low & random_mask) < threshold_;
  }

  [[nodiscard]] constexpr double ratio() const noexcept { return ratio_; }

 private:
  static constexpr std::uint64_t random_mask = (std::uint64_t{1} << 56) - 1;

  static std::uint64_t threshold_for(double ratio) {
    if (!(ratio >= 0.0 && ratio <= 1.0)) {
      throw std::invalid_argument("trace_id_ratio: the ratio " + std::to_string(ratio) +
                                  " is outside [0, 1]; give the fraction of traces to keep, e.g. 0.25");
    }
    return static_cast<std::uint64_t>(ratio * 0x1p56);
  }

  double ratio_;
  std::uint64_t threshold_;
};

/// Follows the parent's sampled flag when there is a parent (local or remote), and asks `Root` for root spans,
/// so a trace is kept or dropped as a whole across services.
template <class Root = always_on>
class parent_based {
  static_assert(assert_sampler<Root>());

 public:
  parent_based() = default;
  explicit parent_based(Root root) : root_(std::move(root)) {}

  [[nodiscard]] constexpr bool should_sample(const span_context& parent, const trace_id& trace, std::string_view name,
                                             span_kind kind) const noexcept {
    if (parent.valid()) return parent.sampled();
    return root_.should_sample(parent, trace, name, kind);
  }

  [[nodiscard]] const Root& root() const noexcept { return root_; }

 private:
  [[no_unique_address]] Root root_{};
};

/// The sampler chosen at run time (from OTEL_TRACES_SAMPLER, a config file): one type for every choice.
class configured_sampler {
 public:
  enum class kind : unsigned char {
    always_on,
    always_off,
    trace_id_ratio,
    parent_based_always_on,
    parent_based_always_off,
    parent_based_trace_id_ratio
  };

  /// Defaults to parentbased_always_on, as OpenTelemetry SDKs do.
  configured_sampler() noexcept = default;
  /// Takes the kind and, for the ratio kinds, the ratio in [0, 1].
  explicit configured_sampler(kind k, double ratio = 1.0) : kind_(k), ratio_(ratio) {}

  [[nodiscard]] bool should_sample(const span_context& parent, const trace_id& trace, std::string_view name,
                                   span_kind span) const noexcept {
    switch (kind_) {
      case kind::always_on:
        return true;
      case kind::always_off:
        return false;
      case kind::trace_id_ratio:
        return ratio_.should_sample(parent, trace, name, span);
      case kind::parent_based_always_on:
        return parent.valid() ? parent.sampled() : true;
      case kind::parent_based_always_off:
        return parent.valid() ? parent.sampled() : false;
      case kind::parent_based_trace_id_ratio:
        return parent.valid() ? parent.sampled() : ratio_.should_sample(parent, trace, name, span);
    }
    return false;
  }

  [[nodiscard]] kind get_kind() const noexcept { return kind_; }
  [[nodiscard]] double ratio() const noexcept { return ratio_.ratio(); }

 private:
  kind kind_ = kind::parent_based_always_on;
  trace_id_ratio ratio_{1.0};
};

static_assert(Sampler<always_on> && Sampler<always_off> && Sampler<trace_id_ratio> && Sampler<parent_based<>> &&
              Sampler<configured_sampler>);
static_assert(std::is_empty_v<always_on> && std::is_empty_v<always_off> && std::is_empty_v<parent_based<always_off>>);

}  // namespace arbiter::inline v1
