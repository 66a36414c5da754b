#pragma once

/// \file
/// health_monitor<Checks...>: a compile-time set of checks, run concurrently on a bounded pool, each under its own
/// timeout, on demand or in the background, answering liveness, readiness and startup probes.
///
/// Threads. The pool grows on demand up to `health_config::max_threads` (default: one per check) and never beyond:
/// a check has at most one run in flight, so one thread per check is all the pool can ever use. A check that
/// overruns its timeout is reported UNHEALTHY ("timed out after 2000 ms") at its deadline and is not started again
/// while it still runs; each later attempt counts as another failure.
///
/// Shutdown. The destructor requests stop on the std::stop_token every check can take, waits up to
/// `health_config::stop_grace` (real time) for running checks to return, and joins every thread that is free.
/// A check that ignores its stop token and outlives the grace is abandoned: its thread is detached and keeps the
/// monitor's internals (the check objects, the policies) alive until the check returns, then ends. Its late result
/// is dropped and no subscriber is called. The destructor therefore returns within about `stop_grace`; what an
/// abandoned check touches outside the monitor (an object held by reference) must outlive it.

#include <algorithm>
#include <array>
#include <atomic>
#include <concepts>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <arbiter/clock/clock.hpp>
#include <arbiter/clock/coarse_clock.hpp>
#include <arbiter/detail/chrono.hpp>
#include <arbiter/detail/functional.hpp>
#include <arbiter/health/aggregator.hpp>
#include <arbiter/health/check.hpp>
#include <arbiter/health/health_metrics.hpp>
#include <arbiter/health/report.hpp>
#include <arbiter/logging/logger.hpp>
#include <arbiter/logging/null_logger.hpp>
#include <arbiter/tracing/null_tracer.hpp>
#include <arbiter/tracing/tracer.hpp>

namespace arbiter::inline v1 {

/// When checks run: when a probe asks (results cached for each check's cache_ttl), or on a schedule, with probes
/// reading the latest results.
enum class health_mode : std::uint8_t { on_demand, background };

[[nodiscard]] constexpr std::string_view to_string(health_mode mode) noexcept {
  return mode == health_mode::on_demand ? "on_demand" : "background";
}

/// The monitor's runtime settings (the `health` config section).
struct health_config {
  health_mode mode = health_mode::on_demand;
  std::chrono::milliseconds interval{10000};   ///< background: how often each check runs (at least its cache_ttl)
  std::chrono::milliseconds initial_delay{0};  ///< background: how long after construction the first run starts
  std::size_t max_threads = 0;                 ///< upper bound of the pool; 0 means one thread per check
  std::chrono::milliseconds stop_grace{1000};  ///< real time the destructor waits for running checks
  bool own_thread = true;  ///< background: run the schedule on a thread of the monitor; false: call tick() yourself
  /// An upper bound on every check's timeout (the `health.check_timeout` setting): a check that declares a
  /// shorter one keeps it. Empty: each check's own timeout (check_options::timeout_ms, 2000 ms by default).
  std::optional<std::chrono::milliseconds> check_timeout{};
};

/// The policies of a monitor, as types and as values: `health_policies<manual_clock, recording_logger>{clock, log}`.
/// `Metrics` (null_metrics, or a metrics_registry) receives each check's status, durations and timeouts and each
/// probe's status (health_metrics.hpp).
template <class Clock = steady_clock, class Logger = null_logger, class Tracer = null_tracer,
          class Aggregator = worst_of_critical_capped, class Metrics = null_metrics>
struct health_policies {
  using clock_type = Clock;
  using logger_type = Logger;
  using tracer_type = Tracer;
  using aggregator_type = Aggregator;
  using metrics_type = Metrics;

  [[no_unique_address]] Clock clock{};
  [[no_unique_address]] Logger logger{};
  [[no_unique_address]] Tracer tracer{};
  [[no_unique_address]] Aggregator aggregator{};
  [[no_unique_address]] Metrics metrics{};
};

/// What changed: one check's status, the overall status (every check), or the readiness switch.
enum class change_subject : std::uint8_t { check, overall, traffic };

[[nodiscard]] constexpr std::string_view to_string(change_subject subject) noexcept {
  switch (subject) {
    case change_subject::check:
      return "check";
    case change_subject::overall:
      return "overall";
    case change_subject::traffic:
      return "traffic";
  }
  return "unknown";
}

/// A status change, as subscribers receive it. For the readiness switch, HEALTHY means accepting traffic.
struct status_change {
  change_subject subject = change_subject::check;
  std::string_view check;             ///< the check's name (subject::check), empty otherwise
  std::optional<health_status> from;  ///< empty for a check's first result
  health_status to = health_status::healthy;
  std::string message;
};

namespace detail {

/// True for clocks whose time points advance with real time, so a condition variable can wait for them directly.
template <class C>
inline constexpr bool clock_follows_real_time = std::is_same_v<C, steady_clock> || std::is_same_v<C, coarse_clock>;

/// Everything the threads share. Owned jointly by the monitor and its threads, so an abandoned hung check can
/// finish safely after the monitor is gone.
template <class Policies, class... Checks>
class health_core : public std::enable_shared_from_this<health_core<Policies, Checks...>> {
 public:
  using clock_type = typename Policies::clock_type;
  using logger_type = typename Policies::logger_type;
  using tracer_type = typename Policies::tracer_type;
  using aggregator_type = typename Policies::aggregator_type;
  using metrics_type = typename Policies::metrics_type;
  using time_point = typename clock_type::time_point;
  using rep = typename clock_type::duration::rep;

  static constexpr std::size_t count = sizeof...(Checks);
  static constexpr std::array<std::string_view, count> names{check_traits<Checks>::name...};
  static constexpr std::array<probe_set, count> probes{check_traits<Checks>::probes...};
  static constexpr std::array<bool, count> critical{check_traits<Checks>::critical...};
  static constexpr std::array<component_type, count> types{check_traits<Checks>::type...};
  static constexpr std::array<std::string_view, count> component_ids{check_traits<Checks>::component_id...};
  /// Each check's own timeout, from its traits (health_config::check_timeout may lower it at run time).
  static constexpr std::array<std::chrono::milliseconds, count> own_timeouts{check_traits<Checks>::timeout...};
  static constexpr std::array<std::chrono::milliseconds, count> cache_ttls{check_traits<Checks>::cache_ttl...};
  static constexpr std::array<std::uint32_t, count> thresholds{check_traits<Checks>::failure_threshold...};
  static constexpr std::array<std::chrono::milliseconds, count> graces{check_traits<Checks>::failure_grace...};

  health_core(health_config settings, Policies policies, Checks... check_objects)
      : checks_(std::move(check_objects)...),
        clock_(std::move(policies.clock)),
        logger_(std::move(policies.logger)),
        tracer_(std::move(policies.tracer)),
        aggregator_(std::move(policies.aggregator)),
        config_(settings),
        thread_limit_(settings.max_threads == 0 ? count : std::min(settings.max_threads, count)),
        wall_anchor_(std::chrono::system_clock::now()),
        clock_anchor_(clock_.now()),
        first_due_(clock_anchor_ + settings.initial_delay),
        instruments_(
            std::move(policies.metrics), names,
            [this](std::size_t i) { return static_cast<health_status>(slots_[i].status.load(std::memory_order_acquire)); },
            [this](probe which) { return probe_status_now(which); }) {
    const std::chrono::milliseconds cap = settings.check_timeout.value_or(std::chrono::milliseconds::max());
    for (std::size_t i = 0; i < count; ++i) timeouts[i] = std::min(own_timeouts[i], cap);
    for (auto& s : slots_) s.result = check_result::unhealthy("not checked yet");
    workers_.reserve(thread_limit_);  // spawning never reallocates, so a new thread is never dropped unjoined
    overall_ = fold_all();
  }

  health_core(const health_core&) = delete;
  health_core& operator=(const health_core&) = delete;
  health_core(health_core&&) = delete;
  health_core& operator=(health_core&&) = delete;
  ~health_core() = default;

  // ---- probes ---------------------------------------------------------------------------------------------

  /// Returns the aggregate status of the checks in `scope`, from cached results when they allow it.
  [[nodiscard]] health_status status(probe_set scope) {
    const time_point now = clock_.now();
    const rep now_ticks = now.time_since_epoch().count();
    health_status folded = health_status::healthy;
    bool fast = true;
    for (std::size_t i = 0; i < count; ++i) {
      if (!probes[i].contains_any(scope)) continue;
      const slot& s = slots_[i];
      if (now_ticks >= s.deadline.load(std::memory_order_acquire) ||
          (on_demand() && now_ticks >= s.fresh_until.load(std::memory_order_acquire))) {
        fast = false;
        break;
      }
      folded =
          aggregator_.fold(folded, static_cast<health_status>(s.status.load(std::memory_order_acquire)), critical[i]);
    }
    if (fast) return folded;
    std::unique_lock lock(mutex_);
    refresh(lock, scope, now);
    folded = fold_locked(scope);
    lock.unlock();
    drain();
    return folded;
  }

  /// Returns the full report for `scope`, running what is stale first (on demand).
  [[nodiscard]] health_report report(probe_set scope) {
    std::unique_lock lock(mutex_);
    refresh(lock, scope, clock_.now());
    health_report out;
    out.scope = scope;
    out.status = fold_locked(scope);
    out.checks.reserve(count);
    std::string failing;
    for (std::size_t i = 0; i < count; ++i) {
      if (!probes[i].contains_any(scope)) continue;
      const slot& s = slots_[i];
      out.checks.push_back(check_report{names[i], types[i], component_ids[i], critical[i], s.checked, s.result});
      if (s.result.status != health_status::healthy) {
        if (!failing.empty()) failing += "; ";
        failing += names[i];
        failing += ' ';
        failing += to_ietf_status(s.result.status);
        if (!s.result.message.empty()) failing += ": " + s.result.message;
      }
    }
    lock.unlock();
    drain();
    if (scope.contains(probe::readiness)) {
      out.accepting_traffic = accepting_.load(std::memory_order_acquire);
      if (!out.accepting_traffic) {
        out.status = health_status::unhealthy;
        out.output = "refusing traffic";
        if (!failing.empty()) out.output += "; " + failing;
        return out;
      }
    }
    if (out.status != health_status::healthy) out.output = failing;
    return out;
  }

  /// Latches once the startup probe passes (Kubernetes stops asking then, and so do we).
  [[nodiscard]] bool started() {
    if (started_.load(std::memory_order_acquire)) return true;
    if (status(probe::startup) == health_status::unhealthy) return false;
    started_.store(true, std::memory_order_release);
    return true;
  }

  [[nodiscard]] bool accepting() const noexcept { return accepting_.load(std::memory_order_acquire); }

  void set_accepting(bool accept) {
    if (accepting_.exchange(accept, std::memory_order_acq_rel) == accept) return;
    {
      const std::lock_guard lock(mutex_);
      pending_.push_back(status_change{change_subject::traffic,
                                       {},
                                       accept ? health_status::unhealthy : health_status::healthy,
                                       accept ? health_status::healthy : health_status::unhealthy,
                                       accept ? "accepting traffic" : "refusing traffic"});
    }
    drain();
  }

  // ---- schedule ---------------------------------------------------------------------------------------------

  /// Starts every check that is due, waits for them up to their deadlines, and returns when the next is due.
  time_point tick() {
    std::unique_lock lock(mutex_);
    const time_point now = clock_.now();
    record_timeouts(now);
    const auto waits = start_due(now);
    wait_for_runs(lock, waits);
    const time_point next = next_event(clock_.now());
    lock.unlock();
    drain();
    return next;
  }

  /// The background thread: starts due checks without waiting for them and sleeps until the next due time or
  /// deadline.
  void run_schedule(std::stop_token stop) {
    std::unique_lock lock(mutex_);
    while (!stop.stop_requested()) {
      const time_point now = clock_.now();
      record_timeouts(now);
      (void)start_due(now);
      const time_point next = next_event(now);
      lock.unlock();
      drain();
      lock.lock();
      // Woken early by a finished run (its status changes are delivered now, not at the next due time) or by
      // request_runs().
      wait_until(lock, loop_cv_, next, [&] { return stop.stop_requested() || !pending_.empty() || wake_; });
      wake_ = false;
    }
  }

  /// Makes the checks of `scope` due now (not ones already running) and wakes the schedule.
  void request_runs(probe_set scope) {
    {
      const std::lock_guard lock(mutex_);
      for (std::size_t i = 0; i < count; ++i) {
        if (probes[i].contains_any(scope) && !slots_[i].running) slots_[i].rerun = true;
      }
      wake_ = true;
    }
    loop_cv_.notify_all();
  }

  // ---- subscribers ----------------------------------------------------------------------------------------

  std::uint64_t subscribe(std::function<void(const status_change&)> fn) {
    const std::lock_guard lock(subscribers_mutex_);
    const std::uint64_t id = next_subscriber_++;
    subscribers_.emplace_back(id, std::make_shared<const std::function<void(const status_change&)>>(std::move(fn)));
    return id;
  }

  bool unsubscribe(std::uint64_t id) {
    const std::lock_guard lock(subscribers_mutex_);
    const auto it =
        std::find_if(subscribers_.begin(), subscribers_.end(), [id](const auto& entry) { return entry.first == id; });
    if (it == subscribers_.end()) return false;
    subscribers_.erase(it);
    return true;
  }

  // ---- shutdown ---------------------------------------------------------------------------------------------

  /// Stops the pool (see the file comment); returns within about `stop_grace`.
  void shut_down() {
    stop_.request_stop();
    std::vector<worker> workers;
    {
      std::unique_lock lock(mutex_);
      work_cv_.notify_all();
      loop_cv_.notify_all();
      done_cv_.wait_for(lock, config_.stop_grace, [&] { return busy_workers_ == 0; });
      workers.swap(workers_);
    }
    {
      const std::lock_guard lock(subscribers_mutex_);
      subscribers_.clear();
    }
    for (auto& w : workers) {
      if (w.busy->load(std::memory_order_acquire)) {
        w.thread.detach();  // abandoned: it owns a reference to this core and ends when its check returns
      } else {
        w.thread.join();
      }
    }
  }

  [[nodiscard]] const health_config& config() const noexcept { return config_; }
  [[nodiscard]] std::size_t thread_count() const {
    const std::lock_guard lock(mutex_);
    return workers_.size();
  }
  [[nodiscard]] std::tuple<Checks...>& checks() noexcept { return checks_; }

 private:
  struct slot {
    // Read without the mutex by the fast path; written under it.
    std::atomic<std::uint8_t> status{static_cast<std::uint8_t>(health_status::unhealthy)};
    std::atomic<rep> fresh_until{std::numeric_limits<rep>::min()};
    std::atomic<rep> deadline{std::numeric_limits<rep>::max()};
    // Under the mutex.
    bool running = false;
    bool timed_out = false;
    bool checked = false;
    bool attempted = false;
    bool rerun = false;  // refresh() asked for a run before the interval is up
    std::uint64_t run = 0;
    time_point last_attempt{};
    std::uint32_t failures = 0;
    std::optional<time_point> failing_since;
    check_result result;
  };

  struct worker {
    std::jthread thread;
    std::shared_ptr<std::atomic<bool>> busy;
  };

  struct pending_run {
    std::size_t index;
    std::uint64_t run;
  };

  [[nodiscard]] bool on_demand() const noexcept { return config_.mode == health_mode::on_demand; }

  [[nodiscard]] static rep ticks(time_point t) noexcept { return t.time_since_epoch().count(); }

  [[nodiscard]] std::chrono::system_clock::time_point wall(time_point t) const noexcept {
    return wall_anchor_ + std::chrono::duration_cast<std::chrono::system_clock::duration>(t - clock_anchor_);
  }

  [[nodiscard]] health_status fold_locked(probe_set scope) const noexcept {
    health_status folded = health_status::healthy;
    for (std::size_t i = 0; i < count; ++i) {
      if (probes[i].contains_any(scope)) folded = aggregator_.fold(folded, slots_[i].result.status, critical[i]);
    }
    return folded;
  }

  [[nodiscard]] health_status fold_all() const noexcept { return fold_locked(all_probes); }

  /// A probe's status from the latest results, without running anything (what a metrics scrape reads).
  [[nodiscard]] health_status probe_status_now(probe which) const {
    if (which == probe::readiness && !accepting_.load(std::memory_order_acquire)) return health_status::unhealthy;
    const std::lock_guard lock(mutex_);
    return fold_locked(probe_set(which));
  }

  /// Waits on `cv` until `when` by the monitor's Clock, or until `done()`. Clocks that do not follow real time
  /// (manual_clock) are polled every millisecond.
  template <class Lock, class CV, class Done>
  void wait_until(Lock& lock, CV& cv, time_point when, Done done) {
    while (!done() && !stop_.stop_requested()) {
      const time_point now = clock_.now();
      if (now >= when) return;
      if constexpr (clock_follows_real_time<clock_type>) {
        cv.wait_for(lock, when - now);
      } else {
        cv.wait_for(lock, std::min<typename clock_type::duration>(when - now, std::chrono::milliseconds(1)));
      }
    }
  }

  /// On demand: starts the stale checks of `scope`, waits for them (and for runs already in flight) up to their
  /// deadlines. Background: only records timeouts that are due.
  void refresh(std::unique_lock<std::mutex>& lock, probe_set scope, time_point now) {
    record_timeouts(now);
    if (!on_demand()) return;
    std::vector<pending_run> waits;
    for (std::size_t i = 0; i < count; ++i) {
      if (!probes[i].contains_any(scope)) continue;
      slot& s = slots_[i];
      if (s.running) {
        if (!s.timed_out) {
          waits.push_back({i, s.run});
        } else if (ticks(now) >= s.fresh_until.load(std::memory_order_relaxed)) {
          fail_still_running(i, now);
        }
      } else if (ticks(now) >= s.fresh_until.load(std::memory_order_relaxed)) {
        if (start(i, now)) waits.push_back({i, s.run});
      }
    }
    wait_for_runs(lock, waits);
  }

  void wait_for_runs(std::unique_lock<std::mutex>& lock, const std::vector<pending_run>& waits) {
    const auto open = [&](const pending_run& w) {
      const slot& s = slots_[w.index];
      return s.run == w.run && s.running && !s.timed_out;
    };
    while (true) {
      time_point earliest = time_point::max();
      for (const auto& w : waits) {
        if (open(w))
          earliest = std::min(
              earliest,
              time_point(typename clock_type::duration(slots_[w.index].deadline.load(std::memory_order_relaxed))));
      }
      if (earliest == time_point::max() || stop_.stop_requested()) return;
      wait_until(lock, done_cv_, earliest, [&] { return std::none_of(waits.begin(), waits.end(), open); });
      record_timeouts(clock_.now());
    }
  }

  /// Marks every run past its deadline as timed out: UNHEALTHY now, though its thread may still be busy.
  void record_timeouts(time_point now) {
    for (std::size_t i = 0; i < count; ++i) {
      slot& s = slots_[i];
      if (!s.running || s.timed_out || ticks(now) < s.deadline.load(std::memory_order_relaxed)) continue;
      s.timed_out = true;
      s.deadline.store(std::numeric_limits<rep>::max(), std::memory_order_release);
      check_result result = check_result::unhealthy("timed out after " + std::to_string(timeouts[i].count()) + " ms");
      result.duration = timeouts[i];
      result.time = wall(now);
      instruments_.timed_out(i);
      apply(i, std::move(result), now);
      done_cv_.notify_all();
    }
  }

  /// Counts one more failure for a check whose timed-out run has not returned: it is not started again.
  void fail_still_running(std::size_t i, time_point now) {
    slot& s = slots_[i];
    s.last_attempt = now;
    check_result result = check_result::unhealthy("timed out after " + std::to_string(timeouts[i].count()) +
                                                  " ms; still running, not restarted");
    result.duration = timeouts[i];
    result.time = wall(now);
    apply(i, std::move(result), now);
  }

  /// Queues a run of check `i`; grows the pool when no thread is idle and the bound allows.
  bool start(std::size_t i, time_point now) {
    if (stop_.stop_requested()) return false;
    slot& s = slots_[i];
    s.running = true;
    s.timed_out = false;
    s.attempted = true;
    s.rerun = false;
    s.last_attempt = now;
    ++s.run;
    s.deadline.store(ticks(now + timeouts[i]), std::memory_order_release);
    queue_.push_back(pending_run{i, s.run});
    if (queue_.size() > idle_workers_ && workers_.size() < thread_limit_) spawn_worker();
    work_cv_.notify_one();
    return true;
  }

  /// Background: starts (or, when hung, fails once more) every check that is due at `now`.
  std::vector<pending_run> start_due(time_point now) {
    std::vector<pending_run> waits;
    for (std::size_t i = 0; i < count; ++i) {
      if (now < due(i)) continue;
      slot& s = slots_[i];
      if (!s.running) {
        if (start(i, now)) waits.push_back({i, s.run});
      } else if (s.timed_out) {
        fail_still_running(i, now);
      }
    }
    return waits;
  }

  [[nodiscard]] time_point due(std::size_t i) const noexcept {
    const slot& s = slots_[i];
    if (!s.attempted) return first_due_;
    if (s.rerun) return s.last_attempt;  // due already (a cached result's ttl still holds)
    const time_point by_interval = s.last_attempt + config_.interval;
    const time_point by_ttl = time_point(typename clock_type::duration(s.fresh_until.load(std::memory_order_relaxed)));
    return std::max(by_interval, by_ttl);
  }

  [[nodiscard]] time_point next_event(time_point now) const noexcept {
    time_point next = now + config_.interval;
    for (std::size_t i = 0; i < count; ++i) {
      const slot& s = slots_[i];
      if (s.running && !s.timed_out) {
        next = std::min(next, time_point(typename clock_type::duration(s.deadline.load(std::memory_order_relaxed))));
      } else {
        next = std::min(next, due(i));
      }
    }
    return next;
  }

  /// Adds a pool thread. If the system refuses one, the pool works with the threads it has; with none at all the
  /// queued run times out at its deadline like a hung check.
  void spawn_worker() {
    auto busy = std::make_shared<std::atomic<bool>>(false);
    auto self = this->shared_from_this();
    try {
      workers_.push_back(worker{std::jthread([self, busy] { self->work(*busy); }), busy});
    } catch (const std::system_error& error) {
      logger_.log(log_level::error, "health pool could not start a thread", kv("error", std::string_view(error.what())),
                  kv("threads", workers_.size()));
    }
  }

  /// A pool thread: takes queued runs until stop is requested.
  void work(std::atomic<bool>& busy) {
    std::unique_lock lock(mutex_);
    const std::stop_token stop = stop_.get_token();
    while (true) {
      ++idle_workers_;
      work_cv_.wait(lock, stop, [&] { return !queue_.empty(); });
      --idle_workers_;
      if (stop.stop_requested()) return;
      const pending_run job = queue_.front();
      queue_.pop_front();
      if (slot& s = slots_[job.index]; s.run == job.run && s.timed_out) {
        s.running = false;  // it waited in the queue past its deadline (a saturated pool): already reported, drop it
        done_cv_.notify_all();
        continue;
      }
      busy.store(true, std::memory_order_release);
      ++busy_workers_;
      lock.unlock();
      execute(job, stop);
      lock.lock();
      busy.store(false, std::memory_order_release);
      --busy_workers_;
      done_cv_.notify_all();
    }
  }

  template <std::size_t... I>
  check_result invoke_at(std::size_t index, std::stop_token stop, std::index_sequence<I...> /*unused*/) {
    check_result out;
    (void)((index == I ? (out = detail::invoke_check(std::get<I>(checks_), stop), true) : false) || ...);
    return out;
  }

  /// Runs one check outside the lock, then records what it returned.
  void execute(pending_run job, const std::stop_token& stop) {
    const time_point begin = clock_.now();
    check_result result;
    {
      auto span = tracer_.start_span("health.check");
      span.set_attribute("health.check.name", names[job.index]);
      try {
        result = invoke_at(job.index, stop, std::index_sequence_for<Checks...>{});
      } catch (const std::exception& error) {  // a std::bad_alloc while building the result
        result = check_result();
        result.status = health_status::unhealthy;
        result.message = error.what();
      }
      span.set_attribute("health.status", to_string(result.status));
      if (result.status == health_status::unhealthy) span.set_status(span_status::error, result.message);
      span.end();
    }
    const time_point end = clock_.now();
    result.duration = std::chrono::duration_cast<std::chrono::nanoseconds>(end - begin);
    instruments_.duration(job.index, std::chrono::duration<double>(end - begin).count());
    result.time = wall(end);
    {
      const std::lock_guard lock(mutex_);
      slot& s = slots_[job.index];
      if (s.run != job.run || !s.running) return;
      s.running = false;
      if (!s.timed_out) {
        s.deadline.store(std::numeric_limits<rep>::max(), std::memory_order_release);
        apply(job.index, std::move(result), end);
      }
      done_cv_.notify_all();
      loop_cv_.notify_all();  // the schedule thread delivers the changes this run caused
    }
  }

  /// Records a run's result: applies failure tolerance, publishes it for the fast path, queues status changes.
  void apply(std::size_t i, check_result result, time_point now) {
    slot& s = slots_[i];
    if (result.status == health_status::unhealthy) {
      ++s.failures;
      if (!s.failing_since) s.failing_since = now;
      const bool enough_failures = s.failures >= thresholds[i];
      const bool long_enough = now - *s.failing_since >= graces[i];
      if (!enough_failures || !long_enough) {
        result.status = health_status::degraded;
        result.message = "tolerated failure " + std::to_string(s.failures) + " (UNHEALTHY at " +
                         std::to_string(thresholds[i]) + " in a row and " + std::to_string(graces[i].count()) +
                         " ms in error): " + result.message;
      }
      result.details.emplace_back("consecutive_failures", std::to_string(s.failures));
    } else {
      s.failures = 0;
      s.failing_since.reset();
    }
    const std::optional<health_status> before =
        s.checked ? std::optional<health_status>(s.result.status) : std::nullopt;
    s.result = std::move(result);
    s.checked = true;
    s.status.store(static_cast<std::uint8_t>(s.result.status), std::memory_order_release);
    s.fresh_until.store(ticks(now + cache_ttls[i]), std::memory_order_release);
    if (before != s.result.status) {
      pending_.push_back(status_change{change_subject::check, names[i], before, s.result.status, s.result.message});
    }
    const health_status overall = fold_all();
    if (overall != overall_) {
      pending_.push_back(status_change{change_subject::overall, {}, overall_, overall, {}});
      overall_ = overall;
    }
  }

  /// Hands queued status changes to the Logger, the Tracer and subscribers, in the order they happened. Probe
  /// threads and the schedule thread deliver, never the pool, so a slow subscriber cannot hold a check's thread.
  /// One thread delivers at a time; a subscriber that causes more changes has them delivered by the same loop.
  void drain() {
    while (true) {
      status_change change;
      {
        const std::lock_guard lock(mutex_);
        if (draining_ || pending_.empty()) return;
        if (stop_.stop_requested()) {
          pending_.clear();
          return;
        }
        draining_ = true;
        change = std::move(pending_.front());
        pending_.pop_front();
      }
      announce(change);
      const std::lock_guard lock(mutex_);
      draining_ = false;
    }
  }

  void announce(const status_change& change) {
    const std::string_view from = change.from ? to_string(*change.from) : std::string_view("pending");
    // A readiness switch is a deliberate act (graceful shutdown), not a failure: it is news, not an error.
    const log_level level = change.subject == change_subject::traffic ? log_level::info
                            : change.to == health_status::unhealthy   ? log_level::error
                            : change.to == health_status::degraded    ? log_level::warn
                                                                      : log_level::info;
    if (logger_.enabled(level)) {
      if (change.subject == change_subject::check) {
        logger_.log(level, "health check status changed", kv("check", change.check), kv("from", from),
                    kv("to", to_string(change.to)), kv("message", std::string_view(change.message)));
      } else if (change.subject == change_subject::overall) {
        logger_.log(level, "health status changed", kv("from", from), kv("to", to_string(change.to)));
      } else {
        logger_.log(level, "readiness switched", kv("accepting_traffic", change.to == health_status::healthy));
      }
    }
    {
      auto span = tracer_.start_span("health.status_change");
      span.set_attribute("health.subject", to_string(change.subject));
      if (!change.check.empty()) span.set_attribute("health.check.name", change.check);
      span.set_attribute("health.from", from);
      span.set_attribute("health.to", to_string(change.to));
      if (change.to == health_status::unhealthy) span.set_status(span_status::error, change.message);
      span.end();
    }
    std::vector<std::shared_ptr<const std::function<void(const status_change&)>>> targets;
    {
      const std::lock_guard lock(subscribers_mutex_);
      targets.reserve(subscribers_.size());
      for (const auto& entry : subscribers_) targets.push_back(entry.second);
    }
    for (const auto& target : targets) {
      try {
        (*target)(change);
      } catch (const std::exception& error) {
        logger_.log(log_level::error, "health subscriber threw", kv("error", std::string_view(error.what())));
      } catch (...) {
        logger_.log(log_level::error, "health subscriber threw", kv("error", std::string_view("unknown exception")));
      }
    }
  }

  std::tuple<Checks...> checks_;
  std::array<slot, count> slots_{};
  [[no_unique_address]] clock_type clock_;
  [[no_unique_address]] logger_type logger_;
  [[no_unique_address]] tracer_type tracer_;
  [[no_unique_address]] aggregator_type aggregator_;
  health_config config_;
  std::size_t thread_limit_;
  std::chrono::system_clock::time_point wall_anchor_;
  time_point clock_anchor_;
  time_point first_due_;

  mutable std::mutex mutex_;
  std::condition_variable done_cv_;      // a run finished or timed out; workers went idle
  std::array<std::chrono::milliseconds, count> timeouts{};  // in force: own_timeouts capped by check_timeout
  bool wake_ = false;  // request_runs() asked the schedule thread to look again
  std::condition_variable_any work_cv_;  // a run was queued (or stop requested)
  std::condition_variable loop_cv_;      // the background schedule may have changed
  std::deque<pending_run> queue_;
  std::vector<worker> workers_;
  std::size_t idle_workers_ = 0;
  std::size_t busy_workers_ = 0;
  std::stop_source stop_;
  health_status overall_ = health_status::unhealthy;
  std::deque<status_change> pending_;
  bool draining_ = false;

  std::atomic<bool> accepting_{true};
  std::atomic<bool> started_{false};

  std::mutex subscribers_mutex_;
  std::vector<std::pair<std::uint64_t, std::shared_ptr<const std::function<void(const status_change&)>>>> subscribers_;
  std::uint64_t next_subscriber_ = 1;
  // Last: its scrape-time callbacks read the members above, so it is made after and destroyed before them.
  [[no_unique_address]] health_instruments<metrics_type, count> instruments_;
};

template <class... Checks>
consteval bool assert_health_checks() {
  (void)(assert_health_check<Checks>() && ...);
  if constexpr ((detail::check_has_name<Checks> && ...)) {
    static_assert(!detail::has_duplicate_check_names<Checks...>(),
                  "====> arbiter: two checks of a health_monitor have the same name; each name is a key of the "
                  "health+json `checks` object and must be unique.");
  }
  return true;
}

}  // namespace detail

/// A compile-time set of health checks with Clock, Logger, Tracer and Aggregator policies (see the file comment).
/// Not copyable or movable: it owns threads. Make it in place, or with make_health_monitor().
template <class Policies, class... Checks>
class basic_health_monitor {
  static_assert(assert_clock<typename Policies::clock_type>());
  static_assert(assert_logger<typename Policies::logger_type>());
  static_assert(assert_tracer<typename Policies::tracer_type>());
  static_assert(assert_metrics<typename Policies::metrics_type>());
  static_assert(assert_health_aggregator<typename Policies::aggregator_type>());
  static_assert(detail::assert_health_checks<Checks...>());

  using core_type = detail::health_core<Policies, Checks...>;

 public:
  using clock_type = typename Policies::clock_type;
  using time_point = typename clock_type::time_point;

  /// Builds the monitor with default-constructed checks. Throws std::invalid_argument for a bad config.
  explicit basic_health_monitor(health_config settings = {},
                                Policies policies = {}) requires(std::default_initializable<Checks>&&...)
      : core_(std::make_shared<core_type>(validated(settings), std::move(policies), Checks{}...)) {
    start_schedule();
  }

  /// Builds the monitor from check objects.
  basic_health_monitor(health_config settings, Checks... check_objects) requires(sizeof...(Checks) > 0)
      : core_(std::make_shared<core_type>(validated(settings), Policies{}, std::move(check_objects)...)) {
    start_schedule();
  }

  /// Builds the monitor from policy values and check objects.
  basic_health_monitor(health_config settings, Policies policies,
                       Checks... check_objects) requires(sizeof...(Checks) > 0)
      : core_(std::make_shared<core_type>(validated(settings), std::move(policies), std::move(check_objects)...)) {
    start_schedule();
  }

  basic_health_monitor(const basic_health_monitor&) = delete;
  basic_health_monitor& operator=(const basic_health_monitor&) = delete;
  basic_health_monitor(basic_health_monitor&&) = delete;
  basic_health_monitor& operator=(basic_health_monitor&&) = delete;

  /// Stops the schedule and the pool; returns within about `stop_grace` even if a check hangs.
  ~basic_health_monitor() { stop(); }

  /// Stops the schedule and the pool now, as the destructor does (a shutdown hook of the orchestrator): no
  /// check starts afterwards and subscribers are dropped. Calling it again does nothing more.
  void stop() {
    if (schedule_.joinable()) {
      schedule_.request_stop();
      core_->shut_down();
      schedule_.join();
    } else {
      core_->shut_down();
    }
  }

  /// Returns true unless the liveness probe is UNHEALTHY (restart me).
  [[nodiscard]] bool is_live() { return core_->status(probe::liveness) != health_status::unhealthy; }

  /// Returns true if the service accepts traffic and the readiness probe is not UNHEALTHY.
  [[nodiscard]] bool is_ready() {
    return core_->accepting() && core_->status(probe::readiness) != health_status::unhealthy;
  }

  /// Returns true once the startup probe has passed; it stays true afterwards.
  [[nodiscard]] bool is_started() { return core_->started(); }

  /// Returns the aggregate status of one probe (without the readiness switch).
  [[nodiscard]] health_status status(probe which) { return core_->status(which); }

  /// Returns the full report of one probe, for rendering; a readiness report honours the readiness switch.
  [[nodiscard]] health_report check(probe which) {
    health_report out = core_->report(which);
    if (which == probe::startup && out.status != health_status::unhealthy) (void)core_->started();
    return out;
  }

  /// Returns the report of every check, whatever its probes.
  [[nodiscard]] health_report check_all() { return core_->report(all_probes); }

  /// Flips the readiness switch: false makes readiness fail ("refusing traffic") while checks keep running.
  /// Graceful shutdown turns it off before draining.
  void set_accepting_traffic(bool accept) { core_->set_accepting(accept); }

  /// Returns the readiness switch.
  [[nodiscard]] bool accepting_traffic() const noexcept { return core_->accepting(); }

  /// Calls `fn` on every status change (a check's, the overall status, the readiness switch), in order, from a
  /// probe thread or the schedule thread, never a pool thread. `fn` should be quick; it may call the monitor.
  /// Returns an id for unsubscribe.
  std::uint64_t subscribe(std::function<void(const status_change&)> fn) { return core_->subscribe(std::move(fn)); }

  /// Stops calling a subscriber; returns false for an unknown id.
  bool unsubscribe(std::uint64_t id) { return core_->unsubscribe(id); }

  /// Background mode driven from outside (own_thread = false): starts the due checks, waits for them up to their
  /// deadlines and returns when the next check is due.
  time_point tick() { return core_->tick(); }

  /// Runs the checks of probe `which` again at the schedule's next step instead of at their interval, e.g. when
  /// the state they read has just changed (the orchestrator refreshes the startup probe once start() is done).
  /// On demand, the next probe runs them anyway once their cache_ttl is over.
  void refresh(probe which) { core_->request_runs(probe_set(which)); }

  /// Returns the check object of type `C` (for a dynamic_checks handle, or to inspect a check).
  template <class C>
  [[nodiscard]] C& get() noexcept {
    return std::get<C>(core_->checks());
  }

  /// Returns how many threads the pool has started so far (never more than max_threads or the number of checks).
  [[nodiscard]] std::size_t thread_count() const { return core_->thread_count(); }

  /// Returns the settings the monitor runs with.
  [[nodiscard]] const health_config& config() const noexcept { return core_->config(); }

  /// Returns the number of checks.
  [[nodiscard]] static constexpr std::size_t size() noexcept { return sizeof...(Checks); }

  /// Returns the names of the checks, in declaration order.
  [[nodiscard]] static constexpr const std::array<std::string_view, sizeof...(Checks)>& names() noexcept {
    return core_type::names;
  }

 private:
  void start_schedule() {
    if (core_->config().mode == health_mode::background && core_->config().own_thread) {
      schedule_ = std::jthread([core = core_](std::stop_token stop) { core->run_schedule(std::move(stop)); });
    }
  }

  static health_config validated(health_config config) {
    if (config.mode == health_mode::background && config.interval.count() <= 0) {
      throw std::invalid_argument("health.interval: " + std::to_string(config.interval.count()) +
                                  " ms must be positive in background mode");
    }
    if (config.check_timeout && config.check_timeout->count() <= 0) {
      throw std::invalid_argument("health.check_timeout: " + std::to_string(config.check_timeout->count()) +
                                  " ms must be positive");
    }
    if (config.initial_delay.count() < 0) {
      throw std::invalid_argument("health.initial_delay: " + std::to_string(config.initial_delay.count()) +
                                  " ms cannot be negative");
    }
    if (config.stop_grace.count() < 0) {
      throw std::invalid_argument("health.stop_grace: " + std::to_string(config.stop_grace.count()) +
                                  " ms cannot be negative");
    }
    return config;
  }

  std::shared_ptr<core_type> core_;
  std::jthread schedule_;
};

/// A monitor with the default policies: steady_clock, no logging, no tracing, worst-of with non-critical capped.
template <class... Checks>
using health_monitor = basic_health_monitor<health_policies<>, Checks...>;

/// Makes a monitor from check objects (lambdas made into checks with make_check, dynamic_checks handles, ...).
template <class... Checks>
[[nodiscard]] auto make_health_monitor(health_config config, Checks&&... checks)
    -> health_monitor<std::decay_t<Checks>...> {
  return health_monitor<std::decay_t<Checks>...>(config, std::forward<Checks>(checks)...);
}

/// Makes a monitor with policies: `make_health_monitor(config, health_policies<manual_clock>{clock}, checks...)`.
template <class Clock, class Logger, class Tracer, class Aggregator, class Metrics, class... Checks>
[[nodiscard]] auto make_health_monitor(health_config config,
                                       health_policies<Clock, Logger, Tracer, Aggregator, Metrics> policies,
                                       Checks&&... checks)
    -> basic_health_monitor<health_policies<Clock, Logger, Tracer, Aggregator, Metrics>, std::decay_t<Checks>...> {
  return basic_health_monitor<health_policies<Clock, Logger, Tracer, Aggregator, Metrics>, std::decay_t<Checks>...>(
      config, std::move(policies), std::forward<Checks>(checks)...);
}

}  // namespace arbiter::inline v1
