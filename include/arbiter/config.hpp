#pragma once

/// \file
/// The whole config area except the opt-in JSON source (arbiter/config/json_source.hpp needs nlohmann/json).
/// The file watcher (inotify) is included on Linux only.

#include <arbiter/config/byte_size.hpp>
#include <arbiter/config/command_line.hpp>
#include <arbiter/config/config.hpp>
#include <arbiter/config/config_metrics.hpp>
#include <arbiter/config/constraints.hpp>
#include <arbiter/config/dump.hpp>
#include <arbiter/config/enum_names.hpp>
#include <arbiter/config/env_source.hpp>
#include <arbiter/config/global.hpp>
#include <arbiter/config/loader.hpp>
#include <arbiter/config/orchestrator_config.hpp>
#include <arbiter/config/override_source.hpp>
#include <arbiter/config/parse.hpp>
#include <arbiter/config/schema.hpp>
#include <arbiter/config/secret.hpp>
#include <arbiter/config/snapshot.hpp>
#include <arbiter/config/source.hpp>
#if defined(__linux__)
#include <arbiter/config/watcher.hpp>
#endif
