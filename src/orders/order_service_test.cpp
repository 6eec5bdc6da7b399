#include "orders/order_service.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "companies/company_service.hpp"
#include "db/test_database.hpp"
#include "orders/currency.hpp"
#include "orders/order_timeline.hpp"

namespace rapport::orders {
namespace {

using nlohmann::json;

class OrderServiceTest : public ::testing::TestWithParam<db::Engine> {
 protected:
  void SetUp() override {
    RAPPORT_SKIP_UNLESS_ENGINE(GetParam());
    database_ = db::test::OpenMigrated(GetParam(), {.pool_size = 2});
    companies_ = std::make_unique<companies::CompanyService>(*database_);
    customers_ = std::make_unique<customers::CustomerService>(*database_, *companies_);
    orders_ = std::make_unique<OrderService>(*database_, *customers_, "USD");
    admin_.kind = core::Principal::Kind::kUser;
    admin_.role = core::Role::kAdmin;
    admin_.id = "01890a5d-ac96-774b-bcce-b302099a8057";
  }

  std::string NewCustomer() {
    auto input = customers::ParseNewCustomer({{"name", "Timeline"}});
    auto customer = customers_->Create(admin_, *input);
    EXPECT_TRUE(customer.ok());
    return customer.ok() ? customer->id : std::string();
  }
  Order NewOrder(const std::string& customer_id, const std::string& ordered_at) {
    auto input = ParseNewOrder({{"customer_id", customer_id}, {"amount", 5}, {"ordered_at", ordered_at}});
    EXPECT_TRUE(input.ok());
    auto order = orders_->Create(admin_, *input);
    EXPECT_TRUE(order.ok()) << (order.ok() ? "" : order.error().detail);
    return order.ok() ? *order : Order{};
  }

  std::unique_ptr<db::Database> database_;
  std::unique_ptr<companies::CompanyService> companies_;
  std::unique_ptr<customers::CustomerService> customers_;
  std::unique_ptr<OrderService> orders_;
  core::Principal admin_;
};

TEST_P(OrderServiceTest, TheTimelineSourceSelectsTheCustomersOrdersAtOrderedAt) {
  const std::string customer = NewCustomer();
  const Order a = NewOrder(customer, "2026-01-01T00:00:00Z");
  const Order b = NewOrder(customer, "2026-03-01T00:00:00Z");
  NewOrder(NewCustomer(), "2026-02-01T00:00:00Z");  // someone else's

  const OrderTimelineSource source(GetParam());
  std::map<std::string, std::string> selected;  // id -> occurred_at
  database_->Read([&](db::Session& s) {
    db::Query query;
    source.AppendSelect(query, customer);
    s.ForEach(query, [&](const db::Row& row) {
      selected[row.Text("id")] = row.Text("occurred_at");
    });
    return 0;
  });
  EXPECT_EQ(selected, (std::map<std::string, std::string>{{a.id, a.ordered_at},
                                                          {b.id, b.ordered_at}}));
  auto items = database_->Read([&](db::Session& s) { return source.Load(s, {a.id, b.id}); });
  ASSERT_EQ(items.size(), 2u);
  for (const auto& item : items) {
    if (item.id != a.id) continue;
    EXPECT_EQ(item.summary, "Order of 5 USD (paid)");
    EXPECT_EQ(item.data["amount"], 5);
  }
}

INSTANTIATE_TEST_SUITE_P(Engines, OrderServiceTest,
                         ::testing::Values(db::Engine::kSqlite, db::Engine::kPostgres),
                         [](const auto& info) {
                           return info.param == db::Engine::kSqlite ? "Sqlite" : "Postgres";
                         });

TEST(CurrencyTest, KnowsIsoCodesAndTheirDecimals) {
  EXPECT_EQ(CurrencyDecimals("USD"), 2);
  EXPECT_EQ(CurrencyDecimals("EUR"), 2);
  EXPECT_EQ(CurrencyDecimals("JPY"), 0);
  EXPECT_EQ(CurrencyDecimals("KWD"), 3);
  for (const char* code : {"usd", "XXX", "XTS", "XAU", "BOV", "US", "USDD", "", "ABC"}) {
    EXPECT_FALSE(IsIsoCurrency(code)) << code;
  }
}

TEST(ParseOrderTest, NamesEveryBadField) {
  auto bad = ParseNewOrder({{"customer_id", "x"}, {"amount", 0}, {"currency", "dollars"},
                            {"status", "shipped"}, {"ordered_at", "soon"}, {"tip", 1}});
  ASSERT_FALSE(bad.ok());
  std::set<std::string> fields;
  for (const auto& e : bad.error().errors) fields.insert(e.field);
  EXPECT_EQ(fields, (std::set<std::string>{"customer_id", "amount", "currency", "status",
                                           "ordered_at", "tip"}));
  auto good = ParseNewOrder({{"customer_id", "01890A5D-AC96-774B-BCCE-B302099A8057"},
                             {"amount", 19.99}, {"currency", "eur"},
                             {"ordered_at", "2026-01-01T01:00:00+01:00"}});
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good->customer_id.value, "01890a5d-ac96-774b-bcce-b302099a8057");
  EXPECT_EQ(*good->amount.value, 1999);
  EXPECT_EQ(*good->currency.value, "EUR");
  EXPECT_EQ(*good->ordered_at.value, "2026-01-01T00:00:00Z");
}

TEST(ApplyOrderChangesTest, FinalStatusesRefuseChangesButNotRepeats) {
  Order order;
  order.amount = 500;
  order.currency = "USD";
  order.ordered_at = "2026-01-01T00:00:00Z";
  auto refund = ParseOrderChanges({{"status", "refunded"}});
  ASSERT_TRUE(refund.ok());
  auto changed = ApplyOrderChanges(*refund, order);
  ASSERT_TRUE(changed.ok());
  EXPECT_TRUE(*changed);
  EXPECT_EQ(order.status, "refunded");
  auto again = ApplyOrderChanges(*refund, order);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);
  for (const json& body : {json{{"status", "paid"}}, json{{"status", "cancelled"}},
                           json{{"amount", 6}}}) {
    auto change = ParseOrderChanges(body);
    ASSERT_TRUE(change.ok());
    auto refused = ApplyOrderChanges(*change, order);
    ASSERT_FALSE(refused.ok()) << body.dump();
    EXPECT_EQ(refused.error().code, core::Code::kConflict);
  }
}

}  // namespace
}  // namespace rapport::orders
