#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.hpp"

namespace rapport::rules {

// The rule language that selects customers: segments, the `filter` of customer lists,
// campaign audiences and exports all speak it. This file is the language itself (parsing,
// checking, the normalised form); rule_sql.hpp compiles it to SQL. See docs/api/segments.md.
//
// It lives in its own module below `customers` and `segments` so that both can use it:
// customers link it for `GET /customers?filter=`, segments build on customers.

// Limits, checked before anything is compiled.
constexpr int kMaxDepth = 10;                // groups nested in groups, the root counting as 1
constexpr std::size_t kMaxRules = 200;       // conditions and groups in one tree
constexpr std::size_t kMaxListValues = 1000;  // values of one `in` / `not_in`
constexpr std::size_t kMaxValues = 10000;    // values in one tree, all rules together
constexpr std::size_t kMaxTextValue = 1000;  // bytes of one text value
constexpr std::size_t kMaxAttributeKey = 100;  // bytes of the <key> of attributes.<key>
constexpr int64_t kMaxDays = 36500;          // within_last_days / before_days_ago
constexpr std::size_t kMaxErrors = 50;       // problems reported for one tree

// The customer stages, as customers::kStatuses (checked by customer_test.cpp): this module
// sits below customers and cannot include it.
inline constexpr std::array<std::string_view, 4> kStatuses = {"lead", "prospect", "customer",
                                                              "churned"};

enum class Logic { kAnd, kOr };

enum class Field {
  kStatus,
  kTotalSpend,  // money: values in major units, kept as minor units
  kNumVisits,
  kLastVisitAt,
  kLastInteractionAt,
  kCreatedAt,
  kTags,
  kCompany,      // the company's name, case-insensitive
  kEmail,        // the whole address, case-insensitive
  kEmailDomain,  // the part after '@', case-insensitive
  kOwnerId,
  kAttribute,  // attributes.<key>: a top-level key of the custom fields
};

enum class Op {
  kEq,
  kNe,
  kGt,
  kGe,
  kLt,
  kLe,
  kIn,
  kNotIn,
  kContains,
  kStartsWith,
  kIsEmpty,
  kIsNotEmpty,
  kWithinLastDays,
  kBeforeDaysAgo,
};

// One operand, already checked against its field and operator: text (statuses, tags,
// names, addresses, lower-case owner ids, timestamps normalised to RFC 3339 UTC, attribute
// strings), an integer (money in minor units, visits, days, whole attribute numbers), a real
// (other attribute numbers) or a boolean (attributes only).
using Operand = std::variant<std::string, int64_t, double, bool>;

// A node of a rule tree: a group (`logic` over `rules`) or a condition (`field` `op`
// `values`). Built by ParseRules, which guarantees the limits above; a tree built by hand
// must keep them too (the compiler recurses once per level).
struct Rule {
  bool is_group = true;
  // Group.
  Logic logic = Logic::kAnd;
  std::vector<Rule> rules;
  // Condition.
  Field field = Field::kStatus;
  std::string attribute;  // the <key> of attributes.<key>
  Op op = Op::kEq;
  // None for is_empty / is_not_empty, one or more for in / not_in, else exactly one.
  std::vector<Operand> values;

  static Rule Group(Logic logic, std::vector<Rule> rules);
  friend bool operator==(const Rule&, const Rule&) = default;
  static Rule Condition(Field field, Op op, std::vector<Operand> values,
                        std::string attribute = {});
};

// Parses a rule group, in either form:
//   {"logic": "and" | "or", "rules": [{"field", "op", "value"} | group, ...]}
//   {"logicalOperator": "AND" | "OR", "rules": [{"field", "operator", "value"}, ...]}
// (the older form, whose field names may be camelCase: totalSpend, lastVisitDate, ...; both
// spellings are accepted everywhere). Every field, operator and value is checked; the tree
// is walked with its depth checked before each descent, so no input can exhaust the stack.
//
// Returns Invalid listing each problem (up to kMaxErrors) with the path of the key at fault,
// `path` prefixed: "rules[1].rules[0].value", or "rules.rules[0].op" with path "rules".
core::Result<Rule> ParseRules(const nlohmann::json& group, std::string_view path = {});

// The normalised form of a parsed tree, the one stored and returned: the newer form with
// snake_case field names, canonical operators and normalised values (timestamps in UTC,
// money as JSON numbers in major units, owner ids lower-case).
// ParseRules(ToJson(r)) gives back r.
nlohmann::json ToJson(const Rule& rule);

// The API names.
std::string_view FieldName(Field field);
std::string_view OpName(Op op);

}  // namespace rapport::rules
