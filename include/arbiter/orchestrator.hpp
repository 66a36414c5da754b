#pragma once

/// \file
/// `arbiter::orchestrator<Parts...>`: one typed assembly of a service's parts (see orchestrator/parts.hpp for the
/// parts), wired to each other the way every service would wire them by hand:
///
///   config      loaded and validated before anything starts; every part reads its section; a bad setting is one
///               config_error listing every problem with its source (run() turns it into exit code 2)
///   breakers    named at compile time, `svc.breaker<"inventory">()`; each reads resilience.breakers.<name>.*,
///               falling back to resilience.*; each is a health check `<name>:circuit_breaker`
///   retries     `retried<"name">` and `bulkheaded<"name">` (include orchestrator/guards.hpp): each from
///   bulkheads   resilience.retries.<name>.* or resilience.bulkheads.<name>.*; a bulkhead is a non-critical check
///               `<name>:bulkhead`; svc.guarded<"name">() is the pipeline retry -> breaker -> bulkhead of a name
///   health      background checks at health.check_interval, each capped by health.check_timeout; the startup
///               probe passes once start() has finished
///   shutdown    readiness off, grace, stop intake (drain gate and stop token), drain, then hooks by phase: the
///               service's own (phase 0), the optional parts (50), the health monitor (80), the tracer's flush
///               (90) within what is left of shutdown.timeout; then the exit code. Each step is logged and
///               traced (a "shutdown" span, a child a step) through the service's Logger and Tracer
///   reload      SIGHUP or reload(): breakers keep their state and counts, the log level and format change
///               live, what cannot change live is reported as needing a restart; a rejected reload changes
///               nothing
///
/// No part is reached through a virtual call or a type-erased function: `svc.breaker<"inventory">()` is the
/// breaker itself, found at compile time.

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <arbiter/config/config.hpp>
#include <arbiter/config/env_source.hpp>
#include <arbiter/config/orchestrator_config.hpp>
#include <arbiter/detail/concat.hpp>
#include <arbiter/detail/precompiled.hpp>
#include <arbiter/detail/type_list.hpp>
#include <arbiter/health/check.hpp>
#include <arbiter/health/health_monitor.hpp>
#include <arbiter/health/in_flight_check.hpp>
#include <arbiter/lifecycle/exit_policy.hpp>
#include <arbiter/lifecycle/shutdown_manager.hpp>
#include <arbiter/logging/fmt_logger.hpp>
#include <arbiter/logging/logger.hpp>
#include <arbiter/metrics/catalog.hpp>
#include <arbiter/metrics/metrics.hpp>
#include <arbiter/metrics/null_metrics.hpp>
#include <arbiter/orchestrator/parts.hpp>
#include <arbiter/orchestrator/service_schema.hpp>
#include <arbiter/resilience/circuit_breaker.hpp>
#include <arbiter/tracing/null_tracer.hpp>
#include <arbiter/tracing/otel_config.hpp>
#include <arbiter/tracing/trace.hpp>
#include <arbiter/tracing/tracer.hpp>

namespace arbiter::inline v1 {

template <Clock C>
class file_watcher;  // config/watcher.hpp (inotify, <filesystem>): included by the services that watch files
template <class... Parts>
class pipeline;  // resilience/pipeline.hpp, through orchestrator/guards.hpp: svc.guarded<"name">()

/// Run-time choices of an orchestrator that are not settings of the service.
struct orchestrator_options {
  std::FILE* log_stream = stderr;                ///< where a fmt_logger built from the config writes
  std::FILE* span_stream = stdout;               ///< where json_lines_tracing writes spans (see tracing_setup)
  bool handle_signals = true;                    ///< start(): SIGTERM/SIGINT shut down, SIGHUP reloads (false in tests)
  health_mode health = health_mode::background;  ///< background: probes answer from the latest results
};

/// What a reload did: the config's own result, plus what the parts could not take live.
struct service_reload {
  reload_result config;                    ///< applied, changed paths, restart-only paths, issues
  std::vector<std::string> needs_restart;  ///< every path (config or part) whose new value waits for a restart
  [[nodiscard]] bool ok() const noexcept { return config.ok(); }
  [[nodiscard]] bool applied() const noexcept { return config.applied; }
};

/// What a reload did, as lines of text for a person (a console, a demo's narration); the log has the same facts as
/// fields. One of:
///
///   configuration reloaded; changed: observability.log_level (needs a restart: nothing)
///   configuration unchanged
///   the configuration is invalid; the running one stays:
///     <each issue, with its source>
template <std::same_as<service_reload> Reload>  // a template: compiled only where it is called
[[nodiscard]] std::vector<std::string> describe(const Reload& reload) {
  const auto joined = [](const std::vector<std::string>& paths) {
    std::string out;
    for (const auto& path : paths) out.append(out.empty() ? "" : ", ").append(path);
    return out.empty() ? std::string("nothing") : out;
  };
  std::vector<std::string> lines;
  if (!reload.ok()) {
    lines.emplace_back("the configuration is invalid; the running one stays:");
    for (const auto& issue : reload.config.issues) lines.push_back("  " + issue.message);
  } else if (reload.config.changed.empty()) {
    lines.emplace_back("configuration unchanged");
  } else {
    lines.push_back("configuration reloaded; changed: " + joined(reload.config.changed) +
                    " (needs a restart: " + joined(reload.needs_restart) + ")");
  }
  return lines;
}

/// A tracing part builds its Tracer from the config's tracing settings (see json_lines_tracing); one that is also
/// constructible from a tracing_setup is built from that, with orchestrator_options::span_stream.
template <class P>
concept TracingPart = requires(const P& part, const otel_settings& settings) {
  typename P::tracer_type;
  P(settings);
  { part.tracer() } -> std::convertible_to<typename P::tracer_type>;
};

/// Returns the instances of `T` in `instances`, or `T{}`: how the orchestrator takes the objects of its parts.
namespace detail {

template <class T, class Tuple>
inline constexpr bool tuple_holds = false;
template <class T, class... E>
inline constexpr bool tuple_holds<T, std::tuple<E...>> = (std::is_same_v<T, E> || ...);

template <class T, class Tuple>
[[nodiscard]] T take_instance(Tuple& instances) {
  if constexpr (tuple_holds<T, Tuple>) {
    return std::get<T>(instances);
  } else {
    static_assert(std::is_default_constructible_v<T>,
                  "====> arbiter: this part has no default value: pass an instance of it to the orchestrator's "
                  "constructor with arbiter::instances(...).");
    return T{};
  }
}

// ---- reading the parts ----------------------------------------------------------------------------------------

template <class P>
struct part_kind {
  static constexpr int value = 0;
};
template <detail::fixed_string N, class... P>
struct part_kind<retried<N, P...>> {
  static constexpr int value = 12;
};
template <detail::fixed_string N, class... P>
struct part_kind<bulkheaded<N, P...>> {
  static constexpr int value = 13;
};
template <detail::fixed_string N, class... P>
struct part_kind<breaker<N, P...>> {
  static constexpr int value = 1;
};
template <class S>
struct part_kind<with_schema<S>> {
  static constexpr int value = 2;
};
template <class... S>
struct part_kind<with_sources<S...>> {
  static constexpr int value = 3;
};
template <class L>
struct part_kind<with_logger<L>> {
  static constexpr int value = 4;
};
template <class T>
struct part_kind<with_tracer<T>> {
  static constexpr int value = 5;
};
template <class C>
struct part_kind<with_clock<C>> {
  static constexpr int value = 6;
};
template <class E>
struct part_kind<with_exit<E>> {
  static constexpr int value = 7;
};
template <class... C>
struct part_kind<with_checks<C...>> {
  static constexpr int value = 8;
};
template <class... H>
struct part_kind<with_hooks<H...>> {
  static constexpr int value = 9;
};
template <class... P>
struct part_kind<with_parts<P...>> {
  static constexpr int value = 10;
};
template <class M>
struct part_kind<with_metrics<M>> {
  static constexpr int value = 11;
};

/// The first part of kind `Kind` among `Parts`, or `Default`.
template <int Kind, class Default, class... Parts>
struct find_part {
  using type = Default;
};
template <int Kind, class Default, class H, class... T>
struct find_part<Kind, Default, H, T...> {
  using type = std::conditional_t<part_kind<H>::value == Kind, H, typename find_part<Kind, Default, T...>::type>;
};

/// The type a `with_...<T>` part wraps.
template <class W>
struct unwrap;
template <template <class> class W, class T>
struct unwrap<W<T>> {
  using type = T;
};

/// The parts of kind `Kind` (the breakers, the retries, the bulkheads), in order.
template <int Kind, class... Parts>
struct parts_of_kind {
  using type = type_list<>;
};
template <int Kind, class H, class... T>
struct parts_of_kind<Kind, H, T...> {
  template <class... B>
  static auto prepend(type_list<B...>) {
    if constexpr (part_kind<H>::value == Kind) {
      return type_list<H, B...>{};
    } else {
      return type_list<B...>{};
    }
  }
  using type = decltype(prepend(typename parts_of_kind<Kind, T...>::type{}));
};
template <class... Parts>
using breakers_of = parts_of_kind<1, Parts...>;

/// The retries and bulkheads of an orchestrator with Metrics `M`, from the retried<...> and bulkheaded<...> parts:
/// defined in orchestrator/guards.hpp (which a service that has them includes), but for none of either.
template <class M, class Retries, class Bulkheads>
struct guard_table;
template <class M>
struct guard_table<M, type_list<>, type_list<>> {
  static constexpr std::size_t retry_count = 0;
  static constexpr std::size_t bulkhead_count = 0;
  static constexpr std::array<std::string_view, 0> retry_names{};
  static constexpr std::array<std::string_view, 0> bulkhead_names{};
  template <class S>
  using schema = S;
  struct objects {
    template <class Tuple, class Snapshot>
    constexpr objects(Tuple& /*parts*/, const Snapshot& /*s*/, M& /*metrics*/) noexcept {}
  };
};
/// True once orchestrator/guards.hpp is included.
template <class Table>
inline constexpr bool guards_header_included = false;

/// Removes `critical` from a breaker's policies.
template <class Out, class... P>
struct strip_critical;
template <class... Kept>
struct strip_critical<type_list<Kept...>> {
  using type = type_list<Kept...>;
};
template <class... Kept, class H, class... T>
struct strip_critical<type_list<Kept...>, H, T...> {
  using type = typename strip_critical<
      std::conditional_t<std::is_same_v<H, critical>, type_list<Kept...>, type_list<Kept..., H>>, T...>::type;
};

template <class List, class L, class T, class M>
struct make_breaker_type;
template <class... P, class L, class T, class M>
struct make_breaker_type<type_list<P...>, L, T, M> {
  // null_metrics is left out, so that a service without metrics has exactly the breaker types it always had.
  using type = std::conditional_t<is_null_metrics<M>, circuit_breaker<P..., L, T>, circuit_breaker<P..., L, T, M>>;
};

/// One breaker part, resolved: its name, its circuit_breaker type, whether its check is critical.
template <class Spec, class L, class T, class M>
struct breaker_part;
template <detail::fixed_string N, class... P, class L, class T, class M>
struct breaker_part<breaker<N, P...>, L, T, M> {
  static constexpr detail::fixed_string name = N;
  static constexpr bool is_critical = (std::is_same_v<P, critical> || ...);
  using type = typename make_breaker_type<typename strip_critical<type_list<>, P...>::type, L, T, M>::type;
};

/// Returns the index of the first of `names` equal to `name`, or names.size().
template <std::size_t N>
[[nodiscard]] constexpr std::size_t index_of(const std::array<std::string_view, N>& names,
                                             std::string_view name) noexcept {
  for (std::size_t i = 0; i < N; ++i) {
    if (names[i] == name) return i;
  }
  return N;
}

template <std::size_t N>
[[nodiscard]] constexpr bool has_duplicates(const std::array<std::string_view, N>& names) noexcept {
  for (std::size_t i = 0; i < N; ++i) {
    for (std::size_t j = i + 1; j < N; ++j) {
      if (names[i] == names[j]) return true;
    }
  }
  return false;
}

/// False, for a static_assert that fails only when its template is instantiated.
template <auto...>
inline constexpr bool unknown_part_name = false;

/// Instantiated when svc.breaker<"name">() asks for a name that no breaker part has: the first line of the
/// compiler's error ("In instantiation of ...no_breaker_has_this_name<...>") shows the name asked for and then
/// every name that exists, and the error itself is the only one the call makes.
template <detail::fixed_string Asked, detail::fixed_string... Existing>
struct no_breaker_has_this_name {
  static_assert(unknown_part_name<Asked, Existing...>,
                "====> arbiter: svc.breaker<\"name\">(): no breaker part has this name; the line \"In instantiation "
                "of no_breaker_has_this_name<asked, existing...>\" above shows the name asked for, then the names "
                "that exist: ask for one of those, or add a breaker<\"name\"> part.");
};

/// Health check name of a named part: "<name>:<measurement>" ("inventory:circuit_breaker", "inventory:bulkhead").
template <detail::fixed_string Name, detail::fixed_string Measurement>
struct part_check_name {
  static constexpr auto text = [] {
    static_text<96> t;
    t.append(Name.view());
    t.append(":");
    t.append(Measurement.view());
    return t;
  }();
};

/// A breaker as a health check: closed or disabled is healthy, half-open degraded, open unhealthy (capped at
/// DEGRADED by the aggregator unless the breaker is critical).
template <detail::fixed_string Name, class B, bool Critical>
class breaker_check {
 public:
  static constexpr std::string_view name = part_check_name<Name, "circuit_breaker">::text.view();
  static constexpr bool critical = Critical;
  static constexpr bool external = true;
  static constexpr probe_set probes = probe_set(probe::readiness);

  explicit breaker_check(const B& breaker) noexcept : breaker_(&breaker) {}

  [[nodiscard]] check_result operator()() const {
    const breaker_status s = breaker_->status();
    const std::string why = s.reason ? std::string(to_string(*s.reason)) : std::string();
    switch (s.state) {
      case breaker_state::closed:
      case breaker_state::disabled:
        return check_result::healthy().with("state", std::string(to_string(s.state)));
      case breaker_state::half_open:
        return check_result::degraded("half-open: trial calls").with("state", "half_open").with("reason", why);
      case breaker_state::open:
      case breaker_state::forced_open:
        break;
    }
    return check_result::unhealthy("open: calls are short-circuited")
        .with("state", std::string(to_string(s.state)))
        .with("reason", why);
  }

 private:
  const B* breaker_;
};

/// The startup probe: failing until the orchestrator's start() has finished.
class startup_check {
 public:
  static constexpr std::string_view name = "service:startup";
  static constexpr probe_set probes = probe_set(probe::startup);

  explicit startup_check(const std::atomic<bool>& started) noexcept : started_(&started) {}

  [[nodiscard]] check_result operator()() const {
    return started_->load(std::memory_order_acquire) ? check_result::healthy() : check_result::unhealthy("starting");
  }

 private:
  const std::atomic<bool>* started_;
};

/// Returns the instance of check `C` in `instances`; else, for a check built from a drain gate (in_flight_check),
/// one built from the service's; else `C{}`.
template <class C, class Tuple>
[[nodiscard]] C take_check(Tuple& instances, const drain_gate& gate) {
  if constexpr (!tuple_holds<C, Tuple> && std::is_constructible_v<C, const drain_gate&>) {
    return C(gate);
  } else {
    return take_instance<C>(instances);
  }
}

/// A Tracer given as is: its instance comes from the constructor's instances (or is default-constructed).
template <class T>
class given_tracer {
 public:
  using tracer_type = T;
  explicit given_tracer(T tracer) : tracer_(std::move(tracer)) {}
  [[nodiscard]] const T& tracer() const noexcept { return tracer_; }

 private:
  [[no_unique_address]] T tracer_;
};

/// The tracing part an orchestrator with Metrics `M` builds from `T`: `T::with_metrics<M>` when T offers it (so
/// its processor reports through the service's metrics), else T; a bare Tracer is wrapped in given_tracer.
template <class T, class M, bool IsPart = TracingPart<T>>
struct tracing_of {
  using part_type = T;
  using tracer_type = typename T::tracer_type;
};
template <class T, class M>
requires(!is_null_metrics<M> && requires { typename T::template with_metrics<M>; }) struct tracing_of<T, M, true> {
  using part_type = typename T::template with_metrics<M>;
  using tracer_type = typename part_type::tracer_type;
};
template <class T, class M>
struct tracing_of<T, M, false> {
  using part_type = given_tracer<T>;
  using tracer_type = T;
};

/// The settings of every part, derived from one snapshot.
struct derived_settings {
  std::vector<breaker_options> breakers;
  health_config health;
  shutdown_options shutdown;
  otel_settings tracing;
};

/// What a breaker is built from: a breaker_slot is constructed from it in place, so the breaker never moves.
template <class B>
struct breaker_constructor {
  std::string name;
  breaker_options options;
  typename B::clock_type clock;
  typename B::timing_type timing;
  typename B::classifier_type classifier;
  typename B::logger_type logger;
  typename B::tracer_type tracer;
  typename B::metrics_type metrics;
};

/// Holds one breaker of an orchestrator (the same size as the breaker).
template <class B>
struct breaker_slot {
  explicit breaker_slot(breaker_constructor<B>&& c)
      : breaker(std::move(c.name), c.options, std::move(c.clock), std::move(c.timing), std::move(c.classifier),
                std::move(c.logger), std::move(c.tracer), std::move(c.metrics)) {}
  B breaker;
};

/// Checks the parts of an orchestrator; each mistake is one `====> arbiter:` message.
template <class... Parts>
consteval bool assert_orchestrator_parts() {
  static_assert(((part_kind<Parts>::value != 0) && ...),
                "====> arbiter: orchestrator<...> takes breaker<\"name\", Policies...>, retried<\"name\", ...>, "
                "bulkheaded<\"name\", ...>, with_schema<S>, "
                "with_sources<...>, with_logger<L>, with_tracer<T>, with_metrics<M>, with_clock<C>, with_exit<E>, "
                "with_checks<...>, with_hooks<...> and with_parts<...>; one of its arguments is none of these.");
  constexpr std::array<int, sizeof...(Parts)> kinds{part_kind<Parts>::value...};
  constexpr bool one_each = [&] {
    for (std::size_t i = 0; i < kinds.size(); ++i) {
      for (std::size_t j = i + 1; j < kinds.size(); ++j) {
        if (kinds[i] == kinds[j] && kinds[i] != 1 && kinds[i] != 12 && kinds[i] != 13) return false;
      }
    }
    return true;
  }();
  static_assert(one_each,
                "====> arbiter: orchestrator<...> takes each with_... part at most once: merge the two into one "
                "(for example with_checks<A, B> instead of with_checks<A>, with_checks<B>).");
  return true;
}

}  // namespace detail

/// Bundles objects for the orchestrator's parts (a logger, a tracer, a clock, check objects, hooks, sources are
/// separate): `orchestrator<...> svc(arbiter::instances(logger, clock), options, sources...)`.
template <class... T>
[[nodiscard]] std::tuple<std::decay_t<T>...> instances(T&&... objects) {
  return std::tuple<std::decay_t<T>...>(std::forward<T>(objects)...);
}

template <class... Parts>
class orchestrator {
  static_assert(sizeof...(Parts) == 0 || detail::assert_orchestrator_parts<Parts...>());

  using sources_part = typename detail::find_part<3, with_sources<env_source<"ARBITER">>, Parts...>::type;
  using checks_part = typename detail::find_part<8, with_checks<>, Parts...>::type;
  using hooks_part = typename detail::find_part<9, with_hooks<>, Parts...>::type;
  using extras_part = typename detail::find_part<10, with_parts<>, Parts...>::type;
  using breaker_specs = typename detail::breakers_of<Parts...>::type;
  template <class W>
  struct count_sources;
  template <class... S>
  struct count_sources<with_sources<S...>> {
    static constexpr std::size_t value = sizeof...(S);
  };
  static constexpr std::size_t source_count = count_sources<sources_part>::value;

 public:
  using base_schema =
      typename detail::unwrap<typename detail::find_part<2, with_schema<orchestrator_config>, Parts...>::type>::type;
  using logger_type =
      typename detail::unwrap<typename detail::find_part<4, with_logger<fmt_logger>, Parts...>::type>::type;
  using metrics_type =
      typename detail::unwrap<typename detail::find_part<11, with_metrics<null_metrics>, Parts...>::type>::type;
  using tracing_part_type = typename detail::tracing_of<
      typename detail::unwrap<typename detail::find_part<5, with_tracer<null_tracer>, Parts...>::type>::type,
      metrics_type>::part_type;
  using tracer_type = typename detail::tracing_of<
      typename detail::unwrap<typename detail::find_part<5, with_tracer<null_tracer>, Parts...>::type>::type,
      metrics_type>::tracer_type;
  using clock_type =
      typename detail::unwrap<typename detail::find_part<6, with_clock<steady_clock>, Parts...>::type>::type;
  using exit_type =
      typename detail::unwrap<typename detail::find_part<7, with_exit<process_exit>, Parts...>::type>::type;

  static_assert(std::is_base_of_v<orchestrator_config, base_schema> || std::is_same_v<base_schema, orchestrator_config>,
                "====> arbiter: with_schema<S> needs S to be arbiter::orchestrator_config or a struct derived from it "
                "(the orchestrator reads its resilience, health, shutdown and observability sections).");
  static_assert(assert_logger<logger_type>());
  static_assert(assert_tracer<tracer_type>());
  static_assert(assert_clock<clock_type>());
  static_assert(assert_metrics<metrics_type>());

 private:
  template <class List>
  struct breaker_table;
  template <class... B>
  struct breaker_table<detail::type_list<B...>> {
    using parts = std::tuple<detail::breaker_part<B, logger_type, tracer_type, metrics_type>...>;
    using types = std::tuple<typename detail::breaker_part<B, logger_type, tracer_type, metrics_type>::type...>;
    using objects = std::tuple<
        detail::breaker_slot<typename detail::breaker_part<B, logger_type, tracer_type, metrics_type>::type>...>;
    using schema =
        service_schema<base_schema, detail::breaker_part<B, logger_type, tracer_type, metrics_type>::name...>;
    static constexpr std::size_t count = sizeof...(B);
    static constexpr std::array<std::string_view, sizeof...(B)> names{B::name...};
    template <detail::fixed_string Asked>
    static constexpr void no_such_name() {
      static_cast<void>(sizeof(
          detail::no_breaker_has_this_name<Asked,
                                           detail::breaker_part<B, logger_type, tracer_type, metrics_type>::name...>));
    }
    template <std::size_t I>
    using check = detail::breaker_check<std::tuple_element_t<I, parts>::name, std::tuple_element_t<I, types>,
                                        std::tuple_element_t<I, parts>::is_critical>;
  };
  using breakers_t = breaker_table<breaker_specs>;
  using retry_specs = typename detail::parts_of_kind<12, Parts...>::type;
  using bulkhead_specs = typename detail::parts_of_kind<13, Parts...>::type;
  using guards_t = detail::guard_table<metrics_type, retry_specs, bulkhead_specs>;
  static_assert((std::is_same_v<retry_specs, detail::type_list<>> &&
                 std::is_same_v<bulkhead_specs, detail::type_list<>>) ||
                    detail::guards_header_included<guards_t>,
                "====> arbiter: retried<\"name\", ...> and bulkheaded<\"name\", ...> parts need "
                "#include <arbiter/orchestrator/guards.hpp> before the orchestrator is used.");
  static_assert(!detail::has_duplicates(breakers_t::names),
                "====> arbiter: two breaker<\"name\", ...> parts have the same name: give each breaker its own "
                "name (it is its config key resilience.breakers.<name> and its health check <name>:circuit_breaker).");
  static_assert(
      [] {
        for (const auto name : breakers_t::names) {
          if (!detail::valid_part_name(name)) return false;
        }
        return true;
      }(),
      "====> arbiter: a breaker's name must start with a lowercase letter and hold only a-z, 0-9 and _ (at most "
      "64): it becomes the config key resilience.breakers.<name>.");

  template <class Sources>
  struct config_of;
  template <class... S>
  struct config_of<with_sources<S...>> {
    using type = basic_config<typename guards_t::template schema<typename breakers_t::schema>,
                              config_policies<logger_type, metrics_type, clock_type>, S...>;
  };

  template <class Checks, class Seq, class BulkheadSeq>
  struct monitor_of;
  template <class... C, std::size_t... I, std::size_t... J>
  struct monitor_of<with_checks<C...>, std::index_sequence<I...>, std::index_sequence<J...>> {
    using type = basic_health_monitor<
        health_policies<clock_type, logger_type, tracer_type, worst_of_critical_capped, metrics_type>,
        detail::startup_check, typename breakers_t::template check<I>..., typename guards_t::template check<J>...,
        C...>;
  };

  template <class Extras>
  struct extras_of;
  template <class... P>
  struct extras_of<with_parts<P...>> {
    using type = std::tuple<P...>;
  };

 public:
  using schema_type = typename guards_t::template schema<typename breakers_t::schema>;
  using config_type = typename config_of<sources_part>::type;
  using snapshot_type = snapshot<schema_type>;
  using monitor_type = typename monitor_of<checks_part, std::make_index_sequence<breakers_t::count>,
                                           std::make_index_sequence<guards_t::bulkhead_count>>::type;
  using shutdown_type = shutdown_manager<logger_type, clock_type, exit_type, tracer_type, metrics_type>;

  /// Loads the config from `sources` (lowest precedence first), checks every part's settings, and builds the
  /// parts. Nothing runs yet: start() installs the signal handlers and passes the startup probe.
  /// \throws config_error listing every problem with its source (a bad setting, a value a part refuses)
  template <class... I, class... S>
  requires(sizeof...(S) > 0 || source_count == 0) explicit orchestrator(std::tuple<I...> parts,
                                                                        orchestrator_options options, S&&... sources)
      : options_(options),
        metrics_(detail::take_instance<metrics_type>(parts)),
        logger_(make_logger(parts, options)),
        config_(typename config_type::policies_type{logger_, metrics_, detail::take_instance<clock_type>(parts)},
                std::forward<S>(sources)...),
        settings_(derive(config_.current(), options)),
        tracing_(tracing_argument(parts, settings_.tracing, options)),
        breakers_(make_breakers(parts, std::make_index_sequence<breakers_t::count>{})),
        guards_(parts, config_.current(), metrics_),
        shutdown_(logger_, settings_.shutdown, detail::take_instance<clock_type>(parts),
                  detail::take_instance<exit_type>(parts), tracer_, metrics_),
        monitor_(make_monitor(parts, std::make_index_sequence<breakers_t::count>{},
                              std::make_index_sequence<guards_t::bulkhead_count>{})) {
    wire(parts);
  }

  /// Builds the parts with default-constructed sources of the types with_sources<...> names.
  template <class... I>
  requires(source_count > 0) orchestrator(std::tuple<I...> parts, orchestrator_options options)
      : orchestrator(default_sources{}, std::move(parts), options, sources_part{}) {}

  /// Builds the parts from `sources` with the default part objects.
  template <class... S>
  requires(!(std::is_same_v<std::remove_cvref_t<S>, orchestrator_options> || ...)) explicit orchestrator(S&&... sources)
      : orchestrator(std::tuple<>{}, orchestrator_options{}, std::forward<S>(sources)...) {}

  /// Builds the parts from `sources` with `options`.
  template <class... S>
  explicit orchestrator(orchestrator_options options, S&&... sources)
      : orchestrator(std::tuple<>{}, options, std::forward<S>(sources)...) {}

  orchestrator(const orchestrator&) = delete;
  orchestrator& operator=(const orchestrator&) = delete;
  orchestrator(orchestrator&&) = delete;
  orchestrator& operator=(orchestrator&&) = delete;
  ~orchestrator() = default;

  /// Builds the service from `sources`, starts it, runs `body(svc)` (which serves until it returns, usually
  /// when svc.stop_token() is stopped), then shuts down and returns the exit code. A config_error is printed to
  /// stderr, every problem with its source, and gives exit code 2 before anything starts.
  template <class Body, class... S>
  static int run(orchestrator_options options, Body&& body, S&&... sources) {
    return run(std::tuple<>{}, options, std::forward<Body>(body), std::forward<S>(sources)...);
  }

  /// The same, with the objects of the parts (`instances(logger, checks...)`, as the constructor takes them).
  /// A body that returns an int reports its own outcome: a nonzero value is the exit code (the service's own
  /// work failed), else the shutdown's is. The body may shut down and wait() itself (to report the result).
  template <class... I, class Body, class... S>
  static int run(std::tuple<I...> parts, orchestrator_options options, Body&& body, S&&... sources) {
    std::optional<orchestrator> svc;
    try {
      svc.emplace(std::move(parts), options, std::forward<S>(sources)...);
    } catch (const config_error& error) {
      std::fprintf(stderr, "%s\n", error.what());
      return 2;
    }
    svc->start();
    int own = 0;
    try {
      if constexpr (std::is_convertible_v<std::invoke_result_t<Body&&, orchestrator&>, int>) {
        own = std::forward<Body>(body)(*svc);
      } else {
        std::forward<Body>(body)(*svc);
      }
    } catch (const std::exception& error) {
      svc->shutdown().fatal(std::string("service body: uncaught exception: ") + error.what());
    }
    svc->shutdown().trigger_shutdown("the service's main function returned");
    const int code = svc->shutdown().wait().exit_code;
    return own != 0 ? own : code;
  }

  /// Installs the signal handlers (when options say so) and lets the startup probe pass.
  void start() {
    if (options_.handle_signals) shutdown_.start();
    std::apply([](auto&... part) { (start_part(part), ...); }, *extras_);
    started_.store(true, std::memory_order_release);
    monitor_.refresh(probe::startup);  // the background schedule would otherwise wait a whole interval
    logger_.log(log_level::info, "service started", kv("breakers", std::uint64_t{breakers_t::count}),
                kv("checks", std::uint64_t{monitor_type::size()}));
  }

  // ---- the parts --------------------------------------------------------------------------------------------

  /// Returns the breaker named `Name`, found at compile time (no run-time cost). An unknown name fails to
  /// compile, naming the name asked for and every name that exists.
  template <detail::fixed_string Name>
  [[nodiscard]] auto& breaker() noexcept {
    constexpr std::size_t i = detail::index_of(breakers_t::names, Name.view());
    if constexpr (i == breakers_t::count) {
      breakers_t::template no_such_name<Name>();  // the error, with the names that exist
      if constexpr (breakers_t::count > 0) {
        return std::get<0>(breakers_).breaker;  // a breaker, so that the caller's use of it adds no error
      } else {
        return *this;
      }
    } else {
      return std::get<i>(breakers_).breaker;
    }
  }

  /// Returns the retry named `Name` (a retried<"name", ...> part; include <arbiter/orchestrator/guards.hpp>),
  /// found at compile time. An unknown name fails to compile, naming the name asked for and every name that exists.
  template <detail::fixed_string Name>
  [[nodiscard]] auto& retry() noexcept {
    constexpr std::size_t i = detail::index_of(guards_t::retry_names, Name.view());
    if constexpr (i == guards_t::retry_count) {
      static_assert(i != guards_t::retry_count || detail::guards_header_included<guards_t>,
                    "====> arbiter: svc.retry<\"name\">(): no retried<\"name\", ...> part has this name (and "
                    "retries need #include <arbiter/orchestrator/guards.hpp>).");
      if constexpr (detail::guards_header_included<guards_t>) {
        guards_t::template no_such_retry<Name>();  // the error, with the names that exist
        if constexpr (guards_t::retry_count > 0) return std::get<0>(guards_.retries).object;
      }
      if constexpr (!detail::guards_header_included<guards_t> || guards_t::retry_count == 0) return *this;
    } else {
      return std::get<i>(guards_.retries).object;
    }
  }

  /// Returns the bulkhead named `Name` (a bulkheaded<"name", ...> part), as retry<Name>() does.
  template <detail::fixed_string Name>
  [[nodiscard]] auto& bulkhead() noexcept {
    constexpr std::size_t i = detail::index_of(guards_t::bulkhead_names, Name.view());
    if constexpr (i == guards_t::bulkhead_count) {
      static_assert(i != guards_t::bulkhead_count || detail::guards_header_included<guards_t>,
                    "====> arbiter: svc.bulkhead<\"name\">(): no bulkheaded<\"name\", ...> part has this name (and "
                    "bulkheads need #include <arbiter/orchestrator/guards.hpp>).");
      if constexpr (detail::guards_header_included<guards_t>) {
        guards_t::template no_such_bulkhead<Name>();  // the error, with the names that exist
        if constexpr (guards_t::bulkhead_count > 0) return std::get<0>(guards_.bulkheads).object;
      }
      if constexpr (!detail::guards_header_included<guards_t> || guards_t::bulkhead_count == 0) return *this;
    } else {
      return std::get<i>(guards_.bulkheads).object;
    }
  }

  /// Returns the pipeline of the retry, the breaker and the bulkhead named `Name`, those that exist, in that order
  /// (outermost first): one call guarded by all three, `svc.guarded<"inventory">().execute(fn, fallback, stop)`.
  /// The pipeline holds references to the orchestrator's parts; building one costs nothing. Needs
  /// <arbiter/orchestrator/guards.hpp>.
  template <detail::fixed_string Name>
  [[nodiscard]] auto guarded() noexcept {
    static_assert(detail::guards_header_included<guards_t>,
                  "====> arbiter: svc.guarded<\"name\">() needs #include <arbiter/orchestrator/guards.hpp>.");
    constexpr std::size_t r = detail::index_of(guards_t::retry_names, Name.view());
    constexpr std::size_t b = detail::index_of(breakers_t::names, Name.view());
    constexpr std::size_t k = detail::index_of(guards_t::bulkhead_names, Name.view());
    constexpr bool has_r = r < guards_t::retry_count, has_b = b < breakers_t::count,
                   has_k = k < guards_t::bulkhead_count;
    static_assert(has_r || has_b || has_k,
                  "====> arbiter: svc.guarded<\"name\">(): no retried<>, breaker<> or bulkheaded<> part has this "
                  "name.");
    const auto one = [](auto& part) { return std::tuple<decltype(part)>(part); };
    auto parts = std::tuple_cat(
        [&] {
          if constexpr (has_r)
            return one(std::get<r>(guards_.retries).object);
          else
            return std::tuple<>{};
        }(),
        [&] {
          if constexpr (has_b)
            return one(std::get<b>(breakers_).breaker);
          else
            return std::tuple<>{};
        }(),
        [&] {
          if constexpr (has_k)
            return one(std::get<k>(guards_.bulkheads).object);
          else
            return std::tuple<>{};
        }());
    return std::apply([](auto&... p) { return pipeline<std::remove_reference_t<decltype(p)>...>(p...); }, parts);
  }

  /// Returns the names of the breakers, in declaration order.
  [[nodiscard]] static constexpr const auto& breaker_names() noexcept { return breakers_t::names; }

  /// Calls `f(name, breaker)` for every breaker, in declaration order.
  template <class F>
  void for_each_breaker(F&& f) {
    for_each_breaker_impl(f, std::make_index_sequence<breakers_t::count>{});
  }

  [[nodiscard]] snapshot_type config() const { return config_.current(); }
  [[nodiscard]] config_type& config_store() noexcept { return config_; }
  [[nodiscard]] monitor_type& health() noexcept { return monitor_; }
  [[nodiscard]] shutdown_type& shutdown() noexcept { return shutdown_; }
  [[nodiscard]] drain_gate& gate() noexcept { return shutdown_.gate(); }
  /// Stopped when intake stops (after readiness off and the grace).
  [[nodiscard]] std::stop_token stop_token() const noexcept { return shutdown_.stop_token(); }
  [[nodiscard]] const logger_type& logger() const noexcept { return logger_; }
  [[nodiscard]] const tracer_type& tracer() const noexcept { return tracer_; }
  [[nodiscard]] const tracing_part_type& tracing() const noexcept { return tracing_; }
  /// Returns the Metrics policy every part reports through (with_metrics<M>; null_metrics by default). With a
  /// metrics_registry, `svc.metrics().expose(format)` is the body of a /metrics scrape.
  [[nodiscard]] metrics_type& metrics() noexcept { return metrics_; }
  /// Returns the optional part of type `P` (from with_parts<...>).
  template <class P>
  [[nodiscard]] P& part() noexcept {
    return std::get<P>(*extras_);
  }
  /// Reloads whenever `files` change (inotify; include <arbiter/config/watcher.hpp> first). `files` and
  /// `options` are a file_watcher's (a vector of paths, a watch_options). The watcher stops first of the parts'
  /// hooks, as "config watcher" (phase 10), so no reload runs while the service shuts down. A second call
  /// replaces the watcher.
  template <class WatcherClock = steady_clock, class Files, class Options>
  void watch_files(Files files, Options options) {
    auto watcher = std::make_shared<file_watcher<WatcherClock>>(
        std::move(files), [this] { return reload().ok(); }, options, WatcherClock{});
    const std::lock_guard lock(watcher_mutex_);
    if (!watcher_) {
      shutdown_.add_hook("config watcher", 10, [this] {
        const std::lock_guard stop_lock(watcher_mutex_);
        watcher_.reset();
      });
    }
    watcher_ = std::move(watcher);
  }

  /// Returns true once start() has finished.
  [[nodiscard]] bool started() const noexcept { return started_.load(std::memory_order_acquire); }

  // ---- reload ------------------------------------------------------------------------------------------------

  /// Reads every source again and hands the new values to the running parts (SIGHUP calls this). A rejected
  /// reload (an invalid source) changes nothing, and the config logs why once. A value that cannot change live
  /// is kept and listed in `needs_restart` (and logged once).
  service_reload reload() {
    std::vector<std::function<void(const service_reload&)>> subscribers;
    service_reload out;
    {
      const std::lock_guard lock(reload_mutex_);
      out = reload_locked();
      subscribers = reload_subscribers_;
    }
    for (const auto& fn : subscribers) fn(out);
    return out;
  }

  /// Calls `fn(result)` after every reload (SIGHUP or reload()), in the thread that reloaded and outside the
  /// reload lock: how a service learns what a SIGHUP changed, was refused, or waits for a restart.
  /// \throws std::invalid_argument for an empty function
  void on_reload(std::function<void(const service_reload&)> fn) {
    if (!fn) throw std::invalid_argument("orchestrator::on_reload: the function is empty");
    const std::lock_guard lock(reload_mutex_);
    reload_subscribers_.push_back(std::move(fn));
  }

 private:
  service_reload reload_locked() {
    service_reload out;
    out.config = config_.reload();
    for (const auto& pending : out.config.needs_restart) out.needs_restart.push_back(pending.path);
    if (!out.config.ok() || !out.config.applied) {
      trace_reload(out);
      return out;
    }
    const snapshot_type now = config_.current();
    std::vector<std::string> part_restart;
    apply_breakers(now, part_restart);
    apply_logger(now);
    for (const auto& path : out.config.changed) {
      if (!live_path(path)) part_restart.push_back(path);
    }
    for (const auto& path : part_restart) {
      if (std::find(out.needs_restart.begin(), out.needs_restart.end(), path) == out.needs_restart.end()) {
        out.needs_restart.push_back(path);
      }
    }
    if (!part_restart.empty()) {
      logger_.log(log_level::warn, "config change needs a restart of the part that reads it",
                  kv("paths", std::string_view(detail::join(part_restart, ", "))));
    }
    trace_reload(out);
    return out;
  }

  // ---- construction -----------------------------------------------------------------------------------------

  struct default_sources {};
  template <class... I, class... Src>
  orchestrator(default_sources /*tag*/, std::tuple<I...> parts, orchestrator_options options,
               with_sources<Src...> /*unused*/)
      : orchestrator(std::move(parts), options, Src{}...) {}

  template <class Tuple>
  static logger_type make_logger(Tuple& parts, const orchestrator_options& options) {
    if constexpr (std::is_same_v<logger_type, fmt_logger>) {
      // Warnings while loading (unknown keys) go out before the config says how to log.
      return fmt_logger(fmt_logger::options{.out = options.log_stream, .level = log_level::warn});
    } else {
      return detail::take_instance<logger_type>(parts);
    }
  }

  /// What the tracing part is built from, in place (a [[no_unique_address]] member is never built from a
  /// returned part, which would need a move): a metered_tracing_setup when it reports through the service's
  /// metrics, a tracing_setup, the tracing settings, or the Tracer instance.
  template <class Tuple>
  decltype(auto) tracing_argument(Tuple& parts, const otel_settings& settings, const orchestrator_options& options) {
    if constexpr (!is_null_metrics<metrics_type> &&
                  std::is_constructible_v<tracing_part_type, metered_tracing_setup<metrics_type>>) {
      return metered_tracing_setup<metrics_type>{tracing_setup{settings, options.span_stream}, metrics_};
    } else if constexpr (std::is_constructible_v<tracing_part_type, tracing_setup>) {
      return tracing_setup{settings, options.span_stream};
    } else if constexpr (TracingPart<tracing_part_type>) {
      return (settings);
    } else {
      return detail::take_instance<tracer_type>(parts);
    }
  }

  /// Each breaker's options: resilience.breakers.<name>.* over resilience.*, as the breaker wants them.
  template <class Snapshot>
  static breaker_options options_for(const Snapshot& s, std::string_view name, std::vector<config_issue>& issues) {
    const auto& r = s->resilience;
    breaker_settings own;
    if constexpr (breakers_t::count > 0) {
      if (const breaker_settings* b = r.breakers.find(name)) own = *b;
    }
    breaker_options o;
    o.failure_threshold = own.failure_threshold.value_or(r.failure_threshold);
    o.success_threshold = own.success_threshold.value_or(r.success_threshold);
    o.half_open_max_trials = o.success_threshold;  // enough trials in flight to close in one round
    o.open_duration = own.open_timeout.value_or(r.open_timeout);
    o.half_open_max_wait = o.open_duration;
    o.operation_timeout = own.operation_timeout.value_or(r.operation_timeout);
    o.slow_call_threshold = std::min(o.slow_call_threshold, o.operation_timeout);
    o.max_open_duration = std::max(o.max_open_duration, o.open_duration);
    const std::string where = detail::concat("resilience.breakers.", name);
    if (auto problem = check(o, where)) {
      issues.push_back(config_issue{issue_severity::error, where, problem->message});
    }
    return o;
  }

  /// Derives every part's settings from `s`; throws config_error listing every problem with its source.
  static detail::derived_settings derive(const snapshot_type& s, const orchestrator_options& options) {
    std::vector<config_issue> issues;
    detail::derived_settings out;
    for (const auto name : breakers_t::names) out.breakers.push_back(options_for(s, name, issues));

    out.health.mode = options.health;
    out.health.interval = s->health.check_interval;
    out.health.check_timeout = s->health.check_timeout;

    // One budget: a tenth (at most 1 s) for load balancers to notice readiness is off, at most half draining,
    // and the hooks keep the rest.
    const std::chrono::milliseconds deadline = s->shutdown.timeout;
    out.shutdown.deadline = deadline;
    out.shutdown.readiness_grace = std::min<std::chrono::milliseconds>(std::chrono::seconds(1), deadline / 10);
    out.shutdown.drain_timeout = deadline / 2;
    const auto origin_of = [&s](std::string_view path) {
      const value_origin* o = s.origin(path);
      return o ? detail::concat(" (from ", o->describe(), ")") : std::string();
    };
    try {
      out.shutdown.validate(detail::concat("shutdown.timeout", origin_of("shutdown.timeout")));
    } catch (const std::invalid_argument& error) {
      issues.push_back(config_issue{issue_severity::error, "shutdown.timeout", error.what()});
    }
    try {
      out.tracing = tracing_settings_from(s);
    } catch (const std::invalid_argument& error) {
      issues.push_back(config_issue{issue_severity::error, "observability", error.what()});
    }
    if (!issues.empty()) throw config_error(std::move(issues));
    return out;
  }

  template <class Tuple, std::size_t... I>
  typename breakers_t::objects make_breakers(Tuple& parts, std::index_sequence<I...> /*unused*/) {
    return typename breakers_t::objects(make_breaker<I>(parts)...);
  }

  template <std::size_t I, class Tuple>
  auto make_breaker(Tuple& parts) {
    using B = std::tuple_element_t<I, typename breakers_t::types>;
    return detail::breaker_constructor<B>{std::string(breakers_t::names[I]),
                                          settings_.breakers[I],
                                          detail::take_instance<typename B::clock_type>(parts),
                                          detail::take_instance<typename B::timing_type>(parts),
                                          detail::take_instance<typename B::classifier_type>(parts),
                                          logger_,
                                          tracing_.tracer(),
                                          metrics_};
  }

  template <class Tuple, std::size_t... I, std::size_t... J>
  monitor_type make_monitor(Tuple& parts, std::index_sequence<I...> breakers, std::index_sequence<J...> bulkheads) {
    return make_monitor_with(parts, checks_part{}, breakers, bulkheads);
  }
  template <class Tuple, class... C, std::size_t... I, std::size_t... J>
  monitor_type make_monitor_with(Tuple& parts, with_checks<C...> /*unused*/, std::index_sequence<I...> /*unused*/,
                                 std::index_sequence<J...> /*unused*/) {
    return monitor_type(settings_.health,
                        health_policies<clock_type, logger_type, tracer_type, worst_of_critical_capped, metrics_type>{
                            detail::take_instance<clock_type>(parts), logger_, tracer_, {}, metrics_},
                        detail::startup_check(started_),
                        typename breakers_t::template check<I>(std::get<I>(breakers_).breaker)...,
                        typename guards_t::template check<J>(std::get<J>(guards_.bulkheads).object)...,
                        detail::take_check<C>(parts, shutdown_.gate())...);
  }

  template <class Tuple>
  void wire(Tuple& parts) {
    apply_logger(config_.current());
    if constexpr (requires { logger_.set_name(std::string()); }) {
      logger_.set_name(config_.current()->observability.service_name);
    }
    gate_metric_ = metrics_.gauge_callback(metric_names::drain_in_flight, {},
                                           [this] { return static_cast<double>(shutdown_.gate().in_flight()); });
    // Readiness goes off before anything else stops.
    shutdown_.on_readiness_off("health", [this] { monitor_.set_accepting_traffic(false); });
    add_static_hooks(parts, hooks_part{});
    emplace_extras(extras_part{});
    shutdown_.add_hook("health monitor", 80, [this] { monitor_.stop(); });
    if constexpr (requires(const tracing_part_type& t) { t.shutdown_hook(); }) {
      // The flush ends the "shutdown" span first: spans that end after the tracer's shutdown would be lost.
      shutdown_.add_tracer_flush("tracing", 90, std::function<void(const hook_budget&)>(tracing_.shutdown_hook()));
    }
    shutdown_.on_reload([this] { (void)reload(); });
  }

  template <class Tuple, class... H>
  void add_static_hooks(Tuple& parts, with_hooks<H...> /*unused*/) {
    if constexpr (sizeof...(H) > 0) shutdown_.add_ordered_hooks(0, detail::take_instance<H>(parts)...);
  }

  template <class P>
  orchestrator& self_for() noexcept {
    return *this;
  }
  /// Builds the optional parts in place, each from the orchestrator: `P(orchestrator&)`.
  template <class... P>
  void emplace_extras(with_parts<P...> /*unused*/) {
    extras_.emplace(self_for<P>()...);
  }

  template <class P>
  static void start_part(P& part) {
    if constexpr (requires { part.start(); }) part.start();
  }

  template <class F, std::size_t... I>
  void for_each_breaker_impl(F& f, std::index_sequence<I...> /*unused*/) {
    (f(breakers_t::names[I], std::get<I>(breakers_).breaker), ...);
  }

  // ---- reload -----------------------------------------------------------------------------------------------

  void apply_breakers(const snapshot_type& now, std::vector<std::string>& restart) {
    std::vector<config_issue> issues;
    apply_breakers_impl(now, restart, issues, std::make_index_sequence<breakers_t::count>{});
    for (const auto& issue : issues) {
      logger_.log(log_level::error, "breaker kept its options", kv("path", std::string_view(issue.path)),
                  kv("problem", std::string_view(issue.message)));
    }
  }
  template <std::size_t... I>
  void apply_breakers_impl(const snapshot_type& now, std::vector<std::string>& restart,
                           std::vector<config_issue>& issues, std::index_sequence<I...> /*unused*/) {
    (
        [&] {
          const std::size_t before = issues.size();
          const breaker_options next = options_for(now, breakers_t::names[I], issues);
          if (issues.size() != before) return;
          const options_update update = std::get<I>(breakers_).breaker.update_options(next);
          for (const auto& field : update.needs_restart) {
            restart.push_back(detail::concat("resilience.breakers.", breakers_t::names[I], ".", field));
          }
        }(),
        ...);
  }

  void apply_logger(const snapshot_type& now) {
    if constexpr (requires { logger_.set_level(log_level::info); }) logger_.set_level(now->observability.log_level);
    if constexpr (requires { logger_.set_format(log_format::json); }) {
      logger_.set_format(now->observability.log_format == "json" ? log_format::json : log_format::logfmt);
    }
  }

  /// Paths whose new value the running parts take: the breakers' thresholds and the logger's level and format
  /// (a retry's or bulkhead's settings wait for a restart: they read their options on every call, unlocked).
  [[nodiscard]] static bool live_path(std::string_view path) noexcept {
    if (path.starts_with("resilience.retries.") || path.starts_with("resilience.bulkheads.")) return false;
    return path.starts_with("resilience.") || path == "observability.log_level" || path == "observability.log_format";
  }

  void trace_reload(const service_reload& r) {
    trace(tracer_, "config.reload", [&r](auto& span) {
      span.set_attribute("config.reload.applied", r.applied());
      span.set_attribute("config.reload.ok", r.ok());
      span.set_attribute("config.reload.changed", static_cast<std::int64_t>(r.config.changed.size()));
      span.set_attribute("config.reload.needs_restart", static_cast<std::int64_t>(r.needs_restart.size()));
      if (!r.ok()) span.set_status(span_status::error, "rejected: the running config is kept");
    });
  }

  orchestrator_options options_;
  [[no_unique_address]] metrics_type metrics_;
  [[no_unique_address]] logger_type logger_;
  config_type config_;
  detail::derived_settings settings_;
  [[no_unique_address]] tracing_part_type tracing_;
  [[no_unique_address]] tracer_type tracer_ = tracing_.tracer();
  typename breakers_t::objects breakers_;
  [[no_unique_address]] typename guards_t::objects guards_;  // retries and bulkheads (none: no bytes)
  std::atomic<bool> started_{false};
  shutdown_type shutdown_;
  monitor_type monitor_;
  std::optional<typename extras_of<extras_part>::type> extras_;
  std::mutex reload_mutex_;
  std::mutex watcher_mutex_;
  std::shared_ptr<void> watcher_;  // a file_watcher, when watch_files() was called (not on any hot path)
  std::vector<std::function<void(const service_reload&)>> reload_subscribers_;
  [[no_unique_address]] typename metrics_type::callback_type gate_metric_;  // last: it reads shutdown_
};

#if defined(ARBITER_PRECOMPILED)
// Compiled once, in the translation unit that includes arbiter/precompiled.hpp.
ARBITER_DETAIL_PRECOMPILED_CORE(ARBITER_DETAIL_EXTERN_TEMPLATE)
#endif

}  // namespace arbiter::inline v1
