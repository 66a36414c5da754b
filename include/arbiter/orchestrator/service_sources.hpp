#pragma once

/// \file
/// The config layers of a service with a service_command_line, lowest precedence first: the service's own
/// defaults (json_sources, one or more), the file `--config PATH` named (or nothing), the `ARBITER_*` environment,
/// and the command line's `key.path=value` overrides. `service_sources<N>` is the with_sources<...> part for N
/// default layers; `make_service_sources(cli, defaults...)` makes the sources in that order (call it again for
/// each load: a load consumes them).
///
///   using service = arbiter::orchestrator<..., arbiter::service_sources<1>>;
///   const auto sources = [&] {
///     return arbiter::make_service_sources(cli, arbiter::json_source::from_text(defaults, "<defaults>"));
///   };
///
/// Needs nlohmann/json, as json_source does.

#include <cstddef>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include <arbiter/config/env_source.hpp>
#include <arbiter/config/json_source.hpp>
#include <arbiter/config/override_source.hpp>
#include <arbiter/orchestrator/commands.hpp>
#include <arbiter/orchestrator/parts.hpp>

namespace arbiter::inline v1 {

namespace detail {
template <std::size_t N, fixed_string Prefix, class... S>
struct service_sources_of : service_sources_of<N - 1, Prefix, json_source, S...> {};
template <fixed_string Prefix, class... S>
struct service_sources_of<0, Prefix, S...> {
  using type = with_sources<S..., json_source, env_source<Prefix>, override_source>;
};
}  // namespace detail

/// The with_sources<...> part of `Defaults` default layers, the `--config` file, the `Prefix`_* environment and
/// the overrides (see the file comment).
template <std::size_t Defaults, detail::fixed_string Prefix = "ARBITER">
using service_sources = typename detail::service_sources_of<Defaults, Prefix>::type;

/// Returns the sources of service_sources<sizeof...(defaults), Prefix>: `defaults`, the `--config` file (an
/// empty "<no --config file>" when none was named), the environment, and the overrides.
template <detail::fixed_string Prefix = "ARBITER", class... Defaults>
requires(std::is_same_v<Defaults, json_source>&&...)
    [[nodiscard]] auto make_service_sources(const service_command_line& cli, Defaults... defaults) {
  return std::make_tuple(
      std::move(defaults)...,
      cli.config_file() ? json_source(*cli.config_file()) : json_source::from_text("{}", "<no --config file>"),
      env_source<Prefix>{}, override_source(cli.overrides()));
}

}  // namespace arbiter::inline v1
