#pragma once

/// \file
/// shutdown_manager: turns SIGTERM / SIGINT / a request / a fatal error into one orderly shutdown.
///
/// The sequence, on its own thread, each step bounded by the overall deadline:
///   1. readiness off   the on_readiness_off callbacks (the health monitor's manual switch), in order
///   2. grace           options.readiness_grace, so load balancers see "not ready" before intake stops
///   3. stop intake     the drain gate refuses new entries and the stop_token is signalled ("intake stopped")
///   4. drain           wait until in-flight work reaches zero (options.drain_timeout)
///   5. hooks           by phase (lowest first); within a phase the last registered stops first
///   6. result          every step's outcome and duration, logged and returned by wait()
/// A hook that passes its timeout is left running (its hook_budget::stop is requested) and the rest go on. How
/// the process ends: when every step has finished by step 6 (a step left behind that finished late is joined),
/// wait() returns and main returns the exit code; when a step is still running then, or the overall deadline
/// hit, or a fatal error was seen, the manager ends the process itself through the Exit policy with the same
/// exit code, so static destructors never run under a live hook thread. A second SIGTERM or SIGINT forces the
/// exit at once.
///
/// Each step is logged through the Logger and traced through the Tracer, once: a span "shutdown" for the whole
/// sequence (shutdown.reason, shutdown.detail, shutdown.deadline_ms; at its end shutdown.exit_code,
/// shutdown.drained, shutdown.deadline_hit, shutdown.fatal) with one child a step: "shutdown.readiness_off" and
/// "shutdown.hook" (shutdown.step.name, shutdown.step.phase, shutdown.step.outcome), "shutdown.grace"
/// (shutdown.grace_ms), "shutdown.stop_intake", "shutdown.drain" (shutdown.drain.drained,
/// shutdown.drain.in_flight_left). A step that did not complete, and a shutdown that was not clean, have status
/// error with the reason. The hook registered with add_tracer_flush runs after the "shutdown" span has ended:
/// spans ended after the tracer's flush would be lost. Through the Metrics policy, each step's duration, the exit
/// code and whether the deadline was hit are set as they happen (lifecycle/shutdown_metrics.hpp).

#include <algorithm>
#include <array>
#include <atomic>
#include <concepts>
#include <condition_variable>
#include <csignal>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include <arbiter/clock/clock.hpp>
#include <arbiter/detail/chrono.hpp>
#include <arbiter/detail/concat.hpp>
#include <arbiter/detail/functional.hpp>
#include <arbiter/lifecycle/drain_gate.hpp>
#include <arbiter/lifecycle/exit_policy.hpp>
#include <arbiter/lifecycle/shutdown_metrics.hpp>
#include <arbiter/lifecycle/shutdown_options.hpp>
#include <arbiter/lifecycle/shutdown_plan.hpp>
#include <arbiter/lifecycle/signal_listener.hpp>
#include <arbiter/logging/logger.hpp>
#include <arbiter/logging/null_logger.hpp>
#include <arbiter/tracing/active_span.hpp>
#include <arbiter/tracing/null_tracer.hpp>
#include <arbiter/tracing/scoped_span.hpp>
#include <arbiter/tracing/tracer.hpp>

namespace arbiter::inline v1 {

namespace detail {

/// Where std::terminate goes: the started shutdown_manager, reached through a plain function pointer.
struct fatal_target {
  void* self = nullptr;
  void (*on_terminate)(void* self, std::string what) noexcept = nullptr;
};

inline std::atomic<fatal_target*> active_fatal_target{nullptr};
inline thread_local bool inside_terminate_handler = false;

/// The terminate handler: runs the hooks once with a fatal reason (through the manager), then aborts.
[[noreturn]] inline void arbiter_terminate_handler() noexcept {
  if (!inside_terminate_handler) {
    inside_terminate_handler = true;
    std::string what = "std::terminate called without an active exception";
    try {
      if (const auto error = std::current_exception()) std::rethrow_exception(error);
    } catch (const std::exception& error) {
      what = std::string("uncaught exception: ") + error.what();
    } catch (...) {
      what = "uncaught exception of a type not derived from std::exception";
    }
    if (auto* target = active_fatal_target.load(std::memory_order_acquire)) {
      target->on_terminate(target->self, std::move(what));
    }
  }
  std::abort();
}

}  // namespace detail

/// Runs the shutdown sequence (see the file comment). Thread-safe.
/// \tparam Logger  where steps and results are logged
/// \tparam Clock   what deadlines and durations are measured with (manual_clock in tests)
/// \tparam Exit    how the process is forced out (process_exit; recording_exit in tests)
/// \tparam Tracer  where the sequence and its steps are traced (null_tracer: nothing, and no bytes)
/// \tparam Metrics what step durations and the exit code are reported through (null_metrics: nothing, no bytes)
template <class Logger = null_logger, class Clock = steady_clock, class Exit = process_exit, class Tracer = null_tracer,
          class Metrics = null_metrics>
class shutdown_manager {
  static_assert(assert_logger<Logger>());
  static_assert(assert_clock<Clock>());
  static_assert(assert_exit_policy<Exit>());
  static_assert(assert_tracer<Tracer>());
  static_assert(assert_metrics<Metrics>());

 public:
  using logger_type = Logger;
  using clock_type = Clock;
  using exit_type = Exit;
  using tracer_type = Tracer;
  using metrics_type = Metrics;
  using time_point = typename Clock::time_point;

  /// Checks `options` and keeps the policies. \throws std::invalid_argument naming a bad option
  explicit shutdown_manager(Logger logger = Logger{}, shutdown_options options = {}, Clock clock = Clock{},
                            Exit exit = Exit{}, Tracer tracer = Tracer{}, Metrics metrics = Metrics{})
      : logger_(std::move(logger)),
        clock_(std::move(clock)),
        exit_(std::move(exit)),
        tracer_(std::move(tracer)),
        instruments_(std::move(metrics)),
        options_(std::move(options)) {
    options_.validate();
    fatal_target_.self = this;
    fatal_target_.on_terminate = [](void* self, std::string what) noexcept {
      static_cast<shutdown_manager*>(self)->on_fatal(std::move(what), true);
    };
  }

  shutdown_manager(const shutdown_manager&) = delete;
  shutdown_manager& operator=(const shutdown_manager&) = delete;

  /// Restores the signal dispositions and terminate handler, and waits for a running sequence to end.
  /// Does not start a shutdown. (Hooks still running when a sequence ended have ended the process with it; only
  /// a test Exit policy, which returns, leaves them running on their own threads.)
  ~shutdown_manager() {
    listener_.reset();
    auto* expected = &fatal_target_;
    if (detail::active_fatal_target.compare_exchange_strong(expected, nullptr)) std::set_terminate(previous_terminate_);
    if (sequence_.joinable() && sequence_.get_id() != std::this_thread::get_id()) sequence_.join();
  }

  /// Registers a hook: phases run lowest first; within a phase the last registered runs first.
  /// \throws std::invalid_argument for an empty name or function or a non-positive timeout,
  ///         std::logic_error once the shutdown has started
  void add_hook(std::string name, int phase, std::function<void()> fn,
                std::optional<std::chrono::milliseconds> timeout = std::nullopt) {
    check_step(name, static_cast<bool>(fn), timeout, "shutdown hook");
    add_hook_step(
        std::move(name), phase, [fn = std::move(fn)](const hook_budget& /*budget*/) { fn(); }, timeout);
  }

  /// Registers a hook that is told its budget (hook_budget: the time it may take, a stop token for when it has
  /// overrun it), to pass on to what it waits for. Otherwise the same as add_hook above.
  void add_hook(std::string name, int phase, std::function<void(const hook_budget&)> fn,
                std::optional<std::chrono::milliseconds> timeout = std::nullopt) {
    check_step(name, static_cast<bool>(fn), timeout, "shutdown hook");
    add_hook_step(std::move(name), phase, std::move(fn), timeout);
  }

  /// Registers the hook that flushes (and shuts down) this manager's Tracer. It runs in its phase like any hook
  /// and is logged and reported like one, but the "shutdown" span ends just before it, since spans that end
  /// after the flush would be lost; so neither it nor a hook after it is traced. The last one registered wins.
  /// \throws std::invalid_argument, std::logic_error as add_hook
  void add_tracer_flush(std::string name, int phase, std::function<void(const hook_budget&)> fn,
                        std::optional<std::chrono::milliseconds> timeout = std::nullopt) {
    check_step(name, static_cast<bool>(fn), timeout, "shutdown hook");
    const std::lock_guard lock(mutex_);
    reject_if_started(name, "shutdown hook");
    for (auto& h : hooks_) h.flushes_tracer = false;
    hooks_.push_back(step{std::move(name), phase, next_sequence_++, std::move(fn), timeout, true});
  }

  /// Registers static hooks in the order their `stops_before` declarations give, computed at compile time.
  template <class... Hooks>
  void add_ordered_hooks(int phase, Hooks... hooks) {
    static_assert((assert_static_hook<Hooks>() && ...));
    if constexpr ((StaticHook<Hooks> && ...)) {  // otherwise only the message above, not a page of errors
      using order = static_hook_order<Hooks...>;
      constexpr std::size_t n = sizeof...(Hooks);
      std::array<step, n> steps;
      std::size_t i = 0;
      ((steps[i++] = step{std::string(std::string_view(Hooks::name)), phase, 0,
                          [h = std::make_shared<Hooks>(std::move(hooks))](const hook_budget& budget) {
                            if constexpr (std::invocable<Hooks&, const hook_budget&>) {
                              (*h)(budget);
                            } else {
                              (*h)();
                            }
                          },
                          detail::static_hook_timeout<Hooks>()}),
       ...);
      for (const auto& s : steps) check_step(s.name, static_cast<bool>(s.fn), s.timeout, "shutdown hook");
      const std::lock_guard lock(mutex_);
      if (n > 0) reject_if_started(steps[0].name, "shutdown hook");
      // Later registration stops first, so register the stop order backwards.
      for (std::size_t slot = n; slot-- > 0;) {
        step s = std::move(steps[order::order[slot]]);
        s.sequence = next_sequence_++;
        hooks_.push_back(std::move(s));
      }
    }
  }

  /// Registers a step that runs before anything else: flip readiness to "refusing traffic" (the health
  /// monitor's manual switch). Runs in registration order, bounded by `timeout` and the deadline.
  void on_readiness_off(std::string name, std::function<void()> fn,
                        std::optional<std::chrono::milliseconds> timeout = std::nullopt) {
    check_step(name, static_cast<bool>(fn), timeout, "readiness-off step");
    const std::lock_guard lock(mutex_);
    reject_if_started(name, "readiness-off step");
    readiness_.push_back(step{std::move(name), -1, next_sequence_++,
                              [fn = std::move(fn)](const hook_budget& /*budget*/) { fn(); }, timeout});
  }

  /// Subscribes to SIGHUP (config reload). Runs on the listener thread; exceptions are logged.
  void on_reload(std::function<void()> fn) {
    if (!fn) throw std::invalid_argument("shutdown_manager::on_reload: the function is empty");
    const std::lock_guard lock(mutex_);
    reload_.push_back(std::move(fn));
  }

  /// Installs the signal handlers (SIGTERM, and SIGINT / SIGHUP per options) and the terminate handler.
  /// \throws std::logic_error when called twice or while another manager owns the signals
  void start() {
    const std::lock_guard lock(mutex_);
    if (started_) throw std::logic_error("shutdown_manager::start(): already started");
    std::vector<int> signals{SIGTERM};
    if (options_.handle_sigint) signals.push_back(SIGINT);
    if (options_.handle_sighup) signals.push_back(SIGHUP);
    listener_ = std::make_unique<signal_listener>(std::move(signals), [this](int signo) { on_signal(signo); });
    if (options_.handle_terminate) {
      detail::fatal_target* expected = nullptr;
      if (detail::active_fatal_target.compare_exchange_strong(expected, &fatal_target_)) {
        previous_terminate_ = std::set_terminate(&detail::arbiter_terminate_handler);
      }
    }
    started_ = true;
    logger_.log(log_level::debug, "shutdown manager started", kv("sigint", options_.handle_sigint),
                kv("sighup", options_.handle_sighup), kv("deadline_ms", std::int64_t{options_.deadline.count()}));
  }

  /// Starts the shutdown; returns false when it had already started (the hooks never run twice).
  bool trigger_shutdown(std::string reason = "requested") {
    return begin(shutdown_cause{shutdown_reason::requested, 0, std::move(reason)});
  }

  /// Returns whether the shutdown has started.
  [[nodiscard]] bool is_shutting_down() const noexcept { return shutting_down_.load(std::memory_order_acquire); }

  /// Returns a token that is stopped when intake stops (after readiness off and the grace).
  [[nodiscard]] std::stop_token stop_token() const noexcept { return stop_.get_token(); }

  /// Returns the gate request handlers pass through.
  [[nodiscard]] drain_gate& gate() noexcept { return gate_; }

  /// Blocks until the shutdown has run; returns what it did. Do not call from a hook.
  const shutdown_result& wait() {
    std::unique_lock lock(mutex_);
    finished_.wait(lock, [this] { return state_ == run_state::done; });
    return result_;
  }

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
// g++ 12 at -O1 with sanitizers sees libstdc++'s stop_callback read the stop_source below "maybe uninitialized":
// a false positive (the source is constructed before either callback exists).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
  /// Starts a thread whose escaping exception runs the fatal path (hooks once, then the fatal exit code).
  /// `fn` may take a std::stop_token, stopped when intake stops or when the jthread is asked to stop.
  template <class F>
  requires std::invocable<F&> || std::invocable<F&, std::stop_token>
  [[nodiscard]] std::jthread start_thread(std::string name, F fn) {
    return std::jthread([this, name = std::move(name), fn = std::move(fn)](std::stop_token own) mutable {
      std::stop_source combined;
      const std::stop_callback on_own(own, [&combined] { combined.request_stop(); });
      const std::stop_callback on_shutdown(stop_.get_token(), [&combined] { combined.request_stop(); });
      try {
        if constexpr (std::invocable<F&, std::stop_token>) {
          fn(combined.get_token());
        } else {
          fn();
        }
      } catch (const std::exception& error) {
        on_fatal(detail::concat("thread ", name, ": uncaught exception: ", error.what()), false);
      } catch (...) {
        on_fatal(detail::concat("thread ", name, ": uncaught exception of a type not derived from std::exception"),
                 false);
      }
    });
  }
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

  /// Starts an intake: a thread that calls `work()` until intake stops, `pause` apart, each call holding a pass of
  /// the drain gate (so the drain waits for the call in flight). The hook `name` of phase 0 stops and joins it:
  /// after the drain, before the hooks that release what the work uses (phase 1 and up). An exception from `work`
  /// runs the fatal path, as in start_thread().
  /// \throws as add_hook
  template <class F>
  requires std::invocable<F&>
  void start_intake(std::string name, std::chrono::nanoseconds pause, F work) {
    start_intake_loop(std::move(name), pause, std::move(work), [] {});
  }

  /// start_intake() that beats `beat` (a heartbeat, see heartbeat_check) after each call, and stops it when the
  /// intake stops: on purpose, so a liveness check on it stays green while the service shuts down. `beat` must
  /// outlive this manager (the intake thread, joined by the hook or at the latest by the manager's destruction,
  /// uses it to the end).
  template <class F, class Beat>
  requires std::invocable<F&> && requires(Beat& b) {
    b.beat();
    b.stop();
  }
  void start_intake(std::string name, std::chrono::nanoseconds pause, F work, Beat& beat) {
    start_intake_loop(
        std::move(name), pause,
        [work = std::move(work), &beat]() mutable {
          work();
          beat.beat();
        },
        [&beat] { beat.stop(); });
  }

  /// Runs the fatal path for `what`: the hooks once with a fatal reason, then the fatal exit code.
  /// Returns (in a thread other than the sequence's) while the sequence runs; it ends the process itself.
  void fatal(std::string what) noexcept { on_fatal(std::move(what), false); }

  [[nodiscard]] const shutdown_options& options() const noexcept { return options_; }

 private:
  struct step {
    std::string name;
    int phase = 0;
    std::uint64_t sequence = 0;
    std::function<void(const hook_budget&)> fn;
    std::optional<std::chrono::milliseconds> timeout;
    bool flushes_tracer = false;  ///< add_tracer_flush: the "shutdown" span ends before it runs
  };

  /// The state one running step shares with its thread, which may outlive the manager after a timeout.
  struct step_run {
    explicit step_run(const Logger& l) : logger(l) {}
    std::function<void(const hook_budget&)> fn;
    hook_budget budget;
    std::stop_source stop;  ///< requested when the step is left behind
    Logger logger;          ///< a handle on the manager's: a step left behind logs its late end with it
    std::string name;
    int phase = 0;
    span_context span;  ///< the step's span: active on its thread, so spans the step starts are its children
    std::mutex mutex;
    std::condition_variable finished;
    bool done = false;
    bool failed = false;
    bool left_behind = false;
    std::string error;
  };

  /// A step that passed its limit: joined at the end if it finished by then, else it ends the process with it.
  struct left_behind_step {
    std::thread thread;
    std::shared_ptr<step_run> run;
  };

  enum class run_state : std::uint8_t { idle, running, finishing, done };

  static void check_step(std::string_view name, bool has_fn, std::optional<std::chrono::milliseconds> timeout,
                         std::string_view what) {
    if (name.empty()) throw std::invalid_argument(detail::concat(what, ": the name is empty"));
    if (!has_fn) throw std::invalid_argument(detail::concat(what, " \"", name, "\": the function is empty"));
    if (timeout && timeout->count() <= 0) {
      throw std::invalid_argument(
          detail::concat(what, " \"", name, "\": timeout ", std::int64_t{timeout->count()}, " ms must be positive"));
    }
  }

  template <class F, class End>
  void start_intake_loop(std::string name, std::chrono::nanoseconds pause, F work, End end) {
    check_step(name, true, std::nullopt, "intake");  // before the thread starts: a bad name starts nothing
    auto thread = std::make_shared<std::jthread>(start_thread(
        name, [this, pause, work = std::move(work), end = std::move(end)](const std::stop_token& stop) mutable {
          std::mutex mutex;
          std::condition_variable_any wake;
          std::unique_lock lock(mutex);
          while (!stop.stop_requested()) {
            {
              const drain_gate::pass pass = gate_.enter();
              if (!pass) break;  // intake stopped: new work is refused
              lock.unlock();
              work();
              lock.lock();
            }
            wake.wait_for(lock, stop, pause, [] { return false; });
          }
          end();
        }));
    try {
      add_hook(std::move(name), 0, [thread] { *thread = {}; });  // requests the stop and joins
    } catch (...) {
      *thread = {};  // the shutdown has started: no hook would stop it, so stop it here (after one call at most)
      throw;
    }
  }

  void add_hook_step(std::string name, int phase, std::function<void(const hook_budget&)> fn,
                     std::optional<std::chrono::milliseconds> timeout) {
    const std::lock_guard lock(mutex_);
    reject_if_started(name, "shutdown hook");
    hooks_.push_back(step{std::move(name), phase, next_sequence_++, std::move(fn), timeout});
  }

  void reject_if_started(std::string_view name, std::string_view what) const {
    if (state_ != run_state::idle) {
      throw std::logic_error(
          detail::concat(what, " \"", name, "\": registered after the shutdown started, so it would never run"));
    }
  }

  bool begin(shutdown_cause cause) {
    const std::lock_guard lock(mutex_);
    if (cause.reason == shutdown_reason::fatal) fatal_seen_ = true;
    if (state_ != run_state::idle) return false;
    cause_ = std::move(cause);
    state_ = run_state::running;
    shutting_down_.store(true, std::memory_order_release);
    sequence_ = std::thread([this] { run_sequence(); });
    sequence_id_ = sequence_.get_id();
    return true;
  }

  void on_signal(int signo) {
    if (signo == SIGHUP) {
      std::vector<std::function<void()>> subscribers;
      {
        const std::lock_guard lock(mutex_);
        subscribers = reload_;
      }
      if (subscribers.empty()) {
        logger_.log(log_level::warn, "SIGHUP ignored: no reload subscriber");
        return;
      }
      logger_.log(log_level::info, "SIGHUP: reloading",
                  kv("subscribers", static_cast<std::int64_t>(subscribers.size())));
      for (auto& subscriber : subscribers) {
        try {
          subscriber();
        } catch (const std::exception& error) {
          logger_.log(log_level::error, "reload subscriber failed", kv("error", std::string_view(error.what())));
        } catch (...) {
          logger_.log(log_level::error, "reload subscriber failed", kv("error", std::string_view("non-std exception")));
        }
      }
      return;
    }
    const std::string name = signal_name(signo);
    if (begin(shutdown_cause{shutdown_reason::signal, signo, name})) return;
    const int code = options_.codes.forced_signal_base + signo;
    logger_.log(log_level::critical, "second signal during shutdown: forcing exit",
                kv("signal", std::string_view(name)), kv("exit_code", std::int64_t{code}));
    exit_.exit(code);
  }

  void on_fatal(std::string what, bool from_terminate) noexcept {
    try {
      logger_.log(log_level::critical, "fatal error: running the shutdown hooks once",
                  kv("error", std::string_view(what)));
      begin(shutdown_cause{shutdown_reason::fatal, 0, what});
      std::unique_lock lock(mutex_);
      if (std::this_thread::get_id() == sequence_id_) {  // the sequence itself broke: nothing else will exit
        lock.unlock();
        exit_.exit(options_.codes.fatal);
        return;
      }
      if (state_ == run_state::finishing || state_ == run_state::done) {  // too late for the sequence to see it
        lock.unlock();
        exit_.exit(options_.codes.fatal);
        return;
      }
      if (!from_terminate) return;  // the sequence ends the process with the fatal code when it is done
      finished_.wait(lock, [this] { return state_ == run_state::done; });
      lock.unlock();
      exit_.exit(options_.codes.fatal);
    } catch (...) {
      exit_.exit(options_.codes.fatal);
    }
  }

  [[nodiscard]] static std::int64_t to_ms(std::chrono::nanoseconds d) noexcept {
    return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  }

  [[nodiscard]] time_point after(time_point from, std::chrono::milliseconds by) const noexcept {
    return from + std::chrono::duration_cast<typename Clock::duration>(by);
  }

  void sleep_until(time_point limit) const {
    for (auto now = clock_.now(); now < limit; now = clock_.now()) {
      std::this_thread::sleep_for(std::min<std::chrono::nanoseconds>(limit - now, options_.poll_interval));
    }
  }

  /// Runs one step on its own thread and waits for it until `phase_limit`, its timeout or `deadline`; a step still
  /// running then is asked to stop and goes to `left_behind`.
  hook_report run_step(const step& s, time_point phase_limit, std::optional<std::chrono::milliseconds> phase_timeout,
                       time_point deadline, bool& deadline_hit, std::vector<left_behind_step>& left_behind,
                       const span_context& span = {}) {
    hook_report report{s.name, s.phase, hook_outcome::skipped, std::chrono::nanoseconds(0), {}};
    const auto started = clock_.now();
    if (deadline_hit || started >= deadline) {
      deadline_hit = true;
      report.error = detail::concat("not started: the overall deadline of ", std::int64_t{options_.deadline.count()},
                                    " ms had passed");
      log_step(report);
      return report;
    }
    if (started >= phase_limit) {
      report.error = detail::concat("not started: phase ", s.phase, "'s timeout of ",
                                    std::int64_t{phase_timeout.value_or(options_.deadline).count()}, " ms had passed");
      log_step(report);
      return report;
    }
    auto limit = std::min(phase_limit, deadline);
    if (s.timeout) limit = std::min(limit, after(started, *s.timeout));

    std::shared_ptr<step_run> run;
    std::thread worker;
    try {
      run = std::make_shared<step_run>(logger_);
      run->fn = s.fn;
      run->name = s.name;
      run->phase = s.phase;
      run->budget.time_left = std::chrono::floor<std::chrono::milliseconds>(limit - started);
      run->budget.deadline = limit;
      run->budget.stop = run->stop.get_token();
      run->span = span;
      worker = std::thread([run] {
        bool failed = false;
        std::string error;
        try {
          std::optional<active_span_scope> active;  // none untraced: the thread's own active span stays
          if (run->span.valid()) active.emplace(run->span);
          run->fn(run->budget);
        } catch (const std::exception& e) {
          failed = true;
          error = e.what();
        } catch (...) {
          failed = true;
          error = "an exception of a type not derived from std::exception";
        }
        bool late = false;
        {
          const std::lock_guard lock(run->mutex);
          run->failed = failed;
          run->error = error;
          run->done = true;
          late = run->left_behind;
          run->finished.notify_all();
        }
        if (late) {
          try {
            run->logger.log(log_level::warn, "shutdown step finished late", kv("step", std::string_view(run->name)),
                            kv("phase", std::int64_t{run->phase}),
                            kv("outcome", failed ? std::string_view("failed") : std::string_view("completed")));
          } catch (...) {  // a logger that throws must not take the process down from here
          }
        }
      });
    } catch (const std::exception& e) {
      report.outcome = hook_outcome::failed;
      report.error = detail::concat("could not start its thread: ", e.what());
      log_step(report);
      return report;
    }

    bool done = false;
    {
      std::unique_lock lock(run->mutex);
      while (!run->done) {
        const auto now = clock_.now();
        if (now >= limit) break;
        run->finished.wait_for(lock, std::min<std::chrono::nanoseconds>(limit - now, options_.poll_interval));
      }
      done = run->done;
      if (done) {
        report.outcome = run->failed ? hook_outcome::failed : hook_outcome::completed;
        report.error = run->error;
      } else {
        run->left_behind = true;  // under the lock: the step then logs its late end itself
      }
    }
    report.duration = clock_.now() - started;
    if (done) {
      worker.join();
    } else {
      run->stop.request_stop();
      // Left behind: it owns `run`, so it may finish whenever it likes; the end of the sequence joins it if it
      // has, and otherwise ends the process rather than let main return under it.
      left_behind.push_back(left_behind_step{std::move(worker), run});
      report.outcome = hook_outcome::timed_out;
      if (limit == deadline) {
        deadline_hit = true;
        report.error = detail::concat("still running at the overall deadline of ",
                                      std::int64_t{options_.deadline.count()}, " ms; left behind");
      } else if (limit == phase_limit) {
        report.error =
            detail::concat("still running when phase ", s.phase, "'s timeout of ",
                           std::int64_t{phase_timeout.value_or(options_.deadline).count()}, " ms passed; left behind");
      } else {
        report.error = detail::concat("passed its timeout of ",
                                      std::int64_t{s.timeout.value_or(options_.deadline).count()}, " ms; left behind");
      }
    }
    log_step(report);
    return report;
  }

  void log_step(const hook_report& report) {
    const auto level = report.outcome == hook_outcome::completed ? log_level::info : log_level::error;
    if (!logger_.enabled(level)) return;
    if (report.error.empty()) {
      logger_.log(level, "shutdown step finished", kv("step", std::string_view(report.name)),
                  kv("phase", std::int64_t{report.phase}), kv("outcome", to_string(report.outcome)),
                  kv("duration_ms", to_ms(report.duration)));
    } else {
      logger_.log(level, "shutdown step finished", kv("step", std::string_view(report.name)),
                  kv("phase", std::int64_t{report.phase}), kv("outcome", to_string(report.outcome)),
                  kv("duration_ms", to_ms(report.duration)), kv("error", std::string_view(report.error)));
    }
  }

  [[nodiscard]] std::optional<std::chrono::milliseconds> timeout_of_phase(int phase) const noexcept {
    for (const auto& limit : options_.phase_timeouts) {
      if (limit.phase == phase) return limit.timeout;
    }
    return std::nullopt;
  }

  // ---- tracing: every helper does nothing with a Tracer whose spans never record (null_tracer) ----------------

  using span_type = typename Tracer::span_type;
  static constexpr bool traced = !detail::never_records<span_type>;

  // A failing tracer must not stop the shutdown: each helper catches, and a span it cannot make is just missing.

  /// Sets an attribute on `span` if there is one.
  static void annotate([[maybe_unused]] std::optional<span_type>& span, [[maybe_unused]] std::string_view key,
                       [[maybe_unused]] attribute_view value) noexcept {
    if constexpr (traced) {
      try {
        if (span) span->set_attribute(key, value);
      } catch (...) {
      }
    }
  }

  /// Starts the "shutdown" span.
  [[nodiscard]] std::optional<span_type> start_sequence_span([[maybe_unused]] const shutdown_cause& cause,
                                                             [[maybe_unused]] std::size_t hooks) noexcept {
    std::optional<span_type> span;
    if constexpr (traced) {
      try {
        span.emplace(tracer_.start_span("shutdown"));
      } catch (...) {
        return span;
      }
      annotate(span, "shutdown.reason", to_string(cause.reason));
      annotate(span, "shutdown.detail", std::string_view(cause.detail));
      annotate(span, "shutdown.deadline_ms", std::int64_t{options_.deadline.count()});
      annotate(span, "shutdown.hooks", static_cast<std::int64_t>(hooks));
    }
    return span;
  }

  /// Ends the "shutdown" span with `result` (once; later calls do nothing).
  static void end_sequence_span([[maybe_unused]] std::optional<span_type>& span,
                                [[maybe_unused]] const shutdown_result& result) noexcept {
    if constexpr (traced) {
      if (!span) return;
      annotate(span, "shutdown.exit_code", std::int64_t{result.exit_code});
      annotate(span, "shutdown.drained", result.drain.drained);
      annotate(span, "shutdown.deadline_hit", result.deadline_hit);
      annotate(span, "shutdown.fatal", result.fatal);
      annotate(span, "shutdown.still_running", static_cast<std::int64_t>(result.still_running));
      try {
        if (!result.clean() || result.still_running > 0) {
          span->set_status(span_status::error, result.fatal               ? "fatal error"
                                               : result.deadline_hit      ? "the overall deadline was hit"
                                               : !result.drain.drained    ? "the drain did not finish"
                                               : result.still_running > 0 ? "a step left behind is still running"
                                                                          : "a step did not complete");
        }
        span->end();
      } catch (...) {
      }
      span.reset();
    }
  }

  /// Starts the span of one step, a child of the "shutdown" span; none once that has ended (or never began).
  [[nodiscard, gnu::noinline]] std::optional<span_type> start_step_span(
      [[maybe_unused]] const std::optional<span_type>& parent, [[maybe_unused]] std::string_view name) noexcept {
    std::optional<span_type> span;
    if constexpr (traced) {
      try {
        if (parent) span.emplace(tracer_.start_span(name, span_options{.parent = parent->context()}));
      } catch (...) {
      }
    }
    return span;
  }

  /// Ends a step's span: its outcome, and status error with the reason when it did not complete.
  static void end_step_span([[maybe_unused]] std::optional<span_type>& span, [[maybe_unused]] hook_outcome outcome,
                            [[maybe_unused]] std::string_view error) noexcept {
    if constexpr (traced) {
      if (!span) return;
      annotate(span, "shutdown.step.outcome", to_string(outcome));
      try {
        if (outcome != hook_outcome::completed) span->set_status(span_status::error, error);
        span->end();
      } catch (...) {
      }
      span.reset();
    }
  }

  /// Runs a readiness-off step or a hook (run_step) inside its span.
  // Neither this nor start_step_span() is inlined: shutdown is no hot path, and inlined into run_sequence() g++ 12
  // at -O3 took the step's span in its optional for one that may be uninitialized when it ends (a false
  // -Wmaybe-uninitialized through ~sdk_span, once the tracer's start_span became always-inline).
  [[gnu::noinline]] hook_report traced_step(const std::optional<span_type>& parent, std::string_view span_name,
                                            bool is_hook, const step& s, time_point phase_limit,
                                            std::optional<std::chrono::milliseconds> phase_timeout, time_point deadline,
                                            bool& deadline_hit, std::vector<left_behind_step>& left_behind) {
    auto span = start_step_span(parent, span_name);
    annotate(span, "shutdown.step.name", std::string_view(s.name));
    if (is_hook) annotate(span, "shutdown.step.phase", std::int64_t{s.phase});
    span_context context;
    if constexpr (traced) {
      if (span) context = span->context();
    }
    hook_report report = run_step(s, phase_limit, phase_timeout, deadline, deadline_hit, left_behind, context);
    end_step_span(span, report.outcome, report.error);
    return report;
  }

  /// The result as it stands before the tracer's flush: what the "shutdown" span ends with then.
  [[nodiscard]] shutdown_result result_so_far(const shutdown_result& result, bool deadline_hit) const {
    shutdown_result out = result;
    out.deadline_hit = deadline_hit;
    {
      const std::lock_guard lock(mutex_);
      out.fatal = fatal_seen_;
    }
    out.exit_code = choose_exit_code(out, options_.codes);
    return out;
  }

  void run_sequence() {
    shutdown_result result;
    std::vector<step> readiness;
    std::vector<step> hooks;
    {
      const std::lock_guard lock(mutex_);
      result.cause = cause_;
      readiness = readiness_;
      hooks = hooks_;
    }
    std::stable_sort(hooks.begin(), hooks.end(), [](const step& a, const step& b) {
      return a.phase != b.phase ? a.phase < b.phase : a.sequence > b.sequence;
    });
    const auto started = clock_.now();
    const auto deadline = after(started, options_.deadline);
    logger_.log(log_level::warn, "shutdown started", kv("reason", to_string(result.cause.reason)),
                kv("detail", std::string_view(result.cause.detail)),
                kv("deadline_ms", std::int64_t{options_.deadline.count()}),
                kv("hooks", static_cast<std::int64_t>(hooks.size())));
    auto sequence_span = start_sequence_span(result.cause, hooks.size());
    bool deadline_hit = false;
    std::vector<left_behind_step> left_behind;
    left_behind.reserve(readiness.size() + hooks.size());  // push_back never throws with a thread in hand

    // 1. readiness off, 2. grace
    for (const auto& s : readiness) {
      result.readiness.push_back(traced_step(sequence_span, "shutdown.readiness_off", false, s, deadline, std::nullopt,
                                             deadline, deadline_hit, left_behind));
      instruments_.step("readiness_off", s.name, result.readiness.back().duration);
    }
    if (options_.readiness_grace.count() > 0) {
      auto span = start_step_span(sequence_span, "shutdown.grace");
      annotate(span, "shutdown.grace_ms", std::int64_t{options_.readiness_grace.count()});
      const auto grace_started = clock_.now();
      if (!deadline_hit) sleep_until(std::min(after(grace_started, options_.readiness_grace), deadline));
      instruments_.step("grace", {}, clock_.now() - grace_started);
      end_step_span(span, deadline_hit ? hook_outcome::skipped : hook_outcome::completed,
                    "not started: the overall deadline had passed");
    }

    // 3. stop intake, 4. drain
    {
      auto span = start_step_span(sequence_span, "shutdown.stop_intake");
      gate_.close();
      stop_.request_stop();
      end_step_span(span, hook_outcome::completed, {});
    }
    logger_.log(log_level::info, "intake stopped", kv("after_ms", to_ms(clock_.now() - started)),
                kv("in_flight", static_cast<std::int64_t>(gate_.in_flight())));
    auto drain_span = start_step_span(sequence_span, "shutdown.drain");
    const auto drain_started = clock_.now();
    const auto drain_limit = std::min(after(drain_started, options_.drain_timeout), deadline);
    result.drain.drained = gate_.wait_drained_until(clock_, drain_limit, options_.poll_interval);
    result.drain.in_flight_left = result.drain.drained ? 0 : gate_.in_flight();
    result.drain.duration = clock_.now() - drain_started;
    instruments_.step("drain", {}, result.drain.duration);
    if (result.drain.drained) {
      logger_.log(log_level::info, "drained", kv("duration_ms", to_ms(result.drain.duration)));
    } else {
      if (clock_.now() >= deadline) deadline_hit = true;
      logger_.log(log_level::error, "drain incomplete",
                  kv("in_flight", static_cast<std::int64_t>(result.drain.in_flight_left)),
                  kv("duration_ms", to_ms(result.drain.duration)));
    }
    annotate(drain_span, "shutdown.drain.drained", result.drain.drained);
    annotate(drain_span, "shutdown.drain.in_flight_left", static_cast<std::int64_t>(result.drain.in_flight_left));
    end_step_span(drain_span, result.drain.drained ? hook_outcome::completed : hook_outcome::timed_out,
                  "in-flight work was left at the drain timeout");

    // 5. hooks by phase
    for (std::size_t i = 0; i < hooks.size();) {
      const int phase = hooks[i].phase;
      const auto phase_timeout = timeout_of_phase(phase);
      const auto phase_limit = phase_timeout ? std::min(after(clock_.now(), *phase_timeout), deadline) : deadline;
      for (; i < hooks.size() && hooks[i].phase == phase; ++i) {
        if (traced && hooks[i].flushes_tracer) end_sequence_span(sequence_span, result_so_far(result, deadline_hit));
        result.hooks.push_back(traced_step(sequence_span, "shutdown.hook", true, hooks[i], phase_limit, phase_timeout,
                                           deadline, deadline_hit, left_behind));
        instruments_.step("hook", hooks[i].name, result.hooks.back().duration);
      }
    }

    // 6. result. A step left behind that has finished is joined (its thread is then really gone); one still running
    // means main must not return: that would run the static destructors under it.
    for (auto& late : left_behind) {
      bool finished = false;
      {
        const std::lock_guard lock(late.run->mutex);
        finished = late.run->done;
      }
      if (finished) {
        late.thread.join();
      } else {
        ++result.still_running;
      }
    }
    result.deadline_hit = deadline_hit;
    result.duration = clock_.now() - started;
    {
      const std::lock_guard lock(mutex_);
      result.fatal = fatal_seen_;
      state_ = run_state::finishing;
    }
    result.exit_code = choose_exit_code(result, options_.codes);
    instruments_.finished(result.exit_code, result.deadline_hit);
    end_sequence_span(sequence_span, result);
    logger_.log(result.clean() ? log_level::info : log_level::error, "shutdown finished",
                kv("reason", to_string(result.cause.reason)), kv("exit_code", std::int64_t{result.exit_code}),
                kv("duration_ms", to_ms(result.duration)), kv("drained", result.drain.drained),
                kv("deadline_hit", result.deadline_hit), kv("fatal", result.fatal));
    if (result.deadline_hit || result.fatal || result.still_running > 0) {
      const std::string_view why = result.fatal          ? "fatal error"
                                   : result.deadline_hit ? "overall deadline"
                                                         : "a step left behind is still running";
      logger_.log(log_level::critical, "forcing exit", kv("exit_code", std::int64_t{result.exit_code}),
                  kv("reason", why), kv("still_running", static_cast<std::int64_t>(result.still_running)));
      exit_.exit(result.exit_code);  // returns only with a test Exit policy
    }
    for (auto& late : left_behind) {
      if (late.thread.joinable()) late.thread.detach();  // a test Exit policy returned: they run on by themselves
    }
    {
      const std::lock_guard lock(mutex_);
      result_ = std::move(result);
      state_ = run_state::done;
    }
    finished_.notify_all();
  }

  Logger logger_;
  Clock clock_;
  Exit exit_;
  [[no_unique_address]] Tracer tracer_;
  [[no_unique_address]] detail::shutdown_instruments<Metrics> instruments_;
  shutdown_options options_;
  drain_gate gate_;
  std::stop_source stop_;

  mutable std::mutex mutex_;
  std::condition_variable finished_;
  run_state state_ = run_state::idle;
  bool started_ = false;
  bool fatal_seen_ = false;
  std::atomic<bool> shutting_down_{false};
  std::uint64_t next_sequence_ = 0;
  std::vector<step> hooks_;
  std::vector<step> readiness_;
  std::vector<std::function<void()>> reload_;
  shutdown_cause cause_;
  shutdown_result result_;
  std::thread sequence_;
  std::thread::id sequence_id_;

  std::unique_ptr<signal_listener> listener_;
  detail::fatal_target fatal_target_;
  std::terminate_handler previous_terminate_ = nullptr;
};

}  // namespace arbiter::inline v1
