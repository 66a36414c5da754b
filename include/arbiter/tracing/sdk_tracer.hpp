#pragma once

/// \file
/// The production Tracer: `tracer<Sampler, Processor, Clock>` samples each new span once and, when sampled, records
/// it and hands it to the processor at end(). A sampled-out span is a span_context on the stack: no allocation,
/// no clock read, yet it propagates (children and downstream services see the "not sampled" decision).
///
///   auto processor = std::make_shared<arbiter::batch_processor<arbiter::otlp_http_exporter>>(exporter);
///   arbiter::tracer<arbiter::parent_based<arbiter::trace_id_ratio>, decltype(processor)::element_type>
///       tracer(processor, arbiter::parent_based(arbiter::trace_id_ratio(0.1)));
///
/// Copies share the processor. Spans point at the tracer's shared state without owning it: end every span before
/// the last copy of its tracer is destroyed.
///
/// At shutdown, register `tracing_shutdown_hook(tracer)` (or the processor) with the shutdown manager: it shuts the
/// processor down within the hook's budget and reports the spans it lost.

#include <algorithm>
#include <concepts>
#include <cstdint>
#include <exception>
#include <initializer_list>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <typeinfo>
#include <utility>

#include <arbiter/clock/clock.hpp>
#include <arbiter/clock/tsc_clock.hpp>
#include <arbiter/detail/chrono.hpp>
#include <arbiter/detail/demangle.hpp>
#include <arbiter/tracing/active_span.hpp>
#include <arbiter/tracing/exporter.hpp>
#include <arbiter/tracing/sampler.hpp>
#include <arbiter/tracing/span_data.hpp>
#include <arbiter/tracing/tracer.hpp>

namespace arbiter::inline v1 {

namespace detail {

/// What every copy of a tracer shares, and what its spans point at.
template <class Processor, class Clock>
struct tracer_core {
  std::shared_ptr<Processor> processor;
  span_limits limits;
  [[no_unique_address]] Clock clock;
  std::chrono::system_clock::time_point wall_anchor = std::chrono::system_clock::now();
  typename Clock::time_point clock_anchor = clock.now();

  /// Returns wall-clock time measured on `Clock`: monotonic within the process, unix time for exporters.
  [[nodiscard]] std::chrono::system_clock::time_point now() const noexcept {
    return wall_anchor + std::chrono::duration_cast<std::chrono::system_clock::duration>(clock.now() - clock_anchor);
  }
};

/// Sets `key` on `attributes`, replacing an earlier value; counts it in `dropped` when the list is full or the key
/// is empty (OTLP forbids empty keys, and a strict collector rejects the whole batch for one).
inline void set_limited_attribute(attribute_list& attributes, std::uint32_t limit, std::uint32_t& dropped,
                                  std::string_view key, attribute_view value) {
  if (key.empty()) [[unlikely]] {
    ++dropped;
    return;
  }
  for (auto& [k, v] : attributes) {
    if (k == key) {
      assign_value(v, value);
      return;
    }
  }
  if (attributes.size() >= limit) {
    ++dropped;
    return;
  }
  auto& [new_key, new_value] = attributes.emplace_back();  // built in place: one copy of each string, no moves
  new_key.assign(key);
  assign_value(new_value, value);
}

}  // namespace detail

/// A span of `tracer<..., Processor, Clock>`. Move-only; ends (and is exported) when destroyed if not ended before.
template <class Processor, class Clock = tsc_clock>
class sdk_span {
  using core_type = detail::tracer_core<Processor, Clock>;

 public:
  /// Makes a non-recording span carrying `context` (what a sampled-out span is).
  explicit sdk_span(const span_context& context) noexcept : context_(context) {}

  sdk_span(sdk_span&& other) noexcept
      : context_(other.context_), data_(std::move(other.data_)), core_(std::exchange(other.core_, nullptr)) {}
  sdk_span& operator=(sdk_span&& other) noexcept {
    if (this != &other) {
      end();
      context_ = other.context_;
      data_ = std::move(other.data_);
      core_ = std::exchange(other.core_, nullptr);
    }
    return *this;
  }
  sdk_span(const sdk_span&) = delete;
  sdk_span& operator=(const sdk_span&) = delete;
  ~sdk_span() { end(); }

  // Every member that records tests is_recording() inline, ahead of the out-of-line work: at -O2 g++ does not
  // inline the bodies, and a sampled-out span then paid a call per attribute with the value passed on the stack.

  /// Sets an attribute (a later value for the same key replaces the earlier one); beyond the limit it is counted.
  [[gnu::always_inline]] void set_attribute(std::string_view key, attribute_view value) {
    if (data_) record_attribute(key, value);
  }

  [[gnu::always_inline]] void add_event(std::string_view name) {
    if (data_) record_event(name, {});
  }

  /// Adds a timestamped event carrying `attributes`.
  [[gnu::always_inline]] void add_event(std::string_view name, std::initializer_list<attribute> attributes) {
    if (data_) record_event(name, attributes);
  }

  /// Records an "exception" event with `exception.type` (demangled) and `exception.message`.
  [[gnu::always_inline]] void record_exception(const std::exception& error) {
    if (data_) record_exception_event(error);
  }

  /// Sets the status. `ok` is final (later calls are ignored, as OpenTelemetry says); the description is kept for
  /// errors only.
  [[gnu::always_inline]] void set_status(span_status status, std::string_view description = {}) {
    if (data_) record_status(status, description);
  }

  /// Adds a link to another span (beyond the limit it is counted).
  [[gnu::always_inline]] void add_link(const span_context& context, std::initializer_list<attribute> attributes = {}) {
    add_link(context, std::string_view{}, attributes);
  }

  /// Adds a link to another span that carries the W3C tracestate `trace_state` (header form, exported with it).
  [[gnu::always_inline]] void add_link(const span_context& context, std::string_view trace_state,
                                       std::initializer_list<attribute> attributes = {}) {
    if (data_) record_link(context, trace_state, attributes);
  }

  /// Ends the span and hands it to the processor; later calls do nothing.
  void end() noexcept {
    if (data_) finish();  // kept this small so a sampled-out span's end inlines to one test
  }

  [[nodiscard]] span_context context() const noexcept { return context_; }
  /// Returns the context by reference, valid while this span lives (lets trace() activate it without a copy).
  [[nodiscard]] const span_context& context_ref() const noexcept { return context_; }
  [[nodiscard]] bool is_recording() const noexcept { return data_ != nullptr; }
  /// Returns the W3C tracestate this span records (header form), valid while it lives; empty when it has none or
  /// is sampled out (a sampled-out span keeps no string: its trace's tracestate stays with the active scope, see
  /// active_trace_state()).
  [[nodiscard]] std::string_view trace_state() const noexcept {
    return data_ ? std::string_view(data_->trace_state) : std::string_view{};
  }

 private:
  template <class, class, class>
  friend class tracer;

  sdk_span(const span_context& context, std::unique_ptr<span_data> data, const core_type* core) noexcept
      : context_(context), data_(std::move(data)), core_(core) {}

  void record_attribute(std::string_view key, attribute_view value) {
    detail::set_limited_attribute(data_->attributes, core_->limits.max_attributes, data_->dropped_attributes, key,
                                  value);
  }

  void record_status(span_status status, std::string_view description) {
    if (data_->status == span_status::ok || status == span_status::unset) return;
    data_->status = status;
    data_->status_description = status == span_status::error ? std::string(description) : std::string();
  }

  void record_event(std::string_view name, std::initializer_list<attribute> attributes) {
    if (data_->events.size() >= core_->limits.max_events) {
      ++data_->dropped_events;
      return;
    }
    span_event event{std::string(name), core_->now(), {}};
    for (const auto& a : attributes) {
      detail::set_limited_attribute(event.attributes, core_->limits.max_attributes_per_event, event.dropped_attributes,
                                    a.key, a.value);
    }
    data_->events.push_back(std::move(event));
  }

  void record_exception_event(const std::exception& error) {
    const std::string type = detail::type_name(typeid(error));
    record_event("exception", {attr("exception.type", type), attr("exception.message", error.what())});
  }

  void record_link(const span_context& context, std::string_view trace_state,
                   std::initializer_list<attribute> attributes) {
    if (!context.valid()) return;
    if (data_->links.size() >= core_->limits.max_links) {
      ++data_->dropped_links;
      return;
    }
    span_link link{context, {}};
    for (const auto& a : attributes) {
      detail::set_limited_attribute(link.attributes, core_->limits.max_attributes_per_event, link.dropped_attributes,
                                    a.key, a.value);
    }
    if (!trace_state.empty() && valid_tracestate_header(trace_state)) link.trace_state.assign(trace_state);
    data_->links.push_back(std::move(link));
  }

  void finish() noexcept {
    // A span ended on another thread than it started on compares two threads' clock reads: never let it end
    // before it began.
    data_->end_time = std::max(core_->now(), data_->start_time);
    core_->processor->on_end(std::move(data_));
    data_.reset();
  }

  span_context context_;
  std::unique_ptr<span_data> data_;
  const core_type* core_ = nullptr;
};

/// The production Tracer (see the file comment).
template <class S, class Processor, class Clock = tsc_clock>
class tracer {
  static_assert(assert_sampler<S>());
  static_assert(assert_span_processor<Processor>());
  static_assert(assert_clock<Clock>());

 public:
  using span_type = sdk_span<Processor, Clock>;
  using sampler_type = S;
  using processor_type = Processor;

  /// Sends sampled spans to `processor` (shared: register its shutdown() with the orchestrator).
  explicit tracer(std::shared_ptr<Processor> processor, S sampler = {}, span_limits limits = {}, Clock clock = {})
      : sampler_(std::move(sampler)),
        core_(std::make_shared<core_type>(core_type{std::move(processor), limits, std::move(clock)})) {}

  /// Starts a span: a child of `options.parent` if valid, else of the thread's active span (unless `options.root`),
  /// else the root of a new trace. The sampler decides once; a sampled-out span records nothing. A recording span
  /// copies its parent's tracestate (`options.trace_state`, or the active one) when it is not empty.
  /// Always inlined, and the recording out of line: at -O2 g++ judged the whole start too big to inline once it
  /// recorded a tracestate, and a sampled-out span then cost a call returning the span through memory (8.7 ns
  /// against 1.7).
  [[nodiscard, gnu::always_inline]] span_type start_span(std::string_view name, span_options options = {}) const {
    const span_context parent = detail::resolve_parent(options.parent, options.root);
    span_context context;
    if (parent.valid()) {
      context.trace_id = parent.trace_id;
      context.span_id = span_id::from_random(detail::random_u64());
      context.flags = static_cast<std::uint8_t>(parent.flags & trace_flags::random);
    } else {
      const auto r = detail::random_u64s<3>();
      context.trace_id = trace_id::from_random(r[0], r[1]);
      context.span_id = span_id::from_random(r[2]);
      context.flags = trace_flags::random;
    }
    if (!sampler_.should_sample(parent, context.trace_id, name, options.kind)) return span_type(context);
    context.flags |= trace_flags::sampled;
    return start_recording(name, options, parent, context);
  }

  /// Returns the processor, to flush it or register its shutdown.
  [[nodiscard]] const std::shared_ptr<Processor>& processor() const noexcept { return core_->processor; }
  [[nodiscard]] const S& sampler() const noexcept { return sampler_; }

 private:
  using core_type = detail::tracer_core<Processor, Clock>;

  [[gnu::noinline]] span_type start_recording(std::string_view name, const span_options& options,
                                              const span_context& parent, const span_context& context) const {
    std::unique_ptr<span_data> data;
    if constexpr (requires(Processor & p) {
                    { p.acquire_span() } -> std::same_as<span_data*>;
                  }) {
      data.reset(core_->processor->acquire_span());
    }
    if (!data) {
      data = std::make_unique<span_data>();
      data->attributes.reserve(4);
    }
    data->name.assign(name);
    data->context = context;
    data->parent_span_id = parent.span_id;
    data->parent_remote = parent.valid() && parent.remote;
    data->kind = options.kind;
    const std::string_view trace_state =
        detail::resolve_parent_trace_state(options.parent, options.trace_state, parent);
    if (!trace_state.empty()) data->trace_state.assign(trace_state);  // a recycled record comes cleared
    for (const auto& link : options.links) {
      if (!link.valid()) continue;
      if (data->links.size() >= core_->limits.max_links) {
        ++data->dropped_links;
        continue;
      }
      data->links.push_back(span_link{link, {}});
    }
    data->start_time = core_->now();
    return span_type(context, std::move(data), core_.get());
  }

  [[no_unique_address]] S sampler_;
  std::shared_ptr<core_type> core_;
};

/// A shutdown hook that shuts a span processor down within the hook's budget (for shutdown_manager::add_hook, which
/// passes it an arbiter::hook_budget). It throws, so the hook is reported `failed` with the message, when spans were
/// lost at shutdown: not flushed before the budget ran out, or dropped because the exporter failed.
template <class Processor>
class processor_shutdown_hook {
 public:
  explicit processor_shutdown_hook(std::shared_ptr<Processor> processor) : processor_(std::move(processor)) {
    if (!processor_) throw std::invalid_argument("tracing_shutdown_hook: the processor is null");
  }

  /// Shuts the processor down within `budget.time_left`. \throws std::runtime_error naming what was lost
  template <class Budget>
  requires requires(const Budget& budget) { std::chrono::milliseconds(budget.time_left); }
  void operator()(const Budget& budget) const {
    const std::chrono::milliseconds time_left(budget.time_left);
    Processor& p = *processor_;
    if constexpr (requires {
                    p.stats().dropped_export_failed;
                    p.stats().dropped_after_shutdown;
                    { p.shutdown(time_left) } -> std::convertible_to<bool>;
                  }) {
      const auto before = p.stats();
      const bool in_time = p.shutdown(time_left);
      const auto after = p.stats();
      const auto failed = after.dropped_export_failed - before.dropped_export_failed;
      const auto abandoned = after.dropped_after_shutdown - before.dropped_after_shutdown;
      if (in_time && failed == 0 && abandoned == 0) return;
      std::string what = "tracing shutdown: ";
      what += in_time ? "finished within" : "gave up at";
      what += " its budget of " + std::to_string(time_left.count()) + " ms; " + std::to_string(failed + abandoned) +
              " spans not exported (" + std::to_string(failed) + " export failed, " + std::to_string(abandoned) +
              " still queued at the deadline)";
      if constexpr (requires { p.last_error(); }) {
        const std::string error = p.last_error();
        if (!error.empty()) what += "; last error: " + error;
      }
      throw std::runtime_error(what);
    } else if constexpr (requires { p.shutdown(time_left); }) {
      p.shutdown(time_left);
    } else {
      p.shutdown();
    }
  }

 private:
  std::shared_ptr<Processor> processor_;
};

/// Returns a shutdown hook for `processor`: `shutdown.add_hook("tracing", 90, arbiter::tracing_shutdown_hook(p), 2s)`.
template <class Processor>
[[nodiscard]] processor_shutdown_hook<Processor> tracing_shutdown_hook(std::shared_ptr<Processor> processor) {
  return processor_shutdown_hook<Processor>(std::move(processor));
}

/// Returns a shutdown hook for the processor of `tracer`.
template <class S, class Processor, class Clock>
[[nodiscard]] processor_shutdown_hook<Processor> tracing_shutdown_hook(const tracer<S, Processor, Clock>& tracer) {
  return processor_shutdown_hook<Processor>(tracer.processor());
}

}  // namespace arbiter::inline v1
