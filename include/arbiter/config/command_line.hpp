#pragma once

/// \file
/// command_line: the arguments every service on arbiter's config takes, with the service's own flags, and the
/// usage text made from them.
///
///   key.path=value, --set key.path=value   overrides, in the order given (later ones win): override_source(...)
///   --dump-config, --help-config            print the effective config or the reference of every setting
///   --help, -h                              print usage()
///   flags and options the service declares with flag() and option()
///
/// Anything else starting with `-` is an error naming it; parse() throws std::invalid_argument.

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace arbiter::inline v1 {

class command_line {
 public:
  /// `program` and `summary` head the usage text.
  command_line(std::string program, std::string summary) : program_(std::move(program)), summary_(std::move(summary)) {}

  /// Declares `name` (e.g. "--serve"), which sets `target` to true.
  command_line& flag(std::string name, std::string help, bool& target) {
    entries_.push_back(entry{std::move(name), {}, std::move(help), &target, nullptr, {}});
    return *this;
  }

  /// Declares `name VALUE`, which sets `target`; with `choices`, the value must be one of them.
  command_line& option(std::string name, std::string value_name, std::string help, std::optional<std::string>& target,
                       std::vector<std::string> choices = {}) {
    entries_.push_back(
        entry{std::move(name), std::move(value_name), std::move(help), nullptr, &target, std::move(choices)});
    return *this;
  }

  /// Reads `argv[1..argc)`. \throws std::invalid_argument naming the argument: an unknown option, a missing
  /// value, a value that is not one of the choices
  void parse(int argc, const char* const* argv) {
    for (int i = 1; i < argc; ++i) {
      const std::string arg = argv[i];
      const auto value = [&] {
        if (i + 1 == argc) throw std::invalid_argument(arg + " needs a value");
        return std::string(argv[++i]);
      };
      const auto declared =
          std::find_if(entries_.begin(), entries_.end(), [&](const entry& e) { return e.name == arg; });
      if (!arg.starts_with("-")) {
        overrides_.push_back(arg);
      } else if (arg == "--set") {
        overrides_.push_back(value());
      } else if (arg == "--dump-config" || arg == "--help-config" || arg == "--help" || arg == "-h") {
        (arg == "--dump-config" ? dump_config_ : arg == "--help-config" ? help_config_ : help_) = true;
      } else if (declared == entries_.end()) {
        throw std::invalid_argument("unknown option " + arg);
      } else if (declared->flag != nullptr) {
        *declared->flag = true;
      } else {
        set(*declared, value());
      }
    }
  }

  /// Parses like parse(), for main(): on a bad argument prints `<program>: <what was wrong>`, a blank line and
  /// usage(footer) to stderr and returns 2 (the exit code of bad usage); else returns std::nullopt: go on.
  ///
  ///   if (const auto code = cli.parse_or_usage(argc, argv)) return *code;
  [[nodiscard]] std::optional<int> parse_or_usage(int argc, const char* const* argv, std::string_view footer = {}) {
    try {
      parse(argc, argv);
      return std::nullopt;
    } catch (const std::invalid_argument& error) {
      std::fprintf(stderr, "%s: %s\n\n%s", program_.c_str(), error.what(), usage(footer).c_str());
      return 2;
    }
  }

  /// Returns the usage: the program, the summary, every flag with its help, then `footer`.
  [[nodiscard]] std::string usage(std::string_view footer = {}) const {
    std::vector<std::pair<std::string, std::string>> rows;
    for (const auto& e : entries_)
      rows.emplace_back(e.value_name.empty() ? e.name : e.name + " " + e.value_name, e.help);
    rows.emplace_back("--dump-config", "print the effective configuration and where each value came from, then exit");
    rows.emplace_back("--help-config", "print every setting (type, default, environment variable), then exit");
    rows.emplace_back("key.path=value", "override one setting (also --set key.path=value)");
    std::size_t width = 0;
    for (const auto& row : rows) width = std::max(width, row.first.size());
    std::string out = "usage: " + program_ + " [options] [key.path=value ...]\n" + summary_ + "\n";
    for (const auto& [left, help] : rows) out += "  " + left + std::string(width + 2 - left.size(), ' ') + help + "\n";
    return out += footer;
  }

  /// The `key.path=value` overrides, in the order given: `override_source(cli.overrides())`.
  [[nodiscard]] const std::vector<std::string>& overrides() const noexcept { return overrides_; }
  [[nodiscard]] bool dump_config() const noexcept { return dump_config_; }
  [[nodiscard]] bool help_config() const noexcept { return help_config_; }
  [[nodiscard]] bool help() const noexcept { return help_; }

 private:
  struct entry {
    std::string name, value_name, help;
    bool* flag = nullptr;
    std::optional<std::string>* value = nullptr;
    std::vector<std::string> choices;
  };

  static void set(const entry& e, std::string value) {
    if (!e.choices.empty() && std::find(e.choices.begin(), e.choices.end(), value) == e.choices.end()) {
      std::string allowed;
      for (const auto& choice : e.choices) allowed += (allowed.empty() ? "" : " or ") + choice;
      throw std::invalid_argument(e.name + " takes " + allowed + ", not " + value);
    }
    *e.value = std::move(value);
  }

  std::string program_, summary_;
  std::vector<entry> entries_;
  std::vector<std::string> overrides_;
  bool dump_config_ = false, help_config_ = false, help_ = false;
};

}  // namespace arbiter::inline v1
