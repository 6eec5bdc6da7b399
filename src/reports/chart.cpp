#include "reports/chart.hpp"

#include <algorithm>
#include <array>
#include <cmath>

#include <fmt/format.h>

namespace rapport::reports {

namespace {

using namespace std::chrono;

constexpr double kWidth = 800;
constexpr double kHeight = 400;
constexpr double kLeft = 72;     // room for the y labels
constexpr double kRight = 24;
constexpr double kTop = 78;      // title, period and unit
constexpr double kBottom = 66;   // x labels, the years under them and the axis caption
constexpr double kPlotWidth = kWidth - kLeft - kRight;
constexpr double kPlotHeight = kHeight - kTop - kBottom;

constexpr std::string_view kFont =
    "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif";
constexpr std::string_view kInk = "#1f2933";
constexpr std::string_view kMuted = "#616e7c";
constexpr std::string_view kGrid = "#e4e7eb";
constexpr std::string_view kAxis = "#9aa5b1";
constexpr std::string_view kBar = "#3b6fd8";
constexpr std::string_view kLine = "#2f855a";
constexpr std::string_view kArea = "#c6f6d5";

constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

std::string_view MonthName(const year_month_day& date) {
  return kMonths[static_cast<unsigned>(date.month()) - 1];
}

// "3 Nov", "3 Nov 2026", "Nov 2026".
std::string DayLabel(Day day, bool with_year) {
  const year_month_day date(day);
  if (with_year) {
    return fmt::format("{} {} {}", static_cast<unsigned>(date.day()), MonthName(date),
                       static_cast<int>(date.year()));
  }
  return fmt::format("{} {}", static_cast<unsigned>(date.day()), MonthName(date));
}
std::string MonthLabel(Day day) {
  const year_month_day date(day);
  return fmt::format("{} {}", MonthName(date), static_cast<int>(date.year()));
}

// An x-axis label: "3 Nov" for days and weeks, "Nov" for months (the year goes below).
std::string BucketLabel(Day day, Interval interval) {
  if (interval == Interval::kMonth) return std::string(MonthName(year_month_day(day)));
  return DayLabel(day, false);
}

std::string BucketTooltip(Day day, Interval interval) {
  switch (interval) {
    case Interval::kDay:
      return DayLabel(day, true);
    case Interval::kWeek:
      return "Week of " + DayLabel(day, true);
    case Interval::kMonth:
      return MonthLabel(day);
  }
  return DayLabel(day, true);
}

std::string_view AxisCaption(Interval interval) {
  switch (interval) {
    case Interval::kDay:
      return "Day (UTC)";
    case Interval::kWeek:
      return "Week starting Monday (UTC)";
    case Interval::kMonth:
      return "Month (UTC)";
  }
  return "";
}

// "12,345.5" style: grouped thousands, at most `decimals` decimals, trailing zeros dropped.
std::string Grouped(double value, int decimals) {
  std::string text = fmt::format("{:.{}f}", std::abs(value), decimals);
  std::string fraction;
  if (auto dot = text.find('.'); dot != std::string::npos) {
    fraction = text.substr(dot);
    text.resize(dot);
    while (!fraction.empty() && (fraction.back() == '0' || fraction.back() == '.')) {
      fraction.pop_back();
    }
  }
  std::string grouped;
  const int n = static_cast<int>(text.size());
  for (int i = 0; i < n; ++i) {
    grouped += text[i];
    if ((n - i - 1) % 3 == 0 && i != n - 1) grouped += ',';
  }
  const bool negative = value < 0 && (grouped != "0" || !fraction.empty());
  return (negative ? "-" : "") + grouped + fraction;
}

// The period as people read it: whole days as an inclusive range of dates, else exact times.
std::string PeriodText(std::string_view from, std::string_view to) {
  auto midnight = [](std::string_view t) { return t.substr(10, 9) == "T00:00:00"; };
  auto first = DayOf(from);
  auto end = DayOf(to);
  if (!first || !end) return "";
  if (midnight(from) && midnight(to)) {
    const Day last = *end - days(1);
    if (last == *first) return DayLabel(*first, true) + " (UTC)";
    return DayLabel(*first, true) + " – " + DayLabel(last, true) + " (UTC)";
  }
  auto exact = [](std::string_view t) {
    return fmt::format("{} {}", t.substr(0, 10), t.substr(11, 5));
  };
  return exact(from) + " – " + exact(to) + " UTC";
}

std::string Num(double v) { return fmt::format("{:.1f}", v); }

}  // namespace

std::string EscapeXml(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        // Control characters other than tab and newline are not allowed in XML 1.0.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n') {
          out += ' ';
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::vector<double> NiceTicks(double max, int target, bool integers) {
  if (!(max > 0) || !std::isfinite(max)) return {0, 1};
  const double raw = max / std::max(target, 1);
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  const double normalized = raw / magnitude;
  double step = 10 * magnitude;
  static constexpr std::array<double, 4> kSteps = {1, 2, 2.5, 5};
  for (double candidate : kSteps) {
    if (integers && candidate == 2.5) continue;
    if (normalized <= candidate + 1e-9) {
      step = candidate * magnitude;
      break;
    }
  }
  if (integers) step = std::max(1.0, std::round(step));
  std::vector<double> ticks;
  const int count = static_cast<int>(std::ceil(max / step - 1e-9));
  for (int i = 0; i <= std::max(count, 1); ++i) ticks.push_back(step * i);
  return ticks;
}

std::string AxisLabel(double value, double top) {
  if (value == 0) return "0";
  if (top >= 1e6) return Grouped(value / 1e6, 2) + "M";
  if (top >= 1e4) return Grouped(value / 1e3, 2) + "k";
  return Grouped(value, 2);
}

int LabelStep(int count, double width, double label_width) {
  if (count <= 0) return 1;
  const int fit = std::max(1, static_cast<int>(std::floor(width / label_width)));
  return std::max(1, (count + fit - 1) / fit);
}

std::string RenderChart(const Series& series) {
  const bool money = series.is_money();
  const int n = static_cast<int>(series.points.size());
  std::vector<double> values;
  values.reserve(series.points.size());
  double max = 0;
  for (const Point& point : series.points) {
    values.push_back(money ? static_cast<double>(point.value) / 100.0
                           : static_cast<double>(point.value));
    max = std::max(max, values.back());
  }
  const bool empty = std::all_of(values.begin(), values.end(), [](double v) { return v == 0; });
  const std::vector<double> ticks = NiceTicks(max, 5, !money);
  const double top = ticks.back();
  auto y_of = [&](double v) { return kTop + kPlotHeight - (v / top) * kPlotHeight; };
  const double slot = n > 0 ? kPlotWidth / n : kPlotWidth;
  auto x_center = [&](int i) { return kLeft + slot * (i + 0.5); };

  const std::string title = fmt::format("{} by {}", MetricTitle(series.metric),
                                        IntervalName(series.interval));
  const std::string unit = money ? series.currency : std::string("Count");
  const std::string total_text =
      money ? fmt::format("Total {} {}", Grouped(static_cast<double>(series.total()) / 100.0, 2),
                          series.currency)
            : fmt::format("Total {}", Grouped(static_cast<double>(series.total()), 0));
  const std::string period = PeriodText(series.from, series.to);

  std::string svg;
  svg.reserve(8192 + static_cast<std::size_t>(n) * 400);
  svg += fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" "
      "viewBox=\"0 0 {0} {1}\" role=\"img\" aria-labelledby=\"chart-title chart-desc\" "
      "font-family=\"{2}\">\n",
      kWidth, kHeight, EscapeXml(kFont));
  svg += fmt::format("<title id=\"chart-title\">{}</title>\n", EscapeXml(title));
  svg += fmt::format("<desc id=\"chart-desc\">{}. {}.</desc>\n", EscapeXml(period),
                     EscapeXml(total_text));
  svg += fmt::format("<rect width=\"{}\" height=\"{}\" fill=\"#ffffff\"/>\n", kWidth, kHeight);

  // Title, period and total, the unit above the y axis.
  svg += fmt::format(
      "<text x=\"{}\" y=\"30\" font-size=\"18\" font-weight=\"600\" fill=\"{}\">{}</text>\n",
      kLeft, kInk, EscapeXml(title));
  svg += fmt::format("<text x=\"{}\" y=\"50\" font-size=\"12\" fill=\"{}\">{}</text>\n", kLeft,
                     kMuted, EscapeXml(period));
  svg += fmt::format(
      "<text x=\"{}\" y=\"50\" font-size=\"12\" fill=\"{}\" text-anchor=\"end\">{}</text>\n",
      kWidth - kRight, kMuted, EscapeXml(total_text));
  svg += fmt::format(
      "<text x=\"{}\" y=\"{}\" font-size=\"11\" fill=\"{}\" text-anchor=\"end\">{}</text>\n",
      kLeft - 10, kTop - 12, kMuted, EscapeXml(unit));

  // Gridlines and y labels.
  svg += "<g class=\"y-axis\">\n";
  for (double tick : ticks) {
    const double y = y_of(tick);
    svg += fmt::format(
        "<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" stroke=\"{3}\" stroke-width=\"1\"/>\n",
        kLeft, Num(y), kLeft + kPlotWidth, tick == 0 ? kAxis : kGrid);
    svg += fmt::format(
        "<text x=\"{}\" y=\"{}\" font-size=\"11\" fill=\"{}\" text-anchor=\"end\">{}</text>\n",
        kLeft - 10, Num(y + 4), kMuted, EscapeXml(AxisLabel(tick, top)));
  }
  svg += "</g>\n";

  // Data.
  svg += "<g class=\"data\">\n";
  if (!empty && money) {
    std::string line;
    for (int i = 0; i < n; ++i) {
      line += fmt::format("{}{},{}", i == 0 ? "" : " ", Num(x_center(i)), Num(y_of(values[i])));
    }
    if (n > 1) {
      svg += fmt::format(
          "<polygon points=\"{},{} {} {},{}\" fill=\"{}\" fill-opacity=\"0.6\"/>\n",
          Num(x_center(0)), Num(y_of(0)), line, Num(x_center(n - 1)), Num(y_of(0)), kArea);
    }
    svg += fmt::format(
        "<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2.5\" "
        "stroke-linejoin=\"round\" stroke-linecap=\"round\"/>\n",
        line, kLine);
  }
  if (!empty) {
    const double bar_width = std::max(1.0, std::min(slot * 0.72, 48.0));
    const double dot = std::clamp(slot * 0.18, 1.5, 4.0);
    for (int i = 0; i < n; ++i) {
      const std::string tooltip = fmt::format(
          "{}: {}{}", BucketTooltip(series.points[i].start, series.interval),
          Grouped(values[i], money ? 2 : 0), money ? " " + series.currency : "");
      if (money) {
        svg += fmt::format(
            "<circle cx=\"{}\" cy=\"{}\" r=\"{}\" fill=\"{}\"><title>{}</title></circle>\n",
            Num(x_center(i)), Num(y_of(values[i])), Num(dot), kLine, EscapeXml(tooltip));
      } else {
        const double y = y_of(values[i]);
        svg += fmt::format(
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"2\" fill=\"{}\">"
            "<title>{}</title></rect>\n",
            Num(x_center(i) - bar_width / 2), Num(y), Num(bar_width),
            Num(kTop + kPlotHeight - y), kBar, EscapeXml(tooltip));
      }
    }
  }
  svg += "</g>\n";
  if (empty) {
    svg += fmt::format(
        "<text class=\"empty\" x=\"{}\" y=\"{}\" font-size=\"15\" fill=\"{}\" "
        "text-anchor=\"middle\">No data in this period</text>\n",
        Num(kLeft + kPlotWidth / 2), Num(kTop + kPlotHeight / 2), kMuted);
  }

  // X axis: labels at every `step`-th bucket, and under a label the year where it changes
  // (and under the first label for months; the caption gives it for days and weeks).
  const int step = LabelStep(n, kPlotWidth, 52);
  svg += "<g class=\"x-axis\">\n";
  int previous_year = 0;
  for (int i = 0; i < n; i += step) {
    const Day start = series.points[i].start;
    const int year = static_cast<int>(year_month_day(start).year());
    const bool show_year = previous_year == 0 ? series.interval == Interval::kMonth
                                              : year != previous_year;
    previous_year = year;
    const double x = x_center(i);
    svg += fmt::format(
        "<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"{3}\" stroke-width=\"1\"/>\n",
        Num(x), Num(kTop + kPlotHeight), Num(kTop + kPlotHeight + 5), kAxis);
    svg += fmt::format(
        "<text x=\"{}\" y=\"{}\" font-size=\"11\" fill=\"{}\" text-anchor=\"middle\">{}</text>\n",
        Num(x), Num(kTop + kPlotHeight + 19), kMuted,
        EscapeXml(BucketLabel(start, series.interval)));
    if (show_year) {
      svg += fmt::format(
          "<text x=\"{}\" y=\"{}\" font-size=\"10\" font-weight=\"600\" fill=\"{}\" "
          "text-anchor=\"middle\">{}</text>\n",
          Num(x), Num(kTop + kPlotHeight + 32), kMuted, year);
    }
  }
  svg += "</g>\n";
  // The caption names the interval and, for days and weeks, the year(s) shown.
  std::string caption(AxisCaption(series.interval));
  if (series.interval != Interval::kMonth && n > 0) {
    const int first = static_cast<int>(year_month_day(series.points.front().start).year());
    const int last = static_cast<int>(year_month_day(series.points.back().start).year());
    caption += first == last ? fmt::format(", {}", first) : fmt::format(", {}–{}", first, last);
  }
  svg += fmt::format(
      "<text x=\"{}\" y=\"{}\" font-size=\"12\" fill=\"{}\" text-anchor=\"middle\">{}</text>\n",
      Num(kLeft + kPlotWidth / 2), Num(kHeight - 14), kMuted, EscapeXml(caption));
  svg += "</svg>\n";
  return svg;
}

}  // namespace rapport::reports
