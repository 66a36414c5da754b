// The breaker in a build without exceptions (-fno-exceptions): failures come back as error codes, rejections as
// error results from execute(fn), and the state machine behaves as with exceptions. Exits 0 when every check holds.
#include <arbiter/clock/manual_clock.hpp>
#include <arbiter/resilience.hpp>

#include <chrono>
#include <cstdio>
#include <stop_token>
#include <system_error>

namespace {

int failures = 0;

void check(bool ok, const char* what) {
  if (!ok) {
    std::printf("FAILED: %s\n", what);
    ++failures;
  }
}

}  // namespace

int main() {
  using namespace std::chrono_literals;
  const arbiter::manual_clock clock;
  arbiter::circuit_breaker<arbiter::manual_clock> breaker("no-exceptions", arbiter::breaker_options{}, clock);

  const auto fail = [] { return std::make_error_code(std::errc::connection_refused); };
  for (int i = 0; i < 5; ++i) {
    const auto result = breaker.execute(fail);
    check(result.has_value() && static_cast<bool>(*result), "an admitted call returns its error code");
  }
  check(breaker.state() == arbiter::breaker_state::open, "five failures in a row open the breaker");

  const auto rejected = breaker.execute([] { return 7; });
  check(!rejected.has_value(), "an open breaker rejects with an error result, not an exception");
  check(rejected.has_value() || rejected.error().state == arbiter::breaker_state::open, "the rejection says open");

  clock.advance(5001ms);
  for (int i = 0; i < 2; ++i) {
    const auto trial = breaker.execute([] { return 1; });
    check(trial.has_value() && *trial == 1, "half-open trials run and return their value");
  }
  check(breaker.state() == arbiter::breaker_state::closed, "two successful trials close the breaker");

  // A time limiter: execute() returns the timeout as an error, and a breaker around it counts it as a failure.
  arbiter::time_limiter<arbiter::manual_clock> limiter("no-exceptions", {.timeout = 100ms}, clock);
  const auto in_time = limiter.execute([](const std::stop_token&) { return 4; });
  check(in_time.has_value() && *in_time == 4, "a call in time returns its value");
  const auto late = limiter.execute([&] {
    clock.advance(150ms);
    return 4;
  });
  check(!late.has_value() && late.error().elapsed == 150ms, "a late call comes back as a time_limit_exceeded");
  arbiter::circuit_breaker<arbiter::manual_clock> guard("no-exceptions-limited", {.failure_threshold = 1}, clock);
  (void)guard.execute([&] { return limiter.try_execute([&] { clock.advance(1s); }); });
  check(guard.state() == arbiter::breaker_state::open, "a breaker counts a time_limited error as a failure");

  std::printf("no-exceptions breaker: %d failed\n", failures);
  return failures == 0 ? 0 : 1;
}
