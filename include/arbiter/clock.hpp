#pragma once

/// \file
/// Every clock policy.

#include <arbiter/clock/clock.hpp>
#include <arbiter/clock/coarse_clock.hpp>
#include <arbiter/clock/manual_clock.hpp>
#include <arbiter/clock/tsc_clock.hpp>
