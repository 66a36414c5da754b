#pragma once

/// \file
/// Everything in the logging area except the opt-in spdlog adapter.

#include <arbiter/logging/fmt_logger.hpp>
#include <arbiter/logging/level.hpp>
#include <arbiter/logging/logger.hpp>
#include <arbiter/logging/null_logger.hpp>
#include <arbiter/logging/recording_logger.hpp>
