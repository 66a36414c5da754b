#pragma once

/// \file
/// Loading: layers every source over the defaults, parses each value, checks every rule, and collects every
/// problem instead of stopping at the first. Precedence is the order of the sources: later ones win.

#include <algorithm>
#include <array>
#include <cstddef>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include <arbiter/config/parse.hpp>
#include <arbiter/config/schema.hpp>
#include <arbiter/config/source.hpp>

namespace arbiter::inline v1 {

/// Passed to a section's `void validate(arbiter::validation_context&) const` for rules across fields.
class validation_context {
 public:
  /// `leaves` and `origins` (by leaf index) say where each value came from; without them, errors name no source.
  validation_context(std::vector<config_issue>& issues, std::string_view section_path,
                     std::span<const leaf_info> leaves = {}, std::span<const value_origin> origins = {})
      : issues_(&issues), section_path_(section_path), leaves_(leaves), origins_(origins) {}

  /// Reports a problem with `field` (a path relative to the section) as a sentence tail: "must be below ...".
  /// The message ends with where `field` came from, and each of `related` (the other fields of this section the
  /// rule reads): "health.check_timeout: 1m is longer than health.check_interval (10s); health.check_timeout from
  /// ARBITER_HEALTH_CHECK_TIMEOUT, health.check_interval from the default".
  void fail(std::string_view field, std::string_view problem, std::initializer_list<std::string_view> related = {}) {
    std::string path = path_of(field);
    std::string message = path + ": " + std::string(problem);
    std::string_view separator = "; ";
    const auto name_origin = [&](const std::string& of) {
      for (std::size_t i = 0; i < leaves_.size() && i < origins_.size(); ++i) {
        if (leaves_[i].path.view() != of) continue;
        message.append(separator).append(of).append(" from ").append(origins_[i].describe());
        separator = ", ";
        return;
      }
    };
    name_origin(path);
    for (const std::string_view other : related) name_origin(path_of(other));
    issues_->push_back({issue_severity::error, std::move(path), std::move(message)});
  }

 private:
  [[nodiscard]] std::string path_of(std::string_view field) const {
    std::string path(section_path_);
    if (!path.empty() && !field.empty()) path.push_back('.');
    return path.append(field);
  }

  std::vector<config_issue>* issues_;
  std::string section_path_;
  std::span<const leaf_info> leaves_;
  std::span<const value_origin> origins_;
};

/// The result of a load: the values, where each came from (by leaf index), and every problem found.
template <class Schema>
struct load_result {
  Schema value{};
  std::vector<value_origin> origins;
  std::vector<config_issue> issues;

  /// True when no problem is an error (warnings do not fail a load).
  [[nodiscard]] bool ok() const noexcept {
    return std::none_of(issues.begin(), issues.end(),
                        [](const config_issue& i) { return i.severity == issue_severity::error; });
  }
};

namespace detail {

/// Returns a type's name with its article, as it follows "expected": "a uint16", "an int32", "an enum (a|b)".
template <class T>
[[nodiscard]] std::string a_type_name() {
  std::string name = arbiter::type_name<T>();  // qualified: detail::type_name(type_info) hides it
  return (std::string_view("aeio").find(name.front()) != std::string_view::npos ? "an " : "a ") + name;
}

/// True when a field of type T reads a value written as `kind`. Text (from the environment or an override) is
/// parsed by every type; a typed file value must match: a bool is a boolean, numbers are numbers, strings and
/// enums are strings, and durations and sizes are strings ("5s", "64KiB") or numbers (in the field's bare
/// unit, bytes for a size), so the parser gives its usual message for a bare number.
template <class T>
[[nodiscard]] constexpr bool reads_kind(value_kind kind) noexcept {
  if (kind == value_kind::text) return true;
  if constexpr (std::is_same_v<T, bool>) {
    return kind == value_kind::boolean;
  } else if constexpr (config_integer<T> || std::floating_point<T>) {
    return kind == value_kind::number;
  } else if constexpr (is_chrono_duration_v<T> || std::is_same_v<T, byte_size>) {
    return kind == value_kind::string || kind == value_kind::number;
  } else {
    return kind == value_kind::string;
  }
}

/// Parses one scalar written as `kind` into T: a kind T does not read is "is a number, expected a string".
template <class T>
[[nodiscard]] parse_problem parse_typed(std::string_view text, value_kind kind, T& out, const parse_options& options) {
  if (!reads_kind<T>(kind)) return "is " + std::string(to_string(kind)) + ", expected " + a_type_name<T>();
  return parse_scalar(text, out, options);
}

/// Parses a raw value into a leaf of type T; returns the problem, if any.
template <class T>
[[nodiscard]] parse_problem parse_field(const raw_value& raw, T& out, const parse_options& options,
                                        bool masked = false) {
  if constexpr (is_secret_v<T>) {
    typename T::value_type inner{};
    parse_options secret_options = options;
    secret_options.quote_input = false;
    auto problem = parse_field(raw, inner, secret_options, true);
    if (!problem) out = T(std::move(inner));
    return problem;
  } else if constexpr (is_optional_v<T>) {
    // null unsets, and so does empty text or an empty string (an environment variable set to nothing).
    if (raw.kind == raw_value::shape::null ||
        (raw.kind == raw_value::shape::scalar && (raw.type == value_kind::text || raw.type == value_kind::string) &&
         detail::trim(raw.text).empty())) {
      out.reset();
      return std::nullopt;
    }
    typename T::value_type inner{};
    auto problem = parse_field(raw, inner, options, masked);
    if (!problem) out = std::move(inner);
    return problem;
  } else if constexpr (is_vector_v<T>) {
    if (raw.kind == raw_value::shape::null) return "is null, expected " + a_type_name<T>();
    std::vector<std::string> split;
    const std::vector<std::string>* items = &raw.items;
    if (raw.kind == raw_value::shape::scalar) {
      // Only text is split at commas; a file writes a list as an array.
      if (raw.type != value_kind::text) {
        return "is " + std::string(to_string(raw.type)) + ", expected " + a_type_name<T>();
      }
      const std::string_view text = detail::trim(raw.text);
      std::size_t start = 0;
      while (!text.empty() && start <= text.size()) {
        const auto comma = std::min(text.find(',', start), text.size());
        split.emplace_back(detail::trim(text.substr(start, comma - start)));
        start = comma + 1;
      }
      items = &split;
    }
    T result;
    result.reserve(items->size());
    for (std::size_t i = 0; i < items->size(); ++i) {
      typename T::value_type element{};
      const value_kind kind = items == &split ? value_kind::text : raw.item_type(i);
      if (auto problem = parse_typed((*items)[i], kind, element, options)) {
        const std::string shown = masked ? std::string(redacted) : shown_value((*items)[i]);
        return "has item " + integer_text(i + 1) + " (" + shown + ") that " + *problem;
      }
      result.push_back(std::move(element));
    }
    out = std::move(result);
    return std::nullopt;
  } else {
    if (raw.kind == raw_value::shape::list) return "is a list, expected " + a_type_name<T>();
    if (raw.kind == raw_value::shape::null) return "is null, expected " + a_type_name<T>();
    return parse_typed(raw.text, raw.type, out, options);
  }
}

/// What config does with a value of leaf type T, behind plain function pointers: one set a type, shared by every
/// leaf of that type (see schema_table below).
struct leaf_value_ops {
  /// Parses `raw` and, when it parses, moves the value into the leaf at `member`; returns the problem, if any.
  parse_problem (*parse)(const raw_value& raw, void* member, const parse_options& options);
  bool (*equal)(const void* a, const void* b);
  void (*copy)(void* to, const void* from);
  std::string (*text)(const void* member);  ///< value_text
};

template <class T>
[[nodiscard]] parse_problem parse_leaf(const raw_value& raw, void* member, const parse_options& options) {
  T parsed{};
  auto problem = parse_field(raw, parsed, options);
  if (!problem) *static_cast<T*>(member) = std::move(parsed);
  return problem;
}
template <class T>
[[nodiscard]] bool leaf_equal(const void* a, const void* b) {
  return *static_cast<const T*>(a) == *static_cast<const T*>(b);
}
template <class T>
void leaf_copy(void* to, const void* from) {
  *static_cast<T*>(to) = *static_cast<const T*>(from);
}
template <class T>
[[nodiscard]] std::string leaf_text(const void* member) {
  return value_text(*static_cast<const T*>(member));
}

template <class T>
inline constexpr leaf_value_ops leaf_ops_of{&parse_leaf<T>, &leaf_equal<T>, &leaf_copy<T>, &leaf_text<T>};

/// Collects constraint problems: one type for every leaf, so each constraint's check is instantiated once per
/// (constraint, value type), not once per leaf.
struct problem_list {
  std::vector<std::string>* problems;
  void operator()(const std::string& problem) const { problems->push_back(problem); }
};

/// True when a rule of member Key of section S checks values (not only markers such as restart_only).
template <class S, class Key>
[[nodiscard]] consteval bool has_value_rules() {
  bool any = false;
  for_each_rule_item<S, Key>([&](const auto& item) {
    using I = std::remove_cvref_t<decltype(item)>;
    any = any || std::is_base_of_v<element_constraint, I> || std::is_base_of_v<whole_constraint, I>;
  });
  return any;
}

/// Checks the rules of member Key of section S (of type T) on the value at `member`.
template <class S, class Key, class T>
void check_leaf_rules(const void* member, std::vector<std::string>& problems) {
  const T& value = *static_cast<const T*>(member);
  problem_list sink{&problems};
  for_each_rule_item<S, Key>([&](const auto& rule) { apply_constraint(rule, value, sink); });
}

/// One leaf, as the loader and the reload's diff reach it: where it is, what its type does, what its rules check.
struct leaf_entry {
  void* (*address)(const void* config) noexcept = nullptr;
  const leaf_value_ops* ops = nullptr;
  void (*check)(const void* member, std::vector<std::string>& problems) = nullptr;  ///< nullptr: no value rules
};

/// A section with a `validate(validation_context&) const`.
struct section_entry {
  name_text path;
  void (*validate)(const void* config, validation_context& context) = nullptr;
};

template <class S>
concept has_validate = requires(const S& s, validation_context& context) {
  s.validate(context);
};

template <class Root, class Section, class Path>
void validate_section(const void* config, validation_context& context) {
  const Section& section = Path::apply(*static_cast<const Root*>(config));
  section.validate(context);
}

template <class Root, std::size_t Leaves, std::size_t Checked>
struct schema_table_builder {
  std::array<leaf_entry, Leaves> leaves{};
  std::array<section_entry, Checked> sections{};
  std::size_t next_leaf = 0;
  std::size_t next_section = 0;
  template <class Section, class Path>
  constexpr void section(std::string_view path) {
    if constexpr (has_validate<Section>) {
      if constexpr (Checked > 0) {
        sections[next_section].path.append(path);
        sections[next_section++].validate = &validate_section<Root, Section, Path>;
      }
    }
  }
  template <class Section, class Key, class M, class Path>
  constexpr void leaf() {
    leaf_entry& entry = leaves[next_leaf++];
    entry.address = &member_address<Root, Path>;
    entry.ops = &leaf_ops_of<M>;
    if constexpr (has_value_rules<Section, Key>()) entry.check = &check_leaf_rules<Section, Key, M>;
  }
};

struct validated_section_counter {
  std::size_t sections = 0;
  template <class Section, class Path>
  constexpr void section(std::string_view /*path*/) {
    if constexpr (has_validate<Section>) ++sections;
  }
  template <class Section, class Key, class M, class Path>
  constexpr void leaf() {}
};

template <class S>
[[nodiscard]] consteval std::size_t validated_sections() {
  validated_section_counter counter;
  walk_schema<S>(counter);
  return counter.sections;
}

template <class S>
[[nodiscard]] consteval auto make_schema_table() {
  schema_table_builder<S, schema_leaves<S>.size(), validated_sections<S>()> builder;
  walk_schema<S>(builder);
  return builder;
}

/// The loader's tables for schema S, built at compile time: `leaves[i]` is leaf i of schema_leaves<S>, `sections`
/// the sections with a validate, parents first.
template <class S>
inline constexpr auto schema_table = make_schema_table<S>();

/// Returns the edit distance between two short strings, to suggest the key a typo meant.
[[nodiscard]] inline std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

/// Finds leaves and sections of a schema by path.
template <class Schema>
struct path_index {
  std::unordered_map<std::string_view, std::size_t> leaves;
  std::vector<std::string> sections;

  path_index() {
    constexpr auto& infos = schema_leaves<Schema>;
    leaves.reserve(infos.size());
    for (std::size_t i = 0; i < infos.size(); ++i) leaves.emplace(infos[i].path.view(), i);
    for (const auto& path : schema_section_paths<Schema>) {
      if (!path.view().empty()) sections.emplace_back(path.view());
    }
  }

  static const path_index& get() {
    static const path_index index;
    return index;
  }

  [[nodiscard]] std::optional<std::size_t> find(std::string_view path) const {
    const auto it = leaves.find(path);
    if (it == leaves.end()) return std::nullopt;
    return it->second;
  }

  [[nodiscard]] bool is_section(std::string_view path) const {
    return std::find(sections.begin(), sections.end(), path) != sections.end();
  }

  [[nodiscard]] std::string suggestion(std::string_view path) const {
    std::string_view best;
    std::size_t best_distance = 3;  // only close matches: a suggestion should be obviously right
    for (const auto& [known, index] : leaves) {
      const std::size_t d = edit_distance(path, known);
      if (d < best_distance || (d == best_distance && !best.empty() && known < best)) {
        if (d < best_distance) best_distance = d;
        best = known;
      }
    }
    return std::string(best);
  }
};

}  // namespace detail

/// Loads `Schema` from the defaults and `sources`, in precedence order (the last wins). Never throws for bad
/// input: every problem is in the result's `issues`.
template <class Schema, class... Sources>
[[nodiscard]] load_result<Schema> load_config(const Sources&... sources) {
  static_assert((assert_config_source<Sources, Schema>() && ...));
  constexpr auto& leaves = schema_leaves<Schema>;
  load_result<Schema> result;
  result.origins.resize(leaves.size());

  source_output raw;
  (sources.template read<Schema>(raw), ...);
  result.issues = std::move(raw.issues);

  // Bucket the entries by leaf, in precedence order; report keys no leaf matches.
  const auto& index = detail::path_index<Schema>::get();
  std::vector<std::vector<const raw_entry*>> by_leaf(leaves.size());
  for (const auto& entry : raw.entries) {
    std::size_t leaf = entry.leaf;
    if (leaf == unresolved_leaf) {
      if (const auto found = index.find(entry.path)) {
        leaf = *found;
      } else {
        if (entry.on_unknown == unknown_key_policy::ignore) continue;
        std::string message = entry.path + ": ";
        if (index.is_section(entry.path)) {
          message += detail::shown_value(entry.value) + " from " + entry.origin.describe() +
                     " is a value, expected a section (an object)";
        } else {
          message += "unknown key from " + entry.origin.describe();
          if (const auto suggestion = index.suggestion(entry.path); !suggestion.empty()) {
            message += "; did you mean " + suggestion + "?";
          }
        }
        const auto severity = entry.on_unknown == unknown_key_policy::warn && !index.is_section(entry.path)
                                  ? issue_severity::warning
                                  : issue_severity::error;
        result.issues.push_back({severity, entry.path, std::move(message)});
        continue;
      }
    }
    by_leaf[leaf].push_back(&entry);
  }

  // Parse every value each leaf was given (so a bad value is reported even when a later layer overrides it),
  // then check the rules on the value that won.
  const auto& table = detail::schema_table<Schema>;
  std::vector<std::string> problems;
  for (std::size_t i = 0; i < leaves.size(); ++i) {
    const leaf_info& info = leaves[i];
    const detail::leaf_entry& leaf = table.leaves[i];
    void* member = leaf.address(&result.value);
    for (const raw_entry* entry : by_leaf[i]) {
      if (auto problem = leaf.ops->parse(entry->value, member, info.options)) {
        const std::string shown = info.secret ? std::string(redacted) : detail::shown_value(entry->value);
        result.issues.push_back(
            {issue_severity::error, std::string(info.path.view()),
             std::string(info.path.view()) + ": " + shown + " from " + entry->origin.describe() + " " + *problem});
      } else {
        result.origins[i] = entry->origin;
      }
    }
    if (leaf.check == nullptr) continue;
    problems.clear();
    leaf.check(member, problems);
    for (const std::string& problem : problems) {
      const std::string shown = info.secret ? std::string(redacted) : detail::shown_value(leaf.ops->text(member));
      result.issues.push_back(
          {issue_severity::error, std::string(info.path.view()),
           std::string(info.path.view()) + ": " + shown + " from " + result.origins[i].describe() + " " + problem});
    }
  }

  // Rules across fields, section by section.
  for (const detail::section_entry& section : table.sections) {
    validation_context context(result.issues, section.path.view(), leaves, result.origins);
    section.validate(&result.value, context);
  }
  return result;
}

}  // namespace arbiter::inline v1
