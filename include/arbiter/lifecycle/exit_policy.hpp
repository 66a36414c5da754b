#pragma once

/// \file
/// The Exit policy (how a shutdown_manager ends the process when it must) and the exit codes it uses.
///
/// An Exit policy is copyable and has
///   void exit(int code) noexcept;
/// A process model never returns from it; a test model records the code and returns, and the manager then
/// carries on as if the process had gone.

#include <atomic>
#include <concepts>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#if defined(__unix__) || defined(__APPLE__)
#include <stdio.h>  // ftrylockfile, funlockfile (POSIX)
#endif

#include <arbiter/detail/chrono.hpp>
#include <arbiter/version.hpp>

namespace arbiter::inline v1 {

/// The process exit codes a shutdown ends with. Supervisors read them, so each failure has its own.
struct exit_codes {
  int clean = 0;                 ///< every hook completed and in-flight work drained (also when SIGTERM started it)
  int hook_failed = 1;           ///< a hook threw; the others still ran
  int timed_out = 2;             ///< a hook or a phase passed its timeout, or the drain did not reach zero
  int deadline = 3;              ///< the overall deadline hit: the process was forced out with work still running
  int fatal = 70;                ///< std::terminate or an exception escaping an arbiter thread (EX_SOFTWARE)
  int forced_signal_base = 128;  ///< a second SIGTERM/SIGINT forced the exit: base + signal number (143, 130)
};

/// An Exit policy (see the file comment).
template <class E>
concept ExitPolicy = std::copy_constructible<E> && requires(E& policy, int code) {
  { policy.exit(code) }
  noexcept;
};

/// Checks that `E` is an Exit policy and says what is missing if it is not.
template <class E>
consteval bool assert_exit_policy() {
  static_assert(ExitPolicy<E>,
                "====> arbiter: the Exit policy lacks `void exit(int code) noexcept` (or is not copyable); use "
                "arbiter::process_exit to end the process, or arbiter::recording_exit in tests.");
  return true;
}

/// Ends the process with std::quick_exit: stdout and stderr are flushed first (each only if no other thread holds
/// it: a hook stuck writing to a full pipe must not hang the exit), at_quick_exit handlers run (register other log
/// flushes there), static destructors do not, since the manager exits this way exactly when other threads may
/// still be running and using them. Of two threads exiting at once the first wins; the second waits for the
/// process to end.
struct process_exit {
  [[noreturn]] void exit(int code) noexcept {
    static std::atomic<bool> exiting{false};
    if (!exiting.exchange(true)) {
      flush_if_free(stdout);
      flush_if_free(stderr);
      std::quick_exit(code);
    }
    for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
  }

 private:
  static void flush_if_free(std::FILE* stream) noexcept {
#if defined(__unix__) || defined(__APPLE__)
    if (::ftrylockfile(stream) != 0) return;  // another thread is inside it: leave its buffer rather than wait
    std::fflush(stream);
    ::funlockfile(stream);
#else
    (void)stream;
#endif
  }
};

static_assert(ExitPolicy<process_exit>);

/// Records exit codes instead of exiting. Copies share the record, so a test keeps one and hands one over.
class recording_exit {
 public:
  recording_exit() : state_(std::make_shared<state>()) {}

  /// Records `code` and returns.
  void exit(int code) noexcept {
    const std::lock_guard lock(state_->mutex);
    try {
      state_->codes.push_back(code);
    } catch (...) {  // out of memory while recording: keep the count right at least
    }
    state_->count.fetch_add(1, std::memory_order_release);
  }

  /// Returns how many times exit() was called.
  [[nodiscard]] std::size_t count() const noexcept { return state_->count.load(std::memory_order_acquire); }

  /// Returns every recorded code, first call first.
  [[nodiscard]] std::vector<int> codes() const {
    const std::lock_guard lock(state_->mutex);
    return state_->codes;
  }

  /// Returns the first recorded code, the one that would have ended a real process.
  [[nodiscard]] std::optional<int> first() const {
    const std::lock_guard lock(state_->mutex);
    if (state_->codes.empty()) return std::nullopt;
    return state_->codes.front();
  }

 private:
  struct state {
    std::mutex mutex;
    std::vector<int> codes;
    std::atomic<std::size_t> count{0};
  };
  std::shared_ptr<state> state_;
};

static_assert(ExitPolicy<recording_exit>);

}  // namespace arbiter::inline v1
