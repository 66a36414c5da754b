#include <arbiter/health/heartbeat_check.hpp>

#include <arbiter/clock/manual_clock.hpp>
#include <arbiter/health/health_monitor.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using arbiter::health_status;
using check = arbiter::heartbeat_check<"intake:loop", arbiter::manual_clock>;

static_assert(arbiter::HealthCheck<check>);
static_assert(check::name == "intake:loop");
static_assert(arbiter::probe_set(check::probes) == arbiter::probe_set(arbiter::probe::liveness),
              "a heartbeat is a liveness check unless told otherwise");

TEST(heartbeat_check, passes_while_the_loop_beats_and_fails_once_it_is_quiet_too_long) {
  const arbiter::manual_clock clock;
  arbiter::heartbeat<arbiter::manual_clock> beat(clock);
  const check c(beat, 2000ms);

  clock.advance(1500ms);
  auto r = c();
  EXPECT_EQ(r.status, health_status::healthy);
  ASSERT_TRUE(r.observed_value.has_value());
  EXPECT_EQ(*r.observed_value, 1500.0);
  EXPECT_EQ(r.observed_unit, "ms");

  beat.beat();
  clock.advance(2000ms);
  EXPECT_EQ(c().status, health_status::healthy) << "exactly the limit is still alive";
  clock.advance(1ms);
  r = c();
  EXPECT_EQ(r.status, health_status::unhealthy);
  EXPECT_EQ(r.message, "no beat for 2001 ms (the limit is 2000 ms)");

  beat.beat();
  EXPECT_EQ(c().status, health_status::healthy) << "a beat brings it back";
}

TEST(heartbeat_check, a_loop_stopped_on_purpose_passes_and_a_later_beat_watches_again) {
  const arbiter::manual_clock clock;
  arbiter::heartbeat<arbiter::manual_clock> beat(clock);
  const check c(beat, 100ms);
  beat.stop();
  clock.advance(10s);
  const auto r = c();
  EXPECT_EQ(r.status, health_status::healthy);
  EXPECT_EQ(r.message, "stopped on purpose");
  beat.beat();
  clock.advance(101ms);
  EXPECT_EQ(c().status, health_status::unhealthy);
}

TEST(heartbeat_check, without_a_heartbeat_it_fails_saying_so) {
  const check c{};
  const auto r = c();
  EXPECT_EQ(r.status, health_status::unhealthy);
  EXPECT_NE(r.message.find("no heartbeat"), std::string::npos) << r.message;
}

TEST(heartbeat_check, a_monitor_sees_a_stuck_loop_in_liveness_only) {
  // The heartbeat's time is a manual clock (a real one would fail the first probe on a machine that stalls
  // this thread for 50 ms); the monitor is real and runs the check on its own thread at every probe.
  const arbiter::manual_clock clock;
  arbiter::heartbeat<arbiter::manual_clock> beat(clock);
  arbiter::health_monitor<check> monitor({.mode = arbiter::health_mode::on_demand}, check(beat, 50ms));
  EXPECT_TRUE(monitor.is_live());
  clock.advance(60ms);
  EXPECT_FALSE(monitor.is_live());
  EXPECT_TRUE(monitor.is_ready()) << "readiness does not hold the check";
  beat.beat();
  EXPECT_TRUE(monitor.is_live());
}

TEST(heartbeat_check, beats_from_one_thread_while_others_check) {
  arbiter::heartbeat<> beat;
  const arbiter::heartbeat_check<"intake:loop"> c(beat, 10s);
  std::atomic<bool> done{false};
  std::atomic<int> unhealthy{0};
  std::vector<std::jthread> threads;
  threads.emplace_back([&] {
    for (int i = 0; i < 20000; ++i) beat.beat();
    done = true;
  });
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&] {
      while (!done) {
        if (c().status != health_status::healthy) ++unhealthy;
      }
    });
  }
  threads.clear();
  EXPECT_EQ(unhealthy, 0) << "a loop beating all the time is never quiet for 10 s";
}

}  // namespace
