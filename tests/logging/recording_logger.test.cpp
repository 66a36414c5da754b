#include <arbiter/logging/null_logger.hpp>
#include <arbiter/logging/recording_logger.hpp>

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace {

TEST(recording_logger, keeps_records_with_fields_as_text) {
  arbiter::recording_logger logger;
  const arbiter::recording_logger copy = logger;
  copy.log(arbiter::log_level::info, "opened", arbiter::kv("name", "db"), arbiter::kv("failures", 5),
           arbiter::kv("ok", true), arbiter::kv("rate", 0.25));
  ASSERT_EQ(logger.size(), 1U);
  const auto record = logger.records().at(0);
  EXPECT_EQ(record.level, arbiter::log_level::info);
  EXPECT_EQ(record.message, "opened");
  EXPECT_EQ(record.field("name"), "db");
  EXPECT_EQ(record.field("failures"), "5");
  EXPECT_EQ(record.field("ok"), "true");
  EXPECT_EQ(record.field("rate"), "0.25");
  EXPECT_EQ(record.field("missing"), std::nullopt);
}

TEST(recording_logger, level_filter_count_last_and_clear) {
  arbiter::recording_logger logger(arbiter::log_level::warn);
  logger.log(arbiter::log_level::debug, "hidden");
  logger.log(arbiter::log_level::warn, "shown", arbiter::kv("n", 1));
  logger.log(arbiter::log_level::error, "shown", arbiter::kv("n", 2));
  EXPECT_EQ(logger.count("hidden"), 0U);
  EXPECT_EQ(logger.count("shown"), 2U);
  ASSERT_TRUE(logger.last("shown").has_value());
  EXPECT_EQ(logger.last("shown")->field("n"), "2");
  logger.clear();
  EXPECT_EQ(logger.size(), 0U);
}

TEST(recording_logger, is_thread_safe) {
  arbiter::recording_logger logger;
  {
    std::vector<std::jthread> workers;
    for (int t = 0; t < 4; ++t) {
      workers.emplace_back([logger] {
        for (int i = 0; i < 1000; ++i) logger.log(arbiter::log_level::info, "x", arbiter::kv("i", i));
      });
    }
  }
  EXPECT_EQ(logger.count("x"), 4000U);
}

TEST(null_logger, is_empty_and_never_enabled) {
  static_assert(std::is_empty_v<arbiter::null_logger>);
  static_assert(!arbiter::null_logger::enabled(arbiter::log_level::critical));
  arbiter::null_logger logger;
  logger.log(arbiter::log_level::critical, "nothing", arbiter::kv("k", 1));
  SUCCEED();
}

TEST(log_level, names_round_trip_and_aliases_parse) {
  for (auto level :
       {arbiter::log_level::trace, arbiter::log_level::debug, arbiter::log_level::info, arbiter::log_level::warn,
        arbiter::log_level::error, arbiter::log_level::critical, arbiter::log_level::off}) {
    EXPECT_EQ(arbiter::parse_log_level(arbiter::to_string(level)), level);
  }
  EXPECT_EQ(arbiter::parse_log_level("WARNING"), arbiter::log_level::warn);
  EXPECT_EQ(arbiter::parse_log_level("Fatal"), arbiter::log_level::critical);
  EXPECT_EQ(arbiter::parse_log_level("verbose"), std::nullopt);
  EXPECT_EQ(arbiter::parse_log_level(""), std::nullopt);
}

}  // namespace
