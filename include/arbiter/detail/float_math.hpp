#pragma once

/// \file
/// The few <cmath> functions arbiter uses, without <cmath>: its declarations (the C++17 special functions
/// included) cost about 0.2 s of every translation unit. g++ and clang provide them as builtins (calls into libm
/// where they are not folded); other compilers get <cmath>.

#include <arbiter/version.hpp>

#if !defined(__GNUC__)
#include <cmath>
#endif

namespace arbiter::inline v1::detail {

#if defined(__GNUC__)
/// Returns true when `v` is a NaN.
[[nodiscard]] inline bool is_nan(double v) noexcept { return __builtin_isnan(v); }
[[nodiscard]] inline bool is_nan(float v) noexcept { return __builtin_isnan(v); }
/// Returns true when `v` is neither infinite nor a NaN.
[[nodiscard]] inline bool is_finite(double v) noexcept { return __builtin_isfinite(v); }
[[nodiscard]] inline bool is_finite(float v) noexcept { return __builtin_isfinite(v); }
/// Returns `base` raised to `exponent`, as std::pow.
[[nodiscard]] inline double power(double base, double exponent) noexcept { return __builtin_pow(base, exponent); }
#else
[[nodiscard]] inline bool is_nan(double v) noexcept { return std::isnan(v); }
[[nodiscard]] inline bool is_nan(float v) noexcept { return std::isnan(v); }
[[nodiscard]] inline bool is_finite(double v) noexcept { return std::isfinite(v); }
[[nodiscard]] inline bool is_finite(float v) noexcept { return std::isfinite(v); }
[[nodiscard]] inline double power(double base, double exponent) noexcept { return std::pow(base, exponent); }
#endif

}  // namespace arbiter::inline v1::detail
