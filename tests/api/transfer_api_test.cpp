// Import, export and bulk creation of customers over HTTP and on the command line, on the
// real binary: formats, modes, per-row errors, malformed input, limits, roles, streaming and
// the round trip export → import into a fresh database → export.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "api/fixtures.hpp"
#include "api/harness.hpp"

namespace rapport::testing {
namespace {

using nlohmann::json;

constexpr char kCsv[] = "text/csv";
constexpr char kJson[] = "application/json";
constexpr char kNdjson[] = "application/x-ndjson";

class TransferApiTest : public StaffApiTest {
 protected:
  HttpResponse Import(std::string body, const std::string& type = kCsv,
                      const std::string& query = "") {
    return Raw("POST", "/api/v1/import/customers" + (query.empty() ? "" : "?" + query),
               std::move(body), type);
  }
  // An import that must succeed; returns its summary.
  json Imported(std::string body, const std::string& type = kCsv, const std::string& query = "") {
    HttpResponse response = Import(std::move(body), type, query);
    EXPECT_EQ(response.status, 200) << response;
    return response.status == 200 ? response.json() : json::object();
  }
  HttpResponse Export(const std::string& query = "") {
    return client().Get("/api/v1/export/customers" + (query.empty() ? "" : "?" + query));
  }
  // Every customer, oldest first.
  std::vector<json> Customers(const std::string& query = "") {
    std::vector<json> rows;
    std::string cursor;
    for (int guard = 0; guard < 100; ++guard) {
      std::string path = "/api/v1/customers?limit=500&sort=created_at&" + query;
      if (!cursor.empty()) path += "&cursor=" + UrlEncode(cursor);
      HttpResponse page = client().Get(path);
      EXPECT_EQ(page.status, 200) << page;
      if (page.status != 200) break;
      const json body = page.json();
      for (const json& c : body["data"]) rows.push_back(c);
      if (body["next_cursor"].is_null()) break;
      cursor = body["next_cursor"];
    }
    return rows;
  }
  json ByEmail(const std::string& email) {
    const std::vector<json> found = Customers("q=" + UrlEncode(email));
    for (const json& c : found) {
      if (c["email"] == email) return c;
    }
    ADD_FAILURE() << "no customer with email " << email;
    return json();
  }
  int64_t CustomerCount() {
    HttpResponse page = client().Get("/api/v1/customers?include_total=true&limit=1");
    EXPECT_EQ(page.status, 200) << page;
    return page.status == 200 ? page.json()["total"].get<int64_t>() : -1;
  }
  static std::set<std::pair<int64_t, std::string>> RowErrors(const json& summary) {
    std::set<std::pair<int64_t, std::string>> out;
    for (const json& e : summary["errors"]) {
      out.emplace(e["row"].get<int64_t>(), e["field"].is_null() ? "" : e["field"].get<std::string>());
    }
    return out;
  }
  // A CSV of `n` valid customers: name,email,company,tags.
  static std::string GeneratedCsv(int n, int first = 0) {
    std::string csv = "name,email,company,tags\n";
    for (int i = first; i < first + n; ++i) {
      csv += "Person " + std::to_string(i) + ",person" + std::to_string(i) + "@example.com,Company " +
             std::to_string(i % 7) + ",gen;batch" + std::to_string(i % 3) + "\n";
    }
    return csv;
  }
};

// ------------------------------------------------------------------------------------ import

TEST_F(TransferApiTest, CsvImportCreatesCustomersAndListsBadRowsWithoutStoppingGoodOnes) {
  const std::string csv =
      "\xEF\xBB\xBF" "Full Name,E-Mail,Company Name,Lifecycle Stage,Tags,Lead Source,Notes\r\n"
      "Ada Lovelace,ada@example.com,Analytical Engines,Customer,vip;b2b,expo,\"met at the expo,\r\nliked it\"\r\n"
      "Bad Email,not-an-email,,,,,\r\n"
      "Grace Hopper,grace@example.com,  analytical engines ,prospect,,web,'=1+1\r\n"
      "Duplicate,ADA@example.com,,,,,\r\n"
      ",,,,,,\r\n"
      "Too,many,cells,here,for,this,header,row\r\n"
      "Linus,linus@example.com,,unknown-stage,,,\r\n"
      "Ken Thompson,ken@example.com,,,,,\r\n";
  const json summary = Imported(csv);
  EXPECT_EQ(summary["mode"], "insert");
  EXPECT_EQ(summary["dry_run"], false);
  EXPECT_EQ(summary["inserted"], 3);
  EXPECT_EQ(summary["failed"], 4);
  EXPECT_EQ(summary["updated"], 0);
  EXPECT_EQ(summary["rows"], 7);  // the blank record is skipped, not counted
  EXPECT_EQ(summary["errors_truncated"], false);
  EXPECT_EQ(RowErrors(summary), (std::set<std::pair<int64_t, std::string>>{
                                    {2, "email"}, {4, "email"}, {6, ""}, {7, "status"}}));
  for (const json& e : summary["errors"]) EXPECT_FALSE(e["message"].get<std::string>().empty());

  const json ada = ByEmail("ada@example.com");
  ASSERT_TRUE(ada.is_object());
  EXPECT_EQ(ada["name"], "Ada Lovelace");
  EXPECT_EQ(ada["status"], "customer");
  EXPECT_EQ(ada["tags"], json({"vip", "b2b"}));
  EXPECT_EQ(ada["attributes"], json({{"lead_source", "expo"}}));
  EXPECT_EQ(ada["notes"], "met at the expo,\r\nliked it");
  EXPECT_EQ(ada["company"], "Analytical Engines");
  EXPECT_TRUE(ada["owner_id"].is_null());  // imported by an admin: unowned
  const json grace = ByEmail("grace@example.com");
  EXPECT_EQ(grace["company_id"], ada["company_id"]);  // found by name, case-insensitively
  EXPECT_EQ(grace["notes"], "=1+1");                  // the formula-escape is removed
  EXPECT_EQ(CustomerCount(), 3);

  // The status history records the import like any creation.
  HttpResponse history = client().Get("/api/v1/customers/" + ada["id"].get<std::string>() +
                                      "/status-history");
  ASSERT_EQ(history.status, 200) << history;
  EXPECT_EQ(history.json()["data"].size(), 1u);
}

// More rows than one multi-row statement holds, in more than one batch: every check still
// holds row by row, and what is written is what POST /customers would write.
TEST_F(TransferApiTest, ImportsWrittenManyRowsAStatementKeepEveryRowsChecksAndRecords) {
  HttpResponse existing = client().Post("/api/v1/customers",
                                        {{"name", "Already Here"}, {"email", "person5@example.com"}});
  ASSERT_EQ(existing.status, 201) << existing;
  // 1,300 rows: two batches over HTTP; row 1,101 repeats row 40's email in another spelling.
  std::string csv = GeneratedCsv(1300);
  csv.replace(csv.find("person1100@example.com"), 22, "PERSON40@example.com");
  const json summary = Imported(csv);
  EXPECT_EQ(summary["inserted"], 1298);
  EXPECT_EQ(summary["failed"], 2);
  EXPECT_EQ(RowErrors(summary), (std::set<std::pair<int64_t, std::string>>{
                                    {6, "email"}, {1101, "email"}}));
  EXPECT_EQ(CustomerCount(), 1299);

  const std::vector<json> all = Customers("tag=batch1");
  EXPECT_EQ(all.size(), 433u);  // i % 3 == 1 for 433 of 0..1299, none of them rows 6 or 1101
  const json person = ByEmail("person1299@example.com");
  EXPECT_EQ(person["company"], "Company 4");
  EXPECT_EQ(person["tags"], json({"gen", "batch0"}));
  // Seven companies, each found or created once and shared by its customers.
  HttpResponse companies = client().Get("/api/v1/companies?include_total=true&limit=100");
  ASSERT_EQ(companies.status, 200) << companies;
  EXPECT_EQ(companies.json()["total"], 7);
  EXPECT_EQ(ByEmail("person1292@example.com")["company_id"], person["company_id"]);
  HttpResponse history = client().Get("/api/v1/customers/" + person["id"].get<std::string>() +
                                      "/status-history");
  ASSERT_EQ(history.status, 200) << history;
  ASSERT_EQ(history.json()["data"].size(), 1u);
  EXPECT_EQ(history.json()["data"][0]["to_status"], "lead");
}

TEST_F(TransferApiTest, UpsertMatchesOnEmailCaseInsensitivelyAndKeepsWhatIsNotGiven) {
  const json existing = Created("/api/v1/customers",
                                {{"name", "Ada"}, {"email", "ada@example.com"}, {"phone", "+1 555"},
                                 {"attributes", {{"plan", "gold"}, {"seats", 5}}}, {"tags", {"old"}}});
  const json untouched = Created("/api/v1/customers", {{"name", "Same"}, {"email", "same@example.com"}});
  const std::string csv =
      "email,name,phone,plan,region,tags\n"
      "ADA@Example.com,Ada Lovelace,,platinum,emea,new\n"
      "same@example.com,Same,,,,\n"
      "new@example.com,Newcomer,+44 20,,,\n"
      "broken@example.com,,,,,\n";  // new, without a name: a creation needs one
  const json summary = Imported(csv, kCsv, "mode=upsert");
  EXPECT_EQ(summary["mode"], "upsert");
  EXPECT_EQ(summary["updated"], 1);
  EXPECT_EQ(summary["unchanged"], 1);
  EXPECT_EQ(summary["inserted"], 1);
  EXPECT_EQ(summary["failed"], 1);
  EXPECT_EQ(RowErrors(summary), (std::set<std::pair<int64_t, std::string>>{{4, "name"}}));

  HttpResponse ada = client().Get("/api/v1/customers/" + existing["id"].get<std::string>());
  ASSERT_EQ(ada.status, 200);
  const json a = ada.json();
  EXPECT_EQ(a["name"], "Ada Lovelace");
  EXPECT_EQ(a["email"], "ada@example.com");  // the stored spelling stays
  EXPECT_EQ(a["phone"], "+1 555");           // an empty cell keeps the value
  EXPECT_EQ(a["attributes"], json({{"plan", "platinum"}, {"region", "emea"}, {"seats", 5}}));
  EXPECT_EQ(a["tags"], json({"new"}));
  EXPECT_EQ(ada.headers["ETag"], "\"2\"");
  HttpResponse same = client().Get("/api/v1/customers/" + untouched["id"].get<std::string>());
  EXPECT_EQ(same.headers["ETag"], "\"1\"");  // nothing changed, nothing written

  // JSON rows upsert as PATCH bodies: null clears, absent keeps, attributes are replaced.
  const json json_summary = Imported(
      json::array({{{"email", "ada@example.com"}, {"phone", nullptr}, {"attributes", {{"only", 1}}}}})
          .dump(),
      kJson, "mode=upsert");
  EXPECT_EQ(json_summary["updated"], 1);
  const json after = client().Get("/api/v1/customers/" + existing["id"].get<std::string>()).json();
  EXPECT_TRUE(after["phone"].is_null());
  EXPECT_EQ(after["name"], "Ada Lovelace");
  EXPECT_EQ(after["attributes"], json({{"only", 1}}));
}

TEST_F(TransferApiTest, DryRunChecksEveryRowAndWritesNothing) {
  Created("/api/v1/customers", {{"name", "Taken"}, {"email", "person5@example.com"}});
  // 2,500 rows: three batches, with a duplicate of row 1 in the last one.
  std::string csv = GeneratedCsv(2500);
  csv += "Again,person1@example.com,,\n";
  csv += "Bad,nope,,\n";
  const json dry = Imported(csv, kCsv, "dry_run=true");
  EXPECT_EQ(dry["dry_run"], true);
  EXPECT_EQ(dry["rows"], 2502);
  EXPECT_EQ(dry["inserted"], 2499);
  EXPECT_EQ(dry["failed"], 3);
  EXPECT_EQ(RowErrors(dry), (std::set<std::pair<int64_t, std::string>>{
                                {6, "email"}, {2501, "email"}, {2502, "email"}}));
  EXPECT_EQ(CustomerCount(), 1);
  HttpResponse companies = client().Get("/api/v1/companies?include_total=true");
  EXPECT_EQ(companies.json()["total"], 0);

  // The real import does what the dry run said.
  const json real = Imported(csv);
  EXPECT_EQ(real["inserted"], dry["inserted"]);
  EXPECT_EQ(real["failed"], dry["failed"]);
  EXPECT_EQ(RowErrors(real), RowErrors(dry));
  EXPECT_EQ(CustomerCount(), 2500);

  // An upsert dry run counts what would be updated.
  const json again = Imported(GeneratedCsv(3, 0) + "Twice,twice@example.com,,\nTwice 2,TWICE@example.com,,\n",
                              kCsv, "mode=upsert&dry_run=true");
  EXPECT_EQ(again["unchanged"], 3);
  EXPECT_EQ(again["inserted"], 1);
  EXPECT_EQ(again["updated"], 1);  // the second "twice" would update the first
  EXPECT_EQ(CustomerCount(), 2500);
}

TEST_F(TransferApiTest, JsonArraysAndNdjsonGoThroughTheSameValidationAsPost) {
  const json body = json::array({
      {{"name", "Ada"}, {"email", "ada@example.com"}, {"tags", {"vip"}}, {"company", "Acme"},
       {"attributes", {{"score", 7.5}, {"nested", {{"a", {1, 2}}}}}}},
      {{"name", "Bad"}, {"mystery", 1}},
      {{"name", "Also bad"}, {"id", "0190b8a5-0000-7000-8000-000000000000"}},
      "not an object",
      {{"first_name", "Grace"}, {"last_name", "Hopper"}, {"owner_email", "AGENT@example.com"}},
      {{"name", "Nobody"}, {"owner_email", "nobody@example.com"}},
  });
  const json summary = Imported(body.dump(), kJson);
  EXPECT_EQ(summary["inserted"], 2);
  EXPECT_EQ(summary["failed"], 4);
  EXPECT_EQ(RowErrors(summary), (std::set<std::pair<int64_t, std::string>>{
                                    {2, "mystery"}, {3, "id"}, {4, ""}, {6, "owner_email"}}));
  const json ada = ByEmail("ada@example.com");
  EXPECT_EQ(ada["attributes"]["score"], 7.5);
  EXPECT_EQ(ada["attributes"]["nested"]["a"], json({1, 2}));
  for (const json& c : Customers()) {
    if (c["name"] == "Grace Hopper") {
      EXPECT_EQ(c["owner_id"], agent().id);
    }
  }

  const std::string ndjson =
      "{\"name\": \"Linus\", \"email\": \"linus@example.com\"}\r\n"
      "\n"
      "{\"name\": \"Broken\", \"email\": \n"
      "[1, 2]\n"
      "{\"name\": \"Ken\", \"status\": \"customer\"}";
  const json lines = Imported(ndjson, kNdjson);
  EXPECT_EQ(lines["inserted"], 2);
  EXPECT_EQ(lines["failed"], 2);
  EXPECT_EQ(RowErrors(lines), (std::set<std::pair<int64_t, std::string>>{{2, ""}, {3, ""}}));
  EXPECT_EQ(CustomerCount(), 4);
}

TEST_F(TransferApiTest, UnreadableInputIs400AndChangesNothing) {
  struct Case {
    std::string name;
    std::string body;
    std::string type;
  };
  const std::vector<Case> cases = {
      {"json not an array", R"({"name": "Ada"})", kJson},
      {"json malformed after good elements", R"([{"name": "Ada"}, {"name": "Grace"}, {"name": })", kJson},
      {"json trailing garbage", R"([{"name": "Ada"}] x)", kJson},
      {"json empty", "", kJson},
      {"json not utf-8", "[{\"name\": \"\xff\"}]", kJson},
      {"csv quote never closed", "name,email\nAda,ada@example.com\n\"Grace,grace@example.com\nKen,k@example.com\n", kCsv},
      {"csv duplicate columns", "email,name,E-mail\nx@example.com,X,y@example.com\n", kCsv},
      {"csv read-only column", "id,name\n1,Ada\n", kCsv},
      {"csv empty", "", kCsv},
      {"csv header of blanks", ",,\nAda,,\n", kCsv},
      {"csv utf-16", std::string("\xFF\xFEn\0a\0m\0e\0\n\0", 12), kCsv},
  };
  for (const Case& c : cases) {
    HttpResponse response = Import(c.body, c.type);
    EXPECT_EQ(response.status, 400) << c.name << "\n" << response;
    EXPECT_EQ(response.headers["Content-Type"], "application/problem+json") << c.name;
  }
  EXPECT_EQ(CustomerCount(), 0);
}

TEST_F(TransferApiTest, BadParametersMediaTypesAndSizes) {
  HttpResponse mode = Import("name\nAda\n", kCsv, "mode=merge");
  EXPECT_EQ(mode.status, 400) << mode;
  EXPECT_EQ(ErrorFields(mode), std::set<std::string>{"mode"});
  HttpResponse dry = Import("name\nAda\n", kCsv, "dry_run=maybe");
  EXPECT_EQ(dry.status, 400) << dry;
  EXPECT_EQ(ErrorFields(dry), std::set<std::string>{"dry_run"});
  EXPECT_EQ(Import("name\nAda\n", "text/plain").status, 415);
  EXPECT_EQ(Import("name\nAda\n", "text/csv; charset=iso-8859-1").status, 415);
  EXPECT_EQ(Import("name\nAda\n", "Text/CSV; charset=UTF-8").status, 200);
  EXPECT_EQ(Import("", "text/plain").status, 415);  // even without a body
  EXPECT_EQ(CustomerCount(), 1);

  HttpResponse format = Export("format=xml");
  EXPECT_EQ(format.status, 400) << format;
  EXPECT_EQ(ErrorFields(format), std::set<std::string>{"format"});
  HttpResponse status = Export("status=vip");
  EXPECT_EQ(status.status, 400) << status;
  EXPECT_EQ(ErrorFields(status), std::set<std::string>{"status"});
  HttpResponse sort = Export("sort=password");
  EXPECT_EQ(sort.status, 400) << sort;
  EXPECT_EQ(ErrorFields(sort), std::set<std::string>{"sort"});
  HttpResponse bom = Export("bom=2");
  EXPECT_EQ(bom.status, 400) << bom;
  EXPECT_EQ(ErrorFields(bom), std::set<std::string>{"bom"});
}

class SmallImportLimitTest : public TransferApiTest {
 protected:
  ServerOptions MakeServerOptions() const override {
    ServerOptions options = TransferApiTest::MakeServerOptions();
    options.env["RAPPORT_MAX_IMPORT_BYTES"] = "1M";
    return options;
  }
};

TEST_F(SmallImportLimitTest, BodiesOverTheImportLimitAre413) {
  HttpResponse big = Import(GeneratedCsv(25000));  // about 1.4 MB
  EXPECT_EQ(big.status, 413) << big.status;
  EXPECT_EQ(CustomerCount(), 0);
  EXPECT_EQ(Imported(GeneratedCsv(100))["inserted"], 100);
}

TEST_F(TransferApiTest, OnlyAdminsAndManagersTransfer) {
  As(agent());
  EXPECT_EQ(Import("name\nAda\n").status, 403);
  EXPECT_EQ(Export().status, 403);
  EXPECT_EQ(client().Post("/api/v1/customers/batch", {{"customers", {{{"name", "A"}}}}}).status, 403);
  EXPECT_EQ(Import("name\nAda\n", kCsv, "mode=nonsense").status, 403);  // the role comes first
  client().SetToken("");
  EXPECT_EQ(Import("name\nAda\n").status, 401);
  EXPECT_EQ(Export().status, 401);
  As(manager());
  EXPECT_EQ(Imported("name\nAda\n")["inserted"], 1);
  EXPECT_EQ(Export().status, 200);
  As(admin());
  EXPECT_EQ(CustomerCount(), 1);
}

TEST_F(TransferApiTest, MalformedCsvCorpusNeverBreaksTheServer) {
  std::mt19937 random(7);
  std::vector<std::pair<std::string, std::string>> corpus = {
      {"unterminated quote at the end", "name\n\"Ada"},
      {"quote in the header", "na\"me,email\nAda,a@example.com\n"},
      {"only a header", "name,email\n"},
      {"ragged rows", "name,email\nAda\nGrace,g@example.com,extra\nKen,k@example.com\n"},
      {"bad utf-8 cells", "name,email\n\xC3\x28,a@example.com\nok,\xF0\x28\x8C\xBC\n"},
      {"nul bytes", std::string("name,notes\nA,x\0y\n", 17)},
      {"huge field", "name,notes\nBig,\"" + std::string(3 << 20, 'n') + "\"\nSmall,fine\n"},
      {"huge unquoted field", "name,notes\nBig," + std::string(3 << 20, 'u') + "\nSmall,fine\n"},
      {"thousands of columns", std::string(20000, ',') + "\n"},
      {"only separators", ",,,,\n,,,,\n"},
      {"lone cr and quotes", "name\r\"\"\"\r\"\r\"\n"},
      {"deep json-looking attributes", "name,attributes\nA," + std::string(5000, '{') + "\n"},
  };
  for (int i = 0; i < 5; ++i) {
    std::string noise(2000, '\0');
    for (char& c : noise) c = static_cast<char>(random() % 256);
    corpus.emplace_back("random bytes " + std::to_string(i), "name,email\n" + noise);
  }
  for (const auto& [name, body] : corpus) {
    HttpResponse response = Import(body);
    EXPECT_TRUE(response.status == 200 || response.status == 400) << name << "\n" << response.status;
    if (response.status == 200) {
      const json summary = response.json();
      EXPECT_EQ(summary["rows"].get<int64_t>(),
                summary["inserted"].get<int64_t>() + summary["failed"].get<int64_t>())
          << name;
    }
    EXPECT_EQ(client().Get("/healthz").status, 200) << name;
  }
  // Rows around the bad ones still went in.
  EXPECT_TRUE(ByEmail("k@example.com").is_object());
  bool small = false;
  for (const json& c : Customers()) small = small || c["name"] == "Small";
  EXPECT_TRUE(small);
}

TEST_F(TransferApiTest, TheErrorListIsCappedAndSaysSo) {
  std::string csv = "name,email\n";
  for (int i = 0; i < 1200; ++i) csv += "x,bad" + std::to_string(i) + "\n";
  const json summary = Imported(csv);
  EXPECT_EQ(summary["failed"], 1200);
  EXPECT_EQ(summary["errors"].size(), 1000u);
  EXPECT_EQ(summary["errors_truncated"], true);
  EXPECT_EQ(summary["errors"][999]["row"], 1000);
}

// ------------------------------------------------------------------------------------- batch

TEST_F(TransferApiTest, BatchCreatesAllOrNothing) {
  HttpResponse created = client().Post(
      "/api/v1/customers/batch",
      {{"customers", {{{"name", "Ada"}, {"email", "ada@example.com"}, {"company", "Acme"}},
                      {{"first_name", "Grace"}, {"last_name", "Hopper"}}}}});
  ASSERT_EQ(created.status, 201) << created;
  const json results = created.json()["results"];
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0]["email"], "ada@example.com");
  EXPECT_EQ(results[0]["company"], "Acme");
  EXPECT_EQ(results[1]["name"], "Grace Hopper");
  EXPECT_EQ(CustomerCount(), 2);

  HttpResponse invalid = client().Post(
      "/api/v1/customers/batch",
      {{"customers", {{{"name", "Fine"}}, {{"name", "Bad"}, {"email", "nope"}, {"total_spend", 1}}}}});
  EXPECT_EQ(invalid.status, 422) << invalid;
  EXPECT_EQ(ErrorFields(invalid),
            (std::set<std::string>{"customers[1].email", "customers[1].total_spend"}));

  HttpResponse conflict = client().Post(
      "/api/v1/customers/batch",
      {{"customers", {{{"name", "New"}, {"email", "new@example.com"}, {"company", "Brand New Co"}},
                      {{"name", "Dup"}, {"email", "ADA@example.com"}},
                      {{"name", "Dup 2"}, {"email", "new@example.com"}}}}});
  EXPECT_EQ(conflict.status, 409) << conflict;
  EXPECT_EQ(ErrorFields(conflict),
            (std::set<std::string>{"customers[1].email", "customers[2].email"}));
  EXPECT_EQ(CustomerCount(), 2);  // nothing of either batch
  HttpResponse companies = client().Get("/api/v1/companies?include_total=true");
  EXPECT_EQ(companies.json()["total"], 1);  // not even the new company

  for (const json& bad : {json{{"customers", json::array()}}, json{{"customers", "x"}},
                          json{{"people", json::array({{{"name", "A"}}})}}, json::object(),
                          json{{"customers", {{{"name", "A"}}}}, {"extra", 1}},
                          json{{"customers", {1, 2}}}}) {
    HttpResponse response = client().Post("/api/v1/customers/batch", bad);
    EXPECT_EQ(response.status, 422) << bad.dump() << "\n" << response;
  }
  json too_many = json::array();
  for (int i = 0; i < 1001; ++i) too_many.push_back({{"name", "n" + std::to_string(i)}});
  HttpResponse over = client().Post("/api/v1/customers/batch", {{"customers", too_many}});
  EXPECT_EQ(over.status, 422) << over;
  EXPECT_EQ(ErrorFields(over), std::set<std::string>{"customers"});
  EXPECT_EQ(Raw("POST", "/api/v1/customers/batch", "{\"customers\": [", kJson).status, 400);
  EXPECT_EQ(Raw("POST", "/api/v1/customers/batch", "name\nx\n", kCsv).status, 415);
  EXPECT_EQ(CustomerCount(), 2);

  too_many.erase(too_many.begin());
  HttpResponse thousand = client().Post("/api/v1/customers/batch", {{"customers", too_many}});
  EXPECT_EQ(thousand.status, 201) << thousand.status;
  EXPECT_EQ(CustomerCount(), 1002);
}

TEST_F(TransferApiTest, PartialBatchesReportEachItem) {
  Created("/api/v1/customers", {{"name", "Ada"}, {"email", "ada@example.com"}});
  HttpResponse response = client().Post(
      "/api/v1/customers/batch?partial=true",
      {{"customers", {{{"name", "One"}}, {{"name", "Dup"}, {"email", "ada@example.com"}},
                      {{"email", "nameless@example.com"}}, "nope", {{"name", "Two"}}}}});
  ASSERT_EQ(response.status, 200) << response;
  const json body = response.json();
  EXPECT_EQ(body["created"], 2);
  EXPECT_EQ(body["failed"], 3);
  const json results = body["results"];
  ASSERT_EQ(results.size(), 5u);
  EXPECT_EQ(results[0]["status"], 201);
  EXPECT_EQ(results[0]["customer"]["name"], "One");
  EXPECT_EQ(results[1]["status"], 409);
  EXPECT_EQ(results[1]["errors"][0]["field"], "email");
  EXPECT_EQ(results[2]["status"], 422);
  EXPECT_EQ(results[2]["errors"][0]["field"], "name");
  EXPECT_EQ(results[3]["status"], 422);
  EXPECT_EQ(results[4]["index"], 4);
  EXPECT_EQ(results[4]["customer"]["name"], "Two");
  EXPECT_EQ(CustomerCount(), 3);
}

// An item the database refuses only while it is written (a company id that does not exist)
// sends the batch item by item: the others are still created (partial) or none is.
TEST_F(TransferApiTest, BatchItemsRefusedWhileWritingFailAlone) {
  const std::string missing = "01900000-0000-7000-8000-000000000000";
  const json items = {{{"name", "First"}, {"email", "first@example.com"}, {"company", "Acme"}},
                      {{"name", "Ghost Co"}, {"company_id", missing}},
                      {{"name", "Last"}, {"company", "Acme"}}};
  HttpResponse all = client().Post("/api/v1/customers/batch", {{"customers", items}});
  ASSERT_EQ(all.status, 422) << all;
  ASSERT_EQ(all.json()["errors"].size(), 1u) << all;
  EXPECT_EQ(all.json()["errors"][0]["field"], "customers[1].company_id");
  EXPECT_EQ(CustomerCount(), 0);

  HttpResponse partial = client().Post("/api/v1/customers/batch?partial=true", {{"customers", items}});
  ASSERT_EQ(partial.status, 200) << partial;
  EXPECT_EQ(partial.json()["created"], 2);
  EXPECT_EQ(partial.json()["failed"], 1);
  const json results = partial.json()["results"];
  ASSERT_EQ(results.size(), 3u) << partial;
  EXPECT_EQ(results[0]["status"], 201);
  EXPECT_EQ(results[1]["status"], 422);
  EXPECT_EQ(results[2]["status"], 201);
  EXPECT_EQ(results[0]["customer"]["company_id"], results[2]["customer"]["company_id"]);
  EXPECT_EQ(CustomerCount(), 2);
}

TEST_F(TransferApiTest, BatchRetriesWithAnIdempotencyKeyCreateNothingNew) {
  const json body = {{"customers", {{{"name", "Once"}, {"email", "once@example.com"}}}}};
  HttpResponse first = client().Post("/api/v1/customers/batch", body, {{"Idempotency-Key", "k1"}});
  ASSERT_EQ(first.status, 201) << first;
  HttpResponse again = client().Post("/api/v1/customers/batch", body, {{"Idempotency-Key", "k1"}});
  EXPECT_EQ(again.status, 201) << again;
  EXPECT_EQ(again.body, first.body);
  EXPECT_EQ(again.headers["Idempotent-Replayed"], "true");
  EXPECT_EQ(CustomerCount(), 1);
}

// ------------------------------------------------------------------------------------ export

TEST_F(TransferApiTest, ExportsEveryFormatWithTheListFiltersAndEscapesFormulas) {
  Created("/api/v1/customers", {{"name", "=cmd|' /C calc'!A0"}, {"email", "evil@example.com"},
                                {"status", "lead"}, {"tags", {"vip", "a;b"}}, {"phone", "+1 555"},
                                {"owner_id", manager().id}, {"attributes", {{"z", 1}, {"a", "x"}}}});
  Created("/api/v1/customers", {{"name", "Grace"}, {"status", "customer"}, {"company", "Acme"},
                                {"notes", "line one\nline \"two\""}});
  HttpResponse csv = Export();
  ASSERT_EQ(csv.status, 200) << csv;
  EXPECT_EQ(csv.headers["Content-Type"], "text/csv; charset=utf-8");
  EXPECT_EQ(csv.headers["Content-Disposition"], "attachment; filename=\"customers.csv\"");
  EXPECT_EQ(csv.headers["Transfer-Encoding"], "chunked");
  EXPECT_EQ(csv.body,
            "name,first_name,last_name,email,phone,company,status,owner_email,tags,notes,attributes\r\n"
            "'=cmd|' /C calc'!A0,,,evil@example.com,'+1 555,,lead,manager@example.com,"
            "\"[\"\"vip\"\",\"\"a;b\"\"]\",,\"{\"\"a\"\":\"\"x\"\",\"\"z\"\":1}\"\r\n"
            "Grace,,,,,Acme,customer,,,\"line one\nline \"\"two\"\"\",\r\n");

  HttpResponse ndjson = Export("format=ndjson&status=customer");
  ASSERT_EQ(ndjson.status, 200) << ndjson;
  EXPECT_EQ(ndjson.headers["Content-Type"], "application/x-ndjson");
  EXPECT_EQ(ndjson.body,
            R"({"name":"Grace","first_name":null,"last_name":null,"email":null,"phone":null,"company":"Acme","status":"customer","owner_email":null,"tags":[],"notes":"line one\nline \"two\"","attributes":{}})"
            "\n");

  HttpResponse array = Export("format=json&tag=vip");
  ASSERT_EQ(array.status, 200) << array;
  const json rows = array.json();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["name"], "=cmd|' /C calc'!A0");  // JSON is not escaped
  EXPECT_EQ(rows[0]["tags"], json({"vip", "a;b"}));
  EXPECT_EQ(rows[0]["attributes"], json({{"a", "x"}, {"z", 1}}));

  EXPECT_EQ(json::parse(Export("format=json&q=nobody").body), json::array());
  HttpResponse newest_first = Export("format=json&sort=-created_at");
  EXPECT_EQ(newest_first.json()[0]["name"], "Grace");
  HttpResponse bom = Export("bom=true&status=customer");
  EXPECT_EQ(bom.body.rfind("\xEF\xBB\xBFname,", 0), 0u);
  EXPECT_TRUE(server().WaitForLog([](const json& line) {
    return line.value("route", "") == "/api/v1/export/customers" && line.value("stream", "") == "completed" &&
           line.value("bytes", 0) > 0 && line.value("status", 0) == 200;
  }));
}

TEST_F(TransferApiTest, LargeExportsPageThroughEveryCustomerOnce) {
  ASSERT_EQ(Imported(GeneratedCsv(2600))["inserted"], 2600);
  HttpResponse csv = Export();
  ASSERT_EQ(csv.status, 200);
  std::istringstream lines(csv.body);
  std::string line;
  std::set<std::string> seen;
  int count = 0;
  std::getline(lines, line);  // header
  while (std::getline(lines, line)) {
    ++count;
    seen.insert(line);
    if (count <= 3) {
      EXPECT_EQ(line.rfind("Person " + std::to_string(count - 1) + ",", 0), 0u) << line;
    }
  }
  EXPECT_EQ(count, 2600);
  EXPECT_EQ(seen.size(), 2600u);

  // Sorted exports page by the sort values, also past the first page; companies are named.
  for (const std::string sort : {"name", "-email", "created_at"}) {
    HttpResponse sorted = Export("format=ndjson&sort=" + sort);
    ASSERT_EQ(sorted.status, 200) << sort;
    std::istringstream records(sorted.body);
    std::vector<json> rows;
    while (std::getline(records, line)) rows.push_back(json::parse(line));
    ASSERT_EQ(rows.size(), 2600u) << sort;
    std::set<std::string> emails;
    for (std::size_t i = 0; i < rows.size(); ++i) {
      emails.insert(rows[i]["email"].get<std::string>());
      EXPECT_TRUE(rows[i]["company"].get<std::string>().starts_with("Company ")) << rows[i];
      if (i == 0) continue;
      if (sort == "name") {
        EXPECT_LE(rows[i - 1]["name"].get<std::string>(), rows[i]["name"].get<std::string>());
      } else if (sort == "-email") {
        EXPECT_GT(rows[i - 1]["email"].get<std::string>(), rows[i]["email"].get<std::string>());
      }
    }
    EXPECT_EQ(emails.size(), 2600u) << sort;
  }
}

// A client that reads a little of a big export and hangs up.
TEST_F(TransferApiTest, AClientLeavingMidExportIsNoticedAndTheServerCarriesOn) {
  ASSERT_EQ(Imported(GeneratedCsv(5000))["inserted"], 5000);
  HttpResponse login = client().Post("/api/v1/auth/login",
                                     {{"email", "admin@example.com"}, {"password", kPassword}});
  const std::string token = login.json()["access_token"];
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  // A small receive buffer, so the server cannot push everything into the kernel at once.
  int small = 4096;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(server().port()));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  const std::string request = "GET /api/v1/export/customers?format=ndjson HTTP/1.1\r\nHost: x\r\n"
                              "Authorization: Bearer " + token + "\r\n\r\n";
  ASSERT_EQ(::send(fd, request.data(), request.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(request.size()));
  char buffer[4096];
  pollfd p{fd, POLLIN, 0};
  ASSERT_GT(::poll(&p, 1, 10000), 0);
  ASSERT_GT(::recv(fd, buffer, sizeof buffer, 0), 0);
  ::close(fd);
  EXPECT_TRUE(server().WaitForLog(
      [](const json& line) {
        return line.value("route", "") == "/api/v1/export/customers" &&
               line.value("stream", "") == "client_gone";
      },
      std::chrono::seconds(30)));
  EXPECT_EQ(client().Get("/healthz").status, 200);
  EXPECT_EQ(Export("format=ndjson&q=Person%204999").status, 200);
}

// --------------------------------------------------------------------------------- round trip

// export → import into a fresh database → export: the same bytes, in every format.
TEST_F(TransferApiTest, AnExportReimportsIntoAFreshDatabaseToIdenticalData) {
  const std::vector<json> customers = {
      {{"name", "Ada Lovelace"}, {"first_name", "Ada"}, {"last_name", "Lovelace"},
       {"email", "Ada@Example.com"}, {"phone", "+44 20 7946 0000"}, {"company", "Analytical Engines"},
       {"status", "customer"}, {"tags", {"vip", "b2b"}}, {"owner_id", agent().id},
       {"notes", "Met at the expo.\nWants \"the\" report, by Friday; ok?"},
       {"attributes", {{"plan", "gold"}, {"seats", 12}, {"ratio", 0.75}, {"flags", {true, false, nullptr}},
                       {"nested", {{"deep", {{"deeper", "yes"}}}}}, {"ünïcode", "Zoë ✓"}}}},
      {{"name", "=SUM(A1:A9)"}, {"email", "formula@example.com"}, {"notes", "@mention -minus +plus"},
       {"tags", {"-neg", "a;b", "[x]"}}, {"phone", "'+quoted"}, {"status", "lead"}},
      {{"name", "'=already escaped"}, {"company", "analytical ENGINES"}, {"owner_id", manager().id}},
      {{"first_name", "Only"}, {"status", "churned"}, {"notes", "\ttab first"}},
      {{"name", "  Spaces, commas, \"quotes\"  "}, {"tags", {"x"}}, {"attributes", {{"empty", ""}}}},
      {{"name", "Prospect"}, {"status", "prospect"}, {"email", "p@example.com"}, {"company", "Zeta GmbH"}},
  };
  for (const json& c : customers) Created("/api/v1/customers", c);
  for (int i = 0; i < 1500; ++i) {  // more than one export page
    Created("/api/v1/customers", {{"name", "Bulk " + std::to_string(i)}, {"tags", {"bulk"}}});
  }

  // A second server on a fresh database with the same staff (by email).
  ServerOptions options;
  options.env["RAPPORT_RATE_LIMIT"] = "0";
  Server fresh(options);
  Client other(fresh);
  ASSERT_EQ(other.Post("/api/v1/auth/bootstrap", {{"email", "admin@example.com"},
                                                   {"password", kPassword}, {"name", "Ada Admin"}})
                .status,
            201);
  other.SetToken(other.Post("/api/v1/auth/login", {{"email", "admin@example.com"},
                                                    {"password", kPassword}})
                     .json()["access_token"]);
  for (const auto& [email, role] : {std::pair{"manager@example.com", "manager"},
                                    std::pair{"agent@example.com", "agent"}}) {
    ASSERT_EQ(other.Post("/api/v1/users", {{"email", email}, {"password", kPassword},
                                           {"name", role}, {"role", role}})
                  .status,
              201);
  }

  for (const auto& [format, type] : {std::pair{"csv", kCsv}, std::pair{"json", kJson},
                                     std::pair{"ndjson", kNdjson}}) {
    SCOPED_TRACE(format);
    HttpResponse first = Export(std::string("format=") + format);
    ASSERT_EQ(first.status, 200);
    // Empty the fresh database between formats, through the API.
    for (int guard = 0; guard < 20; ++guard) {
      const json page = other.Get("/api/v1/customers?limit=500").json();
      if (page["data"].empty()) break;
      for (const json& c : page["data"]) {
        ASSERT_EQ(other.Delete("/api/v1/customers/" + c["id"].get<std::string>()).status, 204);
      }
    }
    HttpResponse imported = other.Request("POST", "/api/v1/import/customers",
                                          RequestBody{first.body, type});
    ASSERT_EQ(imported.status, 200) << imported;
    EXPECT_EQ(imported.json()["inserted"], customers.size() + 1500) << imported.body;
    EXPECT_EQ(imported.json()["failed"], 0) << imported.body;
    HttpResponse second = other.Get(std::string("/api/v1/export/customers?format=") + format);
    ASSERT_EQ(second.status, 200);
    EXPECT_EQ(second.body.size(), first.body.size());
    EXPECT_TRUE(second.body == first.body) << "the exports differ";
  }
}

// ---------------------------------------------------------------------------------------- CLI

TEST_F(TransferApiTest, TheCommandLineImportsFromAFileAndExportsTheSameBytes) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("rapport-transfer-" + std::to_string(::getpid()) + "-" +
                    std::to_string(std::random_device{}()));
  std::filesystem::create_directories(dir);
  const auto file = dir / "customers.csv";
  {
    std::ofstream out(file);
    out << GeneratedCsv(1200) << "Bad,not-an-email,,\n";
  }
  const Environment env = {{"RAPPORT_JWT_SECRET", std::string(40, 's')}};
  CliResult imported = RunCli({"import", "customers", file.string(), "--db", server().db_url()}, env);
  EXPECT_EQ(imported.exit_code, 1) << imported.stderr_text;  // one row failed
  const json summary = json::parse(imported.stdout_text);
  EXPECT_EQ(summary["inserted"], 1200);
  EXPECT_EQ(summary["failed"], 1);
  EXPECT_EQ(summary["errors"][0]["row"], 1201);
  EXPECT_NE(imported.stderr_text.find("import customers"), std::string::npos);  // progress
  EXPECT_EQ(CustomerCount(), 1200);

  CliResult again = RunCli({"import", "customers", file.string(), "--mode", "upsert", "--dry-run",
                            "--db", server().db_url()},
                           env);
  EXPECT_EQ(json::parse(again.stdout_text)["unchanged"], 1200) << again.stderr_text;

  for (const std::string format : {"csv", "json", "ndjson"}) {
    CliResult exported = RunCli({"export", "customers", "--format", format, "--where",
                                 "tag=batch1", "--db", server().db_url()},
                                env);
    ASSERT_EQ(exported.exit_code, 0) << exported.stderr_text;
    HttpResponse http = Export("format=" + format + "&tag=batch1");
    EXPECT_TRUE(exported.stdout_text == http.body) << format;
    EXPECT_GT(exported.stdout_text.size(), 1000u);
  }

  CliResult bad = RunCli({"export", "customers", "--where", "status=vip", "--db", server().db_url()}, env);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.stderr_text.find("status"), std::string::npos) << bad.stderr_text;
  {
    std::ofstream out(dir / "broken.json");
    out << "[{\"name\": \"x\"},";
  }
  CliResult broken = RunCli({"import", "customers", (dir / "broken.json").string(), "--db",
                             server().db_url()},
                            env);
  EXPECT_EQ(broken.exit_code, 2);
  EXPECT_EQ(CustomerCount(), 1200);
  CliResult missing = RunCli({"import", "customers", (dir / "nope.csv").string(), "--db",
                              server().db_url()},
                             env);
  EXPECT_NE(missing.exit_code, 0);
  std::filesystem::remove_all(dir);
}

// ------------------------------------------------------------- interactions, tickets, orders

TEST_F(TransferApiTest, ExportsInteractionsTicketsAndOrdersWithTheirListFilters) {
  const json ada = Created("/api/v1/customers", {{"name", "Ada"}, {"email", "ada@example.com"}});
  const json bob = Created("/api/v1/customers", {{"name", "Bob"}});
  const json call = Created("/api/v1/interactions",
                            {{"customer_id", ada["id"]}, {"type", "call"}, {"title", "=HYPERLINK()"},
                             {"scheduled_at", "2030-05-04T10:30:00Z"}, {"duration_minutes", 45}});
  Created("/api/v1/interactions",
          {{"customer_id", bob["id"]}, {"type", "note"}, {"title", "Met at the fair"}});
  const json ticket = Created("/api/v1/tickets", {{"customer_id", ada["id"]}, {"title", "Broken"},
                                                  {"priority", "high"}});
  Created("/api/v1/tickets", {{"customer_id", bob["id"]}, {"title", "Question"}});
  const json order = Created("/api/v1/orders", {{"customer_id", ada["id"]}, {"amount", 120.5},
                                                {"ordered_at", "2026-11-02T09:00:00Z"}});
  Created("/api/v1/orders", {{"customer_id", bob["id"]}, {"amount", 3}, {"currency", "EUR"},
                             {"ordered_at", "2026-11-03T09:00:00Z"}});

  HttpResponse interactions = client().Get("/api/v1/export/interactions");
  ASSERT_EQ(interactions.status, 200) << interactions;
  EXPECT_EQ(interactions.headers["Content-Disposition"],
            "attachment; filename=\"interactions.csv\"");
  std::istringstream lines(interactions.body);
  std::string line;
  std::getline(lines, line);
  EXPECT_EQ(line,
            "id,customer_id,user_id,type,title,details,status,scheduled_at,duration_minutes,"
            "remind_before_minutes,completed_at,created_at,updated_at\r");
  std::getline(lines, line);  // oldest first: the call
  EXPECT_EQ(line.rfind(call["id"].get<std::string>() + "," + ada["id"].get<std::string>() + "," +
                           admin().id + ",call,'=HYPERLINK(),,planned,2030-05-04T10:30:00Z,45,",
                       0),
            0u)
      << line;

  // The list's filters apply, and the JSON has every field of the API representation.
  HttpResponse calls = client().Get("/api/v1/export/interactions?format=json&type=call");
  ASSERT_EQ(calls.status, 200) << calls;
  const json call_rows = calls.json();
  ASSERT_EQ(call_rows.size(), 1u);
  const json api_call = client().Get("/api/v1/interactions/" + call["id"].get<std::string>()).json();
  for (const auto& [key, value] : api_call.items()) {
    EXPECT_EQ(call_rows[0][key], value) << key;
  }

  HttpResponse tickets = client().Get("/api/v1/export/tickets?format=ndjson&priority=high");
  ASSERT_EQ(tickets.status, 200) << tickets;
  const json ticket_row = json::parse(tickets.body);
  EXPECT_EQ(ticket_row["id"], ticket["id"]);
  EXPECT_EQ(ticket_row["status"], "open");
  EXPECT_EQ(ticket_row["created_by_kind"], "user");
  EXPECT_EQ(ticket_row["created_by_id"], admin().id);
  EXPECT_TRUE(ticket_row["resolved_at"].is_null());
  EXPECT_EQ(std::count(tickets.body.begin(), tickets.body.end(), '\n'), 1);
  EXPECT_EQ(client().Get("/api/v1/export/tickets?format=json").json().size(), 2u);

  HttpResponse orders = client().Get("/api/v1/export/orders?format=json&currency=USD");
  ASSERT_EQ(orders.status, 200) << orders;
  ASSERT_EQ(orders.json().size(), 1u);
  EXPECT_EQ(orders.json()[0]["id"], order["id"]);
  EXPECT_EQ(orders.json()[0]["amount"], 120.5);
  HttpResponse order_csv = client().Get("/api/v1/export/orders?sort=-ordered_at");
  ASSERT_EQ(order_csv.status, 200) << order_csv;
  EXPECT_NE(order_csv.body.find(",3,EUR,paid,2026-11-03T09:00:00Z,"), std::string::npos)
      << order_csv.body;
  EXPECT_LT(order_csv.body.find(",3,EUR,"), order_csv.body.find(",120.5,USD,"));

  // Bad filters are 400s naming the parameter, as on the lists.
  for (const auto& [path, parameter] :
       std::vector<std::pair<std::string, std::string>>{
           {"/api/v1/export/interactions?type=party", "type"},
           {"/api/v1/export/interactions?sort=title", "sort"},
           {"/api/v1/export/tickets?status=sleeping", "status"},
           {"/api/v1/export/orders?from=yesterday", "from"},
           {"/api/v1/export/orders?format=xml", "format"}}) {
    HttpResponse bad = client().Get(path);
    EXPECT_EQ(bad.status, 400) << path << bad;
    EXPECT_NE(bad.body.find(parameter), std::string::npos) << path << bad;
  }

  As(agent());
  for (const char* path : {"/api/v1/export/interactions", "/api/v1/export/tickets",
                           "/api/v1/export/orders"}) {
    EXPECT_EQ(client().Get(path).status, 403) << path;
  }
  As(manager());
  EXPECT_EQ(client().Get("/api/v1/export/orders?format=json").json().size(), 2u);
}

TEST_F(TransferApiTest, CustomerExportsTakeTheRuleFilter) {
  Created("/api/v1/customers", {{"name", "Ada"}, {"email", "ada@big.example"}, {"tags", {"vip"}}});
  Created("/api/v1/customers", {{"name", "Bob"}, {"email", "bob@small.example"}});
  Created("/api/v1/customers", {{"name", "Cy"}, {"email", "cy@big.example"}});
  const json rule = {{"logic", "and"},
                     {"rules", {{{"field", "email_domain"}, {"op", "="}, {"value", "big.example"}}}}};
  HttpResponse big = Export("format=json&filter=" + UrlEncode(rule.dump()));
  ASSERT_EQ(big.status, 200) << big;
  std::vector<std::string> names;
  for (const json& row : big.json()) names.push_back(row["name"]);
  EXPECT_EQ(names, (std::vector<std::string>{"Ada", "Cy"}));
  // The rule filter is ANDed with the plain filters.
  HttpResponse vip = Export("format=json&tag=vip&filter=" + UrlEncode(rule.dump()));
  ASSERT_EQ(vip.json().size(), 1u);
  EXPECT_EQ(vip.json()[0]["name"], "Ada");

  HttpResponse bad = Export("filter=" + UrlEncode(R"({"logic":"and","rules":[{"field":"nope","op":"=","value":1}]})"));
  EXPECT_EQ(bad.status, 400) << bad;
  EXPECT_NE(bad.body.find("filter"), std::string::npos) << bad;
  EXPECT_EQ(Export("filter=%7Bnot%20json").status, 400);
}

}  // namespace
}  // namespace rapport::testing
