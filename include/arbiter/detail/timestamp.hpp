#pragma once

/// \file
/// RFC 3339 UTC timestamps with microseconds, without gmtime (thread-safe, no locale, no allocation).

#include <cstdint>

#include <arbiter/detail/chrono.hpp>
#include <arbiter/version.hpp>

namespace arbiter::inline v1::detail {

struct civil_date {
  std::int64_t year;
  unsigned month;
  unsigned day;
};

/// Converts days since 1970-01-01 to a proleptic Gregorian date (the era-based method: 400-year cycles).
[[nodiscard]] constexpr civil_date civil_from_days(std::int64_t days) noexcept {
  days += 719468;  // shift the epoch to 0000-03-01
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const auto day_of_era = static_cast<std::uint64_t>(days - era * 146097);
  const std::uint64_t year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const std::uint64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const std::uint64_t shifted_month = (5 * day_of_year + 2) / 153;  // March = 0
  const auto day = static_cast<unsigned>(day_of_year - (153 * shifted_month + 2) / 5 + 1);
  const auto month = static_cast<unsigned>(shifted_month < 10 ? shifted_month + 3 : shifted_month - 9);
  const std::int64_t year = static_cast<std::int64_t>(year_of_era) + era * 400 + (month <= 2 ? 1 : 0);
  return {year, month, day};
}

/// Appends `when` as `YYYY-MM-DDTHH:MM:SS.uuuuuuZ`.
template <class Buffer>
void append_rfc3339(Buffer& out, std::chrono::system_clock::time_point when) {
  using namespace std::chrono;
  const auto us = duration_cast<microseconds>(when.time_since_epoch()).count();
  std::int64_t days = us / 86'400'000'000;
  std::int64_t rest = us % 86'400'000'000;
  if (rest < 0) {
    rest += 86'400'000'000;
    --days;
  }
  const civil_date date = civil_from_days(days);
  const auto put = [&out](std::int64_t value, int width) {
    char digits[8] = {};
    for (int i = width - 1; i >= 0; --i) {
      digits[i] = static_cast<char>('0' + value % 10);
      value /= 10;
    }
    out.append(digits, digits + width);
  };
  put(date.year, 4);
  out.push_back('-');
  put(date.month, 2);
  out.push_back('-');
  put(date.day, 2);
  out.push_back('T');
  put(rest / 3'600'000'000, 2);
  out.push_back(':');
  put(rest / 60'000'000 % 60, 2);
  out.push_back(':');
  put(rest / 1'000'000 % 60, 2);
  out.push_back('.');
  put(rest % 1'000'000, 6);
  out.push_back('Z');
}

}  // namespace arbiter::inline v1::detail
