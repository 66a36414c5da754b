#include <arbiter/tracing/recording_tracer.hpp>
#include <arbiter/tracing/scoped_span.hpp>

#include <gtest/gtest.h>

#include <stdexcept>
#include <thread>
#include <vector>

namespace {

TEST(recording_tracer, records_name_attributes_events_status_and_times) {
  arbiter::recording_tracer tracer;
  {
    arbiter::scoped_span span(tracer, "load user", {.kind = arbiter::span_kind::client});
    span.set_attribute("user.id", 42)
        .set_attribute("user.name", "ada")
        .set_attribute("score", 0.5)
        .set_attribute("admin", true)
        .set_attribute("big", std::uint64_t{18446744073709551615ULL})
        .add_event("cache miss")
        .set_status(arbiter::span_status::ok);
    EXPECT_TRUE(span.is_recording());
  }
  ASSERT_EQ(tracer.size(), 1U);
  const auto span = tracer.finished().at(0);
  EXPECT_EQ(span.name, "load user");
  EXPECT_EQ(span.kind, arbiter::span_kind::client);
  EXPECT_EQ(span.attribute("user.id"), arbiter::attribute_value(std::int64_t{42}));
  EXPECT_EQ(span.attribute("user.name"), arbiter::attribute_value(std::string("ada")));
  EXPECT_EQ(span.attribute("score"), arbiter::attribute_value(0.5));
  EXPECT_EQ(span.attribute("admin"), arbiter::attribute_value(true));
  EXPECT_EQ(span.attribute("big"), arbiter::attribute_value(std::numeric_limits<std::int64_t>::max()))
      << "unsigned values above INT64_MAX saturate";
  ASSERT_NE(span.event("cache miss"), nullptr);
  EXPECT_EQ(span.status, arbiter::span_status::ok);
  EXPECT_TRUE(span.context.valid());
  EXPECT_TRUE(span.context.sampled());
  EXPECT_FALSE(span.parent_span_id.valid());
  EXPECT_LE(span.start_time, span.end_time);
}

TEST(recording_tracer, const_char_attribute_is_a_string_not_a_bool) {
  arbiter::recording_tracer tracer;
  auto span = tracer.start_span("s");
  span.set_attribute("method", "GET");
  span.end();
  EXPECT_EQ(tracer.last("s")->attribute("method"), arbiter::attribute_value(std::string("GET")));
}

TEST(recording_tracer, child_spans_share_the_trace_and_name_their_parent) {
  arbiter::recording_tracer tracer;
  auto parent = tracer.start_span("parent");
  auto child = tracer.start_span("child", {.parent = parent.context()});
  child.end();
  parent.end();
  const auto p = tracer.last("parent");
  const auto c = tracer.last("child");
  ASSERT_TRUE(p && c);
  EXPECT_EQ(c->context.trace_id, p->context.trace_id);
  EXPECT_EQ(c->parent_span_id, p->context.span_id);
  EXPECT_NE(c->context.span_id, p->context.span_id);
}

TEST(recording_tracer, end_is_idempotent_and_destruction_ends_once) {
  arbiter::recording_tracer tracer;
  {
    auto span = tracer.start_span("once");
    span.end();
    span.end();
    EXPECT_FALSE(span.is_recording());
    span.set_attribute("after", 1);  // ignored after end
  }
  { auto span = tracer.start_span("dropped"); }
  EXPECT_EQ(tracer.size(), 2U);
  EXPECT_FALSE(tracer.last("once")->attribute("after").has_value());
}

TEST(recording_tracer, moved_from_span_does_not_record_twice) {
  arbiter::recording_tracer tracer;
  auto a = tracer.start_span("a");
  auto b = std::move(a);
  b.end();
  a.end();  // NOLINT(bugprone-use-after-move): a moved-from span is inert by contract
  EXPECT_EQ(tracer.size(), 1U);
}

TEST(recording_tracer, exception_recorded_with_type_and_message) {
  arbiter::recording_tracer tracer;
  {
    arbiter::scoped_span span(tracer, "op");
    span.record_exception(std::out_of_range("index 7"));
    span.set_status(arbiter::span_status::error, "index 7");
  }
  const auto span = tracer.last("op");
  ASSERT_TRUE(span);
  const auto* event = span->event("exception");
  ASSERT_NE(event, nullptr);
  ASSERT_EQ(event->attributes.size(), 2U);
  EXPECT_EQ(event->attributes[0].first, "exception.type");
  EXPECT_EQ(event->attributes[0].second, arbiter::attribute_value(std::string("std::out_of_range")));
  EXPECT_EQ(event->attributes[1].second, arbiter::attribute_value(std::string("index 7")));
  EXPECT_EQ(span->status, arbiter::span_status::error);
  EXPECT_EQ(span->status_description, "index 7");
}

TEST(recording_tracer, many_threads_record_every_span) {
  arbiter::recording_tracer tracer;
  {
    std::vector<std::jthread> workers;
    for (int t = 0; t < 4; ++t) {
      workers.emplace_back([tracer] {
        for (int i = 0; i < 500; ++i) {
          arbiter::scoped_span span(tracer, "work");
          span.set_attribute("i", i);
        }
      });
    }
  }
  EXPECT_EQ(tracer.size(), 2000U);
}

}  // namespace
