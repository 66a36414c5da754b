#pragma once
// Test helper shared by the file-source tests: every text an error of a config file can reach.

#include <arbiter/config.hpp>
#include <arbiter/logging/recording_logger.hpp>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace config_test {

/// Loads `text` from the file `name` (in the temporary folder) through `Source`, at start and then on a reload
/// after `valid` loaded, and returns every message an error reaches: what(), issues(), the reload's issues and
/// the "config reload rejected" log line.
template <class Schema, class Source>
std::vector<std::string> every_error_text(const std::string& name, const std::string& valid, const std::string& text) {
  const auto path = std::filesystem::temp_directory_path() / name;
  std::vector<std::string> out;
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
  try {
    const arbiter::config<Schema, Source> cfg{Source(path.string())};
    ADD_FAILURE() << "loaded: " << text;
  } catch (const arbiter::config_error& e) {
    out.emplace_back(e.what());
    for (const auto& issue : e.issues()) out.push_back(issue.path + " " + issue.message);
  }
  std::ofstream(path, std::ios::binary | std::ios::trunc) << valid;
  arbiter::recording_logger log;
  arbiter::basic_config<Schema, arbiter::recording_logger, Source> cfg(log, Source(path.string()));
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
  const auto result = cfg.reload();
  std::filesystem::remove(path);
  EXPECT_FALSE(result.ok());
  for (const auto& issue : result.issues) out.push_back(issue.path + " " + issue.message);
  const auto record = log.last("config reload rejected");
  if (record) {
    out.push_back(record->field("path").value_or("") + " " + record->field("problem").value_or(""));
  } else {
    ADD_FAILURE() << "no reload rejected log for: " << text;
  }
  return out;
}

}  // namespace config_test
