#pragma once

/// \file
/// Renders the effective config with each value's source (secrets redacted), as text and as JSON, and the
/// reference a user needs: every key, its type, default, constraints and environment variable.

#include <cstddef>
#include <string>
#include <string_view>
#include <type_traits>

#include <arbiter/config/env_source.hpp>
#include <arbiter/config/schema.hpp>
#include <arbiter/config/snapshot.hpp>
#include <arbiter/config/source.hpp>
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

/// Renders one line per leaf: `server.port = 9090  (from ARBITER_SERVER_PORT)`. Secrets show as ***.
template <class Schema>
[[nodiscard]] std::string dump_text(const snapshot<Schema>& snap) {
  std::string out;
  visit_leaves(*snap, [&](std::size_t i, const auto& member, auto) {
    out.append(schema_leaves<Schema>[i].path.view()).append(" = ").append(value_text(member));
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

/// Renders the reference for `--help-config`: for every key its type, default, constraints, whether it needs
/// a restart, and the environment variable that sets it (under `Prefix`).
template <class Schema, detail::fixed_string Prefix = "ARBITER">
[[nodiscard]] std::string help_text() {
  const Schema defaults{};
  std::string out;
  visit_leaves(defaults, [&](std::size_t i, const auto& member, auto tag) {
    using T = typename decltype(tag)::value_type;
    const leaf_info& info = schema_leaves<Schema>[i];
    out.append(info.path.view()).append("\n");
    out.append("    type:    ").append(type_name<T>()).append("\n");
    out.append("    default: ");
    if constexpr (is_secret_v<T>) {
      out.append(member == T{} ? "(empty)" : std::string(redacted));
    } else {
      const std::string text = value_text(member);
      out.append(text.empty() ? std::string("(empty)") : text);
    }
    out.append("\n");
    std::string rules;
    decltype(tag)::for_each_rule([&](const auto& rule) {
      if constexpr (!std::is_base_of_v<field_marker, std::remove_cvref_t<decltype(rule)>>) {
        if (!rules.empty()) rules.append("; ");
        rules.append(rule.describe());
      }
    });
    if (info.options.bare_unit_num != 0) {
      if (!rules.empty()) rules.append("; ");
      rules.append("a bare number is in ").append(detail::bare_unit_name(info.options));
    }
    if (!rules.empty()) out.append("    rules:   ").append(rules).append("\n");
    if (info.restart_only) out.append("    restart: needed to change\n");
    out.append("    env:     ").append(env_variable_names<Schema, Prefix>[i].view()).append("\n");
  });
  return out;
}

}  // namespace arbiter::inline v1
