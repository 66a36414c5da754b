// An exporter without export_spans(batch, timeout) is rejected by batch_processor<>; its twin is accepted.
#include <arbiter/tracing/batch_processor.hpp>

struct almost_exporter {
#ifdef ARBITER_EXPECT_FAIL
  arbiter::export_result export_spans(std::span<const arbiter::span_data> /*batch*/) { return {}; }
#else
  arbiter::export_result export_spans(std::span<const arbiter::span_data> /*batch*/, std::chrono::milliseconds) {
    return {};
  }
#endif
};

int main() {
  arbiter::batch_processor<almost_exporter> processor(almost_exporter{});
  return processor.force_flush() ? 0 : 1;
}
