#include "reports/report.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "core/money.hpp"
#include "core/query_reader.hpp"

namespace rapport::reports {

namespace {

using namespace std::chrono;

constexpr std::array<std::string_view, 6> kMetricTitles = {
    "New customers", "Interactions done", "Revenue", "Tickets opened", "Tickets resolved",
    "Emails sent"};

template <class Enum, std::size_t N>
std::optional<Enum> Find(const std::array<std::string_view, N>& names, std::string_view name) {
  for (std::size_t i = 0; i < N; ++i) {
    if (names[i] == name) return static_cast<Enum>(i);
  }
  return std::nullopt;
}

// Digits of `s` at [pos, pos + n) as a number; -1 when any is not a digit.
int Digits(std::string_view s, std::size_t pos, std::size_t n) {
  if (s.size() < pos + n) return -1;
  int value = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return -1;
    value = value * 10 + (s[i] - '0');
  }
  return value;
}

// A stored timestamp ("YYYY-MM-DDTHH:MM:SS...") as seconds since the epoch.
std::optional<sys_seconds> InstantOf(std::string_view stored) {
  auto day = DayOf(stored);
  if (!day) return std::nullopt;
  const int h = Digits(stored, 11, 2), m = Digits(stored, 14, 2), s = Digits(stored, 17, 2);
  if (h < 0 || m < 0 || s < 0 || stored[10] != 'T') return std::nullopt;
  return sys_seconds(*day) + hours(h) + minutes(m) + seconds(s);
}

// BadRequest naming the first parameter that is not in `known`.
core::Status CheckNames(const QueryParams& params, const std::vector<std::string_view>& known) {
  for (const auto& [name, value] : params.values) {
    if (std::find(known.begin(), known.end(), name) != known.end()) continue;
    return core::Error::BadRequest(
        name, fmt::format("is not a known parameter (known: {})", fmt::join(known, ", ")));
  }
  return core::Ok{};
}

std::vector<std::string_view> Known(std::initializer_list<std::string_view> allowed,
                                    std::initializer_list<std::string_view> more = {}) {
  std::vector<std::string_view> known = {"from", "to"};
  known.insert(known.end(), more.begin(), more.end());
  known.insert(known.end(), allowed.begin(), allowed.end());
  return known;
}

core::Result<Period> ReadPeriod(const QueryParams& params) {
  core::QueryReader in([&](std::string_view name) { return params.Get(name); });
  Period period;
  period.from = in.Instant("from");
  period.to = in.Instant("to");
  if (auto error = in.Finish()) return *error;
  if (period.from && period.to && *period.to <= *period.from) {
    return core::Error::BadRequest("to", "must be after from");
  }
  return period;
}

}  // namespace

std::string_view IntervalName(Interval interval) {
  return kIntervalNames[static_cast<std::size_t>(interval)];
}
std::optional<Interval> ParseInterval(std::string_view name) {
  return Find<Interval>(kIntervalNames, name);
}
std::string_view MetricName(Metric metric) { return kMetricNames[static_cast<std::size_t>(metric)]; }
std::optional<Metric> ParseMetric(std::string_view name) { return Find<Metric>(kMetricNames, name); }
std::string_view MetricTitle(Metric metric) {
  return kMetricTitles[static_cast<std::size_t>(metric)];
}

int DefaultBuckets(Interval interval) {
  switch (interval) {
    case Interval::kDay:
      return 30;
    case Interval::kWeek:
    case Interval::kMonth:
      return 12;
  }
  return 30;
}

std::optional<std::string_view> QueryParams::Get(std::string_view name) const {
  for (const auto& [key, value] : values) {
    if (key == name) return std::string_view(value);
  }
  return std::nullopt;
}

core::Result<Period> ParsePeriod(const QueryParams& params,
                                 std::initializer_list<std::string_view> allowed) {
  if (auto names = CheckNames(params, Known(allowed)); !names) return names.error();
  return ReadPeriod(params);
}

core::Result<SeriesRequest> ParseSeriesRequest(const QueryParams& params, Metric metric,
                                               core::Timestamp now,
                                               std::initializer_list<std::string_view> allowed) {
  if (auto names = CheckNames(params, Known(allowed, {"interval"})); !names) {
    return names.error();
  }
  auto period = ReadPeriod(params);
  if (!period) return period.error();

  SeriesRequest request;
  request.metric = metric;
  if (auto interval = params.Get("interval"); interval && !interval->empty()) {
    auto parsed = ParseInterval(*interval);
    if (!parsed) {
      return core::Error::BadRequest("interval", "must be one of: day, week, month");
    }
    request.interval = *parsed;
  }
  request.to = period->to.value_or(core::FormatTimestamp(now));
  if (period->from) {
    request.from = *period->from;
    if (request.to <= request.from) {
      return core::Error::BadRequest("from", "must be before to (to defaults to now)");
    }
  } else {
    // The bucket holding the last second of the period, and DefaultBuckets - 1 before it.
    const auto last = *InstantOf(request.to) - seconds(1);
    Day start = BucketStart(floor<days>(last), request.interval);
    for (int i = 1; i < DefaultBuckets(request.interval); ++i) {
      start = BucketStart(start - days(1), request.interval);
    }
    if (static_cast<int>(year_month_day(start).year()) < 0) {
      return core::Error::BadRequest("to", "is too early for a default from; give from");
    }
    request.from = FormatDay(start);
  }
  const int64_t count = BucketCount(request.from, request.to, request.interval);
  if (count > kMaxBuckets) {
    return core::Error::BadRequest(
        "interval", fmt::format("the period holds {} {} buckets, more than {}: choose a coarser "
                                "interval or a shorter period",
                                count, IntervalName(request.interval), kMaxBuckets));
  }
  return request;
}

// --- Calendar ----------------------------------------------------------------------------

std::optional<Day> DayOf(std::string_view stored) {
  const int y = Digits(stored, 0, 4), m = Digits(stored, 5, 2), d = Digits(stored, 8, 2);
  if (y < 0 || m < 0 || d < 0 || stored[4] != '-' || stored[7] != '-') return std::nullopt;
  const year_month_day date{year(y), month(static_cast<unsigned>(m)),
                            day(static_cast<unsigned>(d))};
  if (!date.ok()) return std::nullopt;
  return Day(date);
}

Day BucketStart(Day day, Interval interval) {
  switch (interval) {
    case Interval::kDay:
      return day;
    case Interval::kWeek:
      // ISO weeks start on Monday (iso_encoding: Monday 1 ... Sunday 7).
      return day - days(weekday(day).iso_encoding() - 1);
    case Interval::kMonth: {
      const year_month_day date(day);
      return Day(date.year() / date.month() / 1);
    }
  }
  return day;
}

Day NextBucket(Day start, Interval interval) {
  switch (interval) {
    case Interval::kDay:
      return start + days(1);
    case Interval::kWeek:
      return start + days(7);
    case Interval::kMonth: {
      const year_month_day date(start);
      return Day((date.year() / date.month() / 1) + months(1));
    }
  }
  return start + days(1);
}

std::string FormatDay(Day day) {
  const year_month_day date(day);
  return fmt::format("{:04}-{:02}-{:02}T00:00:00Z", static_cast<int>(date.year()),
                     static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
}

std::vector<Day> Buckets(std::string_view from, std::string_view to, Interval interval) {
  std::vector<Day> starts;
  auto begin = InstantOf(from);
  auto end = InstantOf(to);
  if (!begin || !end || *end <= *begin) return starts;
  const Day last = floor<days>(*end - seconds(1));
  for (Day start = BucketStart(floor<days>(*begin), interval); start <= last;
       start = NextBucket(start, interval)) {
    starts.push_back(start);
  }
  return starts;
}

int64_t BucketCount(std::string_view from, std::string_view to, Interval interval) {
  auto begin = InstantOf(from);
  auto end = InstantOf(to);
  if (!begin || !end || *end <= *begin) return 0;
  const Day first = BucketStart(floor<days>(*begin), interval);
  const Day last = BucketStart(floor<days>(*end - seconds(1)), interval);
  switch (interval) {
    case Interval::kDay:
      return (last - first).count() + 1;
    case Interval::kWeek:
      return (last - first).count() / 7 + 1;
    case Interval::kMonth: {
      const year_month_day a(first), b(last);
      return (static_cast<int>(b.year()) - static_cast<int>(a.year())) * 12 +
             (static_cast<int>(static_cast<unsigned>(b.month())) -
              static_cast<int>(static_cast<unsigned>(a.month()))) +
             1;
    }
  }
  return 0;
}

// --- Results -----------------------------------------------------------------------------

int64_t Series::total() const {
  int64_t sum = 0;
  for (const Point& point : points) sum += point.value;
  return sum;
}

nlohmann::json Series::ToJson() const {
  auto value = [&](int64_t v) { return is_money() ? core::MoneyToJson(v) : nlohmann::json(v); };
  nlohmann::json out_points = nlohmann::json::array();
  for (const Point& point : points) {
    out_points.push_back(
        {{"start", FormatDay(point.start)}, {"end", FormatDay(point.end)}, {"value", value(point.value)}});
  }
  return {{"metric", MetricName(metric)},
          {"interval", IntervalName(interval)},
          {"from", from},
          {"to", to},
          {"unit", is_money() ? currency : "count"},
          {"total", value(total())},
          {"points", std::move(out_points)}};
}

Series FoldDays(const SeriesRequest& request, const std::vector<DayValue>& day_values) {
  Series series;
  series.metric = request.metric;
  series.interval = request.interval;
  series.from = request.from;
  series.to = request.to;
  for (Day start : Buckets(request.from, request.to, request.interval)) {
    series.points.push_back({start, NextBucket(start, request.interval), 0});
  }
  for (const DayValue& entry : day_values) {
    auto day = DayOf(entry.day);
    if (!day || series.points.empty()) continue;
    const Day start = BucketStart(*day, request.interval);
    // Points are in order, one per bucket: find the bucket by binary search.
    auto it = std::lower_bound(series.points.begin(), series.points.end(), start,
                               [](const Point& p, Day d) { return p.start < d; });
    if (it != series.points.end() && it->start == start) it->value += entry.value;
  }
  return series;
}

std::optional<double> Percentile(std::vector<double>& values, double p) {
  if (values.empty()) return std::nullopt;
  std::sort(values.begin(), values.end());
  const double rank = p * static_cast<double>(values.size() - 1);
  const auto lower = static_cast<std::size_t>(std::floor(rank));
  const std::size_t upper = std::min(lower + 1, values.size() - 1);
  const double fraction = rank - static_cast<double>(lower);
  return values[lower] + (values[upper] - values[lower]) * fraction;
}

std::optional<int64_t> SecondsBetween(std::string_view from, std::string_view to) {
  auto a = InstantOf(from);
  auto b = InstantOf(to);
  if (!a || !b) return std::nullopt;
  return (*b - *a).count();
}

nlohmann::json Rate(int64_t count, int64_t total) {
  if (total <= 0 || count <= 0) return 0;
  if (count >= total) return 1;
  return std::round(static_cast<double>(count) / static_cast<double>(total) * 10000) / 10000;
}

nlohmann::json Hours(const std::optional<double>& hours) {
  if (!hours) return nullptr;
  const double rounded = std::round(*hours * 100) / 100;
  if (rounded == std::floor(rounded) && std::abs(rounded) < 1e15) {
    return static_cast<int64_t>(rounded);
  }
  return rounded;
}

}  // namespace rapport::reports
