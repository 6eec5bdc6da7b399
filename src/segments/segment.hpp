#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/json_reader.hpp"
#include "core/result.hpp"
#include "customers/customer.hpp"
#include "rules/rule.hpp"

namespace rapport::segments {

constexpr std::size_t kMaxSegmentName = 200;
constexpr std::size_t kMaxSegmentDescription = 2000;
// Customers a preview shows.
constexpr int kPreviewSample = 10;

// A saved rule group with a name. `rules` is kept in its normalised form (rules::ToJson).
struct Segment {
  std::string id;
  std::string name;
  std::optional<std::string> description;
  nlohmann::json rules;
  int64_t version = 1;
  std::string created_at;
  std::string updated_at;

  nlohmann::json ToJson() const;
};

// The writable fields of a POST or PATCH body: `rules` parsed and checked (problems named
// by their path under "rules", e.g. "rules.rules[0].op").
struct SegmentInput {
  core::Field<std::string> name;
  core::Field<std::string> description;
  std::optional<rules::Rule> rules;
};

// POST /segments: name and rules required. PATCH /segments/{id}: any of name, description,
// rules; name and rules not null. Invalid names every bad, unknown or read-only field.
core::Result<SegmentInput> ParseNewSegment(const nlohmann::json& body);
core::Result<SegmentInput> ParseSegmentChanges(const nlohmann::json& body);

// Applies `input` to `segment`; returns whether anything changed.
bool ApplySegmentInput(const SegmentInput& input, Segment& segment);

struct SegmentFilter {
  std::optional<std::string> q;  // case-insensitive over name and description
};

inline const std::vector<std::string_view> kSegmentSortFields = {"name", "created_at",
                                                                 "updated_at"};
constexpr std::string_view kDefaultSegmentSort = "name";

// What POST /segments/preview answers: how many customers match, and the first of them in
// the customer list's default order (newest first), as GET /customers shows them.
struct Preview {
  int64_t count = 0;
  std::vector<customers::Customer> sample;

  std::string ToJsonText() const;
};

}  // namespace rapport::segments
