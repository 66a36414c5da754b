#pragma once
// Test support: starts a program with posix_spawn (safe in a multi-threaded test process: nothing runs
// between fork and exec), talks to it through pipes, and never leaves it behind (killed and reaped on
// destruction). Every wait is bounded.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

extern char** environ;

namespace arbiter_test {

/// A running child process with its stdin and stdout on pipes and its stderr in a file.
class child_process {
 public:
  child_process(const std::string& program, const std::vector<std::string>& args, const std::string& stderr_path)
      : stderr_path_(stderr_path) {
    int in[2];
    int out[2];
    if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) throw_errno("pipe2");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t defaults;
    sigemptyset(&defaults);
    for (const int signo : {SIGTERM, SIGINT, SIGHUP, SIGPIPE}) sigaddset(&defaults, signo);
    sigset_t empty;
    sigemptyset(&empty);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setsigmask(&attr, &empty);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(program.c_str()));
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    const int rc = ::posix_spawn(&pid_, program.c_str(), &actions, &attr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    ::close(in[0]);
    ::close(out[1]);
    stdin_fd_ = in[1];
    stdout_fd_ = out[0];
    if (rc != 0) {
      pid_ = -1;
      throw std::system_error(rc, std::generic_category(), "posix_spawn " + program);
    }
  }

  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  ~child_process() {
    if (pid_ > 0 && !status_) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
    if (stdin_fd_ >= 0) ::close(stdin_fd_);
    if (stdout_fd_ >= 0) ::close(stdout_fd_);
  }

  /// Sends a real signal.
  void signal(int signo) const {
    if (::kill(pid_, signo) != 0) throw_errno("kill");
  }

  /// Writes one command line to the child's stdin.
  void send(const std::string& command) const {
    const std::string line = command + "\n";
    if (::write(stdin_fd_, line.data(), line.size()) != static_cast<ssize_t>(line.size())) throw_errno("write");
  }

  /// Reads lines until one equals `expected`; false on timeout or end of output. Every line read is kept.
  bool wait_for_line(const std::string& expected, std::chrono::milliseconds timeout) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    for (std::size_t seen = 0;;) {
      for (; seen < lines_.size(); ++seen) {
        if (lines_[seen] == expected) return true;
      }
      if (!read_some(until)) return false;
    }
  }

  /// Waits for the child to end; returns its wait status, or nullopt on timeout (the child keeps running).
  std::optional<int> wait_exit(std::chrono::milliseconds timeout) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (!status_) {
      int status = 0;
      const pid_t got = ::waitpid(pid_, &status, WNOHANG);
      if (got == pid_) {
        status_ = status;
        break;
      }
      if (std::chrono::steady_clock::now() >= until) return std::nullopt;
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    while (read_some(std::chrono::steady_clock::now() + std::chrono::seconds(2))) {  // the rest, up to EOF
    }
    return status_;
  }

  /// Returns the exit code, or -1 when the child did not exit normally (killed by a signal).
  [[nodiscard]] static int exit_code(int status) noexcept { return WIFEXITED(status) ? WEXITSTATUS(status) : -1; }

  [[nodiscard]] const std::vector<std::string>& lines() const noexcept { return lines_; }

  /// Returns how many times `line` was printed.
  [[nodiscard]] std::size_t count(const std::string& line) const {
    std::size_t n = 0;
    for (const auto& l : lines_) n += l == line ? 1U : 0U;
    return n;
  }

  /// Returns the position of the first `line` printed, or npos.
  [[nodiscard]] std::size_t index_of(const std::string& line) const {
    for (std::size_t i = 0; i < lines_.size(); ++i) {
      if (lines_[i] == line) return i;
    }
    return std::string::npos;
  }

  /// Returns stdout and stderr as text, for failure messages.
  [[nodiscard]] std::string transcript() const {
    std::ostringstream text;
    text << "--- stdout\n";
    for (const auto& l : lines_) text << l << '\n';
    text << "--- stderr\n" << std::ifstream(stderr_path_).rdbuf();
    return text.str();
  }

  [[nodiscard]] pid_t pid() const noexcept { return pid_; }

 private:
  [[noreturn]] static void throw_errno(const char* what) {
    throw std::system_error(errno, std::generic_category(), what);
  }

  /// Reads what is available before `until` into lines; false at end of output or timeout.
  bool read_some(std::chrono::steady_clock::time_point until) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd waiting{stdout_fd_, POLLIN, 0};
    const int ready = ::poll(&waiting, 1, static_cast<int>(left.count()));
    if (ready <= 0) return ready < 0 && errno == EINTR;
    char buffer[512];
    const ssize_t got = ::read(stdout_fd_, buffer, sizeof buffer);
    if (got <= 0) return false;
    for (ssize_t i = 0; i < got; ++i) {
      if (buffer[i] == '\n') {
        lines_.push_back(partial_);
        partial_.clear();
      } else {
        partial_.push_back(buffer[i]);
      }
    }
    return true;
  }

  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  int stdout_fd_ = -1;
  std::string stderr_path_;
  std::optional<int> status_;
  std::vector<std::string> lines_;
  std::string partial_;
};

}  // namespace arbiter_test
