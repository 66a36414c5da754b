// The production tracer: samplers, the active-span scope, span model and limits.
#include <arbiter/clock/manual_clock.hpp>
#include <arbiter/tracing/active_span.hpp>
#include <arbiter/tracing/batch_processor.hpp>
#include <arbiter/tracing/exporter.hpp>
#include <arbiter/tracing/recording_tracer.hpp>
#include <arbiter/tracing/sampler.hpp>
#include <arbiter/tracing/sdk_tracer.hpp>
#include <arbiter/tracing/trace.hpp>

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using processor = arbiter::simple_processor<arbiter::in_memory_exporter>;

template <class S>
struct fixture {
  arbiter::in_memory_exporter exported;
  std::shared_ptr<processor> proc = std::make_shared<processor>(exported);
  arbiter::tracer<S, processor> tracer;
  explicit fixture(S sampler = {}, arbiter::span_limits limits = {}) : tracer(proc, std::move(sampler), limits) {}
};

TEST(attribute_view, arrays_view_their_elements_and_copy_into_values) {
  const std::array<std::string_view, 2> views{"a", "b"};
  const std::vector<double> doubles{0.5, 1.5};
  const std::array<bool, 3> bools{true, false, true};
  const std::array<std::int64_t, 1> ints{7};
  EXPECT_EQ(arbiter::attribute_view(views).type(), arbiter::attribute_type::string_array);
  EXPECT_EQ(arbiter::to_value(views), arbiter::attribute_value(std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(arbiter::to_value(doubles), arbiter::attribute_value(doubles));
  EXPECT_EQ(arbiter::to_value(bools), arbiter::attribute_value(std::vector<bool>{true, false, true}));
  EXPECT_EQ(arbiter::to_value(ints), arbiter::attribute_value(std::vector<std::int64_t>{7}));
  EXPECT_EQ(arbiter::attribute_view("text").type(), arbiter::attribute_type::string) << "a string is not an array";
  EXPECT_EQ(arbiter::attribute_view(std::string("s")).type(), arbiter::attribute_type::string);
  EXPECT_EQ(arbiter::attribute_view(3).as_string(), "") << "reading another type gives its empty value";
  arbiter::attribute_value slot = std::string("old");
  arbiter::assign_value(slot, 42);
  EXPECT_EQ(slot, arbiter::attribute_value(std::int64_t{42}));
  arbiter::assign_value(slot, "new");
  EXPECT_EQ(slot, arbiter::attribute_value(std::string("new")));
}

TEST(sampler, trace_id_ratio_decides_from_the_trace_id_alone) {
  const arbiter::trace_id_ratio half(0.5);
  const arbiter::trace_id low{0, 0x0000000000000001ULL};
  const arbiter::trace_id high{0, 0x00ffffffffffffffULL};
  EXPECT_TRUE(half.should_sample({}, low, "a", arbiter::span_kind::server));
  EXPECT_FALSE(half.should_sample({}, high, "b", arbiter::span_kind::client));
  const arbiter::trace_id_ratio same(0.5);
  int kept = 0;
  for (int i = 0; i < 20000; ++i) {
    const auto id = arbiter::trace_id::generate();
    const bool a = half.should_sample({}, id, "x", arbiter::span_kind::internal);
    EXPECT_EQ(a, same.should_sample({}, id, "y", arbiter::span_kind::server)) << "two services agree";
    kept += a ? 1 : 0;
  }
  EXPECT_GT(kept, 9000);
  EXPECT_LT(kept, 11000);
  EXPECT_FALSE(arbiter::trace_id_ratio(0.0).should_sample({}, low, "x", arbiter::span_kind::internal));
  EXPECT_TRUE(arbiter::trace_id_ratio(1.0).should_sample({}, high, "x", arbiter::span_kind::internal));
}

TEST(sampler, bad_ratio_is_an_error_naming_the_value) {
  try {
    arbiter::trace_id_ratio bad(1.5);
    FAIL() << "accepted 1.5";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("1.5"), std::string::npos) << e.what();
  }
  EXPECT_THROW(arbiter::trace_id_ratio(-0.1), std::invalid_argument);
}

TEST(sampler, parent_based_follows_the_parent_and_asks_its_root_otherwise) {
  const arbiter::parent_based<arbiter::always_off> sampler;
  const arbiter::span_context sampled_parent{arbiter::trace_id{1, 2}, arbiter::span_id{3}, 1, true};
  const arbiter::span_context unsampled_parent{arbiter::trace_id{1, 2}, arbiter::span_id{3}, 0, true};
  EXPECT_TRUE(sampler.should_sample(sampled_parent, sampled_parent.trace_id, "x", arbiter::span_kind::server));
  EXPECT_FALSE(arbiter::parent_based<arbiter::always_on>().should_sample(unsampled_parent, unsampled_parent.trace_id,
                                                                         "x", arbiter::span_kind::server));
  EXPECT_FALSE(sampler.should_sample({}, arbiter::trace_id{1, 2}, "root", arbiter::span_kind::server));
}

TEST(sampler, configured_sampler_matches_the_static_ones) {
  using kind = arbiter::configured_sampler::kind;
  const arbiter::span_context unsampled{arbiter::trace_id{1, 2}, arbiter::span_id{3}, 0, true};
  const arbiter::trace_id id{0, 5};
  EXPECT_TRUE(arbiter::configured_sampler().should_sample({}, id, "x", arbiter::span_kind::internal));
  EXPECT_FALSE(arbiter::configured_sampler().should_sample(unsampled, id, "x", arbiter::span_kind::internal));
  EXPECT_FALSE(arbiter::configured_sampler(kind::always_off).should_sample({}, id, "x", arbiter::span_kind::internal));
  EXPECT_TRUE(arbiter::configured_sampler(kind::always_on).should_sample(unsampled, id, "x", {}));
  EXPECT_FALSE(arbiter::configured_sampler(kind::parent_based_trace_id_ratio, 0.0).should_sample({}, id, "x", {}));
  EXPECT_THROW(arbiter::configured_sampler(kind::trace_id_ratio, 2.0), std::invalid_argument);
}

TEST(sdk_tracer, records_the_span_model) {
  fixture<arbiter::always_on> f;
  const arbiter::span_context other{arbiter::trace_id::generate(), arbiter::span_id::generate(), 1, true};
  const std::array<arbiter::span_context, 1> links{other};
  {
    auto span = f.tracer.start_span("GET /orders", {.kind = arbiter::span_kind::server, .links = links});
    EXPECT_TRUE(span.is_recording());
    EXPECT_TRUE(span.context().sampled());
    span.set_attribute("http.method", "GET");
    span.set_attribute("http.status_code", 200);
    span.set_attribute("ratio", 0.25);
    span.set_attribute("cached", false);
    span.set_attribute("tags", std::vector<std::string>{"a", "b"});
    span.set_attribute("ids", std::vector<std::int64_t>{1, 2, 3});
    span.set_attribute("http.status_code", 404);  // replaces, does not add
    span.add_event("retry", {arbiter::attr("attempt", 2)});
    span.record_exception(std::runtime_error("boom"));
    span.set_status(arbiter::span_status::error, "boom");
  }
  ASSERT_EQ(f.exported.size(), 1U);
  const auto s = f.exported.spans().at(0);
  EXPECT_EQ(s.name, "GET /orders");
  EXPECT_EQ(s.kind, arbiter::span_kind::server);
  EXPECT_EQ(s.attributes.size(), 6U);
  EXPECT_EQ(s.attribute("http.status_code"), arbiter::attribute_value(std::int64_t{404}));
  EXPECT_EQ(s.attribute("tags"), arbiter::attribute_value(std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(s.attribute("ids"), arbiter::attribute_value(std::vector<std::int64_t>{1, 2, 3}));
  const auto* retry = s.event("retry");
  ASSERT_NE(retry, nullptr);
  EXPECT_EQ(retry->attributes.at(0).second, arbiter::attribute_value(std::int64_t{2}));
  const auto* exception = s.event("exception");
  ASSERT_NE(exception, nullptr);
  EXPECT_EQ(exception->attributes.at(0).second, arbiter::attribute_value(std::string("std::runtime_error")));
  EXPECT_EQ(exception->attributes.at(1).second, arbiter::attribute_value(std::string("boom")));
  EXPECT_EQ(s.status, arbiter::span_status::error);
  EXPECT_EQ(s.status_description, "boom");
  ASSERT_EQ(s.links.size(), 1U);
  EXPECT_EQ(s.links[0].context.span_id, other.span_id);
  EXPECT_LE(s.start_time, s.end_time);
}

TEST(sdk_tracer, ok_status_is_final) {
  fixture<arbiter::always_on> f;
  {
    auto span = f.tracer.start_span("s");
    span.set_status(arbiter::span_status::ok, "ignored");
    span.set_status(arbiter::span_status::error, "too late");
  }
  EXPECT_EQ(f.exported.spans().at(0).status, arbiter::span_status::ok);
  EXPECT_EQ(f.exported.spans().at(0).status_description, "");
}

TEST(sdk_tracer, limits_drop_and_count) {
  fixture<arbiter::always_on> f({}, {.max_attributes = 2, .max_events = 1, .max_links = 1});
  {
    auto span = f.tracer.start_span("s");
    span.set_attribute("a", 1);
    span.set_attribute("b", 2);
    span.set_attribute("c", 3);
    span.set_attribute("a", 9);  // replacing an existing key is not over the limit
    span.add_event("e1");
    span.add_event("e2");
    span.add_event("e3");
    span.add_link({arbiter::trace_id{1, 1}, arbiter::span_id{1}, 0, false});
    span.add_link({arbiter::trace_id{1, 1}, arbiter::span_id{2}, 0, false});
  }
  const auto s = f.exported.spans().at(0);
  EXPECT_EQ(s.attributes.size(), 2U);
  EXPECT_EQ(s.attribute("a"), arbiter::attribute_value(std::int64_t{9}));
  EXPECT_EQ(s.dropped_attributes, 1U);
  EXPECT_EQ(s.events.size(), 1U);
  EXPECT_EQ(s.dropped_events, 2U);
  EXPECT_EQ(s.links.size(), 1U);
  EXPECT_EQ(s.dropped_links, 1U);
}

TEST(sdk_tracer, attributes_with_an_empty_key_are_dropped_and_counted) {
  fixture<arbiter::always_on> f({}, {.max_attributes_per_event = 1});
  {
    auto span = f.tracer.start_span("s");
    span.set_attribute("", 1);
    span.set_attribute("k", 2);
    span.set_attribute("", 3);
    span.add_event("e", {arbiter::attr("", 1), arbiter::attr("x", 2), arbiter::attr("y", 3)});
    span.add_link({arbiter::trace_id{1, 1}, arbiter::span_id{1}, 0, false}, {arbiter::attr("", true)});
  }
  const auto s = f.exported.spans().at(0);
  ASSERT_EQ(s.attributes.size(), 1U) << "an empty key is never stored: OTLP forbids it";
  EXPECT_EQ(s.attributes[0].first, "k");
  EXPECT_EQ(s.dropped_attributes, 2U);
  ASSERT_EQ(s.events.size(), 1U);
  EXPECT_EQ(s.events[0].attributes.size(), 1U);
  EXPECT_EQ(s.events[0].dropped_attributes, 2U) << "one empty key, one over the per-event limit";
  ASSERT_EQ(s.links.size(), 1U);
  EXPECT_TRUE(s.links[0].attributes.empty());
  EXPECT_EQ(s.links[0].dropped_attributes, 1U);
}

TEST(sdk_tracer, sampled_out_span_propagates_but_records_nothing) {
  fixture<arbiter::always_off> f;
  auto span = f.tracer.start_span("dropped");
  EXPECT_FALSE(span.is_recording());
  EXPECT_TRUE(span.context().valid()) << "it still has ids to propagate";
  EXPECT_FALSE(span.context().sampled());
  span.set_attribute("k", "v");
  span.add_event("e");
  span.end();
  EXPECT_EQ(f.exported.size(), 0U);
}

TEST(sdk_tracer, parent_based_keeps_or_drops_whole_traces) {
  fixture<arbiter::parent_based<arbiter::always_on>> f;
  const arbiter::span_context remote_unsampled{arbiter::trace_id::generate(), arbiter::span_id::generate(), 0, true};
  {
    auto child = f.tracer.start_span("child", {.parent = remote_unsampled});
    EXPECT_FALSE(child.is_recording());
    EXPECT_EQ(child.context().trace_id, remote_unsampled.trace_id);
    auto grandchild = f.tracer.start_span("grandchild", {.parent = child.context()});
    EXPECT_FALSE(grandchild.is_recording());
  }
  EXPECT_EQ(f.exported.size(), 0U);
}

TEST(sdk_tracer, span_times_come_from_the_clock_policy) {
  arbiter::manual_clock clock;
  arbiter::in_memory_exporter exported;
  auto proc = std::make_shared<processor>(exported);
  arbiter::tracer<arbiter::always_on, processor, arbiter::manual_clock> tracer(proc, {}, {}, clock);
  {
    auto span = tracer.start_span("timed");
    clock.advance(1500ms);
  }
  const auto s = exported.spans().at(0);
  EXPECT_EQ(s.end_time - s.start_time, std::chrono::system_clock::duration(1500ms));
}

TEST(active_span, children_find_their_parent_without_passing_it) {
  fixture<arbiter::always_on> f;
  std::function<void(int)> nested = [&](int depth) {
    if (depth == 0) return;
    arbiter::trace(f.tracer, "level", [&] { nested(depth - 1); });
  };
  arbiter::trace(f.tracer, "top", [&] { nested(2); });
  const auto spans = f.exported.spans();
  ASSERT_EQ(spans.size(), 3U);  // ended innermost first
  EXPECT_EQ(spans[0].parent_span_id, spans[1].context.span_id);
  EXPECT_EQ(spans[1].parent_span_id, spans[2].context.span_id);
  EXPECT_FALSE(spans[2].parent_span_id.valid());
  EXPECT_EQ(spans[0].context.trace_id, spans[2].context.trace_id);
  EXPECT_FALSE(arbiter::active_context().valid()) << "the scope was restored";
}

TEST(active_span, explicit_parent_and_root_override_the_active_span) {
  fixture<arbiter::always_on> f;
  const arbiter::span_context remote{arbiter::trace_id::generate(), arbiter::span_id::generate(), 1, true};
  {
    const arbiter::active_span_scope scope(remote);
    EXPECT_EQ(arbiter::active_context(), remote);
    auto child = f.tracer.start_span("child");
    EXPECT_EQ(child.context().trace_id, remote.trace_id);
    auto other = f.tracer.start_span("root", {.root = true});
    EXPECT_NE(other.context().trace_id, remote.trace_id);
    const arbiter::span_context explicit_parent{arbiter::trace_id::generate(), arbiter::span_id::generate(), 1, false};
    auto chosen = f.tracer.start_span("explicit", {.parent = explicit_parent});
    EXPECT_EQ(chosen.context().trace_id, explicit_parent.trace_id);
  }
  EXPECT_FALSE(arbiter::active_context().valid());
}

TEST(active_span, is_per_thread_and_works_for_the_recording_tracer) {
  arbiter::recording_tracer tracer;
  const arbiter::span_context remote{arbiter::trace_id::generate(), arbiter::span_id::generate(), 1, true};
  const arbiter::active_span_scope scope(remote);
  std::thread([&] {
    auto s = tracer.start_span("other thread");
    EXPECT_NE(s.context().trace_id, remote.trace_id);
  }).join();
  arbiter::trace(tracer, "outer", [&] { arbiter::trace(tracer, "inner", [] {}); });
  EXPECT_EQ(tracer.last("outer")->parent_span_id, remote.span_id);
  EXPECT_EQ(tracer.last("inner")->parent_span_id, tracer.last("outer")->context.span_id);
}

TEST(sdk_tracer, copies_share_the_processor_and_many_threads_export_every_span) {
  fixture<arbiter::always_on> f;
  {
    std::vector<std::jthread> workers;
    for (int t = 0; t < 4; ++t) {
      workers.emplace_back([tracer = f.tracer]() mutable {
        for (int i = 0; i < 300; ++i)
          arbiter::trace(
              tracer, "work", [] {}, arbiter::attr("i", i));
      });
    }
  }
  EXPECT_EQ(f.exported.size(), 1200U);
  EXPECT_EQ(f.proc->exported(), 1200U);
}

/// What a shutdown manager passes a hook (arbiter::hook_budget has the same member).
struct fake_budget {
  std::chrono::milliseconds time_left;
};

TEST(sdk_tracer, tracing_shutdown_hook_shuts_the_processor_down_within_the_budget) {
  using batch = arbiter::batch_processor<arbiter::in_memory_exporter>;
  arbiter::in_memory_exporter exported;
  arbiter::batch_options options;
  options.schedule_delay = 1h;  // only the shutdown exports
  auto p = std::make_shared<batch>(exported, options);
  arbiter::tracer<arbiter::always_on, batch> tracer(p);
  for (int i = 0; i < 3; ++i) auto span = tracer.start_span("queued");
  const auto hook = arbiter::tracing_shutdown_hook(tracer);
  EXPECT_NO_THROW(hook(fake_budget{5s})) << "nothing was lost";
  EXPECT_EQ(exported.size(), 3U);
  { auto late = tracer.start_span("late"); }
  EXPECT_EQ(p->stats().dropped_after_shutdown, 1U);

  fixture<arbiter::always_on> simple;  // a processor without stats or a timeout: plain shutdown()
  arbiter::tracing_shutdown_hook(simple.proc)(fake_budget{1s});
  { auto span = simple.tracer.start_span("after"); }
  EXPECT_EQ(simple.proc->dropped(), 1U);

  EXPECT_THROW((void)arbiter::tracing_shutdown_hook(std::shared_ptr<batch>{}), std::invalid_argument);
}

TEST(sdk_tracer, shutdown_processor_drops_and_counts) {
  fixture<arbiter::always_on> f;
  f.proc->shutdown();
  { auto span = f.tracer.start_span("late"); }
  EXPECT_EQ(f.exported.size(), 0U);
  EXPECT_EQ(f.proc->dropped(), 1U);
}

}  // namespace
