#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.hpp"
#include "core/time.hpp"

namespace rapport::reports {

// Reports: the types, the parsing of their query parameters and the calendar arithmetic of
// their buckets. No I/O. All periods are UTC; a period is [from, to).

enum class Interval { kDay, kWeek, kMonth };
enum class Metric {
  kNewCustomers,
  kInteractions,
  kRevenue,
  kTicketsOpened,
  kTicketsResolved,
  kEmailsSent
};

inline constexpr std::array<std::string_view, 3> kIntervalNames = {"day", "week", "month"};
inline constexpr std::array<std::string_view, 6> kMetricNames = {
    "new_customers", "interactions", "revenue", "tickets_opened", "tickets_resolved",
    "emails_sent"};

std::string_view IntervalName(Interval interval);
std::optional<Interval> ParseInterval(std::string_view name);
std::string_view MetricName(Metric metric);
std::optional<Metric> ParseMetric(std::string_view name);
// A human title for charts ("New customers").
std::string_view MetricTitle(Metric metric);

// The most buckets one series may have; a longer period or a finer interval is a 400.
inline constexpr int kMaxBuckets = 1000;
// How many buckets a series has when no `from` is given.
int DefaultBuckets(Interval interval);

// A period [from, to) as stored timestamps ("YYYY-MM-DDTHH:MM:SSZ"); an absent bound is open.
struct Period {
  std::optional<std::string> from;
  std::optional<std::string> to;
};

// A query-parameter lookup (the decoded value, nullopt when absent) and every name present.
struct QueryParams {
  std::vector<std::pair<std::string, std::string>> values;
  std::optional<std::string_view> Get(std::string_view name) const;
};

// `from` and `to` (RFC 3339 or a date meaning midnight UTC); BadRequest naming the parameter
// when one does not parse, when `to` is not after `from`, or when a parameter other than
// `allowed` (and `from`, `to`) is present.
core::Result<Period> ParsePeriod(const QueryParams& params,
                                 std::initializer_list<std::string_view> allowed = {});

// One series: a metric over calendar-aligned buckets between two bounds.
struct SeriesRequest {
  Metric metric = Metric::kNewCustomers;
  Interval interval = Interval::kDay;
  std::string from;  // the period, both bounds set (stored timestamp form)
  std::string to;
};

// GET /reports/timeseries and /reports/charts/{metric}.svg: `interval` (day | week | month,
// default day) and the period. Without `to` the period ends now; without `from` it starts
// at the beginning of the bucket DefaultBuckets(interval) - 1 buckets before the one holding
// the end. BadRequest naming `interval`, `from` or `to`, or `interval` when the period would
// make more than kMaxBuckets buckets. `metric` is parsed by the caller (a query parameter of
// one route, a path segment of the other).
core::Result<SeriesRequest> ParseSeriesRequest(const QueryParams& params, Metric metric,
                                               core::Timestamp now,
                                               std::initializer_list<std::string_view> allowed = {});

// --- Calendar ----------------------------------------------------------------------------

using Day = std::chrono::sys_days;

// The day of a stored timestamp's first ten characters ("YYYY-MM-DD..."); nullopt when they
// are not a date.
std::optional<Day> DayOf(std::string_view stored);
// The first day of the bucket holding `day`: the day, its ISO week's Monday, or the 1st.
Day BucketStart(Day day, Interval interval);
// The first day of the next bucket.
Day NextBucket(Day start, Interval interval);
// "YYYY-MM-DDT00:00:00Z".
std::string FormatDay(Day day);

// The bucket starts of [from, to) in order (from and to are stored timestamps, from < to):
// the bucket holding `from` first, the one holding the last second before `to` last.
std::vector<Day> Buckets(std::string_view from, std::string_view to, Interval interval);
// How many buckets Buckets() would return, without building them.
int64_t BucketCount(std::string_view from, std::string_view to, Interval interval);

// --- Results -----------------------------------------------------------------------------

// Per-day sums read from the database ("YYYY-MM-DD" → value), folded into buckets.
struct DayValue {
  std::string day;
  int64_t value = 0;
};

struct Point {
  Day start;
  Day end;            // exclusive
  int64_t value = 0;  // a count, or money in minor units
};

struct Series {
  Metric metric = Metric::kNewCustomers;
  Interval interval = Interval::kDay;
  std::string from;
  std::string to;
  std::string currency;  // revenue: the server's currency
  std::vector<Point> points;

  bool is_money() const { return metric == Metric::kRevenue; }
  int64_t total() const;
  // {metric, interval, from, to, unit, total, points: [{start, end, value}]}; unit is "count"
  // or the currency code, money in major units.
  nlohmann::json ToJson() const;
};

// Every bucket of `request`, zero unless `days` holds values for its days.
Series FoldDays(const SeriesRequest& request, const std::vector<DayValue>& days);

// The p-th percentile (0 ≤ p ≤ 1) of `values` with linear interpolation between the closest
// ranks (PostgreSQL's percentile_cont); nullopt for no values. Sorts `values`.
std::optional<double> Percentile(std::vector<double>& values, double p);

// Seconds from `from` to `to` (stored timestamps); nullopt when either does not parse.
std::optional<int64_t> SecondsBetween(std::string_view from, std::string_view to);

// count / total rounded to 4 decimals, 0 when total is 0; 0 and 1 print as integers.
nlohmann::json Rate(int64_t count, int64_t total);
// Hours rounded to 2 decimals, or null.
nlohmann::json Hours(const std::optional<double>& hours);

}  // namespace rapport::reports
