#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "api/fixtures.hpp"
#include "api/harness.hpp"

namespace rapport::testing {
namespace {

using nlohmann::json;

constexpr char kUnknownId[] = "01890a5d-ac96-774b-bcce-b302099a8057";

class CustomersApiTest : public StaffApiTest {
 protected:
  json CreateCustomer(const json& body) { return Created("/api/v1/customers", body); }
  static std::string PathOf(const json& customer) {
    return "/api/v1/customers/" + customer["id"].get<std::string>();
  }
  static std::string IdOf(const json& resource) { return resource["id"].get<std::string>(); }

  // Every customer of every page of `base` + `query`, following next_cursor.
  std::vector<json> All(const std::string& query, const std::string& base = "/api/v1/customers") {
    std::vector<json> rows;
    std::string cursor;
    for (int guard = 0; guard < 200; ++guard) {
      const std::string path = base + "?" + query +
                               (cursor.empty() ? "" : "&cursor=" + UrlEncode(cursor));
      HttpResponse page = client().Get(path);
      EXPECT_EQ(page.status, 200) << path << "\n" << page;
      if (page.status != 200) break;
      const json body = page.json();
      for (const auto& c : body["data"]) rows.push_back(c);
      if (body["next_cursor"].is_null()) break;
      cursor = body["next_cursor"];
    }
    return rows;
  }
  std::set<std::string> Names(const std::string& query,
                              const std::string& base = "/api/v1/customers") {
    std::set<std::string> names;
    for (const json& c : All(query, base)) names.insert(c["name"].get<std::string>());
    return names;
  }
  std::vector<json> History(const json& customer) {
    HttpResponse response = client().Get(PathOf(customer) + "/status-history");
    EXPECT_EQ(response.status, 200) << response;
    return response.status == 200 ? response.json()["data"].get<std::vector<json>>()
                                  : std::vector<json>{};
  }
};

TEST_F(CustomersApiTest, CreateReturnsTheCustomerWithLocationAndEtag) {
  HttpResponse created = client().Post(
      "/api/v1/customers",
      {{"name", "Ada Lovelace"}, {"email", "ada@example.com"}, {"phone", "+44 20 7946 0000"},
       {"status", "prospect"}, {"notes", "met at the expo"}, {"tags", {"vip", "b2b", "vip"}},
       {"attributes", {{"source", "expo"}, {"score", 7.5}, {"nested", {{"a", {1, 2}}}}}},
       {"company", "Analytical Engines"}});
  ASSERT_EQ(created.status, 201) << created;
  const json c = created.json();
  EXPECT_EQ(created.headers["Location"], PathOf(c));
  EXPECT_EQ(created.headers["ETag"], "\"1\"");
  EXPECT_EQ(c["name"], "Ada Lovelace");
  EXPECT_EQ(c["email"], "ada@example.com");
  EXPECT_EQ(c["status"], "prospect");
  EXPECT_EQ(c["tags"], json({"vip", "b2b"}));
  EXPECT_EQ(c["attributes"]["score"], 7.5);
  EXPECT_EQ(c["attributes"]["nested"]["a"], json({1, 2}));
  EXPECT_EQ(c["company"], "Analytical Engines");
  EXPECT_TRUE(c["company_id"].is_string());
  EXPECT_TRUE(c["owner_id"].is_null());  // created by an admin: unowned
  EXPECT_EQ(c["total_spend"].dump(), "0");
  EXPECT_EQ(c["num_visits"], 0);
  EXPECT_TRUE(c["last_visit_at"].is_null());
  EXPECT_TRUE(c["last_interaction_at"].is_null());
  EXPECT_TRUE(c["first_name"].is_null());
  EXPECT_EQ(c["created_at"], c["updated_at"]);
  EXPECT_EQ(c["id"].get<std::string>().size(), 36u);

  HttpResponse got = client().Get(PathOf(c));
  ASSERT_EQ(got.status, 200) << got;
  EXPECT_EQ(got.json(), c);
  EXPECT_EQ(got.headers["ETag"], "\"1\"");
}

// Reads write each row straight from the database to JSON; writes answer with the stored
// customer. Both must give the same text, escapes and all.
TEST_F(CustomersApiTest, ReadsAnswerWithTheSameTextAsWrites) {
  std::vector<HttpResponse> created;
  for (const json& body :
       {json{{"name", "Zo\u00eb \"Q\" O'Brien\\"}, {"first_name", "Zo\u00eb"},
             {"last_name", "\u5f20\u4f1f"}, {"email", "zoe@example.com"}, {"phone", "+1\t555"},
             {"status", "customer"}, {"notes", "line 1\nline 2 \u0001 </script>"},
             {"tags", {"vip", "a \"quoted\" tag", "\u00fcber"}},
             {"attributes", {{"k", "v\u00e9"}, {"n", {{"deep", {1, nullptr, true}}}}}},
             {"company", "Caf\u00e9 \"Ltd\""}},
        json{{"name", "Plain"}}}) {
    HttpResponse response = client().Post("/api/v1/customers", body);
    ASSERT_EQ(response.status, 201) << response;
    created.push_back(response);
  }
  HttpResponse page = client().Get("/api/v1/customers?sort=name&limit=1");
  ASSERT_EQ(page.status, 200) << page;
  const json first = page.json();
  HttpResponse rest = client().Get("/api/v1/customers?sort=name&limit=5&cursor=" +
                                   UrlEncode(first["next_cursor"].get<std::string>()));
  ASSERT_EQ(rest.status, 200) << rest;
  for (const HttpResponse& write : created) {
    HttpResponse read = client().Get(PathOf(write.json()));
    ASSERT_EQ(read.status, 200) << read;
    EXPECT_EQ(read.body, write.body);
    EXPECT_EQ(read.headers.at("ETag"), write.headers.at("ETag"));
    // Each list row is the same text as the customer's own.
    EXPECT_NE((page.body + rest.body).find(write.body), std::string::npos) << write.body;
  }
  EXPECT_EQ(first["data"][0]["name"], "Plain");
  EXPECT_TRUE(rest.json()["next_cursor"].is_null());

  const std::string company = "/api/v1/companies/" +
                              created[0].json()["company_id"].get<std::string>() + "/customers";
  HttpResponse of_company = client().Get(company);
  ASSERT_EQ(of_company.status, 200) << of_company;
  EXPECT_EQ(of_company.body, "{\"data\":[" + created[0].body + "],\"next_cursor\":null}");
}

TEST_F(CustomersApiTest, DefaultsAndNameFromFirstAndLast) {
  const json c = CreateCustomer({{"first_name", "Grace"}, {"last_name", "Hopper"}});
  EXPECT_EQ(c["name"], "Grace Hopper");
  EXPECT_EQ(c["status"], "lead");
  EXPECT_EQ(c["tags"], json::array());
  EXPECT_EQ(c["attributes"], json::object());
  EXPECT_TRUE(c["email"].is_null());
  EXPECT_TRUE(c["company"].is_null());
  // Customers without email do not collide with each other.
  CreateCustomer({{"last_name", "Hopper"}});

  HttpResponse missing = client().Post("/api/v1/customers", {{"email", "x@example.com"}});
  EXPECT_EQ(missing.status, 422) << missing;
  EXPECT_EQ(ErrorFields(missing), std::set<std::string>{"name"});
}

TEST_F(CustomersApiTest, MalformedAndUnknownIdsAre404) {
  for (const std::string id : {"nope", "123", kUnknownId, "01890A5D-AC96-774B-BCCE-B302099A8057x"}) {
    const std::string path = "/api/v1/customers/" + UrlEncode(id);
    EXPECT_EQ(client().Get(path).status, 404) << id;
    EXPECT_EQ(client().Patch(path, {{"notes", "x"}}).status, 404) << id;
    EXPECT_EQ(client().Delete(path).status, 404) << id;
    EXPECT_EQ(client().Get(path + "/status-history").status, 404) << id;
  }
}

TEST_F(CustomersApiTest, CompanyIsFoundOrCreatedByNameInTheSameWrite) {
  const json first = CreateCustomer({{"name", "One"}, {"company", "Acme"}});
  const json second = CreateCustomer({{"name", "Two"}, {"company", "  ACME "}});
  EXPECT_EQ(first["company_id"], second["company_id"]);
  EXPECT_EQ(second["company"], "Acme");  // the stored spelling
  HttpResponse companies = client().Get("/api/v1/companies?include_total=true");
  ASSERT_EQ(companies.status, 200);
  EXPECT_EQ(companies.json()["total"], 1);

  const json by_id = CreateCustomer({{"name", "Three"}, {"company_id", first["company_id"]}});
  EXPECT_EQ(by_id["company"], "Acme");

  HttpResponse unknown = client().Post("/api/v1/customers", {{"name", "Four"}, {"company_id", kUnknownId}});
  EXPECT_EQ(unknown.status, 422) << unknown;
  EXPECT_EQ(ErrorFields(unknown), std::set<std::string>{"company_id"});

  HttpResponse both = client().Post(
      "/api/v1/customers", {{"name", "Five"}, {"company", "Acme"}, {"company_id", first["company_id"]}});
  EXPECT_EQ(both.status, 422) << both;
  EXPECT_EQ(ErrorFields(both), std::set<std::string>{"company"});

  // A failed write creates no company either.
  HttpResponse rolled_back = client().Post(
      "/api/v1/customers", {{"name", "Six"}, {"company", "Phantom"}, {"owner_id", kUnknownId}});
  EXPECT_EQ(rolled_back.status, 422) << rolled_back;
  EXPECT_EQ(client().Get("/api/v1/companies?q=Phantom").json()["data"].size(), 0u);

  // PATCH moves a customer between companies, or out of any.
  HttpResponse moved = client().Patch(PathOf(first), {{"company", "Globex"}});
  ASSERT_EQ(moved.status, 200) << moved;
  EXPECT_EQ(moved.json()["company"], "Globex");
  EXPECT_NE(moved.json()["company_id"], first["company_id"]);
  HttpResponse cleared = client().Patch(PathOf(first), {{"company_id", nullptr}});
  ASSERT_EQ(cleared.status, 200) << cleared;
  EXPECT_TRUE(cleared.json()["company"].is_null());
  EXPECT_TRUE(cleared.json()["company_id"].is_null());
}

TEST_F(CustomersApiTest, ConcurrentCreatesShareOneNewCompany) {
  constexpr int kWriters = 8;
  std::vector<long> statuses(kWriters, 0);
  std::vector<std::string> company_ids(kWriters);
  std::vector<std::thread> writers;
  for (int i = 0; i < kWriters; ++i) {
    writers.emplace_back([&, i] {
      Client writer(server());
      writer.SetToken(admin().token);
      HttpResponse response = writer.Post(
          "/api/v1/customers",
          {{"name", "Racer " + std::to_string(i)}, {"company", i % 2 ? "Photo Finish" : "PHOTO FINISH"}});
      statuses[i] = response.status;
      if (response.status == 201) company_ids[i] = response.json()["company_id"];
    });
  }
  for (std::thread& writer : writers) writer.join();
  for (int i = 0; i < kWriters; ++i) {
    EXPECT_EQ(statuses[i], 201) << i;
    EXPECT_EQ(company_ids[i], company_ids[0]) << i;
  }
  EXPECT_EQ(client().Get("/api/v1/companies?include_total=true").json()["total"], 1);
  EXPECT_EQ(Names("company_id=" + company_ids[0]).size(), static_cast<std::size_t>(kWriters));
}

TEST_F(CustomersApiTest, EmailsAreUniqueCaseInsensitively) {
  const json ada = CreateCustomer({{"name", "Ada"}, {"email", "Ada@Example.com"}});
  HttpResponse duplicate = client().Post("/api/v1/customers", {{"name", "Imposter"}, {"email", "ada@EXAMPLE.com"}});
  ASSERT_EQ(duplicate.status, 409) << duplicate;
  EXPECT_EQ(duplicate.headers["Content-Type"], "application/problem+json");
  EXPECT_EQ(ErrorFields(duplicate), std::set<std::string>{"email"});

  const json bea = CreateCustomer({{"name", "Bea"}, {"email", "bea@example.com"}});
  HttpResponse patched = client().Patch(PathOf(bea), {{"email", "ADA@example.com"}});
  EXPECT_EQ(patched.status, 409) << patched;
  EXPECT_EQ(ErrorFields(patched), std::set<std::string>{"email"});
  EXPECT_EQ(client().Get(PathOf(bea)).json()["email"], "bea@example.com");
}

TEST_F(CustomersApiTest, RejectsBadBodiesWithTheRightStatus) {
  EXPECT_EQ(Raw("POST", "/api/v1/customers", "{\"name\": \"Ada\"").status, 400);
  EXPECT_EQ(Raw("POST", "/api/v1/customers", "").status, 400);
  EXPECT_EQ(Raw("POST", "/api/v1/customers", "\"Ada\"").status, 422);
  EXPECT_EQ(Raw("POST", "/api/v1/customers", "name=Ada", "text/plain").status, 415);

  HttpResponse types = client().Post(
      "/api/v1/customers", {{"name", 42}, {"email", true}, {"tags", "vip"}, {"attributes", {1, 2}},
                            {"status", "vip"}, {"owner_id", "me"}, {"notes", {{"a", 1}}}});
  ASSERT_EQ(types.status, 422) << types;
  EXPECT_EQ(types.headers["Content-Type"], "application/problem+json");
  EXPECT_EQ(ErrorFields(types), (std::set<std::string>{"name", "email", "tags", "attributes",
                                                       "status", "owner_id", "notes"}));

  HttpResponse unknown = client().Post("/api/v1/customers", {{"name", "Ada"}, {"is_vip", true}});
  EXPECT_EQ(unknown.status, 422) << unknown;
  EXPECT_EQ(ErrorFields(unknown), std::set<std::string>{"is_vip"});

  for (const char* field : {"id", "created_at", "updated_at", "total_spend", "num_visits",
                            "last_visit_at", "last_interaction_at"}) {
    HttpResponse read_only = client().Post("/api/v1/customers", {{"name", "Ada"}, {field, nullptr}});
    EXPECT_EQ(read_only.status, 422) << field << "\n" << read_only;
    EXPECT_EQ(ErrorFields(read_only), std::set<std::string>{field});
  }

  json many_tags = json::array();
  for (int i = 0; i < 51; ++i) many_tags.push_back("tag" + std::to_string(i));
  HttpResponse tags = client().Post("/api/v1/customers", {{"name", "Ada"}, {"tags", many_tags}});
  EXPECT_EQ(tags.status, 422) << tags;
  HttpResponse long_tag =
      client().Post("/api/v1/customers", {{"name", "Ada"}, {"tags", {std::string(65, 't')}}});
  EXPECT_EQ(long_tag.status, 422) << long_tag;
  HttpResponse big_attributes = client().Post(
      "/api/v1/customers", {{"name", "Ada"}, {"attributes", {{"blob", std::string(70000, 'x')}}}});
  EXPECT_EQ(big_attributes.status, 422) << big_attributes;
  EXPECT_EQ(ErrorFields(big_attributes), std::set<std::string>{"attributes"});

  HttpResponse too_large = client().Post(
      "/api/v1/customers", {{"name", "Ada"}, {"notes", std::string(2 * 1024 * 1024, 'x')}});
  EXPECT_EQ(too_large.status, 413) << too_large.status;

  // Nothing of the above was stored.
  EXPECT_EQ(client().Get("/api/v1/customers?include_total=true").json()["total"], 0);
}

TEST_F(CustomersApiTest, DeeplyNestedAttributesAreRefusedNotFollowed) {
  // Copying or printing a document this deep would recurse 100,000 times.
  const std::string body = R"({"name": "Deep", "attributes": {"a": )" + std::string(100000, '[') +
                           std::string(100000, ']') + "}}";
  HttpResponse deep = Raw("POST", "/api/v1/customers", body);
  EXPECT_EQ(deep.status, 422) << deep.status;
  EXPECT_EQ(ErrorFields(deep), std::set<std::string>{"attributes"});
  EXPECT_EQ(client().Get("/healthz").status, 200);
  EXPECT_EQ(client().Get("/api/v1/customers?include_total=true").json()["total"], 0);
}

TEST_F(CustomersApiTest, SqlLookingInputIsStoredAndSearchedVerbatim) {
  const std::string sneaky = "Robert'); DROP TABLE customers;--";
  const json c = CreateCustomer({{"name", sneaky}, {"notes", "1' OR '1'='1"},
                                 {"tags", {"50%_off", "a'b"}}, {"company", "\"; DELETE FROM companies"}});
  EXPECT_EQ(c["name"], sneaky);
  CreateCustomer({{"name", "Innocent Bystander"}, {"tags", {"500off"}}});
  HttpResponse got = client().Get(PathOf(c));
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(got.json()["name"], sneaky);
  EXPECT_EQ(got.json()["notes"], "1' OR '1'='1");
  EXPECT_EQ(got.json()["company"], "\"; DELETE FROM companies");

  EXPECT_EQ(Names("q=" + UrlEncode("'); drop")), std::set<std::string>{sneaky});
  EXPECT_EQ(Names("tag=" + UrlEncode("50%_off")), std::set<std::string>{sneaky});
  EXPECT_EQ(Names("tag=" + UrlEncode("a'b")), std::set<std::string>{sneaky});
  // LIKE wildcards in q match only themselves.
  EXPECT_EQ(Names("q=" + UrlEncode("%")), std::set<std::string>{});
  EXPECT_EQ(Names("q=" + UrlEncode("_")), std::set<std::string>{});
  EXPECT_EQ(Names(""), (std::set<std::string>{sneaky, "Innocent Bystander"}));
}

TEST_F(CustomersApiTest, PatchChangesOnlyWhatIsGivenAndHonoursIfMatch) {
  const json c = CreateCustomer({{"first_name", "Ada"}, {"last_name", "Byron"}, {"email", "ada@example.com"},
                                 {"tags", {"a", "b"}}, {"attributes", {{"x", 1}, {"y", 2}}}});
  HttpResponse patched = client().Patch(
      PathOf(c), {{"last_name", "Lovelace"}, {"tags", {"c"}}, {"attributes", {{"z", 3}}}, {"phone", "123"}},
      {{"If-Match", "\"1\""}});
  ASSERT_EQ(patched.status, 200) << patched;
  const json p = patched.json();
  EXPECT_EQ(patched.headers["ETag"], "\"2\"");
  EXPECT_EQ(p["name"], "Ada Lovelace");  // derived names follow first/last
  EXPECT_EQ(p["email"], "ada@example.com");
  EXPECT_EQ(p["tags"], json({"c"}));
  EXPECT_EQ(p["attributes"], json({{"z", 3}}));  // replaced, not merged
  EXPECT_EQ(p["phone"], "123");
  EXPECT_EQ(p["created_at"], c["created_at"]);
  EXPECT_EQ(client().Get(PathOf(c)).json(), p);

  HttpResponse stale = client().Patch(PathOf(c), {{"notes", "lost"}}, {{"If-Match", "\"1\""}});
  EXPECT_EQ(stale.status, 412) << stale;
  EXPECT_EQ(client().Patch(PathOf(c), {{"notes", "lost"}}, {{"If-Match", "garbage"}}).status, 412);
  EXPECT_TRUE(client().Get(PathOf(c)).json()["notes"].is_null());

  // A PATCH that changes nothing keeps the version.
  HttpResponse same = client().Patch(PathOf(c), {{"phone", "123"}}, {{"If-Match", "W/\"2\""}});
  EXPECT_EQ(same.status, 200) << same;
  EXPECT_EQ(same.headers["ETag"], "\"2\"");

  HttpResponse nulls = client().Patch(PathOf(c), {{"phone", nullptr}, {"tags", nullptr}, {"attributes", nullptr}});
  ASSERT_EQ(nulls.status, 200) << nulls;
  EXPECT_TRUE(nulls.json()["phone"].is_null());
  EXPECT_EQ(nulls.json()["tags"], json::array());
  EXPECT_EQ(nulls.json()["attributes"], json::object());
  EXPECT_EQ(nulls.headers["ETag"], "\"3\"");

  HttpResponse bad = client().Patch(PathOf(c), {{"name", nullptr}, {"status", nullptr}, {"total_spend", 5}});
  EXPECT_EQ(bad.status, 422) << bad;
  EXPECT_EQ(ErrorFields(bad), (std::set<std::string>{"name", "status", "total_spend"}));

  EXPECT_EQ(client().Delete(PathOf(c), {{"If-Match", "\"1\""}}).status, 412);
  EXPECT_EQ(client().Get(PathOf(c)).status, 200);
  EXPECT_EQ(client().Delete(PathOf(c), {{"If-Match", "\"3\""}}).status, 204);
}

TEST_F(CustomersApiTest, StatusChangesAreRecorded) {
  const json c = CreateCustomer({{"name", "Funnel"}});
  ASSERT_EQ(client().Patch(PathOf(c), {{"status", "prospect"}}).status, 200);
  ASSERT_EQ(client().Patch(PathOf(c), {{"status", "prospect"}, {"notes", "same status"}}).status, 200);
  As(manager());
  ASSERT_EQ(client().Patch(PathOf(c), {{"status", "customer"}}).status, 200);

  const std::vector<json> history = History(c);
  ASSERT_EQ(history.size(), 3u);
  EXPECT_TRUE(history[0]["from_status"].is_null());
  EXPECT_EQ(history[0]["to_status"], "lead");
  EXPECT_EQ(history[0]["changed_by"], admin().id);
  EXPECT_EQ(history[1]["from_status"], "lead");
  EXPECT_EQ(history[1]["to_status"], "prospect");
  EXPECT_EQ(history[2]["from_status"], "prospect");
  EXPECT_EQ(history[2]["to_status"], "customer");
  EXPECT_EQ(history[2]["changed_by"], manager().id);
  for (const json& change : history) EXPECT_TRUE(change["changed_at"].is_string());

  const json customer = CreateCustomer({{"name", "Straight In"}, {"status", "customer"}});
  const std::vector<json> initial = History(customer);
  ASSERT_EQ(initial.size(), 1u);
  EXPECT_EQ(initial[0]["to_status"], "customer");
}

TEST_F(CustomersApiTest, PaginationVisitsEveryRowOnceInEveryOrder) {
  std::set<std::string> all;
  for (int i = 0; i < 23; ++i) {
    // Names and emails sort differently from creation order; some share a spend.
    const std::string name = std::string(1, static_cast<char>('a' + (i * 7) % 23)) + " customer " +
                             std::to_string(i);
    json body = {{"name", i % 2 ? name : "X" + name}, {"status", i % 3 ? "lead" : "prospect"}};
    if (i % 4) body["email"] = "c" + std::to_string((i * 5) % 23) + "@example.com";
    all.insert(IdOf(CreateCustomer(body)));
  }
  for (const std::string sort : {"", "name", "-name", "email", "-email", "created_at", "status,-name",
                                 "total_spend", "-num_visits", "last_interaction_at", "-updated_at"}) {
    const std::string query =
        "limit=5&include_total=true" + (sort.empty() ? "" : "&sort=" + UrlEncode(sort));
    const std::vector<json> rows = All(query);
    std::vector<std::string> ids;
    for (const json& row : rows) ids.push_back(IdOf(row));
    EXPECT_EQ(ids.size(), all.size()) << sort;
    EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()), all) << sort;
    // The pages together are the same list one big page gives.
    const std::string single =
        "/api/v1/customers?limit=500" + (sort.empty() ? "" : "&sort=" + UrlEncode(sort));
    const json everything = client().Get(single).json();
    std::vector<std::string> expected;
    for (const json& row : everything["data"]) expected.push_back(IdOf(row));
    EXPECT_EQ(ids, expected) << sort;
  }
  // The default order is newest first.
  const std::vector<json> rows = All("limit=500");
  EXPECT_TRUE(std::is_sorted(rows.begin(), rows.end(), [](const json& a, const json& b) {
    return a["created_at"] > b["created_at"] ||
           (a["created_at"] == b["created_at"] && a["id"] > b["id"]);
  }));
  // Names sort case-insensitively.
  const std::vector<json> by_name = All("sort=name&limit=500");
  EXPECT_TRUE(std::is_sorted(by_name.begin(), by_name.end(), [](const json& a, const json& b) {
    std::string x = a["name"], y = b["name"];
    std::transform(x.begin(), x.end(), x.begin(), ::tolower);
    std::transform(y.begin(), y.end(), y.begin(), ::tolower);
    return x < y;
  }));

  HttpResponse first = client().Get("/api/v1/customers?limit=5&include_total=true&status=lead");
  ASSERT_EQ(first.status, 200);
  EXPECT_EQ(first.json()["total"], 15);
  EXPECT_EQ(first.json()["data"].size(), 5u);
  EXPECT_FALSE(first.json()["next_cursor"].is_null());
  HttpResponse no_total = client().Get("/api/v1/customers?limit=5");
  EXPECT_FALSE(no_total.json().contains("total"));
}

TEST_F(CustomersApiTest, ListParametersAreValidated) {
  struct Case {
    std::string query;
    std::string parameter;
  };
  const Case cases[] = {
      {"sort=password", "sort"},
      {"sort=name%2Cname", "sort"},
      {"sort=tags", "sort"},
      {"limit=0", "limit"},
      {"limit=501", "limit"},
      {"limit=ten", "limit"},
      {"cursor=not-a-cursor", "cursor"},
      {"include_total=maybe", "include_total"},
      {"status=vip", "status"},
      {"owner_id=bob", "owner_id"},
      {"company_id=1", "company_id"},
      {"created_after=yesterday", "created_after"},
      {"created_before=2026-13-01", "created_before"},
  };
  for (const Case& c : cases) {
    HttpResponse response = client().Get("/api/v1/customers?" + c.query);
    EXPECT_EQ(response.status, 400) << c.query << "\n" << response;
    EXPECT_EQ(ErrorFields(response), std::set<std::string>{c.parameter}) << c.query;
  }
  // A cursor is bound to its sort order.
  for (int i = 0; i < 3; ++i) CreateCustomer({{"name", "n" + std::to_string(i)}});
  const std::string cursor = client().Get("/api/v1/customers?limit=1&sort=name").json()["next_cursor"];
  EXPECT_EQ(client().Get("/api/v1/customers?limit=1&sort=name&cursor=" + UrlEncode(cursor)).status, 200);
  HttpResponse mismatch = client().Get("/api/v1/customers?limit=1&sort=email&cursor=" + UrlEncode(cursor));
  EXPECT_EQ(mismatch.status, 400) << mismatch;
}

TEST_F(CustomersApiTest, FiltersNarrowTheList) {
  const json acme = Created("/api/v1/companies", {{"name", "Acme Rockets"}});
  CreateCustomer({{"name", "Lead One"}, {"tags", {"vip"}}, {"company", "Acme Rockets"}});
  CreateCustomer({{"name", "Prospect Two"}, {"status", "prospect"}, {"email", "TWO@Example.org"},
                  {"owner_id", agent().id}});
  CreateCustomer({{"name", "Customer Three"}, {"status", "customer"}, {"phone", "+1 555 0199"},
                  {"tags", {"vip", "b2b"}}, {"owner_id", other_agent().id}});
  CreateCustomer({{"name", "Churned Four"}, {"status", "churned"}, {"tags", {"b2b"}}});

  using Set = std::set<std::string>;
  EXPECT_EQ(Names("status=prospect"), Set{"Prospect Two"});
  EXPECT_EQ(Names("status=churned"), Set{"Churned Four"});
  EXPECT_EQ(Names("owner_id=" + agent().id), Set{"Prospect Two"});
  EXPECT_EQ(Names("owner_id=" + std::string(kUnknownId)), Set{});
  EXPECT_EQ(Names("company_id=" + IdOf(acme)), Set{"Lead One"});
  EXPECT_EQ(Names("tag=vip"), (Set{"Lead One", "Customer Three"}));
  EXPECT_EQ(Names("tag=b2b&status=churned"), Set{"Churned Four"});
  EXPECT_EQ(Names("tag=VIP"), Set{});  // tags match exactly
  // q: case-insensitive over name, email, phone and company name.
  EXPECT_EQ(Names("q=lead"), Set{"Lead One"});
  EXPECT_EQ(Names("q=EXAMPLE.ORG"), Set{"Prospect Two"});
  EXPECT_EQ(Names("q=" + UrlEncode("555 01")), Set{"Customer Three"});
  EXPECT_EQ(Names("q=rocket"), Set{"Lead One"});
  EXPECT_EQ(Names("q=o&status=customer"), Set{"Customer Three"});
  // Created windows: after is inclusive, before exclusive; dates and any offset work.
  EXPECT_EQ(Names("created_after=2000-01-01").size(), 4u);
  EXPECT_EQ(Names("created_after=" + UrlEncode("2999-01-01T00:00:00+02:00")).size(), 0u);
  EXPECT_EQ(Names("created_before=" + UrlEncode("2000-01-01T00:00:00Z")).size(), 0u);
  EXPECT_EQ(Names("created_after=2000-01-01&created_before=2999-01-01").size(), 4u);
  const std::string created_at = All("limit=1")[0]["created_at"];
  EXPECT_EQ(Names("created_before=" + UrlEncode(created_at)).size() +
                Names("created_after=" + UrlEncode(created_at)).size(),
            4u);
}

TEST_F(CustomersApiTest, CompanyCustomersListsOnlyThatCompany) {
  const json acme = Created("/api/v1/companies", {{"name", "Acme"}});
  const json globex = Created("/api/v1/companies", {{"name", "Globex"}});
  CreateCustomer({{"name", "Wile"}, {"company_id", acme["id"]}});
  CreateCustomer({{"name", "Road Runner"}, {"company", "acme"}, {"status", "customer"}});
  CreateCustomer({{"name", "Hank"}, {"company_id", globex["id"]}});
  const std::string base = "/api/v1/companies/" + IdOf(acme) + "/customers";
  EXPECT_EQ(Names("", base), (std::set<std::string>{"Wile", "Road Runner"}));
  EXPECT_EQ(Names("status=customer", base), std::set<std::string>{"Road Runner"});
  EXPECT_EQ(Names("limit=1&sort=name", base), (std::set<std::string>{"Wile", "Road Runner"}));
  EXPECT_EQ(client().Get("/api/v1/companies/" + std::string(kUnknownId) + "/customers").status, 404);
  EXPECT_EQ(client().Get("/api/v1/companies/nope/customers").status, 404);
  EXPECT_EQ(client().Get(base + "?sort=secret").status, 400);
}

TEST_F(CustomersApiTest, AgentsSeeOnlyTheirOwnAndUnownedCustomers) {
  As(agent());
  const json mine = CreateCustomer({{"name", "Mine"}, {"tags", {"t"}}});
  EXPECT_EQ(mine["owner_id"], agent().id);
  const json shared = CreateCustomer({{"name", "Shared"}, {"owner_id", nullptr}, {"tags", {"t"}}});
  EXPECT_TRUE(shared["owner_id"].is_null());
  As(other_agent());
  const json theirs = CreateCustomer({{"name", "Theirs"}, {"tags", {"t"}}});

  // The other agent cannot see, change or delete mine, and it is absent from their lists.
  for (const json* hidden : {&mine}) {
    EXPECT_EQ(client().Get(PathOf(*hidden)).status, 404);
    EXPECT_EQ(client().Patch(PathOf(*hidden), {{"notes", "x"}}).status, 404);
    EXPECT_EQ(client().Patch(PathOf(*hidden), {{"owner_id", other_agent().id}}).status, 404);
    EXPECT_EQ(client().Delete(PathOf(*hidden)).status, 404);
    EXPECT_EQ(client().Get(PathOf(*hidden) + "/status-history").status, 404);
  }
  using Set = std::set<std::string>;
  EXPECT_EQ(Names(""), (Set{"Shared", "Theirs"}));
  EXPECT_EQ(Names("tag=t&limit=1"), (Set{"Shared", "Theirs"}));
  EXPECT_EQ(Names("owner_id=" + agent().id), Set{});
  EXPECT_EQ(client().Get("/api/v1/customers?include_total=true").json()["total"], 2);
  EXPECT_EQ(client().Patch(PathOf(shared), {{"notes", "anyone may"}}).status, 200);

  As(agent());
  EXPECT_EQ(Names(""), (Set{"Mine", "Shared"}));
  EXPECT_EQ(client().Get(PathOf(theirs)).status, 404);

  As(manager());
  EXPECT_EQ(Names(""), (Set{"Mine", "Shared", "Theirs"}));
  As(admin());
  EXPECT_EQ(Names("owner_id=" + other_agent().id), Set{"Theirs"});
  EXPECT_EQ(client().Get(PathOf(theirs)).status, 200);
}

TEST_F(CustomersApiTest, OwnerRulesDependOnTheRole) {
  As(agent());
  HttpResponse give_away = client().Post("/api/v1/customers", {{"name", "Gift"}, {"owner_id", other_agent().id}});
  EXPECT_EQ(give_away.status, 403) << give_away;
  const json self = CreateCustomer({{"name", "Self"}, {"owner_id", agent().id}});
  EXPECT_EQ(self["owner_id"], agent().id);
  HttpResponse reassign = client().Patch(PathOf(self), {{"owner_id", other_agent().id}});
  EXPECT_EQ(reassign.status, 403) << reassign;
  HttpResponse release = client().Patch(PathOf(self), {{"owner_id", nullptr}});
  ASSERT_EQ(release.status, 200) << release;
  EXPECT_TRUE(release.json()["owner_id"].is_null());

  As(manager());
  EXPECT_TRUE(CreateCustomer({{"name", "Unowned"}})["owner_id"].is_null());
  const json assigned = CreateCustomer({{"name", "Assigned"}, {"owner_id", other_agent().id}});
  EXPECT_EQ(assigned["owner_id"], other_agent().id);
  HttpResponse ghost = client().Post("/api/v1/customers", {{"name", "Ghost"}, {"owner_id", kUnknownId}});
  EXPECT_EQ(ghost.status, 422) << ghost;
  EXPECT_EQ(ErrorFields(ghost), std::set<std::string>{"owner_id"});
  HttpResponse ghost_patch = client().Patch(PathOf(assigned), {{"owner_id", kUnknownId}});
  EXPECT_EQ(ghost_patch.status, 422) << ghost_patch;
  EXPECT_EQ(ErrorFields(ghost_patch), std::set<std::string>{"owner_id"});
  HttpResponse moved = client().Patch(PathOf(assigned), {{"owner_id", agent().id}});
  ASSERT_EQ(moved.status, 200) << moved;
  As(agent());
  EXPECT_EQ(client().Get(PathOf(assigned)).status, 200);
}

TEST_F(CustomersApiTest, OnlyManagersAndAdminsDelete) {
  As(agent());
  const json mine = CreateCustomer({{"name", "Mine"}});
  HttpResponse refused = client().Delete(PathOf(mine));
  EXPECT_EQ(refused.status, 403) << refused;
  EXPECT_EQ(client().Get(PathOf(mine)).status, 200);

  As(manager());
  EXPECT_EQ(client().Delete(PathOf(mine)).status, 204);
  EXPECT_EQ(client().Get(PathOf(mine)).status, 404);
  EXPECT_EQ(client().Delete(PathOf(mine)).status, 404);
}

TEST_F(CustomersApiTest, DeleteErasesTheCustomerAndWhatHangsOffIt) {
  const json c = CreateCustomer({{"name", "Erase Me"}, {"email", "erase@example.com"},
                                 {"tags", {"gone"}}, {"company", "Stays Inc"}});
  ASSERT_EQ(client().Patch(PathOf(c), {{"status", "customer"}}).status, 200);
  ASSERT_EQ(History(c).size(), 2u);

  EXPECT_EQ(client().Delete(PathOf(c)).status, 204);
  EXPECT_EQ(client().Get(PathOf(c)).status, 404);
  EXPECT_EQ(client().Get(PathOf(c) + "/status-history").status, 404);
  EXPECT_EQ(Names("tag=gone"), std::set<std::string>{});
  EXPECT_EQ(Names("q=erase"), std::set<std::string>{});
  // The email is free again, and the company stays.
  const json again = CreateCustomer({{"name", "Erase Me"}, {"email", "ERASE@example.com"}, {"tags", {"gone"}}});
  EXPECT_EQ(History(again).size(), 1u);
  EXPECT_EQ(Names("tag=gone"), std::set<std::string>{"Erase Me"});
  EXPECT_EQ(client().Get("/api/v1/companies?q=stays").json()["data"].size(), 1u);
}

TEST_F(CustomersApiTest, RequiresAStaffToken) {
  client().SetToken("");
  EXPECT_EQ(client().Get("/api/v1/customers").status, 401);
  EXPECT_EQ(client().Post("/api/v1/customers", {{"name", "x"}}).status, 401);
  EXPECT_EQ(client().Get(std::string("/api/v1/customers/") + kUnknownId).status, 401);
}

TEST_F(CustomersApiTest, IdempotentCreateCreatesOnce) {
  const json body = {{"name", "Once"}, {"email", "once@example.com"}};
  HttpResponse first = client().Post("/api/v1/customers", body, {{"Idempotency-Key", "create-once-1"}});
  HttpResponse retry = client().Post("/api/v1/customers", body, {{"Idempotency-Key", "create-once-1"}});
  ASSERT_EQ(first.status, 201) << first;
  EXPECT_EQ(retry.status, 201) << retry;
  EXPECT_EQ(retry.json()["id"], first.json()["id"]);
  EXPECT_EQ(client().Get("/api/v1/customers?include_total=true").json()["total"], 1);
}

}  // namespace
}  // namespace rapport::testing
