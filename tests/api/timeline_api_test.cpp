#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "api/fixtures.hpp"
#include "api/harness.hpp"

namespace rapport::testing {
namespace {

using nlohmann::json;

constexpr char kUnknownId[] = "01890a5d-ac96-774b-bcce-b302099a8057";

class TimelineApiTest : public StaffApiTest {
 protected:
  json CreateCustomer(const std::string& name, const json& extra = json::object()) {
    json body = {{"name", name}};
    body.update(extra);
    return Created("/api/v1/customers", body);
  }
  json Interaction(const json& customer, const json& extra) {
    json body = {{"customer_id", customer["id"]}, {"type", "call"}, {"title", "Call"}};
    body.update(extra);
    return Created("/api/v1/interactions", body);
  }
  json Ticket(const json& customer, const std::string& title) {
    return Created("/api/v1/tickets", {{"customer_id", customer["id"]}, {"title", title}});
  }
  static std::string TimelineOf(const json& customer) {
    return "/api/v1/customers/" + customer["id"].get<std::string>() + "/timeline";
  }
  static std::vector<std::string> Ids(const std::vector<json>& items) {
    std::vector<std::string> ids;
    for (const json& item : items) ids.push_back(item["id"]);
    return ids;
  }
};

TEST_F(TimelineApiTest, MixesInteractionsAndTicketsNewestFirst) {
  const json ada = CreateCustomer("Ada");
  const json bob = CreateCustomer("Bob");
  const json past = Interaction(ada, {{"title", "Intro call"}, {"status", "done"},
                                      {"scheduled_at", "2020-01-10T09:00:00Z"}});
  const json future = Interaction(ada, {{"type", "meeting"}, {"title", "Renewal"},
                                        {"scheduled_at", "2030-06-01T09:00:00Z"}});
  const json note = Interaction(ada, {{"type", "note"}, {"title", "Prefers email"}});
  const json ticket = Ticket(ada, "Printer on fire");
  Interaction(bob, {{"title", "Not Ada's"}});
  Ticket(bob, "Not Ada's either");

  HttpResponse response = client().Get(TimelineOf(ada));
  ASSERT_EQ(response.status, 200) << response;
  const json body = response.json();
  ASSERT_TRUE(body["next_cursor"].is_null());
  const std::vector<json> items = body["data"].get<std::vector<json>>();
  ASSERT_EQ(items.size(), 4u);

  // occurred_at: an interaction's scheduled_at, else its created_at; a ticket's created_at.
  EXPECT_EQ(items[0]["id"], future["id"]);
  EXPECT_EQ(items[0]["occurred_at"], "2030-06-01T09:00:00Z");
  EXPECT_EQ(items[3]["id"], past["id"]);
  EXPECT_EQ(items[3]["occurred_at"], "2020-01-10T09:00:00Z");
  // The two created now: ordered by (occurred_at, id), newest first.
  const std::set<std::string> middle = {items[1]["id"], items[2]["id"]};
  EXPECT_EQ(middle, (std::set<std::string>{note["id"], ticket["id"]}));
  EXPECT_TRUE(std::is_sorted(items.begin(), items.end(), [](const json& a, const json& b) {
    return std::pair(a["occurred_at"], a["id"]) > std::pair(b["occurred_at"], b["id"]);
  }));

  for (const json& item : items) {
    EXPECT_EQ(item.size(), 5u) << item.dump();
    const std::string kind = item["kind"];
    const std::string path = kind == "ticket" ? "/api/v1/tickets/" : "/api/v1/interactions/";
    ASSERT_TRUE(kind == "ticket" || kind == "interaction") << kind;
    // data is the resource as its own endpoint returns it.
    EXPECT_EQ(item["data"], client().Get(path + item["id"].get<std::string>()).json());
    if (item["id"] == ticket["id"]) {
      EXPECT_EQ(item["occurred_at"], ticket["created_at"]);
      EXPECT_EQ(item["summary"], "Ticket: Printer on fire (open, normal)");
    }
    if (item["id"] == note["id"]) {
      EXPECT_EQ(item["occurred_at"], note["created_at"]);
      EXPECT_EQ(item["summary"], "Note: Prefers email");
    }
  }
  EXPECT_EQ(items[0]["summary"], "Meeting: Renewal (planned)");
  EXPECT_EQ(items[0]["kind"], "interaction");
}

TEST_F(TimelineApiTest, PagesVisitEveryItemOnceInBothOrders) {
  const json ada = CreateCustomer("Ada");
  std::set<std::string> all;
  for (int i = 0; i < 9; ++i) {
    json extra = {{"title", "Call " + std::to_string(i)}};
    if (i % 2) extra["scheduled_at"] = "202" + std::to_string(i) + "-01-01T00:00:00Z";
    all.insert(Interaction(ada, extra)["id"].get<std::string>());
    if (i % 3 == 0) all.insert(Ticket(ada, "Ticket " + std::to_string(i))["id"].get<std::string>());
  }
  const std::vector<json> newest = AllPages(TimelineOf(ada) + "?limit=2");
  const std::vector<std::string> ids = Ids(newest);
  EXPECT_EQ(ids.size(), all.size());
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()), all);
  EXPECT_EQ(ids, Ids(client().Get(TimelineOf(ada) + "?limit=500").json()["data"].get<std::vector<json>>()));

  std::vector<std::string> oldest = Ids(AllPages(TimelineOf(ada) + "?limit=3&sort=occurred_at"));
  std::reverse(oldest.begin(), oldest.end());
  EXPECT_EQ(oldest, ids);

  HttpResponse counted = client().Get(TimelineOf(ada) + "?limit=1&include_total=true");
  ASSERT_EQ(counted.status, 200);
  EXPECT_EQ(counted.json()["total"], static_cast<int64_t>(all.size()));
  EXPECT_EQ(counted.json()["data"].size(), 1u);
}

TEST_F(TimelineApiTest, KindSelectsSources) {
  const json ada = CreateCustomer("Ada");
  Interaction(ada, {{"title", "Call"}});
  Ticket(ada, "Ticket");
  auto kinds = [&](const std::string& query) {
    std::set<std::string> seen;
    for (const json& item : AllPages(TimelineOf(ada) + query)) seen.insert(item["kind"]);
    return seen;
  };
  EXPECT_EQ(kinds("?kind=ticket"), std::set<std::string>{"ticket"});
  EXPECT_EQ(kinds("?kind=interaction"), std::set<std::string>{"interaction"});
  EXPECT_EQ(kinds("?kind=interaction,ticket"), (std::set<std::string>{"interaction", "ticket"}));
  EXPECT_EQ(kinds("?kind="), (std::set<std::string>{"interaction", "ticket"}));
  EXPECT_EQ(client().Get(TimelineOf(ada) + "?kind=ticket&include_total=true").json()["total"], 1);

  struct Case {
    std::string query;
    std::string parameter;
  };
  for (const Case& c : {Case{"kind=email", "kind"}, Case{"kind=ticket,order", "kind"},
                        Case{"limit=0", "limit"}, Case{"limit=1000", "limit"},
                        Case{"cursor=bad", "cursor"}, Case{"sort=created_at", "sort"},
                        Case{"include_total=perhaps", "include_total"}}) {
    HttpResponse response = client().Get(TimelineOf(ada) + "?" + c.query);
    EXPECT_EQ(response.status, 400) << c.query << "\n" << response;
    EXPECT_EQ(ErrorFields(response), std::set<std::string>{c.parameter}) << c.query;
  }
  // A cursor of one order is refused under the other.
  const std::string cursor = client().Get(TimelineOf(ada) + "?limit=1").json()["next_cursor"];
  EXPECT_EQ(client().Get(TimelineOf(ada) + "?limit=1&sort=occurred_at&cursor=" + UrlEncode(cursor)).status,
            400);
}

TEST_F(TimelineApiTest, FollowsCustomerVisibility) {
  for (const std::string id : {"nope", kUnknownId}) {
    EXPECT_EQ(client().Get("/api/v1/customers/" + id + "/timeline").status, 404) << id;
  }
  As(agent());
  const json mine = CreateCustomer("Mine");
  Interaction(mine, {{"title", "Mine"}});
  const json shared = CreateCustomer("Shared", {{"owner_id", nullptr}});
  Ticket(shared, "Shared ticket");
  As(other_agent());
  EXPECT_EQ(client().Get(TimelineOf(mine)).status, 404);
  HttpResponse visible = client().Get(TimelineOf(shared));
  ASSERT_EQ(visible.status, 200) << visible;
  EXPECT_EQ(visible.json()["data"].size(), 1u);
  As(manager());
  EXPECT_EQ(client().Get(TimelineOf(mine)).json()["data"].size(), 1u);
  client().SetToken("");
  EXPECT_EQ(client().Get(TimelineOf(mine)).status, 401);
}

TEST_F(TimelineApiTest, EmptyForACustomerWithNoHistoryAndGoneWithTheCustomer) {
  const json ada = CreateCustomer("Ada");
  HttpResponse empty = client().Get(TimelineOf(ada));
  ASSERT_EQ(empty.status, 200);
  EXPECT_EQ(empty.json(), json({{"data", json::array()}, {"next_cursor", nullptr}}));
  Interaction(ada, {{"title", "Call"}});
  ASSERT_EQ(client().Delete("/api/v1/customers/" + ada["id"].get<std::string>()).status, 204);
  EXPECT_EQ(client().Get(TimelineOf(ada)).status, 404);
}

}  // namespace
}  // namespace rapport::testing
