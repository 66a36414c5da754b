#pragma once

/// \file
/// std::function, std::reference_wrapper (std::ref, std::cref) and detail::invoke (std::invoke) without the rest
/// of <functional>: in C++20 libstdc++'s <functional> adds the searchers, std::bind and <unordered_map>, about
/// 0.1 to 0.2 s of every translation unit. With libstdc++ the pieces come from its own lighter headers;
/// elsewhere from <functional>.

#include <type_traits>
#include <utility>
#include <version>

#if defined(__GLIBCXX__) && __has_include(<bits/std_function.h>) && __has_include(<bits/refwrap.h>) && \
    __has_include(<bits/invoke.h>)
#define ARBITER_DETAIL_LIGHT_FUNCTIONAL 1
#include <bits/invoke.h>
#include <bits/refwrap.h>
#include <bits/std_function.h>
#else
#include <functional>
#endif

#include <arbiter/version.hpp>

namespace arbiter::inline v1::detail {

/// Calls `fn` with `args` as std::invoke does (member pointers included).
template <class F, class... Args>
constexpr std::invoke_result_t<F, Args...> invoke(F&& fn,
                                                  Args&&... args) noexcept(std::is_nothrow_invocable_v<F, Args...>) {
#if defined(ARBITER_DETAIL_LIGHT_FUNCTIONAL)
  return std::__invoke(std::forward<F>(fn), std::forward<Args>(args)...);  // what std::invoke calls
#else
  return std::invoke(std::forward<F>(fn), std::forward<Args>(args)...);
#endif
}

}  // namespace arbiter::inline v1::detail

#undef ARBITER_DETAIL_LIGHT_FUNCTIONAL
