#include <arbiter/tracing/null_tracer.hpp>
#include <arbiter/tracing/recording_tracer.hpp>
#include <arbiter/tracing/trace.hpp>

#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>

namespace {

TEST(trace, returns_the_result_and_sets_attributes) {
  arbiter::recording_tracer tracer;
  const int result = arbiter::trace(
      tracer, "add", [] { return 2 + 3; }, arbiter::attr("a", 2), arbiter::attr("op", "+"));
  EXPECT_EQ(result, 5);
  const auto span = tracer.last("add");
  ASSERT_TRUE(span);
  EXPECT_EQ(span->attribute("a"), arbiter::attribute_value(std::int64_t{2}));
  EXPECT_EQ(span->attribute("op"), arbiter::attribute_value(std::string("+")));
  EXPECT_EQ(span->status, arbiter::span_status::unset);
}

TEST(trace, records_an_exception_as_error_and_rethrows_it_unchanged) {
  arbiter::recording_tracer tracer;
  EXPECT_THROW(arbiter::trace(tracer, "fail", []() -> int { throw std::invalid_argument("bad id"); }),
               std::invalid_argument);
  const auto span = tracer.last("fail");
  ASSERT_TRUE(span);
  EXPECT_EQ(span->status, arbiter::span_status::error);
  EXPECT_EQ(span->status_description, "bad id");
  ASSERT_NE(span->event("exception"), nullptr);
}

TEST(trace, non_std_exception_is_recorded_too) {
  arbiter::recording_tracer tracer;
  EXPECT_THROW(arbiter::trace(tracer, "odd", [] { throw 42; }), int);
  EXPECT_EQ(tracer.last("odd")->status_description, "unknown exception");
}

TEST(trace, callable_may_take_the_span_and_return_move_only_results) {
  arbiter::recording_tracer tracer;
  auto ptr = arbiter::trace(tracer, "make", [](auto& span) {
    span.add_event("allocating");
    return std::make_unique<int>(7);
  });
  ASSERT_TRUE(ptr);
  EXPECT_EQ(*ptr, 7);
  EXPECT_NE(tracer.last("make")->event("allocating"), nullptr);
}

TEST(trace, void_callables_and_references_pass_through) {
  arbiter::recording_tracer tracer;
  int value = 0;
  arbiter::trace(tracer, "set", [&] { value = 9; });
  EXPECT_EQ(value, 9);
  int& ref = arbiter::trace(tracer, "ref", [&]() -> int& { return value; });
  EXPECT_EQ(&ref, &value);
}

TEST(trace, null_tracer_runs_the_callable_and_propagates_exceptions) {
  arbiter::null_tracer tracer;
  EXPECT_EQ(arbiter::trace(
                tracer, "x", [] { return 11; }, arbiter::attr("k", 1)),
            11);
  EXPECT_THROW(arbiter::trace(tracer, "x", [] { throw std::runtime_error("boom"); }), std::runtime_error);
  EXPECT_EQ(arbiter::trace(tracer, "x", [](auto& span) { return span.is_recording(); }), false);
}

TEST(trace, nested_spans_link_through_the_parent_context) {
  arbiter::recording_tracer tracer;
  arbiter::trace(tracer, "outer",
                 [&](auto& outer) { arbiter::scoped_span inner(tracer, "inner", {.parent = outer.context()}); });
  EXPECT_EQ(tracer.last("inner")->parent_span_id, tracer.last("outer")->context.span_id);
}

}  // namespace
