#pragma once

/// \file
/// JSON files as a config source (opt-in: needs nlohmann/json, Debian's nlohmann-json3-dev). Objects nest
/// sections, arrays fill lists, null empties an optional. Values remember their file and line ("app.json:3"). Keys no
/// field matches are errors by default, or warnings, or ignored (`json_options::unknown_keys`). The file is read again
/// on every reload.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <optional>
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
    source_output parsed;
    flattener handler(text, path_, options_.unknown_keys, parsed);
    const char* cursor = text.data();
    handler.cursor = &cursor;
    const bool ok = nlohmann::json::sax_parse(counting_iterator{text.data(), &cursor},
                                              counting_iterator{text.data() + text.size(), &cursor}, &handler);
    if (!ok) {
      out.issues.insert(out.issues.end(), parsed.issues.begin(), parsed.issues.end());
      return;  // a file that does not parse contributes no values: never half a file
    }
    for (auto& entry : parsed.entries) out.entries.push_back(std::move(entry));
    for (auto& issue : parsed.issues) out.issues.push_back(std::move(issue));
  }

 private:
  /// Reads the text for nlohmann's SAX parser and publishes how far it has read, so values get line numbers.
  struct counting_iterator {
    using iterator_category = std::forward_iterator_tag;
    using value_type = char;
    using difference_type = std::ptrdiff_t;
    using pointer = const char*;
    using reference = const char&;

    const char* at = nullptr;
    const char** cursor = nullptr;

    reference operator*() const noexcept { return *at; }
    counting_iterator& operator++() noexcept {
      *cursor = ++at;
      return *this;
    }
    counting_iterator operator++(int) noexcept {
      counting_iterator before = *this;
      ++*this;
      return before;
    }
    friend bool operator==(const counting_iterator& a, const counting_iterator& b) noexcept { return a.at == b.at; }
  };

  /// Turns SAX events into path-keyed entries: objects nest sections, arrays of values become lists.
  struct flattener {
    flattener(const std::string& text, const std::string& file, unknown_key_policy policy, source_output& out)
        : text_(text), file_(file), policy_(policy), out_(out) {}

    const char** cursor = nullptr;

    bool null() {
      if (array_) return array_null();
      return value(raw_value::null());
    }
    bool boolean(bool b) { return scalar(b ? "true" : "false"); }
    bool number_integer(std::int64_t n) { return scalar(std::to_string(n)); }
    bool number_unsigned(std::uint64_t n) { return scalar(std::to_string(n)); }
    bool number_float(double /*n*/, const std::string& written) { return scalar(written); }  // keep "1e3" as written
    bool string(std::string& s) { return scalar(s); }
    bool binary(nlohmann::json::binary_t& /*b*/) { return true; }

    bool start_object(std::size_t /*size*/) {
      if (array_) {
        ++nested_;
        array_bad_ = true;
        return true;
      }
      if (!started_) {
        started_ = true;
        sections_.emplace_back();
        return true;
      }
      sections_.push_back(current_path());
      return true;
    }
    bool end_object() {
      if (array_ && nested_ > 0) {
        --nested_;
        return true;
      }
      sections_.pop_back();
      return true;
    }
    bool start_array(std::size_t /*size*/) {
      if (!started_) return top_level_not_object();
      if (array_) {
        ++nested_;
        array_bad_ = true;
        return true;
      }
      array_ = true;
      array_bad_ = false;
      items_.clear();
      array_line_ = line();
      return true;
    }
    bool end_array() {
      if (nested_ > 0) {
        --nested_;
        return true;
      }
      array_ = false;
      std::string path = current_path();
      if (array_bad_) {
        std::string message =
            path + ": a list from " + where(array_line_) + " holds an object, list or null; expected values";
        out_.issues.push_back({issue_severity::error, std::move(path), std::move(message)});
        return true;
      }
      out_.entries.push_back(raw_entry{std::move(path), raw_value::list(std::move(items_)),
                                       value_origin{origin_kind::file, where(array_line_)}, policy_, unresolved_leaf});
      items_ = {};
      return true;
    }
    bool key(std::string& k) {
      key_ = k;
      return true;
    }
    bool parse_error(std::size_t position, const std::string& /*token*/, const nlohmann::json::exception& e) {
      std::string reason = e.what();
      if (const auto colon = reason.find(": "); colon != std::string::npos) reason.erase(0, colon + 2);
      out_.issues.push_back(
          {issue_severity::error, file_, file_ + ": is not valid JSON at " + position_text(position) + ": " + reason});
      return false;
    }

   private:
    bool scalar(std::string text) {
      if (array_) return array_item(std::move(text));
      return value(raw_value::scalar(std::move(text)));
    }
    bool array_item(std::string text) {
      if (nested_ == 0) items_.push_back(std::move(text));
      return true;
    }
    bool array_null() {
      array_bad_ = true;  // a null inside a list is not a value
      return true;
    }
    bool value(raw_value raw) {
      if (!started_) return top_level_not_object();
      out_.entries.push_back(raw_entry{current_path(), std::move(raw), value_origin{origin_kind::file, where(line())},
                                       policy_, unresolved_leaf});
      return true;
    }
    bool top_level_not_object() {
      out_.issues.push_back({issue_severity::error, file_, file_ + ": must hold a JSON object at the top level"});
      return false;
    }
    [[nodiscard]] std::string current_path() const {
      const std::string& section = sections_.back();
      return section.empty() ? key_ : section + "." + key_;
    }
    /// Returns the line of the token just read (the parser may have read whitespace past it).
    [[nodiscard]] std::size_t line() {
      std::size_t end = static_cast<std::size_t>(*cursor - text_.data());
      while (end > 0 && detail::is_space(text_[end - 1])) --end;
      while (counted_ < end) {
        if (text_[counted_++] == '\n') ++line_;
      }
      while (counted_ > end) {
        if (text_[--counted_] == '\n') --line_;
      }
      return line_;
    }
    [[nodiscard]] std::string where(std::size_t line_number) const { return file_ + ":" + std::to_string(line_number); }
    /// Returns "line L, column C" for nlohmann's 1-based byte position of a parse error.
    [[nodiscard]] std::string position_text(std::size_t byte) const {
      std::size_t line_number = 1;
      std::size_t column = 1;
      const std::size_t end = byte == 0 ? 0 : std::min(byte - 1, text_.size());
      for (std::size_t i = 0; i < end; ++i) {
        if (text_[i] == '\n') {
          ++line_number;
          column = 1;
        } else {
          ++column;
        }
      }
      return "line " + std::to_string(line_number) + ", column " + std::to_string(column);
    }

    const std::string& text_;
    const std::string& file_;
    unknown_key_policy policy_;
    source_output& out_;
    std::vector<std::string> sections_;
    std::string key_;
    bool started_ = false;
    bool array_ = false;
    bool array_bad_ = false;
    int nested_ = 0;
    std::vector<std::string> items_;
    std::size_t array_line_ = 0;
    std::size_t counted_ = 0;
    std::size_t line_ = 1;
  };

  std::string path_;
  json_options options_;
  std::string text_;
  bool from_text_ = false;
};

}  // namespace arbiter::inline v1
