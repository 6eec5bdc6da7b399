#include "core/time.hpp"

#include <cstdio>

#include <date/date.h>

namespace rapport::core {
namespace {

using std::chrono::days;
using std::chrono::hours;
using std::chrono::microseconds;
using std::chrono::minutes;
using std::chrono::seconds;

// Reads exactly `width` ASCII digits at `pos`; advances `pos` on success.
bool ReadDigits(std::string_view s, size_t& pos, size_t width, int& value) {
  if (pos + width > s.size()) return false;
  int v = 0;
  for (size_t i = 0; i < width; ++i) {
    const char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  value = v;
  pos += width;
  return true;
}

bool Expect(std::string_view s, size_t& pos, char c) {
  if (pos >= s.size() || s[pos] != c) return false;
  ++pos;
  return true;
}

// Parses "YYYY-MM-DD" at `pos` into a day point, validating the calendar date.
std::optional<date::sys_days> ReadDate(std::string_view s, size_t& pos) {
  int year = 0, month = 0, day = 0;
  if (!ReadDigits(s, pos, 4, year) || !Expect(s, pos, '-') || !ReadDigits(s, pos, 2, month) ||
      !Expect(s, pos, '-') || !ReadDigits(s, pos, 2, day)) {
    return std::nullopt;
  }
  const date::year_month_day ymd{date::year{year}, date::month{static_cast<unsigned>(month)},
                                 date::day{static_cast<unsigned>(day)}};
  if (!ymd.ok()) return std::nullopt;
  return date::sys_days{ymd};
}

}  // namespace

Timestamp Now() {
  return std::chrono::time_point_cast<microseconds>(std::chrono::system_clock::now());
}

std::string FormatTimestamp(Timestamp t) {
  const auto secs = std::chrono::floor<seconds>(t);
  const auto day_point = std::chrono::floor<days>(secs);
  const date::year_month_day ymd{date::sys_days{day_point.time_since_epoch()}};
  const date::hh_mm_ss<seconds> tod{secs - day_point};

  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02uT%02d:%02d:%02dZ",
                static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()), static_cast<int>(tod.hours().count()),
                static_cast<int>(tod.minutes().count()), static_cast<int>(tod.seconds().count()));
  return buffer;
}

std::optional<Timestamp> ParseTimestamp(std::string_view s) {
  size_t pos = 0;
  const auto day_point = ReadDate(s, pos);
  if (!day_point) return std::nullopt;

  if (pos >= s.size() || (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' ')) return std::nullopt;
  ++pos;

  int hour = 0, minute = 0, second = 0;
  if (!ReadDigits(s, pos, 2, hour) || !Expect(s, pos, ':') || !ReadDigits(s, pos, 2, minute) ||
      !Expect(s, pos, ':') || !ReadDigits(s, pos, 2, second)) {
    return std::nullopt;
  }
  if (hour > 23 || minute > 59 || second > 59) return std::nullopt;

  int64_t micros = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    const size_t start = pos;
    int64_t scale = 100000;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      micros += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start) return std::nullopt;
  }

  minutes offset{0};
  if (pos >= s.size()) return std::nullopt;
  const char zone = s[pos++];
  if (zone == '+' || zone == '-') {
    int offset_hours = 0, offset_minutes = 0;
    if (!ReadDigits(s, pos, 2, offset_hours) || !Expect(s, pos, ':') ||
        !ReadDigits(s, pos, 2, offset_minutes)) {
      return std::nullopt;
    }
    if (offset_hours > 23 || offset_minutes > 59) return std::nullopt;
    offset = hours{offset_hours} + minutes{offset_minutes};
    if (zone == '-') offset = -offset;
  } else if (zone != 'Z' && zone != 'z') {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;

  // Local time = UTC + offset, so UTC = local time - offset.
  return Timestamp{*day_point} + hours{hour} + minutes{minute} + seconds{second} +
         microseconds{micros} - offset;
}

std::optional<Timestamp> ParseDateOrTimestamp(std::string_view s) {
  if (s.size() == 10) {
    size_t pos = 0;
    const auto day_point = ReadDate(s, pos);
    if (!day_point) return std::nullopt;
    return Timestamp{*day_point};
  }
  return ParseTimestamp(s);
}

}  // namespace rapport::core
