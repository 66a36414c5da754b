// The Outcome classifiers on their own: results, error codes, expected-like types, exceptions, predicates.
#include <arbiter/resilience/outcome.hpp>

#include <arbiter/resilience/breaker_result.hpp>

#include <gtest/gtest.h>

#include <exception>
#include <stdexcept>
#include <string>
#include <system_error>

namespace {

using arbiter::outcome;

TEST(default_classifier, ClassifiesResults) {
  const arbiter::default_classifier c;
  EXPECT_EQ(c.classify_result(42), outcome::success);
  EXPECT_EQ(c.classify_result(std::string("x")), outcome::success);
  EXPECT_EQ(c.classify_result(std::error_code()), outcome::success);
  EXPECT_EQ(c.classify_result(std::make_error_code(std::errc::timed_out)), outcome::failure);
  EXPECT_EQ(c.classify_result(std::make_error_code(std::errc::operation_canceled)), outcome::ignored);
  EXPECT_EQ(c.classify_result(arbiter::breaker_result<int>(1)), outcome::success);
  EXPECT_EQ(c.classify_result(arbiter::breaker_result<int>(arbiter::rejection{})), outcome::failure);
  EXPECT_EQ(c.classify_result(outcome::force_open), outcome::force_open);
  EXPECT_EQ(c.classify_exception(std::make_exception_ptr(std::runtime_error("x"))), outcome::failure);
}

/// An expected-like type whose error is a std::error_code.
struct code_result {
  std::error_code code;
  [[nodiscard]] bool has_value() const noexcept { return !code; }
  [[nodiscard]] std::error_code error() const noexcept { return code; }
};

TEST(default_classifier, ExpectedLikeErrorCodesFollowTheErrorCodeRules) {
  const arbiter::default_classifier c;
  EXPECT_EQ(c.classify_result(code_result{}), outcome::success);
  EXPECT_EQ(c.classify_result(code_result{std::make_error_code(std::errc::io_error)}), outcome::failure);
  EXPECT_EQ(c.classify_result(code_result{std::make_error_code(std::errc::operation_canceled)}), outcome::ignored);
}

TEST(ignore_exceptions, IgnoresTheListedTypesAndTheirChildren) {
  const arbiter::ignore_exceptions<std::logic_error, int> c;
  EXPECT_EQ(c.classify_exception(std::make_exception_ptr(std::invalid_argument("x"))), outcome::ignored);
  EXPECT_EQ(c.classify_exception(std::make_exception_ptr(7)), outcome::ignored);
  EXPECT_EQ(c.classify_exception(std::make_exception_ptr(std::runtime_error("x"))), outcome::failure);
  EXPECT_EQ(c.classify_exception(nullptr), outcome::failure);
  static_assert(arbiter::OutcomeClassifier<arbiter::ignore_exceptions<std::logic_error>>);
}

TEST(classify_with, UsesThePredicateWhereItApplies) {
  const auto is_bad = [](int status) { return status >= 500; };
  const arbiter::classify_with<decltype(is_bad)> c(is_bad);
  EXPECT_EQ(c.classify_result(503), outcome::failure);
  EXPECT_EQ(c.classify_result(200), outcome::success);
  EXPECT_EQ(c.classify_result(std::make_error_code(std::errc::io_error)), outcome::failure);  // default rules
  EXPECT_EQ(to_string(outcome::ignored), "ignored");
}

}  // namespace
