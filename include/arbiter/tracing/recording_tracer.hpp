#pragma once

/// \file
/// A Tracer for tests: keeps finished spans in memory, thread-safe.

#include <cstddef>
#include <exception>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <typeinfo>
#include <utility>
#include <vector>

#include <arbiter/detail/chrono.hpp>
#include <arbiter/detail/demangle.hpp>
#include <arbiter/tracing/active_span.hpp>
#include <arbiter/tracing/span_data.hpp>
#include <arbiter/tracing/tracer.hpp>

namespace arbiter::inline v1 {

class recording_tracer;

/// A span of a recording_tracer; handed to the tracer when it ends (or is destroyed without ending).
class recording_span {
 public:
  recording_span(recording_span&& other) noexcept = default;
  recording_span& operator=(recording_span&& other) noexcept {
    if (this != &other) {
      end();
      sink_ = std::move(other.sink_);
      data_ = std::move(other.data_);
    }
    return *this;
  }
  recording_span(const recording_span&) = delete;
  recording_span& operator=(const recording_span&) = delete;
  ~recording_span() { end(); }

  void set_attribute(std::string_view key, attribute_view value) {
    if (data_) data_->attributes.emplace_back(std::string(key), to_value(value));
  }

  void add_event(std::string_view name) {
    if (data_) data_->events.push_back(span_event{std::string(name), std::chrono::system_clock::now(), {}});
  }

  /// Adds an event carrying attributes.
  void add_event(std::string_view name, std::initializer_list<attribute> attributes) {
    if (!data_) return;
    span_event event{std::string(name), std::chrono::system_clock::now(), {}};
    for (const auto& a : attributes) event.attributes.emplace_back(std::string(a.key), to_value(a.value));
    data_->events.push_back(std::move(event));
  }

  /// Records an "exception" event with `exception.type` and `exception.message` (OpenTelemetry's names).
  void record_exception(const std::exception& error) {
    if (!data_) return;
    span_event event{"exception", std::chrono::system_clock::now(), {}};
    event.attributes.emplace_back("exception.type", detail::type_name(typeid(error)));
    event.attributes.emplace_back("exception.message", std::string(error.what()));
    data_->events.push_back(std::move(event));
  }

  void set_status(span_status status, std::string_view description = {}) {
    if (!data_) return;
    data_->status = status;
    data_->status_description = status == span_status::error ? std::string(description) : std::string();
  }

  /// Ends the span and hands it to the tracer; later calls do nothing.
  void end();

  [[nodiscard]] span_context context() const noexcept { return data_ ? data_->context : span_context{}; }
  [[nodiscard]] bool is_recording() const noexcept { return data_ != nullptr; }
  /// Returns the W3C tracestate this span carries (header form), valid while it lives.
  [[nodiscard]] std::string_view trace_state() const noexcept {
    return data_ ? std::string_view(data_->trace_state) : std::string_view{};
  }

 private:
  friend class recording_tracer;
  struct sink;
  recording_span(std::shared_ptr<sink> s, std::unique_ptr<span_data> d) : sink_(std::move(s)), data_(std::move(d)) {}

  std::shared_ptr<sink> sink_;
  std::unique_ptr<span_data> data_;
};

struct recording_span::sink {
  std::mutex mutex;
  std::vector<span_data> finished;
};

/// Keeps every finished span. Copies share the store.
class recording_tracer {
 public:
  using span_type = recording_span;

  recording_tracer() : sink_(std::make_shared<recording_span::sink>()) {}

  /// Starts a span: a child of `options.parent` when it is valid, else of the thread's active span (unless
  /// `options.root`), otherwise the root of a new sampled trace. Records every link, without limits, and the
  /// parent's tracestate (`options.trace_state`, or the active one), as the production tracer does.
  [[nodiscard]] span_type start_span(std::string_view name, span_options options = {}) const {
    auto data = std::make_unique<span_data>();
    data->name = std::string(name);
    data->kind = options.kind;
    const span_context parent = detail::resolve_parent(options.parent, options.root);
    if (parent.valid()) {
      data->context.trace_id = parent.trace_id;
      data->context.flags = parent.flags;
      data->parent_span_id = parent.span_id;
      data->parent_remote = parent.remote;
    } else {
      data->context.trace_id = trace_id::generate();
      data->context.flags = trace_flags::sampled | trace_flags::random;
    }
    data->context.span_id = span_id::generate();
    data->trace_state = std::string(detail::resolve_parent_trace_state(options.parent, options.trace_state, parent));
    for (const auto& link : options.links) data->links.push_back(span_link{link, {}});
    data->start_time = std::chrono::system_clock::now();
    return span_type(sink_, std::move(data));
  }

  /// Returns a copy of every finished span, in the order they ended.
  [[nodiscard]] std::vector<span_data> finished() const {
    const std::lock_guard lock(sink_->mutex);
    return sink_->finished;
  }

  /// Returns the most recently finished span with this name, if any.
  [[nodiscard]] std::optional<span_data> last(std::string_view name) const {
    const std::lock_guard lock(sink_->mutex);
    for (auto it = sink_->finished.rbegin(); it != sink_->finished.rend(); ++it) {
      if (it->name == name) return *it;
    }
    return std::nullopt;
  }

  [[nodiscard]] std::size_t size() const {
    const std::lock_guard lock(sink_->mutex);
    return sink_->finished.size();
  }

  void clear() const {
    const std::lock_guard lock(sink_->mutex);
    sink_->finished.clear();
  }

 private:
  std::shared_ptr<recording_span::sink> sink_;
};

inline void recording_span::end() {
  if (!data_) return;
  data_->end_time = std::chrono::system_clock::now();
  const std::lock_guard lock(sink_->mutex);
  sink_->finished.push_back(std::move(*data_));
  data_.reset();
}

static_assert(Tracer<recording_tracer>);

}  // namespace arbiter::inline v1
