#include <arbiter/clock/tsc_clock.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;

/// Ticks and steady time set by hand (what the test says the hardware reads).
struct manual_ticks {
  struct state {
    std::uint64_t ticks = 1'000'000;
    std::int64_t ns = 5'000'000'000;
  };
  state* s;
  [[nodiscard]] std::uint64_t ticks() const noexcept { return s->ticks; }
  [[nodiscard]] std::int64_t steady_ns() const noexcept { return s->ns; }
};

using timeline = arbiter::detail::tsc_timeline<manual_ticks>;
constexpr std::int64_t window = timeline::calibration_window;
constexpr std::int64_t interval = timeline::reanchor_interval;

/// Advances both by `ns` at 3 ticks a nanosecond (a 3 GHz counter).
void run(manual_ticks::state& s, std::int64_t ns) {
  s.ns += ns;
  s.ticks += static_cast<std::uint64_t>(3 * ns);
}

TEST(tsc_timeline, disabled_reads_steady_time) {
  manual_ticks::state s;
  timeline t(manual_ticks{&s}, false);
  EXPECT_EQ(t.now_ns(), s.ns);
  run(s, 12345);
  EXPECT_EQ(t.now_ns(), s.ns);
  EXPECT_FALSE(t.calibrated());
}

TEST(tsc_timeline, answers_from_steady_time_until_the_rate_is_measured) {
  manual_ticks::state s;
  timeline t(manual_ticks{&s}, true);
  run(s, window / 2);
  EXPECT_EQ(t.now_ns(), s.ns);
  EXPECT_FALSE(t.calibrated()) << "half the calibration window is too short to measure a rate";
  run(s, window / 2);
  EXPECT_EQ(t.now_ns(), s.ns);
  ASSERT_TRUE(t.calibrated());
  EXPECT_DOUBLE_EQ(t.ns_per_tick(), 1.0 / 3.0);

  // From now on only the counter is read: steady time standing still does not stop the clock.
  const std::int64_t calibrated_at = s.ns;
  s.ticks += 3000;
  EXPECT_EQ(t.now_ns(), calibrated_at + 1000);
  s.ticks += 3'000'000;
  EXPECT_EQ(t.now_ns(), calibrated_at + 1'001'000);
}

TEST(tsc_timeline, slews_back_onto_steady_time_without_a_jump) {
  manual_ticks::state s;
  timeline t(manual_ticks{&s}, true);
  run(s, window);
  (void)t.now_ns();
  ASSERT_TRUE(t.calibrated());
  const std::int64_t anchor = s.ns;

  // Steady time runs 100 ppm faster than the first rate said: after half a second the mapping is 50 us behind.
  s.ticks += static_cast<std::uint64_t>(3 * interval) + 3;
  s.ns += interval + interval / 10'000 + 1;
  // Past the interval: re-anchored, and answered from the new mapping, which continues the old one (50 us
  // behind steady time) so that readings on other threads stay in order; then it catches up.
  const std::int64_t behind = t.now_ns();
  EXPECT_NEAR(static_cast<double>(behind), static_cast<double>(anchor + interval + 1), 2.0);
  EXPECT_NEAR(static_cast<double>(s.ns - behind), 50'000.0, 2.0);
  const double rate = t.ns_per_tick();
  EXPECT_GT(rate, 1.0 / 3.0) << "the new rate runs faster to catch up";
  EXPECT_NEAR(static_cast<double>(t.now_ns()), static_cast<double>(anchor + interval + 1), 2.0);

  // One interval later at the true rate (steady time 100 ppm faster than the ticks said) the offset is gone.
  const double true_rate = static_cast<double>(s.ns - (anchor - window)) /
                           static_cast<double>(s.ticks - (1'000'000 + 0));  // from the first sample
  const auto step_ticks = static_cast<std::uint64_t>(static_cast<double>(interval) / true_rate) - 30;
  s.ticks += step_ticks;
  s.ns += static_cast<std::int64_t>(static_cast<double>(step_ticks) * true_rate);
  EXPECT_NEAR(static_cast<double>(t.now_ns()), static_cast<double>(s.ns), 20.0);
}

TEST(tsc_timeline, recalibrates_when_the_offset_is_too_large_to_slew) {
  manual_ticks::state s;
  timeline t(manual_ticks{&s}, true);
  run(s, window);
  (void)t.now_ns();
  ASSERT_TRUE(t.calibrated());

  // The machine slept: steady time moved 2 s further than the counter says.
  run(s, interval + 1);
  s.ns += 2'000'000'000;
  EXPECT_EQ(t.now_ns(), s.ns);
  EXPECT_FALSE(t.calibrated()) << "an offset of seconds is not drift: calibrate afresh";
  run(s, 1000);
  EXPECT_EQ(t.now_ns(), s.ns) << "steady time while calibrating";
  run(s, window);
  EXPECT_EQ(t.now_ns(), s.ns);
  ASSERT_TRUE(t.calibrated());
  EXPECT_DOUBLE_EQ(t.ns_per_tick(), 1.0 / 3.0) << "the jump is not in the new rate";
  s.ticks += 300;
  EXPECT_EQ(t.now_ns(), s.ns + 100);
}

TEST(tsc_timeline, a_counter_that_does_not_count_falls_back_to_steady_time) {
  manual_ticks::state s;
  timeline t(manual_ticks{&s}, true);
  s.ns += window;  // ticks stay put
  EXPECT_EQ(t.now_ns(), s.ns);
  EXPECT_FALSE(t.enabled());
  s.ns += 777;
  EXPECT_EQ(t.now_ns(), s.ns);
}

TEST(tsc_timeline, a_counter_that_goes_back_while_calibrating_is_measured_again) {
  manual_ticks::state s;
  timeline t(manual_ticks{&s}, true);
  s.ns += window;
  s.ticks -= 500;  // a reset
  EXPECT_EQ(t.now_ns(), s.ns);
  EXPECT_TRUE(t.enabled()) << "a counter that went back once is measured again, not given up";
  EXPECT_FALSE(t.calibrated());
  run(s, window);
  EXPECT_EQ(t.now_ns(), s.ns);
  ASSERT_TRUE(t.calibrated());
  EXPECT_DOUBLE_EQ(t.ns_per_tick(), 1.0 / 3.0);
}

TEST(tsc_timeline, a_huge_counter_jump_recalibrates_without_overflow) {
  manual_ticks::state s;
  timeline t(manual_ticks{&s}, true);
  run(s, window);
  (void)t.now_ns();
  ASSERT_TRUE(t.calibrated());
  s.ticks += std::uint64_t{1} << 58;  // UBSan (asan preset) would flag any conversion that overflows
  run(s, 10);
  EXPECT_EQ(t.now_ns(), s.ns);
  EXPECT_FALSE(t.calibrated()) << "measuring afresh";
  run(s, window);
  EXPECT_EQ(t.now_ns(), s.ns);
  ASSERT_TRUE(t.calibrated());
  EXPECT_DOUBLE_EQ(t.ns_per_tick(), 1.0 / 3.0);
}

TEST(tsc_timeline, a_long_idle_gap_is_answered_from_steady_time) {
  manual_ticks::state s;
  timeline t(manual_ticks{&s}, true);
  run(s, window);
  (void)t.now_ns();
  run(s, 3600LL * 1'000'000'000);  // an hour without a read
  EXPECT_EQ(t.now_ns(), s.ns);
  run(s, 10);
  EXPECT_NEAR(static_cast<double>(t.now_ns()), static_cast<double>(s.ns), 2.0);
}

/// Reads tsc_clock between two steady_clock reads; it must land inside the bracket, give or take `slack`.
void expect_bracketed(std::chrono::nanoseconds slack) {
  const arbiter::tsc_clock clock;
  const auto before = std::chrono::steady_clock::now();
  const auto reading = clock.now();
  const auto after = std::chrono::steady_clock::now();
  EXPECT_GE(reading, before - slack);
  EXPECT_LE(reading, after + slack);
}

TEST(tsc_clock, agrees_with_steady_clock_and_never_goes_back) {
  const arbiter::tsc_clock clock;
  // Generous slack for a loaded machine: the mapping is within microseconds, a wrong rate would be off by
  // milliseconds within the run.
  constexpr auto slack = 200us;
  expect_bracketed(slack);
  const auto end = std::chrono::steady_clock::now() + 1200ms;  // spans the calibration and two re-anchors
  auto last = clock.now();
  std::uint64_t reads = 0;
  while (std::chrono::steady_clock::now() < end) {
    const auto now = clock.now();
    ASSERT_GE(now, last);
    last = now;
    if (++reads % 4096 == 0) expect_bracketed(slack);
  }
  expect_bracketed(slack);
  EXPECT_GT(reads, 1000U);
}

TEST(tsc_clock, threads_read_concurrently_through_re_anchors) {
  constexpr int threads = 4;
  std::atomic<int> bad_order{0};
  std::atomic<int> out_of_bracket{0};
  {
    std::vector<std::jthread> readers;
    for (int i = 0; i < threads; ++i) {
      readers.emplace_back([&] {
        const arbiter::tsc_clock clock;
        const auto end = std::chrono::steady_clock::now() + 700ms;
        auto last = clock.now();
        while (true) {
          const auto before = std::chrono::steady_clock::now();
          if (before >= end) break;
          const auto now = clock.now();
          const auto after = std::chrono::steady_clock::now();
          if (now < last) bad_order.fetch_add(1);
          if (now < before - 200us || now > after + 200us) out_of_bracket.fetch_add(1);
          last = now;
        }
      });
    }
  }
  EXPECT_EQ(bad_order.load(), 0);
  EXPECT_EQ(out_of_bracket.load(), 0);
}

}  // namespace
