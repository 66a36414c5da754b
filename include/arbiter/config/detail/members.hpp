#pragma once

/// \file
/// A section's members described without Hana: `section_members<S>::type` is a `type_list` of
/// `member_pair<member_key<"name">, Accessor>` in declaration order, where an Accessor is a stateless function
/// object returning the member (`member_ref<&S::m>`). The schema walks (schema.hpp) use it when it is specialized,
/// and Hana's `accessors<S>()` otherwise: the same keys and accessors, but plain class templates instead of Hana
/// tuples, pairs and strings, which make a walk's first instantiation of a section several times dearer to
/// compile. ARBITER_DETAIL_ADAPT_STRUCT specializes it for the library's own sections (a struct adapted with
/// BOOST_HANA_ADAPT_STRUCT alone walks through Hana, with the same result).

#include <cstddef>
#include <string_view>
#include <utility>

#include <arbiter/config/detail/text.hpp>
#include <arbiter/detail/type_list.hpp>

namespace arbiter::inline v1::detail {

/// A member's name as a type.
template <fixed_string Name>
struct member_key {
  static constexpr std::string_view name = Name.view();
};

/// Returns the member `Member` points to, of a const or non-const section (or of a class derived from it).
template <auto Member>
struct member_ref {
  template <class S>
  constexpr decltype(auto) operator()(S&& section) const noexcept {
    return (static_cast<S&&>(section).*Member);
  }
};

/// Returns entry `I` of a section that keeps its same-typed members in an array `entries` (named sections).
template <std::size_t I>
struct entry_ref {
  template <class S>
  constexpr decltype(auto) operator()(S&& section) const noexcept {
    return (static_cast<S&&>(section).entries[I]);
  }
};

/// One member of a section: its name (a member_key or a Hana string) and its accessor.
template <class Key, class Accessor>
struct member_pair {
  using key = Key;
  using accessor = Accessor;
};

/// Specialized with `using type = type_list<member_pair<...>...>` for a section described without Hana.
template <class S>
struct section_members;

template <fixed_string... Names, std::size_t... I>
auto named_entry_pairs(std::index_sequence<I...> /*unused*/)
    -> type_list<member_pair<member_key<Names>, entry_ref<I>>...>;

/// The members of a section that holds one entry a name in an array `entries`: entry I is member Names[I].
template <fixed_string... Names>
using named_entry_members = decltype(named_entry_pairs<Names...>(std::index_sequence_for<decltype(Names)...>{}));

/// `List` (a type_list of member_pairs) with `Pairs...` after its own.
template <class List, class... Pairs>
struct append_members;
template <class... P, class... Pairs>
struct append_members<type_list<P...>, Pairs...> {
  using type = type_list<P..., Pairs...>;
};

}  // namespace arbiter::inline v1::detail
