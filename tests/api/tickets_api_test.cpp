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

class TicketsApiTest : public StaffApiTest {
 protected:
  json CreateCustomer(const std::string& name, const json& extra = json::object()) {
    json body = {{"name", name}};
    body.update(extra);
    return Created("/api/v1/customers", body);
  }
  json CreateTicket(const json& customer, const json& extra = json::object()) {
    json body = {{"customer_id", customer["id"]}, {"title", "Printer on fire"}};
    body.update(extra);
    return Created("/api/v1/tickets", body);
  }
  static std::string PathOf(const json& resource, const std::string& base = "/api/v1/tickets/") {
    return base + resource["id"].get<std::string>();
  }
  static std::string CustomerPath(const json& customer) {
    return PathOf(customer, "/api/v1/customers/");
  }
  std::set<std::string> Titles(const std::string& path) {
    std::set<std::string> titles;
    for (const json& row : AllPages(path)) titles.insert(row["title"].get<std::string>());
    return titles;
  }
  // The status of a ticket after `action` (resolve, reopen) or a PATCH; the response.
  HttpResponse Act(const json& ticket, const std::string& action, const json& body = nullptr) {
    return client().Post(PathOf(ticket) + "/" + action, body);
  }
  HttpResponse SetStatus(const json& ticket, const std::string& status) {
    return client().Patch(PathOf(ticket), {{"status", status}});
  }
  std::string StatusOf(const json& ticket) {
    return client().Get(PathOf(ticket)).json()["status"];
  }
  // Whether `response` is a 409 whose detail mentions `words`.
  static ::testing::AssertionResult ConflictSaying(const HttpResponse& response,
                                                   const std::string& words) {
    if (response.status != 409) {
      return ::testing::AssertionFailure() << "expected 409, got " << response;
    }
    const std::string detail = response.json().value("detail", "");
    if (detail.find(words) == std::string::npos) {
      return ::testing::AssertionFailure() << "detail '" << detail << "' lacks '" << words << "'";
    }
    return ::testing::AssertionSuccess();
  }
};

TEST_F(TicketsApiTest, CreateReturnsTheTicketWithLocationAndEtag) {
  const json ada = CreateCustomer("Ada");
  const json call = Created("/api/v1/interactions",
                            {{"customer_id", ada["id"]}, {"type", "call"}, {"title", "Complaint"}});
  HttpResponse created = client().Post(
      "/api/v1/tickets", {{"customer_id", ada["id"]}, {"interaction_id", call["id"]},
                          {"title", " Printer on fire "}, {"description", "Smoke everywhere"},
                          {"priority", "urgent"}, {"assignee_id", agent().id}});
  ASSERT_EQ(created.status, 201) << created;
  const json t = created.json();
  EXPECT_EQ(created.headers["Location"], PathOf(t));
  EXPECT_EQ(created.headers["ETag"], "\"1\"");
  EXPECT_EQ(t["customer_id"], ada["id"]);
  EXPECT_EQ(t["interaction_id"], call["id"]);
  EXPECT_EQ(t["title"], "Printer on fire");
  EXPECT_EQ(t["description"], "Smoke everywhere");
  EXPECT_EQ(t["status"], "open");
  EXPECT_EQ(t["priority"], "urgent");
  EXPECT_EQ(t["assignee_id"], agent().id);
  EXPECT_EQ(t["created_by"], json({{"kind", "user"}, {"id", admin().id}}));
  EXPECT_TRUE(t["resolution"].is_null());
  EXPECT_TRUE(t["resolved_at"].is_null());
  EXPECT_EQ(t["created_at"], t["updated_at"]);
  EXPECT_EQ(t.size(), 13u);
  HttpResponse got = client().Get(PathOf(t));
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(got.json(), t);

  const json plain = CreateTicket(ada, {{"status", "in_progress"}});
  EXPECT_EQ(plain["priority"], "normal");
  EXPECT_EQ(plain["status"], "in_progress");
  EXPECT_TRUE(plain["assignee_id"].is_null());
  EXPECT_TRUE(plain["interaction_id"].is_null());
}

TEST_F(TicketsApiTest, RejectsBadBodiesAndChangesNothing) {
  const json ada = CreateCustomer("Ada");
  const json bob = CreateCustomer("Bob");
  const json bobs_call = Created("/api/v1/interactions",
                                 {{"customer_id", bob["id"]}, {"type", "call"}, {"title", "Bob's"}});
  const json good = {{"customer_id", ada["id"]}, {"title", "Help"}};
  auto with = [&](json extra) {
    json body = good;
    body.update(extra);
    return body;
  };
  EXPECT_EQ(Raw("POST", "/api/v1/tickets", "{\"title\":").status, 400);
  EXPECT_EQ(Raw("POST", "/api/v1/tickets", "42").status, 422);
  EXPECT_EQ(Raw("POST", "/api/v1/tickets", "title=Help", "application/x-www-form-urlencoded").status,
            415);
  struct Case {
    json body;
    std::set<std::string> fields;
  };
  const Case cases[] = {
      {json::object(), {"customer_id", "title"}},
      {with({{"customer_id", kUnknownId}}), {"customer_id"}},
      {with({{"customer_id", "ada"}}), {"customer_id"}},
      {with({{"interaction_id", bobs_call["id"]}}), {"interaction_id"}},
      {with({{"interaction_id", kUnknownId}}), {"interaction_id"}},
      {with({{"assignee_id", kUnknownId}}), {"assignee_id"}},
      {with({{"priority", "critical"}}), {"priority"}},
      {with({{"status", "closed"}}), {"status"}},
      {with({{"status", "resolved"}}), {"status"}},
      {with({{"status", "new"}}), {"status"}},
      {with({{"title", ""}}), {"title"}},
      {with({{"created_by", {{"kind", "customer"}, {"id", ada["id"]}}}}), {"created_by"}},
      {with({{"resolved_at", "2026-01-01T00:00:00Z"}}), {"resolved_at"}},
      {with({{"resolution", "done already"}}), {"resolution"}},
      {with({{"id", kUnknownId}}), {"id"}},
      {with({{"severity", "high"}}), {"severity"}},
  };
  for (const Case& c : cases) {
    HttpResponse response = client().Post("/api/v1/tickets", c.body);
    EXPECT_EQ(response.status, 422) << c.body.dump() << "\n" << response;
    EXPECT_EQ(ErrorFields(response), c.fields) << c.body.dump();
  }
  EXPECT_EQ(client().Get("/api/v1/tickets?include_total=true").json()["total"], 0);
}

TEST_F(TicketsApiTest, MalformedUnknownAndHiddenIdsAre404) {
  for (const std::string id : {"nope", "42", kUnknownId}) {
    const std::string path = "/api/v1/tickets/" + id;
    EXPECT_EQ(client().Get(path).status, 404) << id;
    EXPECT_EQ(client().Patch(path, {{"title", "x"}}).status, 404) << id;
    EXPECT_EQ(client().Delete(path).status, 404) << id;
    EXPECT_EQ(client().Post(path + "/resolve").status, 404) << id;
    EXPECT_EQ(client().Post(path + "/reopen").status, 404) << id;
    EXPECT_EQ(client().Get(path + "/comments").status, 404) << id;
    EXPECT_EQ(client().Post(path + "/comments", {{"body", "hi"}}).status, 404) << id;
  }
}

TEST_F(TicketsApiTest, PatchWalksTheStateMachine) {
  const json ada = CreateCustomer("Ada");
  const json t = CreateTicket(ada);
  HttpResponse working = client().Patch(PathOf(t), {{"status", "in_progress"}}, {{"If-Match", "\"1\""}});
  ASSERT_EQ(working.status, 200) << working;
  EXPECT_EQ(working.headers["ETag"], "\"2\"");
  EXPECT_EQ(client().Patch(PathOf(t), {{"status", "open"}}, {{"If-Match", "\"1\""}}).status, 412);

  HttpResponse resolved = client().Patch(PathOf(t), {{"status", "resolved"}, {"resolution", "New toner"}});
  ASSERT_EQ(resolved.status, 200) << resolved;
  EXPECT_TRUE(resolved.json()["resolved_at"].is_string());
  EXPECT_EQ(resolved.json()["resolution"], "New toner");

  HttpResponse closed = SetStatus(t, "closed");
  ASSERT_EQ(closed.status, 200) << closed;
  EXPECT_EQ(closed.json()["resolved_at"], resolved.json()["resolved_at"]);  // kept
  EXPECT_EQ(closed.json()["resolution"], "New toner");

  // Closed is final: no move out, no edit, no comment.
  EXPECT_TRUE(ConflictSaying(SetStatus(t, "in_progress"), "from closed to in_progress"));
  EXPECT_TRUE(ConflictSaying(SetStatus(t, "open"), "from closed to open"));
  EXPECT_TRUE(ConflictSaying(SetStatus(t, "resolved"), "from closed to resolved"));
  EXPECT_TRUE(ConflictSaying(client().Patch(PathOf(t), {{"title", "Renamed"}}), "closed"));
  EXPECT_TRUE(ConflictSaying(client().Post(PathOf(t) + "/comments", {{"body", "hello?"}}), "closed"));
  EXPECT_EQ(SetStatus(t, "closed").status, 200);  // no move, no change
  const json after = client().Get(PathOf(t)).json();
  EXPECT_EQ(after, closed.json());

  // Going back from resolved clears resolved_at and the resolution.
  const json u = CreateTicket(ada, {{"title", "Second"}});
  ASSERT_EQ(SetStatus(u, "resolved").status, 200);
  HttpResponse back = SetStatus(u, "in_progress");
  ASSERT_EQ(back.status, 200) << back;
  EXPECT_TRUE(back.json()["resolved_at"].is_null());
  // A resolution belongs to a resolved ticket; the failed PATCH changes nothing.
  EXPECT_TRUE(ConflictSaying(client().Patch(PathOf(u), {{"resolution", "x"}, {"priority", "low"}}),
                             "resolution"));
  EXPECT_EQ(client().Get(PathOf(u)).json()["priority"], "normal");
  // Open straight to closed: closed without a resolution.
  HttpResponse dropped = SetStatus(u, "closed");
  ASSERT_EQ(dropped.status, 200);
  EXPECT_TRUE(dropped.json()["resolved_at"].is_null());

  struct Case {
    json body;
    std::set<std::string> fields;
  };
  const json v = CreateTicket(ada, {{"title", "Third"}});
  const Case cases[] = {
      {{{"status", "reopened"}}, {"status"}},
      {{{"status", nullptr}, {"title", nullptr}, {"priority", nullptr}}, {"status", "title", "priority"}},
      {{{"customer_id", CreateCustomer("Bob")["id"]}}, {"customer_id"}},
      {{{"resolved_at", nullptr}}, {"resolved_at"}},
      {{{"created_by", nullptr}}, {"created_by"}},
      {{{"assignee_id", kUnknownId}}, {"assignee_id"}},
      {{{"interaction_id", kUnknownId}}, {"interaction_id"}},
      {{{"tags", {"x"}}}, {"tags"}},
  };
  for (const Case& c : cases) {
    HttpResponse response = client().Patch(PathOf(v), c.body);
    EXPECT_EQ(response.status, 422) << c.body.dump() << "\n" << response;
    EXPECT_EQ(ErrorFields(response), c.fields) << c.body.dump();
  }
  EXPECT_EQ(client().Get(PathOf(v)).json(), v);
}

TEST_F(TicketsApiTest, ResolveAndReopenActions) {
  const json ada = CreateCustomer("Ada");
  const json t = CreateTicket(ada);
  HttpResponse resolved = Act(t, "resolve", {{"resolution", "Rebooted"}});
  ASSERT_EQ(resolved.status, 200) << resolved;
  EXPECT_EQ(resolved.json()["status"], "resolved");
  EXPECT_EQ(resolved.json()["resolution"], "Rebooted");
  EXPECT_TRUE(resolved.json()["resolved_at"].is_string());
  EXPECT_EQ(resolved.headers["ETag"], "\"2\"");
  EXPECT_TRUE(ConflictSaying(Act(t, "resolve"), "already resolved"));

  HttpResponse reopened = Act(t, "reopen");
  ASSERT_EQ(reopened.status, 200) << reopened;
  EXPECT_EQ(reopened.json()["status"], "open");
  EXPECT_TRUE(reopened.json()["resolved_at"].is_null());
  EXPECT_TRUE(reopened.json()["resolution"].is_null());
  EXPECT_TRUE(ConflictSaying(Act(t, "reopen"), "nothing to reopen"));
  ASSERT_EQ(SetStatus(t, "in_progress").status, 200);
  EXPECT_TRUE(ConflictSaying(Act(t, "reopen"), "nothing to reopen"));

  // Resolve without a body, from in_progress; If-Match is honoured.
  EXPECT_EQ(client().Post(PathOf(t) + "/resolve", nullptr, {{"If-Match", "\"1\""}}).status, 412);
  HttpResponse quiet = Act(t, "resolve");
  ASSERT_EQ(quiet.status, 200) << quiet;
  EXPECT_TRUE(quiet.json()["resolution"].is_null());

  ASSERT_EQ(SetStatus(t, "closed").status, 200);
  EXPECT_TRUE(ConflictSaying(Act(t, "resolve"), "from closed to resolved"));
  EXPECT_TRUE(ConflictSaying(Act(t, "reopen"), "from closed to open"));

  const json u = CreateTicket(ada, {{"title", "Bad bodies"}});
  EXPECT_EQ(Raw("POST", PathOf(u) + "/resolve", "{").status, 400);
  HttpResponse typed = Act(u, "resolve", {{"resolution", 5}});
  EXPECT_EQ(typed.status, 422) << typed;
  EXPECT_EQ(ErrorFields(typed), std::set<std::string>{"resolution"});
  HttpResponse extra = Act(u, "resolve", {{"status", "closed"}});
  EXPECT_EQ(ErrorFields(extra), std::set<std::string>{"status"});
  EXPECT_EQ(Act(u, "reopen", {{"why", "because"}}).status, 422);
  EXPECT_EQ(StatusOf(u), "open");
}

TEST_F(TicketsApiTest, ConcurrentResolvesResolveOnce) {
  const json ada = CreateCustomer("Ada");
  const json t = CreateTicket(ada);
  constexpr int kRacers = 6;
  std::vector<long> statuses(kRacers, 0);
  std::vector<std::thread> racers;
  for (int i = 0; i < kRacers; ++i) {
    racers.emplace_back([&, i] {
      Client racer(server());
      racer.SetToken(admin().token);
      statuses[i] = racer.Post(PathOf(t) + "/resolve", {{"resolution", std::to_string(i)}}).status;
    });
  }
  for (std::thread& racer : racers) racer.join();
  int ok = 0;
  for (long status : statuses) {
    EXPECT_TRUE(status == 200 || status == 409) << status;
    ok += status == 200;
  }
  EXPECT_EQ(ok, 1);
  EXPECT_EQ(client().Get(PathOf(t)).headers["ETag"], "\"2\"");
}

TEST_F(TicketsApiTest, CommentsAreListedOldestFirst) {
  const json ada = CreateCustomer("Ada");
  const json t = CreateTicket(ada);
  HttpResponse first = client().Post(PathOf(t) + "/comments", {{"body", "  Looking into it "}});
  ASSERT_EQ(first.status, 201) << first;
  const json c = first.json();
  EXPECT_EQ(c["body"], "Looking into it");
  EXPECT_EQ(c["author"], json({{"kind", "user"}, {"id", admin().id}}));
  EXPECT_EQ(c.size(), 4u);  // id, body, author, created_at
  EXPECT_TRUE(c["created_at"].is_string());
  As(agent());
  for (int i = 0; i < 4; ++i) Created(PathOf(t) + "/comments", {{"body", "Update " + std::to_string(i)}});

  const std::vector<json> all = AllPages(PathOf(t) + "/comments?limit=2");
  ASSERT_EQ(all.size(), 5u);
  EXPECT_EQ(all[0], c);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(all[i + 1]["body"], "Update " + std::to_string(i));
    EXPECT_EQ(all[i + 1]["author"]["id"], agent().id);
  }
  EXPECT_EQ(client().Get(PathOf(t) + "/comments?include_total=true").json()["total"], 5);
  // A comment is not an edit of the ticket.
  EXPECT_EQ(client().Get(PathOf(t)).headers["ETag"], "\"1\"");

  for (const json& body : {json::object(), json{{"body", ""}}, json{{"body", nullptr}},
                           json{{"body", 3}}, json{{"body", "x"}, {"author", "me"}}}) {
    HttpResponse bad = client().Post(PathOf(t) + "/comments", body);
    EXPECT_EQ(bad.status, 422) << body.dump() << "\n" << bad;
  }
  // Newest first on request.
  std::vector<json> newest = AllPages(PathOf(t) + "/comments?sort=-created_at&limit=3");
  std::reverse(newest.begin(), newest.end());
  EXPECT_EQ(newest, all);
  EXPECT_EQ(client().Get(PathOf(t) + "/comments?sort=body").status, 400);
  EXPECT_EQ(client().Get(PathOf(t) + "/comments?limit=1000").status, 400);
  EXPECT_EQ(AllPages(PathOf(t) + "/comments").size(), 5u);
}

TEST_F(TicketsApiTest, FiltersAndSorting) {
  const json ada = CreateCustomer("Ada");
  const json bob = CreateCustomer("Bob");
  CreateTicket(ada, {{"title", "Low one"}, {"priority", "low"}});
  CreateTicket(ada, {{"title", "Urgent one"}, {"priority", "urgent"}, {"assignee_id", agent().id}});
  const json high = CreateTicket(bob, {{"title", "High one"}, {"priority", "high"},
                                       {"description", "The WIDGET squeaks"}});
  CreateTicket(bob, {{"title", "Normal one"}, {"status", "in_progress"}});
  ASSERT_EQ(Act(high, "resolve").status, 200);

  using Set = std::set<std::string>;
  EXPECT_EQ(Titles("/api/v1/tickets?customer_id=" + ada["id"].get<std::string>()),
            (Set{"Low one", "Urgent one"}));
  EXPECT_EQ(Titles("/api/v1/tickets?status=open,in_progress"),
            (Set{"Low one", "Urgent one", "Normal one"}));
  EXPECT_EQ(Titles("/api/v1/tickets?status=resolved"), Set{"High one"});
  EXPECT_EQ(Titles("/api/v1/tickets?priority=high,urgent"), (Set{"Urgent one", "High one"}));
  EXPECT_EQ(Titles("/api/v1/tickets?assignee_id=" + agent().id), Set{"Urgent one"});
  EXPECT_EQ(Titles("/api/v1/tickets?q=widget"), Set{"High one"});
  EXPECT_EQ(Titles("/api/v1/tickets?q=ONE&priority=low"), Set{"Low one"});
  EXPECT_EQ(Titles("/api/v1/tickets?created_after=2000-01-01&created_before=2999-01-01").size(), 4u);

  // Priority and status sort by rank, not by name.
  std::vector<std::string> by_priority;
  for (const json& row : AllPages("/api/v1/tickets?sort=-priority&limit=1")) by_priority.push_back(row["title"]);
  EXPECT_EQ(by_priority, (std::vector<std::string>{"Urgent one", "High one", "Normal one", "Low one"}));
  std::vector<std::string> by_status;
  for (const json& row : AllPages("/api/v1/tickets?sort=status,priority&limit=3")) by_status.push_back(row["title"]);
  EXPECT_EQ(by_status, (std::vector<std::string>{"Low one", "Urgent one", "Normal one", "High one"}));
  EXPECT_EQ(AllPages("/api/v1/tickets?sort=resolved_at&limit=2").back()["title"], "High one");

  struct Case {
    std::string query;
    std::string parameter;
  };
  const Case cases[] = {
      {"status=pending", "status"},   {"priority=p1", "priority"},
      {"customer_id=x", "customer_id"}, {"assignee_id=me", "assignee_id"},
      {"created_after=today", "created_after"}, {"sort=title", "sort"},
      {"limit=-1", "limit"},          {"cursor=%%%", "cursor"},
  };
  for (const Case& c : cases) {
    HttpResponse response = client().Get("/api/v1/tickets?" + c.query);
    EXPECT_EQ(response.status, 400) << c.query << "\n" << response;
    if (response.status == 400 && c.parameter != "cursor") {
      EXPECT_EQ(ErrorFields(response), std::set<std::string>{c.parameter}) << c.query;
    }
  }
}

TEST_F(TicketsApiTest, AgentsSeeTicketsOfCustomersTheySeeAndAssignOnlyThemselves) {
  As(agent());
  const json mine = CreateCustomer("Mine");
  const json t = CreateTicket(mine);
  EXPECT_TRUE(t["assignee_id"].is_null());  // unassigned until someone takes it
  HttpResponse give = client().Patch(PathOf(t), {{"assignee_id", other_agent().id}});
  EXPECT_EQ(give.status, 403) << give;
  HttpResponse take = client().Patch(PathOf(t), {{"assignee_id", agent().id}});
  ASSERT_EQ(take.status, 200) << take;
  EXPECT_EQ(take.json()["assignee_id"], agent().id);
  EXPECT_EQ(client().Post("/api/v1/tickets", {{"customer_id", mine["id"]}, {"title", "x"},
                                              {"assignee_id", manager().id}}).status,
            403);
  EXPECT_EQ(client().Delete(PathOf(t)).status, 403);

  As(other_agent());
  EXPECT_EQ(client().Get(PathOf(t)).status, 404);
  EXPECT_EQ(client().Patch(PathOf(t), {{"title", "x"}}).status, 404);
  EXPECT_EQ(Act(t, "resolve").status, 404);
  EXPECT_EQ(Act(t, "reopen").status, 404);
  EXPECT_EQ(client().Delete(PathOf(t)).status, 404);
  EXPECT_EQ(client().Get(PathOf(t) + "/comments").status, 404);
  EXPECT_EQ(client().Post(PathOf(t) + "/comments", {{"body", "psst"}}).status, 404);
  EXPECT_EQ(Titles("/api/v1/tickets"), std::set<std::string>{});
  HttpResponse hidden = client().Post("/api/v1/tickets", {{"customer_id", mine["id"]}, {"title", "x"}});
  EXPECT_EQ(hidden.status, 422) << hidden;
  EXPECT_EQ(ErrorFields(hidden), std::set<std::string>{"customer_id"});

  As(manager());
  ASSERT_EQ(client().Post(PathOf(t) + "/comments", {{"body", "Managed"}}).status, 201);
  EXPECT_EQ(client().Patch(PathOf(t), {{"assignee_id", other_agent().id}}).status, 200);
  EXPECT_EQ(client().Delete(PathOf(t), {{"If-Match", "\"1\""}}).status, 412);
  EXPECT_EQ(client().Delete(PathOf(t)).status, 204);
  EXPECT_EQ(client().Get(PathOf(t)).status, 404);
  EXPECT_EQ(client().Get(PathOf(t) + "/comments").status, 404);
}

TEST_F(TicketsApiTest, DeletingAnInteractionUnlinksItsTickets) {
  const json ada = CreateCustomer("Ada");
  const json call = Created("/api/v1/interactions",
                            {{"customer_id", ada["id"]}, {"type", "call"}, {"title", "Call"}});
  const json t = CreateTicket(ada, {{"interaction_id", call["id"]}});
  ASSERT_EQ(client().Delete(PathOf(call, "/api/v1/interactions/")).status, 204);
  HttpResponse got = client().Get(PathOf(t));
  ASSERT_EQ(got.status, 200);
  EXPECT_TRUE(got.json()["interaction_id"].is_null());
  // And a PATCH may link one of the customer's interactions, never another customer's.
  const json other = Created("/api/v1/interactions",
                             {{"customer_id", CreateCustomer("Bob")["id"]}, {"type", "call"}, {"title", "B"}});
  HttpResponse foreign = client().Patch(PathOf(t), {{"interaction_id", other["id"]}});
  EXPECT_EQ(foreign.status, 422) << foreign;
  EXPECT_EQ(ErrorFields(foreign), std::set<std::string>{"interaction_id"});
  const json own = Created("/api/v1/interactions",
                           {{"customer_id", ada["id"]}, {"type", "email"}, {"title", "E"}});
  EXPECT_EQ(client().Patch(PathOf(t), {{"interaction_id", own["id"]}}).json()["interaction_id"], own["id"]);
}

TEST_F(TicketsApiTest, ErasingTheCustomerErasesTicketsCommentsAndInteractions) {
  const json ada = CreateCustomer("Ada", {{"email", "ada@example.com"}});
  const json bob = CreateCustomer("Bob");
  const json call = Created("/api/v1/interactions",
                            {{"customer_id", ada["id"]}, {"type", "call"}, {"title", "Call"}});
  const json t = CreateTicket(ada, {{"interaction_id", call["id"]}});
  Created(PathOf(t) + "/comments", {{"body", "Personal data"}});
  const json kept = CreateTicket(bob, {{"title", "Bob's"}});
  Created(PathOf(kept) + "/comments", {{"body", "Bob's comment"}});

  ASSERT_EQ(client().Delete(CustomerPath(ada)).status, 204);
  EXPECT_EQ(client().Get(PathOf(t)).status, 404);
  EXPECT_EQ(client().Get(PathOf(t) + "/comments").status, 404);
  EXPECT_EQ(client().Get(PathOf(call, "/api/v1/interactions/")).status, 404);
  EXPECT_EQ(Titles("/api/v1/tickets"), std::set<std::string>{"Bob's"});
  EXPECT_EQ(client().Get("/api/v1/interactions?include_total=true").json()["total"], 0);
  EXPECT_EQ(AllPages(PathOf(kept) + "/comments").size(), 1u);
  // A new customer with the same email starts with nothing.
  const json again = CreateCustomer("Ada", {{"email", "ada@example.com"}});
  EXPECT_EQ(Titles("/api/v1/tickets?customer_id=" + again["id"].get<std::string>()), std::set<std::string>{});
}

TEST_F(TicketsApiTest, RequiresAStaffTokenAndCreatesOncePerIdempotencyKey) {
  const json ada = CreateCustomer("Ada");
  const json body = {{"customer_id", ada["id"]}, {"title", "Once"}};
  HttpResponse first = client().Post("/api/v1/tickets", body, {{"Idempotency-Key", "ticket-1"}});
  HttpResponse retry = client().Post("/api/v1/tickets", body, {{"Idempotency-Key", "ticket-1"}});
  ASSERT_EQ(first.status, 201);
  EXPECT_EQ(retry.json()["id"], first.json()["id"]);
  EXPECT_EQ(client().Get("/api/v1/tickets?include_total=true").json()["total"], 1);
  client().SetToken("");
  EXPECT_EQ(client().Get("/api/v1/tickets").status, 401);
  EXPECT_EQ(client().Post("/api/v1/tickets", body).status, 401);
  EXPECT_EQ(client().Post(PathOf(first.json()) + "/resolve").status, 401);
}

}  // namespace
}  // namespace rapport::testing
