#include "rules/rule.hpp"

#include <gtest/gtest.h>

#include <string>

namespace rapport::rules {
namespace {

using nlohmann::json;

json Parsed(const json& input) {
  auto rule = ParseRules(input);
  EXPECT_TRUE(rule.ok()) << input.dump() << " → " << (rule.ok() ? "" : rule.error().detail);
  return rule.ok() ? ToJson(*rule) : json();
}

// The problems of a rejected tree, as "path: message" lines.
std::vector<std::string> Problems(const json& input, std::string_view path = {}) {
  auto rule = ParseRules(input, path);
  std::vector<std::string> out;
  if (rule.ok()) return out;
  for (const auto& e : rule.error().errors) out.push_back(e.field + ": " + e.message);
  return out;
}

TEST(RuleParseTest, NormalisesTheNewerForm) {
  const json input = {
      {"logic", "AND"},
      {"rules",
       {{{"field", "total_spend"}, {"op", ">"}, {"value", 100.5}},
        {{"field", "status"}, {"op", "in"}, {"value", {"lead", "customer"}}},
        {{"logic", "or"},
         {"rules",
          {{{"field", "last_visit_at"}, {"op", "<"}, {"value", "2026-11-22T15:00:00+01:00"}},
           {{"field", "created_at"}, {"op", ">="}, {"value", "2026-01-01"}},
           {{"field", "owner_id"}, {"op", "="}, {"value", "01890A5D-AC96-774B-BCCE-B302099A8057"}},
           {{"field", "email"}, {"op", "is_empty"}},
           {{"field", "attributes.plan"}, {"op", "!="}, {"value", "gold"}},
           {{"field", "attributes.score"}, {"op", ">="}, {"value", 7}},
           {{"field", "attributes.ratio"}, {"op", "<"}, {"value", 0.25}},
           {{"field", "attributes.vip"}, {"op", "="}, {"value", true}},
           {{"field", "tags"}, {"op", "contains"}, {"value", "  vip "}},
           {{"field", "last_interaction_at"}, {"op", "within_last_days"}, {"value", 30}}}}}}}};
  const json expected = {
      {"logic", "and"},
      {"rules",
       {{{"field", "total_spend"}, {"op", ">"}, {"value", 100.5}},
        {{"field", "status"}, {"op", "in"}, {"value", {"lead", "customer"}}},
        {{"logic", "or"},
         {"rules",
          {{{"field", "last_visit_at"}, {"op", "<"}, {"value", "2026-11-22T14:00:00Z"}},
           {{"field", "created_at"}, {"op", ">="}, {"value", "2026-01-01T00:00:00Z"}},
           {{"field", "owner_id"}, {"op", "="}, {"value", "01890a5d-ac96-774b-bcce-b302099a8057"}},
           {{"field", "email"}, {"op", "is_empty"}},
           {{"field", "attributes.plan"}, {"op", "!="}, {"value", "gold"}},
           {{"field", "attributes.score"}, {"op", ">="}, {"value", 7}},
           {{"field", "attributes.ratio"}, {"op", "<"}, {"value", 0.25}},
           {{"field", "attributes.vip"}, {"op", "="}, {"value", true}},
           {{"field", "tags"}, {"op", "contains"}, {"value", "vip"}},
           {{"field", "last_interaction_at"}, {"op", "within_last_days"}, {"value", 30}}}}}}}};
  EXPECT_EQ(Parsed(input), expected);
  EXPECT_EQ(Parsed(expected), expected);  // the normalised form is a fixed point
  auto once = ParseRules(input);
  ASSERT_TRUE(once.ok());
  auto twice = ParseRules(ToJson(*once));
  ASSERT_TRUE(twice.ok());
  EXPECT_TRUE(*once == *twice);
  EXPECT_EQ(std::get<int64_t>(once->rules[0].values[0]), 10050);  // money in minor units
}

TEST(RuleParseTest, AcceptsTheOlderForm) {
  const json old = {
      {"logicalOperator", "OR"},
      {"rules",
       {{{"field", "totalSpend"}, {"operator", ">="}, {"value", 250}},
        {{"field", "numVisits"}, {"operator", "<"}, {"value", 3}},
        {{"field", "lastVisitDate"}, {"operator", "before_days_ago"}, {"value", 90}},
        {{"field", "lastInteractionDate"}, {"operator", "isEmpty"}},
        {{"field", "createdAt"}, {"operator", "withinLastDays"}, {"value", 7}},
        {{"field", "ownerId"}, {"operator", "isNotEmpty"}},
        {{"field", "emailDomain"}, {"operator", "=="}, {"value", "Example.com"}},
        {{"rules", {{{"field", "company"}, {"operator", "startsWith"}, {"value", "Ac"}}}},
         {"logicalOperator", "AND"}}}}};
  const json expected = {
      {"logic", "or"},
      {"rules",
       {{{"field", "total_spend"}, {"op", ">="}, {"value", 250}},
        {{"field", "num_visits"}, {"op", "<"}, {"value", 3}},
        {{"field", "last_visit_at"}, {"op", "before_days_ago"}, {"value", 90}},
        {{"field", "last_interaction_at"}, {"op", "is_empty"}},
        {{"field", "created_at"}, {"op", "within_last_days"}, {"value", 7}},
        {{"field", "owner_id"}, {"op", "is_not_empty"}},
        {{"field", "email_domain"}, {"op", "="}, {"value", "Example.com"}},
        {{"logic", "and"}, {"rules", {{{"field", "company"}, {"op", "starts_with"}, {"value", "Ac"}}}}}}}};
  EXPECT_EQ(Parsed(old), expected);
}

TEST(RuleParseTest, DefaultsAndEdges) {
  EXPECT_EQ(Parsed({{"rules", json::array()}}), json({{"logic", "and"}, {"rules", json::array()}}));
  EXPECT_EQ(Parsed({{"rules", {{{"field", "status"}, {"op", "is_empty"}, {"value", nullptr}}}}}),
            json({{"logic", "and"}, {"rules", {{{"field", "status"}, {"op", "is_empty"}}}}}));
  // Attribute keys may hold dots, spaces and non-ASCII; they name one top-level key.
  EXPECT_EQ(Parsed({{"rules", {{{"field", "attributes.a.b c é"}, {"op", "="}, {"value", 1}}}}})
                ["rules"][0]["field"],
            "attributes.a.b c é");
  // Large unsigned attribute numbers become reals rather than fail.
  EXPECT_TRUE(ParseRules({{"rules", {{{"field", "attributes.n"}, {"op", ">"},
                                      {"value", 18446744073709551615ull}}}}})
                  .ok());
}

TEST(RuleParseTest, NamesEachProblemByItsPath) {
  struct Case {
    json input;
    std::string problem;  // the start of the only "path: message" expected
  };
  const json deep_rules = {{"logic", "or"}, {"rules", {{{"field", "bogus"}, {"op", "="}, {"value", 1}}}}};
  const Case cases[] = {
      {{{"rules", {{{"field", "bogus"}, {"op", "="}, {"value", 1}}}}}, "rules[0].field: unknown field 'bogus'"},
      {{{"rules", {{{"field", "status"}, {"op", "~"}, {"value", "lead"}}}}}, "rules[0].op: unknown operator '~'"},
      {{{"rules", {{{"field", "status"}, {"op", ">"}, {"value", "lead"}}}}},
       "rules[0].op: '>' does not apply to status"},
      {{{"rules", {{{"field", "total_spend"}, {"op", ">"}, {"value", "100"}}}}},
       "rules[0].value: must be an amount"},
      {{{"rules", {{{"field", "total_spend"}, {"op", ">"}, {"value", 1.005}}}}},
       "rules[0].value: must be an amount"},
      {{{"rules", {{{"field", "total_spend"}, {"op", ">"}, {"value", -1}}}}},
       "rules[0].value: must be an amount"},
      {{{"rules", {{{"field", "num_visits"}, {"op", ">"}, {"value", 2.5}}}}}, "rules[0].value: must be an integer"},
      {{{"rules", {{{"field", "status"}, {"op", "="}, {"value", "vip"}}}}}, "rules[0].value: must be one of"},
      {{{"rules", {{{"field", "created_at"}, {"op", ">"}, {"value", "yesterday"}}}}},
       "rules[0].value: must be an RFC 3339 timestamp"},
      {{{"rules", {{{"field", "created_at"}, {"op", "within_last_days"}, {"value", -1}}}}},
       "rules[0].value: must be a whole number of days"},
      {{{"rules", {{{"field", "created_at"}, {"op", "within_last_days"}, {"value", "7"}}}}},
       "rules[0].value: must be a whole number of days"},
      {{{"rules", {{{"field", "owner_id"}, {"op", "="}, {"value", "me"}}}}}, "rules[0].value: must be a UUID"},
      {{{"rules", {{{"field", "email"}, {"op", "="}, {"value", " "}}}}}, "rules[0].value: must not be empty"},
      {{{"rules", {{{"field", "email"}, {"op", "="}}}}}, "rules[0].value: is required"},
      {{{"rules", {{{"field", "email"}, {"op", "="}, {"value", nullptr}}}}}, "rules[0].value: must not be null"},
      {{{"rules", {{{"field", "email"}, {"op", "is_empty"}, {"value", "x"}}}}}, "rules[0].value: must be absent"},
      {{{"rules", {{{"field", "tags"}, {"op", "="}, {"value", "vip"}}}}}, "rules[0].op: '=' does not apply to tags"},
      {{{"rules", {{{"field", "tags"}, {"op", "in"}, {"value", "vip"}}}}}, "rules[0].value: must be an array"},
      {{{"rules", {{{"field", "tags"}, {"op", "in"}, {"value", json::array()}}}}}, "rules[0].value: must not be empty"},
      {{{"rules", {{{"field", "tags"}, {"op", "in"}, {"value", {"a", 2}}}}}}, "rules[0].value[1]: must be a string"},
      {{{"rules", {{{"field", "attributes.x"}, {"op", "in"}, {"value", {"a", 2}}}}}},
       "rules[0].value[1]: must be a string or a number, all values of one kind"},
      {{{"rules", {{{"field", "attributes.x"}, {"op", ">"}, {"value", true}}}}},
       "rules[0].value: must be a string or a number"},
      {{{"rules", {{{"field", "attributes.x"}, {"op", "contains"}, {"value", 3}}}}}, "rules[0].value: must be a string"},
      {{{"rules", {{{"field", "attributes."}, {"op", "="}, {"value", 3}}}}}, "rules[0].field: needs a key"},
      {{{"rules", {{{"field", "attributes.a\"b"}, {"op", "="}, {"value", 3}}}}}, "rules[0].field: attribute keys"},
      {{{"rules", {{{"field", "attributes"}, {"op", "="}, {"value", 3}}}}}, "rules[0].field: unknown field"},
      {{{"rules", {{{"field", 7}, {"op", "="}, {"value", 3}}}}}, "rules[0].field: must be a string"},
      {{{"rules", {{{"field", "status"}, {"op", "="}, {"operator", "="}, {"value", "lead"}}}}},
       "rules[0].operator: give either op or operator"},
      {{{"rules", {{{"field", "status"}, {"op", "="}, {"value", "lead"}, {"negate", true}}}}},
       "rules[0].negate: is not a known field"},
      {{{"rules", {"status = lead"}}}, "rules[0]: must be a rule"},
      {{{"rules", {{{"logic", "and"}, {"rules", json::array()}}}}}, "rules[0].rules: must not be empty"},
      {{{"logic", "xor"}, {"rules", json::array()}}, "logic: must be \"and\" or \"or\""},
      {{{"logic", "and"}, {"logicalOperator", "AND"}, {"rules", json::array()}},
       "logicalOperator: give either"},
      {{{"logic", "and"}}, "rules: is required"},
      {{{"logic", "and"}, {"rules", {{"field", "status"}}}}, "rules: must be an array"},
      {{{"field", "status"}, {"op", "="}, {"value", "lead"}}, "field: is not a known field of a rule group"},
      {{{"rules", {{{"logic", "and"}, {"rules", {{{"logic", "or"}, {"rules", deep_rules["rules"]}}}}}}}},
       "rules[0].rules[0].rules[0].field: unknown field"},
      {json::array(), ": must be a rule group"},
  };
  for (const Case& c : cases) {
    const auto problems = Problems(c.input);
    ASSERT_FALSE(problems.empty()) << c.input.dump();
    bool found = false;
    for (const std::string& p : problems) found = found || p.rfind(c.problem, 0) == 0;
    EXPECT_TRUE(found) << c.input.dump() << "\nwanted: " << c.problem << "\ngot: " << problems[0];
  }
}

TEST(RuleParseTest, ReportsEveryProblemAndPrefixesThePath) {
  const json input = {{"rules",
                       {{{"field", "bogus"}, {"op", "="}, {"value", 1}},
                        {{"field", "total_spend"}, {"op", ">"}, {"value", "x"}}}}};
  EXPECT_EQ(Problems(input, "rules"),
            (std::vector<std::string>{
                "rules.rules[0].field: unknown field 'bogus'; use one of: status, total_spend, "
                "num_visits, last_visit_at, last_interaction_at, created_at, tags, company, email, "
                "email_domain, owner_id, attributes.<key>",
                "rules.rules[1].value: must be an amount: a number ≥ 0 with at most 2 decimals"}));
}

TEST(RuleParseTest, DeepNestingIsRefusedWithoutRecursingIntoIt) {
  // 100,000 levels: the check happens before each descent, so this costs nothing.
  // Built top-down in place: copying a tree this deep would itself recurse.
  json deep = json::object();
  json* cursor = &deep;
  for (int i = 0; i < 100000; ++i) {
    (*cursor)["logic"] = "and";
    (*cursor)["rules"] = json::array();
    (*cursor)["rules"].push_back(json::object());
    cursor = &(*cursor)["rules"][0];
  }
  *cursor = {{"field", "status"}, {"op", "="}, {"value", "lead"}};
  auto problems = Problems(deep);
  ASSERT_EQ(problems.size(), 1u);
  std::string expected_path;
  for (int i = 0; i < kMaxDepth; ++i) expected_path += (i ? ".rules[0]" : "rules[0]");
  EXPECT_EQ(problems[0], expected_path + ": groups may be nested at most 10 deep");

  json allowed = {{"field", "status"}, {"op", "="}, {"value", "lead"}};
  for (int i = 1; i < kMaxDepth; ++i) allowed = json{{"rules", json::array({allowed})}};
  allowed = json{{"rules", json::array({allowed})}};
  EXPECT_TRUE(ParseRules(allowed).ok());
}

TEST(RuleParseTest, Limits) {
  json many = json::array();
  for (int i = 0; i < 100000; ++i) many.push_back("t" + std::to_string(i));
  EXPECT_EQ(Problems({{"rules", {{{"field", "tags"}, {"op", "in"}, {"value", many}}}}}),
            std::vector<std::string>{"rules[0].value: must have at most 1000 values"});
  json thousand = json::array();
  for (int i = 0; i < 1000; ++i) thousand.push_back("t" + std::to_string(i));
  EXPECT_TRUE(ParseRules({{"rules", {{{"field", "tags"}, {"op", "in"}, {"value", thousand}}}}}).ok());

  json rules = json::array();
  for (std::size_t i = 0; i <= kMaxRules; ++i) {
    rules.push_back({{"field", "num_visits"}, {"op", ">"}, {"value", i}});
  }
  const auto too_many = Problems({{"rules", rules}});
  ASSERT_EQ(too_many.size(), 1u);
  EXPECT_EQ(too_many[0].rfind("rules: too many rules", 0), 0u) << too_many[0];

  json lists = json::array();
  for (int i = 0; i < 11; ++i) lists.push_back({{"field", "tags"}, {"op", "in"}, {"value", thousand}});
  const auto too_many_values = Problems({{"rules", lists}});
  ASSERT_EQ(too_many_values.size(), 1u);
  EXPECT_EQ(too_many_values[0].rfind("rules[10].value: too many values", 0), 0u);

  json bad = json::array();
  for (int i = 0; i < 150; ++i) bad.push_back({{"field", "nope"}, {"op", "="}, {"value", 1}});
  EXPECT_EQ(Problems({{"rules", bad}}).size(), kMaxErrors);
}

}  // namespace
}  // namespace rapport::rules
