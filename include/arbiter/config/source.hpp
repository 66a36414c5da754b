#pragma once

/// \file
/// What config sources produce and how problems are reported. A source reads raw text values keyed by path
/// ("server.port") and says where each came from; the loader parses, validates and layers them.
///
/// A config source is a copyable type with
///   template <class Schema> void read(arbiter::source_output& out) const;
/// that appends entries (and problems it met, such as an unreadable file) to `out`.

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <arbiter/config/detail/text.hpp>
#include <arbiter/detail/json_text.hpp>

namespace arbiter::inline v1 {

/// Which layer a value came from; later layers win.
enum class origin_kind : std::uint8_t { default_value, file, environment, override_value };

/// Where a value came from: the default, a file and key, an environment variable, or an override.
struct value_origin {
  origin_kind kind = origin_kind::default_value;
  std::string where;  ///< file: "app.json:/server/port"; environment: the variable; override: the key

  /// Returns the text that follows "from" in messages and dumps.
  [[nodiscard]] std::string describe() const {
    switch (kind) {
      case origin_kind::default_value:
        return "the default";
      case origin_kind::file:
      case origin_kind::environment:
        return where;
      case origin_kind::override_value:
        return "override " + where;
    }
    return where;
  }

  friend bool operator==(const value_origin&, const value_origin&) = default;
};

/// How serious a config problem is: warnings are logged, errors fail the load.
enum class issue_severity : std::uint8_t { warning, error };

/// One problem found while loading: the path it concerns and the whole message line.
struct config_issue {
  issue_severity severity = issue_severity::error;
  std::string path;     ///< "server.port", or the source ("app.json") for a problem with a whole source
  std::string message;  ///< "server.port: 70000 from ARBITER_SERVER_PORT is above the maximum 65535"

  friend bool operator==(const config_issue&, const config_issue&) = default;
};

/// Thrown when config cannot load: carries every problem found, one per line in what().
class config_error : public std::runtime_error {
 public:
  explicit config_error(std::vector<config_issue> issues)
      : std::runtime_error(join(issues)), issues_(std::move(issues)) {}

  /// Returns every problem, errors and warnings, in the order they were found.
  [[nodiscard]] const std::vector<config_issue>& issues() const noexcept { return issues_; }

 private:
  static std::string join(const std::vector<config_issue>& issues) {
    std::string out = "invalid configuration:";
    for (const auto& issue : issues) {
      if (issue.severity != issue_severity::error) continue;
      out.append("\n  ").append(issue.message);
    }
    return out;
  }
  std::vector<config_issue> issues_;
};

/// What a typed source (a JSON or TOML file) wrote a value as. Text sources (the environment, overrides) give
/// `text`, which every field type parses; a typed value must match its field: a number is no string, a string
/// "5" is no integer.
enum class value_kind : std::uint8_t { text, string, number, boolean };

/// Returns the kind as it follows "is" in messages: "a string", "a number", "a boolean".
[[nodiscard]] constexpr std::string_view to_string(value_kind kind) noexcept {
  switch (kind) {
    case value_kind::text:
      return "text";
    case value_kind::string:
      return "a string";
    case value_kind::number:
      return "a number";
    case value_kind::boolean:
      return "a boolean";
  }
  return "text";
}

/// A value as a source read it, before parsing: one piece of text, a list (a file's array) or null.
struct raw_value {
  enum class shape : std::uint8_t { scalar, list, null };
  shape kind = shape::scalar;
  std::string text;                    ///< the scalar's text
  std::vector<std::string> items;      ///< the list's items
  value_kind type = value_kind::text;  ///< what the scalar was written as
  std::vector<value_kind> item_types;  ///< what each item was written as; empty when every item is text

  [[nodiscard]] static raw_value scalar(std::string text, value_kind type = value_kind::text) {
    return {shape::scalar, std::move(text), {}, type, {}};
  }
  [[nodiscard]] static raw_value list(std::vector<std::string> items, std::vector<value_kind> types = {}) {
    return {shape::list, {}, std::move(items), value_kind::text, std::move(types)};
  }
  [[nodiscard]] static raw_value null() { return {shape::null, {}, {}, value_kind::text, {}}; }

  /// Returns what item `i` of a list was written as.
  [[nodiscard]] value_kind item_type(std::size_t i) const noexcept {
    return i < item_types.size() ? item_types[i] : value_kind::text;
  }
};

/// How deep a file's objects, tables and lists may nest. Config needs a few levels; a limit keeps a hostile or
/// broken file from costing memory and time in proportion to its depth.
inline constexpr std::size_t max_config_depth = 64;

/// What to do with a key no field matches.
enum class unknown_key_policy : std::uint8_t { ignore, warn, error };

/// A leaf index meaning "find the leaf by path".
inline constexpr std::size_t unresolved_leaf = static_cast<std::size_t>(-1);

/// One value from a source.
struct raw_entry {
  std::string path;
  raw_value value;
  value_origin origin;
  unknown_key_policy on_unknown = unknown_key_policy::error;
  std::size_t leaf = unresolved_leaf;  ///< set by sources that already know the leaf (the environment)
};

/// Collects what a source read.
struct source_output {
  std::vector<raw_entry> entries;
  std::vector<config_issue> issues;

  /// Records a problem with a whole source (a file that cannot be read or parsed).
  void fail(std::string where, std::string problem, issue_severity severity = issue_severity::error) {
    std::string message = where + ": " + problem;
    issues.push_back({severity, std::move(where), std::move(message)});
  }
};

/// A config source for schema `Schema` (see the file comment).
template <class S, class Schema>
concept ConfigSource = std::copy_constructible<S> && requires(const S& source, source_output& out) {
  source.template read<Schema>(out);
};

/// Checks that `S` is a config source for `Schema` and says what is missing if it is not.
template <class S, class Schema>
consteval bool assert_config_source() {
  static_assert(std::copy_constructible<S>, "====> arbiter: a config source must be copyable.");
  static_assert(
      requires(const S& source, source_output& out) { source.template read<Schema>(out); },
      "====> arbiter: a config source needs `template <class Schema> void read(arbiter::source_output& out) "
      "const` that appends raw_entry{path, raw_value, origin} to out.entries.");
  return true;
}

namespace detail {

/// Returns `path` as a source stores it in an entry: a path longer than any schema path is cut after
/// `max_name_length` characters and ends in "...". It matches no field either way, and a file of long keys
/// nested deep cannot make every entry (and its message) as long as all its keys together.
[[nodiscard]] inline std::string entry_path(std::string_view path) {
  if (path.size() <= max_name_length) return std::string(path);
  std::string out(path.substr(0, max_name_length));
  out.append("...");
  return out;
}

/// Returns `text` as it appears in an error line: bare when plain, quoted with escapes otherwise.
[[nodiscard]] inline std::string shown_value(std::string_view text) {
  std::string out;
  append_logfmt_value(out, text);
  return out;
}

/// Returns a raw value as it appears in an error line.
[[nodiscard]] inline std::string shown_value(const raw_value& value) {
  switch (value.kind) {
    case raw_value::shape::null:
      return "null";
    case raw_value::shape::list: {
      std::string joined = "[";
      for (std::size_t i = 0; i < value.items.size(); ++i) {
        if (i != 0) joined.append(", ");
        joined.append(shown_value(value.items[i]));
      }
      return joined + "]";
    }
    case raw_value::shape::scalar:
      break;
  }
  return shown_value(value.text);
}

}  // namespace detail

}  // namespace arbiter::inline v1
