#pragma once

/// \file
/// Reading a whole config file: shared by the file sources (JSON, TOML), which parse text they hold in full.

#include <fstream>
#include <sstream>
#include <string>
#include <utility>

#include <arbiter/version.hpp>

namespace arbiter::inline v1::detail {

/// Reads the file at `path` into `text`, as bytes; returns false (leaving `text` as it was) when it cannot be
/// opened.
[[nodiscard]] inline bool read_file_text(const std::string& path, std::string& text) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return false;
  std::ostringstream buffer;
  buffer << file.rdbuf();
  text = std::move(buffer).str();
  return true;
}

}  // namespace arbiter::inline v1::detail
