#pragma once

/// \file
/// `detail::item_list<T...>`: a constant-evaluable list of values of different types, for a section's rules and
/// a rule's constraints (`rules(field<"port">(range(1, 65535)), ...)`). An aggregate of one base a value, so
/// making, reading and visiting one costs the compiler a class a value and a fold: none of a general tuple's
/// machinery (Hana's or the standard library's), which the schema walks would otherwise instantiate for every
/// section.

#include <cstddef>
#include <utility>

namespace arbiter::inline v1::detail {

template <std::size_t I, class T>
struct item_slot {
  T value;
};

template <class Indices, class... T>
struct item_list_base;
template <std::size_t... I, class... T>
struct item_list_base<std::index_sequence<I...>, T...> : item_slot<I, T>... {};

/// The list; built as `item_list<A, B>{{a}, {b}}` (make_item_list(a, b)).
template <class... T>
struct item_list : item_list_base<std::index_sequence_for<T...>, T...> {
  static constexpr std::size_t size = sizeof...(T);
};

template <class... T>
[[nodiscard]] constexpr item_list<T...> make_item_list(T... values) {
  return item_list<T...>{{{values}...}};
}

/// Item `I` (found by the slot's index: no recursion over the list).
template <std::size_t I, class T>
[[nodiscard]] constexpr const T& item_at(const item_slot<I, T>& slot) noexcept {
  return slot.value;
}

template <std::size_t... I, class... T, class F>
constexpr void for_each_item_impl(const item_list_base<std::index_sequence<I...>, T...>& list, F& f) {
  (f(static_cast<const item_slot<I, T>&>(list).value), ...);
}

/// Calls `f(item)` for every item, in order.
template <class... T, class F>
constexpr void for_each_item(const item_list<T...>& list, F&& f) {
  for_each_item_impl(list, f);
}

}  // namespace arbiter::inline v1::detail
