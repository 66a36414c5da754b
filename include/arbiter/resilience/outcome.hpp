#pragma once

/// \file
/// What a call's result or exception means to a breaker (the Outcome classifier policy), and the policy-kind
/// tags every resilience policy carries so circuit_breaker<...> can take its policies in any order.
///
/// A classifier has
///   template <class R> outcome classify_result(const R& result) const;   // for every result type it sees
///   outcome classify_exception(const std::exception_ptr& error) const;
/// and `using policy_kind = arbiter::outcome_classifier_policy;`.

#include <concepts>
#include <cstdint>
#include <exception>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>

#include <arbiter/version.hpp>

namespace arbiter::inline v1 {

/// Kind tags: a policy says which slot of circuit_breaker<...> it fills with `using policy_kind = <tag>;`.
struct failure_detector_policy {};
struct sync_policy {};
struct timing_policy {};
struct outcome_classifier_policy {};
struct stats_policy {};

/// What one call meant. `ignored` calls count for nothing (a cancelled call); `force_open` and `force_close`
/// move the breaker at once, whatever its detector says (a downstream that answered "go away for a while").
enum class outcome : std::uint8_t { success, failure, ignored, force_open, force_close };

[[nodiscard]] constexpr std::string_view to_string(outcome value) noexcept {
  switch (value) {
    case outcome::success:
      return "success";
    case outcome::failure:
      return "failure";
    case outcome::ignored:
      return "ignored";
    case outcome::force_open:
      return "force_open";
    case outcome::force_close:
      return "force_close";
  }
  return "unknown";
}

namespace detail {

/// Types shaped like std::expected: has_value() and error().
template <class R>
concept expected_like = requires(const R& r) {
  { r.has_value() } -> std::convertible_to<bool>;
  r.error();
};

/// Returns the outcome of an error code: zero is success, "operation cancelled" is neutral, the rest fail.
[[nodiscard]] inline outcome error_code_outcome(const std::error_code& code) noexcept {
  if (!code) return outcome::success;
  if (code == std::errc::operation_canceled) return outcome::ignored;
  return outcome::failure;
}

template <class C>
concept classifier_has_kind = std::same_as<typename C::policy_kind, outcome_classifier_policy>;

template <class C>
concept classifier_has_exception = requires(const C& c, const std::exception_ptr& e) {
  { c.classify_exception(e) } -> std::same_as<outcome>;
};

}  // namespace detail

/// An Outcome classifier policy (see the file comment).
template <class C>
concept OutcomeClassifier =
    detail::classifier_has_kind<C> && detail::classifier_has_exception<C> && std::copy_constructible<C>;

/// Checks that `C` is an Outcome classifier and says what is missing if it is not.
template <class C>
consteval bool assert_outcome_classifier() {
  static_assert(detail::classifier_has_exception<C>,
                "====> arbiter: the Outcome classifier lacks `arbiter::outcome classify_exception(const "
                "std::exception_ptr&) const`; derive from arbiter::default_classifier to keep the default rules.");
  static_assert(std::copy_constructible<C>, "====> arbiter: the Outcome classifier must be copyable.");
  return true;
}

/// The default rules: every exception fails; a std::error_code fails when set (cancellation is neutral);
/// an expected-like result fails without a value; `arbiter::outcome` results say what they mean; all else succeeds.
struct default_classifier {
  using policy_kind = outcome_classifier_policy;

  template <class R>
  [[nodiscard]] constexpr outcome classify_result(const R& result) const noexcept {
    if constexpr (std::is_same_v<R, outcome>) {
      return result;
    } else if constexpr (std::is_same_v<R, std::error_code>) {
      return detail::error_code_outcome(result);
    } else if constexpr (detail::expected_like<R>) {
      if (result.has_value()) return outcome::success;
      if constexpr (std::is_same_v<std::remove_cvref_t<decltype(result.error())>, std::error_code>) {
        return detail::error_code_outcome(result.error());
      } else {
        return outcome::failure;
      }
    } else {
      return outcome::success;
    }
  }

  [[nodiscard]] outcome classify_exception(const std::exception_ptr& /*error*/) const noexcept {
    return outcome::failure;
  }
};

/// The default rules, except that exceptions of the types `E...` (or derived from them) are neutral.
template <class... E>
struct ignore_exceptions : default_classifier {
  [[nodiscard]] outcome classify_exception(const std::exception_ptr& error) const noexcept {
#if defined(__cpp_exceptions)
    if (!error) return outcome::failure;
    try {
      std::rethrow_exception(error);
    } catch (...) {
      return match<E...>();
    }
#else
    (void)error;
    return outcome::failure;
#endif
  }

 private:
#if defined(__cpp_exceptions)
  template <class First = void, class... Rest>
  static outcome match() noexcept {
    if constexpr (std::is_void_v<First>) {
      return outcome::failure;
    } else {
      try {
        throw;
      } catch (const First&) {
        return outcome::ignored;
      } catch (...) {
        return match<Rest...>();
      }
    }
  }
#endif
};

/// Classifies results with a user predicate: `f(result)` returns an arbiter::outcome, or a bool that is true
/// for a failure. Results `f` cannot take, and exceptions, follow the default rules.
template <class F>
struct classify_with : default_classifier {
  F predicate;

  constexpr classify_with() = default;
  constexpr explicit classify_with(F f) : predicate(std::move(f)) {}

  template <class R>
  [[nodiscard]] constexpr outcome classify_result(const R& result) const {
    if constexpr (std::is_invocable_v<const F&, const R&>) {
      if constexpr (std::is_same_v<std::invoke_result_t<const F&, const R&>, outcome>) {
        return predicate(result);
      } else {
        static_assert(
            std::is_convertible_v<std::invoke_result_t<const F&, const R&>, bool>,
            "====> arbiter: classify_with's predicate must return arbiter::outcome or bool (true = failure).");
        return predicate(result) ? outcome::failure : outcome::success;
      }
    } else {
      return default_classifier::classify_result(result);
    }
  }
};

static_assert(OutcomeClassifier<default_classifier>);
static_assert(std::is_empty_v<default_classifier>);

}  // namespace arbiter::inline v1
