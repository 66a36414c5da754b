#pragma once

/// \file
/// batch_processor<Exporter>: the SpanProcessor between a tracer and a slow exporter. The thread that ends a span
/// only puts a pointer into a bounded lock-free queue; a background std::jthread exports batches. When the queue is
/// full the span is dropped and counted: the traced call never waits on the network.
///
/// The queue is split into shards (each a bounded multi-producer ring, one a CPU); each thread has its own shard
/// (balanced across the live threads) and falls back to the others when it is full, so threads ending spans at
/// the same time rarely touch the same cache line. Recycled span records live in per-shard rings the same way.
/// The worker exports every `schedule_delay`, and in between whenever a full batch is queued, in batches of at
/// most `max_export_batch_size` taken from the shards in turn; a failed export that is worth retrying (429, 503,
/// connection errors) is retried with exponential backoff and jitter within `export_timeout`. `force_flush()` and
/// `shutdown()` are for the orchestrator's shutdown hooks: shutdown stops intake, flushes what is queued, and joins the
/// worker. Both take a deadline and keep it end to end: every export they cause gets no more time than is left, and
/// at shutdown's deadline an export still in flight is stopped (exporters with the std::stop_token form).
///
/// Ending a span takes no lock: the producer wakes the worker through one atomic word (detail::wake_word), with a
/// futex wake on Linux only when the worker sleeps.
///
/// Metrics (`batch_processor<Exporter, arbiter::metrics_registry>`, see docs/tracing.md, "Metrics"): the counts of
/// batch_stats and the queue depth are callback series read at scrape time from the counters the processor keeps
/// anyway, so ending a span costs the same with metrics as without; the export thread observes each export call's
/// duration. With the default `null_metrics` the processor has the size and code it has without metrics.

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cerrno>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <new>
#include <span>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#if defined(__linux__)
#include <linux/futex.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#endif

#include <arbiter/detail/chrono.hpp>
#include <arbiter/detail/functional.hpp>
#include <arbiter/metrics/catalog.hpp>
#include <arbiter/metrics/metrics.hpp>
#include <arbiter/metrics/null_metrics.hpp>
#include <arbiter/tracing/exporter.hpp>
#include <arbiter/tracing/ids.hpp>
#include <arbiter/tracing/span_data.hpp>

namespace arbiter::inline v1 {

/// How a batch_processor queues and exports. The defaults are OpenTelemetry's (OTEL_BSP_*).
struct batch_options {
  std::size_t max_queue_size = 2048;
  std::chrono::milliseconds schedule_delay{5000};
  std::chrono::milliseconds export_timeout{30000};
  std::size_t max_export_batch_size = 512;
  unsigned max_attempts = 5;                        ///< tries per batch, the first included
  std::chrono::milliseconds initial_backoff{1000};  ///< before the first retry; doubles each time
  std::chrono::milliseconds max_backoff{5000};
  /// How much nicer than the service the export thread is (Linux; 0 to 19, added to the niceness the thread
  /// inherits, capped at 19). 0 competes for the CPU like the service's own threads, as OpenTelemetry's processor
  /// does. Higher values let request threads win when every core is busy: the exporter then runs mostly on idle
  /// CPU, and spans it cannot keep up with are dropped (and counted) instead of slowing the service. With idle CPU
  /// to spare the export rate is the same either way. A failure to set it shows in last_error().
  int worker_nice = 0;

  /// Throws std::invalid_argument naming the field and value that make no sense.
  void validate() const {
    const auto fail = [](const std::string& what) { throw std::invalid_argument("batch_options: " + what); };
    if (max_queue_size == 0) fail("max_queue_size is 0; it must be at least 1");
    if (max_export_batch_size == 0) fail("max_export_batch_size is 0; it must be at least 1");
    if (max_export_batch_size > max_queue_size) {
      fail("max_export_batch_size " + std::to_string(max_export_batch_size) + " is above max_queue_size " +
           std::to_string(max_queue_size));
    }
    if (schedule_delay.count() <= 0)
      fail("schedule_delay " + std::to_string(schedule_delay.count()) + " ms is not positive");
    if (export_timeout.count() <= 0)
      fail("export_timeout " + std::to_string(export_timeout.count()) + " ms is not positive");
    if (max_attempts == 0) fail("max_attempts is 0; it must be at least 1");
    if (worker_nice < 0 || worker_nice > 19) {
      fail("worker_nice " + std::to_string(worker_nice) +
           " is outside 0 to 19 (the export thread may yield the CPU, never take priority over the service)");
    }
    if (initial_backoff.count() < 0 || max_backoff < initial_backoff) {
      fail("backoff " + std::to_string(initial_backoff.count()) + " ms to " + std::to_string(max_backoff.count()) +
           " ms is not a non-negative, increasing range");
    }
  }
};

/// What a batch_processor has done so far. Every span that was ended but not exported is in one `dropped_` count.
struct batch_stats {
  std::uint64_t exported = 0;                ///< spans the exporter accepted
  std::uint64_t dropped_queue_full = 0;      ///< the queue was full when the span ended
  std::uint64_t dropped_export_failed = 0;   ///< the exporter failed for good, or retries ran out
  std::uint64_t dropped_after_shutdown = 0;  ///< ended after shutdown(), or still queued when it gave up
  std::uint64_t export_calls = 0;            ///< attempts, retries included
  std::uint64_t retries = 0;
  std::uint64_t ended = 0;  ///< spans handed to on_end: exported + dropped() + what is queued or being exported

  [[nodiscard]] std::uint64_t dropped() const noexcept {
    return dropped_queue_full + dropped_export_failed + dropped_after_shutdown;
  }
};

namespace detail {

/// A bounded multi-producer multi-consumer ring of pointers (D. Vyukov's sequence-numbered cells).
class span_ring {
 public:
  explicit span_ring(std::size_t capacity) : mask_(capacity - 1), cells_(new cell[capacity]) {
    for (std::size_t i = 0; i < capacity; ++i) cells_[i].sequence.store(i, std::memory_order_relaxed);
  }
  span_ring(const span_ring&) = delete;
  span_ring& operator=(const span_ring&) = delete;

  /// Adds `item`; returns the position it took, or nullopt-like max when full.
  std::size_t push(span_data* item) noexcept {
    std::size_t pos = tail_.load(std::memory_order_relaxed);
    while (true) {
      cell& c = cells_[pos & mask_];
      const std::size_t seq = c.sequence.load(std::memory_order_acquire);
      const auto diff = static_cast<std::ptrdiff_t>(seq) - static_cast<std::ptrdiff_t>(pos);
      if (diff == 0) {
        if (tail_.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) {
          c.item.store(item, std::memory_order_relaxed);
          c.sequence.store(pos + 1, std::memory_order_release);
          return pos;
        }
      } else if (diff < 0) {
        return full;
      } else {
        pos = tail_.load(std::memory_order_relaxed);
      }
    }
  }

  /// Takes the oldest item, or nullptr when empty.
  span_data* pop() noexcept {
    std::size_t pos = head_.load(std::memory_order_relaxed);
    while (true) {
      cell& c = cells_[pos & mask_];
      const std::size_t seq = c.sequence.load(std::memory_order_acquire);
      const auto diff = static_cast<std::ptrdiff_t>(seq) - static_cast<std::ptrdiff_t>(pos + 1);
      if (diff == 0) {
        if (head_.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) {
          span_data* item = c.item.load(std::memory_order_relaxed);
          c.sequence.store(pos + mask_ + 1, std::memory_order_release);
          return item;
        }
      } else if (diff < 0) {
        return nullptr;
      } else {
        pos = head_.load(std::memory_order_relaxed);
      }
    }
  }

  /// Returns the item the next pop() would take, or nullptr when empty: a hint only (another thread may take it
  /// first), for prefetching.
  [[nodiscard]] const span_data* peek() const noexcept {
    const std::size_t pos = head_.load(std::memory_order_relaxed);
    const cell& c = cells_[pos & mask_];
    return c.sequence.load(std::memory_order_acquire) == pos + 1 ? c.item.load(std::memory_order_relaxed) : nullptr;
  }

  /// Returns how many items were ever pushed (a count that only goes up; read without a lock).
  [[nodiscard]] std::size_t pushed() const noexcept { return tail_.load(std::memory_order_relaxed); }

  /// Returns how many items the ring holds, read without a lock (a moment's estimate while producers push).
  [[nodiscard]] std::size_t size_approx() const noexcept {
    const std::size_t head = head_.load(std::memory_order_relaxed);
    const std::size_t tail = tail_.load(std::memory_order_relaxed);
    return tail > head ? tail - head : 0;
  }

  static constexpr std::size_t full = ~std::size_t{0};

 private:
  struct cell {
    std::atomic<std::size_t> sequence{0};
    std::atomic<span_data*> item{nullptr};  ///< atomic (relaxed) only so that peek() may read it while a push writes
  };
  alignas(64) std::atomic<std::size_t> tail_{0};
  alignas(64) std::atomic<std::size_t> head_{0};
  alignas(64) const std::size_t mask_;
  std::unique_ptr<cell[]> cells_;
};

/// How the threads that end spans wake the export thread without a lock. One word: `signal()` is one atomic exchange,
/// plus a futex wake (Linux) only when the worker is asleep on the word; `wait_until()` sleeps until a signal or a
/// time point (the schedule_delay timer). Elsewhere a sleeping worker is woken through a mutex and condition
/// variable, taken only by a producer that finds it asleep.
class wake_word {
 public:
  /// Wakes the waiter, or makes its next wait return at once. Never blocks.
  void signal() noexcept {
    if (word_.exchange(signalled, std::memory_order_acq_rel) == sleeping) wake_sleeper();
  }

  /// Waits until signalled or `deadline`; returns whether a signal came, and consumes it.
  bool wait_until(std::chrono::steady_clock::time_point deadline) noexcept {
    std::uint32_t expected = idle;
    if (word_.compare_exchange_strong(expected, sleeping, std::memory_order_acq_rel)) sleep_until(deadline);
    return word_.exchange(idle, std::memory_order_acq_rel) == signalled;
  }

 private:
  static constexpr std::uint32_t idle = 0;
  static constexpr std::uint32_t signalled = 1;
  static constexpr std::uint32_t sleeping = 2;

#if defined(__linux__)
  static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t) &&
                std::atomic<std::uint32_t>::is_always_lock_free);

  std::uint32_t* address() noexcept { return reinterpret_cast<std::uint32_t*>(&word_); }

  void wake_sleeper() noexcept { ::syscall(SYS_futex, address(), FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0); }

  void sleep_until(std::chrono::steady_clock::time_point deadline) noexcept {
    while (word_.load(std::memory_order_acquire) == sleeping) {
      const auto left = deadline - std::chrono::steady_clock::now();
      if (left <= std::chrono::steady_clock::duration::zero()) return;
      const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(left);
      timespec relative{};
      relative.tv_sec = static_cast<time_t>(seconds.count());
      relative.tv_nsec =
          static_cast<long>(std::chrono::duration_cast<std::chrono::nanoseconds>(left - seconds).count());
      // Returns at once when the word is no longer `sleeping` (a signal came first), on a wake, or at the timeout.
      ::syscall(SYS_futex, address(), FUTEX_WAIT_PRIVATE, sleeping, &relative, nullptr, 0);
    }
  }
#else
  void wake_sleeper() noexcept {
    { const std::lock_guard lock(mutex_); }  // the sleeper is then inside wait_until, or has seen the signal
    cv_.notify_one();
  }

  void sleep_until(std::chrono::steady_clock::time_point deadline) noexcept {
    std::unique_lock lock(mutex_);
    cv_.wait_until(lock, deadline, [&] { return word_.load(std::memory_order_acquire) != sleeping; });
  }

  std::mutex mutex_;
  std::condition_variable cv_;
#endif

  std::atomic<std::uint32_t> word_{idle};
};

/// Calls the three-argument export (with the processor's stop token) when `E` has it, else the two-argument one.
template <class E, class Batch>
export_result export_with_stop(E& exporter, Batch batch, std::chrono::milliseconds timeout, std::stop_token stop) {
  if constexpr (requires {
                  { exporter.export_spans(batch, timeout, stop) } -> std::same_as<export_result>;
                }) {
    return exporter.export_spans(batch, timeout, std::move(stop));
  } else {
    return exporter.export_spans(batch, timeout);
  }
}

/// Lets a test reach a processor's lock (to prove on_end never takes it). Defined only by tests.
template <class Processor>
struct batch_processor_test_access;

/// Empties a recycled record for the next span, keeping the capacity of its strings and vectors.
inline void clear_for_reuse(span_data& span) noexcept {
  span.name.clear();
  span.context = {};
  span.parent_span_id = {};
  span.kind = span_kind::internal;
  span.attributes.clear();
  span.events.clear();
  span.links.clear();
  span.status = span_status::unset;
  span.status_description.clear();
  span.dropped_attributes = 0;
  span.dropped_events = 0;
  span.dropped_links = 0;
  span.trace_state.clear();
  span.parent_remote = false;
}

/// Asks for the cache line at `p` in a state to be written: a hint, which never faults (not even on memory freed
/// meanwhile) and reads nothing. On x86-64 it is PREFETCHW, written as assembly: `__builtin_prefetch(p, 1)`
/// becomes PREFETCHT0 (a line to read, which a write must then take over from the other core) unless the whole
/// translation unit is built for a CPU with PRFCHW, and a function marked `target("prfchw")` lost its prefetch
/// when g++ inlined it. CPUs without the instruction run it as a NOP.
inline void prefetch_line_for_write(const void* p) noexcept {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  asm volatile("prefetchw %0" : : "m"(*static_cast<const char*>(p)));
#elif defined(__GNUC__) || defined(__clang__)
  __builtin_prefetch(p, 1, 3);
#else
  (void)p;
#endif
}

/// Prefetches the lines of a recycled record for writing (only the record's own: its strings and vectors are not
/// followed, since another thread may take the record meanwhile). With the export thread idle, taking a record
/// that it had read stalled the traced thread on every line: at -O2, with 1 traced thread, BM_span/batch_discard
/// went from 162 to 176 ns to 131 to 135 ns with this, BM_span/batch_otlp from 154 to 163 to 124 to 130 (see
/// docs/tracing.md).
inline void prefetch_for_write(const span_data* record) noexcept {
  const auto* bytes = reinterpret_cast<const char*>(record);
  for (std::size_t offset = 0; offset < sizeof(span_data); offset += 64) prefetch_line_for_write(bytes + offset);
}

/// A counter alone on its cache line.
struct alignas(64) padded_counter {
  std::atomic<std::uint64_t> value{0};
};

/// How many shards a batch_processor has on this machine: one a CPU, at most 8 (a power of two; drain() relies
/// on the 8).
[[nodiscard]] inline std::size_t shard_count() noexcept {
  static const std::size_t count =
      std::min<std::size_t>(8, std::bit_ceil(std::max(1U, std::thread::hardware_concurrency())));
  return count;
}

/// How many live threads hold each shard.
inline std::array<std::atomic<unsigned>, 8> threads_on_shard{};

/// A thread's claim on a shard, given back when the thread ends.
struct shard_lease {
  unsigned shard = ~0U;
  shard_lease() = default;
  shard_lease(const shard_lease&) = delete;
  shard_lease& operator=(const shard_lease&) = delete;
  ~shard_lease() {
    if (shard != ~0U) threads_on_shard[shard].fetch_sub(1, std::memory_order_relaxed);
  }
};
inline thread_local shard_lease thread_lease;

/// Returns the calling thread's shard. On first use a thread takes the shard the fewest live threads hold, so
/// threads that run at the same time spread evenly however many come and go: a plain round-robin number gave
/// two busy threads of a pool the same shard, and two threads sharing one ring made each span ten times dearer.
/// (Taking the CPU the thread runs on, which needs no lease, was measured too: in some runs the export rate
/// collapsed, 80 % of spans dropped instead of 2 %, so the lease it is.)
[[nodiscard]] inline unsigned thread_shard_hint() noexcept {
  if (thread_lease.shard == ~0U) {
    unsigned best = 0;
    for (unsigned i = 1; i < shard_count(); ++i) {
      if (threads_on_shard[i].load(std::memory_order_relaxed) <
          threads_on_shard[best].load(std::memory_order_relaxed)) {
        best = i;
      }
    }
    threads_on_shard[best].fetch_add(1, std::memory_order_relaxed);
    thread_lease.shard = best;
  }
  return thread_lease.shard;
}

/// The series a batch_processor reports through a real Metrics model, resolved once when it is built. The counts
/// are callbacks over the processor's own counters (read at scrape time: nothing added to on_end); the export
/// duration is observed by the export thread. Holds a copy of the model, so the registry outlives the handles.
template <class M>
struct batch_instruments {
  M metrics;
  typename M::histogram_type export_duration;

  /// The callback series, registered by attach() once the processor they read is complete.
  struct readers {
    typename M::callback_type ended;
    typename M::callback_type exported;
    typename M::callback_type dropped_queue_full;
    typename M::callback_type dropped_export_failed;
    typename M::callback_type dropped_after_shutdown;
    typename M::callback_type queue_depth;

    template <class Processor>
    readers(M& m, const Processor& p)
        : ended(count(m, metric_names::tracing_spans_ended, {}, p, &batch_stats::ended)),
          exported(count(m, metric_names::tracing_spans_exported, {}, p, &batch_stats::exported)),
          dropped_queue_full(
              count(m, metric_names::tracing_spans_dropped, {"queue_full"}, p, &batch_stats::dropped_queue_full)),
          dropped_export_failed(
              count(m, metric_names::tracing_spans_dropped, {"export_failed"}, p, &batch_stats::dropped_export_failed)),
          dropped_after_shutdown(count(m, metric_names::tracing_spans_dropped, {"after_shutdown"}, p,
                                       &batch_stats::dropped_after_shutdown)),
          queue_depth(m.gauge_callback(metric_names::tracing_queue_depth, {},
                                       [&p] { return static_cast<double>(p.queued()); })) {}

    template <std::size_t N, class Processor>
    static typename M::callback_type count(M& m, const counter_spec<N>& spec,
                                           const std::array<std::string_view, N>& values, const Processor& p,
                                           std::uint64_t batch_stats::*field) {
      return m.counter_callback(spec, values, [&p, field] { return static_cast<double>(p.stats().*field); });
    }
  };
  std::unique_ptr<readers> reads;

  explicit batch_instruments(M model)
      : metrics(std::move(model)), export_duration(metrics.histogram(metric_names::tracing_export_duration, {})) {}

  /// Registers the callback series over `p`: call it when everything they read is built.
  template <class Processor>
  void attach(const Processor& p) {
    reads = std::make_unique<readers>(metrics, p);
  }

  /// Observes an export call that started at `start` and has just returned.
  void export_done(std::chrono::steady_clock::time_point start) const noexcept {
    export_duration.observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
};

/// No metrics: nothing stored, nothing done.
template <>
struct batch_instruments<null_metrics> {
  constexpr explicit batch_instruments(null_metrics /*model*/) noexcept {}
  template <class Processor>
  static constexpr void attach(const Processor& /*p*/) noexcept {}
  static constexpr void export_done(std::chrono::steady_clock::time_point /*start*/) noexcept {}
};

}  // namespace detail

/// The batching SpanProcessor (see the file comment). Not copyable: share it through std::shared_ptr. `M` is the
/// Metrics policy it reports through (default: none).
template <class Exporter, class M = null_metrics>
class batch_processor {
  static_assert(assert_span_exporter<Exporter>());
  static_assert(assert_metrics<M>());
  friend struct detail::batch_processor_test_access<batch_processor>;

 public:
  using metrics_type = M;

  /// Starts the worker thread. Throws std::invalid_argument for options that make no sense, metrics_error when
  /// `metrics` already holds one of the processor's series (two processors on one registry).
  explicit batch_processor(Exporter exporter, batch_options options = {}, M metrics = {})
      : exporter_(std::move(exporter)), options_(checked(options)), instruments_(std::move(metrics)) {
    const std::size_t shard_count = detail::shard_count();
    const std::size_t per_shard =
        std::bit_ceil(std::max<std::size_t>(2, (options_.max_queue_size + shard_count - 1) / shard_count));
    shards_.reserve(shard_count);
    for (std::size_t i = 0; i < shard_count; ++i) {
      shards_.push_back(std::make_unique<detail::span_ring>(per_shard));
      free_.push_back(std::make_unique<detail::span_ring>(per_shard));
    }
    shard_mask_ = shard_count - 1;
    dropped_queue_full_ = std::make_unique<detail::padded_counter[]>(shard_count);
    shard_capacity_ = per_shard;
    wake_mask_ = std::bit_floor(std::max<std::size_t>(1, std::min(options_.max_export_batch_size, per_shard / 2))) - 1;
    batch_threshold_ = std::max<std::size_t>(1, std::min(options_.max_export_batch_size, queue_capacity() / 2));
    if constexpr (InPlaceSpanExporter<Exporter>) {
      refs_.resize(options_.max_export_batch_size);
      ref_shards_.resize(options_.max_export_batch_size);
    }
    instruments_.attach(*this);  // a scrape may read the processor from here on
    worker_ = std::jthread([this](std::stop_token stop) { run(stop); });
#if defined(__linux__)
    pthread_setname_np(worker_.native_handle(), "arbiter-export");  // shows in top, perf and debuggers
#endif
  }

  batch_processor(const batch_processor&) = delete;
  batch_processor& operator=(const batch_processor&) = delete;

  /// Shuts down (flushing for at most export_timeout) if that was not done already.
  ~batch_processor() {
    shutdown(options_.export_timeout);
    discard_queued();
    for (auto& ring : free_) {
      while (span_data* item = ring->pop()) delete item;
    }
  }

  /// Returns a cleared span record recycled from an exported batch (its strings and vectors keep their capacity,
  /// so recording the next span allocates nothing), or nullptr when none is free. The tracer calls it.
  [[nodiscard]] span_data* acquire_span() noexcept {
    detail::span_ring& ring = *free_[detail::thread_shard_hint() & shard_mask_];
    span_data* item = ring.pop();
    if (item != nullptr) {
      // The record this thread takes next was last read by the export thread, on another core: asking for its
      // lines now, to be written, overlaps their transfer with this span instead of stalling the next one.
      if (const span_data* next = ring.peek()) detail::prefetch_for_write(next);
      detail::clear_for_reuse(*item);
    }
    return item;
  }

  /// Queues a finished span; never blocks. A full queue or a processor that is shut down drops it and counts it.
  void on_end(std::unique_ptr<span_data>&& span) noexcept {
    if (!accepting_.load(std::memory_order_relaxed)) {
      dropped_after_shutdown_.fetch_add(1, std::memory_order_relaxed);
      refused_after_shutdown_.fetch_add(1, std::memory_order_relaxed);
      span.reset();
      return;
    }
    span_data* item = span.release();
    const unsigned hint = detail::thread_shard_hint();
    for (std::size_t i = 0; i <= shard_mask_; ++i) {
      const std::size_t pos = shards_[(hint + i) & shard_mask_]->push(item);
      if (pos != detail::span_ring::full) {
        if (((pos + 1) & wake_mask_) == 0) wake();
        return;
      }
    }
    dropped_queue_full_[hint & shard_mask_].value.fetch_add(1, std::memory_order_relaxed);
    recycle(item, hint & shard_mask_);  // keeps the record for the next span: dropping costs no free + malloc
  }

  /// Exports everything queued before the call; returns false when that did not finish by `deadline`. While the
  /// deadline lies ahead, the exports it waits for get no more time than is left (a retry that would not fit is
  /// given up and its spans counted in dropped_export_failed).
  bool force_flush(std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(mutex_);
    if (stopped_) return true;
    const std::uint64_t target = ++flush_requested_;
    if (deadline > std::chrono::steady_clock::now()) {
      const auto at = deadline.time_since_epoch().count();
      if (at < flush_deadline_.load(std::memory_order_relaxed)) flush_deadline_.store(at, std::memory_order_relaxed);
    }
    wake_.signal();
    return done_cv_.wait_until(lock, deadline, [&] { return flush_done_ >= target || stopped_; });
  }
  bool force_flush(std::chrono::milliseconds timeout) {
    return force_flush(std::chrono::steady_clock::now() + timeout);
  }
  bool force_flush() { return force_flush(options_.export_timeout); }

  /// Stops intake and flushes what is queued, returning by `deadline`. The flush gets the time up to the deadline
  /// less a fifth of it (at most 100 ms), kept for stopping: the exports get no more time than the flush has, and
  /// when it runs out retries are abandoned, an export still in flight is stopped (an exporter with the
  /// std::stop_token form returns at once; any other is bounded by the timeout it was given), and what is left is
  /// dropped and counted in dropped_after_shutdown. Then joins the worker and shuts the exporter down. Returns
  /// whether everything queued was exported, or failed for good, in time (false: it gave up; stats() says what
  /// was dropped). Idempotent (a second call returns at once, with the first call's answer if it is known); safe
  /// to call from a shutdown hook: tracing_shutdown_hook() passes it the hook's budget.
  bool shutdown(std::chrono::steady_clock::time_point deadline) {
    if (shutting_down_.exchange(true)) return shutdown_in_time_.load(std::memory_order_acquire);
    accepting_.store(false, std::memory_order_relaxed);
    const auto now = std::chrono::steady_clock::now();
    const auto flush_until = deadline <= now ? deadline
                                             : deadline - std::min<std::chrono::steady_clock::duration>(
                                                              (deadline - now) / 5, std::chrono::milliseconds(100));
    shutdown_deadline_.store(flush_until.time_since_epoch().count(), std::memory_order_relaxed);
    const bool flushed = force_flush(flush_until);
    {
      const std::lock_guard lock(mutex_);
      stopping_ = true;
      if (!flushed) abort_.store(true, std::memory_order_relaxed);
    }
    if (!flushed) cancel_.request_stop();  // an export in flight ends now
    retry_cv_.notify_all();
    wake_.signal();
    if (worker_.joinable()) worker_.join();
    discard_queued();
    detail::shutdown_exporter(exporter_);
    shutdown_in_time_.store(flushed, std::memory_order_release);
    return flushed;
  }
  bool shutdown(std::chrono::milliseconds timeout) { return shutdown(std::chrono::steady_clock::now() + timeout); }
  bool shutdown() { return shutdown(options_.export_timeout); }

  [[nodiscard]] batch_stats stats() const noexcept {
    batch_stats s;
    s.exported = exported_.load(std::memory_order_relaxed);
    for (std::size_t i = 0; i <= shard_mask_; ++i) {
      s.dropped_queue_full += dropped_queue_full_[i].value.load(std::memory_order_relaxed);
    }
    s.dropped_export_failed = dropped_export_failed_.load(std::memory_order_relaxed);
    s.dropped_after_shutdown = dropped_after_shutdown_.load(std::memory_order_relaxed);
    s.export_calls = export_calls_.load(std::memory_order_relaxed);
    s.retries = retries_.load(std::memory_order_relaxed);
    // Every span on_end took went into a shard (the rings count their pushes), or was refused: queue full, or
    // after shutdown. Nothing is added on the span's path to count it.
    s.ended = s.dropped_queue_full + refused_after_shutdown_.load(std::memory_order_relaxed);
    for (const auto& shard : shards_) s.ended += shard->pushed();
    return s;
  }

  /// Returns the message of the last failed export attempt, or of a failure to apply worker_nice (empty when
  /// nothing failed).
  [[nodiscard]] std::string last_error() const {
    const std::lock_guard lock(mutex_);
    return last_error_;
  }

  /// Returns about how many spans are queued (exact when no producer is pushing; the queue depth metric).
  [[nodiscard]] std::size_t queued() const noexcept {
    std::size_t total = 0;
    for (const auto& shard : shards_) total += shard->size_approx();
    return total;
  }

  [[nodiscard]] const batch_options& options() const noexcept { return options_; }
  /// Returns how many spans the queue holds at most (max_queue_size rounded up across shards).
  [[nodiscard]] std::size_t queue_capacity() const noexcept { return (shard_mask_ + 1) * shard_capacity_; }

 private:
  static batch_options checked(const batch_options& options) {
    options.validate();
    return options;
  }

  void wake() noexcept { wake_.signal(); }

  void run(const std::stop_token& stop) {
#if defined(__linux__)
    // Linux keeps a niceness per thread: this lowers the export thread alone, relative to the niceness it was
    // born with (the service's), so it can never end up above the service.
    if (options_.worker_nice != 0) {
      const auto self = static_cast<id_t>(::gettid());
      errno = 0;
      const int inherited = ::getpriority(PRIO_PROCESS, self);
      const int target = std::min(19, (errno == 0 ? inherited : 0) + options_.worker_nice);
      if (::setpriority(PRIO_PROCESS, self, target) != 0) {
        const std::lock_guard lock(mutex_);
        last_error_ = "could not set the export thread's niceness to " + std::to_string(target);
      }
    }
#endif
    std::vector<span_data> batch;  // the swap path's; an InPlaceSpanExporter never needs it
    if constexpr (!InPlaceSpanExporter<Exporter>) {
      batch.reserve(options_.max_export_batch_size);  // grows to the batch size once, then its records circulate
    }
    auto timer = std::chrono::steady_clock::now() + options_.schedule_delay;
    while (true) {
      std::uint64_t flush_target = 0;
      bool stopping = false;
      bool everything = false;
      {
        std::unique_lock lock(mutex_);
        const bool asked = flush_requested_ > flush_done_ || stopping_;
        if (!asked && !stop.stop_requested()) {
          // Producers wake the word without the lock; a flush or the shutdown asks under it first, then wakes it,
          // so a request made after the check above still ends this wait.
          lock.unlock();
          (void)wake_.wait_until(timer);
          lock.lock();
        }
        flush_target = flush_requested_;
        stopping = stopping_ || stop.stop_requested();
        // The timer is due by the clock, not by how the wait ended: under steady load a wake is always pending,
        // and the remainder of a shard must still leave within schedule_delay.
        const auto now = std::chrono::steady_clock::now();
        const bool timer_due = now >= timer;
        if (timer_due) timer = now + options_.schedule_delay;
        everything = timer_due || flush_target > flush_done_ || stopping;
      }
      drain(batch, everything, timer);
      {
        const std::lock_guard lock(mutex_);
        if (flush_target > flush_done_) flush_done_ = flush_target;
        if (flush_done_ == flush_requested_) flush_deadline_.store(no_deadline, std::memory_order_relaxed);
        if (stopping) stopped_ = true;
      }
      done_cv_.notify_all();
      if (stopping) return;
    }
  }

  /// Exports what is queued, in batches. An InPlaceSpanExporter reads the records where the traced threads wrote
  /// them, and they go back to the producers' free rings after the export; any other exporter gets them swapped
  /// into the reused batch vector (what they held before, an earlier exported span, goes back instead).
  ///
  /// Woken by a filling shard (`everything` false), it exports full batches only and leaves the remainder for the
  /// next wake or the timer: a worker that chased the producers span by span (a fast encoder keeps the queue
  /// nearly empty) pulled every ring cell and record across cores right after a producer wrote it, and made the
  /// traced call up to four times slower. The timer, a flush and the shutdown export everything that was queued
  /// when they came (not more: producers that keep pace with the exporter would otherwise never let a flush end).
  /// A busy shard can fill every batch of a wake, but the timer comes by the clock and then every shard is taken
  /// (starting each batch at the next shard in turn was measured too: for a reason not yet understood it cut the
  /// export rate of BM_span/batch_otlp to a third, so the timer is what bounds the wait).
  void drain(std::vector<span_data>& batch, bool everything, std::chrono::steady_clock::time_point timer) {
    std::array<std::size_t, 8> budget{};  // per shard: how many more to take (shard_count() is at most 8)
    for (std::size_t s = 0; s <= shard_mask_; ++s) {
      budget[s] = everything ? shards_[s]->size_approx() : ~std::size_t{0};
    }
    while (true) {
      // Full batches only, and only until the timer is due: then run() comes back with everything.
      if (!everything && (queued() < batch_threshold_ || std::chrono::steady_clock::now() >= timer)) return;
      std::size_t count = 0;
      for (std::size_t s = 0; s <= shard_mask_ && count < options_.max_export_batch_size; ++s) {
        while (count < options_.max_export_batch_size && budget[s] > 0) {
          span_data* item = shards_[s]->pop();
          if (item == nullptr) break;
          if (everything) --budget[s];
          if constexpr (InPlaceSpanExporter<Exporter>) {
            refs_[count] = item;  // read in place; recycled after the export
            ref_shards_[count] = s;
          } else {
            if (count == batch.size()) batch.emplace_back();
            std::swap(batch[count], *item);
            recycle(item, s);
          }
          ++count;
        }
      }
      if (count == 0) return;
      if (abort_.load(std::memory_order_relaxed)) {
        dropped_after_shutdown_.fetch_add(count, std::memory_order_relaxed);
      } else if constexpr (InPlaceSpanExporter<Exporter>) {
        export_with_retries(span_refs(refs_.data(), count));
      } else {
        export_with_retries(std::span<const span_data>(batch.data(), count));
      }
      if constexpr (InPlaceSpanExporter<Exporter>) {
        for (std::size_t i = 0; i < count; ++i) recycle(refs_[i], ref_shards_[i]);
      }
    }
  }

  /// Gives `item` to shard `s`'s producers (or frees it when they have enough, or it grew large). It is cleared
  /// by the producer that takes it (acquire_span), which writes those cache lines next anyway: the export thread
  /// only reads records. Called by the worker, and by a producer whose span was dropped.
  void recycle(span_data* item, std::size_t s) noexcept {
    if (item->attributes.capacity() > 64 || item->events.capacity() > 16 || item->name.capacity() > 256 ||
        free_[s]->push(item) == detail::span_ring::full) {
      delete item;
    }
  }

  static constexpr std::int64_t no_deadline = std::numeric_limits<std::int64_t>::max();

  /// Returns the earlier of `limit` and what a pending flush (while it lies ahead) or the shutdown leaves.
  [[nodiscard]] std::chrono::steady_clock::time_point bounded(
      std::chrono::steady_clock::time_point limit, std::chrono::steady_clock::time_point now) const noexcept {
    using tp = std::chrono::steady_clock::time_point;
    const auto flush = flush_deadline_.load(std::memory_order_relaxed);
    if (flush != no_deadline && tp(tp::duration(flush)) > now) limit = std::min(limit, tp(tp::duration(flush)));
    const auto end = shutdown_deadline_.load(std::memory_order_relaxed);
    if (end != no_deadline) limit = std::min(limit, tp(tp::duration(end)));
    return limit;
  }

  template <class Batch>
  void export_with_retries(Batch batch) {
    auto deadline = std::chrono::steady_clock::now() + options_.export_timeout;
    auto backoff = options_.initial_backoff;
    for (unsigned attempt = 1;; ++attempt) {
      const auto now = std::chrono::steady_clock::now();
      deadline = bounded(deadline, now);  // a flush or the shutdown that came meanwhile shortens it
      if (abort_.load(std::memory_order_relaxed) || (attempt > 1 && now >= deadline)) break;
      const auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
      export_result result;
      export_calls_.fetch_add(1, std::memory_order_relaxed);
      try {
        result = detail::export_with_stop(exporter_, batch, std::max(remaining, std::chrono::milliseconds(1)),
                                          cancel_.get_token());
      } catch (const std::exception& error) {
        result = export_result::fail(std::string("the exporter threw: ") + error.what());
      } catch (...) {
        result = export_result::fail("the exporter threw a non-standard exception");
      }
      instruments_.export_done(now);
      if (result.ok()) {
        exported_.fetch_add(batch.size(), std::memory_order_relaxed);
        return;
      }
      {
        const std::lock_guard lock(mutex_);
        last_error_ = result.error;
      }
      if (result.status == export_result::code::failure || attempt >= options_.max_attempts) break;
      // Wait the receiver's Retry-After when it gave one, else the backoff with jitter in [50 %, 100 %].
      auto wait = result.retry_after.count() > 0
                      ? result.retry_after
                      : std::chrono::milliseconds(static_cast<std::int64_t>(
                            static_cast<double>(backoff.count()) *
                            (0.5 + 0.5 * static_cast<double>(detail::random_u64() >> 11) * 0x1.0p-53)));
      backoff = std::min(backoff * 2, options_.max_backoff);
      if (std::chrono::steady_clock::now() + wait >= deadline) break;
      {
        std::unique_lock lock(mutex_);
        if (retry_cv_.wait_for(lock, wait, [&] { return abort_.load(std::memory_order_relaxed); })) break;
      }
      retries_.fetch_add(1, std::memory_order_relaxed);
    }
    dropped_export_failed_.fetch_add(batch.size(), std::memory_order_relaxed);
  }

  /// Frees and counts what is still queued (intake stopped; nothing will export it).
  void discard_queued() noexcept {
    for (auto& shard : shards_) {
      while (span_data* item = shard->pop()) {
        delete item;
        dropped_after_shutdown_.fetch_add(1, std::memory_order_relaxed);
      }
    }
  }

  Exporter exporter_;
  const batch_options options_;
  std::vector<std::unique_ptr<detail::span_ring>> shards_;
  std::vector<std::unique_ptr<detail::span_ring>> free_;  ///< cleared records for producers to reuse
  std::size_t shard_mask_ = 0;
  std::size_t shard_capacity_ = 0;
  std::size_t wake_mask_ = 0;
  std::size_t batch_threshold_ = 1;
  std::vector<span_data*> refs_;         ///< the worker's: the batch read in place (InPlaceSpanExporter)
  std::vector<std::size_t> ref_shards_;  ///< and the shard each came from  ///< a wake exports only when this many are
                                         ///< queued (a batch, or half the queue)

  alignas(64) std::atomic<bool> accepting_{true};
  std::atomic<bool> shutting_down_{false};
  /// Per shard, each on its own cache line: under overload every span is a drop, and threads counting them on
  /// one shared line would slow each other down exactly when the service is busiest.
  std::unique_ptr<detail::padded_counter[]> dropped_queue_full_;
  std::atomic<std::uint64_t> dropped_after_shutdown_{0};
  std::atomic<std::uint64_t> refused_after_shutdown_{0};  ///< the part of dropped_after_shutdown_ on_end refused
  alignas(64) std::atomic<std::uint64_t> exported_{0};
  std::atomic<std::uint64_t> dropped_export_failed_{0};
  std::atomic<std::uint64_t> export_calls_{0};
  std::atomic<std::uint64_t> retries_{0};

  detail::wake_word wake_;            ///< producers, flushes and the shutdown wake the worker here (no lock)
  mutable std::mutex mutex_;          ///< flush and shutdown bookkeeping, last_error_; never taken on span end
  std::condition_variable retry_cv_;  ///< a retry's backoff wait, cut short by the shutdown giving up
  std::condition_variable done_cv_;
  std::stop_source cancel_;  ///< requested when the shutdown gives up: stops an export in flight
  std::atomic<std::int64_t> flush_deadline_{no_deadline};     ///< the earliest pending flush's, in steady ticks
  std::atomic<std::int64_t> shutdown_deadline_{no_deadline};  ///< the shutdown's, in steady ticks
  std::atomic<bool> shutdown_in_time_{true};
  bool stopping_ = false;
  bool stopped_ = false;
  std::atomic<bool> abort_{false};  ///< shutdown gave up waiting: stop retrying, drop the rest
  std::uint64_t flush_requested_ = 0;
  std::uint64_t flush_done_ = 0;
  std::string last_error_;
  /// After what its callbacks read, so they are unregistered before it goes; before the worker, which observes.
  [[no_unique_address]] detail::batch_instruments<M> instruments_;

  std::jthread worker_;  // last: starts after everything it uses exists, joins before it goes
};

}  // namespace arbiter::inline v1
