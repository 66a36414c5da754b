// A span type without end() is not a Span; the tracer that hands it out is rejected with the member named.
#include <arbiter/tracing/tracer.hpp>

struct half_span {
  void set_attribute(std::string_view /*key*/, arbiter::attribute_view /*value*/) {}
  void add_event(std::string_view /*name*/) {}
  void record_exception(const std::exception& /*error*/) {}
  void set_status(arbiter::span_status /*status*/, std::string_view /*description*/) {}
#ifndef ARBITER_EXPECT_FAIL
  void end() {}
#endif
  [[nodiscard]] arbiter::span_context context() const { return {}; }
  [[nodiscard]] bool is_recording() const { return false; }
};

struct half_tracer {
  using span_type = half_span;
  [[nodiscard]] half_span start_span(std::string_view /*name*/, arbiter::span_options /*options*/ = {}) const {
    return {};
  }
};

static_assert(arbiter::assert_tracer<half_tracer>());

int main() {}
