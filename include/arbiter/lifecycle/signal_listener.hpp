#pragma once

/// \file
/// Turns POSIX signals into events on an ordinary thread. The installed handler only stores the signal
/// number in a pipe (write(2) is async-signal-safe); allocation, locks, stdio and logging, which deadlock
/// inside a handler, all happen on the listener thread. Previous dispositions come back on destruction.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include <arbiter/detail/functional.hpp>
#include <arbiter/version.hpp>

namespace arbiter::inline v1 {

namespace detail {

/// The process-wide self-pipe. Created once and never closed, so a handler running on another thread
/// while a listener goes away can never write into a recycled descriptor.
struct signal_pipe {
  int read_fd = -1;
  int write_fd = -1;

  static signal_pipe& instance() {
    static signal_pipe pipe = make();
    return pipe;
  }

 private:
  static signal_pipe make() {
    int fds[2] = {-1, -1};
    if (::pipe(fds) != 0) throw std::system_error(errno, std::generic_category(), "signal_listener: pipe()");
    for (const int fd : fds) {
      ::fcntl(fd, F_SETFD, FD_CLOEXEC);
      ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    }
    return signal_pipe{fds[0], fds[1]};
  }
};

/// The write end the handler uses; -1 while no listener is active. A lock-free atomic: safe in a handler.
inline std::atomic<int> signal_write_fd{-1};
static_assert(std::atomic<int>::is_always_lock_free);

/// Whether a signal_listener exists; only one may own the process's signals at a time.
inline std::atomic<bool> signal_listener_active{false};

/// The handler: one write(2) of the signal number, errno preserved. Nothing else is safe here.
extern "C" inline void arbiter_signal_handler(int signal_number) {
  const int saved_errno = errno;
  const int fd = signal_write_fd.load(std::memory_order_relaxed);
  if (fd >= 0) {
    const auto byte = static_cast<unsigned char>(signal_number);
    [[maybe_unused]] const auto written = ::write(fd, &byte, 1);  // a full pipe drops the signal: it is pending
  }
  errno = saved_errno;
}

}  // namespace detail

/// Installs handlers for a set of signals and calls `on_signal(signo)` on its own thread for each delivery.
/// Only one listener may exist in a process at a time (signal dispositions are process-wide).
class signal_listener {
 public:
  using callback = std::function<void(int signal_number)>;

  /// Installs handlers for `signals` and starts the listener thread.
  /// \throws std::logic_error when another listener is active, std::system_error when sigaction fails.
  signal_listener(std::vector<int> signals, callback on_signal) : on_signal_(std::move(on_signal)) {
    bool expected = false;
    if (!detail::signal_listener_active.compare_exchange_strong(expected, true)) {
      throw std::logic_error(
          "signal_listener: another listener already owns this process's signals; only one shutdown_manager "
          "may be started at a time");
    }
    try {
      const auto& pipe = detail::signal_pipe::instance();
      read_fd_ = pipe.read_fd;
      wake_fd_ = pipe.write_fd;
      drain_pipe();
      detail::signal_write_fd.store(pipe.write_fd, std::memory_order_release);
      for (const int signo : signals) install(signo);
      thread_ = std::thread([this] { listen(); });
    } catch (...) {
      restore();
      detail::signal_write_fd.store(-1, std::memory_order_release);
      detail::signal_listener_active.store(false);
      throw;
    }
  }

  signal_listener(std::initializer_list<int> signals, callback on_signal)
      : signal_listener(std::vector<int>(signals), std::move(on_signal)) {}

  signal_listener(const signal_listener&) = delete;
  signal_listener& operator=(const signal_listener&) = delete;

  /// Restores the previous dispositions, then stops the listener thread.
  ~signal_listener() {
    restore();
    detail::signal_write_fd.store(-1, std::memory_order_release);
    stopping_.store(true, std::memory_order_release);
    const unsigned char wake = 0;
    [[maybe_unused]] const auto written = ::write(wake_fd_, &wake, 1);
    if (thread_.joinable()) thread_.join();
    detail::signal_listener_active.store(false);
  }

  /// Returns the id of the listener thread (callbacks run there).
  [[nodiscard]] std::thread::id thread_id() const noexcept { return thread_.get_id(); }

 private:
  struct saved_action {
    int signo;
    struct sigaction previous;
  };

  void install(int signo) {
    struct sigaction action {};
    action.sa_handler = &detail::arbiter_signal_handler;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    saved_action saved{signo, {}};
    if (::sigaction(signo, &action, &saved.previous) != 0) {
      throw std::system_error(errno, std::generic_category(),
                              "signal_listener: cannot install a handler for signal " + std::to_string(signo));
    }
    saved_.push_back(saved);
  }

  void restore() noexcept {
    for (auto it = saved_.rbegin(); it != saved_.rend(); ++it) ::sigaction(it->signo, &it->previous, nullptr);
    saved_.clear();
  }

  void drain_pipe() const noexcept {
    unsigned char buffer[64];
    while (::read(read_fd_, buffer, sizeof buffer) > 0) {
    }
  }

  void listen() {
    pollfd waiting{read_fd_, POLLIN, 0};
    while (!stopping_.load(std::memory_order_acquire)) {
      const int ready = ::poll(&waiting, 1, -1);
      if (ready < 0 && errno != EINTR) return;  // cannot happen with a valid descriptor
      unsigned char buffer[64];
      ssize_t got = 0;
      while ((got = ::read(read_fd_, buffer, sizeof buffer)) > 0) {
        for (ssize_t i = 0; i < got; ++i) {
          if (buffer[i] == 0 || stopping_.load(std::memory_order_acquire)) continue;  // a wake-up, not a signal
          try {
            on_signal_(static_cast<int>(buffer[i]));
          } catch (...) {  // the callback reports its own errors; the listener must outlive them
          }
        }
      }
    }
  }

  callback on_signal_;
  std::vector<saved_action> saved_;
  int read_fd_ = -1;
  int wake_fd_ = -1;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace arbiter::inline v1
