// A type without `enabled` is not a Logger; its twin with `enabled` is.
#include <arbiter/logging/logger.hpp>

struct almost_logger {
#ifndef ARBITER_EXPECT_FAIL
  [[nodiscard]] bool enabled(arbiter::log_level /*level*/) const noexcept { return true; }
#endif
  template <class... T>
  void log(arbiter::log_level /*level*/, std::string_view /*message*/, const arbiter::log_field<T>&... /*fields*/) {}
};

static_assert(arbiter::assert_logger<almost_logger>());

int main() {}
