// A sampler whose should_sample takes the wrong arguments is rejected by tracer<>; its twin is accepted.
#include <arbiter/tracing/exporter.hpp>
#include <arbiter/tracing/sdk_tracer.hpp>

#include <memory>

struct almost_sampler {
#ifdef ARBITER_EXPECT_FAIL
  [[nodiscard]] bool should_sample(const arbiter::span_context& /*parent*/) const noexcept { return true; }
#else
  [[nodiscard]] bool should_sample(const arbiter::span_context& /*parent*/, const arbiter::trace_id& /*trace*/,
                                   std::string_view /*name*/, arbiter::span_kind /*kind*/) const noexcept {
    return true;
  }
#endif
};

int main() {
  using processor = arbiter::simple_processor<arbiter::in_memory_exporter>;
  const arbiter::tracer<almost_sampler, processor> tracer(std::make_shared<processor>(arbiter::in_memory_exporter{}));
  return tracer.start_span("x").is_recording() ? 0 : 1;
}
