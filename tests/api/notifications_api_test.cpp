// Notifications and reminders against the real server: the list and read marks, reminders
// on the job queue (moved, dropped, kept across a restart, exactly once with two processes),
// notifications of ticket assignment, email copies for users who opted in, and the live
// stream (Server-Sent Events).

#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "api/fixtures.hpp"
#include "api/harness.hpp"
#include "api/sse_client.hpp"

namespace rapport::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr char kUnknownId[] = "01890a5d-ac96-774b-bcce-b302099a8057";
constexpr char kSecret[] = "notifications-test-secret-0123456789abcdef";

bool WaitUntil(const std::function<bool()>& done, std::chrono::seconds timeout = 30s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return done();
    std::this_thread::sleep_for(50ms);
  }
  return true;
}

// RFC 3339 (seconds, UTC) of now + `offset`.
std::string At(std::chrono::seconds offset) {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now() + offset);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

class NotificationsApiTest : public StaffApiTest {
 protected:
  ServerOptions MakeServerOptions() const override {
    ServerOptions options = StaffApiTest::MakeServerOptions();
    options.env["RAPPORT_JWT_SECRET"] = kSecret;
    options.env["RAPPORT_SSE_HEARTBEAT"] = "1";
    return options;
  }

  json CreateCustomer(const std::string& name, const json& extra = json::object()) {
    json body = {{"name", name}};
    body.update(extra);
    return Created("/api/v1/customers", body);
  }
  // A planned meeting of `customer` at now + `in`, reminded `remind` minutes before.
  json PlanMeeting(const json& customer, std::chrono::seconds in, int remind,
                   const std::string& title = "Quarterly review") {
    return Created("/api/v1/interactions", {{"customer_id", customer["id"]},
                                            {"type", "meeting"},
                                            {"title", title},
                                            {"status", "planned"},
                                            {"scheduled_at", At(in)},
                                            {"remind_before_minutes", remind}});
  }
  // The notifications of the client's current user (every page).
  std::vector<json> Notifications(const std::string& query = "") {
    return AllPages("/api/v1/notifications" + query);
  }
  std::vector<json> NotificationsAbout(const std::string& subject_id) {
    std::vector<json> found;
    for (const json& n : Notifications()) {
      if (n["subject"]["id"] == subject_id) found.push_back(n);
    }
    return found;
  }
  // The reminder jobs (admin view), queued ones only unless `status` says otherwise.
  std::vector<json> ReminderJobs(const std::string& interaction_id,
                                 const std::string& status = "queued") {
    const std::string saved = current_token_;
    client().SetToken(admin().token);
    std::vector<json> jobs;
    for (const json& job : AllPages("/api/v1/jobs?kind=notification.reminder&status=" + status)) {
      if (job["payload"]["interaction_id"] == interaction_id) jobs.push_back(job);
    }
    client().SetToken(saved);
    return jobs;
  }
  void Act(const Staff& staff) {
    current_token_ = staff.token;
    As(staff);
  }

  std::string current_token_;
};

TEST_F(NotificationsApiTest, AReminderFiresForAMeetingWithinItsLeadTime) {
  Act(agent());
  const json customer = CreateCustomer("Ada Lovelace", {{"owner_id", agent().id}});
  // Due already: the meeting is 2 minutes away and wants a reminder 15 minutes before.
  const json meeting = PlanMeeting(customer, 120s, 15);
  ASSERT_TRUE(WaitUntil([&] { return !NotificationsAbout(meeting["id"]).empty(); }));
  const std::vector<json> found = NotificationsAbout(meeting["id"]);
  ASSERT_EQ(found.size(), 1u);
  const json& n = found[0];
  EXPECT_EQ(n["kind"], "reminder");
  EXPECT_EQ(n["user_id"], agent().id);
  EXPECT_EQ(n["subject"], json({{"kind", "interaction"}, {"id", meeting["id"]}}));
  EXPECT_EQ(n["event_time"], meeting["scheduled_at"]);
  EXPECT_TRUE(n["read_at"].is_null());
  EXPECT_NE(n["message"].get<std::string>().find("Quarterly review"), std::string::npos) << n;
  EXPECT_NE(n["message"].get<std::string>().find("Ada Lovelace"), std::string::npos) << n;
  for (const char* field : {"id", "created_at", "notified_at"}) EXPECT_TRUE(n.contains(field)) << field;
  // Only the interaction's user is told.
  Act(other_agent());
  EXPECT_TRUE(NotificationsAbout(meeting["id"]).empty());
  Act(admin());
  EXPECT_TRUE(NotificationsAbout(meeting["id"]).empty());
}

TEST_F(NotificationsApiTest, AFarMeetingGetsAJobAtItsReminderTimeAndNothingYet) {
  Act(agent());
  const json customer = CreateCustomer("Grace Hopper", {{"owner_id", agent().id}});
  const json meeting = PlanMeeting(customer, 3h, 30);
  std::vector<json> jobs = ReminderJobs(meeting["id"]);
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0]["payload"]["scheduled_at"], meeting["scheduled_at"]);
  // run_at = scheduled_at - 30 minutes (seconds precision; the clock moved at most a little).
  EXPECT_EQ(jobs[0]["run_at"].get<std::string>().substr(0, 16), At(3h - 30min).substr(0, 16))
      << jobs[0];
  EXPECT_TRUE(NotificationsAbout(meeting["id"]).empty());
  // A call, a done meeting or one in the past wants no reminder.
  const json done = Created("/api/v1/interactions", {{"customer_id", customer["id"]},
                                                     {"type", "call"},
                                                     {"title", "Logged call"},
                                                     {"status", "done"},
                                                     {"scheduled_at", At(-1h)}});
  const json past = PlanMeeting(customer, -10min, 15, "Missed meeting");
  EXPECT_TRUE(ReminderJobs(done["id"]).empty());
  EXPECT_TRUE(ReminderJobs(past["id"]).empty());
}

TEST_F(NotificationsApiTest, ReschedulingMovesTheReminderAndCancellingDropsIt) {
  Act(agent());
  const json customer = CreateCustomer("Alan Turing", {{"owner_id", agent().id}});
  const json meeting = PlanMeeting(customer, 3h, 15);
  const std::string path = "/api/v1/interactions/" + meeting["id"].get<std::string>();
  ASSERT_EQ(ReminderJobs(meeting["id"]).size(), 1u);

  // Moved later: one queued job, for the new time.
  HttpResponse moved = client().Patch(path, {{"scheduled_at", At(5h)}});
  ASSERT_EQ(moved.status, 200) << moved;
  std::vector<json> jobs = ReminderJobs(meeting["id"]);
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0]["payload"]["scheduled_at"], moved.json()["scheduled_at"]);
  EXPECT_EQ(jobs[0]["run_at"].get<std::string>().substr(0, 16), At(5h - 15min).substr(0, 16));

  // A longer lead time moves the same job.
  ASSERT_EQ(client().Patch(path, {{"remind_before_minutes", 60}}).status, 200);
  jobs = ReminderJobs(meeting["id"]);
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0]["run_at"].get<std::string>().substr(0, 16), At(4h).substr(0, 16));

  // Cancelled: no job left; planned again: back.
  ASSERT_EQ(client().Patch(path, {{"status", "cancelled"}}).status, 200);
  EXPECT_TRUE(ReminderJobs(meeting["id"]).empty());
  ASSERT_EQ(client().Patch(path, {{"status", "planned"}}).status, 200);
  EXPECT_EQ(ReminderJobs(meeting["id"]).size(), 1u);
  // No reminder wanted (null lead time): dropped.
  ASSERT_EQ(client().Patch(path, {{"remind_before_minutes", nullptr}}).status, 200);
  EXPECT_TRUE(ReminderJobs(meeting["id"]).empty());
  ASSERT_EQ(client().Patch(path, {{"remind_before_minutes", 15}}).status, 200);
  EXPECT_EQ(ReminderJobs(meeting["id"]).size(), 1u);

  // Deleted: dropped.
  ASSERT_EQ(client().Delete(path).status, 204);
  EXPECT_TRUE(ReminderJobs(meeting["id"]).empty());

  // Moved into its lead time: reminded at once, for the new time only.
  const json soon = PlanMeeting(customer, 4h, 15, "Moved closer");
  const std::string soon_path = "/api/v1/interactions/" + soon["id"].get<std::string>();
  HttpResponse closer = client().Patch(soon_path, {{"scheduled_at", At(5min)}});
  ASSERT_EQ(closer.status, 200) << closer;
  ASSERT_TRUE(WaitUntil([&] { return !NotificationsAbout(soon["id"]).empty(); }));
  std::vector<json> found = NotificationsAbout(soon["id"]);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0]["event_time"], closer.json()["scheduled_at"]);
  EXPECT_TRUE(ReminderJobs(soon["id"]).empty());
}

TEST_F(NotificationsApiTest, ACancelledMeetingIsNotRemindedEvenWhenItsJobWasDue) {
  Act(agent());
  const json customer = CreateCustomer("Edsger Dijkstra", {{"owner_id", agent().id}});
  // Created cancelled right away: no job at all; and one due soon then cancelled.
  const json meeting = PlanMeeting(customer, 3h, 15);
  const std::string path = "/api/v1/interactions/" + meeting["id"].get<std::string>();
  ASSERT_EQ(client().Patch(path, {{"status", "cancelled"}}).status, 200);
  // A second meeting due at once shows the queue runs; the cancelled one stays silent.
  const json other = PlanMeeting(customer, 2min, 15, "Control meeting");
  ASSERT_TRUE(WaitUntil([&] { return !NotificationsAbout(other["id"]).empty(); }));
  EXPECT_TRUE(NotificationsAbout(meeting["id"]).empty());
  EXPECT_TRUE(ReminderJobs(meeting["id"], "done").empty());
}

TEST_F(NotificationsApiTest, ListFiltersAndReadMarks) {
  Act(agent());
  const json customer = CreateCustomer("Barbara Liskov", {{"owner_id", agent().id}});
  std::vector<std::string> meetings;
  for (int i = 0; i < 3; ++i) {
    meetings.push_back(PlanMeeting(customer, 2min + std::chrono::seconds(i), 15,
                                   "Meeting " + std::to_string(i))["id"]);
  }
  ASSERT_TRUE(WaitUntil([&] { return Notifications().size() == 3; }));
  // Newest first by default; include_total; limit and cursor.
  HttpResponse first = client().Get("/api/v1/notifications?limit=2&include_total=true");
  ASSERT_EQ(first.status, 200) << first;
  EXPECT_EQ(first.json()["data"].size(), 2u);
  EXPECT_EQ(first.json()["total"], 3);
  EXPECT_FALSE(first.json()["next_cursor"].is_null());
  std::vector<json> all = Notifications();
  for (std::size_t i = 1; i < all.size(); ++i) {
    EXPECT_GE(all[i - 1]["created_at"].get<std::string>(), all[i]["created_at"].get<std::string>());
  }
  EXPECT_EQ(Notifications("?kind=reminder").size(), 3u);
  EXPECT_EQ(Notifications("?kind=ticket_assigned").size(), 0u);

  // Read one: read_at set, kept on a second read; unread=true leaves it out.
  const std::string id = all[0]["id"];
  HttpResponse read = client().Post("/api/v1/notifications/" + id + "/read");
  ASSERT_EQ(read.status, 200) << read;
  const std::string read_at = read.json()["read_at"];
  EXPECT_FALSE(read_at.empty());
  HttpResponse again = client().Post("/api/v1/notifications/" + id + "/read", json::object());
  ASSERT_EQ(again.status, 200) << again;
  EXPECT_EQ(again.json()["read_at"], read_at);
  HttpResponse got = client().Get("/api/v1/notifications/" + id);
  ASSERT_EQ(got.status, 200) << got;
  EXPECT_EQ(got.json()["read_at"], read_at);
  EXPECT_EQ(Notifications("?unread=true").size(), 2u);
  EXPECT_EQ(Notifications("?unread=false").size(), 3u);

  // Someone else cannot see or mark it.
  Act(other_agent());
  EXPECT_EQ(client().Get("/api/v1/notifications/" + id).status, 404);
  EXPECT_EQ(client().Post("/api/v1/notifications/" + all[1]["id"].get<std::string>() + "/read").status,
            404);
  HttpResponse none = client().Post("/api/v1/notifications/read-all");
  ASSERT_EQ(none.status, 200) << none;
  EXPECT_EQ(none.json()["updated"], 0);
  Act(admin());
  EXPECT_EQ(client().Get("/api/v1/notifications/" + id).status, 404);

  // Read all: the other two.
  Act(agent());
  EXPECT_EQ(Notifications("?unread=true").size(), 2u);
  HttpResponse all_read = client().Post("/api/v1/notifications/read-all");
  ASSERT_EQ(all_read.status, 200) << all_read;
  EXPECT_EQ(all_read.json()["updated"], 2);
  EXPECT_TRUE(Notifications("?unread=true").empty());
  EXPECT_EQ(client().Post("/api/v1/notifications/read-all").json()["updated"], 0);
}

TEST_F(NotificationsApiTest, BadInputIsRefusedAndChangesNothing) {
  Act(agent());
  for (const char* query : {"unread=maybe", "kind=birthday", "limit=0", "limit=501", "sort=title",
                            "cursor=%%%"}) {
    HttpResponse response = client().Get(std::string("/api/v1/notifications?") + query);
    EXPECT_EQ(response.status, 400) << query << "\n" << response;
    EXPECT_EQ(response.headers["Content-Type"], "application/problem+json") << query;
  }
  HttpResponse named = client().Get("/api/v1/notifications?unread=maybe");
  EXPECT_NE(named.json().dump().find("unread"), std::string::npos) << named;
  EXPECT_EQ(client().Get("/api/v1/notifications/not-a-uuid").status, 404);
  EXPECT_EQ(client().Get(std::string("/api/v1/notifications/") + kUnknownId).status, 404);
  EXPECT_EQ(client().Post(std::string("/api/v1/notifications/") + kUnknownId + "/read").status, 404);
  EXPECT_EQ(client().Post("/api/v1/notifications/not-a-uuid/read").status, 404);
  // The actions take no fields.
  HttpResponse unknown = client().Post("/api/v1/notifications/read-all", {{"before", "now"}});
  EXPECT_EQ(unknown.status, 422) << unknown;
  EXPECT_EQ(ErrorFields(unknown), std::set<std::string>{"before"});
  EXPECT_EQ(Raw("POST", "/api/v1/notifications/read-all", "{\"a\":").status, 400);
  EXPECT_EQ(Raw("POST", "/api/v1/notifications/read-all", "[]").status, 422);
  EXPECT_EQ(Raw("POST", "/api/v1/notifications/read-all", "x", "text/plain").status, 415);
  // Bad stream cursor.
  EXPECT_EQ(client().Get("/api/v1/notifications/stream", {{"Last-Event-ID", "nope"}}).status, 400);
  EXPECT_EQ(client().Get("/api/v1/notifications/stream?last_event_id=nope").status, 400);
  // No token.
  Client anonymous(server());
  for (const char* path : {"/api/v1/notifications", "/api/v1/notifications/stream"}) {
    EXPECT_EQ(anonymous.Get(path).status, 401) << path;
  }
  EXPECT_EQ(anonymous.Post("/api/v1/notifications/read-all").status, 401);
}

TEST_F(NotificationsApiTest, AssigningATicketNotifiesTheAssigneeOnce) {
  Act(admin());
  const json customer = CreateCustomer("Ken Thompson", {{"owner_id", agent().id}});
  const json ticket = Created("/api/v1/tickets", {{"customer_id", customer["id"]},
                                                  {"title", "Printer on fire"},
                                                  {"priority", "high"}});
  const std::string path = "/api/v1/tickets/" + ticket["id"].get<std::string>();
  ASSERT_EQ(client().Patch(path, {{"assignee_id", agent().id}}).status, 200);
  // Unrelated edits do not notify again.
  ASSERT_EQ(client().Patch(path, {{"priority", "urgent"}}).status, 200);
  Act(agent());
  std::vector<json> found = NotificationsAbout(ticket["id"]);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0]["kind"], "ticket_assigned");
  EXPECT_EQ(found[0]["subject"], json({{"kind", "ticket"}, {"id", ticket["id"]}}));
  EXPECT_NE(found[0]["message"].get<std::string>().find("Printer on fire"), std::string::npos);
  // Taking a ticket yourself tells nobody.
  Act(admin());
  ASSERT_EQ(client().Patch(path, {{"assignee_id", admin().id}}).status, 200);
  EXPECT_TRUE(NotificationsAbout(ticket["id"]).empty());
  // Given back to the agent: a new assignment, a new notification.
  ASSERT_EQ(client().Patch(path, {{"assignee_id", agent().id}}).status, 200);
  Act(agent());
  EXPECT_EQ(NotificationsAbout(ticket["id"]).size(), 2u);
}

TEST_F(NotificationsApiTest, UsersWhoOptedInGetAnEmailCopy) {
  Act(agent());
  HttpResponse opted = client().Patch("/api/v1/auth/me", {{"notify_by_email", true}});
  ASSERT_EQ(opted.status, 200) << opted;
  const json customer = CreateCustomer("Donald Knuth", {{"owner_id", agent().id}});
  const json meeting = PlanMeeting(customer, 2min, 15, "Art of review");
  ASSERT_TRUE(WaitUntil([&] { return !NotificationsAbout(meeting["id"]).empty(); }));
  const json n = NotificationsAbout(meeting["id"])[0];
  EXPECT_FALSE(n["notified_at"].is_null()) << n;
  // The copy is a system email to the agent (admins see system mail).
  Act(admin());
  bool found = false;
  ASSERT_TRUE(WaitUntil([&] {
    for (const json& email : AllPages("/api/v1/emails?q=" + UrlEncode("Art of review"))) {
      if (email["to"] == "agent@example.com") found = true;
    }
    return found;
  }));
  // The other agent did not opt in: a reminder, no email.
  Act(other_agent());
  const json theirs = CreateCustomer("Niklaus Wirth", {{"owner_id", other_agent().id}});
  const json quiet = PlanMeeting(theirs, 2min, 15, "Quiet review");
  ASSERT_TRUE(WaitUntil([&] { return !NotificationsAbout(quiet["id"]).empty(); }));
  Act(admin());
  EXPECT_TRUE(AllPages("/api/v1/emails?q=" + UrlEncode("Quiet review")).empty());
}

TEST_F(NotificationsApiTest, TheStreamPushesNewNotificationsAndReplaysAfterLastEventId) {
  Act(agent());
  const json customer = CreateCustomer("Margaret Hamilton", {{"owner_id", agent().id}});
  SseClient stream(server().port(), "/api/v1/notifications/stream",
                   {{"Authorization", "Bearer " + agent().token}});
  ASSERT_EQ(stream.Status(), 200) << stream.head();
  EXPECT_NE(stream.head().find("text/event-stream"), std::string::npos) << stream.head();
  const json meeting = PlanMeeting(customer, 2min, 15, "Apollo review");
  std::optional<SseEvent> event = stream.Next(30s);
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(event->event, "notification");
  const json pushed = json::parse(event->data);
  EXPECT_EQ(pushed["subject"]["id"], meeting["id"]);
  EXPECT_EQ(event->id, pushed["id"]);
  // Idle streams get heartbeats.
  EXPECT_FALSE(stream.Next(2500ms).has_value());
  EXPECT_TRUE(stream.TakeHeartbeat());
  // Pushed marks it notified.
  ASSERT_TRUE(WaitUntil([&] {
    return !client().Get("/api/v1/notifications/" + event->id).json()["notified_at"].is_null();
  }));

  // A second meeting, then a reconnect after the first event's id: only the second.
  const json second = PlanMeeting(customer, 3min, 15, "Second review");
  std::optional<SseEvent> next = stream.Next(30s);
  ASSERT_TRUE(next.has_value());
  stream.Close();
  SseClient replay(server().port(), "/api/v1/notifications/stream",
                   {{"Authorization", "Bearer " + agent().token}, {"Last-Event-ID", event->id}});
  std::optional<SseEvent> replayed = replay.Next(30s);
  ASSERT_TRUE(replayed.has_value());
  EXPECT_EQ(json::parse(replayed->data)["subject"]["id"], second["id"]);
  EXPECT_FALSE(replay.Next(1500ms).has_value());  // nothing else, the first is not resent

  // Another user's stream hears nothing of it.
  SseClient theirs(server().port(), "/api/v1/notifications/stream",
                   {{"Authorization", "Bearer " + other_agent().token}});
  ASSERT_EQ(theirs.Status(), 200);
  PlanMeeting(customer, 4min, 15, "Third review");
  ASSERT_TRUE(replay.Next(30s).has_value());
  EXPECT_FALSE(theirs.Next(1500ms).has_value());
}

// The gauge of open streams, read from /metrics.
int OpenStreams(Client& client) {
  HttpResponse metrics = client.Get("/metrics");
  const std::string key = "\nrapport_notification_streams ";
  const auto at = metrics.body.find(key);
  if (at == std::string::npos) return -1;
  return std::stoi(metrics.body.substr(at + key.size()));
}

class NotificationStreamLimitsApiTest : public NotificationsApiTest {
 protected:
  ServerOptions MakeServerOptions() const override {
    ServerOptions options = NotificationsApiTest::MakeServerOptions();
    options.env["RAPPORT_SSE_MAX_STREAMS_PER_USER"] = "2";
    options.env["RAPPORT_SSE_MAX_STREAMS"] = "3";
    return options;
  }
};

TEST_F(NotificationStreamLimitsApiTest, ClientsThatLeaveFreeTheirPlacesAndLimitsHold) {
  Act(agent());
  Client metrics(server());
  const std::map<std::string, std::string> as_agent = {{"Authorization", "Bearer " + agent().token}};
  {
    SseClient a(server().port(), "/api/v1/notifications/stream", as_agent);
    SseClient b(server().port(), "/api/v1/notifications/stream", as_agent);
    ASSERT_EQ(a.Status(), 200);
    ASSERT_EQ(b.Status(), 200);
    SseClient c(server().port(), "/api/v1/notifications/stream", as_agent);
    EXPECT_EQ(c.Status(), 429) << c.head();
    SseClient d(server().port(), "/api/v1/notifications/stream",
                {{"Authorization", "Bearer " + other_agent().token}});
    EXPECT_EQ(d.Status(), 200);
    SseClient e(server().port(), "/api/v1/notifications/stream",
                {{"Authorization", "Bearer " + manager().token}});
    EXPECT_EQ(e.Status(), 503) << e.head();
    EXPECT_EQ(OpenStreams(metrics), 3);
  }  // every client hangs up
  ASSERT_TRUE(WaitUntil([&] { return OpenStreams(metrics) == 0; })) << OpenStreams(metrics);
  // Many clients that connect and vanish at once leave nothing behind. A client that left is
  // noticed at the next write (a heartbeat), so until then its place is taken: 429.
  for (int i = 0; i < 20; ++i) {
    SseClient gone(server().port(), "/api/v1/notifications/stream", as_agent);
    if (i % 2 == 0) {
      const int status = gone.Status();
      EXPECT_TRUE(status == 200 || status == 429) << status << "\n" << gone.head();
    }
  }
  ASSERT_TRUE(WaitUntil([&] { return OpenStreams(metrics) == 0; })) << OpenStreams(metrics);
  SseClient again(server().port(), "/api/v1/notifications/stream", as_agent);
  EXPECT_EQ(again.Status(), 200);
  EXPECT_EQ(client().Get("/healthz").status, 200);
  // Stopping the server with a stream open ends it and exits cleanly.
  EXPECT_EQ(server().Stop(), 0);
}

TEST_F(NotificationsApiTest, AReminderDueWhileTheServerIsDownFiresAfterARestart) {
  Act(agent());
  const json customer = CreateCustomer("Frances Allen", {{"owner_id", agent().id}});
  // Due 6 seconds from now (meeting in 66 s, reminded 1 minute before).
  const json meeting = PlanMeeting(customer, 66s, 1, "Restart review");
  ASSERT_EQ(ReminderJobs(meeting["id"]).size(), 1u);
  server().Kill();  // no clean shutdown
  std::this_thread::sleep_for(7s);  // the reminder falls due while nobody runs
  server().Restart();
  ASSERT_TRUE(WaitUntil([&] { return !NotificationsAbout(meeting["id"]).empty(); }, 60s));
  EXPECT_EQ(NotificationsAbout(meeting["id"]).size(), 1u);
  // Killed again right after it fired, then restarted: still one.
  server().Kill();
  server().Restart();
  std::this_thread::sleep_for(2s);
  EXPECT_EQ(NotificationsAbout(meeting["id"]).size(), 1u);
}

// Two `rapport serve` processes on one PostgreSQL database.
class TwoNodeNotificationsApiTest : public NotificationsApiTest {
 protected:
  void SetUp() override {
    if (CurrentEngine() != Engine::kPostgres) GTEST_SKIP() << "two nodes need PostgreSQL";
    NotificationsApiTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ServerOptions options = MakeServerOptions();
    options.db_url = server().db_url();
    second_.emplace(options);
  }
  std::optional<Server> second_;
};

TEST_F(TwoNodeNotificationsApiTest, EachReminderIsCreatedExactlyOnce) {
  Act(agent());
  const json customer = CreateCustomer("Leslie Lamport", {{"owner_id", agent().id}});
  Client other(*second_);
  other.SetToken(agent().token);
  // Half the meetings made on each node, all due at once or within seconds.
  std::set<std::string> ids;
  for (int i = 0; i < 30; ++i) {
    json body = {{"customer_id", customer["id"]}, {"type", "meeting"},
                 {"title", "Paxos " + std::to_string(i)}, {"status", "planned"},
                 {"scheduled_at", At(60s + std::chrono::seconds(i % 5))},
                 {"remind_before_minutes", 1}};
    HttpResponse created = (i % 2 == 0 ? client() : other).Post("/api/v1/interactions", body);
    ASSERT_EQ(created.status, 201) << created;
    ids.insert(created.json()["id"]);
  }
  ASSERT_TRUE(WaitUntil([&] { return Notifications().size() >= ids.size(); }, 60s));
  std::this_thread::sleep_for(2s);  // any duplicate would have shown up by now
  std::map<std::string, int> per_interaction;
  for (const json& n : Notifications()) ++per_interaction[n["subject"]["id"]];
  EXPECT_EQ(per_interaction.size(), ids.size());
  for (const auto& [id, count] : per_interaction) {
    EXPECT_TRUE(ids.contains(id)) << id;
    EXPECT_EQ(count, 1) << id;
  }
  // Both nodes show the same list.
  std::vector<json> seen_by_other;
  HttpResponse list = other.Get("/api/v1/notifications?limit=500");
  ASSERT_EQ(list.status, 200) << list;
  EXPECT_EQ(list.json()["data"].size(), ids.size());
}

TEST_F(TwoNodeNotificationsApiTest, AStreamOnOneNodeHearsANotificationMadeOnTheOther) {
  Act(admin());
  const json customer = CreateCustomer("Barbara Simons", {{"owner_id", agent().id}});
  SseClient stream(second_->port(), "/api/v1/notifications/stream",
                   {{"Authorization", "Bearer " + agent().token}});
  ASSERT_EQ(stream.Status(), 200) << stream.head();
  const json ticket = Created("/api/v1/tickets", {{"customer_id", customer["id"]},
                                                  {"title", "Cross-node ticket"},
                                                  {"assignee_id", agent().id}});
  std::optional<SseEvent> event = stream.Next(30s);
  ASSERT_TRUE(event.has_value());
  const json pushed = json::parse(event->data);
  EXPECT_EQ(pushed["kind"], "ticket_assigned");
  EXPECT_EQ(pushed["subject"]["id"], ticket["id"]);
}

}  // namespace
}  // namespace rapport::testing
