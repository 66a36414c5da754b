#pragma once

/// \file
/// Watches config files with inotify and reloads after a quiet period (debounce). Linux only.
///
/// It watches each file's directory, not the file, and compares a fingerprint of what each path resolves to
/// (through symlinks) and holds. That survives the Kubernetes ConfigMap update, where kubelet writes a new
/// `..<timestamp>/` directory, renames the `..data_tmp` symlink over `..data`, and every file is a symlink
/// into `..data`: no watched inode ever changes, yet the content behind the path does. Editors that write a
/// temporary file and rename it over the original are covered the same way. Events only count after the
/// writer closes the file (IN_CLOSE_WRITE) or renames it into place, and the reload waits for a quiet period,
/// so a file still being written is not read as the final answer; if it is read half-written anyway, the
/// reload fails, the previous snapshot stays, and the next event tries again.

#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include <arbiter/clock/clock.hpp>
#include <arbiter/detail/chrono.hpp>
#include <arbiter/detail/functional.hpp>

namespace arbiter::inline v1 {

/// How a file_watcher behaves.
struct watch_options {
  std::chrono::milliseconds debounce{250};  ///< quiet time after the last event before reloading
  std::chrono::milliseconds poll{25};       ///< how often the thread wakes to check the debounce deadline
};

/// Calls `on_change` once per change of the watched files' content, after the debounce (see the file comment).
/// `on_change` returns true when it accepted the new content; on false the watcher tries again on the next
/// event. Runs one thread; the destructor stops it.
template <Clock C = steady_clock>
class file_watcher {
  static_assert(assert_clock<C>());

 public:
  file_watcher(std::vector<std::filesystem::path> files, std::function<bool()> on_change, watch_options options = {},
               C clock = {})
      : files_(std::move(files)), on_change_(std::move(on_change)), options_(options), clock_(std::move(clock)) {
    fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "inotify_init1");
    std::set<std::filesystem::path> directories;
    for (const auto& file : files_) {
      directories.insert(std::filesystem::absolute(file).parent_path());
    }
    constexpr std::uint32_t mask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_ATTRIB;
    for (const auto& directory : directories) {
      if (::inotify_add_watch(fd_, directory.c_str(), mask) < 0) {
        const int error = errno;
        ::close(fd_);
        throw std::system_error(error, std::generic_category(), "inotify_add_watch " + directory.string());
      }
    }
    last_fingerprint_ = fingerprint();
    thread_ = std::jthread([this](std::stop_token stop) { run(stop); });
  }

  file_watcher(const file_watcher&) = delete;
  file_watcher& operator=(const file_watcher&) = delete;

  ~file_watcher() {
    thread_.request_stop();
    if (thread_.joinable()) thread_.join();
    ::close(fd_);
  }

  /// Returns how many times on_change ran.
  [[nodiscard]] std::uint64_t changes() const noexcept { return changes_.load(std::memory_order_acquire); }

  /// Returns how many inotify events arrived (tests use it to know the watcher has seen a write).
  [[nodiscard]] std::uint64_t events() const noexcept { return events_.load(std::memory_order_acquire); }

 private:
  /// Returns what every watched path resolves to and holds; equal fingerprints mean nothing to reload.
  [[nodiscard]] std::string fingerprint() const {
    std::string out;
    for (const auto& file : files_) {
      std::error_code ec;
      const auto resolved = std::filesystem::canonical(file, ec);
      out.append(file.string()).push_back('\0');
      if (ec) {
        out.append("missing").push_back('\0');
        continue;
      }
      out.append(resolved.string()).push_back('\0');
      // Read in chunks: an istreambuf_iterator range trips g++ 12's -Wnull-dereference at -O3 (it cannot see
      // that the iterator's stream buffer is never null).
      std::string content;
      std::ifstream in(resolved, std::ios::binary);
      std::array<char, 4096> chunk;
      while (in.read(chunk.data(), chunk.size()) || in.gcount() > 0) {
        content.append(chunk.data(), static_cast<std::size_t>(in.gcount()));
      }
      out.append(std::to_string(content.size())).push_back(':');
      out.append(content).push_back('\0');
    }
    return out;
  }

  /// Drains pending events; returns true if there were any.
  bool drain() {
    alignas(inotify_event) std::array<char, 4096> buffer;
    bool any = false;
    for (;;) {
      const auto n = ::read(fd_, buffer.data(), buffer.size());
      if (n <= 0) break;
      any = true;
    }
    return any;
  }

  void run(const std::stop_token& stop) {
    bool pending = false;
    typename C::time_point last_event{};
    while (!stop.stop_requested()) {
      pollfd pfd{fd_, POLLIN, 0};
      const int ready = ::poll(&pfd, 1, static_cast<int>(options_.poll.count()));
      if (ready > 0 && drain()) {
        pending = true;
        last_event = clock_.now();
        events_.fetch_add(1, std::memory_order_acq_rel);
      }
      if (!pending || clock_.now() - last_event < options_.debounce) continue;
      pending = false;
      std::string now = fingerprint();
      if (now == last_fingerprint_) continue;  // an unrelated file, or a write of the same content
      changes_.fetch_add(1, std::memory_order_acq_rel);
      if (on_change_()) last_fingerprint_ = std::move(now);
    }
  }

  std::vector<std::filesystem::path> files_;
  std::function<bool()> on_change_;
  watch_options options_;
  [[no_unique_address]] C clock_;
  int fd_ = -1;
  std::string last_fingerprint_;
  std::atomic<std::uint64_t> changes_{0};
  std::atomic<std::uint64_t> events_{0};
  std::jthread thread_;
};

/// Reloads `config` whenever the watched files change; keep the returned watcher alive as long as wanted.
template <class Config, Clock C = steady_clock>
[[nodiscard]] std::unique_ptr<file_watcher<C>> watch_files(Config& config, std::vector<std::filesystem::path> files,
                                                           watch_options options = {}, C clock = {}) {
  return std::make_unique<file_watcher<C>>(
      std::move(files), [&config] { return config.reload().ok(); }, options, std::move(clock));
}

}  // namespace arbiter::inline v1
