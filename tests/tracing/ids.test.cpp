#include <arbiter/tracing/ids.hpp>
#include <arbiter/tracing/span_context.hpp>

#include <gtest/gtest.h>

#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace {

TEST(ids, generated_ids_are_valid_and_distinct) {
  std::set<std::pair<std::uint64_t, std::uint64_t>> traces;
  std::set<std::uint64_t> spans;
  for (int i = 0; i < 10000; ++i) {
    const auto t = arbiter::trace_id::generate();
    const auto s = arbiter::span_id::generate();
    ASSERT_TRUE(t.valid());
    ASSERT_TRUE(s.valid());
    traces.emplace(t.high, t.low);
    spans.insert(s.value);
  }
  EXPECT_EQ(traces.size(), 10000U);
  EXPECT_EQ(spans.size(), 10000U);
}

TEST(ids, threads_do_not_share_a_stream) {
  std::mutex mutex;
  std::set<std::uint64_t> all;
  {
    std::vector<std::jthread> workers;
    for (int t = 0; t < 4; ++t) {
      workers.emplace_back([&] {
        std::vector<std::uint64_t> mine;
        for (int i = 0; i < 2000; ++i) mine.push_back(arbiter::span_id::generate().value);
        const std::lock_guard lock(mutex);
        all.insert(mine.begin(), mine.end());
      });
    }
  }
  EXPECT_EQ(all.size(), 8000U);
}

TEST(ids, hex_round_trip) {
  const auto t = arbiter::trace_id{0x0af7651916cd43ddULL, 0x8448eb211c80319cULL};
  EXPECT_EQ(t.to_string(), "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(arbiter::trace_id::from_hex("0af7651916cd43dd8448eb211c80319c"), t);
  const auto s = arbiter::span_id{0xb7ad6b7169203331ULL};
  EXPECT_EQ(s.to_string(), "b7ad6b7169203331");
  EXPECT_EQ(arbiter::span_id::from_hex("b7ad6b7169203331"), s);
  EXPECT_EQ(t.bytes()[0], 0x0a);
  EXPECT_EQ(t.bytes()[15], 0x9c);
}

TEST(ids, malformed_hex_is_rejected) {
  EXPECT_EQ(arbiter::trace_id::from_hex("00000000000000000000000000000000"), std::nullopt) << "all zero";
  EXPECT_EQ(arbiter::trace_id::from_hex("0AF7651916CD43DD8448EB211C80319C"), std::nullopt) << "uppercase";
  EXPECT_EQ(arbiter::trace_id::from_hex("0af7651916cd43dd8448eb211c80319"), std::nullopt) << "short";
  EXPECT_EQ(arbiter::trace_id::from_hex("0af7651916cd43dd8448eb211c80319g"), std::nullopt) << "non-hex";
  EXPECT_EQ(arbiter::span_id::from_hex("0000000000000000"), std::nullopt);
  EXPECT_EQ(arbiter::span_id::from_hex("b7ad6b716920333"), std::nullopt);
  EXPECT_EQ(arbiter::span_id::from_hex("b7ad6b71692033-1"), std::nullopt);
}

TEST(span_context, validity_and_sampled_flag) {
  arbiter::span_context ctx;
  EXPECT_FALSE(ctx.valid());
  ctx.trace_id = arbiter::trace_id::generate();
  EXPECT_FALSE(ctx.valid()) << "a span id is needed too";
  ctx.span_id = arbiter::span_id::generate();
  EXPECT_TRUE(ctx.valid());
  EXPECT_FALSE(ctx.sampled());
  ctx.flags = arbiter::trace_flags::sampled;
  EXPECT_TRUE(ctx.sampled());
}

}  // namespace
