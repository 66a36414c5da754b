#include <arbiter/metrics/registry.hpp>

#include <arbiter/metrics/metrics.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <latch>
#include <limits>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "exposition_check.hpp"

namespace {

using arbiter::exposition_format;
using arbiter::metrics_error;
using arbiter::metrics_registry;

constexpr auto requests = arbiter::counter_metric("shop_requests_total", "Requests served.", "route", "code");
constexpr auto queue_depth = arbiter::gauge_metric("shop_queue_depth", "Jobs waiting.");
constexpr double latency_bounds[] = {0.01, 0.1, 1};
constexpr auto latency =
    arbiter::histogram_metric("shop_request_duration_seconds", "Time to serve a request.", latency_bounds, "route");

TEST(MetricsRegistry, CounterCountsAndTheSameLabelsGiveTheSameSeries) {
  metrics_registry metrics;
  const auto a = metrics.counter(requests, {"/a", "200"});
  const auto again = metrics.counter(requests, {"/a", "200"});
  const auto b = metrics.counter(requests, {"/b", "200"});
  a.inc();
  again.inc(4);
  b.inc(2);
  EXPECT_EQ(a.value(), 5u);
  EXPECT_EQ(again.value(), 5u);
  EXPECT_EQ(b.value(), 2u);
}

TEST(MetricsRegistry, CopiesShareTheirMetrics) {
  metrics_registry metrics;
  metrics_registry copy = metrics;
  copy.counter(requests, {"/a", "200"}).inc(3);
  EXPECT_EQ(metrics.counter(requests, {"/a", "200"}).value(), 3u);
}

TEST(MetricsRegistry, GaugeSetsAddsAndSubtracts) {
  metrics_registry metrics;
  const auto depth = metrics.gauge(queue_depth);
  depth.set(4);
  depth.add(2.5);
  depth.sub(1);
  EXPECT_DOUBLE_EQ(depth.value(), 5.5);
}

TEST(MetricsRegistry, HistogramBucketsAreInclusiveUpperBounds) {
  metrics_registry metrics;
  const auto h = metrics.histogram(latency, {"/a"});
  for (const double x : {0.005, 0.01, 0.02, 0.1, 0.5, 1.0, 2.0, -3.0}) h.observe(x);
  h.observe(std::numeric_limits<double>::quiet_NaN());  // not counted
  EXPECT_EQ(h.count(), 8u);
  EXPECT_DOUBLE_EQ(h.sum(), 0.005 + 0.01 + 0.02 + 0.1 + 0.5 + 1.0 + 2.0 - 3.0);
  const std::string text = metrics.expose();
  EXPECT_NE(text.find("shop_request_duration_seconds_bucket{route=\"/a\",le=\"0.01\"} 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("shop_request_duration_seconds_bucket{route=\"/a\",le=\"0.1\"} 5\n"), std::string::npos) << text;
  EXPECT_NE(text.find("shop_request_duration_seconds_bucket{route=\"/a\",le=\"1\"} 7\n"), std::string::npos) << text;
  EXPECT_NE(text.find("shop_request_duration_seconds_bucket{route=\"/a\",le=\"+Inf\"} 8\n"), std::string::npos) << text;
  EXPECT_NE(text.find("shop_request_duration_seconds_count{route=\"/a\"} 8\n"), std::string::npos) << text;
}

TEST(MetricsRegistry, ManyBucketsUseTheSameRuleAsFew) {
  // More than 16 bounds takes the binary search; it must put every value where the linear rule does.
  static constexpr auto bounds = arbiter::exponential_buckets<40>(0.001, 1.5);
  static constexpr auto many = arbiter::histogram_metric("many_seconds", "Many buckets.", bounds);
  metrics_registry metrics;
  const auto h = metrics.histogram(many);
  std::vector<std::uint64_t> expected(bounds.size() + 1, 0);
  for (int i = 0; i < 2000; ++i) {
    const double x = (i % 3 == 0) ? bounds[static_cast<std::size_t>(i) % bounds.size()] : i * 0.013;
    h.observe(x);
    std::size_t bucket = 0;
    while (bucket < bounds.size() && bounds[bucket] < x) ++bucket;
    ++expected[bucket];
  }
  const auto samples = test::parse_exposition(metrics.expose());
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    cumulative += expected[i];
    std::string le;
    arbiter::detail::append_prometheus_number(le, bounds[i]);
    EXPECT_EQ(samples.at("many_seconds_bucket{le=\"" + le + "\"}"), static_cast<double>(cumulative)) << le;
  }
  EXPECT_EQ(samples.at("many_seconds_count"), 2000.0);
}

TEST(MetricsRegistry, CallbackGaugesAreReadAtScrapeTimeUntilUnregistered) {
  metrics_registry metrics;
  double depth = 1;
  auto registration = metrics.gauge_callback(queue_depth, {}, [&] { return depth; });
  EXPECT_NE(metrics.expose().find("shop_queue_depth 1\n"), std::string::npos);
  depth = 7;
  EXPECT_NE(metrics.expose().find("shop_queue_depth 7\n"), std::string::npos);
  EXPECT_THROW((void)metrics.gauge(queue_depth), metrics_error);  // a callback series cannot also be set
  registration.reset();
  const std::string text = metrics.expose();
  EXPECT_EQ(text.find("shop_queue_depth 7"), std::string::npos) << text;
  EXPECT_NE(text.find("# TYPE shop_queue_depth gauge"), std::string::npos) << text;
  auto again = metrics.gauge_callback(queue_depth, {}, [] { return 3.0; });  // the series can be claimed again
  EXPECT_NE(metrics.expose().find("shop_queue_depth 3\n"), std::string::npos);
}

TEST(MetricsRegistry, AThrowingCallbackDropsOnlyItsOwnSeries) {
  static constexpr auto pools = arbiter::gauge_metric("shop_pool_size", "Pool size.", "pool");
  metrics_registry metrics;
  auto bad = metrics.gauge_callback(pools, {"bad"}, []() -> double { throw std::runtime_error("gone"); });
  auto good = metrics.gauge_callback(pools, {"good"}, [] { return 2.0; });
  const std::string text = metrics.expose();
  EXPECT_EQ(text.find("pool=\"bad\""), std::string::npos) << text;
  EXPECT_NE(text.find("shop_pool_size{pool=\"good\"} 2\n"), std::string::npos) << text;
}

TEST(MetricsRegistry, ANameTakenByAnotherMetricIsRefusedNamingBoth) {
  metrics_registry metrics;
  (void)metrics.counter(requests, {"/a", "200"});
  const auto other_labels = arbiter::counter_metric("shop_requests_total", "Requests served.", "route");
  try {
    (void)metrics.counter(other_labels, {"/a"});
    FAIL() << "registered twice";
  } catch (const metrics_error& e) {
    EXPECT_STREQ(e.what(),
                 "metric 'shop_requests_total' is already registered as a counter with labels (route, code) and "
                 "other help, unit or buckets; got a counter with labels (route)");
  }
  const auto as_gauge = arbiter::gauge_metric("shop_requests", "Requests.");  // the OpenMetrics family name
  try {
    (void)metrics.gauge(as_gauge);
    FAIL() << "a gauge took the counter's OpenMetrics name";
  } catch (const metrics_error& e) {
    EXPECT_STREQ(e.what(),
                 "metric 'shop_requests' would write samples named 'shop_requests', which metric "
                 "'shop_requests_total' already writes");
  }
  (void)metrics.histogram(latency, {"/a"});
  const auto bucket_gauge = arbiter::gauge_metric("shop_request_duration_seconds_bucket", "Clash.");
  EXPECT_THROW((void)metrics.gauge(bucket_gauge), metrics_error);
  // Nothing that was registered before is lost.
  EXPECT_NE(metrics.expose().find("shop_requests_total{route=\"/a\",code=\"200\"} 0\n"), std::string::npos);
}

TEST(MetricsRegistry, ASpecBuiltAtRunTimeIsCheckedAtRegistration) {
  metrics_registry metrics;
  const std::string name = "shop-requests_total";  // '-' is outside the grammar
  const arbiter::counter_spec<0> spec{name, "Requests.", {}, {}, {}};
  try {
    (void)metrics.counter(spec);
    FAIL() << "registered a bad name";
  } catch (const metrics_error& e) {
    EXPECT_STREQ(e.what(),
                 "====> arbiter: a metric name must match [a-zA-Z_:][a-zA-Z0-9_:]* (metric 'shop-requests_total')");
  }
  EXPECT_EQ(metrics.expose(), "");
}

TEST(MetricsRegistry, ExposesTheTextFormatExactly) {
  metrics_registry metrics;
  metrics.counter(requests, {"/a", "200"}).inc(3);
  metrics.gauge(queue_depth).set(2.5);
  static constexpr double one_bound[] = {0.5};
  static constexpr auto wait = arbiter::with_unit(
      arbiter::histogram_metric("shop_wait_seconds", "Waiting \"time\".\nSecond line \\ here.", one_bound), "seconds");
  const auto h = metrics.histogram(wait);
  h.observe(0.25);
  h.observe(1);
  EXPECT_EQ(metrics.expose(exposition_format::prometheus_text),
            "# HELP shop_requests_total Requests served.\n"
            "# TYPE shop_requests_total counter\n"
            "shop_requests_total{route=\"/a\",code=\"200\"} 3\n"
            "# HELP shop_queue_depth Jobs waiting.\n"
            "# TYPE shop_queue_depth gauge\n"
            "shop_queue_depth 2.5\n"
            "# HELP shop_wait_seconds Waiting \"time\".\\nSecond line \\\\ here.\n"
            "# TYPE shop_wait_seconds histogram\n"
            "shop_wait_seconds_bucket{le=\"0.5\"} 1\n"
            "shop_wait_seconds_bucket{le=\"+Inf\"} 2\n"
            "shop_wait_seconds_sum 1.25\n"
            "shop_wait_seconds_count 2\n");
  EXPECT_EQ(metrics.expose(exposition_format::openmetrics),
            "# HELP shop_requests Requests served.\n"
            "# TYPE shop_requests counter\n"
            "shop_requests_total{route=\"/a\",code=\"200\"} 3\n"
            "# HELP shop_queue_depth Jobs waiting.\n"
            "# TYPE shop_queue_depth gauge\n"
            "shop_queue_depth 2.5\n"
            "# HELP shop_wait_seconds Waiting \\\"time\\\".\\nSecond line \\\\ here.\n"
            "# TYPE shop_wait_seconds histogram\n"
            "# UNIT shop_wait_seconds seconds\n"
            "shop_wait_seconds_bucket{le=\"0.5\"} 1\n"
            "shop_wait_seconds_bucket{le=\"+Inf\"} 2\n"
            "shop_wait_seconds_sum 1.25\n"
            "shop_wait_seconds_count 2\n"
            "# EOF\n");
}

TEST(MetricsRegistry, LabelValuesAreEscapedAndRepairedToUtf8) {
  metrics_registry metrics;
  metrics.counter(requests, {"a\"b\\c\nd", "\xff\xe2\x82\xac"}).inc();
  const std::string text = metrics.expose();
  EXPECT_NE(text.find("shop_requests_total{route=\"a\\\"b\\\\c\\nd\",code=\"\xEF\xBF\xBD\xe2\x82\xac\"} 1\n"),
            std::string::npos)
      << text;
}

TEST(MetricsRegistry, NonFiniteGaugesUseThePrometheusSpellings) {
  static constexpr auto g = arbiter::gauge_metric("shop_ratio", "A ratio.", "which");
  metrics_registry metrics;
  metrics.gauge(g, {"nan"}).set(std::numeric_limits<double>::quiet_NaN());
  metrics.gauge(g, {"inf"}).set(std::numeric_limits<double>::infinity());
  metrics.gauge(g, {"-inf"}).set(-std::numeric_limits<double>::infinity());
  const std::string text = metrics.expose();
  EXPECT_NE(text.find("shop_ratio{which=\"nan\"} NaN\n"), std::string::npos) << text;
  EXPECT_NE(text.find("shop_ratio{which=\"inf\"} +Inf\n"), std::string::npos) << text;
  EXPECT_NE(text.find("shop_ratio{which=\"-inf\"} -Inf\n"), std::string::npos) << text;
}

// A registry with every kind of metric and awkward label values, as the real tools must read it.
metrics_registry awkward_registry() {
  metrics_registry metrics;
  metrics.counter(requests, {"/a", "200"}).inc(12);
  metrics.counter(requests, {"quote\" backslash\\ newline\n", "\xc3\x28"}).inc(1);
  metrics.gauge(queue_depth).set(-4.25);
  static constexpr auto ratio = arbiter::gauge_metric("shop_ratio", "Ratio \\ with \"quotes\"\nand lines.", "k");
  metrics.gauge(ratio, {"nan"}).set(std::numeric_limits<double>::quiet_NaN());
  metrics.gauge(ratio, {"big"}).set(1e300);
  const auto h = metrics.histogram(latency, {"/a"});
  for (const double x : {0.001, 0.05, 0.5, 5.0}) h.observe(x);
  (void)metrics.histogram(latency, {"/never"});
  static constexpr auto bytes =
      arbiter::with_unit(arbiter::counter_metric("shop_sent_bytes_total", "Bytes sent."), "bytes");
  metrics.counter(bytes).inc(1u << 20);
  return metrics;
}

TEST(MetricsRegistry, PromtoolAcceptsTheTextFormat) {
  const test::command_result result = test::run_with_input(
      ARBITER_PROMTOOL " check metrics", awkward_registry().expose(exposition_format::prometheus_text));
  EXPECT_EQ(result.status, 0) << result.output;
  EXPECT_EQ(result.output, "");
}

TEST(MetricsRegistry, PromtoolRejectsWhatItShould) {
  // The check above can fail: promtool does reject a broken exposition.
  const test::command_result result =
      test::run_with_input(ARBITER_PROMTOOL " check metrics", "# TYPE x counter\nx{a=\"1} 1\n");
  EXPECT_NE(result.status, 0) << result.output;
}

TEST(MetricsRegistry, TheOpenMetricsParserReadsBackEverySample) {
  const metrics_registry metrics = awkward_registry();
  const std::string text = metrics.expose(exposition_format::openmetrics);
  const test::command_result result = test::run_with_input(ARBITER_PYTHON3 " " ARBITER_OPENMETRICS_SCRIPT, text);
  ASSERT_EQ(result.status, 0) << result.output << "\n" << text;
  // The parser prints one `family type name{labels} value` line per sample; compare with our own reading.
  EXPECT_NE(result.output.find("shop_requests counter shop_requests_total{code=\"200\",route=\"/a\"} 12.0\n"),
            std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("shop_request_duration_seconds histogram "
                               "shop_request_duration_seconds_bucket{le=\"+Inf\",route=\"/a\"} 4.0\n"),
            std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("shop_sent_bytes counter shop_sent_bytes_total{} 1048576.0\n"), std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("shop_ratio gauge shop_ratio{k=\"nan\"} nan\n"), std::string::npos) << result.output;
  const auto ours = test::parse_exposition(text);
  std::size_t lines = 0;
  for (char c : result.output) lines += c == '\n' ? 1 : 0;
  EXPECT_EQ(lines, ours.size()) << result.output;
}

TEST(MetricsRegistry, EveryLineParsesBackInBothFormats) {
  const metrics_registry metrics = awkward_registry();
  for (const auto format : {exposition_format::prometheus_text, exposition_format::openmetrics}) {
    const auto samples = test::parse_exposition(metrics.expose(format));
    EXPECT_EQ(samples.at("shop_requests_total{route=\"/a\",code=\"200\"}"), 12.0);
    EXPECT_EQ(samples.at("shop_queue_depth"), -4.25);
    EXPECT_EQ(samples.at("shop_ratio{k=\"big\"}"), 1e300);
    EXPECT_EQ(samples.at("shop_request_duration_seconds_bucket{route=\"/a\",le=\"0.01\"}"), 1.0);
    EXPECT_EQ(samples.at("shop_request_duration_seconds_bucket{route=\"/never\",le=\"+Inf\"}"), 0.0);
    EXPECT_EQ(samples.at("shop_request_duration_seconds_sum{route=\"/a\"}"), 0.001 + 0.05 + 0.5 + 5.0);
  }
}

// ---- threads ----------------------------------------------------------------

TEST(MetricsRegistryThreads, CountsFromManyThreadsAddUpExactly) {
  metrics_registry metrics;
  const auto c = metrics.counter(requests, {"/a", "200"});
  const auto h = metrics.histogram(latency, {"/a"});
  constexpr int threads = 4;
  constexpr int per_thread = 50000;
  std::atomic<bool> done{false};
  std::uint64_t last_seen = 0;
  bool monotonic = true;
  std::thread scraper([&] {
    while (!done.load()) {
      const std::uint64_t now = c.value();
      if (now < last_seen) monotonic = false;
      last_seen = now;
      (void)metrics.expose();
    }
  });
  std::vector<std::thread> writers;
  for (int t = 0; t < threads; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        c.inc();
        h.observe(t * 0.3);
      }
    });
  }
  for (auto& w : writers) w.join();
  done = true;
  scraper.join();
  EXPECT_TRUE(monotonic) << "a scrape saw the counter go down";
  EXPECT_EQ(c.value(), std::uint64_t{threads} * per_thread);
  EXPECT_EQ(h.count(), std::uint64_t{threads} * per_thread);
  EXPECT_NEAR(h.sum(), per_thread * (0 + 0.3 + 0.6 + 0.9), 1e-6);
}

TEST(MetricsRegistryThreads, CountsSurviveTheThreadsThatMadeThem) {
  // Threads come and go (and reuse each other's slots): what they counted stays.
  metrics_registry metrics;
  const auto c = metrics.counter(requests, {"/a", "200"});
  for (int round = 0; round < 20; ++round) {
    std::vector<std::thread> batch;
    for (int t = 0; t < 8; ++t) {
      batch.emplace_back([&] {
        for (int i = 0; i < 100; ++i) c.inc();
      });
    }
    for (auto& w : batch) w.join();
    ASSERT_EQ(c.value(), std::uint64_t(round + 1) * 800);
  }
}

TEST(MetricsRegistryThreads, MoreThreadsThanSlotsShareOneSlotCorrectly) {
  metrics_registry metrics;
  const auto c = metrics.counter(requests, {"/a", "200"});
  const auto h = metrics.histogram(latency, {"/a"});
  constexpr std::size_t threads = arbiter::detail::max_thread_slots + 20;
  std::latch all_alive(static_cast<std::ptrdiff_t>(threads));
  std::vector<std::thread> pool;
  for (std::size_t t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      all_alive.arrive_and_wait();  // every thread holds its slot at once: the last ones get the shared slot
      for (int i = 0; i < 50; ++i) {
        c.inc();
        h.observe(0.05);
      }
    });
  }
  for (auto& w : pool) w.join();
  EXPECT_EQ(c.value(), threads * 50);
  EXPECT_EQ(h.count(), threads * 50);
  EXPECT_NEAR(h.sum(), static_cast<double>(threads) * 50 * 0.05, 1e-9);
}

TEST(MetricsRegistryThreads, RegisteringWhileOthersWriteAndScrape) {
  metrics_registry metrics;
  std::atomic<bool> done{false};
  std::thread scraper([&] {
    while (!done.load()) (void)metrics.expose(exposition_format::openmetrics);
  });
  std::vector<std::thread> writers;
  for (int t = 0; t < 3; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < 300; ++i) {
        std::string route = std::to_string(i % 50);  // not "/" + ...: g++ 12 -O3 warns falsely (-Wrestrict) on it
        route.insert(route.begin(), '/');
        metrics.counter(requests, {route, std::to_string(t)}).inc();
      }
    });
  }
  for (auto& w : writers) w.join();
  done = true;
  scraper.join();
  std::uint64_t total = 0;
  for (const auto& [key, value] : test::parse_exposition(metrics.expose())) total += static_cast<std::uint64_t>(value);
  EXPECT_EQ(total, 900u);
}

}  // namespace

namespace {

TEST(MetricsRegistry, CallbackCountersReadACountKeptElsewhere) {
  static constexpr auto spans = arbiter::counter_metric("shop_spans_total", "Spans.", "kind");
  metrics_registry metrics;
  std::uint64_t kept = 41;
  auto registration = metrics.counter_callback(spans, {"a"}, [&] { return static_cast<double>(kept); });
  ++kept;
  EXPECT_NE(metrics.expose().find("shop_spans_total{kind=\"a\"} 42\n"), std::string::npos) << metrics.expose();
  EXPECT_THROW((void)metrics.counter(spans, {"a"}), metrics_error);  // the series is the callback's
  metrics.counter(spans, {"b"}).inc();                               // another series of the family is not
  registration.reset();
  EXPECT_EQ(metrics.expose().find("kind=\"a\""), std::string::npos) << metrics.expose();
  EXPECT_NE(metrics.expose().find("shop_spans_total{kind=\"b\"} 1\n"), std::string::npos) << metrics.expose();
}

}  // namespace

static_assert(arbiter::Metrics<arbiter::metrics_registry>);
static_assert(arbiter::assert_metrics<arbiter::metrics_registry>());

namespace {

TEST(MetricsRegistry, AMovedCallbackRegistrationStillUnregisters) {
  metrics_registry metrics;
  std::vector<arbiter::metric_callback> kept;
  kept.push_back(metrics.gauge_callback(queue_depth, {}, [] { return 5.0; }));
  for (int i = 0; i < 8; ++i) kept.reserve(kept.capacity() * 2);  // moves the registration around
  arbiter::metric_callback moved_again = std::move(kept.front());
  kept.clear();  // the moved-from one must not unregister anything
  EXPECT_NE(metrics.expose().find("shop_queue_depth 5\n"), std::string::npos);
  moved_again.reset();
  EXPECT_EQ(metrics.expose().find("shop_queue_depth 5\n"), std::string::npos) << metrics.expose();
}

}  // namespace
