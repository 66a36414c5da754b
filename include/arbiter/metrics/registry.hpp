#pragma once

/// \file
/// metrics_registry: the real Metrics policy. Counters and histograms live in per-thread cells
/// (detail/metric_cells.hpp) and are summed when scraped; gauges are one atomic each; callback gauges are read at
/// scrape time. A series is resolved once, from its label values, into a handle, so the hot path is a thread
/// slot read and a plain add, never a map lookup or a lock.
///
///   arbiter::metrics_registry metrics;
///   static constexpr auto requests = arbiter::counter_metric("shop_requests_total", "Requests served.", "route");
///   arbiter::metric_counter checkout = metrics.counter(requests, {"/checkout"});
///   checkout.inc();
///   std::string body = metrics.expose(arbiter::negotiate_exposition(accept_header));
///
/// The registry is a handle: copies share the same metrics, so each part holds its own copy by value. Handles
/// (metric_counter, ...) are valid while any copy of their registry lives. Registration takes a lock and may
/// throw metrics_error; writing through a handle never locks, allocates (after a thread's first write into a
/// chunk) or throws.

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <arbiter/detail/functional.hpp>
#include <arbiter/detail/metric_cells.hpp>
#include <arbiter/detail/prometheus_text.hpp>
#include <arbiter/metrics/exposition.hpp>
#include <arbiter/metrics/metric_spec.hpp>

namespace arbiter::inline v1 {

class metrics_registry;

/// A counter series: `inc()` adds to the calling thread's own cell.
class metric_counter {
 public:
  /// Adds `n` (default 1).
  void inc(std::uint64_t n = 1) const noexcept { cells_->add(index_, n); }

  /// The count summed over every thread (what a scrape shows).
  [[nodiscard]] std::uint64_t value() const noexcept { return cells_->sum(index_); }

 private:
  friend class metrics_registry;
  metric_counter(detail::metric_cells* cells, std::size_t index) noexcept : cells_(cells), index_(index) {}
  detail::metric_cells* cells_;
  std::size_t index_;
};

namespace detail {
/// One gauge's value on a cache line of its own (its bits as a double).
struct alignas(64) gauge_cell {
  std::atomic<std::uint64_t> bits{std::bit_cast<std::uint64_t>(0.0)};
};
}  // namespace detail

/// A gauge series: a value that is set, or moved up and down.
class metric_gauge {
 public:
  void set(double value) const noexcept {
    cell_->bits.store(std::bit_cast<std::uint64_t>(value), std::memory_order_relaxed);
  }
  void add(double delta) const noexcept {
    std::uint64_t old = cell_->bits.load(std::memory_order_relaxed);
    while (!cell_->bits.compare_exchange_weak(old, std::bit_cast<std::uint64_t>(std::bit_cast<double>(old) + delta),
                                              std::memory_order_relaxed)) {
    }
  }
  void sub(double delta) const noexcept { add(-delta); }
  [[nodiscard]] double value() const noexcept {
    return std::bit_cast<double>(cell_->bits.load(std::memory_order_relaxed));
  }

 private:
  friend class metrics_registry;
  explicit metric_gauge(detail::gauge_cell* cell) noexcept : cell_(cell) {}
  detail::gauge_cell* cell_;
};

/// A histogram series: `observe(x)` counts x in the first bucket whose bound is >= x and adds it to the sum.
/// NaN is not counted (it would poison the sum for good).
class metric_histogram {
 public:
  void observe(double x) const noexcept {
    if (x != x) return;  // NaN
    // The number of bounds below x, by a binary search without branches (each step a conditional move): 4 steps
    // for 16 buckets, and no mispredicted branch however the values fall.
    const double* base = bounds_.data();
    std::size_t n = bounds_.size();
    while (n > 1) {
      const std::size_t half = n / 2;
      base = base[half - 1] < x ? base + half : base;
      n -= half;
    }
    const std::size_t bucket = static_cast<std::size_t>(base - bounds_.data()) + (*base < x ? 1 : 0);
    const detail::metric_cells::place at = cells_->locate(index_);
    detail::metric_cells::add(at, bucket, 1);
    detail::metric_cells::add_double(at, bounds_.size() + 1, x);
  }

  /// The number of observations summed over every thread.
  [[nodiscard]] std::uint64_t count() const noexcept {
    std::uint64_t total = 0;
    for (std::size_t i = 0; i <= bounds_.size(); ++i) total += cells_->sum(index_ + i);
    return total;
  }

  /// The sum of the observations over every thread.
  [[nodiscard]] double sum() const noexcept { return cells_->sum_double(index_ + bounds_.size() + 1); }

 private:
  friend class metrics_registry;
  metric_histogram(detail::metric_cells* cells, std::size_t index, std::span<const double> bounds) noexcept
      : cells_(cells), index_(index), bounds_(bounds) {}
  detail::metric_cells* cells_;
  std::size_t index_;
  std::span<const double> bounds_;  // the registry's copy
};

/// Keeps a callback gauge registered; unregisters it when destroyed (the series then leaves the scrape).
class metric_callback {
 public:
  metric_callback() noexcept = default;
  metric_callback(metric_callback&& other) noexcept
      : unregister_(std::exchange(other.unregister_, nullptr)),
        state_(std::move(other.state_)),
        id_(std::exchange(other.id_, 0)) {}
  metric_callback& operator=(metric_callback&& other) noexcept {
    if (this != &other) {
      reset();
      unregister_ = std::exchange(other.unregister_, nullptr);
      state_ = std::move(other.state_);
      id_ = std::exchange(other.id_, 0);
    }
    return *this;
  }
  metric_callback(const metric_callback&) = delete;
  metric_callback& operator=(const metric_callback&) = delete;
  ~metric_callback() { reset(); }

  /// Unregisters now.
  void reset() noexcept {
    if (unregister_ != nullptr) std::exchange(unregister_, nullptr)(state_.get(), id_);
    state_.reset();
  }

 private:
  friend class metrics_registry;
  using unregister_fn = void (*)(void* state, std::uint64_t id) noexcept;
  metric_callback(unregister_fn fn, std::shared_ptr<void> state, std::uint64_t id) noexcept
      : unregister_(fn), state_(std::move(state)), id_(id) {}
  unregister_fn unregister_ = nullptr;
  std::shared_ptr<void> state_;
  std::uint64_t id_ = 0;
};

/// The registry (see the file comment). Thread-safe; copies share one registry.
class metrics_registry {
 public:
  using counter_type = metric_counter;
  using gauge_type = metric_gauge;
  using histogram_type = metric_histogram;
  using callback_type = metric_callback;

  metrics_registry() : state_(std::make_shared<state>()) {}

  /// The counter series of `spec` with these label values (one per label name, in order): the same series
  /// each time for the same values. Throws metrics_error when `spec` is invalid or its name is taken by a
  /// different metric (another type, help, labels or buckets).
  template <std::size_t N>
  [[nodiscard]] metric_counter counter(const counter_spec<N>& spec, const std::array<std::string_view, N>& values) {
    const std::lock_guard lock(state_->mutex);
    family& f = state_->family_for(spec);
    series& s = f.series_for(values, [](series& fresh) { fresh.cell = no_cell; });
    if (s.read) throw_in_use(f, "a callback counter");
    if (s.cell == no_cell) s.cell = state_->cells.reserve(1);
    return metric_counter(&state_->cells, s.cell);
  }
  [[nodiscard]] metric_counter counter(const counter_spec<0>& spec) { return counter(spec, {}); }

  /// The gauge series of `spec` with these label values.
  template <std::size_t N>
  [[nodiscard]] metric_gauge gauge(const gauge_spec<N>& spec, const std::array<std::string_view, N>& values) {
    const std::lock_guard lock(state_->mutex);
    family& f = state_->family_for(spec);
    series& s = f.series_for(values, [](series&) {});
    if (s.read) throw_in_use(f, "a callback gauge");
    if (!s.gauge) s.gauge = std::make_unique<detail::gauge_cell>();
    return metric_gauge(s.gauge.get());
  }
  [[nodiscard]] metric_gauge gauge(const gauge_spec<0>& spec) { return gauge(spec, {}); }

  /// The histogram series of `spec` with these label values.
  template <std::size_t N>
  [[nodiscard]] metric_histogram histogram(const histogram_spec<N>& spec,
                                           const std::array<std::string_view, N>& values) {
    const std::lock_guard lock(state_->mutex);
    family& f = state_->family_for(spec);
    series& s = f.series_for(values, [&](series& fresh) { fresh.cell = state_->cells.reserve(f.buckets.size() + 2); });
    return metric_histogram(&state_->cells, s.cell, f.buckets);
  }
  [[nodiscard]] metric_histogram histogram(const histogram_spec<0>& spec) { return histogram(spec, {}); }

  /// A gauge series whose value `read()` returns at each scrape, for as long as the returned registration lives.
  /// `read` runs on the scraping thread with the registry locked: keep it short, and do not register metrics
  /// from it. An exception from it drops that series from the one scrape.
  template <std::size_t N>
  [[nodiscard]] metric_callback gauge_callback(const gauge_spec<N>& spec, const std::array<std::string_view, N>& values,
                                               std::function<double()> read) {
    const std::lock_guard lock(state_->mutex);
    family& f = state_->family_for(spec);
    series& s = f.series_for(values, [](series&) {});
    if (s.gauge) throw_in_use(f, "a set gauge");
    if (s.read) throw_in_use(f, "another callback");
    s.read = std::move(read);
    s.callback_id = ++state_->next_callback_id;
    return metric_callback(&state::unregister, state_, s.callback_id);
  }

  /// A counter series whose value `read()` returns at each scrape (a count kept elsewhere, such as a batch
  /// processor's statistics), for as long as the returned registration lives. `read` must never go down; the
  /// rest is as for gauge_callback.
  template <std::size_t N>
  [[nodiscard]] metric_callback counter_callback(const counter_spec<N>& spec,
                                                 const std::array<std::string_view, N>& values,
                                                 std::function<double()> read) {
    const std::lock_guard lock(state_->mutex);
    family& f = state_->family_for(spec);
    series& s = f.series_for(values, [](series& fresh) { fresh.cell = no_cell; });
    if (s.cell != no_cell) throw_in_use(f, "a counter written through a handle");
    if (s.read) throw_in_use(f, "another callback");
    s.read = std::move(read);
    s.callback_id = ++state_->next_callback_id;
    return metric_callback(&state::unregister, state_, s.callback_id);
  }

  /// Appends the whole registry in `format` to `out`: families in registration order, series in the order they
  /// were made. Counters and histograms are summed over threads as the scrape reads them.
  void expose_to(std::string& out, exposition_format format) const {
    const std::lock_guard lock(state_->mutex);
    const bool om = format == exposition_format::openmetrics;
    for (const auto& f : state_->families) f->write(out, state_->cells, om);
    if (om) out += "# EOF\n";
  }

  /// The whole registry as text in `format`.
  [[nodiscard]] std::string expose(exposition_format format = exposition_format::prometheus_text) const {
    std::string out;
    out.reserve(state_->expose_size_hint.load(std::memory_order_relaxed));
    expose_to(out, format);
    state_->expose_size_hint.store(out.size() + out.size() / 8, std::memory_order_relaxed);
    return out;
  }

 private:
  static constexpr std::size_t no_cell = ~std::size_t{0};

  struct series {
    std::string key;          // the label values, length-prefixed (exact, whatever bytes they hold)
    std::string labels_text;  // `a="x",b="y"`: names and escaped values, rendered once
    std::size_t cell = 0;
    std::unique_ptr<detail::gauge_cell> gauge;
    std::function<double()> read;
    std::uint64_t callback_id = 0;
  };

  struct family {
    std::string name;  // as given (a counter's ends with _total)
    std::string help;
    std::string unit;
    metric_type type = metric_type::counter;
    std::vector<std::string> labels;
    std::vector<double> buckets;
    std::vector<std::string> le_text;  // `le="0.005"`, one per bound and +Inf
    std::string head_text;             // the 0.0.4 HELP and TYPE lines
    std::string head_openmetrics;      // the OpenMetrics HELP, TYPE and UNIT lines
    std::deque<series> all;
    std::map<std::string, std::size_t, std::less<>> by_key;

    template <std::size_t N, class Init>
    series& series_for(const std::array<std::string_view, N>& values, Init&& init) {
      std::string key;
      for (const std::string_view v : values) {
        key += std::to_string(v.size());
        key += ':';
        key += v;
      }
      if (const auto it = by_key.find(key); it != by_key.end()) return all[it->second];
      series fresh;
      fresh.key = key;
      for (std::size_t i = 0; i < N; ++i) {
        if (i > 0) fresh.labels_text += ',';
        fresh.labels_text += labels[i];
        fresh.labels_text += "=\"";
        detail::append_prometheus_label_value(fresh.labels_text, values[i]);
        fresh.labels_text += '"';
      }
      init(fresh);
      all.push_back(std::move(fresh));
      by_key.emplace(std::move(key), all.size() - 1);
      return all.back();
    }

    /// The family's name in OpenMetrics: a counter's without `_total`.
    [[nodiscard]] std::string_view openmetrics_name() const noexcept {
      std::string_view n = name;
      if (type == metric_type::counter) n.remove_suffix(6);
      return n;
    }

    void write_sample(std::string& out, std::string_view suffix, const std::string& labels_text,
                      std::string_view extra_label) const {
      out += name;
      out += suffix;
      if (!labels_text.empty() || !extra_label.empty()) {
        out += '{';
        out += labels_text;
        if (!labels_text.empty() && !extra_label.empty()) out += ',';
        out += extra_label;
        out += '}';
      }
      out += ' ';
    }

    void write(std::string& out, const detail::metric_cells& cells, bool om) const {
      out += om ? head_openmetrics : head_text;
      for (const series& s : all) {
        switch (type) {
          case metric_type::counter:
            if (s.cell != no_cell) {
              write_sample(out, {}, s.labels_text, {});
              detail::append_prometheus_number(out, cells.sum(s.cell));
            } else if (s.read) {
              double value;
              try {
                value = s.read();
              } catch (...) {
                continue;
              }
              write_sample(out, {}, s.labels_text, {});
              detail::append_prometheus_number(out, value);
            } else {
              continue;
            }
            out += '\n';
            break;
          case metric_type::gauge: {
            double value;
            if (s.gauge) {
              value = std::bit_cast<double>(s.gauge->bits.load(std::memory_order_relaxed));
            } else if (s.read) {
              try {
                value = s.read();
              } catch (...) {
                continue;
              }
            } else {
              continue;
            }
            write_sample(out, {}, s.labels_text, {});
            detail::append_prometheus_number(out, value);
            out += '\n';
            break;
          }
          case metric_type::histogram: {
            std::uint64_t cumulative = 0;
            for (std::size_t i = 0; i <= buckets.size(); ++i) {
              cumulative += cells.sum(s.cell + i);
              write_sample(out, "_bucket", s.labels_text, le_text[i]);
              detail::append_prometheus_number(out, cumulative);
              out += '\n';
            }
            write_sample(out, "_sum", s.labels_text, {});
            detail::append_prometheus_number(out, cells.sum_double(s.cell + buckets.size() + 1));
            out += '\n';
            write_sample(out, "_count", s.labels_text, {});
            detail::append_prometheus_number(out, cumulative);
            out += '\n';
            break;
          }
        }
      }
    }
  };

  struct state {
    mutable std::mutex mutex;
    detail::metric_cells cells;
    std::vector<std::unique_ptr<family>> families;
    std::map<std::string, family*, std::less<>> by_name;      // family names
    std::map<std::string, std::string, std::less<>> samples;  // every sample name -> the family that writes it
    std::uint64_t next_callback_id = 0;
    mutable std::atomic<std::size_t> expose_size_hint{256};

    template <metric_type Type, std::size_t N>
    family& family_for(const metric_spec<Type, N>& spec) {
      detail::check_metric_spec(spec);
      if (const auto it = by_name.find(spec.name); it != by_name.end()) {
        family& f = *it->second;
        const bool same = f.type == Type && f.help == spec.help && f.unit == spec.unit && f.labels.size() == N &&
                          std::equal(f.labels.begin(), f.labels.end(), spec.labels.begin()) &&
                          std::equal(f.buckets.begin(), f.buckets.end(), spec.buckets.begin(), spec.buckets.end());
        if (!same) {
          throw metrics_error("metric '" + f.name + "' is already registered as a " + std::string(to_string(f.type)) +
                              " with labels (" + join(f.labels) + ") and other help, unit or buckets; got a " +
                              std::string(to_string(Type)) + " with labels (" +
                              join(std::vector<std::string>(spec.labels.begin(), spec.labels.end())) + ")");
        }
        return f;
      }
      auto f = std::make_unique<family>();
      f->name = spec.name;
      f->help = spec.help;
      f->unit = spec.unit;
      f->type = Type;
      f->labels.assign(spec.labels.begin(), spec.labels.end());
      f->buckets.assign(spec.buckets.begin(), spec.buckets.end());
      // Every name a scrape of this family writes, so that two families can never write the same sample.
      std::vector<std::string> names{f->name};
      if (Type == metric_type::counter) names.emplace_back(f->openmetrics_name());
      if (Type == metric_type::histogram) {
        for (const char* suffix : {"_bucket", "_sum", "_count"}) names.push_back(f->name + suffix);
      }
      for (const std::string& n : names) {
        if (const auto it = samples.find(n); it != samples.end()) {
          throw metrics_error("metric '" + f->name + "' would write samples named '" + n + "', which metric '" +
                              it->second + "' already writes");
        }
      }
      for (std::size_t i = 0; i < f->buckets.size(); ++i) {
        std::string le = "le=\"";
        detail::append_prometheus_number(le, f->buckets[i]);
        le += '"';
        f->le_text.push_back(std::move(le));
      }
      if (Type == metric_type::histogram) f->le_text.emplace_back("le=\"+Inf\"");
      f->head_text = "# HELP " + f->name + ' ';
      detail::append_prometheus_help(f->head_text, f->help, false);
      f->head_text += "\n# TYPE " + f->name + ' ' + std::string(to_string(Type)) + '\n';
      const std::string om_name(f->openmetrics_name());
      f->head_openmetrics = "# HELP " + om_name + ' ';
      detail::append_prometheus_help(f->head_openmetrics, f->help, true);
      f->head_openmetrics += "\n# TYPE " + om_name + ' ' + std::string(to_string(Type)) + '\n';
      if (!f->unit.empty()) f->head_openmetrics += "# UNIT " + om_name + ' ' + f->unit + '\n';

      for (const std::string& n : names) samples.emplace(n, f->name);
      family& result = *f;
      by_name.emplace(f->name, &result);
      families.push_back(std::move(f));
      return result;
    }

    static std::string join(const std::vector<std::string>& items) {
      std::string out;
      for (const std::string& item : items) {
        if (!out.empty()) out += ", ";
        out += item;
      }
      return out;
    }

    static void unregister(void* self, std::uint64_t id) noexcept {
      auto* s = static_cast<state*>(self);
      const std::lock_guard lock(s->mutex);
      for (const auto& f : s->families) {
        for (series& one : f->all) {
          if (one.callback_id == id) {
            one.read = nullptr;
            one.callback_id = 0;
            return;
          }
        }
      }
    }
  };

  [[noreturn]] static void throw_in_use(const family& f, std::string_view by) {
    throw metrics_error("metric '" + f.name + "': that series is already " + std::string(by));
  }

  std::shared_ptr<state> state_;
};

}  // namespace arbiter::inline v1
