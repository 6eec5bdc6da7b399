#include "core/money.hpp"

#include <charconv>
#include <cmath>
#include <string>

namespace rapport::core {

std::optional<int64_t> ParseMoney(const nlohmann::json& v) {
  constexpr int64_t kMaxMajor = kMaxMoneyMinor / 100;
  if (v.is_number_unsigned()) {
    const auto major = v.get<uint64_t>();
    if (major > static_cast<uint64_t>(kMaxMajor)) return std::nullopt;
    return static_cast<int64_t>(major) * 100;
  }
  if (v.is_number_integer()) {
    const auto major = v.get<int64_t>();
    if (major < 0 || major > kMaxMajor) return std::nullopt;
    return major * 100;
  }
  if (!v.is_number_float()) return std::nullopt;

  const double d = v.get<double>();
  // A coarse range check; the exact bound is applied to the digits below.
  if (!std::isfinite(d) || d < 0 || d >= static_cast<double>(kMaxMajor + 1)) return std::nullopt;
  if (d == 0) return 0;  // Also covers -0.0.

  // The shortest fixed-notation text that round-trips is the decimal the sender wrote (or
  // an equivalent one): judge the number of decimals on it, not on d * 100.
  char buffer[64];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, d, std::chars_format::fixed);
  if (ec != std::errc()) return std::nullopt;
  const std::string_view text(buffer, static_cast<size_t>(end - buffer));

  const size_t dot = text.find('.');
  const std::string_view whole = text.substr(0, dot);
  const std::string_view fraction =
      dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
  if (fraction.size() > 2) return std::nullopt;

  int64_t minor = 0;
  for (const char c : whole) minor = minor * 10 + (c - '0');
  for (size_t i = 0; i < 2; ++i) {
    minor = minor * 10 + (i < fraction.size() ? fraction[i] - '0' : 0);
  }
  if (minor > kMaxMoneyMinor) return std::nullopt;
  return minor;
}

nlohmann::json MoneyToJson(int64_t minor) {
  if (minor % 100 == 0) return minor / 100;
  // IEEE division is correctly rounded, so this is the double nearest to the decimal
  // amount; its shortest round-trip form is that decimal.
  return static_cast<double>(minor) / 100.0;
}

bool IsCurrencyCode(std::string_view s) {
  if (s.size() != 3) return false;
  for (const char c : s) {
    if (c < 'A' || c > 'Z') return false;
  }
  return true;
}

}  // namespace rapport::core
