#include <arbiter/clock/manual_clock.hpp>
#include <arbiter/lifecycle/drain_gate.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;

TEST(drain_gate, counts_passes_and_refuses_once_closed) {
  arbiter::drain_gate gate;
  EXPECT_FALSE(gate.is_closed());
  {
    auto first = gate.enter();
    auto second = gate.enter();
    EXPECT_TRUE(first);
    EXPECT_TRUE(second);
    EXPECT_EQ(gate.in_flight(), 2U);
    gate.close();
    EXPECT_TRUE(gate.is_closed());
    auto refused = gate.enter();
    EXPECT_FALSE(refused);
    EXPECT_FALSE(gate.try_enter());
    EXPECT_EQ(gate.in_flight(), 2U) << "a refused entry leaves no trace";
    auto moved = std::move(first);
    EXPECT_FALSE(first);  // NOLINT(bugprone-use-after-move): checking the moved-from state on purpose
    EXPECT_EQ(gate.in_flight(), 2U);
    moved.release();
    EXPECT_EQ(gate.in_flight(), 1U);
  }
  EXPECT_EQ(gate.in_flight(), 0U);
}

TEST(drain_gate, drain_waits_for_the_last_pass_and_is_bounded_by_the_clock) {
  const arbiter::manual_clock clock;
  arbiter::drain_gate gate;
  auto pass = gate.enter();
  gate.close();
  std::atomic<bool> drained{false};
  std::atomic<bool> returned{false};
  const auto far = clock.now() + 10s;
  std::thread waiter([&] {
    drained = gate.wait_drained_until(clock, far, 1ms);
    returned = true;
  });
  std::this_thread::sleep_for(20ms);
  EXPECT_FALSE(returned.load()) << "one pass is still inside";
  pass.release();
  waiter.join();
  EXPECT_TRUE(drained.load());

  auto stuck = arbiter::drain_gate{};
  ASSERT_TRUE(stuck.try_enter());
  stuck.close();
  const auto limit = clock.now() + 5s;
  std::thread late([&] { drained = stuck.wait_drained_until(clock, limit, 1ms); });
  clock.advance(6s);
  late.join();
  EXPECT_FALSE(drained.load()) << "the deadline passed on the manual clock";
  EXPECT_EQ(stuck.in_flight(), 1U);
  stuck.leave();
}

TEST(drain_gate, stress_no_entry_after_close_and_drain_reaches_zero) {
  arbiter::drain_gate gate;
  constexpr int workers = 4;
  std::atomic<int> inside{0};
  std::atomic<int> admitted_after_close_seen{0};
  std::atomic<int> max_inside{0};
  std::atomic<bool> stop{false};
  std::atomic<bool> drained_flag{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < workers; ++t) {
    threads.emplace_back([&] {
      while (!stop.load(std::memory_order_relaxed)) {
        const bool closed_before = gate.is_closed();
        auto pass = gate.enter();
        if (!pass) continue;
        if (closed_before || drained_flag.load()) admitted_after_close_seen.fetch_add(1);
        const int now = inside.fetch_add(1) + 1;
        int seen = max_inside.load();
        while (now > seen && !max_inside.compare_exchange_weak(seen, now)) {
        }
        EXPECT_LE(static_cast<std::size_t>(now), static_cast<std::size_t>(workers));
        inside.fetch_sub(1);
      }
    });
  }
  std::this_thread::sleep_for(100ms);
  gate.close();
  const arbiter::steady_clock clock;
  const bool drained = gate.wait_drained_until(clock, clock.now() + 10s, 1ms);
  EXPECT_TRUE(drained);
  EXPECT_EQ(inside.load(), 0) << "drained means nobody is inside";
  drained_flag = true;
  std::this_thread::sleep_for(50ms);  // the workers keep knocking at the closed gate
  stop = true;
  for (auto& t : threads) t.join();
  EXPECT_EQ(admitted_after_close_seen.load(), 0) << "nobody gets in once the gate is seen closed";
  EXPECT_EQ(gate.in_flight(), 0U);
  EXPECT_GE(max_inside.load(), 1);
}

}  // namespace
