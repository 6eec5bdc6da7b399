#include "reports/chart.hpp"

#include <gtest/gtest.h>

#include <regex>

namespace rapport::reports {
namespace {

int Occurrences(const std::string& text, const std::string& needle) {
  int count = 0;
  for (auto pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) {
    ++count;
  }
  return count;
}

Series SeriesOf(Metric metric, Interval interval, std::string from, std::string to,
                std::vector<DayValue> days) {
  Series series = FoldDays({metric, interval, std::move(from), std::move(to)}, days);
  series.currency = "USD";
  return series;
}

TEST(ChartTest, EscapesXml) {
  EXPECT_EQ(EscapeXml("a<b & \"c\" 'd'>"), "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;");
  EXPECT_EQ(EscapeXml(std::string("x\x01y", 3)), "x y");
}

TEST(ChartTest, TicksAreNiceNumbers) {
  struct Case {
    double max;
    bool integers;
    std::vector<double> ticks;
  };
  const Case cases[] = {
      {0, true, {0, 1}},
      {1, true, {0, 1}},
      {3, true, {0, 1, 2, 3}},
      {7, true, {0, 2, 4, 6, 8}},
      {12, true, {0, 5, 10, 15}},
      {12, false, {0, 2.5, 5, 7.5, 10, 12.5}},
      {97, true, {0, 20, 40, 60, 80, 100}},
      {1234.5, false, {0, 250, 500, 750, 1000, 1250}},
      {0.3, false, {0, 0.1, 0.2, 0.3}},
  };
  for (const Case& c : cases) {
    auto ticks = NiceTicks(c.max, 5, c.integers);
    ASSERT_EQ(ticks.size(), c.ticks.size()) << c.max;
    for (std::size_t i = 0; i < ticks.size(); ++i) {
      EXPECT_NEAR(ticks[i], c.ticks[i], 1e-9) << c.max << " tick " << i;
    }
    EXPECT_GE(ticks.back(), c.max);
  }
}

TEST(ChartTest, AxisLabelsReadLikeNumbers) {
  EXPECT_EQ(AxisLabel(2500, 5000), "2,500");
  EXPECT_EQ(AxisLabel(7500, 12500), "7.5k");
  EXPECT_EQ(AxisLabel(0, 12500), "0");
  EXPECT_EQ(AxisLabel(1'200'000, 2'000'000), "1.2M");
  EXPECT_EQ(AxisLabel(0.25, 1), "0.25");
  EXPECT_EQ(AxisLabel(12.5, 20), "12.5");
}

TEST(ChartTest, LabelsThinWhenCrowded) {
  EXPECT_EQ(LabelStep(12, 700, 64), 2);  // 10 fit
  EXPECT_EQ(LabelStep(10, 700, 64), 1);
  EXPECT_EQ(LabelStep(365, 700, 48), 27);
  EXPECT_EQ(LabelStep(0, 700, 48), 1);
}

TEST(ChartTest, BarsOnePerBucketWithTooltips) {
  const std::string svg =
      RenderChart(SeriesOf(Metric::kNewCustomers, Interval::kDay, "2026-11-01T00:00:00Z",
                           "2026-11-08T00:00:00Z", {{"2026-11-02", 4}, {"2026-11-05", 9}}));
  EXPECT_EQ(svg.rfind("<?xml", 0), 0u);
  EXPECT_NE(svg.find("<svg xmlns=\"http://www.w3.org/2000/svg\""), std::string::npos);
  EXPECT_NE(svg.find("New customers by day"), std::string::npos);
  EXPECT_NE(svg.find("1 Nov 2026 – 7 Nov 2026 (UTC)"), std::string::npos);
  EXPECT_EQ(Occurrences(svg, "<rect x="), 7);  // one bar per day, zero-height ones included
  EXPECT_NE(svg.find("<title>2 Nov 2026: 4</title>"), std::string::npos);
  EXPECT_NE(svg.find("<title>5 Nov 2026: 9</title>"), std::string::npos);
  EXPECT_NE(svg.find("Total 13"), std::string::npos);
  EXPECT_EQ(svg.find("No data"), std::string::npos);
  EXPECT_EQ(Occurrences(svg, "<svg"), 1);
  EXPECT_EQ(Occurrences(svg, "</svg>"), 1);
}

TEST(ChartTest, RevenueIsALineInTheCurrency) {
  const std::string svg =
      RenderChart(SeriesOf(Metric::kRevenue, Interval::kMonth, "2026-01-01T00:00:00Z",
                           "2027-01-01T00:00:00Z", {{"2026-03-10", 1234550}, {"2026-07-01", 99}}));
  EXPECT_NE(svg.find("Revenue by month"), std::string::npos);
  EXPECT_NE(svg.find("<polyline"), std::string::npos);
  EXPECT_EQ(Occurrences(svg, "<circle"), 12);
  EXPECT_NE(svg.find("<title>Mar 2026: 12,345.5 USD</title>"), std::string::npos);
  EXPECT_NE(svg.find("Total 12,346.49 USD"), std::string::npos);
  EXPECT_NE(svg.find(">USD</text>"), std::string::npos);
  EXPECT_NE(svg.find(">12.5k</text>"), std::string::npos);  // top tick
}

TEST(ChartTest, EmptySeriesSaysSo) {
  const std::string svg = RenderChart(SeriesOf(Metric::kTicketsOpened, Interval::kWeek,
                                               "2026-11-02T00:00:00Z", "2026-11-30T00:00:00Z", {}));
  EXPECT_NE(svg.find("No data in this period"), std::string::npos);
  EXPECT_EQ(svg.find("<rect x="), std::string::npos);
  EXPECT_NE(svg.find("Week starting Monday (UTC), 2026"), std::string::npos);
}

TEST(ChartTest, ManyBucketsThinTheDateLabels) {
  const std::string svg = RenderChart(SeriesOf(Metric::kInteractions, Interval::kDay,
                                               "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z",
                                               {{"2026-06-01", 3}}));
  EXPECT_EQ(Occurrences(svg, "<rect x="), 365);
  // Labels in the x-axis group only: at most what fits in the plot (704 px / 48 px).
  const auto axis = svg.substr(svg.find("<g class=\"x-axis\">"));
  const int labels = Occurrences(axis.substr(0, axis.find("</g>")), "<text");
  EXPECT_LE(labels, 14);
  EXPECT_GE(labels, 10);
}

}  // namespace
}  // namespace rapport::reports
