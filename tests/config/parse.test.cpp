// Value parsers: every type's happy path and its edge cases (overflow, sign, exponents, whitespace, units).
#include <arbiter/config/parse.hpp>

#include <chrono>
#include <cstdint>
#include <string>

#include <gtest/gtest.h>

namespace {

using namespace std::chrono_literals;
using arbiter::byte_size;
using arbiter::parse_problem;

enum class color : std::uint8_t { red, dark_green };
constexpr auto enum_entries(color /*tag*/) {
  return std::array{arbiter::enum_entry<color>{color::red, "red"},
                    arbiter::enum_entry<color>{color::dark_green, "dark_green"}};
}

template <class T>
T parsed(std::string_view text, arbiter::parse_options options = {}) {
  T value{};
  const parse_problem problem = arbiter::parse_scalar(text, value, options);
  EXPECT_FALSE(problem) << text << ": " << problem.value_or("");
  return value;
}

template <class T>
std::string problem_of(std::string_view text, arbiter::parse_options options = {}) {
  T value{};
  const parse_problem problem = arbiter::parse_scalar(text, value, options);
  EXPECT_TRUE(problem) << "'" << text << "' was accepted";
  return problem.value_or("");
}

TEST(ParseInteger, ReadsDecimalWithSignAndWhitespace) {
  EXPECT_EQ(parsed<int>("42"), 42);
  EXPECT_EQ(parsed<int>("-17"), -17);
  EXPECT_EQ(parsed<int>("+5"), 5);
  EXPECT_EQ(parsed<int>("  8080\n"), 8080);
  EXPECT_EQ(parsed<std::int64_t>("-9223372036854775808"), INT64_MIN);
  EXPECT_EQ(parsed<std::uint64_t>("18446744073709551615"), UINT64_MAX);
  EXPECT_EQ(parsed<std::uint8_t>("255"), 255);
  EXPECT_EQ(parsed<unsigned>("-0"), 0U);
}

TEST(ParseInteger, RejectsOverflowWithTheBound) {
  EXPECT_EQ(problem_of<std::uint16_t>("70000"), "is above the maximum 65535");
  EXPECT_EQ(problem_of<std::int8_t>("-129"), "is below the minimum -128");
  EXPECT_EQ(problem_of<std::int64_t>("9223372036854775808"), "is above the maximum 9223372036854775807");
  EXPECT_EQ(problem_of<std::uint64_t>("99999999999999999999999"), "is above the maximum 18446744073709551615");
}

TEST(ParseInteger, RejectsNegativeIntoUnsigned) {
  EXPECT_EQ(problem_of<unsigned>("-1"), "is negative, expected an unsigned integer");
  EXPECT_EQ(problem_of<std::uint64_t>("-99999999999999999999999"), "is negative, expected an unsigned integer");
  EXPECT_EQ(problem_of<unsigned>("-x"), "is not an unsigned integer");
}

TEST(ParseInteger, RejectsFractionsExponentsAndJunk) {
  EXPECT_EQ(problem_of<int>("1e3"), "is not an integer");
  EXPECT_EQ(problem_of<int>("1.0"), "is not an integer");
  EXPECT_EQ(problem_of<int>("0x10"), "is not an integer");
  EXPECT_EQ(problem_of<int>("12 34"), "is not an integer");
  EXPECT_EQ(problem_of<int>("+-1"), "is not an integer");
  EXPECT_EQ(problem_of<int>("99999999999x"), "is not an integer");
  EXPECT_EQ(problem_of<int>(""), "is empty, expected an integer");
  EXPECT_EQ(problem_of<unsigned>("   "), "is empty, expected an unsigned integer");
}

TEST(ParseFloat, ReadsFiniteNumbersOnly) {
  EXPECT_DOUBLE_EQ(parsed<double>("0.25"), 0.25);
  EXPECT_DOUBLE_EQ(parsed<double>("1e-3"), 0.001);
  EXPECT_DOUBLE_EQ(parsed<double>(" -2 "), -2.0);
  EXPECT_DOUBLE_EQ(parsed<double>("+.5"), 0.5);
  EXPECT_FLOAT_EQ(parsed<float>("1.5"), 1.5F);
  EXPECT_EQ(problem_of<double>("nan"), "is not a finite number");
  EXPECT_EQ(problem_of<double>("inf"), "is not a finite number");
  EXPECT_EQ(problem_of<double>("1e999"), "is out of range for a double");
  EXPECT_EQ(problem_of<float>("1e40"), "is out of range for a float");
  EXPECT_EQ(problem_of<double>("0.5s"), "is not a number");
  EXPECT_EQ(problem_of<double>("0x1p3"), "is not a number");
  EXPECT_EQ(problem_of<double>(""), "is empty, expected a number");
}

TEST(ParseBool, AcceptsCommonSpellingsInAnyCase) {
  for (const char* yes : {"true", "TRUE", "Yes", "on", "1", " true "}) EXPECT_TRUE(parsed<bool>(yes)) << yes;
  for (const char* no : {"false", "No", "OFF", "0"}) EXPECT_FALSE(parsed<bool>(no)) << no;
  EXPECT_EQ(problem_of<bool>("maybe"), "is not a boolean (true/false, yes/no, on/off, 1/0)");
  EXPECT_EQ(problem_of<bool>(""), "is empty, expected a boolean (true/false, yes/no, on/off, 1/0)");
}

TEST(ParseString, KeepsTextVerbatim) {
  EXPECT_EQ(parsed<std::string>("  spaced  "), "  spaced  ");
  EXPECT_EQ(parsed<std::string>(""), "");
}

TEST(ParseEnum, MatchesNamesIgnoringCase) {
  EXPECT_EQ(parsed<color>("red"), color::red);
  EXPECT_EQ(parsed<color>("DARK_GREEN"), color::dark_green);
  EXPECT_EQ(parsed<color>(" Red "), color::red);
  EXPECT_EQ(problem_of<color>("blue"), "is not one of red, dark_green");
  EXPECT_EQ(problem_of<color>(""), "is not one of red, dark_green");
  EXPECT_EQ(problem_of<color>("0"), "is not one of red, dark_green");
}

TEST(ParseDuration, ReadsUnitsAndCompounds) {
  EXPECT_EQ(parsed<std::chrono::milliseconds>("250ms"), 250ms);
  EXPECT_EQ(parsed<std::chrono::milliseconds>("5s"), 5s);
  EXPECT_EQ(parsed<std::chrono::seconds>("1m30s"), 90s);
  EXPECT_EQ(parsed<std::chrono::seconds>("2h"), 2h);
  EXPECT_EQ(parsed<std::chrono::minutes>("1d"), std::chrono::hours(24));
  EXPECT_EQ(parsed<std::chrono::milliseconds>("1.5s"), 1500ms);
  EXPECT_EQ(parsed<std::chrono::nanoseconds>("1h2m3s4ms5us6ns"), 1h + 2min + 3s + 4ms + 5us + 6ns);
  EXPECT_EQ(parsed<std::chrono::seconds>("2min"), 120s);
  EXPECT_EQ(parsed<std::chrono::milliseconds>(" 0s "), 0ms);
  EXPECT_DOUBLE_EQ(parsed<std::chrono::duration<double>>("1500ms").count(), 1.5);
}

TEST(ParseDuration, RejectsBareNumbersUnlessTheFieldNamesItsUnit) {
  EXPECT_EQ(problem_of<std::chrono::milliseconds>("5000"),
            "has no unit, expected a duration like 250ms, 5s, 1m30s or 2h");
  const arbiter::parse_options in_ms{1, 1000};
  EXPECT_EQ(parsed<std::chrono::milliseconds>("5000", in_ms), 5000ms);
  EXPECT_EQ(parsed<std::chrono::seconds>("120", {60, 1}), 2h);
  EXPECT_EQ(problem_of<std::chrono::seconds>("1500", in_ms), "is not a whole number of seconds");
}

TEST(ParseDuration, RejectsBadShapes) {
  using ms = std::chrono::milliseconds;
  EXPECT_EQ(problem_of<ms>("-5s"), "is negative, expected a duration like 250ms, 5s, 1m30s or 2h");
  EXPECT_EQ(problem_of<ms>("5x"), "has an unknown unit \"x\" (use ns, us, ms, s, m, h or d)");
  EXPECT_EQ(problem_of<ms>("5S"), "has an unknown unit \"S\" (use ns, us, ms, s, m, h or d)");
  EXPECT_EQ(problem_of<ms>("30s1m"), "repeats or misorders its units; write the largest first, like 1h30m");
  EXPECT_EQ(problem_of<ms>("5s5s"), "repeats or misorders its units; write the largest first, like 1h30m");
  EXPECT_EQ(problem_of<ms>("1m30"), "is missing a unit, expected a duration like 250ms, 5s, 1m30s or 2h");
  EXPECT_EQ(problem_of<ms>("1 s"), "is missing a unit, expected a duration like 250ms, 5s, 1m30s or 2h");
  EXPECT_EQ(problem_of<ms>("1500us"), "is not a whole number of milliseconds");
  EXPECT_EQ(problem_of<ms>("0.5ns"), "is finer than a nanosecond");
  EXPECT_EQ(problem_of<ms>("s"), "is not a duration like 250ms, 5s, 1m30s or 2h");
  EXPECT_EQ(problem_of<ms>(""), "is empty, expected a duration like 250ms, 5s, 1m30s or 2h");
  EXPECT_EQ(problem_of<ms>("300y"), "has an unknown unit \"y\" (use ns, us, ms, s, m, h or d)");
  EXPECT_EQ(problem_of<ms>("999999999999h"), "is too long for a duration (at most about 292 years)");
  using short_ms = std::chrono::duration<std::int16_t, std::milli>;
  EXPECT_EQ(problem_of<short_ms>("40s"), "is too long for this field");
}

TEST(ParseByteSize, ReadsBinaryAndDecimalUnits) {
  EXPECT_EQ(parsed<byte_size>("64KiB").bytes, 65536U);
  EXPECT_EQ(parsed<byte_size>("10MB").bytes, 10'000'000U);
  EXPECT_EQ(parsed<byte_size>("1GiB").bytes, 1ULL << 30U);
  EXPECT_EQ(parsed<byte_size>("1Gi").bytes, 1ULL << 30U);
  EXPECT_EQ(parsed<byte_size>("2 mib").bytes, 2ULL << 20U);
  EXPECT_EQ(parsed<byte_size>("512B").bytes, 512U);
  EXPECT_EQ(parsed<byte_size>("512").bytes, 512U);
  EXPECT_EQ(parsed<byte_size>("1.5KiB").bytes, 1536U);
}

TEST(ParseByteSize, RejectsAmbiguousAndBadUnits) {
  EXPECT_EQ(problem_of<byte_size>("1G"),
            "is ambiguous: write GiB for binary (1024-based) or GB for decimal (1000-based)");
  EXPECT_EQ(problem_of<byte_size>("1k"),
            "is ambiguous: write KiB for binary (1024-based) or KB for decimal (1000-based)");
  EXPECT_EQ(problem_of<byte_size>("5 bytes"),
            "has an unknown unit \"bytes\" (use B, KB, MB, GB, TB, KiB, MiB, GiB or TiB)");
  EXPECT_EQ(problem_of<byte_size>("1.1B"), "is not a whole number of bytes");
  EXPECT_EQ(problem_of<byte_size>("-1KiB"), "is negative, expected a size like 64KiB or 10MB");
  EXPECT_EQ(problem_of<byte_size>("20000PiB"), "is too large for a byte size");
  EXPECT_EQ(problem_of<byte_size>("KiB"), "is not a size like 64KiB or 10MB");
  EXPECT_EQ(problem_of<byte_size>("16EiB"),
            "has an unknown unit \"EiB\" (use B, KB, MB, GB, TB, KiB, MiB, GiB or TiB)");
  EXPECT_EQ(problem_of<byte_size>("1KiB!"), "is not a size like 64KiB or 10MB");
}

TEST(ScalarText, RoundTripsThroughTheParser) {
  EXPECT_EQ(arbiter::scalar_text(std::chrono::milliseconds(90'500)), "1m30s500ms");
  EXPECT_EQ(parsed<std::chrono::milliseconds>(arbiter::scalar_text(std::chrono::milliseconds(90'500))), 90'500ms);
  EXPECT_EQ(arbiter::scalar_text(std::chrono::seconds(0)), "0s");
  EXPECT_EQ(arbiter::scalar_text(byte_size{65536}), "64KiB");
  EXPECT_EQ(arbiter::scalar_text(byte_size{10'000'000}), "10MB");
  EXPECT_EQ(arbiter::scalar_text(byte_size{1001}), "1001B");
  EXPECT_EQ(arbiter::scalar_text(color::dark_green), "dark_green");
  EXPECT_EQ(arbiter::scalar_text(0.1), "0.1");
  EXPECT_EQ(arbiter::scalar_text(true), "true");
}

}  // namespace
