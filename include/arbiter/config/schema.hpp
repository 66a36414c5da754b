#pragma once

/// \file
/// Compile-time reflection of a config schema: a struct of sections (nested structs adapted with
/// BOOST_HANA_ADAPT_STRUCT), whose leaves are values. Defaults are the member initializers; rules come from
/// each section's `static constexpr auto config_rules` (see constraints.hpp). Paths ("server.port") and
/// everything known about a leaf are computed at compile time.

#include <array>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <boost/hana/accessors.hpp>
#include <boost/hana/concept/struct.hpp>
#include <boost/hana/first.hpp>
#include <boost/hana/pair.hpp>
#include <boost/hana/second.hpp>
#include <boost/hana/string.hpp>
#include <boost/hana/tuple.hpp>
#include <boost/hana/unpack.hpp>

#include <arbiter/config/constraints.hpp>
#include <arbiter/config/detail/item_list.hpp>
#include <arbiter/config/detail/members.hpp>
#include <arbiter/config/detail/text.hpp>
#include <arbiter/config/parse.hpp>
#include <arbiter/config/secret.hpp>
#include <arbiter/detail/json_text.hpp>
#include <arbiter/detail/type_list.hpp>

namespace arbiter::inline v1 {

/// A section of a config: a struct reflected with Boost.Hana.
template <class T>
concept config_section = boost::hana::Struct<T>::value;

/// True for a secret, or an optional or list holding one: its value is never shown.
template <class T>
inline constexpr bool holds_secret_v = is_secret_v<T>;
template <class T>
inline constexpr bool holds_secret_v<std::optional<T>> = holds_secret_v<T>;
template <class T>
inline constexpr bool holds_secret_v<std::vector<T>> = holds_secret_v<T>;

/// A leaf type config knows how to read: a scalar, or a list, optional or secret of one.
template <class T>
inline constexpr bool is_config_value_v = config_scalar<T>;
template <class T>
inline constexpr bool is_config_value_v<std::vector<T>> = config_scalar<T>;
template <class T>
inline constexpr bool is_config_value_v<std::optional<T>> = is_config_value_v<T> && !detail::is_optional_v<T>;
template <class T>
inline constexpr bool is_config_value_v<secret<T>> = is_config_value_v<T> && !is_secret_v<T>;

namespace detail {

template <class S, class Accessor>
using member_t = std::remove_cvref_t<decltype(std::declval<Accessor>()(std::declval<S&>()))>;

/// Returns the name of a member key: a member_key's, or a Hana struct key's.
template <class Key>
[[nodiscard]] consteval std::string_view key_name() {
  if constexpr (requires { Key::name; }) {
    return Key::name;
  } else {
    return std::string_view(boost::hana::to<char const*>(Key{}));
  }
}

template <class S>
concept has_section_members = requires {
  typename section_members<S>::type;
};

/// The (key, accessor) type pairs of section S, in declaration order: section_members<S> when it is specialized
/// (detail/members.hpp), else made from Hana's accessors. Computed once per section, so a walk over the members
/// is a fold over types, not a Hana loop instantiated again at every call.
template <class S>
struct member_pairs {
  using type = decltype(boost::hana::unpack(boost::hana::accessors<S>(), [](auto... pairs) {
    return type_list<member_pair<std::remove_cvref_t<decltype(boost::hana::first(pairs))>,
                                 std::remove_cvref_t<decltype(boost::hana::second(pairs))>>...>{};
  }));
};
template <has_section_members S>
struct member_pairs<S> {
  using type = typename section_members<S>::type;
};
template <class S>
using member_pairs_of = typename member_pairs<S>::type;

template <class F, class... Pairs>
constexpr void for_each_pair(F& f, type_list<Pairs...> /*unused*/) {
  (f(typename Pairs::key{}, typename Pairs::accessor{}), ...);
}

/// Calls `f(key, accessor)` for every member of section S, in declaration order.
template <class S, class F>
constexpr void for_each_member(F&& f) {
  for_each_pair(f, member_pairs_of<S>{});
}

template <class S>
concept has_config_rules = requires {
  S::config_rules;
};

/// The field name of every rule of section S, in order (computed once per section).
template <class... Rule>
[[nodiscard]] constexpr auto rule_names(const item_list<Rule...>& /*rules*/) noexcept {
  return std::array<std::string_view, sizeof...(Rule)>{Rule::name...};
}
template <class S>
inline constexpr auto rule_names_of = rule_names(S::config_rules);

/// The positions of the rules of section S that name `field`, and how many there are.
template <class S>
struct rules_naming {
  std::array<std::size_t, rule_names_of<S>.size()> at{};
  std::size_t count = 0;
};
template <class S>
[[nodiscard]] consteval rules_naming<S> find_rules(std::string_view field) {
  rules_naming<S> found;
  for (std::size_t i = 0; i < rule_names_of<S>.size(); ++i) {
    if (rule_names_of<S>[i] == field) found.at[found.count++] = i;
  }
  return found;
}

template <class S, auto Found, class F, std::size_t... J>
constexpr void for_each_found_rule_item(F& f, std::index_sequence<J...> /*unused*/) {
  (for_each_item(item_at<Found.at[J]>(S::config_rules).items, f), ...);
}

/// Calls `f(item)` for every constraint and marker declared for member `Key` of section S. The rules that name
/// the member are found by a constant search over the names, so a section of M members and R rules instantiates
/// M + R templates here, not M x R.
template <class S, class Key, class F>
constexpr void for_each_rule_item(F&& f) {
  if constexpr (has_config_rules<S>) {
    constexpr auto found = find_rules<S>(key_name<Key>());
    for_each_found_rule_item<S, found>(f, std::make_index_sequence<found.count>{});
  }
}

template <class T>
inline constexpr bool is_env_name_marker_v = false;
template <fixed_string N>
inline constexpr bool is_env_name_marker_v<env_name_marker<N>> = true;

template <class T>
inline constexpr bool is_bare_unit_marker_v = false;
template <class D>
inline constexpr bool is_bare_unit_marker_v<bare_unit_marker<D>> = true;

/// What a section's rules say about one member, beyond value checks.
struct member_markers {
  bool restart_only = false;
  bool has_env_name = false;
  name_text env_name;
  parse_options options;
};

template <class S, class Key>
[[nodiscard]] constexpr member_markers markers_of() {
  member_markers m;
  for_each_rule_item<S, Key>([&](const auto& item) {
    using I = std::remove_cvref_t<decltype(item)>;
    if constexpr (std::is_same_v<I, restart_only_marker>) {
      m.restart_only = true;
    } else if constexpr (is_env_name_marker_v<I>) {
      m.has_env_name = true;
      m.env_name.append(I::name);
    } else if constexpr (is_bare_unit_marker_v<I>) {
      m.options.bare_unit_num = I::unit::period::num;
      m.options.bare_unit_den = I::unit::period::den;
    }
  });
  return m;
}

/// Counts the members of S called `name`; a rule naming no member is a typo.
template <class S>
[[nodiscard]] constexpr int members_named(std::string_view name) {
  int n = 0;
  for_each_member<S>([&](auto key, auto) {
    if (key_name<decltype(key)>() == name) ++n;
  });
  return n;
}

template <class S, fixed_string Name>
struct rule_names_a_member {
  static_assert(members_named<S>(Name.view()) == 1,
                "====> arbiter: config_rules names a field this section does not have; check the spelling "
                "in arbiter::field<\"...\">.");
  static constexpr bool value = true;
};

template <class S>
[[nodiscard]] constexpr bool check_rule_names() {
  if constexpr (has_config_rules<S>) {
    for_each_item(S::config_rules, [](const auto& rule) {
      static_cast<void>(rule_names_a_member<S, std::remove_cvref_t<decltype(rule)>::fixed_name>::value);
    });
  }
  return true;
}

/// Unwraps secrets and optionals, and applies `f` to each element of a list for element-wise constraints.
template <bool Elementwise, class T, class F>
constexpr void for_each_checked(const T& value, F&& f) {
  if constexpr (is_secret_v<T>) {
    for_each_checked<Elementwise>(value.reveal(), f);
  } else if constexpr (is_optional_v<T>) {
    if (value) for_each_checked<Elementwise>(*value, f);
  } else if constexpr (Elementwise && is_vector_v<T>) {
    for (const auto& element : value) f(element);
  } else {
    f(value);
  }
}

/// Applies one constraint to a member value; calls `fail(problem)` for each violation. A list element that
/// fails is named by position ("has item 2 (99999) that is above ..."), masked inside a secret.
template <class C, class T, class Fail>
void apply_constraint(const C& constraint, const T& value, Fail&& fail, bool masked = false) {
  constexpr bool elementwise = std::is_base_of_v<element_constraint, C>;
  if constexpr (!elementwise && !std::is_base_of_v<whole_constraint, C>) {
    return;  // a marker
  } else if constexpr (is_secret_v<T>) {
    apply_constraint(constraint, value.reveal(), fail, true);
  } else if constexpr (is_optional_v<T>) {
    if (value) apply_constraint(constraint, *value, fail, masked);
  } else if constexpr (elementwise && is_vector_v<T>) {
    for (std::size_t i = 0; i < value.size(); ++i) {
      if (constraint.accepts(value[i])) continue;
      std::string shown;
      if (masked) {
        shown = redacted;
      } else {
        append_logfmt_value(shown, scalar_text(value[i]));
      }
      fail("has item " + integer_text(i + 1) + " (" + shown + ") that " + constraint.problem(value[i]));
    }
  } else {
    if (!constraint.accepts(value)) fail(constraint.problem(value));
  }
}

template <class C, class T>
[[nodiscard]] constexpr bool constant_constraint_accepts(const C& constraint, const T& value) {
  bool ok = true;
  if constexpr (std::is_base_of_v<element_constraint, C> || std::is_base_of_v<whole_constraint, C>) {
    if constexpr (C::constant) {
      for_each_checked<std::is_base_of_v<element_constraint, C>>(value, [&](const auto& v) {
        if (!constraint.accepts(v)) ok = false;
      });
    }
  }
  return ok;
}

template <class S>
[[nodiscard]] consteval bool make_default() {
  S s{};
  static_cast<void>(s);
  return true;
}

/// True when S{} is a constant expression, so its defaults can be checked at compile time. (Not with clang 14
/// for sections holding a std::string; g++ checks those.)
template <class S>
concept constexpr_default = requires {
  typename std::bool_constant<make_default<S>()>;
};

template <class S, class Key, class Accessor>
[[nodiscard]] consteval bool default_satisfies_rules() {
  S s{};
  const auto& value = Accessor{}(s);
  bool ok = true;
  for_each_rule_item<S, Key>([&](const auto& item) { ok = ok && constant_constraint_accepts(item, value); });
  return ok;
}

template <class S, class Key, class Accessor>
struct default_check {
  static_assert(default_satisfies_rules<S, Key, Accessor>(),
                "====> arbiter: a config field's default value breaks its own constraint; fix the member "
                "initializer or the rule.");
  static constexpr bool value = true;
};

/// Checks every rule of section S at compile time: each names a member, each default meets its constraints.
template <class S>
[[nodiscard]] constexpr bool check_section() {
  static_cast<void>(check_rule_names<S>());
  if constexpr (constexpr_default<S>) {
    for_each_member<S>(
        [](auto key, auto accessor) { static_cast<void>(default_check<S, decltype(key), decltype(accessor)>::value); });
  }
  return true;
}

}  // namespace detail

/// What is known about one leaf of a schema at compile time.
struct leaf_info {
  detail::name_text path;        ///< "server.port"
  detail::name_text env_suffix;  ///< "SERVER_PORT": the derived variable name without the prefix
  detail::name_text env_name;    ///< the field's own variable name, if it names one
  bool has_env_name = false;
  bool restart_only = false;
  bool secret = false;
  parse_options options;
};

namespace detail {

template <class S>
[[nodiscard]] constexpr std::size_t leaf_count() {
  std::size_t n = 0;
  for_each_member<S>([&](auto, auto accessor) {
    using M = member_t<S, decltype(accessor)>;
    if constexpr (config_section<M>) {
      n += leaf_count<M>();
    } else {
      static_assert(is_config_value_v<M>,
                    "====> arbiter: a config field has a type config cannot read; use bool, an integer, a floating "
                    "point type, std::string, an enum with enum_entries(), a std::chrono duration, byte_size, or a "
                    "std::vector, std::optional or secret of one, or a nested section adapted with Boost.Hana.");
      ++n;
    }
  });
  return n;
}

template <class S, std::size_t N>
constexpr void collect_leaves(std::array<leaf_info, N>& out, std::size_t& index, std::string_view prefix) {
  static_cast<void>(check_section<S>());
  for_each_member<S>([&](auto key, auto accessor) {
    using M = member_t<S, decltype(accessor)>;
    name_text path;
    path.append(prefix);
    if (!prefix.empty()) path.append(".");
    path.append(key_name<decltype(key)>());
    if constexpr (config_section<M>) {
      collect_leaves<M>(out, index, path.view());
    } else {
      constexpr member_markers markers = markers_of<S, decltype(key)>();
      leaf_info& leaf = out[index++];
      leaf.path = path;
      for (const char c : path.view()) {
        const char upper[] = {c == '.' ? '_' : ascii_upper(c), '\0'};
        leaf.env_suffix.append(std::string_view(upper, 1));
      }
      leaf.env_name = markers.env_name;
      leaf.has_env_name = markers.has_env_name;
      leaf.restart_only = markers.restart_only;
      leaf.secret = holds_secret_v<M>;
      leaf.options = markers.options;
    }
  });
}

template <class S>
[[nodiscard]] consteval auto make_leaf_infos() {
  std::array<leaf_info, leaf_count<S>()> out{};
  std::size_t index = 0;
  collect_leaves<S>(out, index, {});
  for (const auto& leaf : out) {
    if (leaf.path.length >= max_name_length) throw "====> arbiter: a config path is longer than 160 characters";
  }
  return out;
}

}  // namespace detail

/// Every leaf of schema S, in declaration order (depth first). Index i here is leaf i everywhere else.
template <config_section S>
inline constexpr auto schema_leaves = detail::make_leaf_infos<S>();

/// The number of leaves of schema S.
template <config_section S>
inline constexpr std::size_t schema_size = schema_leaves<S>.size();

/// A compile-time description of one leaf, passed to `visit_leaves` callbacks.
template <class Section, class Key, class T>
struct leaf_tag {
  using section = Section;
  using value_type = T;
  /// Calls `f(item)` for each constraint and marker declared for this leaf.
  template <class F>
  static void for_each_rule(F&& f) {
    detail::for_each_rule_item<Section, Key>(f);
  }
};

namespace detail {

template <class S, class Self, class F>
void visit_leaves_impl(Self& self, std::size_t& index, F& f) {
  for_each_member<S>([&](auto key, auto accessor) {
    using M = member_t<S, decltype(accessor)>;
    auto& member = accessor(self);
    if constexpr (config_section<M>) {
      visit_leaves_impl<M>(member, index, f);
    } else {
      f(index++, member, leaf_tag<S, decltype(key), M>{});
    }
  });
}

template <class S, class A, class B, class F>
void visit_leaf_pairs_impl(A& a, B& b, std::size_t& index, F& f) {
  for_each_member<S>([&](auto key, auto accessor) {
    using M = member_t<S, decltype(accessor)>;
    if constexpr (config_section<M>) {
      visit_leaf_pairs_impl<M>(accessor(a), accessor(b), index, f);
    } else {
      f(index++, accessor(a), accessor(b), leaf_tag<S, decltype(key), M>{});
    }
  });
}

}  // namespace detail

/// Table-driven reflection. The visitors above unroll a loop over every field wherever they are called, which a
/// service pays for in compile time once per field and per visitor. The loader instead walks the schema once, at
/// compile time, into tables of plain function pointers (the loader's `detail::schema_table`) and of section paths
/// (`schema_section_paths`), and then runs ordinary loops over them: the code per leaf is one small accessor
/// function, and what reads or writes a value is one function per leaf *type*, shared by every leaf of that type.
namespace detail {

/// The accessors that lead from a schema's root to one of its members, outermost first.
template <class... Accessors>
struct member_path {
  template <class T>
  static constexpr T& apply(T& root) noexcept {
    return root;
  }
};
template <class First, class... Rest>
struct member_path<First, Rest...> {
  template <class T>
  static constexpr auto& apply(T& root) noexcept {
    return member_path<Rest...>::apply(First{}(root));
  }
};

/// Returns the address of the member that `Path` leads to in the schema `Root` at `root`. One function a leaf
/// (a few instructions): the tables below hold pointers to it.
template <class Root, class Path>
[[nodiscard]] void* member_address(const void* root) noexcept {
  const auto& member = Path::apply(*static_cast<const Root*>(root));
  return const_cast<void*>(static_cast<const void*>(std::addressof(member)));  // the caller knows the constness
}

template <class Path, class Accessor>
struct extend_path;
template <class... Accessors, class Accessor>
struct extend_path<member_path<Accessors...>, Accessor> {
  using type = member_path<Accessors..., Accessor>;
};

/// Calls `f.template leaf<Section, Key, Path>()` for every leaf and `f.template section<Section, Path>(path)` for
/// every section (the root too, with an empty path), parents first, in declaration order. For constant
/// evaluation only: the tables are built with it, so none of its instantiations become code.
template <class S, class Path = member_path<>, class F>
constexpr void walk_schema(F& f, std::string_view path = {}) {
  f.template section<S, Path>(path);
  for_each_member<S>([&](auto key, auto accessor) {
    using M = member_t<S, decltype(accessor)>;
    using Next = typename extend_path<Path, decltype(accessor)>::type;
    if constexpr (config_section<M>) {
      name_text child;
      child.append(path);
      if (!path.empty()) child.append(".");
      child.append(key_name<decltype(key)>());
      walk_schema<M, Next>(f, child.view());
    } else {
      f.template leaf<S, decltype(key), M, Next>();
    }
  });
}

template <class S>
struct section_counter {
  std::size_t sections = 0;
  template <class Section, class Path>
  constexpr void section(std::string_view /*path*/) {
    ++sections;
  }
  template <class Section, class Key, class M, class Path>
  constexpr void leaf() {}
};

template <class S, std::size_t N>
struct section_path_collector {
  std::array<name_text, N> paths{};
  std::size_t next = 0;
  template <class Section, class Path>
  constexpr void section(std::string_view path) {
    paths[next++].append(path);
  }
  template <class Section, class Key, class M, class Path>
  constexpr void leaf() {}
};

template <class S>
[[nodiscard]] consteval std::size_t section_count() {
  section_counter<S> counter;
  walk_schema<S>(counter);
  return counter.sections;
}

template <class S>
[[nodiscard]] consteval auto make_section_paths() {
  section_path_collector<S, section_count<S>()> collector;
  walk_schema<S>(collector);
  return collector.paths;
}

}  // namespace detail

/// The path of every section of schema S, parents first ("" for the root, then "server", "server.tls", ...).
template <config_section S>
inline constexpr auto schema_section_paths = detail::make_section_paths<S>();

/// Calls `f(index, member_of_a, member_of_b, leaf_tag)` for every leaf of two configs of one schema, in step.
template <class Schema, class Other, class F>
void visit_leaf_pairs(Schema& a, Other& b, F&& f) {
  static_assert(std::is_same_v<std::remove_const_t<Schema>, std::remove_const_t<Other>>);
  std::size_t index = 0;
  detail::visit_leaf_pairs_impl<std::remove_const_t<Schema>>(a, b, index, f);
}

/// Calls `f(index, member, leaf_tag)` for every leaf of `config` (const or not), in schema order.
template <class Schema, class F>
void visit_leaves(Schema& config, F&& f) {
  std::size_t index = 0;
  detail::visit_leaves_impl<std::remove_const_t<Schema>>(config, index, f);
}

/// Calls `f(section, path)` for every section of `config` (the root has path ""), parents first.
template <class S, class F>
void visit_sections(const S& config, F&& f, std::string_view path = {}) {
  f(config, path);
  detail::for_each_member<S>([&](auto key, auto accessor) {
    using M = detail::member_t<S, decltype(accessor)>;
    if constexpr (config_section<M>) {
      std::string child(path);
      if (!child.empty()) child.push_back('.');
      child.append(detail::key_name<decltype(key)>());
      visit_sections(accessor(config), f, child);
    }
  });
}

/// Returns a readable name of a leaf type for help text and errors ("uint16", "duration", "list of string").
template <class T>
[[nodiscard]] std::string type_name() {
  if constexpr (std::is_same_v<T, bool>) {
    return "bool";
  } else if constexpr (detail::config_integer<T>) {
    return (std::is_signed_v<T> ? "int" : "uint") + detail::integer_text(sizeof(T) * 8);
  } else if constexpr (std::is_same_v<T, float>) {
    return "float";
  } else if constexpr (std::floating_point<T>) {
    return "double";
  } else if constexpr (std::is_same_v<T, std::string>) {
    return "string";
  } else if constexpr (named_enum<T>) {
    return "enum (" + enum_name_list<T>("|") + ")";
  } else if constexpr (detail::is_chrono_duration_v<T>) {
    return "duration";
  } else if constexpr (std::is_same_v<T, byte_size>) {
    return "byte size";
  } else if constexpr (detail::is_vector_v<T>) {
    return "list of " + type_name<typename T::value_type>();
  } else if constexpr (detail::is_optional_v<T>) {
    return "optional " + type_name<typename T::value_type>();
  } else if constexpr (is_secret_v<T>) {
    return "secret " + type_name<typename T::value_type>();
  } else {
    return "?";
  }
}

/// Renders a leaf's value as text: lists comma-separated (the environment form), an empty optional as
/// "(unset)", a secret as "***".
template <class T>
[[nodiscard]] std::string value_text(const T& value) {
  if constexpr (is_secret_v<T>) {
    return std::string(redacted);
  } else if constexpr (detail::is_optional_v<T>) {
    return value ? value_text(*value) : std::string("(unset)");
  } else if constexpr (detail::is_vector_v<T>) {
    std::string out;
    for (std::size_t i = 0; i < value.size(); ++i) {
      if (i != 0) out.push_back(',');
      out.append(scalar_text(value[i]));
    }
    return out;
  } else {
    return scalar_text(value);
  }
}

}  // namespace arbiter::inline v1
