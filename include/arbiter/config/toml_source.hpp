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
    toml::table document;
    try {
      if (from_text_) {
        document = toml::parse(text_, path_);
      } else {
        document = toml::parse_file(path_);
      }
    } catch (const toml::parse_error& e) {
      const auto& begin = e.source().begin;
      if (!from_text_ && e.description().find("File could not be opened") != std::string_view::npos) {
        if (!options_.optional) out.fail(path_, "cannot be opened");
        return;
      }
      out.fail(path_, "is not valid TOML at line " + std::to_string(begin.line) + ", column " +
                          std::to_string(begin.column) + ": " + std::string(e.description()));
      return;
    }
    flatten(document, std::string(), out);
  }

 private:
  /// Returns a TOML value as the text the parsers read; floats keep a decimal point so an integer field
  /// rejects them, as it rejects "1.0" from the environment.
  static bool value_text(const toml::node& node, std::string& text) {
    if (const auto* s = node.as_string()) {
      text = s->get();
    } else if (const auto* i = node.as_integer()) {
      text = std::to_string(i->get());
    } else if (const auto* f = node.as_floating_point()) {
      char buffer[64];
      const auto result = std::to_chars(buffer, buffer + sizeof buffer, f->get());
      text.assign(buffer, result.ptr);
      if (text.find_first_of(".eEn") == std::string::npos) text.append(".0");
    } else if (const auto* b = node.as_boolean()) {
      text = b->get() ? "true" : "false";
    } else {
      return false;  // dates and times have no config type
    }
    return true;
  }

  [[nodiscard]] std::string where(const toml::node& node) const {
    return path_ + ":" + std::to_string(node.source().begin.line);
  }

  void flatten(const toml::table& table, const std::string& prefix, source_output& out) const {
    for (const auto& [key, node] : table) {
      std::string path = prefix.empty() ? std::string(key.str()) : prefix + "." + std::string(key.str());
      if (const auto* sub = node.as_table()) {
        flatten(*sub, path, out);
        continue;
      }
      raw_value raw;
      if (const auto* array = node.as_array()) {
        std::vector<std::string> items;
        bool ok = true;
        for (const auto& item : *array) {
          std::string text;
          ok = ok && value_text(item, text);
          items.push_back(std::move(text));
        }
        if (!ok) {
          std::string message =
              path + ": a list from " + where(node) + " holds a table, list, date or time; expected values";
          out.issues.push_back({issue_severity::error, std::move(path), std::move(message)});
          continue;
        }
        raw = raw_value::list(std::move(items));
      } else {
        std::string text;
        if (!value_text(node, text)) {
          std::string message = path + ": a date or time from " + where(node) + " is not a config value";
          out.issues.push_back({issue_severity::error, std::move(path), std::move(message)});
          continue;
        }
        raw = raw_value::scalar(std::move(text));
      }
      out.entries.push_back(raw_entry{std::move(path), std::move(raw), value_origin{origin_kind::file, where(node)},
                                      options_.unknown_keys, unresolved_leaf});
    }
  }

  std::string path_;
  toml_options options_;
  std::string text_;
  bool from_text_ = false;
};

}  // namespace arbiter::inline v1
