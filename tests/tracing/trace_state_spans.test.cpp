// W3C tracestate on spans: extracted from a request, attached to the span it starts, inherited by its children,
// exported as OTLP `traceState` (spans and links) and injected again on outgoing calls.
#include <arbiter/tracing/active_span.hpp>
#include <arbiter/tracing/batch_processor.hpp>
#include <arbiter/tracing/exporter.hpp>
#include <arbiter/tracing/null_tracer.hpp>
#include <arbiter/tracing/otlp_json.hpp>
#include <arbiter/tracing/propagation.hpp>
#include <arbiter/tracing/recording_tracer.hpp>
#include <arbiter/tracing/sampler.hpp>
#include <arbiter/tracing/sdk_tracer.hpp>
#include <arbiter/tracing/trace.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace {

using json = nlohmann::json;
using headers = std::map<std::string, std::string>;
using processor = arbiter::simple_processor<arbiter::in_memory_exporter>;

constexpr const char* incoming_parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
constexpr const char* incoming_unsampled = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00";
// Longer than the small-string buffer, so a copy is a real allocation and a dangling view would show.
constexpr const char* incoming_state = "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7,vendor@tenant=some-longer-value";

template <class S>
struct fixture {
  arbiter::in_memory_exporter exported;
  std::shared_ptr<processor> proc = std::make_shared<processor>(exported);
  arbiter::tracer<S, processor> tracer{proc};
};

/// The exported span named `name`.
const arbiter::span_data& span_named(const std::vector<arbiter::span_data>& spans, std::string_view name) {
  for (const auto& s : spans) {
    if (s.name == name) return s;
  }
  throw std::runtime_error("no span named " + std::string(name));
}

TEST(trace_state_spans, extract_start_child_inject_round_trip_keeps_the_tracestate) {
  fixture<arbiter::always_on> f;
  headers sent;
  {
    const headers received = {{"traceparent", incoming_parent}, {"tracestate", incoming_state}};
    const auto remote = arbiter::extract_trace_context(received);
    ASSERT_TRUE(remote.context.valid());
    const arbiter::active_span_scope scope(remote);
    EXPECT_EQ(arbiter::active_trace_state(), incoming_state);
    arbiter::trace(f.tracer, "server", [&](auto& server) {
      EXPECT_EQ(server.trace_state(), incoming_state);
      arbiter::trace(f.tracer, "client", [&](auto& client) {
        EXPECT_EQ(client.trace_state(), incoming_state);
        arbiter::inject_trace_context(sent);
        EXPECT_EQ(sent.at("traceparent"), arbiter::traceparent_string(client.context()));
      });
    });
  }
  EXPECT_TRUE(arbiter::active_trace_state().empty()) << "the scope restored the thread";
  EXPECT_EQ(sent.at("tracestate"), incoming_state);
  const auto spans = f.exported.spans();
  ASSERT_EQ(spans.size(), 2U);
  EXPECT_EQ(span_named(spans, "server").trace_state, incoming_state);
  EXPECT_EQ(span_named(spans, "client").trace_state, incoming_state);
  EXPECT_EQ(span_named(spans, "client").parent_span_id, span_named(spans, "server").context.span_id);

  // The next hop extracts what was sent: same trace, same tracestate.
  const auto next = arbiter::extract_trace_context(sent);
  EXPECT_EQ(next.context.trace_id, spans[0].context.trace_id);
  EXPECT_EQ(next.context.span_id, span_named(spans, "client").context.span_id);
  EXPECT_EQ(next.state.to_header(), incoming_state);
}

TEST(trace_state_spans, an_explicit_parent_passes_its_tracestate_through_span_options) {
  fixture<arbiter::always_on> f;
  const headers received = {{"traceparent", incoming_parent}, {"tracestate", incoming_state}};
  const auto remote = arbiter::extract_trace_context(received);
  const std::string state = remote.state.to_header();
  {
    auto server = f.tracer.start_span(
        "server", {.parent = remote.context, .kind = arbiter::span_kind::server, .trace_state = state});
    auto child = f.tracer.start_span("child", {.parent = server.context(), .trace_state = server.trace_state()});
    headers sent;
    arbiter::inject_trace_context(sent, child.context(), child.trace_state());
    EXPECT_EQ(sent.at("tracestate"), incoming_state);
    auto root = f.tracer.start_span("root", {.root = true});
    EXPECT_TRUE(root.trace_state().empty()) << "a new trace starts without one";
    auto orphan = f.tracer.start_span("orphan", {.trace_state = state});
    EXPECT_TRUE(orphan.trace_state().empty()) << "without a parent the option is ignored";
  }
  const auto spans = f.exported.spans();
  EXPECT_EQ(span_named(spans, "server").trace_state, incoming_state);
  EXPECT_EQ(span_named(spans, "child").trace_state, incoming_state);
  EXPECT_TRUE(span_named(spans, "root").trace_state.empty());
  EXPECT_TRUE(span_named(spans, "orphan").trace_state.empty());
}

TEST(trace_state_spans, a_scope_of_the_same_trace_keeps_the_tracestate_and_another_trace_drops_it) {
  fixture<arbiter::always_on> f;
  const headers received = {{"traceparent", incoming_parent}, {"tracestate", incoming_state}};
  const arbiter::active_span_scope scope(arbiter::extract_trace_context(received));
  auto child = f.tracer.start_span("child");
  {
    const arbiter::active_span_scope same_trace(child.context());
    EXPECT_EQ(arbiter::active_trace_state(), incoming_state);
    auto grandchild = f.tracer.start_span("grandchild");
    EXPECT_EQ(grandchild.trace_state(), incoming_state);
    auto other = f.tracer.start_span("other", {.root = true});
    const arbiter::active_span_scope other_trace(other.context());
    EXPECT_TRUE(arbiter::active_trace_state().empty());
    auto other_child = f.tracer.start_span("other child");
    EXPECT_TRUE(other_child.trace_state().empty());
  }
  EXPECT_EQ(arbiter::active_trace_state(), incoming_state) << "restored when the inner scopes ended";
}

TEST(trace_state_spans, a_sampled_out_trace_still_injects_the_tracestate) {
  fixture<arbiter::parent_based<arbiter::always_on>> f;
  headers sent;
  {
    const headers received = {{"traceparent", incoming_unsampled}, {"tracestate", incoming_state}};
    const arbiter::active_span_scope scope(arbiter::extract_trace_context(received));
    arbiter::trace(f.tracer, "server", [&](auto& server) {
      EXPECT_FALSE(server.is_recording());
      EXPECT_TRUE(server.trace_state().empty()) << "a sampled-out span keeps no string";
      arbiter::inject_trace_context(sent);
    });
  }
  EXPECT_EQ(f.exported.size(), 0U);
  EXPECT_EQ(sent.at("traceparent").substr(53), "00") << "not sampled downstream either";
  EXPECT_EQ(sent.at("tracestate"), incoming_state) << "W3C: tracestate is propagated whatever the sampling";
}

TEST(trace_state_spans, an_invalid_tracestate_is_dropped_and_the_trace_continues_without_it) {
  fixture<arbiter::always_on> f;
  headers sent;
  {
    const headers received = {{"traceparent", incoming_parent}, {"tracestate", "ok=1,UPPER=2"}};
    const auto remote = arbiter::extract_trace_context(received);
    EXPECT_TRUE(remote.context.valid()) << "the traceparent stays valid";
    const arbiter::active_span_scope scope(remote);
    EXPECT_TRUE(arbiter::active_trace_state().empty());
    arbiter::trace(f.tracer, "server", [&] { arbiter::inject_trace_context(sent); });
  }
  EXPECT_EQ(sent.count("tracestate"), 0U);
  EXPECT_EQ(sent.count("traceparent"), 1U);
  ASSERT_EQ(f.exported.size(), 1U);
  EXPECT_TRUE(f.exported.spans()[0].trace_state.empty());
  EXPECT_EQ(
      json::parse(arbiter::otlp_json(f.exported.spans(), {}))["resourceSpans"][0]["scopeSpans"][0]["spans"][0].count(
          "traceState"),
      0U);
}

// A tracestate given as text (not extracted) that breaks the grammar, here one that would split an HTTP header, is
// dropped at every entry point: an explicit parent's, a scope's, a link's and inject's. The valid one next to it
// passes each of them, so each check can fail.
TEST(trace_state_spans, a_malformed_tracestate_given_as_text_is_dropped_at_every_entry_point) {
  const arbiter::span_context parent{arbiter::trace_id{7, 8}, arbiter::span_id{9}, 1, true};
  for (const std::string_view bad : {"a=1\r\nX-Injected: yes", "a=1,a=2", "UPPER=1", "a=caf\xc3\xa9"}) {
    SCOPED_TRACE(std::string(bad));
    fixture<arbiter::always_on> f;
    headers sent;
    {
      auto span = f.tracer.start_span("explicit", {.parent = parent, .trace_state = bad});
      EXPECT_TRUE(span.trace_state().empty());
      span.add_link(parent, bad, {});
      span.add_link(parent, "ok=1", {});
      arbiter::inject_trace_context(sent, span.context(), bad);
      EXPECT_EQ(sent.count("tracestate"), 0U);
      arbiter::inject_trace_context(sent, span.context(), "ok=1");
      EXPECT_EQ(sent.at("tracestate"), "ok=1");
    }
    {
      const arbiter::active_span_scope scope(parent, bad);
      EXPECT_TRUE(arbiter::active_trace_state().empty());
      headers from_scope;
      arbiter::inject_trace_context(from_scope);
      EXPECT_EQ(from_scope.count("tracestate"), 0U);
      EXPECT_EQ(from_scope.count("traceparent"), 1U) << "the trace goes on without its tracestate";
    }
    {
      const arbiter::active_span_scope scope(parent, "ok=1");
      EXPECT_EQ(arbiter::active_trace_state(), "ok=1");
    }
    ASSERT_EQ(f.exported.size(), 1U);
    const auto spans = f.exported.spans();  // a copy
    const auto& s = spans[0];
    EXPECT_TRUE(s.trace_state.empty());
    ASSERT_EQ(s.links.size(), 2U);
    EXPECT_TRUE(s.links[0].trace_state.empty());
    EXPECT_EQ(s.links[1].trace_state, "ok=1");
  }
  arbiter::recording_tracer recorder;
  { auto span = recorder.start_span("explicit", {.parent = parent, .trace_state = "a=1\nb=2"}); }
  EXPECT_TRUE(recorder.finished().at(0).trace_state.empty());
}

template <class S>
concept has_trace_state = requires(const S& span) {
  span.trace_state();
};
static_assert(has_trace_state<arbiter::scoped_span<arbiter::recording_tracer>>);
static_assert(!has_trace_state<arbiter::scoped_span<arbiter::null_tracer>>,
              "scoped_span offers trace_state() only for spans that keep one");

TEST(trace_state_spans, no_active_span_injects_nothing) {
  headers sent;
  arbiter::inject_trace_context(sent);
  EXPECT_TRUE(sent.empty());
}

TEST(trace_state_spans, links_carry_their_tracestate) {
  fixture<arbiter::always_on> f;
  const arbiter::span_context other{arbiter::trace_id{1, 2}, arbiter::span_id{3}, 1, true};
  {
    auto span = f.tracer.start_span("linked");
    span.add_link(other, "rojo=00f067aa0ba902b7", {arbiter::attr("why", "fan-in")});
    span.add_link(other);
    span.add_link(other, {});
  }
  const auto s = f.exported.spans().at(0);
  ASSERT_EQ(s.links.size(), 3U);
  EXPECT_EQ(s.links[0].trace_state, "rojo=00f067aa0ba902b7");
  EXPECT_EQ(s.links[0].attributes.size(), 1U);
  EXPECT_TRUE(s.links[1].trace_state.empty());
  EXPECT_TRUE(s.links[2].trace_state.empty());
}

TEST(trace_state_spans, exported_span_and_link_carry_trace_state_in_the_otlp_json) {
  arbiter::span_data s;
  s.name = "with state";
  s.context = {arbiter::trace_id{0x0af7651916cd43ddULL, 0x8448eb211c80319cULL}, arbiter::span_id{0xb7ad6b7169203331ULL},
               arbiter::trace_flags::sampled, false};
  s.trace_state = "congo=t61rcWkgMzE,a\"b=c\\d";  // quotes and backslashes must be escaped
  s.links.push_back({{arbiter::trace_id{1, 2}, arbiter::span_id{3}, 1, true}, {}, 0, "rojo=00f067aa0ba902b7"});
  s.links.push_back({{arbiter::trace_id{1, 2}, arbiter::span_id{4}, 1, true}, {}, 0, ""});
  arbiter::span_data plain;
  plain.name = "without state";
  plain.context = {arbiter::trace_id{5, 6}, arbiter::span_id{7}, 1, false};
  const std::vector<arbiter::span_data> spans{s, plain};
  const json body = json::parse(arbiter::otlp_json(spans, {}));
  const json& out = body["resourceSpans"][0]["scopeSpans"][0]["spans"];
  ASSERT_EQ(out.size(), 2U);
  EXPECT_EQ(out[0]["traceState"], "congo=t61rcWkgMzE,a\"b=c\\d");
  ASSERT_EQ(out[0]["links"].size(), 2U);
  EXPECT_EQ(out[0]["links"][0]["traceState"], "rojo=00f067aa0ba902b7");
  EXPECT_EQ(out[0]["links"][1].count("traceState"), 0U) << "an empty tracestate writes nothing";
  EXPECT_EQ(out[1].count("traceState"), 0U) << "an empty tracestate writes nothing";
}

TEST(trace_state_spans, a_recycled_record_does_not_keep_the_previous_tracestate) {
  arbiter::in_memory_exporter exported;
  using batch = arbiter::batch_processor<arbiter::in_memory_exporter>;
  auto proc = std::make_shared<batch>(exported);
  const arbiter::tracer<arbiter::always_on, batch> tracer(proc);
  const headers received = {{"traceparent", incoming_parent}, {"tracestate", incoming_state}};
  // A record recycled at a flush holds what the batch before it exported (the worker swaps records with its
  // batch): rounds with, with, without, without, ... give spans without a tracestate records that had one.
  for (int round = 0; round < 8; ++round) {
    if ((round / 2) % 2 == 0) {
      const arbiter::active_span_scope scope(arbiter::extract_trace_context(received));
      for (int i = 0; i < 75; ++i) tracer.start_span("with").end();
    } else {
      for (int i = 0; i < 75; ++i) tracer.start_span("without").end();
    }
    ASSERT_TRUE(proc->force_flush(std::chrono::seconds(10)));
  }
  const auto spans = exported.spans();
  ASSERT_EQ(spans.size(), 600U);
  for (const auto& s : spans) {
    if (s.name == "with") {
      EXPECT_EQ(s.trace_state, incoming_state);
    } else {
      EXPECT_TRUE(s.trace_state.empty()) << "a recycled record kept " << s.trace_state;
    }
  }
}

TEST(trace_state_spans, the_recording_tracer_models_the_same_inheritance) {
  arbiter::recording_tracer tracer;
  const headers received = {{"traceparent", incoming_parent}, {"tracestate", incoming_state}};
  {
    const arbiter::active_span_scope scope(arbiter::extract_trace_context(received));
    arbiter::trace(tracer, "outer", [&](auto& outer) {
      EXPECT_EQ(outer.trace_state(), incoming_state);
      arbiter::trace(tracer, "inner", [] {});
    });
    auto explicit_child =
        tracer.start_span("explicit", {.parent = tracer.last("outer")->context, .trace_state = "x=1"});
  }
  auto root = tracer.start_span("root");
  root.end();
  EXPECT_EQ(tracer.last("outer")->trace_state, incoming_state);
  EXPECT_EQ(tracer.last("inner")->trace_state, incoming_state);
  EXPECT_EQ(tracer.last("explicit")->trace_state, "x=1");
  EXPECT_TRUE(tracer.last("root")->trace_state.empty());
}

}  // namespace
