#pragma once

/// \file
/// The environment as a config source. Each leaf's variable name is derived at compile time from its path and
/// a prefix: `server.port` with prefix "ARBITER" reads ARBITER_SERVER_PORT. A field can name its own variable
/// with `arbiter::env_name<"PORT">`. Two fields mapping to one variable do not compile.

#include <array>
#include <cstddef>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <arbiter/config/detail/text.hpp>
#include <arbiter/config/schema.hpp>
#include <arbiter/config/source.hpp>
#include <arbiter/detail/functional.hpp>

namespace arbiter::inline v1 {

namespace detail {

template <class Schema, fixed_string Prefix>
[[nodiscard]] consteval auto make_env_names() {
  constexpr auto& leaves = schema_leaves<Schema>;
  std::array<name_text, leaves.size()> names{};
  for (std::size_t i = 0; i < leaves.size(); ++i) {
    if (leaves[i].has_env_name) {
      names[i] = leaves[i].env_name;
    } else {
      names[i].append(Prefix.view());
      if (!Prefix.view().empty()) names[i].append("_");
      names[i].append(leaves[i].env_suffix.view());
    }
  }
  return names;
}

/// Returns the first variable name two leaves share, or empty text when every name is unique.
template <std::size_t N>
[[nodiscard]] consteval name_text first_duplicate(const std::array<name_text, N>& names) {
  for (std::size_t i = 0; i < N; ++i) {
    for (std::size_t j = i + 1; j < N; ++j) {
      if (names[i].view() == names[j].view()) return names[i];
    }
  }
  return {};
}

template <name_text Duplicate>
struct env_variable_is_unique {
  static_assert(Duplicate.length == 0,
                "====> arbiter: two config fields map to the same environment variable (named in this template's "
                "argument); rename one, or give it its own variable with arbiter::env_name<\"...\">.");
  static constexpr bool value = true;
};

}  // namespace detail

/// The environment variable of every leaf of `Schema` under `Prefix`, in schema order.
template <class Schema, detail::fixed_string Prefix>
inline constexpr auto env_variable_names = detail::make_env_names<Schema, Prefix>();

/// Reads leaves from environment variables named `<Prefix>_<PATH>` (see the file comment). Values are taken as
/// they are; the parsers ignore surrounding whitespace except for strings. Lists are comma-separated.
template <detail::fixed_string Prefix = "ARBITER">
class env_source {
 public:
  /// Looks a variable up; returns nothing when it is not set.
  using lookup_function = std::function<std::optional<std::string>(const char* name)>;

  /// Reads the process environment.
  env_source() = default;

  /// Reads variables through `lookup` (tests, or a prepared map).
  explicit env_source(lookup_function lookup) : lookup_(std::move(lookup)) {}

  /// Returns the prefix ("ARBITER").
  [[nodiscard]] static constexpr std::string_view prefix() noexcept { return Prefix.view(); }

  /// Returns the variable that leaf `index` of `Schema` reads.
  template <class Schema>
  [[nodiscard]] static constexpr std::string_view variable(std::size_t index) noexcept {
    return env_variable_names<Schema, Prefix>[index].view();
  }

  template <class Schema>
  void read(source_output& out) const {
    constexpr auto& names = env_variable_names<Schema, Prefix>;
    static_assert(detail::env_variable_is_unique<detail::first_duplicate(names)>::value);
    constexpr auto& leaves = schema_leaves<Schema>;
    for (std::size_t i = 0; i < names.size(); ++i) {
      std::optional<std::string> value;
      if (lookup_) {
        value = lookup_(names[i].chars);
      } else if (const char* text = std::getenv(names[i].chars)) {  // NOLINT(concurrency-mt-unsafe)
        value.emplace(text);
      }
      if (!value) continue;
      out.entries.push_back(raw_entry{std::string(leaves[i].path.view()), raw_value::scalar(std::move(*value)),
                                      value_origin{origin_kind::environment, std::string(names[i].view())},
                                      unknown_key_policy::error, i});
    }
  }

 private:
  lookup_function lookup_;
};

}  // namespace arbiter::inline v1
