// Snapshots under concurrency: readers never see a torn config while another thread reloads repeatedly.
#include <arbiter/config/config.hpp>
#include <arbiter/config/override_source.hpp>
#include <arbiter/config/snapshot.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <boost/hana/adapt_struct.hpp>

namespace stress {

/// Every field of a consistent snapshot holds the same generation number, so a torn read shows at once.
struct pair_section {
  std::int64_t a = 0;
  std::int64_t b = 0;
};
struct torn_config {
  pair_section first;
  pair_section second;
  std::string label = "0";
};

}  // namespace stress

BOOST_HANA_ADAPT_STRUCT(stress::pair_section, a, b);
BOOST_HANA_ADAPT_STRUCT(stress::torn_config, first, second, label);

namespace {

/// A source whose every field reads the current generation.
struct generation_source {
  std::shared_ptr<std::atomic<std::int64_t>> generation = std::make_shared<std::atomic<std::int64_t>>(0);
  template <class Schema>
  void read(arbiter::source_output& out) const {
    const std::string g = std::to_string(generation->load());
    for (const char* path : {"first.a", "first.b", "second.a", "second.b", "label"}) {
      out.entries.push_back({path, arbiter::raw_value::scalar(g), {arbiter::origin_kind::override_value, path}});
    }
  }
};

TEST(ConfigSnapshot, ReadersNeverSeeATornConfigWhileReloading) {
  generation_source source;
  arbiter::config<stress::torn_config, generation_source> cfg(source);
  std::atomic<bool> stop{false};
  std::atomic<std::int64_t> torn{0};
  std::atomic<std::int64_t> reads{0};
  std::atomic<std::int64_t> went_back{0};

  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&] {
      std::int64_t last = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        const auto snap = cfg.current();
        const auto g = snap->first.a;
        if (snap->first.b != g || snap->second.a != g || snap->second.b != g || snap->label != std::to_string(g)) {
          torn.fetch_add(1);
        }
        if (g < last) went_back.fetch_add(1);
        last = g;
        reads.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(400);
  std::int64_t reloads = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    source.generation->fetch_add(1);
    const auto result = cfg.reload();
    ASSERT_TRUE(result.applied);
    ++reloads;
  }
  stop = true;
  for (auto& t : readers) t.join();

  EXPECT_EQ(torn.load(), 0);
  EXPECT_EQ(went_back.load(), 0) << "a reader saw an older snapshot after a newer one";
  EXPECT_GT(reloads, 10);
  EXPECT_GT(reads.load(), reloads);
  EXPECT_EQ(cfg.current()->first.a, source.generation->load());
}

TEST(ConfigSnapshot, OutlivesItsConfigAndTheNextReload) {
  generation_source source;
  arbiter::snapshot<stress::torn_config> kept;
  {
    arbiter::config<stress::torn_config, generation_source> cfg(source);
    kept = cfg.current();
    source.generation->store(5);
    ASSERT_TRUE(cfg.reload().applied);
    EXPECT_EQ(cfg.current()->first.a, 5);
  }
  EXPECT_EQ(kept->first.a, 0);
  EXPECT_EQ(kept.shared()->label, "0");
}

TEST(ConfigSnapshot, TwoStoresOfOneSchemaDoNotShareACache) {
  std::vector<std::unique_ptr<arbiter::snapshot_store<stress::torn_config>>> stores;
  for (std::int64_t i = 0; i < 9; ++i) {  // more stores than cache slots, so slots are shared
    arbiter::snapshot_data<stress::torn_config> data;
    data.value.first.a = i;
    stores.push_back(std::make_unique<arbiter::snapshot_store<stress::torn_config>>(std::move(data)));
  }
  for (int round = 0; round < 3; ++round) {
    for (std::int64_t i = 0; i < 9; ++i) EXPECT_EQ(stores[static_cast<std::size_t>(i)]->current()->first.a, i);
  }
}

}  // namespace
