#pragma once

// Test helpers for exposition text: run a real tool on it, and read it back line by line with a strict reader.

#include <unistd.h>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>

namespace test {

struct command_result {
  int status;
  std::string output;  // stdout and stderr
};

// Runs `command` with `input` on its stdin; returns its exit status and everything it printed.
inline command_result run_with_input(const std::string& command, const std::string& input) {
  char path[] = "/tmp/arbiter-metrics-XXXXXX";
  const int fd = ::mkstemp(path);
  if (fd < 0) throw std::runtime_error("mkstemp failed");
  ::close(fd);
  {
    std::ofstream file(path, std::ios::binary);
    file << input;
  }
  const std::string full = command + " < " + path + " 2>&1";
  FILE* pipe = ::popen(full.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("popen failed: " + full);
  std::string output;
  std::array<char, 4096> buffer{};
  std::size_t n;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) output.append(buffer.data(), n);
  const int status = ::pclose(pipe);
  std::remove(path);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

inline bool name_char(char c, bool first) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' || (!first && c >= '0' && c <= '9');
}

// Reads exposition text strictly: every line is a comment (`# HELP|TYPE|UNIT name ...`, `# EOF` last) or a sample
// `name{label="value",...} value`. Returns each sample as "name{labels}" (labels as written) -> value. Throws
// std::runtime_error naming the line on anything else, or on a sample written twice.
inline std::map<std::string, double> parse_exposition(std::string_view text) {
  std::map<std::string, double> samples;
  std::size_t line_no = 0;
  bool eof = false;
  while (!text.empty()) {
    ++line_no;
    const std::size_t nl = text.find('\n');
    if (nl == std::string_view::npos) throw std::runtime_error("line " + std::to_string(line_no) + ": no newline");
    const std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl + 1);
    const auto fail = [&](const char* why) {
      throw std::runtime_error("line " + std::to_string(line_no) + ": " + why + ": " + std::string(line));
    };
    if (eof) fail("text after # EOF");
    if (line == "# EOF") {
      eof = true;
      continue;
    }
    if (line.starts_with("# ")) {
      if (!line.starts_with("# HELP ") && !line.starts_with("# TYPE ") && !line.starts_with("# UNIT ")) {
        fail("unknown comment");
      }
      std::string_view rest = line.substr(7);
      std::size_t i = 0;
      while (i < rest.size() && name_char(rest[i], i == 0)) ++i;
      if (i == 0 || i >= rest.size() || rest[i] != ' ') fail("bad metric name in comment");
      continue;
    }
    std::size_t i = 0;
    while (i < line.size() && name_char(line[i], i == 0)) ++i;
    if (i == 0) fail("bad metric name");
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (true) {
        const std::size_t start = i;
        while (i < line.size() && line[i] != ':' && name_char(line[i], i == start)) ++i;
        if (i == start || i + 1 >= line.size() || line[i] != '=' || line[i + 1] != '"') fail("bad label");
        i += 2;
        while (i < line.size() && line[i] != '"') {
          if (line[i] == '\\') {
            if (i + 1 >= line.size() || (line[i + 1] != '\\' && line[i + 1] != '"' && line[i + 1] != 'n')) {
              fail("bad escape");
            }
            ++i;
          }
          ++i;
        }
        if (i >= line.size()) fail("unterminated label value");
        ++i;
        if (i < line.size() && line[i] == ',') {
          ++i;
          continue;
        }
        if (i < line.size() && line[i] == '}') {
          ++i;
          break;
        }
        fail("bad label list");
      }
    }
    if (i >= line.size() || line[i] != ' ') fail("no space before the value");
    const std::string key(line.substr(0, i));
    const std::string value(line.substr(i + 1));
    double number;
    if (value == "+Inf") {
      number = std::numeric_limits<double>::infinity();
    } else if (value == "-Inf") {
      number = -std::numeric_limits<double>::infinity();
    } else if (value == "NaN") {
      number = std::numeric_limits<double>::quiet_NaN();
    } else {
      std::size_t used = 0;
      try {
        number = std::stod(value, &used);
      } catch (...) {
        fail("bad value");
      }
      if (used != value.size() || value.find_first_of("iInN") != std::string::npos) fail("bad value");
    }
    if (!samples.emplace(key, number).second) fail("sample written twice");
  }
  return samples;
}

// The value of one sample ("name{labels}" as written) in what `metrics` exposes now; throws, printing the whole
// exposition, when there is no such sample.
template <class Registry>
double sample(const Registry& metrics, const std::string& key) {
  const std::string text = metrics.expose();
  const auto samples = parse_exposition(text);
  const auto it = samples.find(key);
  if (it == samples.end()) throw std::runtime_error("no sample " + key + " in\n" + text);
  return it->second;
}

}  // namespace test
