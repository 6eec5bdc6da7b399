#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "reports/report.hpp"

namespace rapport::reports {

// Escapes text for XML character data and attribute values (& < > " ').
std::string EscapeXml(std::string_view text);

// Tick values for an axis from 0 to at least `max`: evenly spaced "nice" numbers (1, 2, 2.5
// or 5 times a power of ten; only 1, 2 and 5 for `integers`), about `target` of them; the
// last is >= max. For max <= 0: {0, 1}.
std::vector<double> NiceTicks(double max, int target, bool integers);

// An axis label for `value` on an axis whose largest tick is `top`: thousands grouped
// ("2,500"), or in k / M when the axis reaches 10,000 / 1,000,000 ("7.5k", "1.2M"); at most
// two decimals, trailing zeros dropped.
std::string AxisLabel(double value, double top);

// How many buckets apart x-axis labels must be so that `count` labels of about
// `label_width` pixels fit in `width` pixels (1 = every bucket).
int LabelStep(int count, double width, double label_width);

// A self-contained SVG 1.1 image (800 × 400) of `series`: title, period, y axis with unit and
// gridlines at nice values, x axis with the bucket dates (thinned when crowded), bars for
// counts and a line for money, a tooltip (<title>) per bucket, and a message instead of
// bars when every bucket is zero. Every text is XML-escaped.
std::string RenderChart(const Series& series);

}  // namespace rapport::reports
