#include <arbiter/metrics/metric_spec.hpp>

#include <gtest/gtest.h>

#include <limits>
#include <string>

namespace {

using arbiter::metrics_error;

// Specs written as constants are checked by the compiler (the compile-fail tests show the failing side).
constexpr auto requests = arbiter::counter_metric("shop_requests_total", "Requests.", "route", "code");
static_assert(requests.name == "shop_requests_total" && requests.labels[1] == "code");
constexpr double bounds[] = {0.1, 1};
constexpr auto latency =
    arbiter::with_unit(arbiter::histogram_metric("shop_latency_seconds", "Latency.", bounds, "route"), "seconds");
static_assert(latency.unit == "seconds" && latency.buckets.size() == 2);
constexpr auto doubling = arbiter::exponential_buckets<4>(0.001, 2);
static_assert(doubling[0] == 0.001 && doubling[3] == 0.008);

std::string refusal(auto make) {
  try {
    make();
  } catch (const metrics_error& e) {
    return e.what();
  }
  return "accepted";
}

TEST(MetricSpec, EachRuleIsCheckedAtRunTimeTooWithTheMetricNamed) {
  EXPECT_EQ(refusal([] { (void)arbiter::counter_metric("shop requests_total", "R."); }),
            "====> arbiter: a metric name must match [a-zA-Z_:][a-zA-Z0-9_:]* (metric 'shop requests_total')");
  EXPECT_EQ(refusal([] { (void)arbiter::counter_metric("9shop_total", "R."); }),
            "====> arbiter: a metric name must match [a-zA-Z_:][a-zA-Z0-9_:]* (metric '9shop_total')");
  EXPECT_EQ(refusal([] { (void)arbiter::counter_metric("shop_requests", "R."); }),
            "====> arbiter: a counter's name ends with _total (metric 'shop_requests')");
  EXPECT_EQ(refusal([] { (void)arbiter::gauge_metric("shop_depth_total", "D."); }),
            "====> arbiter: only counters end with _total (metric 'shop_depth_total')");
  EXPECT_EQ(refusal([] { (void)arbiter::gauge_metric("shop_depth", ""); }),
            "====> arbiter: every metric needs a HELP text (metric 'shop_depth')");
  EXPECT_EQ(refusal([] { (void)arbiter::gauge_metric("shop_depth", "D.", "__reserved"); }),
            "====> arbiter: a label name must match [a-zA-Z_][a-zA-Z0-9_]* and not start with __ (metric "
            "'shop_depth')");
  EXPECT_EQ(refusal([] { (void)arbiter::gauge_metric("shop_depth", "D.", "a:b"); }),
            "====> arbiter: a label name must match [a-zA-Z_][a-zA-Z0-9_]* and not start with __ (metric "
            "'shop_depth')");
  EXPECT_EQ(refusal([] { (void)arbiter::gauge_metric("shop_depth", "D.", "queue", "queue"); }),
            "====> arbiter: a label name is repeated (metric 'shop_depth')");
  static constexpr double one[] = {1};
  EXPECT_EQ(refusal([] { (void)arbiter::histogram_metric("shop_wait_seconds", "W.", one, "le"); }),
            "====> arbiter: a histogram cannot have a label named le (it is the bucket bound) (metric "
            "'shop_wait_seconds')");
  EXPECT_EQ(refusal([] { (void)arbiter::histogram_metric("shop_wait_count", "W.", one); }),
            "====> arbiter: a histogram's name cannot end with _bucket, _count or _sum (metric 'shop_wait_count')");
  static constexpr double unsorted[] = {1, 0.5};
  EXPECT_EQ(refusal([] { (void)arbiter::histogram_metric("shop_wait_seconds", "W.", unsorted); }),
            "====> arbiter: histogram bucket bounds must be strictly increasing (metric 'shop_wait_seconds')");
  static constexpr double infinite[] = {1, std::numeric_limits<double>::infinity()};
  EXPECT_EQ(refusal([] { (void)arbiter::histogram_metric("shop_wait_seconds", "W.", infinite); }),
            "====> arbiter: histogram bucket bounds are finite numbers (+Inf is implied) (metric "
            "'shop_wait_seconds')");
  EXPECT_EQ(refusal([] { (void)arbiter::histogram_metric("shop_wait_seconds", "W.", {}); }),
            "====> arbiter: a histogram needs 1 to 64 bucket bounds (metric 'shop_wait_seconds')");
  EXPECT_EQ(refusal([] { (void)arbiter::with_unit(arbiter::gauge_metric("shop_size", "S."), "bytes"); }),
            "====> arbiter: a metric with a unit has a name ending in _<unit> (before _total) (metric 'shop_size')");
  EXPECT_EQ(refusal([] { (void)arbiter::with_unit(arbiter::counter_metric("shop_sent_bytes_total", "S."), "bytes"); }),
            "accepted");
  EXPECT_EQ(refusal([] { (void)arbiter::exponential_buckets<3>(0, 2); }),
            "====> arbiter: exponential_buckets needs start > 0 and factor > 1 (metric 'buckets')");
}

}  // namespace
