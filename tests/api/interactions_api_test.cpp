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

class InteractionsApiTest : public StaffApiTest {
 protected:
  json CreateCustomer(const std::string& name, const json& extra = json::object()) {
    json body = {{"name", name}};
    body.update(extra);
    return Created("/api/v1/customers", body);
  }
  json CreateInteraction(const json& customer, const json& extra = json::object()) {
    json body = {{"customer_id", customer["id"]}, {"type", "call"}, {"title", "Pricing call"}};
    body.update(extra);
    return Created("/api/v1/interactions", body);
  }
  static std::string PathOf(const json& interaction) {
    return "/api/v1/interactions/" + interaction["id"].get<std::string>();
  }
  static std::string CustomerPath(const json& customer) {
    return "/api/v1/customers/" + customer["id"].get<std::string>();
  }
  std::set<std::string> Titles(const std::string& path) {
    std::set<std::string> titles;
    for (const json& row : AllPages(path)) titles.insert(row["title"].get<std::string>());
    return titles;
  }
  json LastInteractionAt(const json& customer) {
    return client().Get(CustomerPath(customer)).json()["last_interaction_at"];
  }
  int64_t Total(const std::string& path = "/api/v1/interactions?include_total=true") {
    return client().Get(path).json()["total"].get<int64_t>();
  }
};

TEST_F(InteractionsApiTest, CreateReturnsTheInteractionWithLocationAndEtag) {
  const json ada = CreateCustomer("Ada");
  HttpResponse created = client().Post(
      "/api/v1/interactions",
      {{"customer_id", ada["id"]}, {"type", "meeting"}, {"title", "  Quarterly review "},
       {"details", "Agenda: renewals"}, {"scheduled_at", "2030-05-04T10:30:00+02:00"},
       {"duration_minutes", 45}});
  ASSERT_EQ(created.status, 201) << created;
  const json i = created.json();
  EXPECT_EQ(created.headers["Location"], PathOf(i));
  EXPECT_EQ(created.headers["ETag"], "\"1\"");
  EXPECT_EQ(i["id"].get<std::string>().size(), 36u);
  EXPECT_EQ(i["customer_id"], ada["id"]);
  EXPECT_EQ(i["user_id"], admin().id);  // default: the caller
  EXPECT_EQ(i["type"], "meeting");
  EXPECT_EQ(i["title"], "Quarterly review");
  EXPECT_EQ(i["details"], "Agenda: renewals");
  EXPECT_EQ(i["status"], "planned");  // meetings start planned
  EXPECT_EQ(i["scheduled_at"], "2030-05-04T08:30:00Z");  // stored in UTC
  EXPECT_EQ(i["duration_minutes"], 45);
  EXPECT_EQ(i["remind_before_minutes"], 15);
  EXPECT_TRUE(i["completed_at"].is_null());
  EXPECT_EQ(i["created_at"], i["updated_at"]);
  EXPECT_EQ(i.size(), 13u);

  HttpResponse got = client().Get(PathOf(i));
  ASSERT_EQ(got.status, 200) << got;
  EXPECT_EQ(got.json(), i);
  EXPECT_EQ(got.headers["ETag"], "\"1\"");

  // A note is recorded after the fact: done, completed now; reminders can be switched off.
  const json note = CreateInteraction(ada, {{"type", "note"}, {"title", "Prefers email"},
                                            {"remind_before_minutes", nullptr}});
  EXPECT_EQ(note["status"], "done");
  EXPECT_EQ(note["completed_at"], note["created_at"]);
  EXPECT_TRUE(note["remind_before_minutes"].is_null());
  EXPECT_TRUE(note["scheduled_at"].is_null());
  EXPECT_TRUE(note["duration_minutes"].is_null());
}

TEST_F(InteractionsApiTest, RejectsBadBodiesAndChangesNothing) {
  const json ada = CreateCustomer("Ada");
  const json good = {{"customer_id", ada["id"]}, {"type", "call"}, {"title", "Call"}};
  auto with = [&](json extra) {
    json body = good;
    body.update(extra);
    return body;
  };
  EXPECT_EQ(Raw("POST", "/api/v1/interactions", "{\"type\": \"call\"").status, 400);
  EXPECT_EQ(Raw("POST", "/api/v1/interactions", "[]").status, 422);
  EXPECT_EQ(Raw("POST", "/api/v1/interactions", "type=call", "text/plain").status, 415);

  struct Case {
    json body;
    std::set<std::string> fields;
  };
  const Case cases[] = {
      {json::object(), {"customer_id", "type", "title"}},
      {with({{"customer_id", kUnknownId}}), {"customer_id"}},
      {with({{"customer_id", "not-an-id"}}), {"customer_id"}},
      {with({{"type", "visit"}}), {"type"}},
      {with({{"status", "open"}}), {"status"}},
      {with({{"scheduled_at", "2026-11-22 14:00"}}), {"scheduled_at"}},
      {with({{"scheduled_at", "22/11/2026"}}), {"scheduled_at"}},
      {with({{"duration_minutes", -1}}), {"duration_minutes"}},
      {with({{"duration_minutes", "30"}}), {"duration_minutes"}},
      {with({{"remind_before_minutes", -15}}), {"remind_before_minutes"}},
      {with({{"title", ""}}), {"title"}},
      {with({{"user_id", kUnknownId}}), {"user_id"}},
      {with({{"id", kUnknownId}}), {"id"}},
      {with({{"completed_at", "2026-11-22T14:00:00Z"}}), {"completed_at"}},
      {with({{"created_at", "2026-11-22T14:00:00Z"}}), {"created_at"}},
      {with({{"outcome", "won"}}), {"outcome"}},
      {{{"type", 1}, {"title", false}, {"duration_minutes", -3}},
       {"customer_id", "type", "title", "duration_minutes"}},
  };
  for (const Case& c : cases) {
    HttpResponse response = client().Post("/api/v1/interactions", c.body);
    EXPECT_EQ(response.status, 422) << c.body.dump() << "\n" << response;
    EXPECT_EQ(response.headers["Content-Type"], "application/problem+json");
    EXPECT_EQ(ErrorFields(response), c.fields) << c.body.dump();
  }
  EXPECT_EQ(Total(), 0);
  EXPECT_TRUE(LastInteractionAt(ada).is_null());
}

TEST_F(InteractionsApiTest, MalformedUnknownAndHiddenIdsAre404) {
  for (const std::string id : {"nope", "123", kUnknownId}) {
    const std::string path = "/api/v1/interactions/" + id;
    EXPECT_EQ(client().Get(path).status, 404) << id;
    EXPECT_EQ(client().Patch(path, {{"title", "x"}}).status, 404) << id;
    EXPECT_EQ(client().Delete(path).status, 404) << id;
    EXPECT_EQ(client().Get("/api/v1/customers/" + id + "/interactions").status, 404) << id;
  }
}

TEST_F(InteractionsApiTest, PatchChangesOnlyWhatIsGivenAndHonoursIfMatch) {
  const json ada = CreateCustomer("Ada");
  const json call = CreateInteraction(ada, {{"scheduled_at", "2026-06-01T09:00:00Z"},
                                            {"duration_minutes", 20}});
  HttpResponse patched = client().Patch(PathOf(call), {{"details", "Wants a discount"}},
                                        {{"If-Match", "\"1\""}});
  ASSERT_EQ(patched.status, 200) << patched;
  EXPECT_EQ(patched.headers["ETag"], "\"2\"");
  const json p = patched.json();
  EXPECT_EQ(p["details"], "Wants a discount");
  EXPECT_EQ(p["title"], call["title"]);
  EXPECT_EQ(p["duration_minutes"], 20);
  EXPECT_EQ(p["created_at"], call["created_at"]);
  EXPECT_EQ(client().Get(PathOf(call)).json(), p);

  HttpResponse stale = client().Patch(PathOf(call), {{"title", "Lost"}}, {{"If-Match", "\"1\""}});
  EXPECT_EQ(stale.status, 412) << stale;
  EXPECT_EQ(client().Patch(PathOf(call), {{"title", "Lost"}}, {{"If-Match", "junk"}}).status, 412);
  EXPECT_EQ(client().Get(PathOf(call)).json()["title"], call["title"]);

  // A PATCH that changes nothing keeps the version.
  HttpResponse same = client().Patch(PathOf(call), {{"duration_minutes", 20}});
  ASSERT_EQ(same.status, 200);
  EXPECT_EQ(same.headers["ETag"], "\"2\"");

  // completed_at: set when the status becomes done, cleared when it leaves done.
  HttpResponse done = client().Patch(PathOf(call), {{"status", "done"}});
  ASSERT_EQ(done.status, 200) << done;
  EXPECT_TRUE(done.json()["completed_at"].is_string());
  HttpResponse edited = client().Patch(PathOf(call), {{"title", "Pricing call (won)"}});
  EXPECT_EQ(edited.json()["completed_at"], done.json()["completed_at"]);
  HttpResponse undone = client().Patch(PathOf(call), {{"status", "planned"}});
  ASSERT_EQ(undone.status, 200);
  EXPECT_TRUE(undone.json()["completed_at"].is_null());

  HttpResponse cleared = client().Patch(
      PathOf(call), {{"scheduled_at", nullptr}, {"duration_minutes", nullptr}, {"details", ""}});
  ASSERT_EQ(cleared.status, 200) << cleared;
  EXPECT_TRUE(cleared.json()["scheduled_at"].is_null());
  EXPECT_TRUE(cleared.json()["duration_minutes"].is_null());
  EXPECT_TRUE(cleared.json()["details"].is_null());

  const json bob = CreateCustomer("Bob");
  struct Case {
    json body;
    std::set<std::string> fields;
  };
  const Case cases[] = {
      {{{"customer_id", bob["id"]}}, {"customer_id"}},
      {{{"type", nullptr}, {"title", nullptr}, {"status", nullptr}}, {"type", "title", "status"}},
      {{{"scheduled_at", "soon"}}, {"scheduled_at"}},
      {{{"duration_minutes", -10}}, {"duration_minutes"}},
      {{{"completed_at", nullptr}}, {"completed_at"}},
      {{{"updated_at", "2026-01-01T00:00:00Z"}}, {"updated_at"}},
      {{{"user_id", kUnknownId}}, {"user_id"}},
      {{{"colour", "red"}}, {"colour"}},
  };
  const json before = client().Get(PathOf(call)).json();
  for (const Case& c : cases) {
    HttpResponse response = client().Patch(PathOf(call), c.body);
    EXPECT_EQ(response.status, 422) << c.body.dump() << "\n" << response;
    EXPECT_EQ(ErrorFields(response), c.fields) << c.body.dump();
  }
  EXPECT_EQ(client().Get(PathOf(call)).json(), before);
}

TEST_F(InteractionsApiTest, LastInteractionAtFollowsEveryWrite) {
  const json ada = CreateCustomer("Ada");
  const json bob = CreateCustomer("Bob");
  const std::string etag = client().Get(CustomerPath(ada)).headers["ETag"];

  // A planned meeting has not happened yet.
  const json meeting = CreateInteraction(ada, {{"type", "meeting"},
                                               {"scheduled_at", "2026-03-02T10:00:00Z"}});
  EXPECT_TRUE(LastInteractionAt(ada).is_null());
  // Held: it happened at its scheduled time.
  ASSERT_EQ(client().Patch(PathOf(meeting), {{"status", "done"}}).status, 200);
  EXPECT_EQ(LastInteractionAt(ada), "2026-03-02T10:00:00Z");
  // A call logged as done with an earlier time does not move it back.
  const json call = CreateInteraction(ada, {{"status", "done"}, {"scheduled_at", "2026-01-15T08:00:00Z"}});
  EXPECT_EQ(LastInteractionAt(ada), "2026-03-02T10:00:00Z");
  // Rescheduling the meeting later moves it.
  ASSERT_EQ(client().Patch(PathOf(meeting), {{"scheduled_at", "2026-04-01T10:00:00Z"}}).status, 200);
  EXPECT_EQ(LastInteractionAt(ada), "2026-04-01T10:00:00Z");
  // Cancelling it falls back to the call; deleting the call leaves nothing.
  ASSERT_EQ(client().Patch(PathOf(meeting), {{"status", "cancelled"}}).status, 200);
  EXPECT_EQ(LastInteractionAt(ada), "2026-01-15T08:00:00Z");
  ASSERT_EQ(client().Delete(PathOf(call)).status, 204);
  EXPECT_TRUE(LastInteractionAt(ada).is_null());
  // A note, done now.
  const json note = CreateInteraction(ada, {{"type", "note"}});
  EXPECT_EQ(LastInteractionAt(ada), note["completed_at"]);
  // A planned interaction scheduled in the past counts only once done... and a done one
  // scheduled in the future counts when it was completed, never later.
  const json early = CreateInteraction(bob, {{"status", "done"}, {"scheduled_at", "2999-01-01T00:00:00Z"}});
  EXPECT_EQ(LastInteractionAt(bob), early["completed_at"]);

  // Derived, not edited: the customer's version and updated_at stay.
  HttpResponse customer = client().Get(CustomerPath(ada));
  EXPECT_EQ(customer.headers["ETag"], etag);
  EXPECT_EQ(customer.json()["updated_at"], ada["updated_at"]);
  // And it sorts customers.
  const std::vector<json> sorted = AllPages("/api/v1/customers?sort=-last_interaction_at");
  ASSERT_EQ(sorted.size(), 2u);
  EXPECT_EQ(sorted[0]["name"], "Bob");
}

TEST_F(InteractionsApiTest, ConcurrentWritesForOneCustomerKeepLastInteractionAtRight) {
  const json ada = CreateCustomer("Ada");
  constexpr int kWriters = 8;
  std::vector<long> statuses(kWriters, 0);
  std::vector<std::thread> writers;
  for (int i = 0; i < kWriters; ++i) {
    writers.emplace_back([&, i] {
      Client writer(server());
      writer.SetToken(admin().token);
      const std::string at = "2026-0" + std::to_string(1 + i) + "-10T12:00:00Z";
      statuses[i] = writer.Post("/api/v1/interactions", {{"customer_id", ada["id"]},
                                                         {"type", "call"},
                                                         {"title", "Call " + std::to_string(i)},
                                                         {"status", "done"},
                                                         {"scheduled_at", at}})
                        .status;
    });
  }
  for (std::thread& writer : writers) writer.join();
  for (int i = 0; i < kWriters; ++i) EXPECT_EQ(statuses[i], 201) << i;
  EXPECT_EQ(LastInteractionAt(ada), "2026-08-10T12:00:00Z");
}

TEST_F(InteractionsApiTest, FiltersNarrowTheList) {
  const json ada = CreateCustomer("Ada");
  const json bob = CreateCustomer("Bob");
  CreateInteraction(ada, {{"type", "meeting"}, {"title", "Kickoff"}, {"scheduled_at", "2026-11-01T00:00:00Z"}});
  CreateInteraction(ada, {{"type", "call"}, {"title", "Follow the money"}, {"status", "done"},
                          {"scheduled_at", "2026-11-15T12:00:00Z"}});
  CreateInteraction(bob, {{"type", "meeting"}, {"title", "Demo"}, {"scheduled_at", "2026-12-01T00:00:00Z"},
                          {"details", "Bring the PROTOTYPE"}});
  CreateInteraction(bob, {{"type", "note"}, {"title", "Likes 50%_off deals"}});
  As(agent());
  CreateInteraction(bob, {{"type", "task"}, {"title", "Send contract"}, {"status", "cancelled"}});
  As(admin());

  using Set = std::set<std::string>;
  const std::string base = "/api/v1/interactions?limit=2&";
  EXPECT_EQ(Titles(base + "customer_id=" + ada["id"].get<std::string>()),
            (Set{"Kickoff", "Follow the money"}));
  EXPECT_EQ(Titles(base + "user_id=" + agent().id), Set{"Send contract"});
  EXPECT_EQ(Titles(base + "type=meeting"), (Set{"Kickoff", "Demo"}));
  EXPECT_EQ(Titles(base + "type=note,task"), (Set{"Likes 50%_off deals", "Send contract"}));
  EXPECT_EQ(Titles(base + "status=done"), (Set{"Follow the money", "Likes 50%_off deals"}));
  EXPECT_EQ(Titles(base + "status=planned,cancelled&type=task"), Set{"Send contract"});
  // The scheduled window: from inclusive, to exclusive; unscheduled ones are outside any window.
  EXPECT_EQ(Titles(base + "from=2026-11-01&to=2026-12-01"), (Set{"Kickoff", "Follow the money"}));
  EXPECT_EQ(Titles(base + "from=" + UrlEncode("2026-11-15T13:00:00+01:00")),
            (Set{"Follow the money", "Demo"}));
  EXPECT_EQ(Titles(base + "to=2026-11-01"), Set{});
  // q: case-insensitive over title and details; LIKE wildcards match only themselves.
  EXPECT_EQ(Titles(base + "q=MONEY"), Set{"Follow the money"});
  EXPECT_EQ(Titles(base + "q=prototype"), Set{"Demo"});
  EXPECT_EQ(Titles(base + "q=" + UrlEncode("%_")), Set{"Likes 50%_off deals"});
  EXPECT_EQ(Titles(base + "q=" + UrlEncode("'; DROP TABLE interactions; --")), Set{});
  EXPECT_EQ(Total("/api/v1/interactions?include_total=true&type=meeting"), 2);

  struct Case {
    std::string query;
    std::string parameter;
  };
  const Case cases[] = {
      {"customer_id=42", "customer_id"}, {"user_id=me", "user_id"},
      {"type=visit", "type"},            {"type=call,", "type"},
      {"status=open", "status"},         {"from=yesterday", "from"},
      {"to=2026-13-01", "to"},           {"sort=title", "sort"},
      {"sort=-id,-id", "sort"},          {"limit=0", "limit"},
      {"limit=501", "limit"},            {"cursor=abc", "cursor"},
      {"include_total=yes", "include_total"},
  };
  for (const Case& c : cases) {
    HttpResponse response = client().Get("/api/v1/interactions?" + c.query);
    EXPECT_EQ(response.status, 400) << c.query << "\n" << response;
    EXPECT_EQ(ErrorFields(response), std::set<std::string>{c.parameter}) << c.query;
  }
}

TEST_F(InteractionsApiTest, PaginationVisitsEveryRowOnceInEveryOrder) {
  const json ada = CreateCustomer("Ada");
  std::set<std::string> all;
  const char* types[] = {"meeting", "call", "email", "task", "follow_up", "note"};
  for (int i = 0; i < 17; ++i) {
    json extra = {{"type", types[i % 6]}, {"title", "Item " + std::to_string(i)}};
    if (i % 3) extra["scheduled_at"] = "2026-0" + std::to_string(1 + i % 5) + "-01T00:00:00Z";
    all.insert(CreateInteraction(ada, extra)["id"].get<std::string>());
  }
  for (const std::string sort : {"", "created_at", "-updated_at", "scheduled_at", "-scheduled_at",
                                 "type,-scheduled_at", "status,type"}) {
    const std::string query = sort.empty() ? "" : "&sort=" + UrlEncode(sort);
    std::vector<std::string> ids;
    for (const json& row : AllPages("/api/v1/interactions?limit=4" + query)) ids.push_back(row["id"]);
    EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()), all) << sort;
    EXPECT_EQ(ids.size(), all.size()) << sort;
    std::vector<std::string> one_page;
    const json everything = client().Get("/api/v1/interactions?limit=500" + query).json();
    for (const json& row : everything["data"]) one_page.push_back(row["id"]);
    EXPECT_EQ(ids, one_page) << sort;
  }
  // Default: newest first.
  std::vector<std::string> ids;
  for (const json& row : AllPages("/api/v1/interactions?limit=5")) ids.push_back(row["id"]);
  EXPECT_TRUE(std::is_sorted(ids.rbegin(), ids.rend()));
  // A cursor is bound to its sort order.
  const std::string cursor =
      client().Get("/api/v1/interactions?limit=1&sort=type").json()["next_cursor"];
  EXPECT_EQ(client().Get("/api/v1/interactions?limit=1&sort=status&cursor=" + UrlEncode(cursor)).status,
            400);
}

TEST_F(InteractionsApiTest, CustomerHistoryListsThatCustomerOnly) {
  const json ada = CreateCustomer("Ada");
  const json bob = CreateCustomer("Bob");
  CreateInteraction(ada, {{"title", "Ada one"}});
  CreateInteraction(ada, {{"title", "Ada two"}, {"type", "meeting"}});
  CreateInteraction(bob, {{"title", "Bob one"}});
  const std::string history = CustomerPath(ada) + "/interactions";
  EXPECT_EQ(Titles(history + "?limit=1"), (std::set<std::string>{"Ada one", "Ada two"}));
  EXPECT_EQ(Titles(history + "?type=meeting"), std::set<std::string>{"Ada two"});
  // The path's customer wins over a customer_id filter.
  EXPECT_EQ(Titles(history + "?customer_id=" + bob["id"].get<std::string>()),
            (std::set<std::string>{"Ada one", "Ada two"}));
  EXPECT_EQ(client().Get(history + "?include_total=true").json()["total"], 2);
  EXPECT_EQ(client().Get(history + "?status=later").status, 400);
}

TEST_F(InteractionsApiTest, AgentsSeeInteractionsOfCustomersTheySee) {
  As(agent());
  const json mine = CreateCustomer("Mine");
  const json shared = CreateCustomer("Shared", {{"owner_id", nullptr}});
  const json on_mine = CreateInteraction(mine, {{"title", "On mine"}});
  const json on_shared = CreateInteraction(shared, {{"title", "On shared"}});
  EXPECT_EQ(on_mine["user_id"], agent().id);
  HttpResponse as_other = client().Post(
      "/api/v1/interactions",
      {{"customer_id", mine["id"]}, {"type", "call"}, {"title", "x"}, {"user_id", other_agent().id}});
  EXPECT_EQ(as_other.status, 403) << as_other;

  As(other_agent());
  EXPECT_EQ(client().Get(PathOf(on_mine)).status, 404);
  EXPECT_EQ(client().Patch(PathOf(on_mine), {{"title", "mine now"}}).status, 404);
  EXPECT_EQ(client().Delete(PathOf(on_mine)).status, 404);
  EXPECT_EQ(client().Get(CustomerPath(mine) + "/interactions").status, 404);
  EXPECT_EQ(Titles("/api/v1/interactions"), std::set<std::string>{"On shared"});
  EXPECT_EQ(Titles("/api/v1/interactions?customer_id=" + mine["id"].get<std::string>()),
            std::set<std::string>{});
  // Writing for a customer one cannot see looks like writing for one that does not exist.
  HttpResponse hidden = client().Post(
      "/api/v1/interactions", {{"customer_id", mine["id"]}, {"type", "call"}, {"title", "x"}});
  EXPECT_EQ(hidden.status, 422) << hidden;
  EXPECT_EQ(ErrorFields(hidden), std::set<std::string>{"customer_id"});
  // The shared customer's interactions are everyone's to read and change, not to delete.
  EXPECT_EQ(client().Patch(PathOf(on_shared), {{"details", "seen"}}).status, 200);
  EXPECT_EQ(client().Delete(PathOf(on_shared)).status, 403);

  As(manager());
  EXPECT_EQ(Titles("/api/v1/interactions"), (std::set<std::string>{"On mine", "On shared"}));
}

TEST_F(InteractionsApiTest, AuthorsManagersAndAdminsDelete) {
  const json ada = CreateCustomer("Ada");
  As(agent());
  const json own = CreateInteraction(ada, {{"title", "Own"}});
  EXPECT_EQ(client().Delete(PathOf(own), {{"If-Match", "\"7\""}}).status, 412);
  EXPECT_EQ(client().Delete(PathOf(own), {{"If-Match", "\"1\""}}).status, 204);
  EXPECT_EQ(client().Get(PathOf(own)).status, 404);
  As(admin());
  const json admins = CreateInteraction(ada, {{"title", "Admin's"}});
  As(agent());
  EXPECT_EQ(client().Delete(PathOf(admins)).status, 403);
  As(manager());
  EXPECT_EQ(client().Delete(PathOf(admins)).status, 204);
  EXPECT_EQ(client().Delete(PathOf(admins)).status, 404);
}

TEST_F(InteractionsApiTest, ErasingTheCustomerErasesTheirInteractions) {
  const json ada = CreateCustomer("Ada");
  const json bob = CreateCustomer("Bob");
  const json gone = CreateInteraction(ada, {{"title", "Gone"}});
  CreateInteraction(bob, {{"title", "Stays"}});
  ASSERT_EQ(client().Delete(CustomerPath(ada)).status, 204);
  EXPECT_EQ(client().Get(PathOf(gone)).status, 404);
  EXPECT_EQ(Titles("/api/v1/interactions"), std::set<std::string>{"Stays"});
  EXPECT_EQ(Total(), 1);
}

TEST_F(InteractionsApiTest, RequiresAStaffTokenAndCreatesOncePerIdempotencyKey) {
  const json ada = CreateCustomer("Ada");
  const json body = {{"customer_id", ada["id"]}, {"type", "call"}, {"title", "Once"}};
  HttpResponse first = client().Post("/api/v1/interactions", body, {{"Idempotency-Key", "call-once"}});
  HttpResponse retry = client().Post("/api/v1/interactions", body, {{"Idempotency-Key", "call-once"}});
  ASSERT_EQ(first.status, 201) << first;
  EXPECT_EQ(retry.json()["id"], first.json()["id"]);
  EXPECT_EQ(Total(), 1);

  client().SetToken("");
  EXPECT_EQ(client().Get("/api/v1/interactions").status, 401);
  EXPECT_EQ(client().Post("/api/v1/interactions", body).status, 401);
  EXPECT_EQ(client().Get(PathOf(first.json())).status, 401);
}

}  // namespace
}  // namespace rapport::testing
