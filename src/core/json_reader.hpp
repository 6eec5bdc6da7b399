#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace rapport::core {

// A field of a write body: absent, explicitly null, or a value. PATCH tells the three apart.
template <class T>
struct Field {
  bool present = false;
  bool null = false;       // present as JSON null
  std::optional<T> value;  // empty when absent, null or invalid

  bool is_null() const { return null; }
  const T& operator*() const { return *value; }
  const T* operator->() const { return &*value; }

  // PATCH semantics for an optional target: when present, sets it to the value (nullopt for
  // null). Returns whether `target` changed.
  bool AssignTo(std::optional<T>& target) const {
    if (!present || value == target) return false;
    target = value;
    return true;
  }
  // For a target that cannot be null: sets it when there is a value. Returns whether it
  // changed.
  bool AssignTo(T& target) const {
    if (!value || *value == target) return false;
    target = *value;
    return true;
  }
};

// The JSON of an optional value: the value, or null.
template <class T>
nlohmann::json JsonOrNull(const std::optional<T>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

// How deep Object() values may nest ({"a": {"b": 1}} is 2).
constexpr int kMaxObjectNesting = 32;

// The nesting depth of `value` (a scalar is 0, [] and {} are 1), counted without recursion,
// so any document can be measured; stops counting above `limit` and returns limit + 1.
int NestingDepth(const nlohmann::json& value, int limit);

struct TextRule {
  std::size_t min = 0;
  std::size_t max = 1000;
  bool trim = true;
};

// Reads the fields of a JSON object body, collecting every problem with its field name.
// Each getter marks its key as known; Finish() reports keys nobody asked for as unknown
// fields, and read-only keys as such, so a body can never set what it should not.
//
//   JsonReader in(body);
//   auto name = in.Text("name", {.min = 1, .max = 200});
//   in.ReadOnly({"id", "created_at"});
//   if (auto error = in.Finish()) return *error;
class JsonReader {
 public:
  explicit JsonReader(const nlohmann::json& object) : object_(object) {}

  Field<std::string> Text(std::string_view key, TextRule rule = {});
  // Optional text of at most `max` characters, where "" reads as null (it clears the field).
  Field<std::string> TextOrNull(std::string_view key, std::size_t max);
  // A string that must be one of `allowed`.
  Field<std::string> Enum(std::string_view key, std::initializer_list<std::string_view> allowed) {
    return Enum(key, std::span<const std::string_view>(allowed.begin(), allowed.size()));
  }
  Field<std::string> Enum(std::string_view key, std::span<const std::string_view> allowed);
  Field<std::string> Email(std::string_view key);
  Field<std::string> Id(std::string_view key);         // a UUID
  Field<std::string> Timestamp(std::string_view key);  // RFC 3339, normalised to UTC
  Field<int64_t> Integer(std::string_view key, int64_t min, int64_t max);
  Field<bool> Boolean(std::string_view key);
  Field<int64_t> Money(std::string_view key);  // minor units
  Field<std::vector<std::string>> TextList(std::string_view key, std::size_t max_items,
                                           TextRule item_rule = {});
  // Any JSON object nested at most kMaxObjectNesting levels deep (deeper values are refused
  // before they are copied: copying, comparing and printing a document recurse).
  Field<nlohmann::json> Object(std::string_view key);
  // The value of `key` as it is (nullptr when absent), marked as known, for a caller that
  // checks it itself. Nothing is copied, so it also suits deep values.
  const nlohmann::json* Raw(std::string_view key) { return Take(key); }

  // Reports `key` as required when it is absent or null (an invalid value already has its
  // own problem).
  template <class T>
  void Require(std::string_view key, const Field<T>& field) {
    if (!field.present || field.null) Fail(key, "is required");
  }
  // Reports `key` when it is explicitly null.
  template <class T>
  void NotNull(std::string_view key, const Field<T>& field) {
    if (field.null) Fail(key, "must not be null");
  }

  // Marks keys that may not be written; present ones are reported as read-only.
  void ReadOnly(std::initializer_list<std::string_view> keys);
  // Adds a problem found by the caller.
  void Fail(std::string_view field, std::string_view message);
  bool has_errors() const { return !errors_.empty(); }

  // The collected problems (unknown and read-only fields included) as one Invalid error.
  std::optional<Error> Finish();

 private:
  const nlohmann::json* Take(std::string_view key);
  // Marks `key` as read and records in `field` whether it is present or null; returns the
  // value to validate, or null when there is none (absent or JSON null).
  template <class T>
  const nlohmann::json* Open(std::string_view key, Field<T>& field) {
    const nlohmann::json* v = Take(key);
    if (!v) return nullptr;
    field.present = true;
    field.null = v->is_null();
    return field.null ? nullptr : v;
  }

  const nlohmann::json& object_;
  std::set<std::string, std::less<>> seen_;
  std::vector<FieldError> errors_;
};

// Parses a request body that must be a JSON object: Malformed on invalid JSON, Invalid when
// it is valid JSON of another type.
std::optional<Error> ParseJsonObject(std::string_view text, nlohmann::json& out);

}  // namespace rapport::core
