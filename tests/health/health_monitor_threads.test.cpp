// health_monitor on real threads: concurrency, timeouts that hold, bounded threads, shutdown with hung checks,
// and a ThreadSanitizer stress of probes from several threads while the schedule runs and checks flip.
// Time bounds are generous: the machine is shared and sanitizers are slow.
#include <arbiter/health.hpp>

#include <gtest/gtest.h>

#include <stdexcept>

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

/// The check a report holds: fails the test (instead of dereferencing null) when it is not there.
const arbiter::check_report& found(const arbiter::check_report* check) {
  if (check == nullptr) throw std::runtime_error("the report has no such check");
  return *check;
}

using namespace std::chrono_literals;
using arbiter::check_options;
using arbiter::health_status;
using arbiter::probe;
using clock_type = std::chrono::steady_clock;

template <std::size_t I>
struct sleeper {
  static constexpr std::array<char, 8> storage{'s', 'l', 'e', 'e', 'p', ':', static_cast<char>('0' + I), '\0'};
  static constexpr std::string_view name{storage.data(), 7};
  static constexpr auto timeout = 2000ms;
  bool operator()() const {
    std::this_thread::sleep_for(100ms);
    return true;
  }
};

TEST(health_monitor_threads, checks_run_concurrently) {
  arbiter::health_monitor<sleeper<0>, sleeper<1>, sleeper<2>, sleeper<3>, sleeper<4>, sleeper<5>, sleeper<6>,
                          sleeper<7>>
      monitor;
  const auto begin = clock_type::now();
  const auto report = monitor.check(probe::readiness);
  const auto elapsed = clock_type::now() - begin;
  EXPECT_EQ(report.status, health_status::healthy);
  EXPECT_LT(elapsed, 750ms) << "8 checks of 100 ms each must overlap, not take 800 ms (the margin is for a loaded machine)";
  EXPECT_GE(elapsed, 100ms);
  EXPECT_LE(monitor.thread_count(), 8U);
  for (const auto& check : report.checks) EXPECT_GE(check.result.duration, 100ms);
}

TEST(health_monitor_threads, max_threads_bounds_the_pool) {
  arbiter::health_monitor<sleeper<0>, sleeper<1>, sleeper<2>, sleeper<3>> monitor({.max_threads = 2});
  const auto begin = clock_type::now();
  EXPECT_TRUE(monitor.is_ready());
  EXPECT_GE(clock_type::now() - begin, 200ms) << "four 100 ms checks on two threads take two rounds";
  EXPECT_EQ(monitor.thread_count(), 2U);
}

/// A check that blocks until released or until its stop token fires.
struct gate {
  std::mutex mutex;
  std::condition_variable_any cv;
  bool open = false;
  std::atomic<int> started{0};
  std::atomic<int> finished{0};

  void release() {
    {
      const std::lock_guard lock(mutex);
      open = true;
    }
    cv.notify_all();
  }
};

TEST(health_monitor_threads, a_hung_check_answers_at_its_deadline_without_thread_growth) {
  auto hang = std::make_shared<gate>();
  auto monitor = arbiter::make_health_monitor(
      {}, arbiter::make_check<"db:ping", check_options{.timeout_ms = 200}>([hang](std::stop_token stop) {
        ++hang->started;
        std::unique_lock lock(hang->mutex);
        hang->cv.wait(lock, stop, [&] { return hang->open; });
        ++hang->finished;
        return true;
      }),
      arbiter::make_check<"self:ok">([] { return true; }));

  const auto begin = clock_type::now();
  const auto report = monitor.check(probe::readiness);
  const auto elapsed = clock_type::now() - begin;
  EXPECT_GE(elapsed, 200ms);
  EXPECT_LT(elapsed, 1500ms) << "the probe answers at the deadline";
  EXPECT_EQ(report.status, health_status::unhealthy);
  EXPECT_EQ(found(report.find("db:ping")).result.message, "timed out after 200 ms");
  EXPECT_EQ(found(report.find("self:ok")).result.status, health_status::healthy);

  for (int i = 0; i < 20; ++i) EXPECT_FALSE(monitor.is_ready());
  EXPECT_EQ(hang->started, 1) << "not started again while it still runs";
  EXPECT_LE(monitor.thread_count(), 2U) << "no thread growth";
  hang->release();
}

TEST(health_monitor_threads, a_saturated_pool_still_answers_at_the_deadline) {
  auto hang = std::make_shared<gate>();
  auto quick_calls = std::make_shared<std::atomic<int>>(0);
  auto monitor = arbiter::make_health_monitor(
      {.max_threads = 1},
      arbiter::make_check<"db:ping", check_options{.timeout_ms = 100}>([hang](std::stop_token stop) {
        std::unique_lock lock(hang->mutex);
        hang->cv.wait(lock, stop, [&] { return hang->open; });
        return true;
      }),
      arbiter::make_check<"self:ok", check_options{.timeout_ms = 100}>([quick_calls] {
        ++*quick_calls;
        return true;
      }));
  const auto begin = clock_type::now();
  const auto report = monitor.check(probe::readiness);
  EXPECT_LT(clock_type::now() - begin, 1500ms);
  EXPECT_EQ(found(report.find("self:ok")).result.message, "timed out after 100 ms")
      << "its deadline counts its queue wait";
  EXPECT_EQ(monitor.thread_count(), 1U);
  hang->release();
  for (int i = 0; i < 2000 && !monitor.is_ready(); ++i) std::this_thread::sleep_for(1ms);
  EXPECT_TRUE(monitor.is_ready());
  EXPECT_GE(*quick_calls, 1);
}

TEST(health_monitor_threads, destruction_stops_checks_that_honour_their_stop_token) {
  auto hang = std::make_shared<gate>();
  const auto begin = clock_type::now();
  {
    auto monitor = arbiter::make_health_monitor(
        {.stop_grace = 5000ms},
        arbiter::make_check<"db:ping", check_options{.timeout_ms = 100}>([hang](std::stop_token stop) {
          ++hang->started;
          std::unique_lock lock(hang->mutex);
          hang->cv.wait(lock, stop, [&] { return hang->open; });
          ++hang->finished;
          return !stop.stop_requested();
        }));
    EXPECT_FALSE(monitor.is_ready());
  }
  EXPECT_LT(clock_type::now() - begin, 3000ms) << "the stop token ends the wait long before the grace";
  EXPECT_EQ(hang->finished, 1) << "the thread was joined after the check returned";
}

TEST(health_monitor_threads, destruction_abandons_a_check_that_ignores_its_stop_token_after_the_grace) {
  auto stuck = std::make_shared<gate>();
  const auto begin = clock_type::now();
  {
    auto monitor = arbiter::make_health_monitor(
        {.stop_grace = 100ms}, arbiter::make_check<"db:ping", check_options{.timeout_ms = 100}>([stuck] {
          ++stuck->started;
          std::unique_lock lock(stuck->mutex);
          stuck->cv.wait(lock, [&] { return stuck->open; });  // deaf to stop requests
          ++stuck->finished;
          return true;
        }));
    EXPECT_FALSE(monitor.is_ready());
  }
  EXPECT_LT(clock_type::now() - begin, 2000ms) << "the destructor returns after the grace, not when the check does";
  EXPECT_EQ(stuck->finished, 0);
  stuck->release();
  for (int i = 0; i < 5000 && stuck->finished == 0; ++i) std::this_thread::sleep_for(1ms);
  EXPECT_EQ(stuck->finished, 1) << "the abandoned thread ends once its check returns";
  std::this_thread::sleep_for(20ms);  // let the detached thread release the monitor's internals
}

TEST(health_monitor_threads, concurrent_on_demand_probes_never_run_a_check_twice_at_once) {
  struct counters {
    std::atomic<int> active{0};
    std::atomic<int> overlap{0};
    std::atomic<int> runs{0};
  };
  auto c = std::make_shared<counters>();
  auto monitor = arbiter::make_health_monitor({}, arbiter::make_check<"db:ping">([c] {
                                                if (++c->active > 1) ++c->overlap;
                                                ++c->runs;
                                                std::this_thread::sleep_for(1ms);
                                                --c->active;
                                                return true;
                                              }));
  std::vector<std::jthread> probes;
  for (int t = 0; t < 4; ++t) {
    probes.emplace_back([&monitor] {
      for (int i = 0; i < 50; ++i) EXPECT_TRUE(monitor.is_ready());
    });
  }
  probes.clear();
  EXPECT_EQ(c->overlap, 0);
  EXPECT_GT(c->runs, 0);
  EXPECT_LE(c->runs, 200) << "probes share a run that is in flight";
  EXPECT_EQ(monitor.thread_count(), 1U);
}

template <std::size_t I>
struct flipping {
  static constexpr std::array<char, 7> storage{'f', 'l', 'i', 'p', ':', static_cast<char>('0' + I), '\0'};
  static constexpr std::string_view name{storage.data(), 6};
  static constexpr arbiter::probe_set probes = I % 2 == 0 ? probe::readiness : (probe::liveness | probe::readiness);
  static constexpr bool critical = I != 3;
  static constexpr auto timeout = 50ms;
  std::shared_ptr<std::array<std::atomic<health_status>, 6>> states;

  arbiter::check_result operator()() const {
    const auto status = (*states)[I].load();
    if (I == 5 && status == health_status::unhealthy) std::this_thread::sleep_for(60ms);  // times out sometimes
    arbiter::check_result result;
    result.status = status;
    result.message = std::string(arbiter::to_string(status));
    return result;
  }
};

TEST(health_monitor_threads, stress_probes_from_several_threads_while_the_schedule_runs_and_checks_flip) {
  auto states = std::make_shared<std::array<std::atomic<health_status>, 6>>();
  for (auto& s : *states) s = health_status::healthy;
  std::mutex changes_mutex;
  std::array<std::optional<health_status>, 6> last_seen{};
  std::array<bool, 6> seen{};
  std::atomic<int> broken_chains{0};
  std::atomic<int> changes{0};
  {
    arbiter::health_monitor<flipping<0>, flipping<1>, flipping<2>, flipping<3>, flipping<4>, flipping<5>> monitor(
        {.mode = arbiter::health_mode::background, .interval = 2ms, .stop_grace = 2000ms}, flipping<0>{states},
        flipping<1>{states}, flipping<2>{states}, flipping<3>{states}, flipping<4>{states}, flipping<5>{states});
    (void)monitor.subscribe([&](const arbiter::status_change& change) {
      if (change.subject != arbiter::change_subject::check) return;
      ++changes;
      const std::lock_guard lock(changes_mutex);
      for (std::size_t i = 0; i < 6; ++i) {
        if (decltype(monitor)::names()[i] != change.check) continue;
        // Each change starts where the previous one ended. The background schedule starts in the constructor, so
        // a check's first change may come before this subscription: the chain is checked from the first one seen.
        if (seen[i] && change.from != last_seen[i]) ++broken_chains;
        seen[i] = true;
        last_seen[i] = change.to;
      }
    });

    const auto stop_at = clock_type::now() + 500ms;
    std::atomic<int> inconsistent{0};
    std::atomic<long> probes_done{0};
    std::vector<std::jthread> threads;
    threads.emplace_back([&] {
      unsigned seed = 7;
      while (clock_type::now() < stop_at) {
        seed = seed * 1103515245U + 12345U;
        const auto status = static_cast<health_status>((seed >> 16) % 3);
        (*states)[(seed >> 8) % 6].store(status);
        if ((seed & 0xF0) == 0) monitor.set_accepting_traffic(((seed >> 4) & 1) != 0);
        std::this_thread::sleep_for(1ms);
      }
      monitor.set_accepting_traffic(true);
    });
    for (int t = 0; t < 3; ++t) {
      threads.emplace_back([&, t] {
        while (clock_type::now() < stop_at) {
          if (t == 0) {
            const auto report = monitor.check(probe::readiness);
            health_status folded = health_status::healthy;
            for (const auto& check : report.checks) {
              folded = arbiter::worst_of_critical_capped::fold(folded, check.result.status, check.critical);
            }
            if (report.accepting_traffic && folded != report.status) ++inconsistent;
            const auto body = arbiter::render_health_json(report);
            if (body.find("\"checks\":{\"flip:0\":[") == std::string::npos) ++inconsistent;
          } else if (t == 1) {
            (void)monitor.is_ready();
            (void)monitor.is_live();
          } else {
            (void)monitor.status(probe::liveness);
            (void)monitor.check(probe::liveness);
          }
          ++probes_done;
        }
      });
    }
    threads.clear();
    EXPECT_EQ(inconsistent, 0) << "a report's status is the fold of its own checks";
    EXPECT_GT(probes_done, 100);
    EXPECT_LE(monitor.thread_count(), 6U) << "at most one thread per check";
  }
  EXPECT_EQ(broken_chains, 0);
  EXPECT_GT(changes, 6) << "the checks flipped and the changes were seen";
}

}  // namespace
