// A fallback must return what the call returns; its twin does.
#include <string>

#include <arbiter/resilience/circuit_breaker.hpp>

struct reply {
  std::string body;
};

int main() {
  arbiter::circuit_breaker<> b;
#ifdef ARBITER_EXPECT_FAIL
  const reply r = b.execute([] { return reply{"live"}; }, [] { return 404; });
#else
  const reply r = b.execute([] { return reply{"live"}; }, [] { return reply{"cached"}; });
#endif
  return r.body == "live" ? 0 : 1;
}
