#include <gtest/gtest.h>

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

class OrdersApiTest : public StaffApiTest {
 protected:
  static std::string IdOf(const json& resource) { return resource["id"].get<std::string>(); }
  static std::string OrderPath(const json& order) { return "/api/v1/orders/" + IdOf(order); }
  static std::string CustomerPath(const json& customer) {
    return "/api/v1/customers/" + IdOf(customer);
  }

  json CreateCustomer(const json& body) { return Created("/api/v1/customers", body); }
  json CreateOrder(const json& customer, json body) {
    body["customer_id"] = customer["id"];
    return Created("/api/v1/orders", body);
  }
  json Reload(const json& resource, const std::string& base) {
    HttpResponse response = client().Get(base + IdOf(resource));
    EXPECT_EQ(response.status, 200) << response;
    return response.status == 200 ? response.json() : json::object();
  }
  json Customer(const json& customer) { return Reload(customer, "/api/v1/customers/"); }

  // Every order of every page of `path` (which has a query string), following next_cursor.
  std::vector<json> All(const std::string& path) {
    std::vector<json> rows;
    std::string cursor;
    for (int guard = 0; guard < 100; ++guard) {
      HttpResponse page = client().Get(path + (cursor.empty() ? "" : "&cursor=" + UrlEncode(cursor)));
      EXPECT_EQ(page.status, 200) << path << "\n" << page;
      if (page.status != 200) break;
      const json body = page.json();
      for (const json& row : body["data"]) rows.push_back(row);
      if (body["next_cursor"].is_null()) break;
      cursor = body["next_cursor"];
    }
    return rows;
  }
  std::vector<std::string> Ids(const std::string& path) {
    std::vector<std::string> ids;
    for (const json& row : All(path)) ids.push_back(IdOf(row));
    return ids;
  }
};

TEST_F(OrdersApiTest, CreateReturnsTheOrderAndUpdatesTheCustomer) {
  const json ada = CreateCustomer({{"name", "Ada"}});
  HttpResponse created = client().Post(
      "/api/v1/orders", {{"customer_id", ada["id"]}, {"amount", 120.5},
                         {"ordered_at", "2026-03-01T10:00:00+01:00"}});
  ASSERT_EQ(created.status, 201) << created;
  const json order = created.json();
  EXPECT_EQ(created.headers["Location"], OrderPath(order));
  EXPECT_EQ(created.headers["ETag"], "\"1\"");
  EXPECT_EQ(order["customer_id"], ada["id"]);
  EXPECT_EQ(order["amount"].dump(), "120.5");
  EXPECT_EQ(order["currency"], "USD");  // the server's default
  EXPECT_EQ(order["status"], "paid");
  EXPECT_EQ(order["ordered_at"], "2026-03-01T09:00:00Z");
  EXPECT_EQ(order["created_at"], order["updated_at"]);
  EXPECT_EQ(IdOf(order).size(), 36u);
  EXPECT_EQ(Reload(order, "/api/v1/orders/"), order);

  json customer = Customer(ada);
  EXPECT_EQ(customer["total_spend"].dump(), "120.5");
  EXPECT_EQ(customer["num_visits"], 1);
  EXPECT_EQ(customer["last_visit_at"], "2026-03-01T09:00:00Z");

  // An older order adds to the totals but does not move the last visit back.
  const json older = CreateOrder(ada, {{"amount", 19.99}, {"ordered_at", "2026-01-15"}});
  customer = Customer(ada);
  EXPECT_EQ(customer["total_spend"].dump(), "140.49");
  EXPECT_EQ(customer["num_visits"], 2);
  EXPECT_EQ(customer["last_visit_at"], "2026-03-01T09:00:00Z");

  // Without ordered_at the order is placed now.
  const json now = CreateOrder(ada, {{"amount", 3}});
  EXPECT_EQ(now["ordered_at"], now["created_at"]);
  EXPECT_EQ(now["amount"].dump(), "3");
  customer = Customer(ada);
  EXPECT_EQ(customer["total_spend"].dump(), "143.49");
  EXPECT_EQ(customer["last_visit_at"], now["ordered_at"]);
}

TEST_F(OrdersApiTest, RefundAndCancelReverseTheTotalsAndAreFinal) {
  const json c = CreateCustomer({{"name", "Refunds"}});
  const json first = CreateOrder(c, {{"amount", 50}, {"ordered_at", "2026-01-01T00:00:00Z"}});
  const json second = CreateOrder(c, {{"amount", 25.5}, {"ordered_at", "2026-02-01T00:00:00Z"}});
  const json third = CreateOrder(c, {{"amount", 10}, {"ordered_at", "2026-03-01T00:00:00Z"}});
  ASSERT_EQ(Customer(c)["total_spend"].dump(), "85.5");

  HttpResponse refunded = client().Patch(OrderPath(third), {{"status", "refunded"}},
                                         {{"If-Match", "\"1\""}});
  ASSERT_EQ(refunded.status, 200) << refunded;
  EXPECT_EQ(refunded.json()["status"], "refunded");
  EXPECT_EQ(refunded.headers["ETag"], "\"2\"");
  json customer = Customer(c);
  EXPECT_EQ(customer["total_spend"].dump(), "75.5");
  EXPECT_EQ(customer["num_visits"], 2);
  // The last visit falls back to the latest remaining paid order.
  EXPECT_EQ(customer["last_visit_at"], "2026-02-01T00:00:00Z");

  ASSERT_EQ(client().Patch(OrderPath(second), {{"status", "cancelled"}}).status, 200);
  customer = Customer(c);
  EXPECT_EQ(customer["total_spend"].dump(), "50");
  EXPECT_EQ(customer["num_visits"], 1);
  EXPECT_EQ(customer["last_visit_at"], "2026-01-01T00:00:00Z");
  ASSERT_EQ(client().Patch(OrderPath(first), {{"status", "refunded"}}).status, 200);
  customer = Customer(c);
  EXPECT_EQ(customer["total_spend"].dump(), "0");
  EXPECT_EQ(customer["num_visits"], 0);
  EXPECT_TRUE(customer["last_visit_at"].is_null());

  // Refunded and cancelled are final: any change is a 409 and changes nothing.
  const std::vector<std::pair<json, json>> attempts = {
      {third, {{"status", "paid"}}},          {third, {{"status", "cancelled"}}},
      {second, {{"status", "paid"}}},         {second, {{"status", "refunded"}}},
      {third, {{"amount", 11}}},              {second, {{"ordered_at", "2026-02-02"}}},
      {third, {{"currency", "EUR"}}},
  };
  for (const auto& [order, change] : attempts) {
    HttpResponse refused = client().Patch(OrderPath(order), change);
    EXPECT_EQ(refused.status, 409) << change.dump() << "\n" << refused;
    EXPECT_EQ(refused.headers["Content-Type"], "application/problem+json");
    EXPECT_EQ(ErrorFields(refused), std::set<std::string>{"status"});
  }
  EXPECT_EQ(Reload(third, "/api/v1/orders/")["status"], "refunded");
  EXPECT_EQ(Reload(second, "/api/v1/orders/")["status"], "cancelled");
  // Repeating the current state is no change: 200, same version.
  HttpResponse same = client().Patch(OrderPath(third), {{"status", "refunded"}, {"amount", 10}});
  EXPECT_EQ(same.status, 200) << same;
  EXPECT_EQ(same.headers["ETag"], "\"2\"");
  EXPECT_EQ(Customer(c)["total_spend"].dump(), "0");
}

TEST_F(OrdersApiTest, OrdersRecordedAsRefundedOrCancelledCountForNothing) {
  const json c = CreateCustomer({{"name", "History"}});
  const json refunded = CreateOrder(c, {{"amount", 40}, {"status", "refunded"}});
  CreateOrder(c, {{"amount", 60}, {"status", "cancelled"}});
  EXPECT_EQ(refunded["status"], "refunded");
  const json customer = Customer(c);
  EXPECT_EQ(customer["total_spend"].dump(), "0");
  EXPECT_EQ(customer["num_visits"], 0);
  EXPECT_TRUE(customer["last_visit_at"].is_null());
  EXPECT_EQ(customer["updated_at"], c["updated_at"]);  // nothing changed on the customer
  EXPECT_EQ(client().Patch(OrderPath(refunded), {{"status", "paid"}}).status, 409);
}

TEST_F(OrdersApiTest, PatchRecomputesAndHonoursIfMatch) {
  const json c = CreateCustomer({{"name", "Patch"}});
  const json order = CreateOrder(c, {{"amount", 10}, {"ordered_at", "2026-05-01T00:00:00Z"}});
  HttpResponse patched = client().Patch(
      OrderPath(order), {{"amount", 12.34}, {"ordered_at", "2026-06-01T12:00:00Z"}},
      {{"If-Match", "\"1\""}});
  ASSERT_EQ(patched.status, 200) << patched;
  EXPECT_EQ(patched.json()["amount"].dump(), "12.34");
  EXPECT_EQ(patched.headers["ETag"], "\"2\"");
  json customer = Customer(c);
  EXPECT_EQ(customer["total_spend"].dump(), "12.34");
  EXPECT_EQ(customer["last_visit_at"], "2026-06-01T12:00:00Z");

  HttpResponse stale = client().Patch(OrderPath(order), {{"amount", 99}}, {{"If-Match", "\"1\""}});
  EXPECT_EQ(stale.status, 412) << stale;
  EXPECT_EQ(Reload(order, "/api/v1/orders/")["amount"].dump(), "12.34");
  EXPECT_EQ(Customer(c)["total_spend"].dump(), "12.34");

  HttpResponse customer_id = client().Patch(OrderPath(order), {{"customer_id", kUnknownId}});
  EXPECT_EQ(customer_id.status, 422) << customer_id;
  EXPECT_EQ(ErrorFields(customer_id), std::set<std::string>{"customer_id"});
  HttpResponse nulls = client().Patch(OrderPath(order), {{"amount", nullptr}, {"status", nullptr},
                                                         {"currency", nullptr}, {"ordered_at", nullptr}});
  EXPECT_EQ(nulls.status, 422) << nulls;
  EXPECT_EQ(ErrorFields(nulls), (std::set<std::string>{"amount", "status", "currency", "ordered_at"}));
}

TEST_F(OrdersApiTest, RejectsBadBodiesAndChangesNothing) {
  const json c = CreateCustomer({{"name", "Strict"}});
  const std::string id = IdOf(c);
  EXPECT_EQ(Raw("POST", "/api/v1/orders", "{\"amount\": 1").status, 400);
  EXPECT_EQ(Raw("POST", "/api/v1/orders", "").status, 400);
  EXPECT_EQ(Raw("POST", "/api/v1/orders", "[1]").status, 422);
  EXPECT_EQ(Raw("POST", "/api/v1/orders", "amount=1", "text/plain").status, 415);
  struct Case {
    json body;
    std::set<std::string> fields;
  };
  const Case cases[] = {
      {{{"customer_id", id}, {"amount", 0}}, {"amount"}},
      {{{"customer_id", id}, {"amount", -5}}, {"amount"}},
      {{{"customer_id", id}, {"amount", 1.005}}, {"amount"}},
      {{{"customer_id", id}, {"amount", 12.345}}, {"amount"}},
      {{{"customer_id", id}, {"amount", "12.50"}}, {"amount"}},
      {{{"customer_id", id}, {"amount", 10000000000000.0}}, {"amount"}},
      {{{"customer_id", id}}, {"amount"}},
      {{{"amount", 5}}, {"customer_id"}},
      {{{"customer_id", "nope"}, {"amount", 5}}, {"customer_id"}},
      {{{"customer_id", kUnknownId}, {"amount", 5}}, {"customer_id"}},
      {{{"customer_id", id}, {"amount", 5}, {"currency", "XYZ"}}, {"currency"}},
      {{{"customer_id", id}, {"amount", 5}, {"currency", "US"}}, {"currency"}},
      {{{"customer_id", id}, {"amount", 5}, {"currency", 840}}, {"currency"}},
      {{{"customer_id", id}, {"amount", 5}, {"currency", "XXX"}}, {"currency"}},
      {{{"customer_id", id}, {"amount", 5.5}, {"currency", "JPY"}}, {"amount"}},
      {{{"customer_id", id}, {"amount", 5}, {"status", "shipped"}}, {"status"}},
      {{{"customer_id", id}, {"amount", 5}, {"ordered_at", "yesterday"}}, {"ordered_at"}},
      {{{"customer_id", id}, {"amount", 5}, {"ordered_at", nullptr}}, {"ordered_at"}},
      {{{"customer_id", id}, {"amount", 5}, {"discount", 1}}, {"discount"}},
      {{{"customer_id", id}, {"amount", 5}, {"id", kUnknownId}, {"created_at", "2026-01-01"}},
       {"id", "created_at"}},
  };
  for (const Case& c : cases) {
    HttpResponse response = client().Post("/api/v1/orders", c.body);
    EXPECT_EQ(response.status, 422) << c.body.dump() << "\n" << response;
    EXPECT_EQ(response.headers["Content-Type"], "application/problem+json");
    EXPECT_EQ(ErrorFields(response), c.fields) << c.body.dump();
  }
  HttpResponse list = client().Get("/api/v1/orders?include_total=true");
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(list.json()["total"], 0);
  const json customer = Customer(c);
  EXPECT_EQ(customer["num_visits"], 0);
  EXPECT_EQ(customer["updated_at"], c["updated_at"]);
}

class OrdersInEuroApiTest : public OrdersApiTest {
 protected:
  ServerOptions MakeServerOptions() const override {
    ServerOptions options = OrdersApiTest::MakeServerOptions();
    options.env["RAPPORT_CURRENCY"] = "EUR";
    return options;
  }
};

TEST_F(OrdersInEuroApiTest, TotalSpendCountsOnlyTheServersCurrency) {
  const json c = CreateCustomer({{"name", "Traveller"}});
  const json euro = CreateOrder(c, {{"amount", 100}, {"ordered_at", "2026-01-01T00:00:00Z"}});
  EXPECT_EQ(euro["currency"], "EUR");
  const json pounds = CreateOrder(c, {{"amount", 30}, {"currency", "gbp"},
                                      {"ordered_at", "2026-02-01T00:00:00Z"}});
  EXPECT_EQ(pounds["currency"], "GBP");
  const json yen = CreateOrder(c, {{"amount", 5000}, {"currency", "JPY"},
                                   {"ordered_at", "2026-03-01T00:00:00Z"}});
  json customer = Customer(c);
  // Other currencies are visits, but not spend in the server's currency.
  EXPECT_EQ(customer["total_spend"].dump(), "100");
  EXPECT_EQ(customer["num_visits"], 3);
  EXPECT_EQ(customer["last_visit_at"], "2026-03-01T00:00:00Z");

  // Moving an order into the server's currency moves it into total_spend.
  ASSERT_EQ(client().Patch(OrderPath(pounds), {{"currency", "EUR"}}).status, 200);
  EXPECT_EQ(Customer(c)["total_spend"].dump(), "130");
  HttpResponse fraction = client().Patch(OrderPath(yen), {{"amount", 5000.5}});
  EXPECT_EQ(fraction.status, 422) << fraction;
  EXPECT_EQ(ErrorFields(fraction), std::set<std::string>{"amount"});
  HttpResponse to_yen = client().Patch(OrderPath(pounds), {{"currency", "JPY"}, {"amount", 30.5}});
  EXPECT_EQ(to_yen.status, 422) << to_yen;

  EXPECT_EQ(Ids("/api/v1/orders?currency=eur&sort=ordered_at"),
            (std::vector<std::string>{IdOf(euro), IdOf(pounds)}));
}

TEST_F(OrdersApiTest, ListsFilterSortAndPage) {
  const json a = CreateCustomer({{"name", "A"}});
  const json b = CreateCustomer({{"name", "B"}});
  std::vector<std::string> by_date;
  for (int i = 0; i < 12; ++i) {
    const json& who = i % 3 == 0 ? b : a;
    char when[32];
    std::snprintf(when, sizeof when, "2026-01-%02dT08:00:00Z", i + 1);
    json order = CreateOrder(who, {{"amount", 10 + (i * 7) % 12}, {"ordered_at", when},
                                   {"status", i % 4 == 3 ? "refunded" : "paid"}});
    by_date.push_back(IdOf(order));
  }
  std::vector<std::string> newest_first(by_date.rbegin(), by_date.rend());
  EXPECT_EQ(Ids("/api/v1/orders?limit=5"), newest_first);  // default: -ordered_at
  EXPECT_EQ(Ids("/api/v1/orders?limit=5&sort=ordered_at"), by_date);
  const std::vector<json> by_amount = All("/api/v1/orders?limit=4&sort=-amount,ordered_at");
  ASSERT_EQ(by_amount.size(), 12u);
  for (std::size_t i = 1; i < by_amount.size(); ++i) {
    EXPECT_GE(by_amount[i - 1]["amount"].get<double>(), by_amount[i]["amount"].get<double>());
  }
  HttpResponse total = client().Get("/api/v1/orders?include_total=true&limit=1&status=refunded");
  ASSERT_EQ(total.status, 200);
  EXPECT_EQ(total.json()["total"], 3);
  EXPECT_EQ(Ids("/api/v1/orders?customer_id=" + IdOf(b) + "&sort=ordered_at"),
            (std::vector<std::string>{by_date[0], by_date[3], by_date[6], by_date[9]}));
  EXPECT_EQ(Ids(CustomerPath(b) + "/orders?sort=ordered_at&limit=2"),
            (std::vector<std::string>{by_date[0], by_date[3], by_date[6], by_date[9]}));
  EXPECT_EQ(Ids(CustomerPath(b) + "/orders?status=refunded"), std::vector<std::string>{by_date[3]});
  // from is inclusive, to exclusive; dates and timestamps with offsets both work.
  EXPECT_EQ(Ids("/api/v1/orders?sort=ordered_at&from=2026-01-03T08:00:00Z&to=2026-01-05"),
            (std::vector<std::string>{by_date[2], by_date[3]}));
  EXPECT_EQ(Ids("/api/v1/orders?sort=ordered_at&from=" + UrlEncode("2026-01-12T09:00:00+01:00")),
            std::vector<std::string>{by_date[11]});

  const std::pair<std::string, std::string> bad[] = {
      {"status=shipped", "status"},   {"customer_id=42", "customer_id"},
      {"from=yesterday", "from"},     {"to=2026-02-30", "to"},
      {"currency=dollars", "currency"}, {"sort=customer_id", "sort"},
      {"limit=0", "limit"},           {"limit=501", "limit"},
      {"cursor=abc", "cursor"},       {"include_total=maybe", "include_total"},
  };
  for (const auto& [query, parameter] : bad) {
    HttpResponse response = client().Get("/api/v1/orders?" + query);
    EXPECT_EQ(response.status, 400) << query << "\n" << response;
    EXPECT_EQ(ErrorFields(response), std::set<std::string>{parameter}) << query;
  }
  EXPECT_EQ(client().Get(CustomerPath(b) + "/orders?sort=nope").status, 400);
  EXPECT_EQ(client().Get(std::string("/api/v1/customers/") + kUnknownId + "/orders").status, 404);
  EXPECT_EQ(client().Get("/api/v1/customers/nope/orders").status, 404);
}

TEST_F(OrdersApiTest, VisibilityFollowsTheCustomer) {
  As(agent());
  const json mine = CreateCustomer({{"name", "Mine"}});
  const json shared = CreateCustomer({{"name", "Shared"}, {"owner_id", nullptr}});
  const json my_order = CreateOrder(mine, {{"amount", 10}});
  const json shared_order = CreateOrder(shared, {{"amount", 20}});
  As(other_agent());
  const json theirs = CreateCustomer({{"name", "Theirs"}});
  const json their_order = CreateOrder(theirs, {{"amount", 30}});

  // The other agent: my customer's order does not exist for them.
  EXPECT_EQ(client().Get(OrderPath(my_order)).status, 404);
  EXPECT_EQ(client().Patch(OrderPath(my_order), {{"status", "refunded"}}).status, 404);
  EXPECT_EQ(client().Get(CustomerPath(mine) + "/orders").status, 404);
  HttpResponse foreign = client().Post("/api/v1/orders", {{"customer_id", mine["id"]}, {"amount", 1}});
  EXPECT_EQ(foreign.status, 422) << foreign;
  EXPECT_EQ(ErrorFields(foreign), std::set<std::string>{"customer_id"});
  // ...exactly as for an id that does not exist.
  HttpResponse missing = client().Post("/api/v1/orders", {{"customer_id", kUnknownId}, {"amount", 1}});
  EXPECT_EQ(missing.json()["errors"], foreign.json()["errors"]);
  EXPECT_EQ(client().Get(OrderPath(shared_order)).status, 200);
  std::vector<std::string> visible = Ids("/api/v1/orders?sort=created_at");
  EXPECT_EQ(visible, (std::vector<std::string>{IdOf(shared_order), IdOf(their_order)}));
  EXPECT_EQ(client().Get("/api/v1/orders?include_total=true").json()["total"], 2);
  EXPECT_EQ(Ids("/api/v1/orders?customer_id=" + IdOf(mine)), std::vector<std::string>{});

  As(agent());
  EXPECT_EQ(Ids("/api/v1/orders?sort=created_at"),
            (std::vector<std::string>{IdOf(my_order), IdOf(shared_order)}));
  EXPECT_EQ(client().Patch(OrderPath(my_order), {{"status", "cancelled"}}).status, 200);
  EXPECT_EQ(Customer(mine)["num_visits"], 0);
  // The foreign attempt above created nothing.
  As(manager());
  EXPECT_EQ(client().Get("/api/v1/orders?include_total=true").json()["total"], 3);
  EXPECT_EQ(Customer(mine)["num_visits"], 0);
  EXPECT_EQ(client().Get(OrderPath(their_order)).status, 200);
}

TEST_F(OrdersApiTest, ErasingTheCustomerErasesTheirOrders) {
  const json c = CreateCustomer({{"name", "Gone"}});
  const json order = CreateOrder(c, {{"amount", 5}});
  ASSERT_EQ(client().Delete(CustomerPath(c)).status, 204);
  EXPECT_EQ(client().Get(OrderPath(order)).status, 404);
  EXPECT_EQ(client().Get("/api/v1/orders?include_total=true").json()["total"], 0);
}

TEST_F(OrdersApiTest, ConcurrentOrdersOfOneCustomerAllCount) {
  const json c = CreateCustomer({{"name", "Busy"}});
  constexpr int kWriters = 8;
  constexpr int kEach = 3;
  std::vector<std::vector<std::string>> ids(kWriters);
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      Client writer(server());
      writer.SetToken(admin().token);
      for (int i = 0; i < kEach; ++i) {
        HttpResponse response =
            writer.Post("/api/v1/orders", {{"customer_id", c["id"]}, {"amount", 1.25}});
        if (response.status == 201) ids[w].push_back(response.json()["id"]);
      }
    });
  }
  for (std::thread& writer : writers) writer.join();
  std::size_t created = 0;
  for (const auto& list : ids) created += list.size();
  ASSERT_EQ(created, static_cast<std::size_t>(kWriters * kEach));
  json customer = Customer(c);
  EXPECT_EQ(customer["num_visits"], kWriters * kEach);
  EXPECT_EQ(customer["total_spend"].dump(), "30");

  // Concurrent refunds take exactly their share out again.
  writers.clear();
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      Client writer(server());
      writer.SetToken(manager().token);
      writer.Patch("/api/v1/orders/" + ids[w][0], {{"status", "refunded"}});
    });
  }
  for (std::thread& writer : writers) writer.join();
  customer = Customer(c);
  EXPECT_EQ(customer["num_visits"], kWriters * (kEach - 1));
  EXPECT_EQ(customer["total_spend"].dump(), "20");
}

TEST_F(OrdersApiTest, IdempotentCreateCreatesOnce) {
  const json c = CreateCustomer({{"name", "Once"}});
  const json body = {{"customer_id", c["id"]}, {"amount", 9.99}};
  HttpResponse first = client().Post("/api/v1/orders", body, {{"Idempotency-Key", "order-1"}});
  HttpResponse retry = client().Post("/api/v1/orders", body, {{"Idempotency-Key", "order-1"}});
  ASSERT_EQ(first.status, 201) << first;
  EXPECT_EQ(retry.status, 201);
  EXPECT_EQ(retry.json()["id"], first.json()["id"]);
  EXPECT_EQ(Customer(c)["total_spend"].dump(), "9.99");
}

TEST_F(OrdersApiTest, MalformedIdsAre404AndATokenIsRequired) {
  for (const char* id : {"nope", "123", kUnknownId}) {
    EXPECT_EQ(client().Get(std::string("/api/v1/orders/") + id).status, 404) << id;
    EXPECT_EQ(client().Patch(std::string("/api/v1/orders/") + id, {{"status", "refunded"}}).status, 404)
        << id;
  }
  client().SetToken("");
  EXPECT_EQ(client().Get("/api/v1/orders").status, 401);
  EXPECT_EQ(client().Post("/api/v1/orders", {{"amount", 1}}).status, 401);
  EXPECT_EQ(client().Get(std::string("/api/v1/orders/") + kUnknownId).status, 401);
}

}  // namespace
}  // namespace rapport::testing
