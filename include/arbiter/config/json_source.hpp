#pragma once

/// \file
/// JSON files as a config source (opt-in: needs nlohmann/json, Debian's nlohmann-json3-dev). Objects nest
/// sections, arrays fill lists, null empties an optional. Values remember their file and line ("app.json:3"). Keys no
/// field matches are errors by default, or warnings, or ignored (`json_options::unknown_keys`). The file is read again
/// on every reload.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include <arbiter/config/detail/file_text.hpp>
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
      if (!detail::read_file_text(path_, text)) {
        if (!options_.optional) out.fail(path_, "cannot be opened");
        return;
      }
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

  /// Turns SAX events into path-keyed entries: objects nest sections, arrays of values become lists. Memory
  /// stays linear in the file: one string holds the path of the open objects (each level remembers only where
  /// its part starts), each open object keeps its keys (to find duplicates), and a leaf's path is built once,
  /// shortened past the longest path a schema can have.
  struct flattener {
    flattener(const std::string& text, const std::string& file, unknown_key_policy policy, source_output& out)
        : text_(text), file_(file), policy_(policy), out_(out) {}

    const char** cursor = nullptr;

    bool null() {
      if (lists_open_ > 0) return list_item(std::nullopt, value_kind::text);
      return value(raw_value::null());
    }
    bool boolean(bool b) { return scalar(b ? "true" : "false", value_kind::boolean); }
    bool number_integer(std::int64_t n) { return scalar(std::to_string(n), value_kind::number); }
    bool number_unsigned(std::uint64_t n) { return scalar(std::to_string(n), value_kind::number); }
    bool number_float(double /*n*/, const std::string& written) {
      return scalar(written, value_kind::number);  // keep "1e3" as written
    }
    bool string(std::string& s) { return scalar(s, value_kind::string); }
    bool binary(nlohmann::json::binary_t& /*b*/) { return true; }

    bool start_object(std::size_t /*size*/) {
      if (!enter()) return false;
      const bool section = !levels_.empty() && lists_open_ == 0;  // not the top level, not inside a list
      if (lists_open_ > 0) list_bad_ = true;
      levels_.push_back({path_.size(), false, {}});
      if (section) {
        if (!path_.empty()) path_.push_back('.');
        path_.append(key_);
      }
      return true;
    }
    bool end_object() {
      path_.resize(levels_.back().path_size);
      levels_.pop_back();
      return true;
    }
    bool start_array(std::size_t /*size*/) {
      if (levels_.empty()) return top_level_not_object();
      if (!enter()) return false;
      if (lists_open_ > 0) {
        list_bad_ = true;
      } else {
        list_path_ = leaf_path();
        list_line_ = line();
        list_bad_ = false;
        items_.clear();
        item_types_.clear();
      }
      levels_.push_back({path_.size(), true, {}});
      ++lists_open_;
      return true;
    }
    bool end_array() {
      levels_.pop_back();
      if (--lists_open_ > 0) return true;
      if (list_bad_) {
        std::string message =
            list_path_ + ": a list from " + where(list_line_) + " holds an object, list or null; expected values";
        out_.issues.push_back({issue_severity::error, std::move(list_path_), std::move(message)});
        return true;
      }
      out_.entries.push_back(raw_entry{std::move(list_path_),
                                       raw_value::list(std::exchange(items_, {}), std::exchange(item_types_, {})),
                                       value_origin{origin_kind::file, where(list_line_)}, policy_, unresolved_leaf});
      return true;
    }
    bool key(std::string& k) {
      key_ = k;
      if (lists_open_ > 0) return true;  // an object inside a list is reported as a whole
      const std::size_t at = line();
      const auto [seen, first] = levels_.back().keys.try_emplace(key_, at);
      if (!first) {
        std::string path = leaf_path();
        std::string message = path + ": duplicate key at " + where(at) + " (first at " + where(seen->second) + ")";
        out_.issues.push_back({issue_severity::error, std::move(path), std::move(message)});
      }
      return true;
    }
    bool parse_error(std::size_t position, const std::string& token, const nlohmann::json::exception& e) {
      out_.issues.push_back({issue_severity::error, file_,
                             file_ + ": is not valid JSON at " + position_text(position) + ": " + reason(token, e)});
      return false;
    }

   private:
    /// One open object or list.
    struct level {
      std::size_t path_size;  ///< the length of path_ outside this level
      bool list;
      std::unordered_map<std::string, std::size_t> keys;  ///< an object's keys and the line of each
    };

    bool scalar(std::string text, value_kind kind) {
      if (lists_open_ > 0) return list_item(std::move(text), kind);
      return value(raw_value::scalar(std::move(text), kind));
    }
    bool list_item(std::optional<std::string> text, value_kind kind) {
      if (lists_open_ != 1 || !levels_.back().list) return true;  // inside an object or list in the list
      if (!text) {
        list_bad_ = true;  // a null inside a list is not a value
        return true;
      }
      items_.push_back(std::move(*text));
      item_types_.push_back(kind);
      return true;
    }
    bool value(raw_value raw) {
      if (levels_.empty()) return top_level_not_object();
      out_.entries.push_back(raw_entry{leaf_path(), std::move(raw), value_origin{origin_kind::file, where(line())},
                                       policy_, unresolved_leaf});
      return true;
    }
    bool top_level_not_object() {
      out_.issues.push_back({issue_severity::error, file_, file_ + ": must hold a JSON object at the top level"});
      return false;
    }
    /// Counts a level about to open; past the limit, reports it and stops the parse.
    bool enter() {
      if (levels_.size() < max_config_depth) return true;
      out_.issues.push_back({issue_severity::error, file_,
                             file_ + ": nests objects and lists deeper than " + std::to_string(max_config_depth) +
                                 " levels at line " + std::to_string(line())});
      return false;
    }
    /// Returns the path of the key just read, cut like every entry path (detail::entry_path), without
    /// copying more of a long path than that keeps.
    [[nodiscard]] std::string leaf_path() const {
      constexpr std::size_t limit = detail::max_name_length + 1;
      std::string path(path_, 0, std::min(path_.size(), limit));
      if (!path_.empty()) path.push_back('.');
      path.append(key_, 0, std::min(key_.size(), limit));
      return detail::entry_path(path);
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
    /// Returns why the parse failed without any of the input: a syntax error may fall inside any value, a
    /// secret's among them, so nlohmann's "last read: '...'" context (the text it had read of the token) and
    /// its "number overflow parsing '...'" are left out. What stays are nlohmann's fixed phrases.
    [[nodiscard]] static std::string reason(const std::string& token, const nlohmann::json::exception& e) {
      if (e.id == 406) return "a number is out of range";  // out_of_range.406 quotes the number
      std::string text = e.what();
      if (const auto colon = text.find(": "); colon != std::string::npos) text.erase(0, colon + 2);
      constexpr std::string_view last_read = "; last read: '";
      if (const auto at = text.find(last_read); at != std::string::npos) {
        const std::string quoted = std::string(last_read) + token + "'";
        text.erase(at, text.compare(at, quoted.size(), quoted) == 0 ? quoted.size() : std::string::npos);
      }
      return text;
    }

    const std::string& text_;
    const std::string& file_;
    unknown_key_policy policy_;
    source_output& out_;
    std::vector<level> levels_;
    std::string path_;  ///< the dotted path of the innermost open object outside any list
    std::string key_;
    std::size_t lists_open_ = 0;
    std::string list_path_;
    std::size_t list_line_ = 0;
    bool list_bad_ = false;
    std::vector<std::string> items_;
    std::vector<value_kind> item_types_;
    std::size_t counted_ = 0;
    std::size_t line_ = 1;
  };

  std::string path_;
  json_options options_;
  std::string text_;
  bool from_text_ = false;
};

}  // namespace arbiter::inline v1
