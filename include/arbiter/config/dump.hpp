#pragma once

/// \file
/// Renders the effective config with each value's source (secrets redacted), as text and as JSON, and the
/// reference a user needs: every key, its type, default, constraints and environment variable.

#include <cstddef>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <arbiter/config/env_source.hpp>
#include <arbiter/config/schema.hpp>
#include <arbiter/config/snapshot.hpp>
#include <arbiter/config/source.hpp>
#include <arbiter/detail/float_math.hpp>
#include <arbiter/detail/json_text.hpp>

namespace arbiter::inline v1 {

namespace detail {

[[nodiscard]] inline std::string_view origin_kind_name(origin_kind kind) noexcept {
  switch (kind) {
    case origin_kind::default_value:
      return "default";
    case origin_kind::file:
      return "file";
    case origin_kind::environment:
      return "environment";
    case origin_kind::override_value:
      return "override";
  }
  return "unknown";
}

/// Appends a scalar as JSON: numbers and booleans bare, everything else as a string.
template <class T>
void append_json_scalar(std::string& out, const T& value) {
  if constexpr (std::floating_point<T>) {
    if (!detail::is_finite(value)) {  // no JSON number for it: the string every arbiter JSON writer uses
      out.append(json_non_finite(static_cast<double>(value)));
      return;
    }
  }
  if constexpr (std::is_same_v<T, bool> || config_integer<T> || std::floating_point<T>) {
    out.append(scalar_text(value));
  } else {
    append_json_string(out, scalar_text(value));
  }
}

template <class T>
void append_json_value(std::string& out, const T& value) {
  if constexpr (is_secret_v<T>) {
    append_json_string(out, redacted);
  } else if constexpr (is_optional_v<T>) {
    if (value) {
      append_json_value(out, *value);
    } else {
      out.append("null");
    }
  } else if constexpr (is_vector_v<T>) {
    out.push_back('[');
    for (std::size_t i = 0; i < value.size(); ++i) {
      if (i != 0) out.push_back(',');
      append_json_scalar(out, value[i]);
    }
    out.push_back(']');
  } else {
    append_json_scalar(out, value);
  }
}

/// Names the unit a bare number means ("milliseconds").
[[nodiscard]] inline std::string bare_unit_name(const parse_options& options) {
  const auto num = options.bare_unit_num;
  const auto den = options.bare_unit_den;
  if (num == 1 && den == 1'000'000'000) return "nanoseconds";
  if (num == 1 && den == 1'000'000) return "microseconds";
  if (num == 1 && den == 1'000) return "milliseconds";
  if (num == 1 && den == 1) return "seconds";
  if (num == 60 && den == 1) return "minutes";
  if (num == 3600 && den == 1) return "hours";
  return "units of " + integer_text(num) + "/" + integer_text(den) + " s";
}

}  // namespace detail

/// Renders one line per leaf: `server.port = 9090  (from ARBITER_SERVER_PORT)`. Secrets show as ***, an empty
/// string or list as "".
template <class Schema>
[[nodiscard]] std::string dump_text(const snapshot<Schema>& snap) {
  std::string out;
  visit_leaves(*snap, [&](std::size_t i, const auto& member, auto) {
    const std::string text = value_text(member);
    out.append(schema_leaves<Schema>[i].path.view()).append(" = ").append(text.empty() ? "\"\"" : text);
    out.append("  (from ").append(snap.origins()[i].describe()).append(")\n");
  });
  return out;
}

/// Renders a JSON object keyed by path: `{"server.port":{"value":9090,"source":"environment",
/// "from":"ARBITER_SERVER_PORT"},...}`. Secrets show as "***".
template <class Schema>
[[nodiscard]] std::string dump_json(const snapshot<Schema>& snap) {
  std::string out = "{";
  visit_leaves(*snap, [&](std::size_t i, const auto& member, auto) {
    if (i != 0) out.push_back(',');
    detail::append_json_string(out, schema_leaves<Schema>[i].path.view());
    out.append(":{\"value\":");
    detail::append_json_value(out, member);
    const value_origin& origin = snap.origins()[i];
    out.append(",\"source\":");
    detail::append_json_string(out, detail::origin_kind_name(origin.kind));
    if (!origin.where.empty()) {
      out.append(",\"from\":");
      detail::append_json_string(out, origin.where);
    }
    out.push_back('}');
  });
  out.push_back('}');
  return out;
}

/// One key of the reference that help_text and help_markdown print.
struct help_entry {
  std::string path;
  std::string type;
  std::string default_value;
  std::string rules;  ///< constraints and bare units, "; "-separated
  bool restart_only = false;
  std::string env;
};

/// Collects the reference of every key: type, default, constraints, restart need, environment variable.
template <class Schema, detail::fixed_string Prefix = "ARBITER">
[[nodiscard]] std::vector<help_entry> help_entries() {
  const Schema defaults{};
  std::vector<help_entry> entries;
  visit_leaves(defaults, [&](std::size_t i, const auto& member, auto tag) {
    using T = typename decltype(tag)::value_type;
    const leaf_info& info = schema_leaves<Schema>[i];
    help_entry entry;
    entry.path = std::string(info.path.view());
    entry.type = type_name<T>();
    if constexpr (is_secret_v<T>) {
      entry.default_value = member == T{} ? std::string("(empty)") : std::string(redacted);
    } else {
      entry.default_value = value_text(member);
      if (entry.default_value.empty()) entry.default_value = "(empty)";
    }
    decltype(tag)::for_each_rule([&](const auto& rule) {
      if constexpr (!std::is_base_of_v<field_marker, std::remove_cvref_t<decltype(rule)>>) {
        if (!entry.rules.empty()) entry.rules.append("; ");
        entry.rules.append(rule.describe());
      }
    });
    if (info.options.bare_unit_num != 0) {
      if (!entry.rules.empty()) entry.rules.append("; ");
      entry.rules.append("a bare number is in ").append(detail::bare_unit_name(info.options));
    }
    entry.restart_only = info.restart_only;
    entry.env = std::string(env_variable_names<Schema, Prefix>[i].view());
    entries.push_back(std::move(entry));
  });
  return entries;
}

/// Renders the reference for `--help-config`: for every key its type, default, constraints, whether it needs
/// a restart, and the environment variable that sets it (under `Prefix`).
template <class Schema, detail::fixed_string Prefix = "ARBITER">
[[nodiscard]] std::string help_text() {
  std::string out;
  for (const auto& entry : help_entries<Schema, Prefix>()) {
    out.append(entry.path).append("\n");
    out.append("    type:    ").append(entry.type).append("\n");
    out.append("    default: ").append(entry.default_value).append("\n");
    if (!entry.rules.empty()) out.append("    rules:   ").append(entry.rules).append("\n");
    if (entry.restart_only) out.append("    restart: needed to change\n");
    out.append("    env:     ").append(entry.env).append("\n");
  }
  return out;
}

/// Renders the same reference as a Markdown table, for docs/.
template <class Schema, detail::fixed_string Prefix = "ARBITER">
[[nodiscard]] std::string help_markdown() {
  const auto cell = [](std::string_view text) {
    std::string out;
    for (const char c : text) {
      if (c == '|') out.push_back('\\');
      out.push_back(c);
    }
    return out;
  };
  std::string out = "| key | type | default | rules | environment variable |\n| --- | --- | --- | --- | --- |\n";
  for (const auto& entry : help_entries<Schema, Prefix>()) {
    std::string rules = entry.rules;
    if (entry.restart_only) rules.append(rules.empty() ? "restart-only" : "; restart-only");
    out.append("| `").append(entry.path).append("` | ").append(cell(entry.type)).append(" | `");
    out.append(cell(entry.default_value)).append("` | ").append(cell(rules)).append(" | `");
    out.append(entry.env).append("` |\n");
  }
  return out;
}

}  // namespace arbiter::inline v1
