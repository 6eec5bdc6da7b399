#include "customers/customer_service.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "companies/company_service.hpp"
#include "core/page.hpp"
#include "db/test_database.hpp"

namespace rapport::customers {
namespace {

// The stored documents of migration 0011: GET /customers and GET /customers/{id} send them as
// they are, so each must be exactly what the row says, after every kind of write.
class CustomerDocumentsTest : public ::testing::TestWithParam<db::Engine> {
 protected:
  void SetUp() override {
    RAPPORT_SKIP_UNLESS_ENGINE(GetParam());
    database_ = db::test::OpenMigrated(GetParam(), {.pool_size = 2});
    companies_ = std::make_unique<companies::CompanyService>(*database_);
    customers_ = std::make_unique<CustomerService>(*database_, *companies_);
    admin_.kind = core::Principal::Kind::kUser;
    admin_.role = core::Role::kAdmin;
  }

  std::string Create(const nlohmann::json& body) {
    auto input = ParseNewCustomer(body);
    EXPECT_TRUE(input.ok());
    auto customer = customers_->Create(admin_, *input);
    EXPECT_TRUE(customer.ok()) << (customer.ok() ? "" : customer.error().detail);
    return customer.ok() ? customer->id : std::string();
  }

  void Update(const std::string& id, const nlohmann::json& body) {
    auto changes = ParseCustomerChanges(body);
    ASSERT_TRUE(changes.ok());
    auto updated = customers_->Update(admin_, id, *changes, std::nullopt);
    ASSERT_TRUE(updated.ok()) << updated.error().detail;
  }

  void Exec(const std::string& sql) {
    database_->Apply([&](db::Session& tx) { tx.Exec(db::Query(sql)); });
  }

  // Each customer's stored document, "" for none.
  std::map<std::string, std::string> Documents() {
    std::map<std::string, std::string> docs;
    database_->Read([&](db::Session& session) {
      session.ForEach(db::Query("SELECT id, doc FROM customers"), [&](const db::Row& row) {
        docs[row.TextAt(0)] = row.OptTextAt(1).value_or("");
      });
      return 0;
    });
    return docs;
  }

  // The JSON of the customer as its row and its company's row say now.
  std::string FromRows(const std::string& id) {
    auto customer = customers_->Get(admin_, id);
    EXPECT_TRUE(customer.ok());
    std::string json;
    if (customer.ok()) customer->AppendJson(json);
    return json;
  }

  // Every stored document equals what its rows say; returns how many there are.
  int ExpectDocumentsCurrent() {
    int stored = 0;
    for (const auto& [id, doc] : Documents()) {
      if (doc.empty()) continue;
      ++stored;
      EXPECT_EQ(nlohmann::json::parse(doc), nlohmann::json::parse(FromRows(id))) << "customer " << id;
    }
    return stored;
  }

  // What GET /customers and GET /customers/{id} send for every customer, by id.
  std::map<std::string, std::string> Responses() {
    core::PageRequest page;
    page.limit = 100;
    page.sort = {{"created_at", true}, {"id", true}};
    auto list = customers_->ListJson(admin_, {}, page);
    EXPECT_TRUE(list.ok());
    std::map<std::string, std::string> responses;
    const nlohmann::json body = nlohmann::json::parse(*list);
    for (const auto& customer : body["data"]) {
      const std::string id = customer["id"];
      responses[id] = customer.dump();
      auto one = customers_->GetJson(admin_, id);
      EXPECT_TRUE(one.ok());
      if (one.ok()) {
        EXPECT_EQ(nlohmann::json::parse(one->text), customer) << "customer " << id;
      }
    }
    return responses;
  }

  std::unique_ptr<db::Database> database_;
  std::unique_ptr<companies::CompanyService> companies_;
  std::unique_ptr<CustomerService> customers_;
  core::Principal admin_;
};

TEST_P(CustomerDocumentsTest, EveryKindOfWriteLeavesOnlyCurrentDocuments) {
  const std::string acme = Create({{"name", "Ann"}, {"company", "Acme"}, {"tags", {"vip"}}});
  const std::string globex = Create({{"name", "Bob"}, {"company", "Globex"}});
  const std::string alone = Create({{"name", "Cy"}, {"attributes", {{"tier", 2}}}});
  EXPECT_EQ(ExpectDocumentsCurrent(), 3) << "a created customer has its document";

  Update(acme, {{"status", "prospect"}, {"tags", {"vip", "new"}}});
  Update(alone, {{"company", "Globex"}});
  EXPECT_EQ(ExpectDocumentsCurrent(), 3) << "an update writes the new document";

  // The derived values are written with the document of the row the transaction locked.
  database_->Apply([&](db::Session& tx) {
    customers_->SetLastInteractionAt(tx, *customers_->GetForUpdate(tx, admin_, acme),
                                     "2026-11-30T10:00:00Z");
    customers_->SetPurchaseStats(tx, *customers_->GetForUpdate(tx, admin_, globex),
                                 {.total_spend = 1250, .num_visits = 2,
                                  .last_visit_at = "2026-11-29T09:00:00Z"});
  });
  EXPECT_EQ(ExpectDocumentsCurrent(), 3);
  EXPECT_EQ(nlohmann::json::parse(Documents()[acme])["last_interaction_at"],
            "2026-11-30T10:00:00Z");
  // Given a customer that is not the row as it is, they write the value and clear the
  // document rather than store one built from old values.
  Customer stale = *customers_->Get(admin_, alone);
  Update(alone, {{"notes", "changed since"}});
  database_->Apply([&](db::Session& tx) {
    customers_->SetLastInteractionAt(tx, stale, "2026-11-28T08:00:00Z");
    customers_->SetPurchaseStats(tx, stale,
                                 {.total_spend = 300, .num_visits = 1, .last_visit_at = {}});
  });
  EXPECT_EQ(Documents()[alone], "");
  const auto rebuilt = nlohmann::json::parse(customers_->GetJson(admin_, alone)->text);
  EXPECT_EQ(rebuilt["notes"], "changed since");
  EXPECT_EQ(rebuilt["last_interaction_at"], "2026-11-28T08:00:00Z");
  EXPECT_EQ(rebuilt["total_spend"], 3);
  EXPECT_EQ(customers_->WriteMissingDocuments(), 1);
  EXPECT_EQ(ExpectDocumentsCurrent(), 3);

  // A renamed company clears its customers' documents; a deleted one too (company_id is set
  // to NULL by the foreign key).
  auto company_id = [&](const std::string& id) { return *customers_->Get(admin_, id)->company_id; };
  const std::string acme_company = company_id(acme);
  companies::CompanyInput rename;
  rename.name.present = true;
  rename.name.value = "Globex Corporation";
  ASSERT_TRUE(companies_->Update(admin_, company_id(alone), rename, std::nullopt).ok());
  EXPECT_EQ(Documents()[alone], "");
  EXPECT_EQ(Documents()[globex], "");
  EXPECT_EQ(ExpectDocumentsCurrent(), 1);
  ASSERT_TRUE(companies_->Delete(admin_, acme_company, std::nullopt).ok());
  EXPECT_EQ(ExpectDocumentsCurrent(), 0);

  const auto before = Responses();
  EXPECT_EQ(customers_->WriteMissingDocuments(), 3);
  EXPECT_EQ(ExpectDocumentsCurrent(), 3);
  EXPECT_EQ(Responses(), before) << "the stored documents read as the rows did";
  EXPECT_EQ(nlohmann::json::parse(before.at(alone))["company"], "Globex Corporation");
  EXPECT_TRUE(nlohmann::json::parse(before.at(acme))["company"].is_null());
  EXPECT_EQ(nlohmann::json::parse(before.at(globex))["total_spend"], 12.5);
  EXPECT_EQ(customers_->WriteMissingDocuments(), 0);
}

TEST_P(CustomerDocumentsTest, AnyOtherUpdateOfTheRowClearsItsDocument) {
  const std::string id = Create({{"name", "Dee"}});
  Exec("UPDATE customers SET notes = 'written by hand' WHERE id = '" + id + "'");
  EXPECT_EQ(Documents()[id], "");
  EXPECT_EQ(nlohmann::json::parse(customers_->GetJson(admin_, id)->text)["notes"],
            "written by hand");
}

TEST_P(CustomerDocumentsTest, ADocumentNamingAnotherCompanyIsNotKept) {
  const std::string id = Create({{"name", "Eve"}, {"company", "Initech"}});
  std::string doc = Documents()[id];
  ASSERT_NE(doc.find("\"company\":\"Initech\""), std::string::npos);
  const std::string stale = nlohmann::json::parse(doc).dump();  // another text, same content
  auto wrong = nlohmann::json::parse(doc);
  wrong["company"] = "Initrode";
  database_->Apply([&](db::Session& tx) {
    tx.Exec(db::Query("UPDATE customers SET doc = ").Param(wrong.dump()).Sql(" WHERE id = ")
                .Param(id));
  });
  EXPECT_EQ(Documents()[id], "") << "an update whose document names another company";
  database_->Apply([&](db::Session& tx) {
    tx.Exec(db::Query("UPDATE customers SET doc = ").Param(stale).Sql(" WHERE id = ").Param(id));
  });
  EXPECT_EQ(Documents()[id], stale) << "a document naming the right company is kept";

  // An insert: the name a cache remembered for the company, not the one it has now.
  const std::string company = *customers_->Get(admin_, id)->company_id;
  wrong["id"] = "01890a5d-ac96-774b-bcce-b302099a8058";
  database_->Apply([&](db::Session& tx) {
    tx.Exec(db::Query("INSERT INTO customers (id, name, company_id, status, tags, attributes, "
                      "version, created_at, updated_at, doc) VALUES (")
                .Param(wrong["id"].get<std::string>()).Sql(", 'Fay', ").Param(company)
                .Sql(", 'lead', '[]', '{}', 1, '2026-12-01T00:00:00Z', '2026-12-01T00:00:00Z', ")
                .Param(wrong.dump()).Sql(")"));
  });
  EXPECT_EQ(Documents()[wrong["id"]], "");
  EXPECT_EQ(customers_->WriteMissingDocuments(), 1);
  EXPECT_EQ(ExpectDocumentsCurrent(), 2);
}

TEST_P(CustomerDocumentsTest, ListsMixStoredAndBuiltDocumentsInOrder) {
  std::vector<std::string> ids;
  for (int i = 0; i < 7; ++i) {
    ids.push_back(Create({{"name", "Gus " + std::to_string(i)}, {"company", "Hooli"}}));
  }
  const auto stored = Responses();
  core::PageRequest page;
  page.limit = 3;
  page.sort = {{"created_at", true}, {"id", true}};
  auto first = customers_->ListJson(admin_, {}, page);
  ASSERT_TRUE(first.ok());
  // Every other customer without its document.
  for (std::size_t i = 0; i < ids.size(); i += 2) {
    Exec("UPDATE customers SET doc = NULL WHERE id = '" + ids[i] + "'");
  }
  EXPECT_EQ(Responses(), stored);
  auto again = customers_->ListJson(admin_, {}, page);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(nlohmann::json::parse(*again), nlohmann::json::parse(*first))
      << "the same page and the same cursor";
}

INSTANTIATE_TEST_SUITE_P(Engines, CustomerDocumentsTest, db::test::kEngines, db::test::EngineName);

}  // namespace
}  // namespace rapport::customers
