#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "api/fixtures.hpp"
#include "api/harness.hpp"

namespace rapport::testing {
namespace {

using nlohmann::json;

class CompaniesApiTest : public StaffApiTest {
 protected:
  json CreateCompany(const json& body) { return Created("/api/v1/companies", body); }
  static std::string PathOf(const json& company) {
    return "/api/v1/companies/" + company["id"].get<std::string>();
  }
  // Every name of every page of `query`, walking the cursors.
  std::vector<std::string> AllNames(const std::string& query) {
    std::vector<std::string> names;
    std::string cursor;
    for (int guard = 0; guard < 100; ++guard) {
      HttpResponse page = client().Get("/api/v1/companies?" + query +
                                       (cursor.empty() ? "" : "&cursor=" + UrlEncode(cursor)));
      EXPECT_EQ(page.status, 200) << page;
      if (page.status != 200) break;
      const json body = page.json();
      for (const auto& c : body["data"]) names.push_back(c["name"]);
      if (body["next_cursor"].is_null()) break;
      cursor = body["next_cursor"];
    }
    return names;
  }
};

TEST_F(CompaniesApiTest, CreateGetPatchDelete) {
  HttpResponse created = client().Post(
      "/api/v1/companies",
      {{"name", "Acme Corp"}, {"domain", "Acme.Example"}, {"phone", "+1 555 0100"}, {"address", "1 Road"}});
  ASSERT_EQ(created.status, 201) << created;
  const json company = created.json();
  EXPECT_EQ(company["name"], "Acme Corp");
  EXPECT_EQ(company["domain"], "acme.example");
  EXPECT_EQ(company["phone"], "+1 555 0100");
  EXPECT_EQ(company["address"], "1 Road");
  EXPECT_FALSE(company["created_at"].get<std::string>().empty());
  EXPECT_EQ(company["created_at"], company["updated_at"]);
  EXPECT_EQ(created.headers["Location"], PathOf(company));
  EXPECT_EQ(created.headers["ETag"], "\"1\"");

  HttpResponse got = client().Get(PathOf(company));
  ASSERT_EQ(got.status, 200) << got;
  EXPECT_EQ(got.json(), company);
  EXPECT_EQ(got.headers["ETag"], "\"1\"");

  HttpResponse patched = client().Patch(PathOf(company), {{"phone", nullptr}, {"name", "Acme Inc"}},
                                        {{"If-Match", "\"1\""}});
  ASSERT_EQ(patched.status, 200) << patched;
  EXPECT_EQ(patched.json()["name"], "Acme Inc");
  EXPECT_TRUE(patched.json()["phone"].is_null());
  EXPECT_EQ(patched.json()["domain"], "acme.example");
  EXPECT_EQ(patched.headers["ETag"], "\"2\"");

  HttpResponse stale = client().Patch(PathOf(company), {{"name", "Lost Update"}}, {{"If-Match", "\"1\""}});
  EXPECT_EQ(stale.status, 412) << stale;
  EXPECT_EQ(client().Get(PathOf(company)).json()["name"], "Acme Inc");

  EXPECT_EQ(client().Delete(PathOf(company), {{"If-Match", "\"1\""}}).status, 412);
  HttpResponse deleted = client().Delete(PathOf(company));
  EXPECT_EQ(deleted.status, 204) << deleted;
  EXPECT_EQ(client().Get(PathOf(company)).status, 404);
  EXPECT_EQ(client().Delete(PathOf(company)).status, 404);
}

TEST_F(CompaniesApiTest, EveryStaffRoleReadsAndWritesButOnlyManagersDelete) {
  As(agent());
  const json company = CreateCompany({{"name", "Agents Co"}});
  HttpResponse patched = client().Patch(PathOf(company), {{"domain", "agents.example"}});
  EXPECT_EQ(patched.status, 200) << patched;
  EXPECT_EQ(client().Get("/api/v1/companies").status, 200);
  HttpResponse refused = client().Delete(PathOf(company));
  EXPECT_EQ(refused.status, 403) << refused;
  As(manager());
  EXPECT_EQ(client().Delete(PathOf(company)).status, 204);

  client().SetToken("");
  EXPECT_EQ(client().Get("/api/v1/companies").status, 401);
}

TEST_F(CompaniesApiTest, NamesAreUniqueCaseInsensitively) {
  const json acme = CreateCompany({{"name", "Acme"}});
  HttpResponse duplicate = client().Post("/api/v1/companies", {{"name", "ACME"}});
  ASSERT_EQ(duplicate.status, 409) << duplicate;
  EXPECT_EQ(duplicate.headers["Content-Type"], "application/problem+json");
  EXPECT_EQ(ErrorFields(duplicate), std::set<std::string>{"name"});

  const json globex = CreateCompany({{"name", "Globex"}});
  HttpResponse rename = client().Patch(PathOf(globex), {{"name", "acme"}});
  EXPECT_EQ(rename.status, 409) << rename;
  EXPECT_EQ(ErrorFields(rename), std::set<std::string>{"name"});
  // Changing only the case of its own name is fine.
  HttpResponse recase = client().Patch(PathOf(acme), {{"name", "ACME"}});
  EXPECT_EQ(recase.status, 200) << recase;
}

TEST_F(CompaniesApiTest, ValidatesBodies) {
  HttpResponse missing = client().Post("/api/v1/companies", json::object());
  EXPECT_EQ(missing.status, 422) << missing;
  EXPECT_EQ(ErrorFields(missing), std::set<std::string>{"name"});

  HttpResponse bad = client().Post(
      "/api/v1/companies", {{"name", 5}, {"id", "x"}, {"created_at", "x"}, {"ceo", "Wile E."}});
  EXPECT_EQ(bad.status, 422) << bad;
  EXPECT_EQ(ErrorFields(bad), (std::set<std::string>{"name", "id", "created_at", "ceo"}));

  EXPECT_EQ(Raw("POST", "/api/v1/companies", "{\"name\": ").status, 400);
  EXPECT_EQ(Raw("POST", "/api/v1/companies", "[1]").status, 422);
  EXPECT_EQ(Raw("POST", "/api/v1/companies", "name=Acme", "application/x-www-form-urlencoded").status,
            415);

  const json company = CreateCompany({{"name", "Initech"}});
  HttpResponse null_name = client().Patch(PathOf(company), {{"name", nullptr}});
  EXPECT_EQ(null_name.status, 422) << null_name;
  EXPECT_EQ(ErrorFields(null_name), std::set<std::string>{"name"});
}

TEST_F(CompaniesApiTest, MalformedAndUnknownIdsAre404) {
  for (const std::string id : {"not-a-uuid", "01890a5d-ac96-774b-bcce-b302099a8057", "1' OR '1'='1"}) {
    const std::string path = "/api/v1/companies/" + UrlEncode(id);
    EXPECT_EQ(client().Get(path).status, 404) << id;
    EXPECT_EQ(client().Patch(path, {{"name", "X"}}).status, 404) << id;
    EXPECT_EQ(client().Delete(path).status, 404) << id;
  }
}

TEST_F(CompaniesApiTest, ListsSortsSearchesAndPaginates) {
  const std::vector<std::string> names = {"delta", "Alpha", "charlie", "Bravo", "echo",
                                          "Foxtrot", "golf"};
  for (const std::string& name : names) {
    CreateCompany({{"name", name}, {"domain", name == "echo" ? "sound.example" : name + ".test"}});
  }
  // Default order: name, case-insensitively.
  const std::vector<std::string> by_name = {"Alpha", "Bravo", "charlie", "delta", "echo",
                                            "Foxtrot", "golf"};
  EXPECT_EQ(AllNames("limit=3"), by_name);
  EXPECT_EQ(AllNames("limit=2&sort=-name"),
            std::vector<std::string>(by_name.rbegin(), by_name.rend()));
  EXPECT_EQ(AllNames("limit=2&sort=created_at"), names);

  HttpResponse total = client().Get("/api/v1/companies?limit=2&include_total=true");
  ASSERT_EQ(total.status, 200) << total;
  EXPECT_EQ(total.json()["total"], 7);
  EXPECT_EQ(total.json()["data"].size(), 2u);

  EXPECT_EQ(AllNames("q=ALP"), std::vector<std::string>{"Alpha"});
  EXPECT_EQ(AllNames("q=SOUND"), std::vector<std::string>{"echo"});  // the domain
  EXPECT_EQ(AllNames("q=" + UrlEncode("%")), std::vector<std::string>{});

  HttpResponse bad_sort = client().Get("/api/v1/companies?sort=domain");
  EXPECT_EQ(bad_sort.status, 400) << bad_sort;
  EXPECT_EQ(ErrorFields(bad_sort), std::set<std::string>{"sort"});
  EXPECT_EQ(client().Get("/api/v1/companies?cursor=garbage").status, 400);
}

TEST_F(CompaniesApiTest, DeletingACompanyKeepsItsCustomers) {
  const json company = CreateCompany({{"name", "Doomed Ltd"}});
  const json customer = Created("/api/v1/customers", {{"name", "Survivor"}, {"company_id", company["id"]}});
  EXPECT_EQ(customer["company"], "Doomed Ltd");
  ASSERT_EQ(client().Delete(PathOf(company)).status, 204);
  HttpResponse after = client().Get("/api/v1/customers/" + customer["id"].get<std::string>());
  ASSERT_EQ(after.status, 200) << after;
  EXPECT_TRUE(after.json()["company_id"].is_null());
  EXPECT_TRUE(after.json()["company"].is_null());
}

TEST_F(CompaniesApiTest, ARenamedCompanyShowsInItsCustomersAtOnce) {
  const json company = CreateCompany({{"name", "Old Name Inc"}});
  const json customer = Created("/api/v1/customers", {{"name", "Renamed"}, {"company_id", company["id"]}});
  const std::string path = "/api/v1/customers/" + customer["id"].get<std::string>();
  ASSERT_EQ(client().Get(path).json()["company"], "Old Name Inc");
  HttpResponse renamed = client().Patch(PathOf(company), {{"name", "New Name Inc"}});
  ASSERT_EQ(renamed.status, 200) << renamed;
  // Read by id, in the customer list and in the company's list.
  EXPECT_EQ(client().Get(path).json()["company"], "New Name Inc");
  const json list = client().Get("/api/v1/customers?q=Renamed").json();
  ASSERT_EQ(list["data"].size(), 1u) << list;
  EXPECT_EQ(list["data"][0]["company"], "New Name Inc");
  const json of_company = client().Get(PathOf(company) + "/customers").json();
  ASSERT_EQ(of_company["data"].size(), 1u) << of_company;
  EXPECT_EQ(of_company["data"][0], client().Get(path).json());
}

}  // namespace
}  // namespace rapport::testing
