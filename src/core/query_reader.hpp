#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace rapport::core {

// A query-parameter lookup: the decoded value of a parameter, nullopt when it is absent.
using ParamLookup = std::function<std::optional<std::string_view>(std::string_view)>;

// Reads the filters of a list from its query parameters, the way JsonReader reads a body:
// each getter returns the value or nullopt, and records the first problem, which Finish()
// returns as a BadRequest naming the parameter. An empty value (`?status=`) reads as absent.
//
//   QueryReader in(lookup);
//   filter.status = in.OneOf("status", kStatuses);
//   filter.user_id = in.Id("user_id");
//   if (auto error = in.Finish()) return *error;
class QueryReader {
 public:
  explicit QueryReader(ParamLookup lookup) : lookup_(std::move(lookup)) {}

  std::optional<std::string> Text(std::string_view name);
  // A UUID, lower-cased (ids are stored lower-case).
  std::optional<std::string> Id(std::string_view name);
  // One of `allowed`, or several separated by commas (`status=open,in_progress`); repeats are
  // dropped, the order is kept.
  std::optional<std::vector<std::string>> OneOf(std::string_view name,
                                                std::span<const std::string_view> allowed);
  // An RFC 3339 timestamp, or a date meaning midnight UTC; normalised to the stored form.
  std::optional<std::string> Instant(std::string_view name);

  // The first problem found, if any.
  std::optional<Error> Finish() { return std::move(error_); }

 private:
  void Fail(std::string_view name, std::string_view message);

  ParamLookup lookup_;
  std::optional<Error> error_;
};

}  // namespace rapport::core
