#pragma once

/// \file
/// Per-field rules declared next to a section, checked when config loads:
///
///   struct server_settings {
///     std::string host = "0.0.0.0";
///     std::uint16_t port = 8080;
///     static constexpr auto config_rules = arbiter::rules(
///         arbiter::field<"host">(arbiter::non_empty, arbiter::restart_only),
///         arbiter::field<"port">(arbiter::range(1, 65535), arbiter::env_name<"PORT">));
///   };
///
/// Value constraints: range, min, max, min_length, max_length, non_empty, one_of, check (a custom predicate).
/// Markers: env_name (the field's own environment variable), restart_only, bare_unit (what a bare number means).
/// Range, min, max and one_of apply to each element of a list and to the value inside an optional or a secret.

#include <array>
#include <concepts>
#include <cstddef>
#include <optional>
#include <ratio>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <arbiter/config/detail/item_list.hpp>
#include <arbiter/config/detail/text.hpp>
#include <arbiter/config/parse.hpp>
#include <arbiter/config/secret.hpp>
#include <arbiter/detail/chrono.hpp>

namespace arbiter::inline v1 {

namespace detail {

/// Compares two values of possibly different arithmetic types without sign or conversion surprises.
template <class A, class B>
[[nodiscard]] constexpr bool less(const A& a, const B& b) {
  if constexpr (config_integer<A> && config_integer<B>) {
    return std::cmp_less(a, b);
  } else if constexpr (std::is_arithmetic_v<A> && std::is_arithmetic_v<B>) {
    return static_cast<long double>(a) < static_cast<long double>(b);
  } else {
    return a < b;
  }
}

/// Renders a constraint's bound for help text and error messages.
template <class T>
[[nodiscard]] std::string bound_text(const T& value) {
  if constexpr (std::is_convertible_v<const T&, std::string_view>) {
    return std::string(std::string_view(value));
  } else if constexpr (config_scalar<T>) {
    return scalar_text(value);
  } else if constexpr (std::is_arithmetic_v<T>) {
    return scalar_text(static_cast<long long>(value));
  } else {
    return "?";
  }
}

/// True for things with a length: strings and lists.
template <class T>
concept sized = requires(const T& v) {
  v.size();
};

}  // namespace detail

/// A value constraint applied to each element (a range, a set of allowed values).
struct element_constraint {};
/// A value constraint applied to the whole value (a length, a predicate).
struct whole_constraint {};
/// A field property that checks nothing (an environment variable name, restart-only, a bare unit).
struct field_marker {};

/// Checks lo <= value <= hi.
template <class Lo, class Hi>
struct range_constraint : element_constraint {
  Lo lo;
  Hi hi;
  static constexpr bool constant = true;
  template <class T>
  [[nodiscard]] constexpr bool accepts(const T& v) const {
    return !detail::less(v, lo) && !detail::less(hi, v);
  }
  template <class T>
  [[nodiscard]] std::string problem(const T& v) const {
    return detail::less(v, lo) ? "is below the minimum " + detail::bound_text(lo)
                               : "is above the maximum " + detail::bound_text(hi);
  }
  [[nodiscard]] std::string describe() const { return detail::bound_text(lo) + ".." + detail::bound_text(hi); }
};

/// Checks value >= lo.
template <class Lo>
struct min_constraint : element_constraint {
  Lo lo;
  static constexpr bool constant = true;
  template <class T>
  [[nodiscard]] constexpr bool accepts(const T& v) const {
    return !detail::less(v, lo);
  }
  template <class T>
  [[nodiscard]] std::string problem(const T& /*v*/) const {
    return "is below the minimum " + detail::bound_text(lo);
  }
  [[nodiscard]] std::string describe() const { return ">= " + detail::bound_text(lo); }
};

/// Checks value <= hi.
template <class Hi>
struct max_constraint : element_constraint {
  Hi hi;
  static constexpr bool constant = true;
  template <class T>
  [[nodiscard]] constexpr bool accepts(const T& v) const {
    return !detail::less(hi, v);
  }
  template <class T>
  [[nodiscard]] std::string problem(const T& /*v*/) const {
    return "is above the maximum " + detail::bound_text(hi);
  }
  [[nodiscard]] std::string describe() const { return "<= " + detail::bound_text(hi); }
};

/// Checks a string's or a list's length.
struct length_constraint : whole_constraint {
  std::size_t min = 0;
  std::size_t max = static_cast<std::size_t>(-1);
  static constexpr bool constant = true;
  template <class T>
  [[nodiscard]] constexpr bool accepts(const T& v) const {
    static_assert(detail::sized<T>,
                  "====> arbiter: min_length, max_length and non_empty apply to strings and lists only.");
    return v.size() >= min && v.size() <= max;
  }
  template <class T>
  [[nodiscard]] std::string problem(const T& v) const {
    const bool is_text = std::is_same_v<T, std::string>;
    if (v.size() < min) {
      if (min == 1) return is_text ? "is empty" : "is an empty list";
      return std::string(is_text ? "is shorter than the minimum length " : "has fewer items than the minimum ") +
             detail::integer_text(min);
    }
    return std::string(is_text ? "is longer than the maximum length " : "has more items than the maximum ") +
           detail::integer_text(max);
  }
  [[nodiscard]] std::string describe() const {
    if (min == 1 && max == static_cast<std::size_t>(-1)) return "non-empty";
    if (max == static_cast<std::size_t>(-1)) return "length >= " + detail::integer_text(min);
    if (min == 0) return "length <= " + detail::integer_text(max);
    return "length " + detail::integer_text(min) + ".." + detail::integer_text(max);
  }
};

/// Checks that a value is one of a fixed set.
template <class V, std::size_t N>
struct one_of_constraint : element_constraint {
  std::array<V, N> allowed;
  static constexpr bool constant = true;
  template <class T>
  [[nodiscard]] constexpr bool accepts(const T& v) const {
    for (const auto& a : allowed) {
      if constexpr (std::is_arithmetic_v<T> && std::is_arithmetic_v<V>) {
        if (!detail::less(v, a) && !detail::less(a, v)) return true;
      } else {
        if (v == a) return true;
      }
    }
    return false;
  }
  template <class T>
  [[nodiscard]] std::string problem(const T& /*v*/) const {
    return "is not one of " + describe_list();
  }
  [[nodiscard]] std::string describe() const { return "one of " + describe_list(); }

 private:
  [[nodiscard]] std::string describe_list() const {
    std::string out;
    for (const auto& a : allowed) {
      if (!out.empty()) out.append(", ");
      out.append(detail::bound_text(a));
    }
    return out;
  }
};

/// Checks a custom predicate over the field's whole value; `what` names what is expected ("a power of two").
template <class Pred>
struct check_constraint : whole_constraint {
  Pred pred;
  std::string_view what;
  static constexpr bool constant = false;  // predicates need not be constexpr, so defaults are not checked
  template <class T>
  [[nodiscard]] bool accepts(const T& v) const {
    return static_cast<bool>(pred(v));
  }
  template <class T>
  [[nodiscard]] std::string problem(const T& /*v*/) const {
    return "is not " + std::string(what);
  }
  [[nodiscard]] std::string describe() const { return std::string(what); }
};

/// Names the field's own environment variable, used as is (no prefix).
template <detail::fixed_string Name>
struct env_name_marker : field_marker {
  static constexpr std::string_view name = Name.view();
};

/// Marks a field that only takes effect at start-up: reload reports a change instead of applying it.
struct restart_only_marker : field_marker {};

/// Says what unit a bare number means for a duration field ("5000" -> 5000 of D).
template <class D>
struct bare_unit_marker : field_marker {
  using unit = D;
};

/// Constrains a value to [lo, hi].
template <class Lo, class Hi>
[[nodiscard]] constexpr auto range(Lo lo, Hi hi) {
  return range_constraint<Lo, Hi>{{}, lo, hi};
}

/// Constrains a value to at least `lo`.
template <class Lo>
[[nodiscard]] constexpr auto min(Lo lo) {
  return min_constraint<Lo>{{}, lo};
}

/// Constrains a value to at most `hi`.
template <class Hi>
[[nodiscard]] constexpr auto max(Hi hi) {
  return max_constraint<Hi>{{}, hi};
}

/// Constrains a string's or list's length to at least `n`.
[[nodiscard]] constexpr length_constraint min_length(std::size_t n) { return {{}, n, static_cast<std::size_t>(-1)}; }

/// Constrains a string's or list's length to at most `n`.
[[nodiscard]] constexpr length_constraint max_length(std::size_t n) { return {{}, 0, n}; }

/// Requires a non-empty string or list.
inline constexpr length_constraint non_empty{{}, 1, static_cast<std::size_t>(-1)};

/// Constrains a value to a fixed set: `one_of("json", "logfmt")`, `one_of(1, 2, 4)`.
template <class First, class... Rest>
[[nodiscard]] constexpr auto one_of(First first, Rest... rest) {
  if constexpr (std::is_convertible_v<First, std::string_view>) {
    return one_of_constraint<std::string_view, 1 + sizeof...(Rest)>{
        {}, {std::string_view(first), std::string_view(rest)...}};
  } else {
    using V = std::common_type_t<First, Rest...>;
    return one_of_constraint<V, 1 + sizeof...(Rest)>{{}, {static_cast<V>(first), static_cast<V>(rest)...}};
  }
}

/// Constrains a value with a predicate; `what` completes "is not ..." in errors and appears in help.
template <class Pred>
[[nodiscard]] constexpr auto check(Pred pred, std::string_view what) {
  return check_constraint<Pred>{{}, pred, what};
}

/// Gives a field its own environment variable name instead of the derived one.
template <detail::fixed_string Name>
inline constexpr env_name_marker<Name> env_name{};

/// Marks a field that needs a restart to change.
inline constexpr restart_only_marker restart_only{};

/// Lets a duration field read a bare number in unit `D`.
template <class D>
inline constexpr bare_unit_marker<D> bare_unit{};

/// Every rule declared for one field of a section.
template <detail::fixed_string Name, class... Items>
struct field_rule {
  static constexpr auto fixed_name = Name;
  static constexpr std::string_view name = Name.view();
  detail::item_list<Items...> items;
};

/// Declares rules for the field called `Name` in the enclosing section.
template <detail::fixed_string Name, class... Items>
[[nodiscard]] constexpr auto field(Items... items) {
  static_assert(((std::is_base_of_v<element_constraint, Items> || std::is_base_of_v<whole_constraint, Items> ||
                  std::is_base_of_v<field_marker, Items>)&&...),
                "====> arbiter: field<\"name\">(...) takes constraints (range, min, max, min_length, max_length, "
                "non_empty, one_of, check) and markers (env_name, restart_only, bare_unit).");
  return field_rule<Name, Items...>{detail::make_item_list(items...)};
}

/// Collects a section's field rules: `static constexpr auto config_rules = arbiter::rules(field<"x">(...), ...)`.
template <class... Rules>
[[nodiscard]] constexpr auto rules(Rules... r) {
  return detail::make_item_list(r...);
}

}  // namespace arbiter::inline v1
