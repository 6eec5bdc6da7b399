#include "rules/rule_sql.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "core/time.hpp"
#include "db/test_database.hpp"

namespace rapport::rules {
namespace {

using nlohmann::json;

// 2026-11-22T12:00:00Z, the "now" of these tests.
core::Timestamp TestNow() { return *core::ParseTimestamp("2026-11-22T12:00:00Z"); }

std::string Compiled(const json& rules, db::Engine engine) {
  auto rule = ParseRules(rules);
  EXPECT_TRUE(rule.ok()) << rules.dump();
  db::Query query("SELECT c.id FROM customers c WHERE ");
  if (rule.ok()) AppendCondition(query, *rule, engine, TestNow());
  return query.sql();
}

TEST(RuleSqlTest, ValuesAreBoundAndFieldsComeFromTheList) {
  const json rules = {
      {"logic", "and"},
      {"rules",
       {{{"field", "status"}, {"op", "="}, {"value", "customer"}},
        {{"field", "total_spend"}, {"op", ">="}, {"value", 1000}},
        {{"field", "tags"}, {"op", "contains"}, {"value", "vip'; DROP TABLE customers; --"}}}}};
  EXPECT_EQ(Compiled(rules, db::Engine::kSqlite),
            "SELECT c.id FROM customers c WHERE ((c.status = :p1) AND (c.total_spend >= :p2) AND "
            "(EXISTS (SELECT 1 FROM customer_tags rt WHERE rt.customer_id = c.id AND rt.tag IN "
            "(:p3))))");
  auto rule = ParseRules(rules);
  ASSERT_TRUE(rule.ok());
  db::Query query;
  AppendCondition(query, *rule, db::Engine::kPostgres, TestNow());
  ASSERT_EQ(query.values().size(), 3u);
  EXPECT_EQ(std::get<std::string>(query.values()[0]), "customer");
  EXPECT_EQ(std::get<long long>(query.values()[1]), 100000);  // minor units
  EXPECT_EQ(std::get<std::string>(query.values()[2]), "vip'; DROP TABLE customers; --");

  // Attribute keys are bound too.
  const std::string attribute = Compiled(
      {{"rules", {{{"field", "attributes.x') OR 1=1 --"}, {"op", "="}, {"value", "y"}}}}},
      db::Engine::kPostgres);
  EXPECT_EQ(attribute.find("OR 1=1"), std::string::npos) << attribute;
  EXPECT_EQ(Compiled({{"rules", {{{"field", "email"}, {"op", "!="}, {"value", "a@b.co"}}}}},
                     db::Engine::kSqlite),
            "SELECT c.id FROM customers c WHERE ((NOT (c.email IS NOT NULL AND lower(c.email) = "
            "lower(:p1))))");
  EXPECT_EQ(Compiled({{"rules", json::array()}}, db::Engine::kSqlite),
            "SELECT c.id FROM customers c WHERE (1 = 1)");
}

TEST(RuleSqlTest, TagsAreProbedNextToANarrowerCondition) {
  // Alone (or next to status only), a tag's members drive the query...
  EXPECT_EQ(Compiled({{"rules", {{{"field", "tags"}, {"op", "contains"}, {"value", "vip"}},
                                 {{"field", "status"}, {"op", "="}, {"value", "lead"}}}}},
                     db::Engine::kSqlite),
            "SELECT c.id FROM customers c WHERE ((c.id IN (SELECT rt.customer_id FROM "
            "customer_tags rt WHERE rt.tag IN (:p1))) AND (c.status = :p2))");
  // ...next to a time window each candidate is probed; in an OR every branch must drive.
  EXPECT_EQ(Compiled({{"rules", {{{"field", "tags"}, {"op", "not_in"}, {"value", {"a", "b"}}},
                                 {{"field", "created_at"}, {"op", "within_last_days"}, {"value", 7}}}}},
                     db::Engine::kSqlite),
            "SELECT c.id FROM customers c WHERE ((NOT (EXISTS (SELECT 1 FROM customer_tags rt WHERE "
            "rt.customer_id = c.id AND rt.tag IN (:p1, :p2)))) AND (c.created_at >= :p3 AND "
            "c.created_at <= :p4))");
  EXPECT_EQ(Compiled({{"logic", "or"},
                      {"rules", {{{"field", "tags"}, {"op", "contains"}, {"value", "vip"}},
                                 {{"field", "total_spend"}, {"op", ">"}, {"value", 5}}}}},
                     db::Engine::kSqlite),
            "SELECT c.id FROM customers c WHERE ((c.id IN (SELECT rt.customer_id FROM "
            "customer_tags rt WHERE rt.tag IN (:p1))) OR (c.total_spend > :p2))");
}

// The fixture: a migrated database of the engine under test with a handful of customers.
constexpr char kOwner[] = "01890a5d-ac96-774b-bcce-b302099a8057";

class RuleSqlEngineTest : public ::testing::TestWithParam<db::Engine> {
 protected:
  void SetUp() override {
    RAPPORT_SKIP_UNLESS_ENGINE(GetParam());
    database_ = db::test::OpenMigrated(GetParam(), {.pool_size = 2});
    db::test::AddUser(*database_, "o", core::Role::kAgent, kOwner);
    database_->Apply([](db::Session& s) {
      s.Exec(db::Query("INSERT INTO companies (id, name, created_at, updated_at) VALUES "
                       "('c1', 'Acme Rockets', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')"));
    });
    // name, email, company, status, spend, visits, last visit, tags, attributes, owner
    Add("ada", "Ada@Example.com", "c1", "customer", 150050, 3, "2026-11-20T00:00:00Z", {"vip", "b2b"},
        R"({"plan":"gold","score":7,"ratio":0.5,"vip":true,"list":[1],"blank":""})", kOwner);
    Add("bob", "bob@other.org", {}, "lead", 0, 0, {}, {},
        R"({"plan":"Gold","score":"7","empty_list":[],"empty_object":{},"nothing":null})", {});
    Add("cy", {}, "c1", "prospect", 9999, 1, "2025-01-01T00:00:00Z", {"b2b"},
        R"({"score":12.5,"vip":false,"a.b c":"dotted"})", {});
  }

  void Add(const std::string& name, std::optional<std::string> email,
           std::optional<std::string> company, const std::string& status, int64_t spend,
           int64_t visits, std::optional<std::string> last_visit, std::vector<std::string> tags,
           const std::string& attributes, std::optional<std::string> owner) {
    database_->Apply([&](db::Session& s) {
      json tag_json = tags;
      s.Exec(db::Query("INSERT INTO customers (id, name, email, company_id, status, tags, attributes, "
                       "owner_id, total_spend, num_visits, last_visit_at, created_at, updated_at) "
                       "VALUES (")
                 .Param(name).Sql(", ").Param(name).Sql(", ").Param(email).Sql(", ")
                 .Param(company).Sql(", ").Param(status).Sql(", ").Param(tag_json.dump())
                 .Sql(", ").Param(attributes).Sql(", ").Param(owner).Sql(", ").Param(spend)
                 .Sql(", ").Param(visits).Sql(", ").Param(last_visit)
                 .Sql(", '2026-06-01T00:00:00Z', '2026-06-01T00:00:00Z')"));
      for (const std::string& tag : tags) {
        s.Exec(db::Query("INSERT INTO customer_tags (customer_id, tag) VALUES (")
                   .Param(name).Sql(", ").Param(tag).Sql(")"));
      }
    });
  }

  std::set<std::string> Matching(const json& condition) {
    json rules = condition.contains("rules") ? condition : json{{"rules", {condition}}};
    auto rule = ParseRules(rules);
    EXPECT_TRUE(rule.ok()) << rules.dump() << (rule.ok() ? "" : rule.error().detail);
    if (!rule.ok()) return {};
    db::Query query("SELECT c.id FROM customers c WHERE ");
    AppendCondition(query, *rule, GetParam(), TestNow());
    return database_->Read([&](db::Session& s) {
      std::set<std::string> ids;
      s.ForEach(query, [&](const db::Row& row) { ids.insert(row.TextAt(0)); });
      return ids;
    });
  }

  std::unique_ptr<db::Database> database_;
};

TEST_P(RuleSqlEngineTest, EveryFieldAndOperator) {
  using Set = std::set<std::string>;
  struct Case {
    json rule;
    Set expected;
  };
  const Case cases[] = {
      {{{"field", "status"}, {"op", "="}, {"value", "lead"}}, {"bob"}},
      {{{"field", "status"}, {"op", "not_in"}, {"value", {"lead", "prospect"}}}, {"ada"}},
      {{{"field", "status"}, {"op", "is_empty"}}, {}},
      {{{"field", "total_spend"}, {"op", ">"}, {"value", 99.99}}, {"ada"}},
      {{{"field", "total_spend"}, {"op", "<="}, {"value", 99.99}}, {"bob", "cy"}},
      {{{"field", "total_spend"}, {"op", "in"}, {"value", {0, 1500.5}}}, {"ada", "bob"}},
      {{{"field", "num_visits"}, {"op", ">="}, {"value", 1}}, {"ada", "cy"}},
      {{{"field", "num_visits"}, {"op", "!="}, {"value", 3}}, {"bob", "cy"}},
      // Never visited: no comparison matches, the negations do.
      {{{"field", "last_visit_at"}, {"op", "<"}, {"value", "2030-01-01"}}, {"ada", "cy"}},
      {{{"field", "last_visit_at"}, {"op", "!="}, {"value", "2026-11-20T00:00:00Z"}}, {"bob", "cy"}},
      {{{"field", "last_visit_at"}, {"op", "within_last_days"}, {"value", 7}}, {"ada"}},
      {{{"field", "last_visit_at"}, {"op", "before_days_ago"}, {"value", 7}}, {"cy"}},
      {{{"field", "last_visit_at"}, {"op", "is_empty"}}, {"bob"}},
      {{{"field", "last_interaction_at"}, {"op", "is_not_empty"}}, {}},
      {{{"field", "created_at"}, {"op", "="}, {"value", "2026-06-01"}}, {"ada", "bob", "cy"}},
      {{{"field", "created_at"}, {"op", "within_last_days"}, {"value", 100}}, {}},
      {{{"field", "tags"}, {"op", "contains"}, {"value", "b2b"}}, {"ada", "cy"}},
      {{{"field", "tags"}, {"op", "contains"}, {"value", "VIP"}}, {}},
      {{{"field", "tags"}, {"op", "in"}, {"value", {"vip", "nope"}}}, {"ada"}},
      {{{"field", "tags"}, {"op", "not_in"}, {"value", {"vip"}}}, {"bob", "cy"}},
      {{{"field", "tags"}, {"op", "is_empty"}}, {"bob"}},
      {{{"field", "company"}, {"op", "="}, {"value", "acme ROCKETS"}}, {"ada", "cy"}},
      {{{"field", "company"}, {"op", "!="}, {"value", "Acme Rockets"}}, {"bob"}},
      {{{"field", "company"}, {"op", "contains"}, {"value", "rock"}}, {"ada", "cy"}},
      {{{"field", "company"}, {"op", "starts_with"}, {"value", "rock"}}, {}},
      {{{"field", "company"}, {"op", "contains"}, {"value", "%"}}, {}},
      {{{"field", "company"}, {"op", "is_empty"}}, {"bob"}},
      {{{"field", "email"}, {"op", "="}, {"value", "ada@example.COM"}}, {"ada"}},
      {{{"field", "email"}, {"op", "in"}, {"value", {"BOB@other.org", "x@y.z"}}}, {"bob"}},
      {{{"field", "email"}, {"op", "starts_with"}, {"value", "A"}}, {"ada"}},
      {{{"field", "email"}, {"op", "not_in"}, {"value", {"bob@other.org"}}}, {"ada", "cy"}},
      {{{"field", "email"}, {"op", "is_empty"}}, {"cy"}},
      {{{"field", "email_domain"}, {"op", "="}, {"value", "EXAMPLE.com"}}, {"ada"}},
      {{{"field", "email_domain"}, {"op", "="}, {"value", "example"}}, {}},
      {{{"field", "email_domain"}, {"op", "contains"}, {"value", "the"}}, {"bob"}},
      {{{"field", "email_domain"}, {"op", "starts_with"}, {"value", "ex"}}, {"ada"}},
      {{{"field", "email_domain"}, {"op", "!="}, {"value", "example.com"}}, {"bob", "cy"}},
      {{{"field", "owner_id"}, {"op", "="}, {"value", kOwner}}, {"ada"}},
      {{{"field", "owner_id"}, {"op", "!="}, {"value", kOwner}}, {"bob", "cy"}},
      {{{"field", "owner_id"}, {"op", "is_empty"}}, {"bob", "cy"}},
      // Attributes: the value's kind picks the comparison; other kinds do not match.
      {{{"field", "attributes.plan"}, {"op", "="}, {"value", "gold"}}, {"ada"}},
      {{{"field", "attributes.plan"}, {"op", "!="}, {"value", "gold"}}, {"bob", "cy"}},
      {{{"field", "attributes.plan"}, {"op", ">"}, {"value", "Gold"}}, {"ada"}},
      {{{"field", "attributes.plan"}, {"op", "contains"}, {"value", "ol"}}, {"ada", "bob"}},
      {{{"field", "attributes.plan"}, {"op", "starts_with"}, {"value", "G"}}, {"bob"}},
      {{{"field", "attributes.score"}, {"op", "="}, {"value", 7}}, {"ada"}},
      {{{"field", "attributes.score"}, {"op", "="}, {"value", "7"}}, {"bob"}},
      {{{"field", "attributes.score"}, {"op", ">"}, {"value", 7.5}}, {"cy"}},
      {{{"field", "attributes.score"}, {"op", "in"}, {"value", {7, 12.5}}}, {"ada", "cy"}},
      {{{"field", "attributes.score"}, {"op", "not_in"}, {"value", {7}}}, {"bob", "cy"}},
      {{{"field", "attributes.ratio"}, {"op", "<"}, {"value", 1}}, {"ada"}},
      {{{"field", "attributes.vip"}, {"op", "="}, {"value", true}}, {"ada"}},
      {{{"field", "attributes.vip"}, {"op", "="}, {"value", false}}, {"cy"}},
      {{{"field", "attributes.vip"}, {"op", "!="}, {"value", true}}, {"bob", "cy"}},
      {{{"field", "attributes.a.b c"}, {"op", "="}, {"value", "dotted"}}, {"cy"}},
      {{{"field", "attributes.missing"}, {"op", "is_empty"}}, {"ada", "bob", "cy"}},
      {{{"field", "attributes.blank"}, {"op", "is_empty"}}, {"ada", "bob", "cy"}},
      {{{"field", "attributes.nothing"}, {"op", "is_empty"}}, {"ada", "bob", "cy"}},
      {{{"field", "attributes.empty_list"}, {"op", "is_empty"}}, {"ada", "bob", "cy"}},
      {{{"field", "attributes.empty_object"}, {"op", "is_not_empty"}}, {}},
      {{{"field", "attributes.list"}, {"op", "is_not_empty"}}, {"ada"}},
      {{{"field", "attributes.plan"}, {"op", "is_not_empty"}}, {"ada", "bob"}},
      // Groups.
      {{{"logic", "or"},
        {"rules",
         {{{"field", "status"}, {"op", "="}, {"value", "lead"}},
          {{"logic", "and"},
           {"rules",
            {{{"field", "tags"}, {"op", "contains"}, {"value", "b2b"}},
             {{"field", "total_spend"}, {"op", "<"}, {"value", 100}}}}}}}},
       {"bob", "cy"}},
      {{{"rules", json::array()}}, {"ada", "bob", "cy"}},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(Matching(c.rule), c.expected) << c.rule.dump();
  }
}

INSTANTIATE_TEST_SUITE_P(Engines, RuleSqlEngineTest,
                         ::testing::Values(db::Engine::kSqlite, db::Engine::kPostgres),
                         [](const auto& info) {
                           return info.param == db::Engine::kSqlite ? "Sqlite" : "Postgres";
                         });

}  // namespace
}  // namespace rapport::rules
