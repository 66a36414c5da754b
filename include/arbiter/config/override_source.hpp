#pragma once

/// \file
/// Explicit overrides, the highest layer: `key.path=value` pairs, typically from the command line
/// (`--set server.port=9090`). An override naming no field is an error: it is a typo, not a stale file.

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <arbiter/config/source.hpp>

namespace arbiter::inline v1 {

/// Reads `key.path=value` pairs. Lists are comma-separated, as in the environment.
class override_source {
 public:
  override_source() = default;

  /// Takes pairs such as "server.port=9090".
  explicit override_source(std::vector<std::string> pairs) : pairs_(std::move(pairs)) {}

  /// Collects the pairs given as `<flag> key=value` or `<flag>=key=value` on a command line; ignores the rest.
  [[nodiscard]] static override_source from_args(int argc, const char* const* argv, std::string_view flag = "--set") {
    std::vector<std::string> pairs;
    for (int i = 1; i < argc; ++i) {
      const std::string_view arg = argv[i];
      if (arg == flag && i + 1 < argc) {
        pairs.emplace_back(argv[++i]);
      } else if (arg.size() > flag.size() && arg.substr(0, flag.size()) == flag && arg[flag.size()] == '=') {
        pairs.emplace_back(arg.substr(flag.size() + 1));
      }
    }
    return override_source(std::move(pairs));
  }

  /// Adds or replaces an override; later pairs for the same key win.
  void set(std::string_view key, std::string_view value) {
    pairs_.push_back(std::string(key) + "=" + std::string(value));
  }

  /// Returns the pairs as given.
  [[nodiscard]] const std::vector<std::string>& pairs() const noexcept { return pairs_; }

  template <class Schema>
  void read(source_output& out) const {
    for (const auto& pair : pairs_) {
      const auto eq = pair.find('=');
      if (eq == std::string::npos || eq == 0) {
        out.fail("override " + detail::shown_value(pair), "is not of the form key.path=value");
        continue;
      }
      std::string key(detail::trim(std::string_view(pair).substr(0, eq)));
      out.entries.push_back(raw_entry{key, raw_value::scalar(pair.substr(eq + 1)),
                                      value_origin{origin_kind::override_value, key}, unknown_key_policy::error,
                                      unresolved_leaf});
    }
  }

 private:
  std::vector<std::string> pairs_;
};

}  // namespace arbiter::inline v1
