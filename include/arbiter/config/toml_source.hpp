#pragma once

/// \file
/// TOML files as a config source (opt-in: needs toml++, Debian's libtomlplusplus-dev, used header-only).
/// Tables nest sections, arrays fill lists. Values remember their file and line ("app.toml:4"). Keys no field
/// matches are errors by default, or warnings, or ignored. The file is read again on every reload.

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <toml++/toml.h>

#include <arbiter/config/detail/file_text.hpp>
#include <arbiter/config/source.hpp>

namespace arbiter::inline v1 {

/// How a TOML source treats its input.
struct toml_options {
  unknown_key_policy unknown_keys = unknown_key_policy::error;
  bool optional = false;  ///< a missing file is not an error (a layer that may or may not exist)
};

/// Reads a TOML document from a file (or from text, for tests and tools).
class toml_source {
 public:
  /// Reads the file at `path` on every load.
  explicit toml_source(std::string path, toml_options options = {}) : path_(std::move(path)), options_(options) {}

  /// Reads `text`, naming it `name` in messages.
  [[nodiscard]] static toml_source from_text(std::string text, std::string name = "<toml>", toml_options options = {}) {
    toml_source source(std::move(name), options);
    source.text_ = std::move(text);
    source.from_text_ = true;
    return source;
  }

  /// Returns the file path (or the name given to from_text).
  [[nodiscard]] const std::string& path() const noexcept { return path_; }

  template <class Schema>
  void read(source_output& out) const {
    std::string file_text;
    if (!from_text_) {
      if (!detail::read_file_text(path_, file_text)) {
        if (!options_.optional) out.fail(path_, "cannot be opened");
        return;
      }
    }
    const std::string& text = from_text_ ? text_ : file_text;
    toml::table document;
    try {
      document = toml::parse(text, path_);
    } catch (const toml::parse_error& e) {
      const auto& begin = e.source().begin;
      std::string path;
      std::size_t first_line = 0;
      if (first_definition(text, e.description(), begin.line, path, first_line)) {
        std::string message = path + ": duplicate key at " + path_ + ":" + std::to_string(begin.line) + " (first at " +
                              path_ + ":" + std::to_string(first_line) + ")";
        out.issues.push_back({issue_severity::error, std::move(path), std::move(message)});
        return;
      }
      out.fail(path_, "is not valid TOML at line " + std::to_string(begin.line) + ", column " +
                          std::to_string(begin.column) + ": " + reason(e.description()));
      return;
    }
    source_output flat;
    std::string path;
    if (!flatten(document, path, 1, flat)) {
      out.issues.insert(out.issues.end(), flat.issues.begin(), flat.issues.end());
      return;  // like a file that does not parse: no values from half of it
    }
    for (auto& entry : flat.entries) out.entries.push_back(std::move(entry));
    for (auto& issue : flat.issues) out.issues.push_back(std::move(issue));
  }

 private:
  /// Returns why toml++ rejected the file without any of the input: a syntax error may fall inside any value, a
  /// secret's among them, and toml++ quotes what it read ("'2718281828e99999' could not be interpreted",
  /// "saw 'h'"). Quoted text becomes '...'; only a redefinition keeps its quotes, which hold the key.
  [[nodiscard]] static std::string reason(std::string_view description) {
    std::string text(description);
    if (text.find("cannot redefine existing") != std::string::npos) return text;
    const auto first = text.find('\'');
    if (first == std::string::npos) return text;
    const auto last = text.rfind('\'');
    text.replace(first, last == first ? std::string::npos : last - first + 1, "'...'");
    return text;
  }

  /// For toml++'s "cannot redefine existing integer 'port'" at `line`, finds the key's path and the line that
  /// first gave it: parses the text above `line` and looks the key up in the table that line belongs to (the
  /// table header nearest above it; a header's own key is looked up from the top). False when it cannot tell
  /// (a quoted key, say); the message then names the second line only.
  [[nodiscard]] static bool first_definition(std::string_view text, std::string_view description, std::size_t line,
                                             std::string& path, std::size_t& first_line) {
    if (description.find("cannot redefine existing") == std::string_view::npos) return false;
    const auto open = description.find('\'');
    const auto close = description.rfind('\'');
    if (open == std::string_view::npos || close == open) return false;
    std::vector<std::string_view> segments;
    for (std::string_view rest = description.substr(open + 1, close - open - 1);;) {
      const auto dot = rest.find('.');
      const std::string_view segment = detail::trim(rest.substr(0, dot));
      if (segment.empty() || segment.find_first_of("\"'") != std::string_view::npos) return false;
      segments.push_back(segment);
      if (dot == std::string_view::npos) break;
      rest.remove_prefix(dot + 1);
    }
    std::size_t prefix_end = 0;
    for (std::size_t l = 1; l < line && prefix_end != std::string_view::npos; ++l) {
      prefix_end = text.find('\n', prefix_end);
      if (prefix_end != std::string_view::npos) ++prefix_end;
    }
    if (prefix_end == std::string_view::npos) return false;
    toml::table above;
    try {
      above = toml::parse(text.substr(0, prefix_end));
    } catch (const toml::parse_error&) {
      return false;
    }
    // The table the line belongs to: for a key-value pair, the last table header above it.
    const toml::table* base = &above;
    std::string base_path;
    if (description.rfind("Error while parsing table header", 0) != 0) {
      std::vector<std::size_t> line_starts{0};
      for (std::size_t i = 0; i < prefix_end; ++i) {
        if (text[i] == '\n') line_starts.push_back(i + 1);
      }
      std::size_t base_line = 0;
      std::string scratch;
      find_header_table(above, text, line_starts, scratch, 1, base, base_path, base_line);
    }
    const toml::node* node = base;
    path = base_path;
    for (const auto segment : segments) {
      const auto* table = node->as_table();
      node = table == nullptr ? nullptr : table->get(segment);
      if (node == nullptr) return false;
      if (!path.empty()) path.push_back('.');
      path.append(segment);
    }
    path = detail::entry_path(path);
    first_line = node->source().begin.line;
    return true;
  }

  /// Finds, under `table` (at `path`), the table whose header ([name] or [[name]]) is the last one in the
  /// text, the deepest if several start on that line.
  static void find_header_table(const toml::table& table, std::string_view text,
                                const std::vector<std::size_t>& line_starts, std::string& path, std::size_t depth,
                                const toml::table*& best, std::string& best_path, std::size_t& best_line) {
    if (depth > max_config_depth) return;
    const std::size_t outer = path.size();
    const auto consider = [&](const toml::table& candidate) {
      const std::size_t at = candidate.source().begin.line;
      if (at == 0 || at < best_line || (at == best_line && path.size() <= best_path.size())) return;
      if (!starts_with_bracket(text, line_starts, at)) return;
      best = &candidate;
      best_path = path;
      best_line = at;
    };
    for (const auto& [key, node] : table) {
      path.resize(outer);
      if (outer != 0) path.push_back('.');
      path.append(key.str());
      if (const auto* sub = node.as_table()) {
        consider(*sub);
        find_header_table(*sub, text, line_starts, path, depth + 1, best, best_path, best_line);
      } else if (const auto* array = node.as_array()) {
        for (const auto& item : *array) {
          if (const auto* element = item.as_table()) {
            consider(*element);
            find_header_table(*element, text, line_starts, path, depth + 1, best, best_path, best_line);
          }
        }
      }
    }
    path.resize(outer);
  }

  /// True when line `line` (1-based) of `text` starts with '[' after blanks: a table header.
  [[nodiscard]] static bool starts_with_bracket(std::string_view text, const std::vector<std::size_t>& line_starts,
                                                std::size_t line) {
    if (line == 0 || line > line_starts.size()) return false;
    std::size_t at = line_starts[line - 1];
    while (at < text.size() && (text[at] == ' ' || text[at] == '\t')) ++at;
    return at < text.size() && text[at] == '[';
  }

  /// Returns a TOML value as the text the parsers read and says what it was written as; floats keep a decimal
  /// point so an integer field rejects them, as it rejects "1.0" from the environment.
  static bool value_text(const toml::node& node, std::string& text, value_kind& kind) {
    if (const auto* s = node.as_string()) {
      text = s->get();
      kind = value_kind::string;
    } else if (const auto* i = node.as_integer()) {
      text = std::to_string(i->get());
      kind = value_kind::number;
    } else if (const auto* f = node.as_floating_point()) {
      char buffer[64];
      const auto result = std::to_chars(buffer, buffer + sizeof buffer, f->get());
      text.assign(buffer, result.ptr);
      if (text.find_first_of(".eEn") == std::string::npos) text.append(".0");
      kind = value_kind::number;
    } else if (const auto* b = node.as_boolean()) {
      text = b->get() ? "true" : "false";
      kind = value_kind::boolean;
    } else {
      return false;  // dates and times have no config type
    }
    return true;
  }

  [[nodiscard]] std::string where(const toml::node& node) const {
    return path_ + ":" + std::to_string(node.source().begin.line);
  }

  /// Adds the values of `table` (at `depth`, the top level being 1) under `path`, which it restores before
  /// returning. False when tables nest deeper than max_config_depth (the issue says where).
  bool flatten(const toml::table& table, std::string& path, std::size_t depth, source_output& out) const {
    const std::size_t outer = path.size();
    for (const auto& [key, node] : table) {
      path.resize(outer);
      if (outer != 0) path.push_back('.');
      path.append(key.str());
      if (const auto* sub = node.as_table()) {
        if (depth == max_config_depth) {
          out.fail(path_, "nests tables deeper than " + std::to_string(max_config_depth) + " levels at line " +
                              std::to_string(node.source().begin.line));
          return false;
        }
        if (!flatten(*sub, path, depth + 1, out)) return false;
        continue;
      }
      raw_value raw;
      if (const auto* array = node.as_array()) {
        std::vector<std::string> items;
        std::vector<value_kind> kinds;
        bool ok = true;
        for (const auto& item : *array) {
          std::string text;
          value_kind kind = value_kind::text;
          ok = ok && value_text(item, text, kind);
          items.push_back(std::move(text));
          kinds.push_back(kind);
        }
        if (!ok) {
          std::string shown = detail::entry_path(path);
          std::string message =
              shown + ": a list from " + where(node) + " holds a table, list, date or time; expected values";
          out.issues.push_back({issue_severity::error, std::move(shown), std::move(message)});
          continue;
        }
        raw = raw_value::list(std::move(items), std::move(kinds));
      } else {
        std::string text;
        value_kind kind = value_kind::text;
        if (!value_text(node, text, kind)) {
          std::string shown = detail::entry_path(path);
          std::string message = shown + ": a date or time from " + where(node) + " is not a config value";
          out.issues.push_back({issue_severity::error, std::move(shown), std::move(message)});
          continue;
        }
        raw = raw_value::scalar(std::move(text), kind);
      }
      out.entries.push_back(raw_entry{detail::entry_path(path), std::move(raw),
                                      value_origin{origin_kind::file, where(node)}, options_.unknown_keys,
                                      unresolved_leaf});
    }
    path.resize(outer);
    return true;
  }

  std::string path_;
  toml_options options_;
  std::string text_;
  bool from_text_ = false;
};

}  // namespace arbiter::inline v1
