#include "core/json_reader.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "core/ids.hpp"
#include "core/money.hpp"
#include "core/text.hpp"
#include "core/time.hpp"

namespace rapport::core {

const nlohmann::json* JsonReader::Take(std::string_view key) {
  seen_.emplace(key);
  auto it = object_.find(key);
  return it == object_.end() ? nullptr : &*it;
}

void JsonReader::Fail(std::string_view field, std::string_view message) {
  errors_.push_back({std::string(field), std::string(message)});
}

Field<std::string> JsonReader::Text(std::string_view key, TextRule rule) {
  Field<std::string> field;
  const nlohmann::json* v = Open(key, field);
  if (!v) return field;
  if (!v->is_string()) {
    Fail(key, "must be a string");
    return field;
  }
  std::string text = rule.trim ? Trim(v->get_ref<const std::string&>())
                               : v->get<std::string>();
  if (text.size() < rule.min) {
    Fail(key, rule.min == 1 ? "must not be empty"
                            : fmt::format("must be at least {} characters", rule.min));
  } else if (text.size() > rule.max) {
    Fail(key, fmt::format("must be at most {} characters", rule.max));
  } else if (text.find('\0') != std::string::npos) {
    Fail(key, "must not contain NUL characters");
  } else {
    field.value = std::move(text);
  }
  return field;
}

Field<std::string> JsonReader::TextOrNull(std::string_view key, std::size_t max) {
  Field<std::string> field = Text(key, {.min = 0, .max = max});
  if (field.value && field.value->empty()) {
    field.value.reset();
    field.null = true;
  }
  return field;
}

Field<std::string> JsonReader::Enum(std::string_view key,
                                    std::span<const std::string_view> allowed) {
  Field<std::string> field = Text(key, {.min = 0, .max = 100});
  if (!field.value) return field;
  for (std::string_view option : allowed) {
    if (*field.value == option) return field;
  }
  Fail(key, fmt::format("must be one of: {}", fmt::join(allowed, ", ")));
  field.value.reset();
  return field;
}

Field<std::string> JsonReader::Email(std::string_view key) {
  Field<std::string> field = Text(key, {.min = 0, .max = 254});
  if (field.value && !IsValidEmail(*field.value)) {
    Fail(key, "must be a valid email address");
    field.value.reset();
  }
  return field;
}

Field<std::string> JsonReader::Id(std::string_view key) {
  Field<std::string> field = Text(key, {.min = 0, .max = 36});
  if (field.value && !IsUuid(*field.value)) {
    Fail(key, "must be a UUID");
    field.value.reset();
  } else if (field.value) {
    field.value = ToLowerAscii(*field.value);
  }
  return field;
}

Field<std::string> JsonReader::Timestamp(std::string_view key) {
  Field<std::string> field = Text(key, {.min = 0, .max = 64});
  if (!field.value) return field;
  auto parsed = ParseTimestamp(*field.value);
  if (!parsed) {
    Fail(key, "must be an RFC 3339 timestamp like 2026-11-22T14:00:00Z");
    field.value.reset();
  } else {
    field.value = FormatTimestamp(*parsed);
  }
  return field;
}

Field<int64_t> JsonReader::Integer(std::string_view key, int64_t min, int64_t max) {
  Field<int64_t> field;
  const nlohmann::json* v = Open(key, field);
  if (!v) return field;
  if (!v->is_number_integer()) {
    Fail(key, "must be an integer");
  } else if (v->is_number_unsigned() && v->get<uint64_t>() > static_cast<uint64_t>(max)) {
    Fail(key, fmt::format("must be between {} and {}", min, max));
  } else if (int64_t n = v->get<int64_t>(); n < min || n > max) {
    Fail(key, fmt::format("must be between {} and {}", min, max));
  } else {
    field.value = n;
  }
  return field;
}

Field<bool> JsonReader::Boolean(std::string_view key) {
  Field<bool> field;
  const nlohmann::json* v = Open(key, field);
  if (!v) return field;
  if (!v->is_boolean()) {
    Fail(key, "must be true or false");
  } else {
    field.value = v->get<bool>();
  }
  return field;
}

Field<int64_t> JsonReader::Money(std::string_view key) {
  Field<int64_t> field;
  const nlohmann::json* v = Open(key, field);
  if (!v) return field;
  field.value = ParseMoney(*v);
  if (!field.value) Fail(key, "must be a non-negative amount with at most 2 decimals");
  return field;
}

Field<std::vector<std::string>> JsonReader::TextList(std::string_view key, std::size_t max_items,
                                                     TextRule item_rule) {
  Field<std::vector<std::string>> field;
  const nlohmann::json* v = Open(key, field);
  if (!v) return field;
  if (!v->is_array()) {
    Fail(key, "must be an array of strings");
    return field;
  }
  if (v->size() > max_items) {
    Fail(key, fmt::format("must have at most {} items", max_items));
    return field;
  }
  std::vector<std::string> items;
  for (const auto& item : *v) {
    if (!item.is_string()) {
      Fail(key, "must be an array of strings");
      return field;
    }
    std::string text = item_rule.trim ? Trim(item.get_ref<const std::string&>())
                                      : item.get<std::string>();
    if (text.size() < item_rule.min || text.size() > item_rule.max) {
      Fail(key, fmt::format("items must be {} to {} characters", item_rule.min, item_rule.max));
      return field;
    }
    if (text.find('\0') != std::string::npos) {
      Fail(key, "items must not contain NUL characters");
      return field;
    }
    items.push_back(std::move(text));
  }
  field.value = std::move(items);
  return field;
}

int NestingDepth(const nlohmann::json& value, int limit) {
  int deepest = 0;
  std::vector<std::pair<const nlohmann::json*, int>> pending = {{&value, 0}};
  while (!pending.empty()) {
    auto [node, depth] = pending.back();
    pending.pop_back();
    if (!node->is_structured()) continue;
    deepest = std::max(deepest, depth + 1);
    if (deepest > limit) return limit + 1;
    for (const auto& child : *node) pending.emplace_back(&child, depth + 1);
  }
  return deepest;
}

Field<nlohmann::json> JsonReader::Object(std::string_view key) {
  Field<nlohmann::json> field;
  const nlohmann::json* v = Open(key, field);
  if (!v) return field;
  if (!v->is_object()) {
    Fail(key, "must be an object");
  } else if (NestingDepth(*v, kMaxObjectNesting) > kMaxObjectNesting) {
    Fail(key, fmt::format("must be nested at most {} levels deep", kMaxObjectNesting));
  } else {
    field.value = *v;
  }
  return field;
}

void JsonReader::ReadOnly(std::initializer_list<std::string_view> keys) {
  for (std::string_view key : keys) {
    seen_.emplace(key);
    if (object_.contains(key)) Fail(key, "is read-only");
  }
}

std::optional<Error> JsonReader::Finish() {
  for (const auto& [key, value] : object_.items()) {
    if (!seen_.contains(key)) Fail(key, "is not a known field");
  }
  if (errors_.empty()) return std::nullopt;
  return Error::Invalid(std::move(errors_));
}

std::optional<Error> ParseJsonObject(std::string_view text, nlohmann::json& out) {
  out = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (out.is_discarded()) return Error::Malformed("the request body is not valid JSON");
  if (!out.is_object()) return Error::Invalid("body", "must be a JSON object");
  return std::nullopt;
}

}  // namespace rapport::core
