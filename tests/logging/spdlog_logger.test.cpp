#include <arbiter/logging/spdlog_logger.hpp>

#include <gtest/gtest.h>

#include <spdlog/sinks/ostream_sink.h>

#include <sstream>

namespace {

TEST(spdlog_logger, forwards_level_message_and_fields_as_logfmt) {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_st>(out);
  auto inner = std::make_shared<spdlog::logger>("test", sink);
  inner->set_pattern("%l|%v");
  inner->set_level(spdlog::level::info);
  arbiter::spdlog_logger logger(inner);
  EXPECT_FALSE(logger.enabled(arbiter::log_level::debug));
  EXPECT_TRUE(logger.enabled(arbiter::log_level::warn));
  logger.log(arbiter::log_level::debug, "hidden");
  logger.log(arbiter::log_level::warn, "breaker opened", arbiter::kv("breaker", "db"), arbiter::kv("failures", 5));
  logger.log(arbiter::log_level::error, "plain");
  EXPECT_EQ(out.str(), "warning|breaker opened breaker=db failures=5\nerror|plain\n");
}

}  // namespace
