#pragma once

/// \file
/// A thread-safe Logger that writes logfmt or JSON lines to a FILE*, with a level filter.

#include <atomic>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include <fmt/core.h>

#include <arbiter/detail/chrono.hpp>
#include <arbiter/detail/field_value.hpp>
#include <arbiter/detail/line_buffer.hpp>
#include <arbiter/detail/timestamp.hpp>
#include <arbiter/logging/logger.hpp>

namespace arbiter::inline v1 {

/// The line format of an fmt_logger.
enum class log_format : unsigned char {
  logfmt,  ///< `ts=... level=info msg="breaker opened" breaker=db`
  json     ///< `{"ts":"...","level":"info","msg":"breaker opened","breaker":"db"}`
};

/// Writes one line per record to a FILE*. Copies share the sink and the level.
///
/// \notes Each line is formatted into a local buffer with no lock held, then written with a single fwrite under
///        a mutex held only for the write: lines from different threads never interleave.
///        The FILE* is not owned; it must outlive every copy of the logger.
class fmt_logger {
 public:
  struct options {
    std::FILE* out = stderr;            ///< where lines go (not owned)
    log_level level = log_level::info;  ///< records below this are dropped before formatting
    log_format format = log_format::logfmt;
    std::string name{};      ///< added to every line as `logger=<name>` when not empty
    bool timestamps = true;  ///< prefix each line with `ts=<RFC 3339 UTC>`
    bool flush = false;      ///< fflush after every line (for pipes read by humans)
  };

  /// Logs info and above as logfmt to stderr.
  fmt_logger() : fmt_logger(options{}) {}

  explicit fmt_logger(options opts)
      : state_(std::make_shared<state>(opts.out, opts.level, opts.format, std::move(opts.name), opts.timestamps,
                                       opts.flush)) {}

  explicit fmt_logger(std::FILE* out, log_level level = log_level::info, log_format format = log_format::logfmt)
      : fmt_logger(options{out, level, format}) {}

  /// Returns whether a record at `level` would be written.
  [[nodiscard]] bool enabled(log_level level) const noexcept {
    return level != log_level::off && level >= state_->level.load(std::memory_order_relaxed);
  }

  /// Changes the threshold for this logger and all its copies.
  void set_level(log_level level) noexcept { state_->level.store(level, std::memory_order_relaxed); }

  [[nodiscard]] log_level level() const noexcept { return state_->level.load(std::memory_order_relaxed); }

  /// Changes the line format for this logger and all its copies (a line being written keeps the old one).
  void set_format(log_format format) noexcept { state_->format.store(format, std::memory_order_relaxed); }

  [[nodiscard]] log_format format() const noexcept { return state_->format.load(std::memory_order_relaxed); }

  /// Changes the `logger=` name of this logger and all its copies. Not thread-safe: call it before the logger
  /// is shared with other threads (the orchestrator names it once, after loading the config).
  void set_name(std::string name) { state_->name = std::move(name); }

  /// Writes one record if `level` passes the filter.
  template <class... T>
  void log(log_level level, std::string_view message, const log_field<T>&... fields) const {
    if (!enabled(level)) return;
    detail::line_buffer<> line;
    const state& s = *state_;
    if (s.format.load(std::memory_order_relaxed) == log_format::json) {
      line.push_back('{');
      bool first = true;
      const auto key = [&line, &first](std::string_view k) {
        if (!first) line.push_back(',');
        first = false;
        detail::append_json_string(line, k);
        line.push_back(':');
      };
      if (s.timestamps) {
        key("ts");
        line.push_back('"');
        detail::append_rfc3339(line, std::chrono::system_clock::now());
        line.push_back('"');
      }
      key("level");
      detail::append_json_string(line, to_string(level));
      if (!s.name.empty()) {
        key("logger");
        detail::append_json_string(line, s.name);
      }
      key("msg");
      detail::append_json_string(line, message);
      ((key(fields.key), detail::append_field_value(line, fields.value, detail::text_style::json)), ...);
      line.push_back('}');
    } else {
      const auto key = [&line](std::string_view k) {
        if (line.size() != 0) line.push_back(' ');
        detail::append_logfmt_key(line, k);
        line.push_back('=');
      };
      if (s.timestamps) {
        key("ts");
        detail::append_rfc3339(line, std::chrono::system_clock::now());
      }
      key("level");
      const auto lv = to_string(level);
      line.append(lv.data(), lv.data() + lv.size());
      if (!s.name.empty()) {
        key("logger");
        detail::append_logfmt_value(line, s.name);
      }
      key("msg");
      detail::append_logfmt_value(line, message);
      ((key(fields.key), detail::append_field_value(line, fields.value, detail::text_style::logfmt)), ...);
    }
    line.push_back('\n');
    const std::lock_guard lock(state_->write_mutex);
    std::fwrite(line.data(), 1, line.size(), s.out);
    if (s.flush) std::fflush(s.out);
  }

 private:
  struct state {
    state(std::FILE* o, log_level l, log_format f, std::string n, bool ts, bool fl)
        : out(o), level(l), format(f), name(std::move(n)), timestamps(ts), flush(fl) {}
    std::FILE* out;
    std::atomic<log_level> level;
    std::atomic<log_format> format;
    std::string name;
    bool timestamps;
    bool flush;
    std::mutex write_mutex;  // held for the write only; stdio's own FILE lock is invisible to ThreadSanitizer
  };
  std::shared_ptr<state> state_;
};

static_assert(Logger<fmt_logger>);

}  // namespace arbiter::inline v1
