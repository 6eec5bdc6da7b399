#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace rapport::core {

// A UTC instant with microsecond resolution.
using Timestamp = std::chrono::sys_time<std::chrono::microseconds>;

// The current time from the system clock. Thread-safe.
Timestamp Now();

// RFC 3339 in UTC at seconds precision, always "YYYY-MM-DDTHH:MM:SSZ"; the sub-second part is
// dropped (floored). Fixed width for years 0000-9999, so such strings sort chronologically.
std::string FormatTimestamp(Timestamp t);

// Parses an RFC 3339 date-time: "YYYY-MM-DD", 'T' / 't' / ' ', "HH:MM:SS", optional
// fraction ".d+" (digits beyond microseconds are truncated), then "Z" / "z" or "+HH:MM" /
// "-HH:MM". Returns the instant in UTC, or nullopt for anything else: a missing offset,
// out-of-range fields (month 13, Feb 30, hour 24, second 60 — leap seconds are not
// representable), wrong field widths, surrounding whitespace or trailing characters.
std::optional<Timestamp> ParseTimestamp(std::string_view s);

// Like ParseTimestamp, and also accepts a bare date "YYYY-MM-DD" meaning midnight UTC.
std::optional<Timestamp> ParseDateOrTimestamp(std::string_view s);

}  // namespace rapport::core
