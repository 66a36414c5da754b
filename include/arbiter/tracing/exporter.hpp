#pragma once

/// \file
/// The SpanExporter policy (where finished spans go) and the SpanProcessor policy (how they get there), with the
/// simple models: in_memory_exporter, simple_processor.
///
/// A SpanExporter has
///   export_result export_spans(std::span<const span_data> batch, std::chrono::milliseconds timeout);
/// and optionally `void shutdown()`. It is called from one thread at a time. It may also take the batch in place,
///   export_result export_spans(span_refs batch, std::chrono::milliseconds timeout);   // span_refs: const span_data*
/// which batch_processor then prefers: the spans are read where the traced threads wrote them, not first swapped
/// into a contiguous batch (that swap moved every record's cache lines to the export thread and back, and cost the
/// traced call about 20 ns a span). Either form may take a third argument, `std::stop_token stop`: batch_processor
/// then requests it when its shutdown deadline passes, and the export should end at once (otlp_http_exporter does).
/// A SpanProcessor has
///   void on_end(std::unique_ptr<span_data>&& span) noexcept;   // called on the thread that ended the span
///   bool force_flush(std::chrono::milliseconds timeout);
///   void shutdown();
/// and optionally `span_data* acquire_span() noexcept`: a cleared record to reuse (or nullptr), so that recording a
/// span need not allocate.

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <arbiter/detail/chrono.hpp>
#include <arbiter/tracing/span_data.hpp>

namespace arbiter::inline v1 {

/// How an export went.
struct export_result {
  enum class code : unsigned char {
    success,
    retryable,  ///< worth another try: HTTP 429, 502, 503, 504, a connection error, a timeout
    failure     ///< retrying will not help: a rejected request, a closed file
  };
  code status = code::success;
  std::chrono::milliseconds retry_after{0};  ///< the receiver's Retry-After, when it sent one
  std::string error;                         ///< what went wrong, for logs and stats

  [[nodiscard]] bool ok() const noexcept { return status == code::success; }
  [[nodiscard]] static export_result success() { return {}; }
  [[nodiscard]] static export_result retry(std::string why, std::chrono::milliseconds after = {}) {
    return {code::retryable, after, std::move(why)};
  }
  [[nodiscard]] static export_result fail(std::string why) { return {code::failure, {}, std::move(why)}; }
};

/// A batch of finished spans read in place (the records stay where the tracer wrote them).
using span_refs = std::span<const span_data* const>;

/// True when exporter `E` can take a batch in place (see the file comment).
template <class E>
concept InPlaceSpanExporter = requires(E& exporter, span_refs batch, std::chrono::milliseconds timeout) {
  { exporter.export_spans(batch, timeout) } -> std::same_as<export_result>;
};

/// Where finished spans go (see the file comment).
template <class E>
concept SpanExporter = requires(E& exporter, std::span<const span_data> batch, std::chrono::milliseconds timeout) {
  { exporter.export_spans(batch, timeout) } -> std::same_as<export_result>;
};

/// How finished spans reach an exporter (see the file comment).
template <class P>
concept SpanProcessor = requires(P& processor, std::unique_ptr<span_data>&& span, std::chrono::milliseconds timeout) {
  processor.on_end(std::move(span));
  { processor.force_flush(timeout) } -> std::convertible_to<bool>;
  processor.shutdown();
};

/// Checks that `E` is a SpanExporter and says what is missing if it is not.
template <class E>
consteval bool assert_span_exporter() {
  static_assert(SpanExporter<E>,
                "====> arbiter: the SpanExporter lacks `arbiter::export_result export_spans(std::span<const "
                "arbiter::span_data>, std::chrono::milliseconds timeout)`.");
  return true;
}

/// Checks that `P` is a SpanProcessor and says what is missing if it is not.
template <class P>
consteval bool assert_span_processor() {
  static_assert(SpanProcessor<P>,
                "====> arbiter: the SpanProcessor lacks `void on_end(std::unique_ptr<arbiter::span_data>&&) noexcept`, "
                "`bool force_flush(std::chrono::milliseconds)` or `void shutdown()`; use arbiter::simple_processor "
                "or arbiter::batch_processor around an exporter.");
  return true;
}

namespace detail {
template <class E>
void shutdown_exporter(E& exporter) {
  if constexpr (requires { exporter.shutdown(); }) exporter.shutdown();
}
}  // namespace detail

/// Keeps exported spans in memory (tests, examples). A handle: copies share the store.
class in_memory_exporter {
 public:
  in_memory_exporter() : state_(std::make_shared<state>()) {}

  export_result export_spans(std::span<const span_data> batch, std::chrono::milliseconds /*timeout*/) {
    const std::lock_guard lock(state_->mutex);
    for (const span_data& span : batch) state_->spans.push_back(span);  // cheaper to compile than a range insert
    ++state_->batches;
    return export_result::success();
  }

  /// Returns a copy of every exported span, in export order.
  [[nodiscard]] std::vector<span_data> spans() const {
    const std::lock_guard lock(state_->mutex);
    return state_->spans;
  }
  [[nodiscard]] std::size_t size() const {
    const std::lock_guard lock(state_->mutex);
    return state_->spans.size();
  }
  /// Returns how many export calls arrived.
  [[nodiscard]] std::size_t batches() const {
    const std::lock_guard lock(state_->mutex);
    return state_->batches;
  }
  void clear() const {
    const std::lock_guard lock(state_->mutex);
    state_->spans.clear();
    state_->batches = 0;
  }

 private:
  struct state {
    std::mutex mutex;
    std::vector<span_data> spans;
    std::size_t batches = 0;
  };
  std::shared_ptr<state> state_;
};

/// Exports each span as it ends, on the thread that ended it: for local runs, tests and the JSON-lines file.
/// Never use it with a network exporter on a request path (use batch_processor).
template <class Exporter>
class simple_processor {
  static_assert(assert_span_exporter<Exporter>());

 public:
  explicit simple_processor(Exporter exporter, std::chrono::milliseconds export_timeout = std::chrono::seconds(30))
      : exporter_(std::move(exporter)), timeout_(export_timeout) {}

  void on_end(std::unique_ptr<span_data>&& span) noexcept {
    const std::lock_guard lock(mutex_);
    if (shut_down_) {
      ++dropped_;
      return;
    }
    try {
      if (exporter_.export_spans(std::span<const span_data>(span.get(), 1), timeout_).ok()) {
        ++exported_;
      } else {
        ++dropped_;
      }
    } catch (...) {
      ++dropped_;
    }
  }

  bool force_flush(std::chrono::milliseconds /*timeout*/) { return true; }

  /// Stops exporting; spans ended afterwards are dropped and counted. Idempotent.
  void shutdown() {
    const std::lock_guard lock(mutex_);
    if (shut_down_) return;
    shut_down_ = true;
    detail::shutdown_exporter(exporter_);
  }

  [[nodiscard]] std::uint64_t exported() const {
    const std::lock_guard lock(mutex_);
    return exported_;
  }
  [[nodiscard]] std::uint64_t dropped() const {
    const std::lock_guard lock(mutex_);
    return dropped_;
  }
  [[nodiscard]] Exporter& exporter() noexcept { return exporter_; }

 private:
  mutable std::mutex mutex_;
  Exporter exporter_;
  std::chrono::milliseconds timeout_;
  std::uint64_t exported_ = 0;
  std::uint64_t dropped_ = 0;
  bool shut_down_ = false;
};

static_assert(SpanExporter<in_memory_exporter>);
static_assert(SpanProcessor<simple_processor<in_memory_exporter>>);

}  // namespace arbiter::inline v1
