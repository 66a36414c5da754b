#pragma once

/// \file
/// The config an orchestrator reads: its schema (orchestrator_config by default) with one section per named
/// breaker under `resilience.breakers.<name>`, made at compile time from the breaker names.
///
///   resilience.failure_threshold = 5                  the default of every breaker
///   resilience.breakers.inventory.failure_threshold   this breaker's own value (empty: the default above)
///   ARBITER_RESILIENCE_BREAKERS_INVENTORY_FAILURE_THRESHOLD=3   the same key from the environment
///
/// `service_schema<S, "inventory", "payments">` derives from S, so `snapshot->observability` and every other
/// section read as before; its `resilience` member hides S's with a type that derives from S's resilience section
/// and adds `breakers.<name>`. (A `validate` of S itself that reads `resilience` sees S's own copy: keep such
/// checks in the resilience section's `validate`, which is inherited.) With no breaker names it is S itself.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <type_traits>
#include <utility>

#include <boost/hana/append.hpp>
#include <boost/hana/string.hpp>
#include <boost/hana/transform.hpp>

#include <arbiter/config/constraints.hpp>
#include <arbiter/config/detail/adapt_struct.hpp>
#include <arbiter/config/detail/text.hpp>
#include <arbiter/config/schema.hpp>

namespace arbiter::inline v1 {

/// One breaker's own settings, `resilience.breakers.<name>.*`; an empty field takes the `resilience.*` default.
struct breaker_settings {
  std::optional<std::uint32_t> failure_threshold;
  std::optional<std::uint32_t> success_threshold;
  std::optional<std::chrono::milliseconds> open_timeout;
  std::optional<std::chrono::milliseconds> operation_timeout;

  static constexpr auto config_rules =
      rules(field<"failure_threshold">(range(1, 10'000)), field<"success_threshold">(range(1, 4095)),
            field<"open_timeout">(min(std::chrono::milliseconds(1))),
            field<"operation_timeout">(min(std::chrono::milliseconds(1))));
};

namespace detail {

/// True when `name` can be a breaker's name: a config key segment and the component of a health check name
/// (a lowercase letter, then lowercase letters, digits and `_`, at most 64 characters).
[[nodiscard]] constexpr bool valid_part_name(std::string_view name) noexcept {
  if (name.empty() || name.size() > 64 || name[0] < 'a' || name[0] > 'z') return false;
  for (const char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

/// The Hana string of a compile-time name.
template <fixed_string Name, std::size_t... I>
constexpr auto hana_name(std::index_sequence<I...> /*unused*/) {
  return boost::hana::string<Name.chars[I]...>{};
}
template <fixed_string Name>
constexpr auto hana_name() {
  return hana_name<Name>(std::make_index_sequence<Name.view().size()>{});
}

}  // namespace detail

/// The `resilience.breakers` section: one breaker_settings per name, in the order given.
template <detail::fixed_string... Names>
struct breaker_sections {
  std::array<breaker_settings, sizeof...(Names)> entries{};

  /// Returns the settings of breaker `name`, or nullptr for a name that is not here.
  [[nodiscard]] constexpr const breaker_settings* find(std::string_view name) const noexcept {
    constexpr std::array<std::string_view, sizeof...(Names)> names{Names.view()...};
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (names[i] == name) return &entries[i];
    }
    return nullptr;
  }
};

/// S's resilience section plus `breakers.<name>` for each name.
template <class R, detail::fixed_string... Names>
struct resilience_with_breakers : R {
  breaker_sections<Names...> breakers;
};

/// S with a `resilience.breakers.<name>` section for each name (see the file comment).
template <class S, detail::fixed_string... Names>
struct service_schema_with : S {
  resilience_with_breakers<decltype(S::resilience), Names...> resilience;
};

namespace detail {
template <class S, fixed_string... Names>
struct service_schema_of {
  using type = service_schema_with<S, Names...>;
};
template <class S>
struct service_schema_of<S> {
  using type = S;
};
}  // namespace detail

/// The schema an orchestrator with breakers `Names...` reads.
template <class S, detail::fixed_string... Names>
using service_schema = typename detail::service_schema_of<S, Names...>::type;

}  // namespace arbiter::inline v1

ARBITER_DETAIL_ADAPT_STRUCT(arbiter::breaker_settings, failure_threshold, success_threshold, open_timeout,
                            operation_timeout);

namespace arbiter::inline v1::detail {

/// The members of `List` (member_pairs_of a schema) with the one named `resilience` read by `Own` instead: what
/// each schema that derives from S and replaces its resilience section lists, without Hana (see members.hpp).
template <class List, class Own>
struct with_own_resilience;
template <class... P, class Own>
struct with_own_resilience<type_list<P...>, Own> {
  using type = type_list<
      std::conditional_t<key_name<typename P::key>() == "resilience", member_pair<typename P::key, Own>, P>...>;
};

template <fixed_string... Names>
struct section_members<breaker_sections<Names...>> {
  using type = named_entry_members<Names...>;
};
template <class R, fixed_string... Names>
struct section_members<resilience_with_breakers<R, Names...>> {
  using type = typename append_members<
      member_pairs_of<R>,
      member_pair<member_key<"breakers">, member_ref<&resilience_with_breakers<R, Names...>::breakers>>>::type;
};
template <class S, fixed_string... Names>
struct section_members<service_schema_with<S, Names...>> {
  using type =
      typename with_own_resilience<member_pairs_of<S>, member_ref<&service_schema_with<S, Names...>::resilience>>::type;
};

/// S's Hana accessors with `resilience` read from the derived schema's own member, which hides S's: what each
/// schema that derives from S and replaces its resilience section lists (service_schema_with here,
/// service_schema_with_guards in orchestrator/guards.hpp).
template <class S>
constexpr auto accessors_with_own_resilience() {
  namespace hana = boost::hana;
  return hana::transform(hana::accessors<S>(), [](auto pair) {
    if constexpr (key_name<std::remove_cvref_t<decltype(hana::first(pair))>>() == "resilience") {
      return hana::make_pair(hana::first(pair),
                             [](auto&& s) -> decltype(auto) { return (static_cast<decltype(s)&&>(s).resilience); });
    } else {
      return pair;
    }
  });
}

}  // namespace arbiter::inline v1::detail

namespace boost::hana {

template <arbiter::detail::fixed_string... Names>
struct accessors_impl<arbiter::breaker_sections<Names...>> {
  template <std::size_t... I>
  static constexpr auto make(std::index_sequence<I...> /*unused*/) {
    return make_tuple(make_pair(arbiter::detail::hana_name<Names>(), [](auto&& s) -> decltype(auto) {
      return (static_cast<decltype(s)&&>(s).entries[I]);
    })...);
  }
  static constexpr auto apply() { return make(std::index_sequence_for<decltype(Names)...>{}); }
};

template <class R, arbiter::detail::fixed_string... Names>
struct accessors_impl<arbiter::resilience_with_breakers<R, Names...>> {
  static constexpr auto apply() {
    return append(accessors<R>(), make_pair(BOOST_HANA_STRING("breakers"), [](auto&& s) -> decltype(auto) {
                    return (static_cast<decltype(s)&&>(s).breakers);
                  }));
  }
};

template <class S, arbiter::detail::fixed_string... Names>
struct accessors_impl<arbiter::service_schema_with<S, Names...>> {
  static constexpr auto apply() { return arbiter::detail::accessors_with_own_resilience<S>(); }
};

}  // namespace boost::hana
