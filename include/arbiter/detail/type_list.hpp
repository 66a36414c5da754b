#pragma once

/// \file
/// detail::type_list<T...>: a list of types, for folds and pattern matching over packs.

namespace arbiter::inline v1::detail {

template <class... T>
struct type_list {};

}  // namespace arbiter::inline v1::detail
