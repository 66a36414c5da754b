// A classifier must say what an exception means; its twin does.
#include <exception>

#include <arbiter/resilience/circuit_breaker.hpp>

struct status_classifier {
  using policy_kind = arbiter::outcome_classifier_policy;
  template <class R>
  arbiter::outcome classify_result(const R& /*result*/) const noexcept {
    return arbiter::outcome::success;
  }
#ifndef ARBITER_EXPECT_FAIL
  arbiter::outcome classify_exception(const std::exception_ptr& /*error*/) const noexcept {
    return arbiter::outcome::failure;
  }
#endif
};

int main() {
  arbiter::circuit_breaker<status_classifier> b;
  return b.execute([] { return 1; }) == 1 ? 0 : 1;
}
