#include "core/time.hpp"

#include <chrono>
#include <optional>
#include <string>

#include <gtest/gtest.h>

namespace rapport::core {
namespace {

using std::chrono::microseconds;
using std::chrono::seconds;

// Unix microseconds of a parse result, or -1 when it failed.
int64_t Micros(const std::optional<Timestamp>& t) { return t ? t->time_since_epoch().count() : -1; }

constexpr int64_t kS = 1'000'000;

TEST(FormatTimestampTest, Table) {
  struct Case {
    int64_t unix_micros;
    const char* expected;
  };
  const Case cases[] = {
      {0, "1970-01-01T00:00:00Z"},
      {1'795'344'000 * kS, "2026-11-22T10:40:00Z"},
      {1'795'344'000 * kS + 999'999, "2026-11-22T10:40:00Z"},  // sub-second dropped
      {951'782'400 * kS, "2000-02-29T00:00:00Z"},
      {253'402'300'799 * kS, "9999-12-31T23:59:59Z"},
      {-1, "1969-12-31T23:59:59Z"},  // floors, not truncates toward zero
      {-62'135'596'800 * kS, "0001-01-01T00:00:00Z"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(FormatTimestamp(Timestamp{microseconds{c.unix_micros}}), c.expected) << c.unix_micros;
  }
}

TEST(FormatTimestampTest, RoundTripsThroughParse) {
  const Timestamp now = Now();
  const auto parsed = ParseTimestamp(FormatTimestamp(now));
  ASSERT_TRUE(parsed);
  EXPECT_EQ(*parsed, std::chrono::floor<seconds>(now));
}

TEST(NowTest, IsCloseToSystemClock) {
  const auto diff = std::chrono::system_clock::now() - Now();
  EXPECT_LT(std::chrono::abs(diff), seconds{1});
}

TEST(ParseTimestampTest, Table) {
  struct Case {
    const char* input;
    int64_t unix_micros;  // -1: rejected
  };
  const int64_t base = 1'795'344'000 * kS;  // 2026-11-22T10:40:00Z
  const Case cases[] = {
      // accepted
      {"2026-11-22T10:40:00Z", base},
      {"2026-11-22t10:40:00z", base},
      {"2026-11-22 10:40:00Z", base},
      {"2026-11-22T12:40:00+02:00", base},
      {"2026-11-22T05:10:00-05:30", base},
      {"2026-11-22T10:40:00+00:00", base},
      {"2026-11-22T10:40:00-00:00", base},
      {"2026-11-23T00:39:00+13:59", base},
      {"2026-11-22T10:40:00.5Z", base + 500'000},
      {"2026-11-22T10:40:00.123456Z", base + 123'456},
      {"2026-11-22T10:40:00.123456789Z", base + 123'456},  // truncated to microseconds
      {"2026-11-22T10:40:00.000Z", base},
      {"2026-11-22T12:40:00.25+02:00", base + 250'000},
      {"1970-01-01T00:00:00Z", 0},
      {"1969-12-31T23:59:59Z", -kS},
      {"2000-02-29T00:00:00Z", 951'782'400 * kS},
      {"2026-12-31T23:59:59Z", 1'798'761'599 * kS},
      // rejected
      {"", -1},
      {"2026-11-22", -1},             // date only
      {"2026-11-22T10:40:00", -1},    // no offset
      {"2026-11-22T10:40Z", -1},      // no seconds
      {"2026-11-22T10:40:00ZZ", -1},  // trailing garbage
      {"2026-11-22T10:40:00Z ", -1},
      {" 2026-11-22T10:40:00Z", -1},
      {"2026-11-22T10:40:00.Z", -1},   // empty fraction
      {"2026-11-22T10:40:00,5Z", -1},  // comma fraction
      {"2026-13-22T10:40:00Z", -1},    // month 13
      {"2026-00-22T10:40:00Z", -1},    // month 0
      {"2026-11-00T10:40:00Z", -1},    // day 0
      {"2026-11-31T10:40:00Z", -1},    // Nov 31
      {"2026-02-29T10:40:00Z", -1},    // not a leap year
      {"1900-02-29T10:40:00Z", -1},
      {"2026-11-22T24:00:00Z", -1},  // hour 24
      {"2026-11-22T10:60:00Z", -1},
      {"2026-11-22T10:40:60Z", -1},  // leap second
      {"2026-11-22T10:40:00+24:00", -1},
      {"2026-11-22T10:40:00+02:60", -1},
      {"2026-11-22T10:40:00+0200", -1},  // offset without colon
      {"2026-11-22T10:40:00+02", -1},
      {"2026-11-22X10:40:00Z", -1},  // bad separator
      {"2026-11-22TT10:40:00Z", -1},
      {"26-11-22T10:40:00Z", -1},   // short year
      {"2026-1-22T10:40:00Z", -1},  // short month
      {"2026-11-2T10:40:00Z", -1},
      {"2026-11-22T1:40:00Z", -1},
      {"+2026-11-22T10:40:00Z", -1},
      {"2026/11/22T10:40:00Z", -1},
      {"2026-11-22T10:40:00UTC", -1},
      {"2026-11-22T10:40:00.1a2Z", -1},
      {"2026-1a-22T10:40:00Z", -1},
      {"now", -1},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(Micros(ParseTimestamp(c.input)), c.unix_micros) << '"' << c.input << '"';
  }
}

TEST(ParseDateOrTimestampTest, Table) {
  struct Case {
    const char* input;
    int64_t unix_micros;  // -1: rejected
  };
  const Case cases[] = {
      {"2026-11-22", 1'795'305'600 * kS},
      {"1970-01-01", 0},
      {"2024-02-29", 1'709'164'800 * kS},
      {"2026-11-22T10:40:00Z", 1'795'344'000 * kS},
      {"2026-11-22T12:40:00+02:00", 1'795'344'000 * kS},
      {"2023-02-29", -1},
      {"2026-11-22Z", -1},
      {"2026-11-2", -1},
      {"2026-11-22 ", -1},
      {"2026-11-22T", -1},
      {"20261122", -1},
      {"", -1},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(Micros(ParseDateOrTimestamp(c.input)), c.unix_micros) << '"' << c.input << '"';
  }
}

}  // namespace
}  // namespace rapport::core
