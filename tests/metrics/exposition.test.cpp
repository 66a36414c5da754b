#include <arbiter/metrics/exposition.hpp>

#include <gtest/gtest.h>

namespace {

using arbiter::exposition_format;
using arbiter::negotiate_exposition;

// What Prometheus 2.42 (Debian 12's) sends when it scrapes.
constexpr const char* prometheus_accept =
    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
    "text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

static_assert(negotiate_exposition(prometheus_accept) == exposition_format::openmetrics);  // works at compile time

TEST(Exposition, PrometheusGetsOpenMetrics) {
  EXPECT_EQ(negotiate_exposition(prometheus_accept), exposition_format::openmetrics);
  EXPECT_EQ(negotiate_exposition("application/openmetrics-text"), exposition_format::openmetrics);
  EXPECT_EQ(negotiate_exposition("Application/OpenMetrics-Text; Version=\"1.0.0\"; charset=utf-8"),
            exposition_format::openmetrics);
}

TEST(Exposition, EverythingElseGetsTheTextFormat) {
  EXPECT_EQ(negotiate_exposition(""), exposition_format::prometheus_text);
  EXPECT_EQ(negotiate_exposition("*/*"), exposition_format::prometheus_text);
  EXPECT_EQ(negotiate_exposition("text/plain"), exposition_format::prometheus_text);
  EXPECT_EQ(negotiate_exposition("text/plain;version=0.0.4"), exposition_format::prometheus_text);
  EXPECT_EQ(negotiate_exposition("application/json"), exposition_format::prometheus_text);
  // Only the older OpenMetrics draft: we do not write it, so the text format it is.
  EXPECT_EQ(negotiate_exposition("application/openmetrics-text;version=0.0.1"), exposition_format::prometheus_text);
}

TEST(Exposition, TheHighestQualityWinsAndZeroMeansNo) {
  EXPECT_EQ(negotiate_exposition("application/openmetrics-text;q=0.2, text/plain;q=0.9"),
            exposition_format::prometheus_text);
  EXPECT_EQ(negotiate_exposition("text/plain;q=0.3, application/openmetrics-text;q=0.4"),
            exposition_format::openmetrics);
  EXPECT_EQ(negotiate_exposition("application/openmetrics-text;q=0, */*;q=0.1"), exposition_format::prometheus_text);
  EXPECT_EQ(negotiate_exposition("text/plain;q=0.5, application/openmetrics-text;q=0.5"),
            exposition_format::prometheus_text);  // equals: the first listed
  // A malformed q drops its range, not the header.
  EXPECT_EQ(negotiate_exposition("application/openmetrics-text;q=high, text/plain"),
            exposition_format::prometheus_text);
  EXPECT_EQ(negotiate_exposition("application/openmetrics-text;q=1.5"), exposition_format::prometheus_text);
}

TEST(Exposition, ContentTypesNameTheFormatAndCharset) {
  EXPECT_EQ(arbiter::content_type(exposition_format::prometheus_text), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(arbiter::content_type(exposition_format::openmetrics),
            "application/openmetrics-text; version=1.0.0; charset=utf-8");
}

TEST(Exposition, QValuesParseAsRfc9110Defines) {
  EXPECT_DOUBLE_EQ(arbiter::detail::parse_qvalue("1"), 1.0);
  EXPECT_DOUBLE_EQ(arbiter::detail::parse_qvalue("0.125"), 0.125);
  EXPECT_DOUBLE_EQ(arbiter::detail::parse_qvalue("1.000"), 1.0);
  EXPECT_LT(arbiter::detail::parse_qvalue("1.001"), 0);
  EXPECT_LT(arbiter::detail::parse_qvalue("0.1234"), 0);
  EXPECT_LT(arbiter::detail::parse_qvalue(""), 0);
}

}  // namespace
