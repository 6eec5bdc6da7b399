#include "core/query_reader.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "core/ids.hpp"
#include "core/text.hpp"
#include "core/time.hpp"

namespace rapport::core {

void QueryReader::Fail(std::string_view name, std::string_view message) {
  if (!error_) error_ = Error::BadRequest(name, message);
}

std::optional<std::string> QueryReader::Text(std::string_view name) {
  auto value = lookup_(name);
  if (!value || value->empty()) return std::nullopt;
  return std::string(*value);
}

std::optional<std::string> QueryReader::Id(std::string_view name) {
  auto value = Text(name);
  if (!value) return std::nullopt;
  if (!IsUuid(*value)) {
    Fail(name, "must be a UUID");
    return std::nullopt;
  }
  return ToLowerAscii(*value);
}

std::optional<std::vector<std::string>> QueryReader::OneOf(
    std::string_view name, std::span<const std::string_view> allowed) {
  auto value = Text(name);
  if (!value) return std::nullopt;
  std::vector<std::string> values;
  std::string_view rest = *value;
  for (;;) {
    const auto comma = rest.find(',');
    const std::string_view part = rest.substr(0, comma);
    if (std::find(allowed.begin(), allowed.end(), part) == allowed.end()) {
      Fail(name, fmt::format("must be one of: {} (several separated by commas)",
                             fmt::join(allowed, ", ")));
      return std::nullopt;
    }
    if (std::find(values.begin(), values.end(), part) == values.end()) {
      values.emplace_back(part);
    }
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return values;
}

std::optional<std::string> QueryReader::Instant(std::string_view name) {
  auto value = Text(name);
  if (!value) return std::nullopt;
  auto parsed = ParseDateOrTimestamp(*value);
  if (!parsed) {
    Fail(name, "must be an RFC 3339 timestamp or a date (YYYY-MM-DD)");
    return std::nullopt;
  }
  return FormatTimestamp(*parsed);
}

}  // namespace rapport::core
