// The file watcher: the Kubernetes ConfigMap symlink dance, half-written files, and debouncing.
#include <arbiter/config/watcher.hpp>

#include <arbiter/config/json_source.hpp>

#include <arbiter/clock/manual_clock.hpp>
#include <arbiter/config/config.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <boost/hana/adapt_struct.hpp>

namespace watched {
struct server {
  int port = 8080;
};
struct root {
  server srv;
};
}  // namespace watched

BOOST_HANA_ADAPT_STRUCT(watched::server, port);
BOOST_HANA_ADAPT_STRUCT(watched::root, srv);

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

/// A fresh directory under the system temp dir, removed at the end of the test.
struct temp_dir {
  fs::path path;
  temp_dir() {
    path = fs::temp_directory_path() / ("arbiter_watch_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~temp_dir() { fs::remove_all(path); }
};

void write(const fs::path& file, const std::string& text) { std::ofstream(file, std::ios::trunc) << text; }

/// Waits up to `limit` (generous: the machine is shared) for `done`.
bool eventually(const std::function<bool()>& done, std::chrono::milliseconds limit = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return done();
}

using json_config = arbiter::config<watched::root, arbiter::json_source>;

TEST(ConfigWatcher, SurvivesTheKubernetesConfigMapUpdate) {
  temp_dir dir;
  // What kubelet lays out: a timestamped directory, ..data pointing at it, and the file as a symlink into ..data.
  fs::create_directory(dir.path / "..2026_01_01_00_00_00.1");
  write(dir.path / "..2026_01_01_00_00_00.1" / "config.json", R"({"srv": {"port": 9001}})");
  fs::create_directory_symlink("..2026_01_01_00_00_00.1", dir.path / "..data");
  fs::create_symlink("..data/config.json", dir.path / "config.json");

  json_config cfg(arbiter::json_source((dir.path / "config.json").string()));
  ASSERT_EQ(cfg.current()->srv.port, 9001);
  std::atomic<int> notified{0};
  cfg.subscribe([&](const arbiter::reload_event<watched::root>&) { notified.fetch_add(1); });
  const auto watcher = arbiter::watch_files(cfg, {dir.path / "config.json"}, {.debounce = 50ms, .poll = 10ms});

  // The update: a new timestamped directory, ..data_tmp pointing at it, renamed over ..data, the old one removed.
  fs::create_directory(dir.path / "..2026_01_01_00_05_00.2");
  write(dir.path / "..2026_01_01_00_05_00.2" / "config.json", R"({"srv": {"port": 9002}})");
  fs::create_directory_symlink("..2026_01_01_00_05_00.2", dir.path / "..data_tmp");
  fs::rename(dir.path / "..data_tmp", dir.path / "..data");
  fs::remove_all(dir.path / "..2026_01_01_00_00_00.1");

  ASSERT_TRUE(eventually([&] { return cfg.current()->srv.port == 9002; }));
  std::this_thread::sleep_for(300ms);  // several debounce periods: no second reload may follow
  EXPECT_EQ(watcher->changes(), 1U);
  EXPECT_EQ(notified.load(), 1);

  // A second update works the same way.
  fs::create_directory(dir.path / "..2026_01_01_00_10_00.3");
  write(dir.path / "..2026_01_01_00_10_00.3" / "config.json", R"({"srv": {"port": 9003}})");
  fs::create_directory_symlink("..2026_01_01_00_10_00.3", dir.path / "..data_tmp");
  fs::rename(dir.path / "..data_tmp", dir.path / "..data");
  fs::remove_all(dir.path / "..2026_01_01_00_05_00.2");
  ASSERT_TRUE(eventually([&] { return cfg.current()->srv.port == 9003; }));
  EXPECT_EQ(watcher->changes(), 2U);
}

TEST(ConfigWatcher, AHalfWrittenFileNeverReplacesTheGoodConfig) {
  temp_dir dir;
  const auto file = dir.path / "app.json";
  write(file, R"({"srv": {"port": 9001}})");
  json_config cfg(arbiter::json_source(file.string()));
  std::atomic<int> rejected{0};
  cfg.subscribe([&](const arbiter::reload_event<watched::root>& event) {
    if (!event.result.ok()) rejected.fetch_add(1);
    EXPECT_NE(event.current->srv.port, 0);
  });
  const auto watcher = arbiter::watch_files(cfg, {file}, {.debounce = 30ms, .poll = 10ms});

  write(file, R"({"srv": {"po)");  // the writer stopped halfway (and closed the file)
  ASSERT_TRUE(eventually([&] { return rejected.load() == 1; }));
  EXPECT_EQ(cfg.current()->srv.port, 9001);

  write(file, R"({"srv": {"port": 9005}})");
  ASSERT_TRUE(eventually([&] { return cfg.current()->srv.port == 9005; }));
}

TEST(ConfigWatcher, IgnoresOtherFilesAndRewritesOfTheSameContent) {
  temp_dir dir;
  const auto file = dir.path / "app.json";
  write(file, R"({"srv": {"port": 9001}})");
  json_config cfg(arbiter::json_source(file.string()));
  const auto watcher = arbiter::watch_files(cfg, {file}, {.debounce = 20ms, .poll = 5ms});
  write(dir.path / "other.txt", "unrelated");
  write(file, R"({"srv": {"port": 9001}})");
  ASSERT_TRUE(eventually([&] { return watcher->events() >= 1; }));
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(watcher->changes(), 0U);
}

TEST(ConfigWatcher, DebouncesABurstOfWritesOnTheClockPolicy) {
  temp_dir dir;
  const auto file = dir.path / "app.json";
  write(file, R"({"srv": {"port": 9001}})");
  json_config cfg(arbiter::json_source(file.string()));
  arbiter::manual_clock clock;
  const auto watcher = arbiter::watch_files(cfg, {file}, {.debounce = 1s, .poll = 5ms}, clock);

  for (int port = 9002; port <= 9005; ++port) write(file, R"({"srv": {"port": )" + std::to_string(port) + "}}");
  ASSERT_TRUE(eventually([&] { return watcher->events() >= 1; }));
  std::this_thread::sleep_for(100ms);  // real time passes, but the watcher's clock does not
  EXPECT_EQ(watcher->changes(), 0U);
  EXPECT_EQ(cfg.current()->srv.port, 9001);

  // A starved watcher may read the burst's last events only after an advance, which restarts its debounce:
  // advance again while waiting (the burst's file is still read once, so there is still one change).
  ASSERT_TRUE(eventually([&] {
    clock.advance(1s);
    return cfg.current()->srv.port == 9005;
  }));
  EXPECT_EQ(watcher->changes(), 1U) << "one reload for the whole burst";
}

}  // namespace
