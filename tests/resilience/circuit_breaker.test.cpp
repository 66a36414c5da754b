// The breaker's state machine with the consecutive-failures detector, driven by a manual clock: every
// transition, forced states, stale outcomes, the execute() forms, hooks, logs, traces, export and restore.
#include <arbiter/resilience/circuit_breaker.hpp>

#include <arbiter/clock/coarse_clock.hpp>
#include <arbiter/clock/manual_clock.hpp>
#include <arbiter/logging/recording_logger.hpp>
#include <arbiter/tracing/recording_tracer.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <variant>
#include <vector>

namespace {

using namespace std::chrono_literals;
using arbiter::breaker_options;
using arbiter::breaker_state;
using arbiter::outcome;
using arbiter::rejection_reason;
using arbiter::transition_reason;

template <class Sync>
using test_breaker = arbiter::circuit_breaker<Sync, arbiter::manual_clock, arbiter::counting_stats,
                                              arbiter::recording_logger, arbiter::recording_tracer>;

/// A breaker plus the handles a test drives and inspects.
template <class Sync>
struct rig {
  arbiter::manual_clock clock;
  arbiter::recording_logger logger;
  arbiter::recording_tracer tracer;
  std::vector<arbiter::state_change> changes;
  test_breaker<Sync> breaker;

  explicit rig(const breaker_options& options = {}) : breaker("payments", options, clock, logger, tracer) {
    breaker.on_state_change([this](const arbiter::state_change& c) { changes.push_back(c); });
  }

  /// Makes one call through the low-level protocol; returns false when rejected.
  bool call(outcome o) {
    auto p = breaker.try_acquire();
    if (!p) return false;
    breaker.record(p, o);
    return true;
  }
  void fail(int times) {
    for (int i = 0; i < times; ++i) call(outcome::failure);
  }
  void succeed(int times) {
    for (int i = 0; i < times; ++i) call(outcome::success);
  }
};

template <class Sync>
class circuit_breaker_test : public ::testing::Test {};
using syncs = ::testing::Types<arbiter::lock_free, arbiter::single_thread>;
TYPED_TEST_SUITE(circuit_breaker_test, syncs);

TYPED_TEST(circuit_breaker_test, OpensAfterFiveFailuresInARow) {
  rig<TypeParam> r;
  r.fail(4);
  EXPECT_EQ(r.breaker.state(), breaker_state::closed);
  EXPECT_EQ(r.breaker.export_state().consecutive_failures, 4u);
  r.fail(1);
  EXPECT_EQ(r.breaker.state(), breaker_state::open);
  ASSERT_EQ(r.changes.size(), 1u);
  EXPECT_EQ(r.changes[0].from, breaker_state::closed);
  EXPECT_EQ(r.changes[0].to, breaker_state::open);
  EXPECT_EQ(r.changes[0].reason, transition_reason::failure_threshold);
  EXPECT_EQ(r.changes[0].sequence, 1u);
}

TYPED_TEST(circuit_breaker_test, SuccessResetsTheConsecutiveCount) {
  rig<TypeParam> r;
  r.fail(4);
  r.succeed(1);
  EXPECT_EQ(r.breaker.export_state().consecutive_failures, 0u);
  r.fail(4);
  EXPECT_EQ(r.breaker.state(), breaker_state::closed);
  r.fail(1);
  EXPECT_EQ(r.breaker.state(), breaker_state::open);
}

TYPED_TEST(circuit_breaker_test, OpenRejectsUntilTheOpenDurationPasses) {
  rig<TypeParam> r;
  r.fail(5);
  auto p = r.breaker.try_acquire();
  ASSERT_FALSE(p.admitted());
  EXPECT_EQ(p.why().reason, rejection_reason::open);
  EXPECT_EQ(p.why().state, breaker_state::open);
  EXPECT_EQ(p.why().retry_after, 5000ms);
  r.clock.advance(4999ms);
  p = r.breaker.try_acquire();
  ASSERT_FALSE(p.admitted());
  EXPECT_EQ(p.why().retry_after, 1ms);
  r.clock.advance(1ms);
  p = r.breaker.try_acquire();
  ASSERT_TRUE(p.admitted());
  EXPECT_TRUE(p.is_trial());
  EXPECT_EQ(r.breaker.state(), breaker_state::half_open);
  EXPECT_EQ(r.changes.back().reason, transition_reason::open_elapsed);
  r.breaker.record(p, outcome::ignored);
}

TYPED_TEST(circuit_breaker_test, TwoTrialSuccessesClose) {
  rig<TypeParam> r;
  r.fail(5);
  r.clock.advance(5s);
  r.succeed(1);
  EXPECT_EQ(r.breaker.state(), breaker_state::half_open);
  EXPECT_EQ(r.breaker.export_state().half_open_successes, 1u);
  r.succeed(1);
  EXPECT_EQ(r.breaker.state(), breaker_state::closed);
  EXPECT_EQ(r.changes.back().reason, transition_reason::trials_succeeded);
  // A closed breaker starts counting afresh.
  r.fail(4);
  EXPECT_EQ(r.breaker.state(), breaker_state::closed);
}

TYPED_TEST(circuit_breaker_test, AFailedTrialReopens) {
  rig<TypeParam> r;
  r.fail(5);
  r.clock.advance(5s);
  r.succeed(1);
  r.fail(1);
  EXPECT_EQ(r.breaker.state(), breaker_state::open);
  EXPECT_EQ(r.changes.back().from, breaker_state::half_open);
  EXPECT_EQ(r.changes.back().reason, transition_reason::trial_failed);
  EXPECT_EQ(r.breaker.try_acquire().why().retry_after, 5000ms);
}

TYPED_TEST(circuit_breaker_test, HalfOpenAdmitsAtMostTheTrialLimit) {
  rig<TypeParam> r({.success_threshold = 3, .half_open_max_trials = 2});
  r.fail(5);
  r.clock.advance(5s);
  auto first = r.breaker.try_acquire();
  auto second = r.breaker.try_acquire();
  auto third = r.breaker.try_acquire();
  EXPECT_TRUE(first.is_trial());
  EXPECT_TRUE(second.is_trial());
  ASSERT_FALSE(third.admitted());
  EXPECT_EQ(third.why().reason, rejection_reason::half_open_full);
  EXPECT_EQ(third.why().state, breaker_state::half_open);
  r.breaker.record(first, outcome::success);  // gives its permit back
  auto fourth = r.breaker.try_acquire();
  EXPECT_TRUE(fourth.is_trial());
  r.breaker.record(second, outcome::success);
  r.breaker.record(fourth, outcome::success);
  EXPECT_EQ(r.breaker.state(), breaker_state::closed);
}

TYPED_TEST(circuit_breaker_test, ASilentTrialGivesItsPermitBackAfterTheMaximumWait) {
  rig<TypeParam> r({.half_open_max_trials = 1, .half_open_max_wait = 2000ms});
  r.fail(5);
  r.clock.advance(5s);
  auto lost = r.breaker.try_acquire();  // never reports back in time
  ASSERT_TRUE(lost.is_trial());
  r.clock.advance(1999ms);
  EXPECT_EQ(r.breaker.try_acquire().why().reason, rejection_reason::half_open_full);
  r.clock.advance(1ms);
  auto fresh = r.breaker.try_acquire();
  ASSERT_TRUE(fresh.is_trial());
  // The lost trial's late report belongs to a reclaimed round: it neither closes nor reopens.
  r.breaker.record(lost, outcome::failure);
  EXPECT_EQ(r.breaker.state(), breaker_state::half_open);
  r.breaker.record(fresh, outcome::success);
  r.succeed(1);
  EXPECT_EQ(r.breaker.state(), breaker_state::closed);
}

// Each silent trial's permit comes back half_open_max_wait after that trial took it, not after the newest one;
// reclaiming it leaves the other trials alone.
TYPED_TEST(circuit_breaker_test, EachSilentTrialIsTimedFromItsOwnPermit) {
  rig<TypeParam> r({.success_threshold = 2, .half_open_max_trials = 2, .half_open_max_wait = 2000ms});
  r.fail(5);
  r.clock.advance(5s);
  auto first = r.breaker.try_acquire();  // at 0 s, never reports in time
  ASSERT_TRUE(first.is_trial());
  r.clock.advance(1500ms);
  auto second = r.breaker.try_acquire();  // at 1.5 s
  ASSERT_TRUE(second.is_trial());
  r.clock.advance(500ms);
  auto third = r.breaker.try_acquire();  // at 2 s: the first permit is 2 s old and comes back
  ASSERT_TRUE(third.admitted());
  EXPECT_TRUE(third.is_trial());
  auto fourth = r.breaker.try_acquire();  // the second permit is only 0.5 s old
  ASSERT_FALSE(fourth.admitted());
  EXPECT_EQ(fourth.why().reason, rejection_reason::half_open_full);
  EXPECT_EQ(fourth.why().retry_after, 1500ms);
  r.breaker.record(first, outcome::failure);  // reclaimed: stale, it neither reopens nor frees a permit
  EXPECT_EQ(r.breaker.state(), breaker_state::half_open);
  EXPECT_FALSE(r.breaker.try_acquire().admitted());
  r.breaker.record(second, outcome::success);  // still live: counts
  EXPECT_EQ(r.breaker.export_state().half_open_successes, 1u);
  r.breaker.record(third, outcome::success);
  EXPECT_EQ(r.breaker.state(), breaker_state::closed);
}

TYPED_TEST(circuit_breaker_test, ATrialThatThrowsReleasesItsPermitAndReopens) {
  rig<TypeParam> r({.half_open_max_trials = 1});
  r.fail(5);
  r.clock.advance(5s);
  EXPECT_THROW(r.breaker.execute([]() -> int { throw std::runtime_error("down"); }), std::runtime_error);
  EXPECT_EQ(r.breaker.state(), breaker_state::open);
  r.clock.advance(5s);
  EXPECT_EQ(r.breaker.execute([] { return 7; }), 7);  // a permit is free again
}

TYPED_TEST(circuit_breaker_test, OpenDurationGrowsAfterRepeatedReopensUpToTheCap) {
  rig<TypeParam> r({.open_duration = 1000ms, .open_backoff_multiplier = 2.0, .max_open_duration = 5000ms});
  r.fail(5);
  EXPECT_EQ(r.breaker.try_acquire().why().retry_after, 1000ms);
  const std::vector<std::chrono::milliseconds> expected{2000ms, 4000ms, 5000ms, 5000ms};
  std::chrono::milliseconds wait = 1000ms;
  for (const auto next : expected) {
    r.clock.advance(wait);
    r.fail(1);  // the trial fails
    EXPECT_EQ(r.breaker.try_acquire().why().retry_after, next);
    wait = next;
  }
  EXPECT_EQ(r.breaker.export_state().reopen_count, 4u);
  r.clock.advance(wait);
  r.succeed(2);
  EXPECT_EQ(r.breaker.state(), breaker_state::closed);
  r.fail(5);  // after closing, the backoff starts over
  EXPECT_EQ(r.breaker.try_acquire().why().retry_after, 1000ms);
}

TYPED_TEST(circuit_breaker_test, ForcedOpenRejectsAndIgnoresOutcomesUntilReset) {
  rig<TypeParam> r;
  auto before = r.breaker.try_acquire();
  r.breaker.force_open();
  EXPECT_EQ(r.breaker.state(), breaker_state::forced_open);
  r.breaker.record(before, outcome::force_close);  // a result cannot move a forced breaker
  r.breaker.record(before, outcome::success);
  EXPECT_EQ(r.breaker.state(), breaker_state::forced_open);
  auto p = r.breaker.try_acquire();
  EXPECT_EQ(p.why().reason, rejection_reason::forced_open);
  r.clock.advance(1h);
  EXPECT_EQ(r.breaker.state(), breaker_state::forced_open);
  r.breaker.reset();
  EXPECT_EQ(r.breaker.state(), breaker_state::closed);
  EXPECT_EQ(r.changes.back().reason, transition_reason::reset);
}

TYPED_TEST(circuit_breaker_test, DisabledAdmitsEverythingAndIgnoresOutcomes) {
  rig<TypeParam> r;
  r.breaker.disable();
  r.fail(100);
  EXPECT_EQ(r.breaker.state(), breaker_state::disabled);
  r.call(outcome::force_open);
  EXPECT_EQ(r.breaker.state(), breaker_state::disabled);
  EXPECT_EQ(r.breaker.stats().failures, 101u);  // a forcing result counts as a failure
  r.breaker.reset();
  r.fail(4);
  EXPECT_EQ(r.breaker.state(), breaker_state::closed);
}

TYPED_TEST(circuit_breaker_test, OutcomesFromBeforeATransitionAreStale) {
  rig<TypeParam> r;
  std::vector<typename test_breaker<TypeParam>::permit> early;
  for (int i = 0; i < 5; ++i) early.push_back(r.breaker.try_acquire());
  r.fail(5);  // opens
  r.clock.advance(5s);
  r.succeed(2);  // half-open, then closed again
  ASSERT_EQ(r.breaker.state(), breaker_state::closed);
  for (auto& p : early) r.breaker.record(p, outcome::failure);  // from the earlier closed period: stale
  EXPECT_EQ(r.breaker.state(), breaker_state::closed);
  EXPECT_EQ(r.breaker.export_state().consecutive_failures, 0u);
}

TYPED_TEST(circuit_breaker_test, AResultCanForceATransition) {
  rig<TypeParam> r;
  EXPECT_EQ(r.breaker.execute([] { return outcome::force_open; }), outcome::force_open);
  EXPECT_EQ(r.breaker.state(), breaker_state::open);
  EXPECT_EQ(r.changes.back().reason, transition_reason::result_forced_open);
  r.clock.advance(5s);
  r.call(outcome::force_close);
  EXPECT_EQ(r.breaker.state(), breaker_state::closed);
  EXPECT_EQ(r.changes.back().reason, transition_reason::result_forced_close);
}

// A forcing result goes through the same stale-outcome check as any other outcome.
TYPED_TEST(circuit_breaker_test, AStaleForceCloseDoesNotCloseAnOpenBreaker) {
  rig<TypeParam> r;
  auto early = r.breaker.try_acquire();  // admitted while closed
  r.fail(5);
  ASSERT_EQ(r.breaker.state(), breaker_state::open);
  r.breaker.record(early, outcome::force_close);
  EXPECT_EQ(r.breaker.state(), breaker_state::open);
  r.clock.advance(5s);
  auto trial = r.breaker.try_acquire();
  ASSERT_TRUE(trial.is_trial());
  auto early_again = r.breaker.try_acquire();  // the second trial permit
  r.breaker.record(early, outcome::force_close);
  EXPECT_EQ(r.breaker.state(), breaker_state::half_open);
  r.breaker.record(trial, outcome::ignored);
  r.breaker.record(early_again, outcome::ignored);
}

TYPED_TEST(circuit_breaker_test, AStaleForceOpenDoesNotReopenANewClosedPeriod) {
  rig<TypeParam> r;
  auto early = r.breaker.try_acquire();
  r.fail(5);
  r.breaker.reset();
  ASSERT_EQ(r.breaker.state(), breaker_state::closed);
  r.breaker.record(early, outcome::force_open);
  EXPECT_EQ(r.breaker.state(), breaker_state::closed);
  // A stale force_close does not clear the new period's count either.
  auto stale = r.breaker.try_acquire();
  r.fail(5);
  r.breaker.reset();
  r.fail(4);
  r.breaker.record(stale, outcome::force_close);
  r.fail(1);
  EXPECT_EQ(r.breaker.state(), breaker_state::open);
}

TYPED_TEST(circuit_breaker_test, AForceCloseResultWhileClosedForgetsTheCount) {
  rig<TypeParam> r;
  r.fail(4);
  r.call(outcome::force_close);
  r.fail(4);
  EXPECT_EQ(r.breaker.state(), breaker_state::closed);
}

TYPED_TEST(circuit_breaker_test, ResetForgetsTheStatistics) {
  rig<TypeParam> r;
  r.succeed(3);
  r.call(outcome::ignored);
  r.fail(5);
  r.call(outcome::success);  // rejected
  r.breaker.reset();
  const auto s = r.breaker.stats();
  EXPECT_EQ(s.calls, 0u);
  EXPECT_EQ(s.successes, 0u);
  EXPECT_EQ(s.failures, 0u);
  EXPECT_EQ(s.ignored, 0u);
  EXPECT_EQ(s.rejections, 0u);
  EXPECT_DOUBLE_EQ(s.failure_rate, 0.0);
  EXPECT_EQ(s.transitions, 2u);  // transitions count since construction
  r.fail(1);
  EXPECT_EQ(r.breaker.stats().failures, 1u);
}

// Why a breaker is where it is: the reason of the last transition is read with the state.
TYPED_TEST(circuit_breaker_test, TheReasonOfTheLastTransitionIsReadWithTheState) {
  rig<TypeParam> r;
  auto status = r.breaker.status();
  EXPECT_EQ(status.state, breaker_state::closed);
  EXPECT_FALSE(status.reason.has_value());
  EXPECT_EQ(status.sequence, 0u);
  r.fail(5);
  status = r.breaker.status();
  EXPECT_EQ(status.state, breaker_state::open);
  EXPECT_EQ(status.reason, transition_reason::failure_threshold);
  EXPECT_EQ(status.sequence, 1u);
  r.clock.advance(5s);
  r.succeed(1);
  EXPECT_EQ(r.breaker.status().reason, transition_reason::open_elapsed);
  r.call(outcome::force_open);
  EXPECT_EQ(r.breaker.status().reason, transition_reason::result_forced_open);
  r.breaker.force_open();
  EXPECT_EQ(r.breaker.status().state, breaker_state::forced_open);
  EXPECT_EQ(r.breaker.status().reason, transition_reason::forced_open);
  r.breaker.reset();
  status = r.breaker.status();
  EXPECT_EQ(status.state, breaker_state::closed);
  EXPECT_EQ(status.reason, transition_reason::reset);
  EXPECT_EQ(status.sequence, 5u);
  EXPECT_EQ(r.breaker.export_state().reason, transition_reason::reset);
}

TYPED_TEST(circuit_breaker_test, ResetWhileClosedForgetsTheCount) {
  rig<TypeParam> r;
  r.fail(4);
  r.breaker.reset();
  EXPECT_TRUE(r.changes.empty());  // no transition: it was closed already
  r.fail(4);
  EXPECT_EQ(r.breaker.state(), breaker_state::closed);
}

TYPED_TEST(circuit_breaker_test, ExecuteThrowsCircuitOpenWithTheReason) {
  rig<TypeParam> r;
  r.breaker.force_open();
  try {
    (void)r.breaker.execute([] { return 1; });
    FAIL() << "a forced-open breaker ran the call";
  } catch (const arbiter::circuit_open& e) {
    EXPECT_EQ(e.why().reason, rejection_reason::forced_open);
    EXPECT_STREQ(e.what(), "circuit breaker 'payments' rejected the call: forced_open");
  }
  EXPECT_EQ(r.breaker.stats().rejections, 1u);
}

TYPED_TEST(circuit_breaker_test, FallbackIsToldWhy) {
  rig<TypeParam> r;
  r.fail(5);
  r.clock.advance(2s);
  int calls = 0;
  const auto result = r.breaker.execute(
      [&] {
        ++calls;
        return std::string("live");
      },
      [](const arbiter::rejection& why) {
        return std::string(to_string(why.reason)) + " " +
               std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(why.retry_after).count());
      });
  EXPECT_EQ(result, "open 3000");
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(r.breaker.execute([] { return 1; }, [] { return -1; }), -1);
  r.breaker.execute([] {}, [](const arbiter::rejection&) {});
}

TYPED_TEST(circuit_breaker_test, TryExecuteReportsRejectionAsAnErrorResult) {
  rig<TypeParam> r;
  auto ok = r.breaker.try_execute([] { return 5; });
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(*ok, 5);
  r.breaker.force_open();
  auto rejected = r.breaker.try_execute([] { return 5; });
  ASSERT_FALSE(rejected);
  EXPECT_EQ(rejected.error().reason, rejection_reason::forced_open);
  EXPECT_EQ(rejected.value_or(9), 9);
  auto void_rejected = r.breaker.try_execute([] {});
  EXPECT_FALSE(void_rejected.has_value());
}

TYPED_TEST(circuit_breaker_test, ResultsOfEveryShapeAreClassified) {
  rig<TypeParam> r;
  // An error code fails, a cancellation is neutral, zero succeeds.
  for (int i = 0; i < 4; ++i) (void)r.breaker.execute([] { return std::make_error_code(std::errc::io_error); });
  (void)r.breaker.execute([] { return std::make_error_code(std::errc::operation_canceled); });
  EXPECT_EQ(r.breaker.export_state().consecutive_failures, 4u);
  // An expected-like result without a value fails.
  (void)r.breaker.execute([] { return arbiter::breaker_result<int>(arbiter::rejection{}); });
  EXPECT_EQ(r.breaker.state(), breaker_state::open);
  const auto s = r.breaker.stats();
  EXPECT_EQ(s.failures, 5u);
  EXPECT_EQ(s.ignored, 1u);
  EXPECT_EQ(s.calls, 6u);
}

TYPED_TEST(circuit_breaker_test, ValuesReferencesAndMoveOnlyResultsPassThrough) {
  rig<TypeParam> r;
  int target = 1;
  int& ref = r.breaker.execute([&]() -> int& { return target; });
  EXPECT_EQ(&ref, &target);
  auto owned = r.breaker.execute([] { return std::make_unique<int>(42); });
  EXPECT_EQ(*owned, 42);
  int side = 0;
  r.breaker.execute([&] { side = 3; });
  EXPECT_EQ(side, 3);
  EXPECT_EQ(r.breaker.stats().successes, 3u);
}

TYPED_TEST(circuit_breaker_test, EveryTransitionIsLoggedAndTracedWithItsReason) {
  rig<TypeParam> r;
  r.fail(5);
  r.clock.advance(5s);
  r.succeed(2);
  EXPECT_EQ(r.logger.count("circuit breaker state changed"), 3u);
  const auto records = r.logger.records();
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].level, arbiter::log_level::warn);
  EXPECT_EQ(records[0].field("breaker"), "payments");
  EXPECT_EQ(records[0].field("from"), "closed");
  EXPECT_EQ(records[0].field("to"), "open");
  EXPECT_EQ(records[0].field("reason"), "failure_threshold");
  EXPECT_EQ(records[2].field("reason"), "trials_succeeded");
  EXPECT_EQ(records[2].level, arbiter::log_level::info);
  const auto spans = r.tracer.finished();
  ASSERT_EQ(spans.size(), 3u);
  EXPECT_EQ(spans[1].name, "circuit_breaker.transition");
  EXPECT_EQ(spans[1].attribute("breaker.to"), arbiter::attribute_value(std::string("half_open")));
  EXPECT_EQ(spans[1].attribute("breaker.reason"), arbiter::attribute_value(std::string("open_elapsed")));
}

TYPED_TEST(circuit_breaker_test, StatisticsAddUp) {
  rig<TypeParam> r;
  r.succeed(3);
  r.call(outcome::ignored);
  r.fail(5);
  r.call(outcome::success);  // rejected
  const auto s = r.breaker.stats();
  EXPECT_EQ(s.state, breaker_state::open);
  EXPECT_TRUE(s.counted);
  EXPECT_EQ(s.successes, 3u);
  EXPECT_EQ(s.failures, 5u);
  EXPECT_EQ(s.ignored, 1u);
  EXPECT_EQ(s.calls, 9u);
  EXPECT_EQ(s.rejections, 1u);
  EXPECT_EQ(s.transitions, 1u);
  EXPECT_DOUBLE_EQ(s.failure_rate, 62.5);
}

TYPED_TEST(circuit_breaker_test, ExportAndRestoreCarryTheState) {
  rig<TypeParam> r({.open_duration = 10s});
  r.succeed(2);
  r.fail(5);
  r.clock.advance(4s);
  const arbiter::breaker_snapshot saved = r.breaker.export_state();
  EXPECT_EQ(saved.state, breaker_state::open);
  EXPECT_EQ(saved.open_remaining, 6s);

  rig<TypeParam> standby({.open_duration = 10s});
  standby.breaker.restore(saved);
  EXPECT_EQ(standby.breaker.state(), breaker_state::open);
  EXPECT_EQ(standby.changes.back().reason, transition_reason::restored);
  EXPECT_EQ(standby.breaker.try_acquire().why().retry_after, 6s);
  EXPECT_EQ(standby.breaker.stats().failures, 5u);
  standby.clock.advance(6s);
  EXPECT_TRUE(standby.breaker.try_acquire().is_trial());

  arbiter::breaker_snapshot closed_with_failures;
  closed_with_failures.consecutive_failures = 3;
  rig<TypeParam> restarted;
  restarted.breaker.restore(closed_with_failures);
  restarted.fail(1);
  EXPECT_EQ(restarted.breaker.state(), breaker_state::closed);
  restarted.fail(1);
  EXPECT_EQ(restarted.breaker.state(), breaker_state::open);

  arbiter::breaker_snapshot half_open;
  half_open.state = breaker_state::half_open;
  half_open.half_open_successes = 1;
  rig<TypeParam> warm;
  warm.breaker.restore(half_open);
  warm.succeed(1);
  EXPECT_EQ(warm.breaker.state(), breaker_state::closed);
}

TEST(circuit_breaker, BadRuntimeOptionsAreRejectedWithTheFieldAndBreakerName) {
  try {
    arbiter::circuit_breaker<> breaker("payments", breaker_options{.failure_threshold = 0});
    FAIL() << "accepted a zero failure threshold";
  } catch (const arbiter::invalid_breaker_options& e) {
    EXPECT_EQ(e.field(), "failure_threshold");
    EXPECT_STREQ(e.what(), "payments.failure_threshold: 0 is below the minimum 1");
  }
}

TEST(circuit_breaker, FixedAndRuntimeThresholdsMakeTheSameType) {
  constexpr arbiter::fixed_options<[] { return breaker_options{.failure_threshold = 2}; }> fixed{};
  arbiter::circuit_breaker<arbiter::single_thread> a("fixed", fixed);
  arbiter::circuit_breaker<arbiter::single_thread> b("runtime", breaker_options{.failure_threshold = 2});
  static_assert(std::is_same_v<decltype(a), decltype(b)>);
  for (auto* breaker : {&a, &b}) {
    for (int i = 0; i < 2; ++i) {
      auto p = breaker->try_acquire();
      breaker->record(p, outcome::failure);
    }
    EXPECT_EQ(breaker->state(), breaker_state::open);
  }
}

TEST(circuit_breaker, IgnoredExceptionsAreNeutralOthersFailAndAllAreRethrown) {
  arbiter::circuit_breaker<arbiter::single_thread, arbiter::counting_stats,
                           arbiter::ignore_exceptions<std::invalid_argument>>
      breaker;
  EXPECT_THROW(breaker.execute([]() -> int { throw std::invalid_argument("bad request"); }), std::invalid_argument);
  EXPECT_THROW(breaker.execute([] { throw std::runtime_error("down"); }), std::runtime_error);
  EXPECT_THROW(breaker.execute([] { throw 42; }), int);
  const auto s = breaker.stats();
  EXPECT_EQ(s.ignored, 1u);
  EXPECT_EQ(s.failures, 2u);
}

TEST(circuit_breaker, APredicateClassifiesResults) {
  const auto http = [](int status) {
    if (status == 429) return outcome::force_open;
    return status >= 500 ? outcome::failure : outcome::success;
  };
  arbiter::circuit_breaker<arbiter::single_thread, arbiter::classify_with<decltype(http)>> breaker(
      "http", {}, arbiter::classify_with<decltype(http)>(http));
  for (int i = 0; i < 4; ++i) (void)breaker.execute([] { return 503; });
  (void)breaker.execute([] { return 200; });
  EXPECT_EQ(breaker.export_state().consecutive_failures, 0u);
  (void)breaker.execute([] { return 429; });
  EXPECT_EQ(breaker.state(), breaker_state::open);
}

TEST(circuit_breaker, NullPoliciesTakeNoSpace) {
  static_assert(std::is_empty_v<arbiter::null_logger> && std::is_empty_v<arbiter::null_tracer>);
  static_assert(std::is_empty_v<arbiter::no_stats> && std::is_empty_v<arbiter::untimed>);
  static_assert(std::is_empty_v<arbiter::default_classifier> && std::is_empty_v<arbiter::steady_clock>);
  using bare = arbiter::circuit_breaker<arbiter::single_thread>;
  using spelled_out = arbiter::circuit_breaker<arbiter::single_thread, arbiter::null_logger, arbiter::null_tracer,
                                               arbiter::no_stats, arbiter::untimed, arbiter::default_classifier,
                                               arbiter::consecutive_failures, arbiter::coarse_clock>;
  static_assert(sizeof(bare) == sizeof(spelled_out));
  static_assert(sizeof(arbiter::circuit_breaker<arbiter::single_thread, arbiter::recording_logger>) > sizeof(bare));
  static_assert(sizeof(arbiter::circuit_breaker<arbiter::single_thread, arbiter::timed>) == sizeof(bare));
  SUCCEED();
}

TEST(circuit_breaker, PoliciesGoInAnyOrder) {
  using a = arbiter::circuit_breaker<arbiter::counting_stats, arbiter::single_thread, arbiter::count_window>;
  using b = arbiter::circuit_breaker<arbiter::count_window, arbiter::counting_stats, arbiter::single_thread>;
  static_assert(std::is_same_v<a::detector_type, b::detector_type> && std::is_same_v<a::sync_type, b::sync_type> &&
                std::is_same_v<a::stats_type, b::stats_type> && std::is_same_v<a::clock_type, arbiter::steady_clock>);
  static_assert(std::is_same_v<arbiter::default_circuit_breaker::detector_type, arbiter::consecutive_failures>);
  static_assert(std::is_same_v<arbiter::default_circuit_breaker::sync_type, arbiter::lock_free>);
  SUCCEED();
}

}  // namespace

namespace {

// ---- update_options: thresholds change on a running breaker -----------------------------------------------

TYPED_TEST(circuit_breaker_test, ALowerFailureThresholdKeepsTheCountAndOpensSooner) {
  rig<TypeParam> r;
  r.fail(2);
  breaker_options next;
  next.failure_threshold = 3;
  const arbiter::options_update update = r.breaker.update_options(next);
  EXPECT_EQ(update.applied, std::vector<std::string>{"failure_threshold"});
  EXPECT_TRUE(update.needs_restart.empty());
  EXPECT_EQ(r.breaker.state(), breaker_state::closed);
  EXPECT_EQ(r.breaker.export_state().consecutive_failures, 2u);  // the count survives
  r.fail(1);
  EXPECT_EQ(r.breaker.state(), breaker_state::open);
  EXPECT_EQ(r.breaker.options().failure_threshold, 3u);
  EXPECT_EQ(r.breaker.stats().failures, 3u);
}

TYPED_TEST(circuit_breaker_test, AnOpenBreakerStaysOpenAndANewOpenDurationAppliesToTheNextOpening) {
  rig<TypeParam> r;
  r.fail(5);
  ASSERT_EQ(r.breaker.state(), breaker_state::open);
  breaker_options next;
  next.open_duration = 1s;
  next.success_threshold = 1;
  EXPECT_EQ(r.breaker.update_options(next).applied,
            (std::vector<std::string>{"success_threshold", "open_duration"}));
  EXPECT_EQ(r.breaker.state(), breaker_state::open);  // the running open period keeps its deadline
  r.clock.advance(1500ms);
  EXPECT_FALSE(r.call(outcome::success));  // 5 s from the opening, not 1 s
  r.clock.advance(4s);
  EXPECT_TRUE(r.call(outcome::success));
  EXPECT_EQ(r.breaker.state(), breaker_state::closed);  // one success is enough now
  r.fail(5);
  ASSERT_EQ(r.breaker.state(), breaker_state::open);
  r.clock.advance(1001ms);
  EXPECT_TRUE(r.call(outcome::success));  // the new 1 s open duration
}

TYPED_TEST(circuit_breaker_test, FieldsThatCannotChangeLiveAreReportedAndKept) {
  rig<TypeParam> r;
  breaker_options next;
  next.half_open_max_trials = 7;
  next.window_size = 50;
  const arbiter::options_update update = r.breaker.update_options(next);
  EXPECT_TRUE(update.applied.empty());
  EXPECT_FALSE(update.changed());
  EXPECT_EQ(update.needs_restart, (std::vector<std::string>{"half_open_max_trials", "window_size"}));
  EXPECT_EQ(r.breaker.options().half_open_max_trials, 2u);
  EXPECT_EQ(r.breaker.options().window_size, 100u);
}

TYPED_TEST(circuit_breaker_test, ABadUpdateThrowsAndChangesNothing) {
  rig<TypeParam> r;
  r.fail(4);
  breaker_options next;
  next.failure_threshold = 0;
  next.open_duration = 1s;
  EXPECT_THROW((void)r.breaker.update_options(next), arbiter::invalid_breaker_options);
  EXPECT_EQ(r.breaker.options().failure_threshold, 5u);
  EXPECT_EQ(r.breaker.options().open_duration, 5000ms);
  EXPECT_EQ(r.breaker.export_state().consecutive_failures, 4u);
  r.fail(1);
  EXPECT_EQ(r.breaker.state(), breaker_state::open);
}

TEST(circuit_breaker, UpdatesLogTheAppliedFieldsOnce) {
  rig<arbiter::lock_free> r;
  breaker_options next;
  next.failure_threshold = 9;
  (void)r.breaker.update_options(next);
  (void)r.breaker.update_options(next);  // nothing differs: nothing logged
  ASSERT_EQ(r.logger.count("circuit breaker options updated"), 1u);
}

// Two threads fail through the breaker while a third moves its failure threshold between 2 and 50. Invariants:
// the breaker opens only from closed, on a failure, and then stays open (the open duration is an hour of a clock
// nobody advances); every failure outcome is counted once; and the stats agree with the transitions.
TEST(circuit_breaker, ThresholdUpdatesRacingCallsKeepTheStateMachineConsistent) {
  for (int round = 0; round < 20; ++round) {
    arbiter::manual_clock clock;
    breaker_options options;
    options.failure_threshold = 50;
    options.open_duration = std::chrono::hours(1);
    options.max_open_duration = std::chrono::hours(1);
    arbiter::circuit_breaker<arbiter::manual_clock, arbiter::counting_stats> breaker("stress", options, clock);
    std::atomic<int> opened{0};
    breaker.on_state_change([&opened](const arbiter::state_change& c) {
      if (c.to == breaker_state::open && c.from == breaker_state::closed) ++opened;
    });
    std::atomic<bool> stop{false};
    std::atomic<std::uint64_t> admitted{0};
    std::thread updater([&] {
      breaker_options next = options;
      for (std::uint32_t i = 0; !stop.load(); ++i) {
        next.failure_threshold = i % 2 == 0 ? 2 : 50;
        (void)breaker.update_options(next);
      }
    });
    const auto caller = [&] {
      for (int i = 0; i < 400; ++i) {
        auto p = breaker.try_acquire();
        if (!p) continue;
        ++admitted;
        breaker.record(p, outcome::failure);
      }
    };
    std::thread a(caller);
    std::thread b(caller);
    a.join();
    b.join();
    stop.store(true);
    updater.join();
    EXPECT_EQ(breaker.state(), breaker_state::open) << "round " << round;
    EXPECT_EQ(opened.load(), 1) << "round " << round;
    const arbiter::breaker_stats stats = breaker.stats();
    EXPECT_EQ(stats.failures, admitted.load()) << "round " << round;
    EXPECT_LE(stats.failures, 50u + 2u) << "round " << round;  // no more than a threshold plus the calls in flight
    EXPECT_EQ(stats.rejections, 800u - admitted.load()) << "round " << round;
  }
}

}  // namespace
