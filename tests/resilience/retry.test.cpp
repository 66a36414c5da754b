// retry: which outcomes are retried, every backoff with chosen draws, waits on the manual clock (no test sleeps
// but the one that checks a real wait is cut short by a stop), deadlines, retry-after hints, the budget (exact
// token arithmetic and a stress test whose invariant is that retries never exceed what the budget allows), bad
// options, logs, spans and metrics.
#include <arbiter/resilience/retry.hpp>

#include <arbiter/clock/manual_clock.hpp>
#include <arbiter/logging/recording_logger.hpp>
#include <arbiter/metrics/registry.hpp>
#include <arbiter/resilience/breaker_result.hpp>
#include <arbiter/tracing/recording_tracer.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using std::chrono::nanoseconds;

/// A Sleeper that records every wait, moves the manual clock by it, and can request a stop at a given wait.
struct recording_sleeper {
  using policy_kind = arbiter::sleeper_policy;
  struct log {
    std::vector<nanoseconds> waits;
    std::size_t stop_at = std::numeric_limits<std::size_t>::max();  // the wait (0-based) that is stopped
  };
  arbiter::manual_clock clock;
  std::shared_ptr<log> seen = std::make_shared<log>();

  bool sleep_for(nanoseconds wait, const std::stop_token& stop) const {
    if (stop.stop_requested() || seen->waits.size() == seen->stop_at) {
      seen->waits.push_back(wait);
      return false;
    }
    seen->waits.push_back(wait);
    clock.advance(wait);
    return true;
  }
};

/// A call that fails (an error code) `failures` times, then returns 42 in an expected-like result.
struct flaky {
  int failures;
  int calls = 0;
  arbiter::manual_clock clock{};
  nanoseconds takes{0};  // how long each call takes on the manual clock
  std::error_code operator()() {
    ++calls;
    clock.advance(takes);
    if (calls <= failures) return std::make_error_code(std::errc::connection_refused);
    return {};
  }
};

using fixed_retry = arbiter::retry<arbiter::fixed_backoff, arbiter::manual_clock, recording_sleeper>;
using exp_retry = arbiter::retry<arbiter::exponential_backoff, arbiter::manual_clock, recording_sleeper>;

static_assert(std::is_same_v<arbiter::retry<>::backoff_type, arbiter::full_jitter_backoff>);
static_assert(std::is_same_v<arbiter::retry<>::sleeper_type, arbiter::real_sleeper>);
static_assert(std::is_same_v<arbiter::retry<arbiter::manual_clock>::sleeper_type,
                             arbiter::advancing_sleeper<arbiter::manual_clock>>,
              "a clock moved by hand is advanced, not slept on");
static_assert(std::is_same_v<arbiter::retry<arbiter::metrics_registry, arbiter::fixed_backoff>::backoff_type,
                             arbiter::fixed_backoff>,
              "policies in any order");

TEST(retry, a_first_attempt_that_succeeds_is_made_once_and_waits_nothing) {
  const arbiter::manual_clock clock;
  const recording_sleeper sleeper{clock};
  fixed_retry retry("r", {}, clock, sleeper);
  int calls = 0;
  EXPECT_EQ(retry.execute([&] { return ++calls; }), 1);
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(sleeper.seen->waits.empty());
}

TEST(retry, retries_failures_until_one_succeeds_waiting_the_backoff_between_attempts) {
  const arbiter::manual_clock clock;
  const recording_sleeper sleeper{clock};
  exp_retry retry("r", {.max_attempts = 4, .initial_backoff = 100ms, .max_backoff = 10s}, clock, sleeper);
  flaky call{2};
  const auto start = clock.now();
  EXPECT_FALSE(retry.execute([&] { return call(); })) << "the third attempt succeeds";
  EXPECT_EQ(call.calls, 3);
  EXPECT_EQ(sleeper.seen->waits, (std::vector<nanoseconds>{100ms, 200ms}));
  EXPECT_EQ(clock.now() - start, 300ms) << "the waits moved the manual clock";
}

TEST(retry, returns_the_last_failure_once_the_attempts_are_used) {
  const arbiter::manual_clock clock;
  const recording_sleeper sleeper{clock};
  exp_retry retry("r", {.max_attempts = 3, .initial_backoff = 10ms, .max_backoff = 15ms}, clock, sleeper);
  int calls = 0;
  const std::error_code last = retry.execute([&] {
    ++calls;
    return std::error_code(calls, std::generic_category());
  });
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(last.value(), 3) << "the caller sees what the last attempt said";
  EXPECT_EQ(sleeper.seen->waits, (std::vector<nanoseconds>{10ms, 15ms})) << "the second wait is capped";
}

TEST(retry, max_attempts_one_never_retries) {
  const arbiter::manual_clock clock;
  const recording_sleeper sleeper{clock};
  fixed_retry retry("r", {.max_attempts = 1}, clock, sleeper);
  flaky call{5};
  (void)retry.execute([&] { return call(); });
  EXPECT_EQ(call.calls, 1);
  EXPECT_TRUE(sleeper.seen->waits.empty());
}

TEST(retry, only_failures_are_retried_not_successes_ignored_or_forcing_outcomes) {
  const arbiter::manual_clock clock;
  fixed_retry retry("r", {.max_attempts = 5}, clock, recording_sleeper{clock});
  for (const arbiter::outcome o : {arbiter::outcome::success, arbiter::outcome::ignored, arbiter::outcome::force_open,
                                   arbiter::outcome::force_close}) {
    int calls = 0;
    EXPECT_EQ(retry.execute([&] {
      ++calls;
      return o;
    }),
              o);
    EXPECT_EQ(calls, 1) << to_string(o);
  }
  int calls = 0;
  (void)retry.execute([&] {
    ++calls;
    return std::make_error_code(std::errc::operation_canceled);  // cancelled: neutral, so not retried
  });
  EXPECT_EQ(calls, 1);
}

TEST(retry, exceptions_are_retried_and_the_last_is_rethrown) {
  const arbiter::manual_clock clock;
  fixed_retry retry("r", {.max_attempts = 3}, clock, recording_sleeper{clock});
  int calls = 0;
  EXPECT_THROW(retry.execute([&]() -> int {
    ++calls;
    throw std::runtime_error("attempt " + std::to_string(calls));
  }),
               std::runtime_error);
  EXPECT_EQ(calls, 3);
  try {
    calls = 0;
    retry.execute([&] {
      ++calls;
      throw std::runtime_error("attempt " + std::to_string(calls));
    });
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "attempt 3") << "a void call too; the last exception is the one rethrown";
  }
  calls = 0;
  EXPECT_EQ(retry.execute([&] {
    if (++calls < 3) throw std::runtime_error("not yet");
    return 7;
  }),
            7);
}

TEST(retry, one_classifier_serves_the_breaker_and_the_retry) {
  struct not_found : std::runtime_error {
    using std::runtime_error::runtime_error;
  };
  const arbiter::manual_clock clock;
  arbiter::retry<arbiter::ignore_exceptions<not_found>, arbiter::manual_clock> ignoring("r", {.max_attempts = 3},
                                                                                        clock);
  int calls = 0;
  EXPECT_THROW(ignoring.execute([&] {
    ++calls;
    throw not_found("sku");
  }),
               not_found);
  EXPECT_EQ(calls, 1) << "a neutral exception is not retried";

  auto status_500 = [](int status) { return status >= 500; };  // true means failure
  arbiter::retry<arbiter::classify_with<decltype(status_500)>, arbiter::manual_clock> by_status(
      "r", {.max_attempts = 3}, arbiter::classify_with(status_500), clock);
  calls = 0;
  EXPECT_EQ(by_status.execute([&] { return ++calls < 3 ? 503 : 200; }), 200);
  EXPECT_EQ(calls, 3);
  calls = 0;
  EXPECT_EQ(by_status.execute([&] {
    ++calls;
    return 404;
  }),
            404);
  EXPECT_EQ(calls, 1);
}

TEST(retry, each_backoff_with_chosen_draws) {
  const arbiter::backoff_params p{100ms, 1s, 2.0};
  constexpr std::uint64_t low = 0;
  constexpr std::uint64_t high = std::numeric_limits<std::uint64_t>::max();
  constexpr std::uint64_t mid = std::uint64_t{1} << 63;
  const auto step = [](std::uint32_t n, nanoseconds previous, std::uint64_t r) {
    return arbiter::backoff_step{n, previous, r};
  };

  EXPECT_EQ(arbiter::fixed_backoff{}.delay(p, step(7, 0ns, mid)), 100ms);

  const arbiter::exponential_backoff exp;
  EXPECT_EQ(exp.delay(p, step(1, 0ns, mid)), 100ms);
  EXPECT_EQ(exp.delay(p, step(2, 0ns, mid)), 200ms);
  EXPECT_EQ(exp.delay(p, step(4, 0ns, mid)), 800ms);
  EXPECT_EQ(exp.delay(p, step(5, 0ns, mid)), 1s) << "capped";
  EXPECT_EQ(exp.delay(p, step(1000, 0ns, mid)), 1s) << "a huge retry number neither overflows nor loops long";

  const arbiter::full_jitter_backoff full;
  EXPECT_EQ(full.delay(p, step(3, 0ns, low)), 0ns);
  EXPECT_EQ(full.delay(p, step(3, 0ns, high)), 400ms);
  EXPECT_NEAR(static_cast<double>(full.delay(p, step(3, 0ns, mid)).count()), 200e6, 1.0);

  const arbiter::equal_jitter_backoff equal;
  EXPECT_EQ(equal.delay(p, step(3, 0ns, low)), 200ms);
  EXPECT_EQ(equal.delay(p, step(3, 0ns, high)), 400ms);

  const arbiter::decorrelated_jitter_backoff decorrelated;
  EXPECT_EQ(decorrelated.delay(p, step(1, 0ns, low)), 100ms) << "never below initial";
  EXPECT_EQ(decorrelated.delay(p, step(1, 0ns, high)), 300ms) << "three times initial at first";
  EXPECT_EQ(decorrelated.delay(p, step(2, 250ms, high)), 750ms) << "three times the previous wait";
  EXPECT_EQ(decorrelated.delay(p, step(3, 750ms, high)), 1s) << "capped";
  EXPECT_EQ(decorrelated.delay(p, step(3, 750ms, low)), 100ms);
}

TEST(retry, jittered_waits_stay_within_their_bounds_over_many_draws) {
  const arbiter::manual_clock clock;
  arbiter::retry<arbiter::manual_clock> retry("r", {.initial_backoff = 10ms, .max_backoff = 50ms}, clock);
  std::uint64_t x = 12345;
  bool saw_low = false;
  bool saw_high = false;
  for (int i = 0; i < 10000; ++i) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    const nanoseconds d = retry.backoff(3, 0ns, x);
    ASSERT_GE(d, 0ns);
    ASSERT_LE(d, 40ms);
    saw_low = saw_low || d < 4ms;
    saw_high = saw_high || d > 36ms;
  }
  EXPECT_TRUE(saw_low && saw_high) << "the draws spread over the whole range";
  EXPECT_LE(retry.backoff(30, 0ns, ~0ULL), 50ms);
}

TEST(retry, a_deadline_stops_a_retry_whose_wait_would_end_past_it) {
  const arbiter::manual_clock clock;
  const recording_sleeper sleeper{clock};
  exp_retry retry("r", {.max_attempts = 10, .initial_backoff = 100ms, .max_backoff = 10s, .deadline = 400ms}, clock,
                  sleeper);
  flaky call{100, 0, clock, 50ms};
  (void)retry.execute([&] { return call(); });
  // attempt 1 ends at 50 ms, waits 100 (150); attempt 2 ends at 200, a wait of 200 would end at 400: not made.
  EXPECT_EQ(call.calls, 2);
  EXPECT_EQ(sleeper.seen->waits, (std::vector<nanoseconds>{100ms}));
}

struct throttled {
  std::chrono::milliseconds retry_after;
  bool ok;
};

struct busy {  // a hint found by argument-dependent lookup
  bool ok;
};
std::chrono::seconds retry_after_hint(const busy& b) { return b.ok ? 0s : 3s; }

TEST(retry, a_retry_after_hint_lengthens_the_wait_to_at_least_the_hint) {
  const arbiter::manual_clock clock;
  const recording_sleeper sleeper{clock};
  auto by_flag = [](const auto& r) { return r.ok ? arbiter::outcome::success : arbiter::outcome::failure; };
  arbiter::retry<arbiter::fixed_backoff, arbiter::manual_clock, recording_sleeper,
                 arbiter::classify_with<decltype(by_flag)>>
      retry("r", {.max_attempts = 3, .initial_backoff = 100ms}, clock, sleeper, arbiter::classify_with(by_flag));
  int calls = 0;
  (void)retry.execute([&] { return throttled{++calls == 1 ? 2000ms : 10ms, calls >= 3}; });
  EXPECT_EQ(sleeper.seen->waits, (std::vector<nanoseconds>{2s, 100ms})) << "a hint below the backoff changes nothing";
  calls = 0;
  (void)retry.execute([&] { return busy{++calls > 1}; });
  EXPECT_EQ(sleeper.seen->waits.back(), 3s);
}

TEST(retry, a_breaker_rejection_carries_its_retry_after) {
  const arbiter::manual_clock clock;
  const recording_sleeper sleeper{clock};
  fixed_retry retry("r", {.max_attempts = 2, .initial_backoff = 1ms}, clock, sleeper);
  const arbiter::rejection open{arbiter::rejection_reason::open, arbiter::breaker_state::open, 5s};
  (void)retry.execute([&] { return arbiter::breaker_result<int>(open); });
  EXPECT_EQ(sleeper.seen->waits, (std::vector<nanoseconds>{5s})) << "from an expected-like result's error";
  EXPECT_THROW(retry.execute([&]() -> int { throw arbiter::circuit_open("inventory", open); }), arbiter::circuit_open);
  EXPECT_EQ(sleeper.seen->waits.back(), 5s) << "from a circuit_open exception";
}

TEST(retry, a_hint_past_the_deadline_gives_up_without_waiting) {
  const arbiter::manual_clock clock;
  const recording_sleeper sleeper{clock};
  fixed_retry retry("r", {.max_attempts = 5, .initial_backoff = 1ms, .deadline = 1s}, clock, sleeper);
  const arbiter::rejection open{arbiter::rejection_reason::open, arbiter::breaker_state::open, 30s};
  int calls = 0;
  (void)retry.execute([&] {
    ++calls;
    return arbiter::breaker_result<int>(open);
  });
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(sleeper.seen->waits.empty());
}

TEST(retry, a_stop_request_ends_the_retries_and_returns_the_last_result) {
  const arbiter::manual_clock clock;
  const recording_sleeper sleeper{clock};
  fixed_retry retry("r", {.max_attempts = 5}, clock, sleeper);
  std::stop_source stop;
  flaky call{100};
  stop.request_stop();
  EXPECT_TRUE(retry.execute([&] { return call(); }, stop.get_token()));
  EXPECT_EQ(call.calls, 1) << "stopped before any retry: the first attempt is still made";

  sleeper.seen->stop_at = 1;  // the second wait is interrupted
  flaky again{100};
  EXPECT_TRUE(retry.execute([&] { return again(); }));
  EXPECT_EQ(again.calls, 2);

  std::stop_token seen;
  (void)retry.execute(
      [&](std::stop_token token) {
        seen = std::move(token);
        return 0;
      },
      stop.get_token());
  EXPECT_TRUE(seen.stop_requested()) << "a call that takes a stop_token receives execute's";
}

TEST(retry, a_real_wait_is_cut_short_by_a_stop) {
  arbiter::retry<arbiter::fixed_backoff> retry("r", {.max_attempts = 2, .initial_backoff = 60s, .max_backoff = 60s});
  std::stop_source stop;
  std::jthread stopper([&] {
    std::this_thread::sleep_for(20ms);
    stop.request_stop();
  });
  const auto t0 = std::chrono::steady_clock::now();
  int calls = 0;
  (void)retry.execute(
      [&] {
        ++calls;
        return std::make_error_code(std::errc::timed_out);
      },
      stop.get_token());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 30s) << "the stop ended a 60 s wait";
  EXPECT_EQ(calls, 1);
}

TEST(retry, bad_options_name_the_retry_and_the_setting) {
  const auto message = [](const arbiter::retry_options& o) -> std::string {
    try {
      arbiter::retry<> r("orders", o);
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "accepted";
  };
  EXPECT_EQ(message({.max_attempts = 0}),
            "retry \"orders\": max_attempts is 0; it counts the first attempt too, so it is at least 1");
  EXPECT_NE(message({.max_attempts = 5000}).find("at most 1000"), std::string::npos);
  EXPECT_NE(message({.initial_backoff = 2s, .max_backoff = 1s}).find("max_backoff is shorter"), std::string::npos);
  EXPECT_NE(message({.multiplier = 0.5}).find("multiplier is 0.5; it must be in [1, 1000]"), std::string::npos);
  EXPECT_NE(message({.multiplier = std::numeric_limits<double>::quiet_NaN()}).find("multiplier"), std::string::npos);
  EXPECT_NE(message({.deadline = -1s}).find("deadline is negative"), std::string::npos);
  EXPECT_EQ(message({}), "accepted");
}

// ---- the budget ------------------------------------------------------------------------------------------

using budget = arbiter::retry_budget<arbiter::manual_clock>;
using budgeted = arbiter::retry<budget, arbiter::fixed_backoff, arbiter::manual_clock, recording_sleeper>;

TEST(retry_budget, retries_are_a_fraction_of_first_attempts_once_the_saved_ones_are_spent) {
  const arbiter::manual_clock clock;
  const budget tokens({.ratio = 0.5, .min_per_second = 0, .max_balance = 2}, clock);
  budgeted retry("r", {.max_attempts = 5}, tokens, clock, recording_sleeper{clock});
  EXPECT_DOUBLE_EQ(tokens.balance(), 2.0) << "a new budget starts full";
  flaky a{100};
  (void)retry.execute([&] { return a(); });
  EXPECT_EQ(a.calls, 3) << "the two saved retries";
  flaky b{100};
  (void)retry.execute([&] { return b(); });
  EXPECT_EQ(b.calls, 1) << "half a token is not a retry";
  flaky c{100};
  (void)retry.execute([&] { return c(); });
  EXPECT_EQ(c.calls, 2) << "two first attempts earn one retry";
  EXPECT_DOUBLE_EQ(tokens.balance(), 0.0);
}

TEST(retry_budget, a_retry_whose_wait_is_stopped_gives_its_token_back) {
  const arbiter::manual_clock clock;
  const budget tokens({.ratio = 0.0, .min_per_second = 0, .max_balance = 2}, clock);
  recording_sleeper sleeper{clock};
  sleeper.seen->stop_at = 1;  // the second wait is stopped (shutdown)
  budgeted retry("r", {.max_attempts = 5}, tokens, clock, sleeper);
  flaky a{100};
  (void)retry.execute([&] { return a(); });
  EXPECT_EQ(a.calls, 2) << "one retry ran; the second was stopped in its wait";
  EXPECT_DOUBLE_EQ(tokens.balance(), 1.0) << "the stopped retry's token is back; the one that ran is spent";
  flaky b{100};
  sleeper.seen->stop_at = std::numeric_limits<std::size_t>::max();
  (void)retry.execute([&] { return b(); });
  EXPECT_EQ(b.calls, 2) << "the refunded token pays for one more retry";
  EXPECT_DOUBLE_EQ(tokens.balance(), 0.0);
}

TEST(retry_budget, a_full_balance_saves_no_more) {
  const arbiter::manual_clock clock;
  const budget tokens({.ratio = 1.0, .min_per_second = 0, .max_balance = 3}, clock);
  budgeted retry("r", {.max_attempts = 2}, tokens, clock, recording_sleeper{clock});
  for (int i = 0; i < 50; ++i) EXPECT_EQ(retry.execute([] { return 1; }), 1);
  EXPECT_DOUBLE_EQ(tokens.balance(), 3.0);
}

TEST(retry_budget, the_per_second_floor_lets_a_quiet_service_retry) {
  const arbiter::manual_clock clock;
  const budget tokens({.ratio = 0.0, .min_per_second = 2, .max_balance = 0}, clock);
  budgeted retry("r", {.max_attempts = 10, .initial_backoff = 0ms}, tokens, clock, recording_sleeper{clock});
  flaky a{100};
  (void)retry.execute([&] { return a(); });
  EXPECT_EQ(a.calls, 3) << "two retries a second";
  clock.advance(500ms);
  flaky b{100};
  (void)retry.execute([&] { return b(); });
  EXPECT_EQ(b.calls, 2) << "one more half a second later";
}

TEST(retry_budget, copies_share_one_bucket) {
  const arbiter::manual_clock clock;
  const budget tokens({.ratio = 0.0, .min_per_second = 0, .max_balance = 1}, clock);
  budgeted get("get", {.max_attempts = 3}, tokens, clock, recording_sleeper{clock});
  budgeted put("put", {.max_attempts = 3}, tokens, clock, recording_sleeper{clock});
  flaky a{100};
  (void)get.execute([&] { return a(); });
  flaky b{100};
  (void)put.execute([&] { return b(); });
  EXPECT_EQ(a.calls + b.calls, 3) << "one saved retry between them";
}

TEST(retry_budget, bad_options_say_what_is_wrong) {
  EXPECT_THROW((void)budget({.ratio = 1.5}), std::invalid_argument);
  EXPECT_THROW((void)budget({.ratio = std::numeric_limits<double>::quiet_NaN()}), std::invalid_argument);
  try {
    (void)budget({.ratio = 0.0, .min_per_second = 0, .max_balance = 0});
    ADD_FAILURE() << "accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("no retry is ever allowed"), std::string::npos) << e.what();
  }
}

/// Every thread makes calls that always fail; the retries made can never exceed the starting balance plus ratio
/// times the first attempts (no floor), and the balance never goes negative.
void stress_budget(int threads) {
  const arbiter::manual_clock clock;
  const budget tokens({.ratio = 0.25, .min_per_second = 0, .max_balance = 20}, clock);
  arbiter::retry<budget, arbiter::fixed_backoff, arbiter::manual_clock> retry(
      "r", {.max_attempts = 4, .initial_backoff = 0ms}, tokens, clock);
  constexpr int calls_per_thread = 4000;
  std::atomic<std::int64_t> attempts{0};
  std::barrier start(threads);
  {
    std::vector<std::jthread> workers;
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([&] {
        start.arrive_and_wait();
        for (int i = 0; i < calls_per_thread; ++i) {
          (void)retry.execute([&] {
            attempts.fetch_add(1, std::memory_order_relaxed);
            return std::make_error_code(std::errc::connection_reset);
          });
          ASSERT_GE(tokens.balance(), 0.0);
        }
      });
    }
  }
  const std::int64_t first = std::int64_t{threads} * calls_per_thread;
  const std::int64_t retries = attempts.load() - first;
  EXPECT_LE(retries, 20 + first / 4) << "a retry beyond the budget";
  EXPECT_GE(retries, first / 4 - threads) << "the budget lost deposits";
  EXPECT_GE(tokens.balance(), 0.0);
}

TEST(retry_budget, never_grants_more_retries_than_it_holds_on_2_threads) { stress_budget(2); }
TEST(retry_budget, never_grants_more_retries_than_it_holds_on_8_threads) { stress_budget(8); }

// ---- what happens, told ------------------------------------------------------------------------------------

TEST(retry, logs_each_retry_and_the_give_up_and_traces_each_wait) {
  const arbiter::manual_clock clock;
  const arbiter::recording_logger logger;
  const arbiter::recording_tracer tracer;
  arbiter::retry<arbiter::fixed_backoff, arbiter::manual_clock, arbiter::recording_logger, arbiter::recording_tracer>
      retry("inventory", {.max_attempts = 2, .initial_backoff = 25ms}, clock, logger, tracer);
  flaky call{100};
  (void)retry.execute([&] { return call(); });
  const auto records = logger.records();
  ASSERT_EQ(records.size(), 2U);
  EXPECT_EQ(records[0].message, "retrying");
  EXPECT_EQ(records[0].field("attempt"), "2");
  EXPECT_EQ(records[0].field("wait_ms"), "25");
  EXPECT_EQ(records[1].message, "retry gave up");
  EXPECT_EQ(records[1].field("reason"), "attempts");
  EXPECT_EQ(records[1].field("retry"), "inventory");
  const auto span = tracer.last("retry.backoff");
  ASSERT_TRUE(span.has_value());
  EXPECT_EQ(tracer.size(), 1U);
}

TEST(retry, counts_attempts_and_give_ups_in_the_registry) {
  arbiter::metrics_registry metrics;
  const arbiter::manual_clock clock;
  arbiter::retry<arbiter::fixed_backoff, arbiter::manual_clock, arbiter::metrics_registry> retry(
      "inventory", {.max_attempts = 3}, clock, metrics);
  flaky fails{100};
  (void)retry.execute([&] { return fails(); });
  flaky heals{1};
  (void)retry.execute([&] { return heals(); });
  const std::string text = metrics.expose(arbiter::exposition_format::prometheus_text);
  EXPECT_NE(text.find("arbiter_retry_attempts_total{retry=\"inventory\",kind=\"first\"} 2"), std::string::npos) << text;
  EXPECT_NE(text.find("arbiter_retry_attempts_total{retry=\"inventory\",kind=\"retry\"} 3"), std::string::npos) << text;
  EXPECT_NE(text.find("arbiter_retry_gave_up_total{retry=\"inventory\",reason=\"attempts\"} 1"), std::string::npos)
      << text;
  EXPECT_NE(text.find("arbiter_retry_gave_up_total{retry=\"inventory\",reason=\"budget\"} 0"), std::string::npos)
      << text;
}

TEST(retry, null_policies_add_no_bytes) {
  struct bare {
    std::string name;
    arbiter::retry_options options;
  };
  EXPECT_EQ(sizeof(arbiter::retry<>), sizeof(bare));
}

}  // namespace
