#include "reports/report.hpp"

#include <gtest/gtest.h>

#include "core/time.hpp"

namespace rapport::reports {
namespace {

QueryParams Params(std::vector<std::pair<std::string, std::string>> values) {
  return QueryParams{std::move(values)};
}

std::string Start(std::string_view stored, Interval interval) {
  return FormatDay(BucketStart(*DayOf(stored), interval));
}

core::Timestamp At(std::string_view text) { return *core::ParseTimestamp(text); }

TEST(ReportBucketsTest, StartsOnCalendarBoundariesInUtc) {
  struct Case {
    std::string_view at;
    Interval interval;
    std::string_view start;
  };
  const Case cases[] = {
      {"2026-12-01T23:59:59Z", Interval::kDay, "2026-12-01T00:00:00Z"},
      {"2026-12-01T10:00:00Z", Interval::kWeek, "2026-11-30T00:00:00Z"},  // Tuesday → Monday
      {"2026-11-30T00:00:00Z", Interval::kWeek, "2026-11-30T00:00:00Z"},  // a Monday
      {"2026-03-01T12:00:00Z", Interval::kWeek, "2026-02-23T00:00:00Z"},  // Sunday → back 6
      {"2027-01-01T00:00:00Z", Interval::kWeek, "2026-12-28T00:00:00Z"},  // ISO week 2026-W53
      {"2024-02-29T08:00:00Z", Interval::kMonth, "2024-02-01T00:00:00Z"},
      {"2026-12-31T23:59:59Z", Interval::kMonth, "2026-12-01T00:00:00Z"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(Start(c.at, c.interval), c.start) << c.at << " " << IntervalName(c.interval);
  }
  EXPECT_EQ(FormatDay(NextBucket(*DayOf("2026-12-01"), Interval::kMonth)), "2027-01-01T00:00:00Z");
  EXPECT_EQ(FormatDay(NextBucket(*DayOf("2024-01-01"), Interval::kMonth)), "2024-02-01T00:00:00Z");
  EXPECT_EQ(FormatDay(NextBucket(*DayOf("2026-12-28"), Interval::kWeek)), "2027-01-04T00:00:00Z");
}

TEST(ReportBucketsTest, CoverThePeriodEndExclusive) {
  auto buckets = Buckets("2026-11-01T00:00:00Z", "2026-11-04T00:00:00Z", Interval::kDay);
  ASSERT_EQ(buckets.size(), 3u);
  EXPECT_EQ(FormatDay(buckets.back()), "2026-11-03T00:00:00Z");
  // A partial first and last day still have their buckets.
  buckets = Buckets("2026-11-01T12:00:00Z", "2026-11-04T00:00:01Z", Interval::kDay);
  ASSERT_EQ(buckets.size(), 4u);
  EXPECT_EQ(BucketCount("2026-11-01T12:00:00Z", "2026-11-04T00:00:01Z", Interval::kDay), 4);
  // Weeks: Sunday 2026-11-29 is in the week of Monday 23rd; Monday 30th starts the next.
  buckets = Buckets("2026-11-29T00:00:00Z", "2026-12-01T00:00:00Z", Interval::kWeek);
  ASSERT_EQ(buckets.size(), 2u);
  EXPECT_EQ(FormatDay(buckets[0]), "2026-11-23T00:00:00Z");
  EXPECT_EQ(FormatDay(buckets[1]), "2026-11-30T00:00:00Z");
  EXPECT_EQ(BucketCount("2026-11-29T00:00:00Z", "2026-12-01T00:00:00Z", Interval::kWeek), 2);
  // Months across a year.
  EXPECT_EQ(BucketCount("2025-11-15T00:00:00Z", "2027-02-01T00:00:00Z", Interval::kMonth), 15);
  EXPECT_EQ(Buckets("2025-11-15T00:00:00Z", "2027-02-01T00:00:00Z", Interval::kMonth).size(), 15u);
}

TEST(ReportBucketsTest, FoldDaysFillsEmptyBucketsWithZero) {
  SeriesRequest request{Metric::kNewCustomers, Interval::kWeek, "2026-11-02T00:00:00Z",
                        "2026-11-30T00:00:00Z"};
  Series series = FoldDays(request, {{"2026-11-02", 3}, {"2026-11-08", 2}, {"2026-11-23", 5},
                                     {"2026-12-01", 100}, {"garbage", 7}});
  ASSERT_EQ(series.points.size(), 4u);
  EXPECT_EQ(series.points[0].value, 5);  // Monday 2nd and Sunday 8th share a week
  EXPECT_EQ(series.points[1].value, 0);
  EXPECT_EQ(series.points[2].value, 0);
  EXPECT_EQ(series.points[3].value, 5);
  EXPECT_EQ(series.total(), 10);
  const nlohmann::json json = series.ToJson();
  EXPECT_EQ(json["unit"], "count");
  EXPECT_EQ(json["points"][1]["start"], "2026-11-09T00:00:00Z");
  EXPECT_EQ(json["points"][1]["end"], "2026-11-16T00:00:00Z");
  EXPECT_EQ(json["total"], 10);
}

TEST(ReportBucketsTest, MoneyPrintsInMajorUnits) {
  SeriesRequest request{Metric::kRevenue, Interval::kMonth, "2026-01-01T00:00:00Z",
                        "2026-03-01T00:00:00Z"};
  Series series = FoldDays(request, {{"2026-02-10", 12050}, {"2026-02-11", 1}});
  series.currency = "EUR";
  const nlohmann::json json = series.ToJson();
  EXPECT_EQ(json["unit"], "EUR");
  EXPECT_EQ(json["points"][0]["value"].dump(), "0");
  EXPECT_EQ(json["points"][1]["value"].dump(), "120.51");
  EXPECT_EQ(json["total"].dump(), "120.51");
}

TEST(ReportParamsTest, PeriodBoundsAndErrorsNameTheParameter) {
  auto period = ParsePeriod(Params({{"from", "2026-11-01"}, {"to", "2026-11-02T01:00:00+01:00"}}));
  ASSERT_TRUE(period.ok());
  EXPECT_EQ(*period->from, "2026-11-01T00:00:00Z");
  EXPECT_EQ(*period->to, "2026-11-02T00:00:00Z");
  EXPECT_FALSE(ParsePeriod(Params({})).value().from.has_value());

  struct Case {
    std::vector<std::pair<std::string, std::string>> params;
    std::string field;
  };
  const Case cases[] = {
      {{{"from", "yesterday"}}, "from"},
      {{{"to", "2026-13-01"}}, "to"},
      {{{"from", "2026-11-02"}, {"to", "2026-11-01"}}, "to"},
      {{{"from", "2026-11-01"}, {"to", "2026-11-01"}}, "to"},
      {{{"form", "2026-11-01"}}, "form"},
  };
  for (const Case& c : cases) {
    auto result = ParsePeriod(Params(c.params));
    ASSERT_FALSE(result.ok()) << c.field;
    EXPECT_EQ(result.error().code, core::Code::kBadRequest);
    ASSERT_EQ(result.error().errors.size(), 1u);
    EXPECT_EQ(result.error().errors[0].field, c.field);
  }
}

TEST(ReportParamsTest, SeriesDefaultsToWholeRecentBuckets) {
  const auto now = At("2026-12-02T13:45:10Z");  // a Wednesday
  auto day = ParseSeriesRequest(Params({}), Metric::kRevenue, now);
  ASSERT_TRUE(day.ok());
  EXPECT_EQ(day->interval, Interval::kDay);
  EXPECT_EQ(day->to, "2026-12-02T13:45:10Z");
  EXPECT_EQ(day->from, "2026-11-03T00:00:00Z");  // 30 days, today included
  EXPECT_EQ(BucketCount(day->from, day->to, day->interval), 30);

  auto week = ParseSeriesRequest(Params({{"interval", "week"}}), Metric::kRevenue, now);
  ASSERT_TRUE(week.ok());
  EXPECT_EQ(week->from, "2026-09-14T00:00:00Z");  // the Monday 11 weeks before Nov 30
  EXPECT_EQ(BucketCount(week->from, week->to, week->interval), 12);

  auto month = ParseSeriesRequest(Params({{"interval", "month"}, {"to", "2027-01-01"}}),
                                  Metric::kRevenue, now);
  ASSERT_TRUE(month.ok());
  EXPECT_EQ(month->from, "2026-01-01T00:00:00Z");
  EXPECT_EQ(month->to, "2027-01-01T00:00:00Z");
}

TEST(ReportParamsTest, SeriesErrorsNameTheParameter) {
  const auto now = At("2026-12-02T13:45:10Z");
  struct Case {
    std::vector<std::pair<std::string, std::string>> params;
    std::string field;
  };
  const Case cases[] = {
      {{{"interval", "hour"}}, "interval"},
      {{{"interval", "Day"}}, "interval"},
      {{{"from", "2027-01-01"}}, "from"},  // after the default `to` (now)
      {{{"from", "2020-01-01"}, {"to", "2026-01-01"}}, "interval"},  // 2192 days
      {{{"from", "0001-01-01"}, {"to", "9999-01-01"}, {"interval", "month"}}, "interval"},
      {{{"from", "2026-01-01"}, {"to", "2025-01-01"}}, "to"},
      {{{"bucket", "day"}}, "bucket"},
      {{{"to", "0000-01-01T00:00:00Z"}}, "to"},
  };
  for (const Case& c : cases) {
    auto result = ParseSeriesRequest(Params(c.params), Metric::kRevenue, now);
    ASSERT_FALSE(result.ok()) << c.field;
    ASSERT_EQ(result.error().errors.size(), 1u);
    EXPECT_EQ(result.error().errors[0].field, c.field);
  }
  // 1000 buckets is the limit, inclusive.
  EXPECT_TRUE(ParseSeriesRequest(Params({{"from", "2024-01-01"}, {"to", "2026-09-27"}}),
                                 Metric::kRevenue, now)
                  .ok());
  EXPECT_FALSE(ParseSeriesRequest(Params({{"from", "2024-01-01"}, {"to", "2026-09-28"}}),
                                  Metric::kRevenue, now)
                   .ok());
  EXPECT_TRUE(ParseSeriesRequest(Params({{"from", "2000-01-01"}, {"metric", "x"}}),
                                 Metric::kRevenue, now, {"metric"})
                  .error()
                  .errors.front()
                  .field == "interval");
}

TEST(ReportFiguresTest, PercentilesInterpolateBetweenRanks) {
  std::vector<double> none;
  EXPECT_FALSE(Percentile(none, 0.5).has_value());
  std::vector<double> one = {7};
  EXPECT_DOUBLE_EQ(*Percentile(one, 0.9), 7);
  std::vector<double> values = {10, 1, 4, 2};  // sorted: 1 2 4 10
  EXPECT_DOUBLE_EQ(*Percentile(values, 0.5), 3);
  EXPECT_DOUBLE_EQ(*Percentile(values, 0.9), 8.2);  // rank 2.7: 4 + 0.7 * 6
  EXPECT_EQ(SecondsBetween("2026-11-01T10:00:00Z", "2026-11-02T11:30:00Z"), 91800);
  EXPECT_EQ(Hours(91800.0 / 3600).dump(), "25.5");
  EXPECT_EQ(Hours(2.0).dump(), "2");
  EXPECT_EQ(Hours(1.0 / 3).dump(), "0.33");
  EXPECT_TRUE(Hours(std::nullopt).is_null());
  EXPECT_EQ(Rate(1, 3).dump(), "0.3333");
  EXPECT_EQ(Rate(0, 0).dump(), "0");
  EXPECT_EQ(Rate(3, 3).dump(), "1");
}

}  // namespace
}  // namespace rapport::reports
