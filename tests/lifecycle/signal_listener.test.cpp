#include <arbiter/lifecycle/signal_listener.hpp>

#include <gtest/gtest.h>

#include <signal.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>

namespace {

using namespace std::chrono_literals;

template <class Predicate>
bool eventually(Predicate predicate, std::chrono::milliseconds limit = 10s) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (!predicate()) {
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

TEST(signal_listener, delivers_real_signals_on_its_own_thread_and_restores_the_old_handler) {
  struct sigaction before {};
  ASSERT_EQ(::sigaction(SIGUSR1, nullptr, &before), 0);
  std::atomic<int> received{0};
  std::atomic<int> last{0};
  std::atomic<bool> on_listener_thread{false};
  {
    const auto test_thread = std::this_thread::get_id();
    arbiter::signal_listener listener({SIGUSR1, SIGUSR2}, [&](int signo) {
      on_listener_thread = std::this_thread::get_id() != test_thread;
      last = signo;
      received.fetch_add(1);
    });
    EXPECT_NE(listener.thread_id(), test_thread);
    ASSERT_EQ(::kill(::getpid(), SIGUSR1), 0);
    ASSERT_TRUE(eventually([&] { return received.load() == 1; }));
    EXPECT_EQ(last.load(), SIGUSR1);
    ASSERT_EQ(::raise(SIGUSR2), 0);
    ASSERT_TRUE(eventually([&] { return received.load() == 2; }));
    EXPECT_EQ(last.load(), SIGUSR2);
    EXPECT_TRUE(on_listener_thread.load());

    EXPECT_THROW(arbiter::signal_listener({SIGUSR1}, [](int) {}), std::logic_error)
        << "signal dispositions are process-wide: only one listener at a time";
  }
  struct sigaction after {};
  ASSERT_EQ(::sigaction(SIGUSR1, nullptr, &after), 0);
  EXPECT_EQ(after.sa_handler, before.sa_handler) << "the previous disposition is back";

  // A second listener may start once the first is gone, and stale bytes do not reach it.
  std::atomic<int> again{0};
  arbiter::signal_listener second({SIGUSR1}, [&](int) { again.fetch_add(1); });
  ASSERT_EQ(::raise(SIGUSR1), 0);
  ASSERT_TRUE(eventually([&] { return again.load() == 1; }));
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(again.load(), 1);
}

TEST(signal_listener, a_throwing_callback_does_not_stop_the_listener) {
  std::atomic<int> calls{0};
  arbiter::signal_listener listener({SIGUSR1}, [&](int) {
    calls.fetch_add(1);
    throw std::runtime_error("callback failed");
  });
  ASSERT_EQ(::raise(SIGUSR1), 0);
  ASSERT_TRUE(eventually([&] { return calls.load() == 1; }));
  ASSERT_EQ(::raise(SIGUSR1), 0);
  EXPECT_TRUE(eventually([&] { return calls.load() == 2; }));
}

}  // namespace
