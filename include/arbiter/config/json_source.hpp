#pragma once

/// \file
/// JSON files as a config source (opt-in: needs nlohmann/json, Debian's nlohmann-json3-dev). Objects nest
/// sections, arrays fill lists, null empties an optional. Keys no field matches are errors by default, or
/// warnings, or ignored (`json_options::unknown_keys`). The file is read again on every reload.

#include <cstddef>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include <arbiter/config/source.hpp>

namespace arbiter::inline v1 {

/// How a JSON source treats its input.
struct json_options {
  unknown_key_policy unknown_keys = unknown_key_policy::error;
  bool optional = false;  ///< a missing file is not an error (a layer that may or may not exist)
};

/// Reads a JSON document from a file (or from text, for tests and tools).
class json_source {
 public:
  /// Reads the file at `path` on every load.
  explicit json_source(std::string path, json_options options = {}) : path_(std::move(path)), options_(options) {}

  /// Reads `text`, naming it `name` in messages.
  [[nodiscard]] static json_source from_text(std::string text, std::string name = "<json>", json_options options = {}) {
    json_source source(std::move(name), options);
    source.text_ = std::move(text);
    source.from_text_ = true;
    return source;
  }

  /// Returns the file path (or the name given to from_text).
  [[nodiscard]] const std::string& path() const noexcept { return path_; }

  template <class Schema>
  void read(source_output& out) const {
    std::string text;
    if (from_text_) {
      text = text_;
    } else {
      std::ifstream file(path_, std::ios::binary);
      if (!file) {
        if (!options_.optional) out.fail(path_, "cannot be opened");
        return;
      }
      std::ostringstream buffer;
      buffer << file.rdbuf();
      text = std::move(buffer).str();
    }
    nlohmann::json document;
    try {
      document = nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
      out.fail(path_, "is not valid JSON at " + position(text, e.byte) + ": " + reason(e.what()));
      return;
    }
    if (!document.is_object()) {
      out.fail(path_, "must hold a JSON object at the top level");
      return;
    }
    flatten(document, std::string(), out);
  }

 private:
  /// Returns "line L, column C" for a 1-based byte offset from nlohmann's parse_error.
  static std::string position(std::string_view text, std::size_t byte) {
    std::size_t line = 1;
    std::size_t column = 1;
    const std::size_t end = byte == 0 ? 0 : std::min(byte - 1, text.size());
    for (std::size_t i = 0; i < end; ++i) {
      if (text[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    return "line " + std::to_string(line) + ", column " + std::to_string(column);
  }

  /// Strips nlohmann's "[json.exception.parse_error.101] parse error at line 1, column 2: " prefix.
  static std::string reason(std::string_view what) {
    const auto colon = what.find(": ");
    return std::string(colon == std::string_view::npos ? what : what.substr(colon + 2));
  }

  static bool scalar_text(const nlohmann::json& value, std::string& text) {
    if (value.is_string()) {
      text = value.get<std::string>();
    } else if (value.is_boolean()) {
      text = value.get<bool>() ? "true" : "false";
    } else if (value.is_number()) {
      text = value.dump();
    } else {
      return false;
    }
    return true;
  }

  void flatten(const nlohmann::json& object, const std::string& prefix, source_output& out) const {
    for (const auto& [key, value] : object.items()) {
      std::string path = prefix.empty() ? key : prefix + "." + key;
      if (value.is_object()) {
        flatten(value, path, out);
        continue;
      }
      raw_value raw;
      if (value.is_null()) {
        raw = raw_value::null();
      } else if (value.is_array()) {
        std::vector<std::string> items;
        bool nested = false;
        for (const auto& item : value) {
          std::string text;
          if (!scalar_text(item, text)) nested = true;
          items.push_back(std::move(text));
        }
        if (nested) {
          out.issues.push_back({issue_severity::error, path,
                                path + ": a list from " + path_ + " holds an object, list or null; expected values"});
          continue;
        }
        raw = raw_value::list(std::move(items));
      } else {
        std::string text;
        scalar_text(value, text);
        raw = raw_value::scalar(std::move(text));
      }
      out.entries.push_back(raw_entry{std::move(path), std::move(raw), value_origin{origin_kind::file, path_},
                                      options_.unknown_keys, unresolved_leaf});
    }
  }

  std::string path_;
  json_options options_;
  std::string text_;
  bool from_text_ = false;
};

}  // namespace arbiter::inline v1
