#pragma once

/// \file
/// Moving trace context and baggage in and out of carriers: HTTP header maps, gRPC metadata, message headers.
///
/// A carrier you read from is a `text_map_reader`: either it has
///   void for_each_value(std::string_view key, F f) const   // calls f(std::string_view) for each value of `key`
/// or it is a range of key/value pairs convertible to std::string_view (std::map, std::unordered_map,
/// std::multimap, std::vector<std::pair<...>>); keys then match case-insensitively, as HTTP field names do.
/// A carrier you write to is a `text_map_writer`: either it has `set(std::string_view key, std::string_view value)`
/// or it is such a container of std::string pairs (an existing key is replaced).

#include <concepts>
#include <cstddef>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <arbiter/detail/ascii.hpp>
#include <arbiter/tracing/active_span.hpp>
#include <arbiter/tracing/baggage.hpp>
#include <arbiter/tracing/span_context.hpp>
#include <arbiter/tracing/trace_context.hpp>

namespace arbiter::inline v1 {

/// The header names W3C defines (lowercase, as HTTP/2 sends them).
inline constexpr std::string_view traceparent_header = "traceparent";
inline constexpr std::string_view tracestate_header = "tracestate";
inline constexpr std::string_view baggage_header = "baggage";

namespace detail {

struct value_sink {
  void operator()(std::string_view /*value*/) const noexcept {}
};

template <class C>
concept has_for_each_value = requires(const C& carrier, std::string_view key, value_sink f) {
  carrier.for_each_value(key, f);
};

template <class C>
concept pair_range = requires(const C& carrier) {
  carrier.begin();
  carrier.end();
  requires std::convertible_to<decltype(carrier.begin()->first), std::string_view>;
  requires std::convertible_to<decltype(carrier.begin()->second), std::string_view>;
};

template <class C>
concept has_set = requires(C& carrier, std::string_view key, std::string_view value) {
  carrier.set(key, value);
};

template <class C>
concept string_pair_container = pair_range<C> && requires(C& carrier) {
  carrier.erase(carrier.begin());
  requires std::same_as<std::remove_cvref_t<decltype(carrier.begin()->first)>, std::string>;
};

}  // namespace detail

/// A carrier trace context can be extracted from (see the file comment).
template <class C>
concept text_map_reader = detail::has_for_each_value<C> || detail::pair_range<C>;

/// A carrier trace context can be injected into (see the file comment).
template <class C>
concept text_map_writer = detail::has_set<C> || detail::string_pair_container<C>;

/// Calls `f(value)` for every value of `key` in `carrier`, in the carrier's order.
template <text_map_reader C, class F>
void for_each_carrier_value(const C& carrier, std::string_view key, F&& f) {
  if constexpr (detail::has_for_each_value<C>) {
    carrier.for_each_value(key, f);
  } else {
    for (const auto& [k, v] : carrier) {
      if (detail::iequals(std::string_view(k), key)) f(std::string_view(v));
    }
  }
}

/// Sets `key` to `value` in `carrier`, replacing what was there.
template <text_map_writer C>
void set_carrier_value(C& carrier, std::string_view key, std::string_view value) {
  if constexpr (detail::has_set<C>) {
    carrier.set(key, value);
  } else {
    for (auto it = carrier.begin(); it != carrier.end();) {
      if (detail::iequals(it->first, key)) {
        it = carrier.erase(it);
      } else {
        ++it;
      }
    }
    if constexpr (requires { carrier.emplace_back(std::string(key), std::string(value)); }) {
      carrier.emplace_back(std::string(key), std::string(value));
    } else {
      carrier.emplace(std::string(key), std::string(value));
    }
  }
}

/// What a request brought: its parent span's context (invalid when there was none or it was malformed)
/// and the parent's tracestate. `active_span_scope scope(remote)` makes both the thread's active span, so the
/// spans started below join the caller's trace and carry its tracestate.
struct remote_context {
  span_context context{};
  trace_state state{};
};

/// Reads `traceparent` and `tracestate` from `carrier`. Several `traceparent` values invalidate it (a new trace
/// starts); several `tracestate` values combine in order; `tracestate` is ignored when `traceparent` is invalid.
template <text_map_reader C>
[[nodiscard]] remote_context extract_trace_context(const C& carrier) {
  remote_context result;
  std::size_t parents = 0;
  std::string_view parent_text;
  for_each_carrier_value(carrier, traceparent_header, [&](std::string_view value) {
    ++parents;
    parent_text = value;
  });
  if (parents != 1) return result;
  const auto parent = parse_traceparent(parent_text);
  if (!parent) return result;
  result.context = *parent;
  std::vector<std::string_view> states;
  for_each_carrier_value(carrier, tracestate_header, [&](std::string_view value) { states.push_back(value); });
  if (!states.empty()) {
    if (auto state = trace_state::parse(states)) result.state = std::move(*state);
  }
  return result;
}

/// Writes `traceparent` (and `tracestate` when not empty) for `context` into `carrier`; an invalid context writes
/// nothing.
template <text_map_writer C>
void inject_trace_context(C& carrier, const span_context& context, const trace_state& state = {}) {
  if (!context.valid()) return;
  const auto parent = format_traceparent(context);
  set_carrier_value(carrier, traceparent_header, std::string_view(parent.data(), parent.size()));
  if (!state.empty()) set_carrier_value(carrier, tracestate_header, state.to_header());
}

/// Writes `traceparent` for `context` and `tracestate` as `trace_state` (header form, as a span's `trace_state()`
/// returns it; nothing when empty, or when it breaks the W3C grammar: valid_tracestate_header) into `carrier`; an
/// invalid context writes nothing.
template <text_map_writer C>
void inject_trace_context(C& carrier, const span_context& context, std::string_view trace_state) {
  if (!context.valid()) return;
  const auto parent = format_traceparent(context);
  set_carrier_value(carrier, traceparent_header, std::string_view(parent.data(), parent.size()));
  if (!trace_state.empty() && valid_tracestate_header(trace_state)) {
    set_carrier_value(carrier, tracestate_header, trace_state);
  }
}

/// Writes the thread's active span into `carrier`: its `traceparent` and its trace's `tracestate` (see
/// active_span.hpp), what an outgoing call inside trace() sends. Sampled-out spans included: their tracestate
/// is the active one. Nothing when no span is active.
template <text_map_writer C>
void inject_trace_context(C& carrier) {
  inject_trace_context(carrier, active_context(), active_trace_state());
}

/// Reads every `baggage` value of `carrier` into one set.
template <text_map_reader C>
[[nodiscard]] baggage extract_baggage(const C& carrier) {
  std::vector<std::string_view> values;
  for_each_carrier_value(carrier, baggage_header, [&](std::string_view value) { values.push_back(value); });
  return baggage::parse(values);
}

/// Writes `bag` as the `baggage` value of `carrier`; an empty set writes nothing.
template <text_map_writer C>
void inject_baggage(C& carrier, const baggage& bag) {
  if (!bag.empty()) set_carrier_value(carrier, baggage_header, bag.to_header());
}

}  // namespace arbiter::inline v1
