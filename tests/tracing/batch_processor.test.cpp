// The batch processor: bounded queue, background export, retries, flush and shutdown, drops counted.
#include <arbiter/metrics/registry.hpp>
#include <arbiter/tracing/batch_processor.hpp>
#include <arbiter/tracing/sampler.hpp>
#include <arbiter/tracing/sdk_tracer.hpp>
#include <arbiter/tracing/trace.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <latch>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "../metrics/exposition_check.hpp"

#if defined(__linux__)
#include <sys/resource.h>
#include <unistd.h>
#endif

namespace {

using namespace std::chrono_literals;

/// What copies of a test exporter share (`State` has a `mutex`); `with(f)` runs f on it under that mutex.
template <class State>
class shared_state {
 public:
  using state = State;
  template <class F>
  auto with(F f) const {
    const std::lock_guard lock(s_->mutex);
    return f(*s_);
  }

 protected:
  std::shared_ptr<State> s_ = std::make_shared<State>();
};

/// What a scripted_exporter records and obeys.
struct scripted_state {
  std::mutex mutex;
  std::condition_variable cv;
  bool gate_open = true;
  int in_export = 0;
  int retryable_failures = 0;  ///< the next N calls fail with "retry"
  bool permanent_failure = false;
  int permanent_failures = 0;  ///< the next N calls fail for good
  bool throws = false;
  std::size_t spans = 0;
  std::size_t calls = 0;
  std::size_t largest_batch = 0;
  std::vector<std::string> names;
};

/// An exporter the test drives: it can hold exports at a gate, fail a number of times, and counts what it got.
class scripted_exporter : public shared_state<scripted_state> {
 public:
  arbiter::export_result export_spans(std::span<const arbiter::span_data> batch, std::chrono::milliseconds) {
    std::unique_lock lock(s_->mutex);
    ++s_->calls;
    ++s_->in_export;
    s_->cv.notify_all();
    s_->cv.wait(lock, [&] { return s_->gate_open; });
    --s_->in_export;
    if (s_->throws) throw std::runtime_error("exporter exploded");
    if (s_->permanent_failure) return arbiter::export_result::fail("400 bad request");
    if (s_->permanent_failures > 0) {
      --s_->permanent_failures;
      return arbiter::export_result::fail("400 bad request");
    }
    if (s_->retryable_failures > 0) {
      --s_->retryable_failures;
      return arbiter::export_result::retry("503 service unavailable");
    }
    s_->spans += batch.size();
    s_->largest_batch = std::max(s_->largest_batch, batch.size());
    for (const auto& span : batch) s_->names.push_back(span.name);
    return arbiter::export_result::success();
  }

  void close_gate() const {
    const std::lock_guard lock(s_->mutex);
    s_->gate_open = false;
  }
  void open_gate() const {
    {
      const std::lock_guard lock(s_->mutex);
      s_->gate_open = true;
    }
    s_->cv.notify_all();
  }
  /// Waits (bounded) until an export call is held at the gate.
  bool wait_in_export() const {
    std::unique_lock lock(s_->mutex);
    return s_->cv.wait_for(lock, 5s, [&] { return s_->in_export > 0; });
  }
};

using processor = arbiter::batch_processor<scripted_exporter>;

arbiter::batch_options fast_options() {
  arbiter::batch_options o;
  o.max_queue_size = 256;
  o.max_export_batch_size = 32;
  o.schedule_delay = 5ms;
  o.export_timeout = 2s;
  o.initial_backoff = 1ms;
  o.max_backoff = 4ms;
  return o;
}

std::unique_ptr<arbiter::span_data> named(std::string name) {
  auto span = std::make_unique<arbiter::span_data>();
  span->name = std::move(name);
  return span;
}

TEST(batch_processor, exports_everything_in_bounded_batches_on_flush) {
  scripted_exporter exporter;
  auto o = fast_options();
  o.schedule_delay = 1h;  // only the size trigger and the flush export
  processor p(exporter, o);
  for (int i = 0; i < 200; ++i)
    p.on_end(named(std::string("s").append(std::to_string(i))));  // (g++ 12 -O3 warns on "s" + ...)
  EXPECT_TRUE(p.force_flush(5s));
  EXPECT_EQ(exporter.with([](auto& s) { return s.spans; }), 200U);
  EXPECT_LE(exporter.with([](auto& s) { return s.largest_batch; }), 32U);
  EXPECT_EQ(p.stats().exported, 200U);
  EXPECT_EQ(p.stats().dropped(), 0U);
}

TEST(batch_processor, schedule_delay_exports_without_a_flush) {
  scripted_exporter exporter;
  processor p(exporter, fast_options());
  p.on_end(named("lonely"));
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (p.stats().exported == 0 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(1ms);
  EXPECT_EQ(p.stats().exported, 1U);
}

TEST(batch_processor, full_queue_drops_and_counts_without_blocking_the_caller) {
  scripted_exporter exporter;
  exporter.close_gate();
  processor p(exporter, fast_options());
  p.on_end(named("first"));
  (void)p.force_flush(0ms);  // wakes the worker for `first`
  ASSERT_TRUE(exporter.wait_in_export()) << "the worker is now stuck in the exporter";
  const std::size_t total = 1000;
  for (std::size_t i = 1; i < total; ++i) p.on_end(named("x"));  // returns although the exporter is held
  const auto while_stuck = p.stats();
  EXPECT_GT(while_stuck.dropped_queue_full, 0U);
  EXPECT_LE(total - 1 - while_stuck.dropped_queue_full, p.queue_capacity());
  exporter.open_gate();
  p.shutdown(5s);
  const auto after = p.stats();
  EXPECT_EQ(after.exported + after.dropped(), total) << "every span is exported or counted";
  EXPECT_EQ(after.exported, exporter.with([](auto& s) { return s.spans; }));
}

TEST(batch_processor, retryable_failures_are_retried_with_backoff) {
  scripted_exporter exporter;
  exporter.with([](auto& s) { return s.retryable_failures = 2; });
  processor p(exporter, fast_options());
  p.on_end(named("a"));
  EXPECT_TRUE(p.force_flush(5s));
  const auto stats = p.stats();
  EXPECT_EQ(stats.exported, 1U);
  EXPECT_EQ(stats.retries, 2U);
  EXPECT_EQ(stats.export_calls, 3U);
  EXPECT_EQ(p.last_error(), "503 service unavailable");
}

TEST(batch_processor, retries_are_bounded_and_failed_spans_counted) {
  scripted_exporter exporter;
  exporter.with([](auto& s) { return s.retryable_failures = 1000; });
  auto o = fast_options();
  o.max_attempts = 3;
  o.schedule_delay = 1h;  // one batch, by the flush: a timer firing between the spans would split it
  processor p(exporter, o);
  for (int i = 0; i < 5; ++i) p.on_end(named("a"));
  EXPECT_TRUE(p.force_flush(5s));
  const auto stats = p.stats();
  EXPECT_EQ(stats.exported, 0U);
  EXPECT_EQ(stats.export_calls, 3U);
  EXPECT_EQ(stats.dropped_export_failed, 5U);
}

TEST(batch_processor, permanent_failures_and_throwing_exporters_are_not_retried) {
  scripted_exporter exporter;
  exporter.with([](auto& s) { return s.permanent_failure = true; });
  processor p(exporter, fast_options());
  p.on_end(named("a"));
  EXPECT_TRUE(p.force_flush(5s));
  EXPECT_EQ(p.stats().export_calls, 1U);
  EXPECT_EQ(p.stats().dropped_export_failed, 1U);
  exporter.with([](auto& s) { return s.throws = true; });
  p.on_end(named("b"));
  EXPECT_TRUE(p.force_flush(5s));
  EXPECT_EQ(p.stats().dropped_export_failed, 2U);
  EXPECT_NE(p.last_error().find("exporter exploded"), std::string::npos) << p.last_error();
}

TEST(batch_processor, shutdown_flushes_what_is_queued_then_refuses_and_counts) {
  scripted_exporter exporter;
  auto o = fast_options();
  o.schedule_delay = 1h;
  processor p(exporter, o);
  for (int i = 0; i < 20; ++i) p.on_end(named("queued"));
  p.shutdown(5s);
  EXPECT_EQ(exporter.with([](auto& s) { return s.spans; }), 20U);
  p.on_end(named("late"));
  EXPECT_EQ(p.stats().dropped_after_shutdown, 1U);
  p.shutdown(5s);  // idempotent
  EXPECT_TRUE(p.force_flush(1s));
}

TEST(batch_processor, shutdown_gives_up_after_its_timeout_and_counts_the_rest) {
  scripted_exporter exporter;
  exporter.with([](auto& s) { return s.retryable_failures = 1000000; });
  auto o = fast_options();
  o.max_attempts = 1000;
  o.initial_backoff = 50ms;
  o.max_backoff = 50ms;
  o.export_timeout = 10s;
  processor p(exporter, o);
  for (int i = 0; i < 10; ++i) p.on_end(named("doomed"));
  const auto start = std::chrono::steady_clock::now();
  p.shutdown(100ms);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s) << "shutdown is bounded by its timeout, not the retries";
  EXPECT_EQ(p.stats().exported + p.stats().dropped(), 10U);
}

}  // namespace

/// The processor's lock, for the test that proves on_end never takes it.
template <>
struct arbiter::detail::batch_processor_test_access<processor> {
  static std::mutex& lock_of(processor& p) { return p.mutex_; }
};

namespace {

TEST(batch_processor, on_end_takes_no_lock_even_when_it_wakes_the_worker) {
  scripted_exporter exporter;
  auto o = fast_options();
  o.schedule_delay = 1h;
  processor p(exporter, o);
  constexpr int spans = 200;  // fills shards past their wake points several times
  std::atomic<bool> returned{false};
  bool returned_while_locked = false;
  {
    std::unique_lock held(arbiter::detail::batch_processor_test_access<processor>::lock_of(p));
    std::thread producer([&] {
      for (int i = 0; i < spans; ++i) p.on_end(named("x"));
      returned = true;
    });
    const auto until = std::chrono::steady_clock::now() + 5s;
    while (!returned.load() && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(1ms);
    returned_while_locked = returned.load();
    held.unlock();
    producer.join();
  }
  EXPECT_TRUE(returned_while_locked) << "span end waited for the processor's lock";
  EXPECT_TRUE(p.force_flush(5s));
  const auto stats = p.stats();
  EXPECT_EQ(stats.exported + stats.dropped(), static_cast<std::uint64_t>(spans));
  EXPECT_GT(stats.exported, 0U);
}

TEST(batch_processor, wake_word_never_loses_a_signal_while_producers_race_the_sleeper) {
  // Invariant: a signal after a producer's increment always ends the waiter's wait. The waiter sleeps with a 20 s
  // limit, so a lost wake shows as a wait that timed out with work left to see.
  arbiter::detail::wake_word word;
  constexpr int producers = 4;
  constexpr int rounds = 20000;
  std::atomic<int> produced{0};
  std::atomic<bool> lost{false};
  std::thread waiter([&] {
    int seen = 0;
    while (seen < producers * rounds) {
      if (!word.wait_until(std::chrono::steady_clock::now() + 20s)) {  // producers finish long before
        lost = true;
        return;
      }
      seen = produced.load();
    }
  });
  {
    std::vector<std::jthread> threads;
    for (int t = 0; t < producers; ++t) {
      threads.emplace_back([&] {
        for (int i = 0; i < rounds; ++i) {
          produced.fetch_add(1);
          word.signal();
          if (i % 64 == 0) std::this_thread::yield();  // let the waiter fall asleep now and then
        }
      });
    }
  }
  waiter.join();
  EXPECT_FALSE(lost.load()) << "the waiter slept through a signal";
  EXPECT_EQ(produced.load(), producers * rounds);
}

/// An exporter that hangs like a collector that accepts and never answers: until its timeout, or until the
/// processor's stop token (the three-argument form) is requested.
struct hanging_state {
  std::mutex mutex;
  std::condition_variable cv;
  std::vector<std::chrono::milliseconds> timeouts;
  std::size_t cancelled = 0;
};
class hanging_exporter : public shared_state<hanging_state> {
 public:
  arbiter::export_result export_spans(std::span<const arbiter::span_data> batch, std::chrono::milliseconds timeout) {
    return export_spans(batch, timeout, std::stop_token{});
  }
  arbiter::export_result export_spans(std::span<const arbiter::span_data> /*batch*/, std::chrono::milliseconds timeout,
                                      std::stop_token stop) {
    std::unique_lock lock(s_->mutex);
    s_->timeouts.push_back(timeout);
    s_->cv.notify_all();
    const std::stop_callback wake(stop, [this] {
      const std::lock_guard inner(s_->mutex);
      s_->cv.notify_all();
    });
    if (s_->cv.wait_for(lock, timeout, [&] { return stop.stop_requested(); })) {
      ++s_->cancelled;
      return arbiter::export_result::retry("cancelled");
    }
    return arbiter::export_result::retry("timed out");
  }
  bool wait_in_export() const {
    std::unique_lock lock(s_->mutex);
    return s_->cv.wait_for(lock, 5s, [&] { return !s_->timeouts.empty(); });
  }
};

/// The same, but only with the two-argument form: it can be bounded by the timeout it is given, not stopped.
class hanging_exporter_without_stop : public hanging_exporter {
 public:
  arbiter::export_result export_spans(std::span<const arbiter::span_data> batch, std::chrono::milliseconds timeout) {
    return hanging_exporter::export_spans(batch, timeout, std::stop_token{});
  }
};

TEST(batch_processor, shutdown_ends_an_export_in_flight_at_its_deadline_and_counts_what_it_dropped) {
  hanging_exporter exporter;
  auto o = fast_options();
  o.export_timeout = 30s;  // the SDK default: as long as Kubernetes' whole grace period
  arbiter::batch_processor<hanging_exporter> p(exporter, o);
  for (int i = 0; i < 10; ++i) p.on_end(named("unsent"));
  (void)p.force_flush(0ms);
  ASSERT_TRUE(exporter.wait_in_export()) << "an export is in flight";
  const auto start = std::chrono::steady_clock::now();
  const bool in_time = p.shutdown(200ms);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_FALSE(in_time) << "it gave up at its deadline";
  EXPECT_LT(took, 2s) << "bounded by its 200 ms, not the 30 s export timeout";
  EXPECT_EQ(exporter.with([](auto& s) { return s.cancelled; }), 1U) << "the export in flight was stopped";
  const auto stats = p.stats();
  EXPECT_EQ(stats.exported, 0U);
  EXPECT_EQ(stats.dropped(), 10U) << "every span is exported or counted";
}

TEST(batch_processor, exports_a_shutdown_starts_get_no_more_than_its_deadline) {
  hanging_exporter_without_stop exporter;
  auto o = fast_options();
  o.schedule_delay = 1h;
  o.export_timeout = 30s;
  arbiter::batch_processor<hanging_exporter_without_stop> p(exporter, o);
  for (int i = 0; i < 10; ++i) p.on_end(named("unsent"));
  const auto start = std::chrono::steady_clock::now();
  p.shutdown(300ms);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  const auto timeouts = exporter.with([](auto& s) { return s.timeouts; });
  ASSERT_FALSE(timeouts.empty());
  for (const auto timeout : timeouts) EXPECT_LE(timeout, 300ms) << "an export the shutdown started outlived it";
  EXPECT_EQ(p.stats().dropped(), 10U);
}

TEST(batch_processor, force_flush_takes_a_deadline_and_bounds_its_exports_by_it) {
  hanging_exporter_without_stop exporter;
  auto o = fast_options();
  o.schedule_delay = 1h;
  o.export_timeout = 30s;
  o.max_attempts = 1;
  arbiter::batch_processor<hanging_exporter_without_stop> p(exporter, o);
  p.on_end(named("unsent"));
  (void)p.force_flush(std::chrono::steady_clock::now() + 300ms);
  const auto timeouts = exporter.with([](auto& s) { return s.timeouts; });
  ASSERT_EQ(timeouts.size(), 1U);
  EXPECT_LE(timeouts[0], 300ms);
  EXPECT_TRUE(p.shutdown(5s)) << "the flush's export ended within its deadline; nothing was left to give up on";
  EXPECT_EQ(p.stats().dropped_export_failed, 1U);
}

TEST(batch_processor, options_are_validated_with_clear_errors) {
  scripted_exporter exporter;
  auto o = fast_options();
  o.max_export_batch_size = 1000;
  try {
    processor p(exporter, o);
    FAIL() << "accepted a batch larger than the queue";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("max_export_batch_size 1000 is above max_queue_size 256"), std::string::npos)
        << e.what();
  }
  o = fast_options();
  o.max_queue_size = 0;
  EXPECT_THROW(processor(exporter, o), std::invalid_argument);
  for (const int nice : {-1, 20}) {
    o = fast_options();
    o.worker_nice = nice;
    try {
      processor p(exporter, o);
      FAIL() << "accepted worker_nice " << nice;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("worker_nice " + std::to_string(nice) + " is outside 0 to 19"),
                std::string::npos)
          << e.what();
    }
  }
}

/// An exporter that takes `per_batch` for each batch and notes when each span name first left.
class slow_exporter {
 public:
  struct state {
    std::mutex mutex;
    std::map<std::string, std::chrono::steady_clock::time_point> first_export;
  };
  explicit slow_exporter(std::chrono::milliseconds per_batch) : per_batch_(per_batch), s_(std::make_shared<state>()) {}

  arbiter::export_result export_spans(std::span<const arbiter::span_data> batch, std::chrono::milliseconds) {
    std::this_thread::sleep_for(per_batch_);
    const auto now = std::chrono::steady_clock::now();
    const std::lock_guard lock(s_->mutex);
    for (const auto& span : batch) s_->first_export.try_emplace(span.name, now);
    return arbiter::export_result::success();
  }
  [[nodiscard]] std::optional<std::chrono::steady_clock::time_point> exported_at(const std::string& name) const {
    const std::lock_guard lock(s_->mutex);
    const auto it = s_->first_export.find(name);
    if (it == s_->first_export.end()) return std::nullopt;
    return it->second;
  }

 private:
  std::chrono::milliseconds per_batch_;
  std::shared_ptr<state> s_;
};

TEST(batch_processor, a_busy_shard_does_not_keep_a_quiet_shards_span_waiting) {
  if (arbiter::detail::shard_count() < 2) GTEST_SKIP() << "one shard on this machine";
  slow_exporter exporter(8ms);  // 4 spans every 8 ms: half the flood's rate
  arbiter::batch_options o;
  o.max_queue_size = 64;
  o.max_export_batch_size = 4;
  o.schedule_delay = 50ms;
  using slow_processor = arbiter::batch_processor<slow_exporter>;
  slow_processor p(exporter, o);
  std::atomic<bool> stop{false};
  std::atomic<int> flooding{0};
  std::chrono::steady_clock::time_point ended{};
  {
    // Two threads, so two different shards: one floods its shard faster than the exporter drains (its shard
    // always holds a full batch), the other ends a single span while the flood goes on.
    std::jthread flood([&] {
      flooding = 1;
      while (!stop.load()) {
        p.on_end(named("flood"));
        std::this_thread::sleep_for(1ms);
      }
    });
    while (flooding.load() == 0) std::this_thread::sleep_for(1ms);
    std::this_thread::sleep_for(100ms);
    std::jthread([&] {
      ended = std::chrono::steady_clock::now();
      p.on_end(named("quiet"));
    }).join();
    const auto until = std::chrono::steady_clock::now() + 1500ms;
    while (!exporter.exported_at("quiet") && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(5ms);
    }
    stop = true;
  }
  const auto at = exporter.exported_at("quiet");
  ASSERT_TRUE(at.has_value()) << "the quiet shard's span waited for the flood to end";
  EXPECT_LT(*at - ended, 1000ms) << "it left within a few batches of the schedule delay";
  const auto s = p.stats();
  EXPECT_GT(s.exported, 0U);
}

TEST(batch_processor, a_flush_ends_while_producers_keep_pace_with_the_exporter) {
  scripted_exporter exporter;
  auto o = fast_options();
  o.schedule_delay = 1h;
  processor p(exporter, o);
  std::atomic<bool> stop{false};
  std::jthread producer([&] {
    while (!stop.load()) {
      p.on_end(named("steady"));
      std::this_thread::sleep_for(20us);  // slower than the exporter: the queue never stays empty for long
    }
  });
  for (int i = 0; i < 10; ++i) p.on_end(named("before-flush"));
  EXPECT_TRUE(p.force_flush(5s)) << "the flush exports what was queued when it came, then answers";
  const auto names = exporter.with([](const scripted_exporter::state& s) { return s.names; });
  EXPECT_EQ(std::count(names.begin(), names.end(), "before-flush"), 10);
  stop = true;
}

/// What an in_place_exporter saw.
struct in_place_state {
  std::mutex mutex;
  std::vector<arbiter::span_data> spans;
  std::size_t in_place_batches = 0;
};

/// An exporter that takes batches in place (as otlp_http_exporter does) and keeps what it saw by value.
class in_place_exporter : public shared_state<in_place_state> {
 public:
  arbiter::export_result export_spans(arbiter::span_refs batch, std::chrono::milliseconds) {
    const std::lock_guard lock(s_->mutex);
    ++s_->in_place_batches;
    for (const arbiter::span_data* span : batch) s_->spans.push_back(*span);
    return arbiter::export_result::success();
  }
  arbiter::export_result export_spans(std::span<const arbiter::span_data>, std::chrono::milliseconds) {
    ADD_FAILURE() << "batch_processor should prefer the in-place form";
    return arbiter::export_result::fail("copied batch");
  }
};

TEST(batch_processor, an_in_place_exporter_reads_records_and_recycled_records_carry_nothing_over) {
  static_assert(arbiter::InPlaceSpanExporter<in_place_exporter>);
  in_place_exporter exporter;
  auto o = fast_options();
  o.schedule_delay = 1h;
  using in_place_processor = arbiter::batch_processor<in_place_exporter>;
  auto p = std::make_shared<in_place_processor>(exporter, o);
  const arbiter::tracer<arbiter::always_on, in_place_processor> tracer(p);
  // Round 1 fills records with attributes, events, links and an error status; round 2 reuses the same records
  // (recycled after round 1's export) and must see none of it.
  for (int i = 0; i < 100; ++i) {
    auto span = tracer.start_span("first");
    span.set_attribute("round", 1);
    span.set_attribute("payload", "x");
    span.add_event("retry");
    span.add_link(span.context());
    span.set_status(arbiter::span_status::error, "boom");
  }
  ASSERT_TRUE(p->force_flush(5s));
  for (int i = 0; i < 100; ++i) {
    auto span = tracer.start_span("second");
    span.set_attribute("round", 2);
  }
  ASSERT_TRUE(p->force_flush(5s));
  exporter.with([](const in_place_exporter::state& s) {
    ASSERT_EQ(s.spans.size(), 200U);
    EXPECT_GT(s.in_place_batches, 0U);
    for (std::size_t i = 0; i < 100; ++i) {
      const auto& first = s.spans[i];
      EXPECT_EQ(first.name, "first");
      EXPECT_EQ(first.attributes.size(), 2U);
      EXPECT_EQ(first.events.size(), 1U);
      EXPECT_EQ(first.status_description, "boom");
      const auto& second = s.spans[100 + i];
      EXPECT_EQ(second.name, "second");
      ASSERT_EQ(second.attributes.size(), 1U) << "nothing left over from the record's previous span";
      EXPECT_EQ(second.attributes[0].second, arbiter::attribute_value(2));
      EXPECT_TRUE(second.events.empty());
      EXPECT_TRUE(second.links.empty());
      EXPECT_EQ(second.status, arbiter::span_status::unset);
      EXPECT_TRUE(second.status_description.empty());
      EXPECT_EQ(second.dropped_attributes, 0U);
    }
  });
  EXPECT_EQ(p->stats().exported, 200U);
  EXPECT_EQ(p->stats().dropped(), 0U);
}

TEST(batch_processor, threads_tracing_into_an_in_place_exporter_lose_nothing_uncounted) {
  in_place_exporter exporter;
  auto o = fast_options();
  o.max_queue_size = 64;
  o.max_export_batch_size = 16;
  o.schedule_delay = 1ms;
  using in_place_processor = arbiter::batch_processor<in_place_exporter>;
  auto p = std::make_shared<in_place_processor>(exporter, o);
  const arbiter::tracer<arbiter::always_on, in_place_processor> tracer(p);
  std::atomic<std::uint64_t> ended{0};
  std::atomic<bool> stop{false};
  {
    std::vector<std::jthread> workers;
    for (int t = 0; t < 4; ++t) {
      workers.emplace_back([&, t] {
        while (!stop.load(std::memory_order_relaxed)) {
          auto span = tracer.start_span("w");
          span.set_attribute("thread", t);
          span.end();
          ended.fetch_add(1, std::memory_order_relaxed);
        }
      });
    }
    std::this_thread::sleep_for(300ms);
    stop = true;
  }
  p->shutdown();
  const auto s = p->stats();
  EXPECT_EQ(s.exported + s.dropped(), ended.load());
  EXPECT_GT(s.exported, 0U);
  exporter.with([&](const in_place_exporter::state& st) {
    EXPECT_EQ(st.spans.size(), s.exported);
    for (const auto& span : st.spans) {
      ASSERT_EQ(span.attributes.size(), 1U) << "a record read while a producer rewrote it would show here";
      EXPECT_EQ(span.name, "w");
    }
  });
}

TEST(batch_processor, live_threads_spread_evenly_over_the_shards_and_give_them_back_when_they_end) {
  const std::size_t shards = arbiter::detail::shard_count();
  const auto counts = [shards] {
    std::vector<unsigned> c;
    for (std::size_t i = 0; i < shards; ++i) c.push_back(arbiter::detail::threads_on_shard[i].load());
    return c;
  };
  const std::vector<unsigned> before = counts();
  constexpr std::size_t per_shard = 3;
  const std::size_t threads = shards * per_shard;
  std::latch claimed(static_cast<std::ptrdiff_t>(threads));
  std::latch done(1);
  {
    std::vector<std::jthread> pool;
    for (std::size_t t = 0; t < threads; ++t) {
      pool.emplace_back([&] {
        (void)arbiter::detail::thread_shard_hint();
        EXPECT_EQ(arbiter::detail::thread_shard_hint(), arbiter::detail::thread_shard_hint()) << "a thread keeps it";
        claimed.count_down();
        done.wait();  // stay alive until every thread has claimed, so none gives its shard back early
      });
    }
    claimed.wait();
    const std::vector<unsigned> during = counts();
    unsigned low = ~0U;
    unsigned high = 0;
    unsigned added = 0;
    for (std::size_t i = 0; i < shards; ++i) {
      low = std::min(low, during[i]);
      high = std::max(high, during[i]);
      added += during[i] - before[i];
    }
    EXPECT_EQ(added, threads);
    EXPECT_LE(high - low, 1U) << "the fewest-held shard is taken each time";
    done.count_down();
  }
  EXPECT_EQ(counts(), before) << "ended threads give their shards back";
}

#if defined(__linux__)
/// Returns the niceness of this process's thread named `name` (from /proc), or -100 when there is none.
int niceness_of_thread(const std::string& name) {
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string thread_name;
    std::getline(comm, thread_name);
    if (thread_name != name) continue;
    std::ifstream stat(task.path() / "stat");
    std::string line;
    std::getline(stat, line);
    // Fields after the parenthesised name: state is field 3, nice is field 19.
    std::istringstream fields(line.substr(line.rfind(')') + 2));
    std::string field;
    for (int i = 3; i <= 19 && fields >> field; ++i) {
      if (i == 19) return std::stoi(field);
    }
  }
  return -100;
}

TEST(batch_processor, worker_nice_lowers_the_export_thread_alone_and_it_still_exports) {
  scripted_exporter exporter;
  auto o = fast_options();
  o.worker_nice = 10;
  processor p(exporter, o);
  for (int i = 0; i < 50; ++i) p.on_end(named("s"));
  ASSERT_TRUE(p.force_flush(5s));  // the worker ran its first lines by now
  EXPECT_EQ(niceness_of_thread("arbiter-export"), 10);
  EXPECT_EQ(::getpriority(PRIO_PROCESS, static_cast<id_t>(::gettid())), 0) << "the calling thread is untouched";
  EXPECT_EQ(p.stats().exported, 50U);
  EXPECT_EQ(p.last_error(), "");
}
#endif

TEST(batch_processor, threads_tracing_while_the_exporter_runs_lose_nothing_uncounted) {
  scripted_exporter exporter;
  auto o = fast_options();
  o.max_queue_size = 64;  // small, so drops happen too
  o.max_export_batch_size = 16;
  o.schedule_delay = 1ms;
  auto p = std::make_shared<processor>(exporter, o);
  arbiter::tracer<arbiter::trace_id_ratio, processor> tracer(p, arbiter::trace_id_ratio(0.75));
  std::atomic<std::uint64_t> recorded{0};
  std::atomic<bool> stop{false};
  {
    std::vector<std::jthread> workers;
    for (int t = 0; t < 4; ++t) {
      workers.emplace_back([&, tracer]() mutable {
        while (!stop.load(std::memory_order_relaxed)) {
          arbiter::trace(tracer, "outer", [&](auto& span) {
            if (span.is_recording()) recorded.fetch_add(1, std::memory_order_relaxed);
            auto inner = tracer.start_span("inner");
            inner.set_attribute("k", "v");
            if (inner.is_recording()) recorded.fetch_add(1, std::memory_order_relaxed);
          });
        }
      });
    }
    const auto until = std::chrono::steady_clock::now() + 400ms;
    std::uint64_t last_exported = 0;
    while (std::chrono::steady_clock::now() < until) {
      const auto s = p->stats();
      EXPECT_GE(s.exported, last_exported) << "counters only grow";
      EXPECT_LE(s.exported + s.dropped(), recorded.load()) << "nothing is exported or dropped twice";
      last_exported = s.exported;
      std::this_thread::sleep_for(10ms);
    }
    stop = true;
  }
  p->shutdown(5s);
  const auto s = p->stats();
  EXPECT_GT(s.exported, 0U);
  EXPECT_EQ(s.exported + s.dropped(), recorded.load());
  EXPECT_EQ(s.ended, recorded.load());
  EXPECT_EQ(exporter.with([](auto& st) { return st.spans; }), s.exported);
}

// ---- metrics ---------------------------------------------------------------------------------------------

/// The processor's members as they were before metrics, in order: with null_metrics it must be no bigger. (The
/// count of spans refused after shutdown, added with metrics, sits in the padding of the `accepting_` line.)
struct batch_processor_layout_before_metrics {
  scripted_exporter exporter;
  const arbiter::batch_options options;
  std::vector<std::unique_ptr<arbiter::detail::span_ring>> shards;
  std::vector<std::unique_ptr<arbiter::detail::span_ring>> free;
  std::size_t shard_mask = 0;
  std::size_t shard_capacity = 0;
  std::size_t wake_mask = 0;
  std::size_t batch_threshold = 1;
  std::vector<arbiter::span_data*> refs;
  std::vector<std::size_t> ref_shards;
  alignas(64) std::atomic<bool> accepting{true};
  std::atomic<bool> shutting_down{false};
  std::unique_ptr<arbiter::detail::padded_counter[]> dropped_queue_full;
  std::atomic<std::uint64_t> dropped_after_shutdown{0};
  alignas(64) std::atomic<std::uint64_t> exported{0};
  std::atomic<std::uint64_t> dropped_export_failed{0};
  std::atomic<std::uint64_t> export_calls{0};
  std::atomic<std::uint64_t> retries{0};
  arbiter::detail::wake_word wake;
  mutable std::mutex mutex;
  std::condition_variable retry_cv;
  std::condition_variable done_cv;
  std::stop_source cancel;
  std::atomic<std::int64_t> flush_deadline{0};
  std::atomic<std::int64_t> shutdown_deadline{0};
  std::atomic<bool> shutdown_in_time{true};
  bool stopping = false;
  bool stopped = false;
  std::atomic<bool> abort{false};
  std::uint64_t flush_requested = 0;
  std::uint64_t flush_done = 0;
  std::string last_error;
  std::jthread worker;
};

using metered_processor = arbiter::batch_processor<scripted_exporter, arbiter::metrics_registry>;

TEST(batch_processor, with_null_metrics_it_has_the_size_it_had_without_metrics) {
  static_assert(std::is_same_v<processor, arbiter::batch_processor<scripted_exporter, arbiter::null_metrics>>);
  static_assert(std::is_empty_v<arbiter::detail::batch_instruments<arbiter::null_metrics>>);
  static_assert(sizeof(processor) == sizeof(batch_processor_layout_before_metrics));
  static_assert(sizeof(metered_processor) > sizeof(processor));
  processor p(scripted_exporter{}, fast_options());
  EXPECT_EQ(p.stats().ended, 0U);
}

/// Reads one sample of the registry's text, failing the test when it is absent.
double sample(const std::map<std::string, double>& samples, const std::string& key) {
  const auto it = samples.find(key);
  if (it == samples.end()) {
    ADD_FAILURE() << "no sample " << key;
    return -1;
  }
  return it->second;
}

TEST(batch_processor, reports_spans_ended_exported_dropped_by_reason_the_queue_and_export_durations) {
  arbiter::metrics_registry registry;
  scripted_exporter exporter;
  exporter.close_gate();
  exporter.with([](auto& s) { return s.permanent_failures = 1; });  // the first export fails for good
  auto o = fast_options();
  o.schedule_delay = 1h;
  const auto began = std::chrono::steady_clock::now();
  auto p = std::make_unique<metered_processor>(exporter, o, registry);
  p->on_end(named("first"));
  (void)p->force_flush(0ms);
  ASSERT_TRUE(exporter.wait_in_export()) << "the worker holds `first` in the exporter";
  const std::size_t capacity = p->queue_capacity();
  for (std::size_t i = 0; i < capacity + 5; ++i) p->on_end(named("x"));  // fills the queue; 5 do not fit

  auto text = registry.expose();
  auto m = test::parse_exposition(text);
  EXPECT_EQ(sample(m, "arbiter_tracing_spans_ended_total"), static_cast<double>(capacity + 6)) << text;
  EXPECT_EQ(sample(m, "arbiter_tracing_spans_exported_total"), 0);
  EXPECT_EQ(sample(m, "arbiter_tracing_spans_dropped_total{reason=\"queue_full\"}"), 5);
  EXPECT_EQ(sample(m, "arbiter_tracing_spans_dropped_total{reason=\"export_failed\"}"), 0);
  EXPECT_EQ(sample(m, "arbiter_tracing_spans_dropped_total{reason=\"after_shutdown\"}"), 0);
  EXPECT_EQ(sample(m, "arbiter_tracing_queue_depth"), static_cast<double>(capacity));
  EXPECT_EQ(sample(m, "arbiter_tracing_export_duration_seconds_count"), 0);

  exporter.open_gate();  // `first` fails for good, then the queue is exported
  EXPECT_TRUE(p->force_flush(5s));
  EXPECT_TRUE(p->shutdown(5s));
  p->on_end(named("late"));
  p->on_end(named("later"));
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();

  const arbiter::batch_stats stats = p->stats();
  text = registry.expose();
  m = test::parse_exposition(text);
  EXPECT_EQ(sample(m, "arbiter_tracing_spans_ended_total"), static_cast<double>(capacity + 8)) << text;
  EXPECT_EQ(sample(m, "arbiter_tracing_spans_exported_total"), static_cast<double>(capacity));
  EXPECT_EQ(sample(m, "arbiter_tracing_spans_dropped_total{reason=\"queue_full\"}"), 5);
  EXPECT_EQ(sample(m, "arbiter_tracing_spans_dropped_total{reason=\"export_failed\"}"), 1);
  EXPECT_EQ(sample(m, "arbiter_tracing_spans_dropped_total{reason=\"after_shutdown\"}"), 2);
  EXPECT_EQ(sample(m, "arbiter_tracing_queue_depth"), 0);
  EXPECT_EQ(stats.ended, capacity + 8);
  EXPECT_EQ(stats.ended, stats.exported + stats.dropped()) << "after the shutdown nothing is queued";
  // One observation per export call (the failed one included), each between 0 and the whole test.
  const double calls = static_cast<double>(exporter.with([](auto& s) { return s.calls; }));
  EXPECT_EQ(calls, static_cast<double>(stats.export_calls));
  EXPECT_EQ(sample(m, "arbiter_tracing_export_duration_seconds_count"), calls);
  EXPECT_EQ(sample(m, "arbiter_tracing_export_duration_seconds_bucket{le=\"+Inf\"}"), calls);
  EXPECT_GT(sample(m, "arbiter_tracing_export_duration_seconds_sum"), 0);
  EXPECT_LE(sample(m, "arbiter_tracing_export_duration_seconds_sum"), elapsed);

  p.reset();  // the callback series leave the scrape with the processor
  m = test::parse_exposition(registry.expose());
  EXPECT_EQ(m.count("arbiter_tracing_spans_ended_total"), 0U);
  EXPECT_EQ(m.count("arbiter_tracing_queue_depth"), 0U);
}

TEST(batch_processor, a_second_processor_on_the_same_registry_is_refused_by_name) {
  arbiter::metrics_registry registry;
  metered_processor first(scripted_exporter{}, fast_options(), registry);
  try {
    metered_processor second(scripted_exporter{}, fast_options(), registry);
    ADD_FAILURE() << "two processors wrote the same series";
  } catch (const arbiter::metrics_error& error) {
    EXPECT_NE(std::string(error.what()).find("arbiter_tracing_"), std::string::npos) << error.what();
  }
}

TEST(batch_processor, a_scrape_while_threads_trace_reads_counts_that_only_grow_and_add_up) {
  arbiter::metrics_registry registry;
  scripted_exporter exporter;
  auto o = fast_options();
  o.max_queue_size = 64;  // small, so drops happen too
  o.max_export_batch_size = 16;
  o.schedule_delay = 1ms;
  auto p = std::make_shared<metered_processor>(exporter, o, registry);
  arbiter::tracer<arbiter::always_on, metered_processor> tracer(p, arbiter::always_on{});
  std::atomic<std::uint64_t> recorded{0};
  std::atomic<bool> stop{false};
  const auto total = [](const std::map<std::string, double>& m) {
    return sample(m, "arbiter_tracing_spans_exported_total") +
           sample(m, "arbiter_tracing_spans_dropped_total{reason=\"queue_full\"}") +
           sample(m, "arbiter_tracing_spans_dropped_total{reason=\"export_failed\"}") +
           sample(m, "arbiter_tracing_spans_dropped_total{reason=\"after_shutdown\"}");
  };
  {
    std::vector<std::jthread> workers;
    for (int t = 0; t < 3; ++t) {
      workers.emplace_back([&, tracer]() mutable {
        while (!stop.load(std::memory_order_relaxed)) {
          tracer.start_span("work").end();
          recorded.fetch_add(1, std::memory_order_relaxed);
        }
      });
    }
    const auto until = std::chrono::steady_clock::now() + 300ms;
    double last_ended = 0;
    double last_done = 0;
    while (std::chrono::steady_clock::now() < until) {
      const auto m = test::parse_exposition(registry.expose());
      const double ended = sample(m, "arbiter_tracing_spans_ended_total");
      const double done = total(m);
      EXPECT_GE(ended, last_ended) << "counters only grow";
      EXPECT_GE(done, last_done) << "counters only grow";
      EXPECT_LE(done, static_cast<double>(recorded.load()) + 3) << "nothing is counted that was not ended";
      last_ended = ended;
      last_done = done;
    }
    stop = true;
  }
  p->shutdown(5s);
  const auto m = test::parse_exposition(registry.expose());
  EXPECT_EQ(sample(m, "arbiter_tracing_spans_ended_total"), static_cast<double>(recorded.load()));
  EXPECT_EQ(total(m), static_cast<double>(recorded.load()));
  EXPECT_GT(sample(m, "arbiter_tracing_spans_exported_total"), 0);
  EXPECT_EQ(sample(m, "arbiter_tracing_queue_depth"), 0);
}

}  // namespace

// Exporting never outlives its deadline (issue 16): Retry-After, backoff, and a collector that is down, slow or
// rejecting, with the caller's deadlines and threads tracing all along.
namespace {

/// What a timed_exporter answers and records.
struct timed_state {
  std::mutex mutex;
  std::vector<arbiter::export_result> script;  ///< answers for the next calls, in order; then success
  std::vector<std::chrono::steady_clock::time_point> calls;
};

/// An exporter that answers from a script and notes when each call came.
class timed_exporter : public shared_state<timed_state> {
 public:
  explicit timed_exporter(std::vector<arbiter::export_result> script) { s_->script = std::move(script); }
  arbiter::export_result export_spans(std::span<const arbiter::span_data> /*batch*/, std::chrono::milliseconds) {
    const std::lock_guard lock(s_->mutex);
    s_->calls.push_back(std::chrono::steady_clock::now());
    if (s_->calls.size() > s_->script.size()) return arbiter::export_result::success();
    return s_->script[s_->calls.size() - 1];
  }
  /// Returns the time between consecutive calls.
  [[nodiscard]] std::vector<std::chrono::steady_clock::duration> gaps() const {
    return with([](timed_state& s) {
      std::vector<std::chrono::steady_clock::duration> out;
      for (std::size_t i = 1; i < s.calls.size(); ++i) out.push_back(s.calls[i] - s.calls[i - 1]);
      return out;
    });
  }
};

TEST(batch_processor, a_receivers_retry_after_is_waited_instead_of_the_backoff) {
  timed_exporter exporter({arbiter::export_result::retry("429 too many requests", 250ms)});
  auto o = fast_options();  // a backoff of 1 to 4 ms: the wait below can only come from the Retry-After
  arbiter::batch_processor<timed_exporter> p(exporter, o);
  p.on_end(named("a"));
  EXPECT_TRUE(p.force_flush(10s));
  const auto gaps = exporter.gaps();
  ASSERT_EQ(gaps.size(), 1U);
  EXPECT_GE(gaps[0], 250ms) << "the second attempt came before the receiver's Retry-After";
  EXPECT_LT(gaps[0], 5s);
  EXPECT_EQ(p.stats().exported, 1U);
  EXPECT_EQ(p.stats().retries, 1U);
}

TEST(batch_processor, a_retry_after_beyond_the_deadline_gives_up_at_once_and_counts_the_batch) {
  timed_exporter exporter({arbiter::export_result::retry("503 service unavailable", 60s)});
  auto o = fast_options();
  o.schedule_delay = 1h;
  o.export_timeout = 30s;
  arbiter::batch_processor<timed_exporter> p(exporter, o);
  for (int i = 0; i < 3; ++i) p.on_end(named("a"));
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(p.force_flush(start + 500ms)) << "the batch was settled (counted as failed) within the deadline";
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1500ms) << "it did not sleep towards the 60 s Retry-After";
  EXPECT_EQ(exporter.gaps().size(), 0U) << "no second attempt";
  const auto stats = p.stats();
  EXPECT_EQ(stats.dropped_export_failed, 3U);
  EXPECT_EQ(stats.exported + stats.dropped(), stats.ended);
}

TEST(batch_processor, without_retry_after_the_backoff_doubles_up_to_its_maximum_with_jitter) {
  std::vector<arbiter::export_result> script(4, arbiter::export_result::retry("cannot connect: connection refused"));
  timed_exporter exporter(script);
  auto o = fast_options();
  o.initial_backoff = 40ms;
  o.max_backoff = 160ms;
  o.max_attempts = 5;
  o.export_timeout = 20s;
  arbiter::batch_processor<timed_exporter> p(exporter, o);
  p.on_end(named("a"));
  EXPECT_TRUE(p.force_flush(20s));
  const auto gaps = exporter.gaps();
  ASSERT_EQ(gaps.size(), 4U);
  // Each wait is the backoff times a jitter in [0.5, 1]: 40, 80, 160, 160 ms at most, half that at least.
  const std::array<std::chrono::milliseconds, 4> backoff{40ms, 80ms, 160ms, 160ms};
  for (std::size_t i = 0; i < gaps.size(); ++i) {
    EXPECT_GE(gaps[i], backoff[i] / 2 - 1ms) << "retry " << i + 1 << " came before half its backoff";
    EXPECT_LT(gaps[i], backoff[i] + 2s) << "retry " << i + 1;
  }
  EXPECT_EQ(p.stats().exported, 1U);
  EXPECT_EQ(p.stats().retries, 4U);
}

/// How the collector behind a misbehaving_exporter fails.
enum class collector { down, slow, bad_request };

struct misbehaving_state {
  std::mutex mutex;
  std::condition_variable cv;
  std::size_t calls = 0;
};

/// A collector that is down (connection refused at once, retryable), slow (answers after 10 s, whatever the
/// timeout, unless the processor's stop token is requested) or rejecting every request (HTTP 400).
class misbehaving_exporter : public shared_state<misbehaving_state> {
 public:
  explicit misbehaving_exporter(collector how) : how_(how) {}
  arbiter::export_result export_spans(std::span<const arbiter::span_data> batch, std::chrono::milliseconds timeout) {
    return export_spans(batch, timeout, std::stop_token{});
  }
  arbiter::export_result export_spans(std::span<const arbiter::span_data> /*batch*/, std::chrono::milliseconds,
                                      std::stop_token stop) {
    std::unique_lock lock(s_->mutex);
    ++s_->calls;
    switch (how_) {
      case collector::down:
        return arbiter::export_result::retry("cannot connect: connection refused");
      case collector::bad_request:
        return arbiter::export_result::fail("HTTP 400 bad request");
      case collector::slow:
        break;
    }
    const std::stop_callback wake(stop, [this] {
      const std::lock_guard inner(s_->mutex);
      s_->cv.notify_all();
    });
    if (s_->cv.wait_for(lock, 10s, [&] { return stop.stop_requested(); })) {
      return arbiter::export_result::retry("stopped at the processor's shutdown deadline");
    }
    return arbiter::export_result::success();
  }

 private:
  collector how_;
};

class deadlines : public ::testing::TestWithParam<collector> {};

TEST_P(deadlines, flush_and_shutdown_return_by_their_deadline_traced_threads_never_block_and_every_span_is_counted) {
  using batch = arbiter::batch_processor<misbehaving_exporter>;
  misbehaving_exporter exporter(GetParam());
  auto o = fast_options();
  o.max_queue_size = 1024;
  o.export_timeout = 30s;  // the SDK default: only the caller's deadlines can bound the waits
  o.max_attempts = 1000;
  o.initial_backoff = 20ms;
  o.max_backoff = 100ms;
  const auto p = std::make_shared<batch>(exporter, o);
  const arbiter::tracer<arbiter::always_on, batch> tracer(p);
  constexpr std::size_t threads = 2;
  constexpr std::size_t per_thread = 3000;
  std::array<std::chrono::steady_clock::duration, threads> burst{};
  {
    std::vector<std::jthread> workers;
    for (std::size_t t = 0; t < threads; ++t) {
      workers.emplace_back([&, t] {
        const auto start = std::chrono::steady_clock::now();
        for (std::size_t i = 0; i < per_thread; ++i) {
          arbiter::trace(
              tracer, "work", [] {}, arbiter::attr("i", static_cast<std::int64_t>(i)));
        }
        burst[t] = std::chrono::steady_clock::now() - start;
      });
    }
  }
  for (const auto took : burst) {
    // The slow collector holds an export for 10 s: a span end that waited for it would take longer than this.
    EXPECT_LT(took, 5s) << "a burst of " << per_thread << " span ends waited for the exporter";
  }

  const auto flush_start = std::chrono::steady_clock::now();
  (void)p->force_flush(flush_start + 300ms);
  EXPECT_LT(std::chrono::steady_clock::now() - flush_start, 300ms + 1s) << "force_flush outlived its deadline";

  for (int i = 0; i < 100; ++i) tracer.start_span("after the flush").end();
  const auto shutdown_start = std::chrono::steady_clock::now();
  (void)p->shutdown(300ms);
  EXPECT_LT(std::chrono::steady_clock::now() - shutdown_start, 300ms + 1s) << "shutdown outlived its deadline";

  const auto stats = p->stats();
  EXPECT_EQ(stats.ended, threads * per_thread + 100);
  EXPECT_EQ(stats.exported + stats.dropped(), stats.ended) << "exported plus dropped is what ended, exactly";
  EXPECT_EQ(stats.exported, 0U);
  EXPECT_GT(exporter.with([](auto& s) { return s.calls; }), 0U);
  if (GetParam() == collector::bad_request) {
    EXPECT_EQ(stats.retries, 0U) << "a 400 is not retried";
    EXPECT_EQ(stats.export_calls, exporter.with([](auto& s) { return s.calls; }));
  }
}

INSTANTIATE_TEST_SUITE_P(batch_processor, deadlines,
                         ::testing::Values(collector::down, collector::slow, collector::bad_request),
                         [](const ::testing::TestParamInfo<collector>& param) {
                           switch (param.param) {
                             case collector::down:
                               return std::string("collector_down");
                             case collector::slow:
                               return std::string("collector_slow");
                             case collector::bad_request:
                               return std::string("collector_answers_400");
                           }
                           return std::string("unknown");
                         });

}  // namespace

namespace {

TEST(batch_processor, clear_for_reuse_leaves_nothing_of_the_span_before) {
  arbiter::span_data s;
  s.name = "before";
  s.context = {arbiter::trace_id{1, 2}, arbiter::span_id{3}, 1, true};
  s.parent_span_id = arbiter::span_id{4};
  s.kind = arbiter::span_kind::server;
  s.attributes.emplace_back("k", std::string("v"));
  s.events.push_back({});
  s.links.push_back({});
  s.status = arbiter::span_status::error;
  s.status_description = "bad";
  s.dropped_attributes = s.dropped_events = s.dropped_links = 1;
  s.trace_state = "vendor=1";
  s.parent_remote = true;
  arbiter::detail::clear_for_reuse(s);
  const arbiter::span_data fresh;
  EXPECT_EQ(s.name, fresh.name);
  EXPECT_EQ(s.context, fresh.context);
  EXPECT_EQ(s.parent_span_id, fresh.parent_span_id);
  EXPECT_EQ(s.kind, fresh.kind);
  EXPECT_TRUE(s.attributes.empty() && s.events.empty() && s.links.empty());
  EXPECT_EQ(s.status, fresh.status);
  EXPECT_TRUE(s.status_description.empty());
  EXPECT_EQ(s.dropped_attributes + s.dropped_events + s.dropped_links, 0u);
  EXPECT_TRUE(s.trace_state.empty());
  EXPECT_FALSE(s.parent_remote);
}

}  // namespace
