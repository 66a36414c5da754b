// A tracer without a span_type is rejected by trace(); its twin with one is accepted.
#include <arbiter/tracing/null_tracer.hpp>
#include <arbiter/tracing/trace.hpp>

struct almost_tracer {
#ifndef ARBITER_EXPECT_FAIL
  using span_type = arbiter::null_span;
#endif
  [[nodiscard]] arbiter::null_span start_span(std::string_view /*name*/, arbiter::span_options /*options*/ = {}) const {
    return {};
  }
};

int main() {
  almost_tracer tracer;
  return arbiter::trace(tracer, "x", [] { return 0; });
}
