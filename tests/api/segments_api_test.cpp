#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "api/fixtures.hpp"
#include "api/harness.hpp"

namespace rapport::testing {
namespace {

using nlohmann::json;

constexpr char kUnknownId[] = "01890a5d-ac96-774b-bcce-b302099a8057";

json Rule(const std::string& field, const std::string& op, json value = nullptr) {
  json rule = {{"field", field}, {"op", op}};
  if (!value.is_null()) rule["value"] = std::move(value);
  return rule;
}
json All(std::vector<json> rules) { return {{"logic", "and"}, {"rules", std::move(rules)}}; }
json Any(std::vector<json> rules) { return {{"logic", "or"}, {"rules", std::move(rules)}}; }

// RFC 3339 UTC, second precision, `seconds_ago` before now.
std::string Ago(double seconds_ago) {
  const auto now = std::chrono::system_clock::now() -
                   std::chrono::milliseconds(static_cast<long long>(seconds_ago * 1000));
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}
constexpr double kDay = 86400;

std::string Lower(std::string text) {
  for (char& c : text) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return text;
}

class SegmentsApiTest : public StaffApiTest {
 protected:
  static std::string IdOf(const json& resource) { return resource["id"].get<std::string>(); }
  json CreateCustomer(const json& body) { return Created("/api/v1/customers", body); }
  void Order(const json& customer, double amount, const std::string& ordered_at,
             const std::string& status = "paid") {
    Created("/api/v1/orders", {{"customer_id", customer["id"]}, {"amount", amount},
                               {"ordered_at", ordered_at}, {"status", status}});
  }

  // POST /segments/preview with `rules`, expecting 200.
  json Preview(const json& rules) {
    HttpResponse response = client().Post("/api/v1/segments/preview", rules);
    EXPECT_EQ(response.status, 200) << rules.dump() << "\n" << response;
    return response.status == 200 ? response.json() : json{{"count", -1}, {"sample", json::array()}};
  }
  int64_t Count(const json& rules) { return Preview(rules)["count"].get<int64_t>(); }
  std::set<std::string> SampleNames(const json& rules) {
    std::set<std::string> names;
    const json preview = Preview(rules);
    for (const json& c : preview["sample"]) names.insert(c["name"].get<std::string>());
    return names;
  }
  // Every customer GET /customers?<query> lists, all pages.
  std::vector<json> Customers(const std::string& query = "") {
    std::vector<json> rows;
    std::string cursor;
    for (int guard = 0; guard < 100; ++guard) {
      HttpResponse page = client().Get("/api/v1/customers?limit=500" + query +
                                       (cursor.empty() ? "" : "&cursor=" + UrlEncode(cursor)));
      EXPECT_EQ(page.status, 200) << query << "\n" << page;
      if (page.status != 200) break;
      const json body = page.json();
      for (const json& c : body["data"]) rows.push_back(c);
      if (body["next_cursor"].is_null()) break;
      cursor = body["next_cursor"];
    }
    return rows;
  }
  std::set<std::string> FilteredNames(const json& rules, const std::string& more = "") {
    std::set<std::string> names;
    for (const json& c : Customers("&filter=" + UrlEncode(rules.dump()) + more)) {
      names.insert(c["name"].get<std::string>());
    }
    return names;
  }
  // The problem of a rejected preview: its errors as "field: message".
  std::vector<std::string> Problems(const HttpResponse& response) {
    std::vector<std::string> out;
    for (const json& e : response.json().value("errors", json::array())) {
      out.push_back(e.value("field", "") + ": " + e.value("message", ""));
    }
    return out;
  }
};

TEST_F(SegmentsApiTest, PreviewCountsAndShowsTheNewestTen) {
  for (int i = 0; i < 14; ++i) {
    CreateCustomer({{"name", "Lead " + std::to_string(i)}, {"tags", i % 2 ? json{"vip"} : json::array()}});
  }
  CreateCustomer({{"name", "Not a lead"}, {"status", "customer"}, {"tags", {"vip"}}});
  const json rules = All({Rule("status", "=", "lead")});
  HttpResponse response = client().Post("/api/v1/segments/preview", rules);
  ASSERT_EQ(response.status, 200) << response;
  EXPECT_EQ(response.headers["Content-Type"], "application/json");
  const json preview = response.json();
  EXPECT_EQ(preview["count"], 14);
  ASSERT_EQ(preview["sample"].size(), 10u);
  // The sample is the first page of the customers list with the same filter.
  HttpResponse listed = client().Get("/api/v1/customers?limit=10&filter=" + UrlEncode(rules.dump()));
  ASSERT_EQ(listed.status, 200) << listed;
  EXPECT_EQ(preview["sample"], listed.json()["data"]);
  EXPECT_EQ(preview["sample"][0]["name"], "Lead 13");

  EXPECT_EQ(Count(All({Rule("tags", "contains", "vip")})), 8);
  EXPECT_EQ(Count(Any({Rule("tags", "contains", "vip"), Rule("status", "=", "customer")})), 8);
  EXPECT_EQ(Count(All({Rule("tags", "contains", "vip"), Rule("status", "=", "customer")})), 1);
  EXPECT_EQ(Count({{"rules", json::array()}}), 15);  // the empty group: everyone
  const json none = Preview(All({Rule("status", "=", "churned")}));
  EXPECT_EQ(none["count"], 0);
  EXPECT_EQ(none["sample"], json::array());
}

TEST_F(SegmentsApiTest, TheOlderFormMeansTheSame) {
  const json big = CreateCustomer({{"name", "Big"}, {"email", "big@shop.example"}});
  const json small = CreateCustomer({{"name", "Small"}});
  CreateCustomer({{"name", "Never"}});
  Order(big, 500, Ago(3 * kDay));
  Order(small, 20, Ago(40 * kDay));
  const json old = {
      {"logicalOperator", "OR"},
      {"rules",
       {{{"field", "totalSpend"}, {"operator", ">="}, {"value", 100}},
        {{"field", "lastVisitDate"}, {"operator", "before_days_ago"}, {"value", 30}}}}};
  const json modern = Any({Rule("total_spend", ">=", 100), Rule("last_visit_at", "before_days_ago", 30)});
  EXPECT_EQ(Count(old), 2);
  EXPECT_EQ(Count(modern), 2);
  EXPECT_EQ(SampleNames(old), (std::set<std::string>{"Big", "Small"}));
  EXPECT_EQ(Count({{"logicalOperator", "AND"},
                   {"rules", {{{"field", "numVisits"}, {"operator", "="}, {"value", 1}},
                              {{"field", "emailDomain"}, {"operator", "="}, {"value", "SHOP.example"}}}}}),
            1);
}

TEST_F(SegmentsApiTest, EmptyValuesFollowTheDocumentedRules) {
  const json visited = CreateCustomer({{"name", "Visited"}, {"email", "v@a.example"},
                                       {"attributes", {{"plan", "gold"}}}, {"company", "Acme"}});
  CreateCustomer({{"name", "Never"}, {"attributes", {{"plan", ""}, {"seats", nullptr}}}});
  const std::string visit = Ago(2 * kDay);
  Order(visited, 10, visit);
  using Set = std::set<std::string>;
  // A customer who never visited matches no comparison of last_visit_at...
  EXPECT_EQ(SampleNames(All({Rule("last_visit_at", "<", "2999-01-01")})), Set{"Visited"});
  EXPECT_EQ(SampleNames(All({Rule("last_visit_at", ">", "2000-01-01")})), Set{"Visited"});
  EXPECT_EQ(SampleNames(All({Rule("last_visit_at", "before_days_ago", 1)})), Set{"Visited"});
  // ...while the negations are their exact complements.
  EXPECT_EQ(SampleNames(All({Rule("last_visit_at", "!=", visit)})), Set{"Never"});
  EXPECT_EQ(SampleNames(All({Rule("last_visit_at", "is_empty")})), Set{"Never"});
  EXPECT_EQ(SampleNames(All({Rule("email", "!=", "v@a.example")})), Set{"Never"});
  EXPECT_EQ(SampleNames(All({Rule("email_domain", "not_in", {"a.example"})})), Set{"Never"});
  EXPECT_EQ(SampleNames(All({Rule("company", "!=", "ACME")})), Set{"Never"});
  // Missing, null and "" attributes are empty; a different type never compares.
  EXPECT_EQ(SampleNames(All({Rule("attributes.plan", "is_empty")})), Set{"Never"});
  EXPECT_EQ(SampleNames(All({Rule("attributes.seats", "is_empty")})), (Set{"Visited", "Never"}));
  EXPECT_EQ(SampleNames(All({Rule("attributes.nothing", "is_not_empty")})), Set{});
  EXPECT_EQ(SampleNames(All({Rule("attributes.plan", "!=", "gold")})), Set{"Never"});
  EXPECT_EQ(SampleNames(All({Rule("attributes.plan", ">", 1)})), Set{});
  EXPECT_EQ(SampleNames(All({Rule("last_interaction_at", "within_last_days", 3650)})), Set{});
}

TEST_F(SegmentsApiTest, BadRulesAre422NamingTheRule) {
  struct Case {
    json rules;
    std::string problem;  // the start of the first "field: message"
  };
  const Case cases[] = {
      {All({Rule("bogus", "=", 1)}), "rules[0].field: unknown field 'bogus'"},
      {All({Rule("status", "like", "lead")}), "rules[0].op: unknown operator 'like'"},
      {All({Rule("status", "=", "lead"), Any({Rule("total_spend", ">", "a lot")})}),
       "rules[1].rules[0].value: must be an amount"},
      {All({Rule("num_visits", ">", "3")}), "rules[0].value: must be an integer"},
      {All({Rule("tags", ">", "vip")}), "rules[0].op: '>' does not apply to tags"},
      {All({Rule("email", "in", "x@y.z")}), "rules[0].value: must be an array"},
      {All({{{"field", "status"}, {"value", "lead"}}}), "rules[0].op: is required"},
      {All({{{"field", "status"}, {"op", "="}, {"value", "lead"}, {"weight", 2}}}),
       "rules[0].weight: is not a known field"},
      {{{"logic", "xor"}, {"rules", json::array()}}, "logic: must be \"and\" or \"or\""},
      {{{"logic", "and"}}, "rules: is required"},
      {{{"field", "status"}, {"op", "="}, {"value", "lead"}}, "field: is not a known field of a rule group"},
  };
  for (const Case& c : cases) {
    HttpResponse response = client().Post("/api/v1/segments/preview", c.rules);
    ASSERT_EQ(response.status, 422) << c.rules.dump() << "\n" << response;
    EXPECT_EQ(response.headers["Content-Type"], "application/problem+json");
    const auto problems = Problems(response);
    ASSERT_FALSE(problems.empty());
    EXPECT_EQ(problems[0].rfind(c.problem, 0), 0u) << problems[0];
  }

  // 100,000 values in one `in`.
  json many = json::array();
  for (int i = 0; i < 100000; ++i) many.push_back("t" + std::to_string(i));
  HttpResponse in = client().Post("/api/v1/segments/preview", All({Rule("tags", "in", many)}));
  ASSERT_EQ(in.status, 422) << in.status;
  EXPECT_EQ(Problems(in), std::vector<std::string>{"rules[0].value: must have at most 1000 values"});

  // A group nested 1,000 deep, sent as text (the test builds no deep document either).
  std::string deep;
  for (int i = 0; i < 1000; ++i) deep += R"({"logic":"and","rules":[)";
  deep += R"({"field":"status","op":"=","value":"lead"})";
  for (int i = 0; i < 1000; ++i) deep += "]}";
  HttpResponse nested = Raw("POST", "/api/v1/segments/preview", deep);
  ASSERT_EQ(nested.status, 422) << nested.status;
  const auto nested_problems = Problems(nested);
  ASSERT_EQ(nested_problems.size(), 1u);
  EXPECT_NE(nested_problems[0].find("groups may be nested at most 10 deep"), std::string::npos);
  // Deeper still, up to the body limit: still a clean 422, and the server is still there.
  std::string deeper;
  for (int i = 0; i < 80000; ++i) deeper += R"({"rules":[)";
  for (int i = 0; i < 80000; ++i) deeper += "]}";
  EXPECT_EQ(Raw("POST", "/api/v1/segments/preview", deeper).status, 422);

  EXPECT_EQ(Raw("POST", "/api/v1/segments/preview", "{\"rules\": [").status, 400);
  EXPECT_EQ(Raw("POST", "/api/v1/segments/preview", "").status, 400);
  EXPECT_EQ(Raw("POST", "/api/v1/segments/preview", "[]").status, 422);
  EXPECT_EQ(Raw("POST", "/api/v1/segments/preview", "{}", "text/plain").status, 415);
  EXPECT_EQ(client().Get("/healthz").status, 200);
}

TEST_F(SegmentsApiTest, CustomerListsTakeTheSameFilter) {
  CreateCustomer({{"name", "Gold lead"}, {"attributes", {{"plan", "gold"}}}});
  CreateCustomer({{"name", "Gold customer"}, {"status", "customer"}, {"attributes", {{"plan", "gold"}}}});
  CreateCustomer({{"name", "Silver customer"}, {"status", "customer"}, {"attributes", {{"plan", "silver"}}}});
  using Set = std::set<std::string>;
  const json gold = All({Rule("attributes.plan", "=", "gold")});
  EXPECT_EQ(FilteredNames(gold), (Set{"Gold lead", "Gold customer"}));
  // Combined with the list's own filters by AND.
  EXPECT_EQ(FilteredNames(gold, "&status=customer"), Set{"Gold customer"});
  EXPECT_EQ(FilteredNames(gold, "&q=lead"), Set{"Gold lead"});
  HttpResponse total = client().Get("/api/v1/customers?include_total=true&filter=" + UrlEncode(gold.dump()));
  ASSERT_EQ(total.status, 200);
  EXPECT_EQ(total.json()["total"], 2);
  // Pages of a filtered list visit every match once.
  EXPECT_EQ(Customers("&limit=1&filter=" + UrlEncode(gold.dump())).size(), 2u);

  const std::pair<std::string, std::string> bad[] = {
      {"{nope", "must be a rule group as JSON"},
      {R"({"rules":[{"field":"plan","op":"=","value":"gold"}]})", "rules[0].field: unknown field 'plan'"},
      {R"({"rules":[{"rules":[{"field":"total_spend","op":">","value":"x"}]}]})",
       "rules[0].rules[0].value: must be an amount"},
  };
  for (const auto& [filter, message] : bad) {
    HttpResponse response = client().Get("/api/v1/customers?filter=" + UrlEncode(filter));
    EXPECT_EQ(response.status, 400) << filter << "\n" << response;
    EXPECT_EQ(ErrorFields(response), std::set<std::string>{"filter"});
    EXPECT_NE(response.json()["detail"].get<std::string>().find(message), std::string::npos) << response;
  }
}

TEST_F(SegmentsApiTest, SavedSegmentsCrud) {
  As(manager());
  HttpResponse created = client().Post(
      "/api/v1/segments",
      {{"name", "Big spenders"}, {"description", "spent 100 or more"},
       {"rules", {{"logicalOperator", "AND"},
                  {"rules", {{{"field", "totalSpend"}, {"operator", ">="}, {"value", 100}}}}}}});
  ASSERT_EQ(created.status, 201) << created;
  const json segment = created.json();
  const std::string path = "/api/v1/segments/" + IdOf(segment);
  EXPECT_EQ(created.headers["Location"], path);
  EXPECT_EQ(created.headers["ETag"], "\"1\"");
  EXPECT_EQ(segment["name"], "Big spenders");
  EXPECT_EQ(segment["description"], "spent 100 or more");
  // Stored normalised.
  EXPECT_EQ(segment["rules"], All({Rule("total_spend", ">=", 100)}));
  EXPECT_EQ(segment["created_at"], segment["updated_at"]);
  HttpResponse got = client().Get(path);
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(got.json(), segment);

  HttpResponse duplicate = client().Post("/api/v1/segments", {{"name", "BIG SPENDERS"}, {"rules", All({})}});
  EXPECT_EQ(duplicate.status, 409) << duplicate;
  EXPECT_EQ(ErrorFields(duplicate), std::set<std::string>{"name"});

  HttpResponse patched = client().Patch(
      path, {{"rules", All({Rule("total_spend", ">=", 50.5)})}, {"description", nullptr}},
      {{"If-Match", "\"1\""}});
  ASSERT_EQ(patched.status, 200) << patched;
  EXPECT_EQ(patched.headers["ETag"], "\"2\"");
  EXPECT_EQ(patched.json()["rules"]["rules"][0]["value"].dump(), "50.5");
  EXPECT_TRUE(patched.json()["description"].is_null());
  EXPECT_EQ(client().Patch(path, {{"name", "Lost"}}, {{"If-Match", "\"1\""}}).status, 412);
  HttpResponse unchanged = client().Patch(path, {{"name", "Big spenders"}});
  EXPECT_EQ(unchanged.headers["ETag"], "\"2\"");

  HttpResponse bad = client().Post(
      "/api/v1/segments",
      {{"name", ""}, {"rules", All({Rule("status", ">", "lead"), Rule("x", "=", 1)})}, {"owner", 1},
       {"id", kUnknownId}});
  ASSERT_EQ(bad.status, 422) << bad;
  EXPECT_EQ(ErrorFields(bad),
            (std::set<std::string>{"name", "rules.rules[0].op", "rules.rules[1].field", "owner", "id"}));
  HttpResponse missing = client().Post("/api/v1/segments", {{"name", "No rules"}});
  EXPECT_EQ(ErrorFields(missing), std::set<std::string>{"rules"});
  HttpResponse null_rules = client().Patch(path, {{"rules", nullptr}, {"name", nullptr}});
  EXPECT_EQ(ErrorFields(null_rules), (std::set<std::string>{"rules", "name"}));

  Created("/api/v1/segments", {{"name", "Alpha leads"}, {"rules", All({Rule("status", "=", "lead")})}});
  Created("/api/v1/segments", {{"name", "zeta"}, {"rules", json{{"rules", json::array()}}}});
  HttpResponse list = client().Get("/api/v1/segments?include_total=true&limit=2");
  ASSERT_EQ(list.status, 200) << list;
  EXPECT_EQ(list.json()["total"], 3);
  ASSERT_EQ(list.json()["data"].size(), 2u);
  EXPECT_EQ(list.json()["data"][0]["name"], "Alpha leads");  // by name, case-insensitively
  HttpResponse next = client().Get("/api/v1/segments?limit=2&cursor=" +
                                   UrlEncode(list.json()["next_cursor"].get<std::string>()));
  ASSERT_EQ(next.status, 200);
  ASSERT_EQ(next.json()["data"].size(), 1u);
  EXPECT_EQ(next.json()["data"][0]["name"], "zeta");
  EXPECT_EQ(client().Get("/api/v1/segments?q=SPEND").json()["data"].size(), 1u);
  EXPECT_EQ(client().Get("/api/v1/segments?sort=-created_at").json()["data"][0]["name"], "zeta");
  EXPECT_EQ(client().Get("/api/v1/segments?sort=rules").status, 400);

  EXPECT_EQ(client().Delete(path, {{"If-Match", "\"1\""}}).status, 412);
  EXPECT_EQ(client().Delete(path).status, 204);
  EXPECT_EQ(client().Get(path).status, 404);
  EXPECT_EQ(client().Delete(path).status, 404);
  for (const std::string& id : {std::string("nope"), std::string(kUnknownId)}) {
    EXPECT_EQ(client().Get("/api/v1/segments/" + id).status, 404);
    EXPECT_EQ(client().Patch("/api/v1/segments/" + id, {{"name", "x"}}).status, 404);
    EXPECT_EQ(client().Get("/api/v1/segments/" + id + "/preview").status, 404);
    EXPECT_EQ(client().Get("/api/v1/segments/" + id + "/customers").status, 404);
  }
  client().SetToken("");
  EXPECT_EQ(client().Get("/api/v1/segments").status, 401);
  EXPECT_EQ(client().Post("/api/v1/segments/preview", All({})).status, 401);
}

TEST_F(SegmentsApiTest, AgentsUseSegmentsButDoNotDefineThem) {
  As(agent());
  const json mine = CreateCustomer({{"name", "Mine"}, {"tags", {"vip"}}});
  CreateCustomer({{"name", "Shared"}, {"owner_id", nullptr}, {"tags", {"vip"}}});
  As(other_agent());
  CreateCustomer({{"name", "Theirs"}, {"tags", {"vip"}}});
  As(admin());
  const json vip = All({Rule("tags", "contains", "vip")});
  const json segment = Created("/api/v1/segments", {{"name", "VIPs"}, {"rules", vip}});
  const std::string path = "/api/v1/segments/" + IdOf(segment);
  EXPECT_EQ(Count(vip), 3);
  EXPECT_EQ(client().Get(path + "/preview").json()["count"], 3);

  As(agent());
  using Set = std::set<std::string>;
  // Counts, samples and members hold only what the agent can see.
  EXPECT_EQ(Count(vip), 2);
  EXPECT_EQ(SampleNames(vip), (Set{"Mine", "Shared"}));
  HttpResponse saved = client().Get(path + "/preview");
  ASSERT_EQ(saved.status, 200) << saved;
  EXPECT_EQ(saved.json()["count"], 2);
  HttpResponse members = client().Get(path + "/customers?include_total=true&sort=name");
  ASSERT_EQ(members.status, 200) << members;
  EXPECT_EQ(members.json()["total"], 2);
  EXPECT_EQ(members.json()["data"][0]["name"], "Mine");
  EXPECT_EQ(FilteredNames(vip), (Set{"Mine", "Shared"}));
  EXPECT_EQ(Count(All({Rule("owner_id", "=", other_agent().id)})), 0);
  // Reading is allowed; defining is not.
  EXPECT_EQ(client().Get(path).status, 200);
  EXPECT_EQ(client().Get("/api/v1/segments").json()["data"].size(), 1u);
  EXPECT_EQ(client().Post("/api/v1/segments", {{"name", "Mine"}, {"rules", vip}}).status, 403);
  EXPECT_EQ(client().Patch(path, {{"name", "Renamed"}}).status, 403);
  EXPECT_EQ(client().Delete(path).status, 403);
  EXPECT_EQ(client().Patch("/api/v1/segments/" + std::string(kUnknownId), {{"name", "x"}}).status, 404);
  As(manager());
  EXPECT_EQ(client().Get(path).json()["name"], "VIPs");

  // Members combine with the list's filters, which are validated as on /customers.
  EXPECT_EQ(client().Get(path + "/customers?q=mine").json()["data"].size(), 1u);
  EXPECT_EQ(client().Get(path + "/customers?status=vip").status, 400);
  EXPECT_EQ(client().Get(path + "/customers?filter=" +
                         UrlEncode(All({Rule("tags", "contains", "nope")}).dump()))
                .json()["data"].size(),
            0u);
  (void)mine;
}

TEST_F(SegmentsApiTest, SpendRulesFollowOrders) {
  const json c = CreateCustomer({{"name", "Spender"}});
  const json spend = All({Rule("total_spend", ">", 100), Rule("num_visits", ">=", 2)});
  EXPECT_EQ(Count(spend), 0);
  Order(c, 60.5, Ago(kDay));
  Order(c, 40, Ago(2 * kDay));
  EXPECT_EQ(Count(spend), 1);  // 100.5
  HttpResponse orders = client().Get("/api/v1/orders?customer_id=" + IdOf(c));
  const std::string first = orders.json()["data"][0]["id"];
  ASSERT_EQ(client().Patch("/api/v1/orders/" + first, {{"status", "refunded"}}).status, 200);
  EXPECT_EQ(Count(spend), 0);
  EXPECT_EQ(Count(All({Rule("total_spend", "=", 40)})), 1);
  EXPECT_EQ(Count(All({Rule("last_visit_at", "within_last_days", 3), Rule("last_visit_at", "before_days_ago", 1)})), 1);
}

// ------------------------------------------------------------------------------------------
// The property test: random customers and random rule trees; the server's counts against an
// independent evaluator of the documented semantics.

struct Dataset {
  std::vector<json> customers;  // as GET /customers returns them
};

class Evaluator {
 public:
  explicit Evaluator(std::string now) : now_(std::move(now)) {}

  bool Matches(const json& rule, const json& c) const {
    if (rule.contains("rules")) {
      const bool any = rule.value("logic", "and") == "or";
      if (rule["rules"].empty()) return true;
      for (const json& child : rule["rules"]) {
        const bool m = Matches(child, c);
        if (any && m) return true;
        if (!any && !m) return false;
      }
      return !any;
    }
    const std::string field = rule["field"];
    const std::string op = rule["op"];
    if (op == "!=") return !Positive(field, "=", rule["value"], c);
    if (op == "not_in") return !Positive(field, "in", rule["value"], c);
    if (op == "is_not_empty") return !Positive(field, "is_empty", nullptr, c);
    return Positive(field, op, rule.value("value", json()), c);
  }

 private:
  // The value of a scalar field, null when the customer has none.
  static json FieldValue(const std::string& field, const json& c) {
    if (field == "email_domain") {
      if (c["email"].is_null()) return nullptr;
      const std::string email = c["email"];
      return Lower(email.substr(email.find('@') + 1));
    }
    if (field == "email") return c["email"].is_null() ? json() : json(Lower(c["email"]));
    if (field == "company") return c["company"].is_null() ? json() : json(Lower(c["company"]));
    return c[field];
  }

  static bool Compare(const std::string& op, int cmp) {
    if (op == "=") return cmp == 0;
    if (op == ">") return cmp > 0;
    if (op == ">=") return cmp >= 0;
    if (op == "<") return cmp < 0;
    if (op == "<=") return cmp <= 0;
    ADD_FAILURE() << "no comparison " << op;
    return false;
  }
  template <class T>
  static int Cmp(const T& a, const T& b) {
    return a < b ? -1 : (b < a ? 1 : 0);
  }
  static int64_t Minor(const json& money) { return std::llround(money.get<double>() * 100); }

  bool Positive(const std::string& field, const std::string& op, const json& value, const json& c) const {
    if (field == "tags") {
      const json& tags = c["tags"];
      if (op == "is_empty") return tags.empty();
      const json values = value.is_array() ? value : json::array({value});
      for (const json& v : values) {
        for (const json& t : tags) {
          if (t == v) return true;
        }
      }
      return false;
    }
    if (field.rfind("attributes.", 0) == 0) return Attribute(field.substr(11), op, value, c["attributes"]);

    const json actual = FieldValue(field, c);
    if (op == "is_empty") return actual.is_null();
    if (actual.is_null()) return false;
    const bool folded = field == "email" || field == "email_domain" || field == "company";
    auto one = [&](const json& v, const std::string& cmp_op) {
      if (field == "total_spend") return Compare(cmp_op, Cmp(Minor(actual), Minor(v)));
      if (field == "num_visits") return Compare(cmp_op, Cmp(actual.get<int64_t>(), v.get<int64_t>()));
      std::string a = actual, b = v;
      if (folded) b = Lower(b);
      if (cmp_op == "contains") return a.find(b) != std::string::npos;
      if (cmp_op == "starts_with") return a.rfind(b, 0) == 0;
      return Compare(cmp_op, a.compare(b) < 0 ? -1 : a.compare(b) > 0 ? 1 : 0);
    };
    if (op == "in") {
      for (const json& v : value) {
        if (one(v, "=")) return true;
      }
      return false;
    }
    if (op == "within_last_days") {
      const std::string a = actual;
      return a >= DaysAgo(value.get<int>()) && a <= now_;
    }
    if (op == "before_days_ago") return actual.get<std::string>() < DaysAgo(value.get<int>());
    return one(value, op);
  }

  static bool Attribute(const std::string& key, const std::string& op, const json& value,
                        const json& attributes) {
    const bool present = attributes.contains(key);
    const json a = present ? attributes[key] : json();
    if (op == "is_empty") {
      return !present || a.is_null() || (a.is_string() && a.get<std::string>().empty()) ||
             (a.is_array() && a.empty()) || (a.is_object() && a.empty());
    }
    auto one = [&](const json& v, const std::string& cmp_op) {
      if (v.is_boolean()) return a.is_boolean() && a == v;
      if (v.is_number()) {
        if (!a.is_number()) return false;
        const double x = a.get<double>(), y = v.get<double>();
        return Compare(cmp_op, x < y ? -1 : x > y ? 1 : 0);
      }
      if (!a.is_string()) return false;
      const std::string x = a, y = v;
      if (cmp_op == "contains") return x.find(y) != std::string::npos;
      if (cmp_op == "starts_with") return x.rfind(y, 0) == 0;
      return Compare(cmp_op, x.compare(y) < 0 ? -1 : x.compare(y) > 0 ? 1 : 0);
    };
    if (op == "in") {
      for (const json& v : value) {
        if (one(v, "=")) return true;
      }
      return false;
    }
    return one(value, op);
  }

  std::string DaysAgo(int days) const {
    // now_ minus whole days, as text (the test's clock; data stays hours away from the edges).
    std::tm tm{};
    strptime(now_.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm);
    std::time_t t = timegm(&tm) - static_cast<std::time_t>(days) * 86400;
    gmtime_r(&t, &tm);
    char buffer[32];
    std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buffer;
  }

  std::string now_;
};

class RuleGenerator {
 public:
  RuleGenerator(std::mt19937& rng, const std::vector<json>& customers, std::vector<std::string> owners)
      : rng_(rng), owners_(std::move(owners)) {
    for (const json& c : customers) {
      spends_.push_back(c["total_spend"].get<double>());
      created_.push_back(c["created_at"]);
      if (!c["last_visit_at"].is_null()) visits_.push_back(c["last_visit_at"]);
      if (!c["email"].is_null()) emails_.push_back(c["email"]);
    }
  }

  json Tree(int depth = 1) {
    const int children = 1 + Pick(depth == 1 ? 4 : 3);
    json rules = json::array();
    for (int i = 0; i < children; ++i) {
      rules.push_back(depth < 3 && Pick(4) == 0 ? Tree(depth + 1) : Condition());
    }
    return {{"logic", Pick(2) ? "and" : "or"}, {"rules", rules}};
  }

 private:
  int Pick(int n) { return static_cast<int>(rng_() % static_cast<unsigned>(n)); }
  template <class T>
  const T& OneOf(const std::vector<T>& items) { return items[static_cast<std::size_t>(Pick(static_cast<int>(items.size())))]; }
  std::string RandomCase(std::string text) {
    for (char& c : text) {
      if (Pick(2) && c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    }
    return text;
  }
  json List(const std::function<json()>& item) {
    json values = json::array();
    for (int i = 0, n = 1 + Pick(3); i < n; ++i) values.push_back(item());
    return values;
  }

  json Condition() {
    static const std::vector<std::string> kFields = {
        "status", "total_spend", "num_visits", "last_visit_at", "last_interaction_at",
        "created_at", "tags", "company", "email", "email_domain", "owner_id",
        "attributes.plan", "attributes.score", "attributes.vip", "attributes.list", "attributes.none"};
    const std::string field = OneOf(kFields);
    auto rule = [&](const std::string& op, json value = nullptr) {
      json r = {{"field", field}, {"op", op}};
      if (!value.is_null()) r["value"] = std::move(value);
      return r;
    };
    const std::vector<std::string> emptiness = {"is_empty", "is_not_empty"};
    if (Pick(10) == 0) return rule(OneOf(emptiness));

    if (field == "status") {
      const std::vector<std::string> statuses = {"lead", "prospect", "customer", "churned"};
      const std::vector<std::string> ops = {"=", "!=", "in", "not_in"};
      const std::string op = OneOf(ops);
      if (op == "in" || op == "not_in") return rule(op, List([&] { return json(OneOf(statuses)); }));
      return rule(op, OneOf(statuses));
    }
    if (field == "total_spend" || field == "num_visits") {
      auto value = [&]() -> json {
        if (field == "num_visits") return Pick(5);
        const double base = Pick(3) ? OneOf(spends_) : 100.0;
        const double shift = std::vector<double>{-0.01, 0, 0, 0.01, 25}[Pick(5)];
        return std::max(0.0, std::round((base + shift) * 100) / 100);
      };
      const std::vector<std::string> ops = {"=", "!=", ">", ">=", "<", "<=", "in", "not_in"};
      const std::string op = OneOf(ops);
      if (op == "in" || op == "not_in") return rule(op, List(value));
      return rule(op, value());
    }
    if (field == "last_visit_at" || field == "last_interaction_at" || field == "created_at") {
      const std::vector<std::string> ops = {"=", "!=", ">", ">=", "<", "<=", "within_last_days",
                                            "before_days_ago"};
      const std::string op = OneOf(ops);
      if (op == "within_last_days" || op == "before_days_ago") return rule(op, 1 + Pick(12));
      if (field == "created_at") return rule(op, OneOf(created_));
      if (!visits_.empty() && Pick(2)) return rule(op, OneOf(visits_));
      return rule(op, Ago((Pick(12) + 0.25) * kDay));
    }
    if (field == "tags") {
      const std::vector<std::string> tags = {"vip", "b2b", "trial", "VIP", "ghost"};
      const std::vector<std::string> ops = {"contains", "in", "not_in"};
      const std::string op = OneOf(ops);
      if (op == "contains") return rule(op, OneOf(tags));
      return rule(op, List([&] { return json(OneOf(tags)); }));
    }
    if (field == "company" || field == "email" || field == "email_domain") {
      std::vector<std::string> whole, parts;
      if (field == "company") {
        whole = {"Acme", "Globex", "Initech Labs", "acme rockets", "Nobody Inc"};
        parts = {"ac", "LOB", "labs", "me ro", "zzz"};
      } else if (field == "email") {
        whole = emails_.empty() ? std::vector<std::string>{"x@y.example"} : emails_;
        whole.push_back("nobody@nowhere.example");
        parts = {"a", "ada", "b2b", "@", ".example", "zz"};
      } else {
        whole = {"acme.example", "example.org", "mail.example.org", "b2b.io", "nowhere.example"};
        parts = {"example", "io", "mail", "acme.", "q"};
      }
      const std::vector<std::string> ops = {"=", "!=", "in", "not_in", "contains", "starts_with"};
      const std::string op = OneOf(ops);
      if (op == "contains" || op == "starts_with") return rule(op, RandomCase(OneOf(parts)));
      if (op == "in" || op == "not_in") return rule(op, List([&] { return json(RandomCase(OneOf(whole))); }));
      return rule(op, RandomCase(OneOf(whole)));
    }
    if (field == "owner_id") {
      std::vector<std::string> owners = owners_;
      owners.push_back(kUnknownId);
      const std::vector<std::string> ops = {"=", "!=", "in", "not_in"};
      const std::string op = OneOf(ops);
      if (op == "in" || op == "not_in") return rule(op, List([&] { return json(OneOf(owners)); }));
      return rule(op, OneOf(owners));
    }
    // Attributes: values of several kinds, so kind mismatches are exercised too.
    auto scalar = [&]() -> json {
      switch (Pick(6)) {
        case 0: return std::vector<std::string>{"gold", "silver", "Gold", "gol"}[Pick(4)];
        case 1: return Pick(21);
        case 2: return Pick(20) + 0.5;
        case 3: return "7";
        default: return std::vector<std::string>{"gold", "silver"}[Pick(2)];
      }
    };
    const std::vector<std::string> ops = {"=", "!=", ">", ">=", "<", "<=", "in", "not_in",
                                          "contains", "starts_with", "="};
    const std::string op = OneOf(ops);
    if (op == "contains" || op == "starts_with") {
      return rule(op, std::vector<std::string>{"ol", "g", "G", "silv", "7"}[Pick(5)]);
    }
    if (op == "in" || op == "not_in") {
      const bool strings = Pick(2);
      return rule(op, List([&]() -> json {
        if (strings) return std::vector<std::string>{"gold", "silver", "7"}[Pick(3)];
        return Pick(2) ? json(Pick(21)) : json(Pick(20) + 0.5);
      }));
    }
    if (op == "=" && Pick(4) == 0) return rule(op, static_cast<bool>(Pick(2)));
    return rule(op, scalar());
  }

  std::mt19937& rng_;
  std::vector<std::string> owners_;
  std::vector<double> spends_;
  std::vector<std::string> created_;
  std::vector<std::string> visits_;
  std::vector<std::string> emails_;
};

// The older form of a tree in the newer one: logicalOperator, operator, camelCase names.
json ToOlderForm(const json& rule) {
  if (rule.contains("rules")) {
    json rules = json::array();
    for (const json& child : rule["rules"]) rules.push_back(ToOlderForm(child));
    return {{"logicalOperator", rule["logic"] == "and" ? "AND" : "OR"}, {"rules", rules}};
  }
  static const std::map<std::string, std::string> kCamel = {
      {"total_spend", "totalSpend"}, {"num_visits", "numVisits"}, {"last_visit_at", "lastVisitDate"},
      {"last_interaction_at", "lastInteractionDate"}, {"created_at", "createdAt"},
      {"owner_id", "ownerId"}, {"email_domain", "emailDomain"}};
  static const std::map<std::string, std::string> kOps = {
      {"not_in", "notIn"}, {"starts_with", "startsWith"}, {"is_empty", "isEmpty"},
      {"is_not_empty", "isNotEmpty"}, {"within_last_days", "withinLastDays"},
      {"before_days_ago", "beforeDaysAgo"}};
  json out = rule;
  out.erase("op");
  const std::string field = rule["field"], op = rule["op"];
  out["field"] = kCamel.contains(field) ? kCamel.at(field) : field;
  out["operator"] = kOps.contains(op) ? kOps.at(op) : op;
  return out;
}

TEST_F(SegmentsApiTest, PreviewCountsAgreeWithAnIndependentEvaluator) {
  std::mt19937 rng(20261122);  // deterministic
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  const std::vector<std::string> statuses = {"lead", "prospect", "customer", "churned"};
  const std::vector<std::string> locals = {"ada", "bob", "cy", "dee", "b2b.sales", "Ann"};
  const std::vector<std::string> domains = {"acme.example", "Example.org", "mail.example.org", "B2B.io"};
  const std::vector<std::string> companies = {"Acme", "Globex", "Initech Labs", "acme rockets"};
  const std::vector<std::string> tag_pool = {"vip", "b2b", "trial", "VIP"};

  constexpr int kCustomers = 36;
  for (int i = 0; i < kCustomers; ++i) {
    json body = {{"name", "P" + std::to_string(i)}, {"status", statuses[pick(4)]}};
    if (pick(10) < 7) body["email"] = locals[pick(6)] + std::to_string(i) + "@" + domains[pick(4)];
    if (pick(10) < 6) body["company"] = companies[pick(4)];
    json tags = json::array();
    for (const std::string& tag : tag_pool) {
      if (pick(3) == 0) tags.push_back(tag);
    }
    body["tags"] = tags;
    json attributes = json::object();
    switch (pick(5)) {
      case 0: break;
      case 1: attributes["plan"] = nullptr; break;
      case 2: attributes["plan"] = ""; break;
      default: attributes["plan"] = std::vector<std::string>{"gold", "silver", "Gold"}[pick(3)];
    }
    switch (pick(5)) {
      case 0: break;
      case 1: attributes["score"] = "7"; break;
      case 2: attributes["score"] = pick(20) + 0.5; break;
      default: attributes["score"] = pick(21);
    }
    if (pick(2)) attributes["vip"] = static_cast<bool>(pick(2));
    if (pick(3) == 0) attributes["list"] = pick(2) ? json::array() : json::array({1});
    body["attributes"] = attributes;
    const int owner = pick(3);
    if (owner == 1) body["owner_id"] = agent().id;
    if (owner == 2) body["owner_id"] = other_agent().id;
    const json customer = CreateCustomer(body);
    for (int o = pick(4); o > 0; --o) {
      const double amount = (1 + pick(40000)) / 100.0;
      const std::vector<std::string> order_statuses = {"paid", "paid", "refunded", "cancelled"};
      Order(customer, amount, Ago((pick(12) + 0.5) * kDay), order_statuses[pick(4)]);
    }
  }

  As(admin());
  const std::vector<json> customers = Customers();
  ASSERT_EQ(customers.size(), static_cast<std::size_t>(kCustomers));
  std::vector<json> visible_to_agent;
  for (const json& c : customers) {
    if (c["owner_id"].is_null() || c["owner_id"] == agent().id) visible_to_agent.push_back(c);
  }
  RuleGenerator generate(rng, customers, {agent().id, other_agent().id});
  const Evaluator evaluate(Ago(0));

  auto expected = [&](const json& tree, const std::vector<json>& among) {
    std::vector<json> matching;
    for (const json& c : among) {
      if (evaluate.Matches(tree, c)) matching.push_back(c);
    }
    std::sort(matching.begin(), matching.end(), [](const json& a, const json& b) {
      return std::pair(a["created_at"].get<std::string>(), a["id"].get<std::string>()) >
             std::pair(b["created_at"].get<std::string>(), b["id"].get<std::string>());
    });
    return matching;
  };

  constexpr int kCases = 300;
  int nonempty = 0, partial = 0;
  for (int i = 0; i < kCases; ++i) {
    const json tree = generate.Tree();
    const std::vector<json> matching = expected(tree, customers);
    const json preview = Preview(tree);
    ASSERT_EQ(preview["count"], matching.size()) << "case " << i << ": " << tree.dump(1);
    std::vector<std::string> want, got;
    for (std::size_t k = 0; k < std::min<std::size_t>(10, matching.size()); ++k) want.push_back(matching[k]["id"]);
    for (const json& c : preview["sample"]) got.push_back(c["id"]);
    ASSERT_EQ(got, want) << "case " << i << ": " << tree.dump(1);
    nonempty += !matching.empty();
    partial += !matching.empty() && matching.size() < customers.size();

    if (i % 5 == 0) {
      ASSERT_EQ(Count(ToOlderForm(tree)), static_cast<int64_t>(matching.size()))
          << "older form of case " << i << ": " << ToOlderForm(tree).dump(1);
    }
    if (i % 7 == 0) {
      HttpResponse listed = client().Get("/api/v1/customers?limit=1&include_total=true&filter=" +
                                         UrlEncode(tree.dump()));
      ASSERT_EQ(listed.status, 200) << listed;
      ASSERT_EQ(listed.json()["total"], matching.size()) << "filter of case " << i;
    }
    if (i % 4 == 0) {
      As(agent());
      ASSERT_EQ(Count(tree), static_cast<int64_t>(expected(tree, visible_to_agent).size()))
          << "agent, case " << i << ": " << tree.dump(1);
      As(admin());
    }
  }
  // The generator must produce trees that actually discriminate.
  EXPECT_GT(partial, kCases / 3) << "nonempty " << nonempty;
}

}  // namespace
}  // namespace rapport::testing
