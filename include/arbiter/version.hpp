#pragma once

/// \file
/// arbiter's version, and the versioned inline namespace every public name lives in.

#define ARBITER_VERSION_MAJOR 0
#define ARBITER_VERSION_MINOR 1
#define ARBITER_VERSION_PATCH 0

namespace arbiter::inline v1 {

/// The library version as major * 10000 + minor * 100 + patch.
inline constexpr int version = ARBITER_VERSION_MAJOR * 10000 + ARBITER_VERSION_MINOR * 100 + ARBITER_VERSION_PATCH;

}  // namespace arbiter::inline v1
