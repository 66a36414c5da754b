#include <arbiter/logging/fmt_logger.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <limits>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;

enum class color { red, green };
constexpr std::string_view to_string(color c) { return c == color::red ? "red" : "green"; }

/// A FILE* backed by memory; read() returns everything written so far.
class memory_file {
 public:
  memory_file() : file_(open_memstream(&data_, &size_)) {}
  ~memory_file() {
    std::fclose(file_);
    std::free(data_);
  }
  memory_file(const memory_file&) = delete;
  memory_file& operator=(const memory_file&) = delete;
  [[nodiscard]] std::FILE* get() const { return file_; }
  [[nodiscard]] std::string read() {
    std::fflush(file_);
    return std::string(data_, size_);
  }

 private:
  char* data_ = nullptr;
  std::size_t size_ = 0;
  std::FILE* file_;
};

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (std::size_t pos = text.find('\n'); pos != std::string::npos; pos = text.find('\n', start)) {
    out.push_back(text.substr(start, pos - start));
    start = pos + 1;
  }
  EXPECT_EQ(start, text.size()) << "output must end with a newline";
  return out;
}

TEST(fmt_logger, logfmt_line_has_level_message_and_typed_fields) {
  memory_file file;
  arbiter::fmt_logger logger({.out = file.get(), .level = arbiter::log_level::info, .timestamps = false});
  logger.log(arbiter::log_level::warn, "breaker opened", arbiter::kv("breaker", "db"), arbiter::kv("failures", 5),
             arbiter::kv("rate", 0.5), arbiter::kv("forced", false), arbiter::kv("timeout", 5000ms),
             arbiter::kv("color", color::green), arbiter::kv("reason", std::string("too many \"errors\"")));
  EXPECT_EQ(file.read(),
            "level=warn msg=\"breaker opened\" breaker=db failures=5 rate=0.5 forced=false timeout=5000ms "
            "color=green reason=\"too many \\\"errors\\\"\"\n");
}

TEST(fmt_logger, json_line_escapes_and_keeps_numbers_bare) {
  memory_file file;
  arbiter::fmt_logger logger(
      {.out = file.get(), .format = arbiter::log_format::json, .name = "svc", .timestamps = false});
  logger.log(arbiter::log_level::error, "bad\nthing", arbiter::kv("count", std::uint64_t{18446744073709551615ULL}),
             arbiter::kv("path", "a\\b"), arbiter::kv("ok", true),
             arbiter::kv("nan", std::numeric_limits<double>::quiet_NaN()),
             arbiter::kv("ctl", std::string_view("\x01", 1)));
  EXPECT_EQ(file.read(),
            "{\"level\":\"error\",\"logger\":\"svc\",\"msg\":\"bad\\nthing\",\"count\":18446744073709551615,"
            "\"path\":\"a\\\\b\",\"ok\":true,\"nan\":\"NaN\",\"ctl\":\"\\u0001\"}\n");
}

TEST(fmt_logger, level_filter_drops_records_below_threshold_for_all_copies) {
  memory_file file;
  arbiter::fmt_logger logger({.out = file.get(), .level = arbiter::log_level::warn, .timestamps = false});
  const arbiter::fmt_logger copy = logger;
  EXPECT_FALSE(copy.enabled(arbiter::log_level::info));
  EXPECT_TRUE(copy.enabled(arbiter::log_level::error));
  copy.log(arbiter::log_level::info, "dropped");
  logger.set_level(arbiter::log_level::debug);
  EXPECT_TRUE(copy.enabled(arbiter::log_level::debug));
  EXPECT_FALSE(copy.enabled(arbiter::log_level::off)) << "`off` is a threshold, never a record level";
  copy.log(arbiter::log_level::debug, "kept");
  EXPECT_EQ(file.read(), "level=debug msg=kept\n");
}

TEST(fmt_logger, timestamp_is_rfc3339_utc_with_microseconds) {
  memory_file file;
  arbiter::fmt_logger logger(file.get());
  logger.log(arbiter::log_level::info, "hello");
  const std::string text = file.read();
  ASSERT_GE(text.size(), 31U);
  EXPECT_EQ(text.substr(0, 3), "ts=");
  const std::string ts = text.substr(3, 27);
  EXPECT_EQ(ts[4], '-');
  EXPECT_EQ(ts[10], 'T');
  EXPECT_EQ(ts[19], '.');
  EXPECT_EQ(ts[26], 'Z');
  EXPECT_NE(text.find(" level=info msg=hello\n"), std::string::npos) << text;
}

TEST(fmt_logger, empty_and_spaced_values_are_quoted) {
  memory_file file;
  arbiter::fmt_logger logger({.out = file.get(), .timestamps = false});
  logger.log(arbiter::log_level::info, "", arbiter::kv("empty", ""), arbiter::kv("eq", "a=b"));
  EXPECT_EQ(file.read(), "level=info msg=\"\" empty=\"\" eq=\"a=b\"\n");
}

TEST(fmt_logger, json_lines_are_valid_utf8_and_valid_json_whatever_the_bytes) {
  const std::string fffd = "\xEF\xBF\xBD";
  memory_file file;
  arbiter::fmt_logger logger(
      {.out = file.get(), .format = arbiter::log_format::json, .name = "svc\xFF", .timestamps = false});
  logger.log(arbiter::log_level::error, "bad \xC3", arbiter::kv("k\x80", "v\xED\xA0\x80"),
             arbiter::kv("inf", -std::numeric_limits<double>::infinity()),
             arbiter::kv("f", std::numeric_limits<float>::infinity()), arbiter::kv("ok", "caf\xC3\xA9"));
  const std::string line = file.read();
  EXPECT_EQ(line, "{\"level\":\"error\",\"logger\":\"svc" + fffd + "\",\"msg\":\"bad " + fffd + "\",\"k" + fffd +
                      "\":\"v" + fffd + fffd + fffd +
                      "\",\"inf\":\"-Infinity\",\"f\":\"Infinity\",\"ok\":\"caf\xC3\xA9\"}\n");
  EXPECT_TRUE(arbiter::detail::is_valid_utf8(line));
}

TEST(fmt_logger, logfmt_keys_and_values_cannot_break_the_line) {
  const std::string fffd = "\xEF\xBF\xBD";
  memory_file file;
  arbiter::fmt_logger logger({.out = file.get(), .timestamps = false});
  logger.log(arbiter::log_level::info, "m\x80", arbiter::kv("user id", 1), arbiter::kv("a=b", 2), arbiter::kv("", 3),
             arbiter::kv("new\nline", "v\xFF"), arbiter::kv("q\"", "x y\xC3"));
  const std::string line = file.read();
  EXPECT_EQ(line, "level=info msg=m" + fffd + " user_id=1 a_b=2 _=3 new_line=v" + fffd + " q_=\"x y" + fffd + "\"\n");
  EXPECT_TRUE(arbiter::detail::is_valid_utf8(line));
}

TEST(fmt_logger, concurrent_writers_never_interleave_lines) {
  memory_file file;
  arbiter::fmt_logger logger({.out = file.get(), .timestamps = false});
  constexpr int threads = 4;
  constexpr int per_thread = 500;
  {
    std::vector<std::jthread> workers;
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([logger, t] {
        for (int i = 0; i < per_thread; ++i) {
          logger.log(arbiter::log_level::info, "tick", arbiter::kv("thread", t), arbiter::kv("i", i),
                     arbiter::kv("pad", std::string(64, static_cast<char>('a' + t))));
        }
      });
    }
  }
  const auto all = lines(file.read());
  ASSERT_EQ(all.size(), static_cast<std::size_t>(threads * per_thread));
  std::vector<int> next(threads, 0);
  for (const auto& line : all) {
    ASSERT_EQ(line.rfind("level=info msg=tick thread=", 0), 0U) << line;
    const int t = line[27] - '0';
    ASSERT_GE(t, 0);
    ASSERT_LT(t, threads);
    const std::string expected = "level=info msg=tick thread=" + std::to_string(t) +
                                 " i=" + std::to_string(next[static_cast<std::size_t>(t)]) +
                                 " pad=" + std::string(64, static_cast<char>('a' + t));
    ASSERT_EQ(line, expected) << "a line was torn or reordered within its thread";
    ++next[static_cast<std::size_t>(t)];
  }
}

}  // namespace
