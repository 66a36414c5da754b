// execute() calls its callable with no arguments (or a std::stop_token); one that takes an argument is named
// with the fix; its twin captures the argument instead.
#include <arbiter/resilience/circuit_breaker.hpp>

int fetch(int id) { return id * 2; }

int main() {
  arbiter::circuit_breaker<> b;
  const int id = 21;
#ifdef ARBITER_EXPECT_FAIL
  const int value = b.execute([](int key) { return fetch(key); });
#else
  const int value = b.execute([&] { return fetch(id); });
#endif
  return value == 42 ? 0 : 1;
}
