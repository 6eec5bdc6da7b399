#include "core/page.hpp"

#include <fmt/format.h>

#include "core/json_text.hpp"
#include "core/text.hpp"

namespace rapport::core {

Result<std::vector<SortKey>> ParseSort(std::optional<std::string_view> text,
                                       const std::vector<std::string_view>& allowed,
                                       std::string_view fallback) {
  std::string_view spec = text && !text->empty() ? *text : fallback;
  std::vector<SortKey> keys;
  while (!spec.empty()) {
    auto comma = spec.find(',');
    std::string_view part = spec.substr(0, comma);
    spec = comma == std::string_view::npos ? std::string_view() : spec.substr(comma + 1);
    SortKey key;
    if (part.starts_with('-')) {
      key.descending = true;
      part.remove_prefix(1);
    } else if (part.starts_with('+')) {
      part.remove_prefix(1);
    }
    bool known = false;
    for (std::string_view field : allowed) known = known || field == part;
    if (!known) {
      return Error::BadRequest(
          "sort", fmt::format("cannot sort by '{}'; allowed: {}", part, fmt::join(allowed, ", ")));
    }
    for (const SortKey& existing : keys) {
      if (existing.field == part) return Error::BadRequest("sort", "a field appears twice");
    }
    key.field = std::string(part);
    keys.push_back(std::move(key));
  }
  if (keys.size() > 3) return Error::BadRequest("sort", "at most 3 sort fields");
  return keys;
}

namespace {

std::string SortSignature(const std::vector<SortKey>& sort) {
  std::string signature;
  for (const SortKey& key : sort) {
    signature += key.descending ? "-" : "+";
    signature += key.field;
    signature += ",";
  }
  return signature;
}

}  // namespace

std::string EncodeCursor(const std::vector<SortKey>& sort, const std::vector<std::string>& values) {
  // {"s": signature, "v": [values]}, written as text: every page of every list makes one.
  std::string doc = R"({"s":)";
  AppendJsonString(doc, SortSignature(sort));
  doc += R"(,"v":[)";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) doc += ',';
    AppendJsonString(doc, values[i]);
  }
  doc += "]}";
  return Base64UrlEncode(doc);
}

Result<std::vector<std::string>> DecodeCursor(std::string_view cursor,
                                              const std::vector<SortKey>& sort) {
  const Error invalid = Error::BadRequest("cursor", "is not a cursor of this list");
  auto text = Base64UrlDecode(cursor);
  if (!text) return invalid;
  auto doc = nlohmann::json::parse(*text, nullptr, false);
  if (!doc.is_object() || !doc.contains("s") || !doc.contains("v") || !doc["s"].is_string() ||
      !doc["v"].is_array() || doc["s"].get<std::string>() != SortSignature(sort) ||
      doc["v"].size() != sort.size()) {
    return invalid;
  }
  std::vector<std::string> values;
  for (const auto& v : doc["v"]) {
    if (!v.is_string()) return invalid;
    values.push_back(v.get<std::string>());
  }
  return values;
}

nlohmann::json Page::ToJson() && {
  nlohmann::json out = nlohmann::json::object();
  out["data"] = std::move(data);
  out["next_cursor"] = next_cursor ? nlohmann::json(*next_cursor) : nlohmann::json(nullptr);
  if (total) out["total"] = *total;
  return out;
}

}  // namespace rapport::core
