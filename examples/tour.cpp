// A short tour of arbiter: structured logging and tracing policies, printed as it goes.
// Run it with `scripts/demo`.
#include <arbiter/arbiter.hpp>

#include <cstdio>
#include <stdexcept>
#include <string>

namespace {

/// A part of a service, assembled from policies: it pays for logging and tracing only if they are real.
template <arbiter::Logger L, arbiter::Tracer T>
class inventory {
 public:
  inventory(L logger, T tracer) : logger_(std::move(logger)), tracer_(std::move(tracer)) {}

  int reserve(const std::string& sku, int quantity) {
    return arbiter::trace(
        tracer_, "inventory.reserve",
        [&](auto& span) {
          if (quantity <= 0) throw std::invalid_argument("quantity must be positive, got " + std::to_string(quantity));
          span.add_event("stock checked");
          logger_.log(arbiter::log_level::info, "reserved", arbiter::kv("sku", sku), arbiter::kv("quantity", quantity));
          return 100 - quantity;
        },
        arbiter::attr("sku", sku), arbiter::attr("quantity", quantity));
  }

 private:
  [[no_unique_address]] L logger_;
  [[no_unique_address]] T tracer_;
};

}  // namespace

int main() {
  std::puts("== arbiter tour ==");
  std::puts("\n1. A part built with null policies is as small as its data:");
  std::printf("   sizeof(inventory<null_logger, null_tracer>) = %zu\n",
              sizeof(inventory<arbiter::null_logger, arbiter::null_tracer>));

  std::puts("\n2. The same part with a logfmt logger on stdout and a recording tracer:");
  arbiter::fmt_logger logger({.out = stdout, .level = arbiter::log_level::debug, .name = "tour", .flush = true});
  arbiter::recording_tracer tracer;
  inventory part(logger, tracer);
  const int left = part.reserve("sku-42", 3);
  std::printf("   reserve(sku-42, 3) left %d in stock\n", left);
  try {
    part.reserve("sku-42", -1);
  } catch (const std::invalid_argument& error) {
    logger.log(arbiter::log_level::error, "reserve failed", arbiter::kv("error", error.what()));
  }

  std::puts("\n3. The spans the tracer kept:");
  for (const auto& span : tracer.finished()) {
    std::printf("   span %-18s trace=%s span=%s status=%s events=%zu\n", span.name.c_str(),
                span.context.trace_id.to_string().c_str(), span.context.span_id.to_string().c_str(),
                std::string(arbiter::to_string(span.status)).c_str(), span.events.size());
    if (!span.status_description.empty()) std::printf("        error: %s\n", span.status_description.c_str());
  }

  std::puts("\n4. The same records as JSON lines:");
  arbiter::fmt_logger json({.out = stdout, .format = arbiter::log_format::json, .name = "tour", .flush = true});
  json.log(arbiter::log_level::warn, "tour finished", arbiter::kv("spans", tracer.size()), arbiter::kv("ok", true));
  return tracer.size() == 2 ? 0 : 1;
}
