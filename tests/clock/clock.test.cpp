#include <arbiter/clock.hpp>

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;

TEST(manual_clock, advances_only_by_hand_and_copies_share_time) {
  const arbiter::manual_clock clock;
  const arbiter::manual_clock copy = clock;
  const auto start = clock.now();
  EXPECT_EQ(clock.now(), start);
  clock.advance(250ms);
  EXPECT_EQ(copy.now() - start, 250ms);
  copy.advance(-1s);
  EXPECT_EQ(clock.now() - start, 250ms) << "a monotonic clock never goes back";
  clock.set(start);
  EXPECT_EQ(clock.now() - start, 250ms);
  clock.set(start + 2s);
  EXPECT_EQ(clock.now() - start, 2s);
  EXPECT_GT(start.time_since_epoch(), 0s);
}

TEST(manual_clock, concurrent_advances_are_not_lost) {
  const arbiter::manual_clock clock;
  const auto start = clock.now();
  {
    std::vector<std::jthread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([clock] {
        for (int i = 0; i < 1000; ++i) clock.advance(1ns);
      });
    }
  }
  EXPECT_EQ(clock.now() - start, 4000ns);
}

TEST(steady_and_coarse_clock, share_one_monotonic_time_line) {
  const arbiter::steady_clock steady;
  const arbiter::coarse_clock coarse;
  const auto a = steady.now();
  const auto b = coarse.now();
  const auto c = steady.now();
  const auto tick = arbiter::coarse_clock::resolution();
  EXPECT_GT(tick, 0ns);
  EXPECT_LE(tick, 100ms);
  // The coarse reading never runs ahead of the fine clock, and lags it by little: the kernel updates it at
  // every tick, later on an idle tickless machine, so allow far more than one tick.
  EXPECT_LE(b, c);
  EXPECT_LT(a - b, 50ms);
  auto last = coarse.now();
  for (int i = 0; i < 1000; ++i) {
    const auto now = coarse.now();
    EXPECT_GE(now, last);
    last = now;
  }
}

}  // namespace
