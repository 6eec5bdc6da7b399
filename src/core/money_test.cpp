#include "core/money.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <random>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace rapport::core {
namespace {

using nlohmann::json;

TEST(ParseMoneyTest, FromJsonText) {
  struct Case {
    const char* json_text;
    std::optional<int64_t> minor;
  };
  const Case cases[] = {
      {"120.5", 12050},
      {"120.50", 12050},
      {"0.07", 7},
      {"19.99", 1999},
      {"0.1", 10},
      {"0.29", 29},
      {"1.15", 115},
      {"4.35", 435},
      {"1234567.89", 123456789},
      {"0", 0},
      {"0.0", 0},
      {"-0.0", 0},
      {"1", 100},
      {"1.0", 100},
      {"1e2", 10000},
      {"1.5e1", 1500},
      {"9999999999999", 999'999'999'999'900},
      {"9999999999999.0", 999'999'999'999'900},
      {"9999999999999.99", 999'999'999'999'999},
      {"9999999999999.9", 999'999'999'999'990},
      {"1234567890123.45", 123'456'789'012'345},
      {"1.005", std::nullopt},
      {"0.001", std::nullopt},
      {"19.999", std::nullopt},
      {"1e-7", std::nullopt},
      {"-1", std::nullopt},
      {"-0.5", std::nullopt},
      {"10000000000000", std::nullopt},  // above kMaxMoneyMinor
      {"10000000000000.0", std::nullopt},
      {"9999999999999.999", std::nullopt},
      {"89999999999999.99", std::nullopt},  // not exact as a double
      {"90000000000000", std::nullopt},
      {"1e300", std::nullopt},
      {"18446744073709551615", std::nullopt},
      {"\"12.50\"", std::nullopt},
      {"true", std::nullopt},
      {"null", std::nullopt},
      {"[1]", std::nullopt},
      {"{\"amount\":1}", std::nullopt},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(ParseMoney(json::parse(c.json_text)), c.minor) << c.json_text;
  }
}

TEST(ParseMoneyTest, RejectsNonFinite) {
  EXPECT_EQ(ParseMoney(json(std::numeric_limits<double>::quiet_NaN())), std::nullopt);
  EXPECT_EQ(ParseMoney(json(std::numeric_limits<double>::infinity())), std::nullopt);
  EXPECT_EQ(ParseMoney(json(-std::numeric_limits<double>::infinity())), std::nullopt);
}

TEST(ParseMoneyTest, EveryCentOfSmallAmountsIsExact) {
  for (int64_t minor = 0; minor <= 100'000; ++minor) {
    const std::string text = std::to_string(minor / 100) + "." + (minor % 100 < 10 ? "0" : "") +
                             std::to_string(minor % 100);
    ASSERT_EQ(ParseMoney(json::parse(text)), minor) << text;
  }
}

TEST(MoneyToJsonTest, DumpsAsPeopleWriteIt) {
  struct Case {
    int64_t minor;
    const char* dumped;
  };
  const Case cases[] = {
      {12050, "120.5"},
      {1999, "19.99"},
      {7, "0.07"},
      {10, "0.1"},
      {100, "1"},
      {0, "0"},
      {115, "1.15"},
      {435, "4.35"},
      {123456789, "1234567.89"},
      {-1999, "-19.99"},
      {-100, "-1"},
      {999'999'999'999'999, "9999999999999.99"},
      {999'999'999'999'900, "9999999999999"},
      {123'456'789'012'345, "1234567890123.45"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(MoneyToJson(c.minor).dump(), c.dumped) << c.minor;
  }
}

TEST(MoneyToJsonTest, WholeAmountsAreIntegers) {
  EXPECT_TRUE(MoneyToJson(100).is_number_integer());
  EXPECT_TRUE(MoneyToJson(12050).is_number_float());
}

TEST(MoneyToJsonTest, RoundTripsThroughParseMoney) {
  for (int64_t minor = 0; minor <= 100'000; ++minor) {
    const json dumped = json::parse(MoneyToJson(minor).dump());
    ASSERT_EQ(ParseMoney(dumped), minor) << MoneyToJson(minor).dump();
  }
  for (int64_t minor = kMaxMoneyMinor - 1'000'000; minor <= kMaxMoneyMinor; minor += 7) {
    const json dumped = json::parse(MoneyToJson(minor).dump());
    ASSERT_EQ(ParseMoney(dumped), minor) << MoneyToJson(minor).dump();
  }
}

TEST(MoneyToJsonTest, RoundTripsAtEveryMagnitude) {
  std::mt19937_64 rng(7);
  int64_t low = 1;
  for (int digits = 1; digits <= 15; ++digits, low *= 10) {
    std::uniform_int_distribution<int64_t> pick(low, std::min(low * 10 - 1, kMaxMoneyMinor));
    for (int i = 0; i < 20'000; ++i) {
      const int64_t minor = pick(rng);
      const std::string text = MoneyToJson(minor).dump();
      ASSERT_EQ(ParseMoney(json::parse(text)), minor) << text;
      const size_t dot = text.find('.');
      ASSERT_TRUE(dot == std::string::npos || text.size() - dot - 1 <= 2) << text;
    }
  }
}

TEST(IsCurrencyCodeTest, Table) {
  struct Case {
    const char* input;
    bool valid;
  };
  const Case cases[] = {
      {"USD", true},   {"EUR", true}, {"XAU", true},  {"usd", false}, {"Usd", false}, {"US", false},
      {"USDD", false}, {"", false},   {"US1", false}, {"U D", false}, {"ÉUR", false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(IsCurrencyCode(c.input), c.valid) << c.input;
  }
}

}  // namespace
}  // namespace rapport::core
