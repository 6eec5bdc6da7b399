// Campaigns: the real binary sending to a real SMTP server on loopback (aiosmtpd): drafts,
// states, audiences, personalisation, the communication log, statistics from tracking, and
// a server killed mid-send that resumes without sending anyone a second message.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "api/fixtures.hpp"
#include "api/harness.hpp"
#include "api/smtp_fixture.hpp"

namespace rapport::testing {
namespace {

using nlohmann::json;

constexpr char kPublicUrl[] = "https://crm.example.test";

bool Eventually(const std::function<bool()>& done,
                std::chrono::milliseconds timeout = std::chrono::seconds(90)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

json Rules(const std::string& field, const std::string& op, const json& value) {
  return {{"logic", "and"}, {"rules", json::array({{{"field", field}, {"op", op}, {"value", value}}})}};
}

class CampaignApiTest : public StaffApiTest {
 protected:
  void SetUp() override {
    smtp_ = std::make_unique<SmtpFixture>();
    StaffApiTest::SetUp();
  }

  virtual std::string Rate() const { return "0"; }

  ServerOptions MakeServerOptions() const override {
    ServerOptions options = StaffApiTest::MakeServerOptions();
    for (const auto& [key, value] : smtp_->ServerEnv()) options.env[key] = value;
    options.env["RAPPORT_PUBLIC_URL"] = kPublicUrl;
    options.env["RAPPORT_CAMPAIGN_RATE"] = Rate();
    options.env["RAPPORT_JOB_LEASE_MS"] = "3000";
    options.env["RAPPORT_JOB_POLL_MS"] = "100";
    return options;
  }

  SmtpFixture& smtp() { return *smtp_; }

  json Customer(const std::string& name, const std::string& email, const json& extra = {}) {
    json body = {{"name", name}};
    if (!email.empty()) body["email"] = email;
    for (const auto& [k, v] : extra.items()) body[k] = v;
    return Created("/api/v1/customers", body);
  }

  json Draft(const json& overrides = json::object()) {
    json body = {{"name", "Spring sale"},
                 {"subject", "Hello {{first_name}}"},
                 {"body", "Dear {{name}} of {{company}}, plan {{attributes.plan}}."},
                 {"rules", Rules("tags", "contains", "vip")}};
    for (const auto& [k, v] : overrides.items()) {
      if (v.is_null()) {
        body.erase(k);
      } else {
        body[k] = v;
      }
    }
    return Created("/api/v1/campaigns", body);
  }

  static std::string Path(const json& campaign, const std::string& rest = "") {
    return "/api/v1/campaigns/" + campaign["id"].get<std::string>() + rest;
  }

  json Get(const json& campaign) {
    HttpResponse response = client().Get(Path(campaign));
    EXPECT_EQ(response.status, 200) << response;
    return response.status == 200 ? response.json() : json::object();
  }

  json WaitForStatus(const json& campaign, const std::string& status) {
    json last;
    Eventually([&] {
      last = Get(campaign);
      return last["status"] == status;
    });
    EXPECT_EQ(last["status"], status) << last.dump(2);
    return last;
  }

  std::vector<json> Log(const json& campaign, const std::string& query = "") {
    return AllPages(Path(campaign, "/log") + query);
  }

  // The messages at the sink per recipient address.
  std::map<std::string, int> PerRecipient() {
    std::map<std::string, int> counts;
    for (const ReceivedMail& mail : smtp().Messages()) {
      for (const auto& to : mail.envelope["rcpt_tos"]) counts[to.get<std::string>()] += 1;
    }
    return counts;
  }

 private:
  std::unique_ptr<SmtpFixture> smtp_;
};

TEST_F(CampaignApiTest, SendsPersonalisedTrackedMessagesAndLogsThem) {
  const json grace = Customer("Grace Hopper", "grace@example.org",
                              {{"first_name", "Grace"}, {"company", "Navy"}, {"tags", {"vip"}},
                               {"attributes", {{"plan", "gold"}}}});
  const json alan = Customer("Alan Turing", "alan@example.org",
                             {{"first_name", "Alan"}, {"tags", {"vip"}}});
  Customer("Not Vip", "plain@example.org");
  Customer("No Mail", "", {{"tags", {"vip"}}});  // matches, but has no address

  json draft = Draft({{"html", "<p>Hi {{first_name}} <a href=\"https://shop.example/sale\">sale"
                               "</a></p>"}});
  EXPECT_EQ(draft["status"], "draft");
  EXPECT_EQ(draft["channel"], "email");
  EXPECT_EQ(draft["stats"]["audience"], 0);
  EXPECT_TRUE(draft["segment_id"].is_null());

  HttpResponse sent = client().Post(Path(draft, "/send"));
  ASSERT_EQ(sent.status, 202) << sent;
  EXPECT_EQ(sent.json()["status"], "sending");
  EXPECT_EQ(sent.json()["stats"]["audience"], 2);
  EXPECT_EQ(sent.json()["sent_by"], admin().id);

  const json done = WaitForStatus(draft, "sent");
  EXPECT_EQ(done["stats"]["sent"], 2);
  EXPECT_EQ(done["stats"]["failed"], 0);
  EXPECT_EQ(done["stats"]["pending"], 0);
  EXPECT_TRUE(done["finished_at"].is_string());

  auto mails = smtp().WaitForMessages(2);
  ASSERT_EQ(mails.size(), 2u);
  std::map<std::string, const ReceivedMail*> by_to;
  for (const auto& m : mails) by_to[m.envelope["rcpt_tos"][0]] = &m;
  ASSERT_TRUE(by_to.count("grace@example.org"));
  const ReceivedMail& to_grace = *by_to["grace@example.org"];
  EXPECT_EQ(to_grace.Header("Subject"), "Hello Grace");
  EXPECT_NE(to_grace.Part("text/plain").find("Dear Grace Hopper of Navy, plan gold."),
            std::string::npos)
      << to_grace.Part("text/plain");
  const std::string html = to_grace.Part("text/html");
  EXPECT_NE(html.find("Hi Grace"), std::string::npos) << html;
  EXPECT_EQ(html.find("https://shop.example/sale\""), std::string::npos) << "link not tracked";
  EXPECT_EQ(by_to["alan@example.org"]->Header("Subject"), "Hello Alan");
  EXPECT_NE(by_to["alan@example.org"]->Part("text/plain").find("Dear Alan Turing of , plan ."),
            std::string::npos);

  const std::vector<json> log = Log(draft);
  ASSERT_EQ(log.size(), 2u);
  std::set<std::string> customers;
  for (const json& row : log) {
    EXPECT_EQ(row["status"], "SENT") << row.dump();
    EXPECT_TRUE(row["error"].is_null());
    EXPECT_TRUE(row["sent_at"].is_string());
    customers.insert(row["customer_id"]);
    // Each message is an email of the email capability.
    HttpResponse email = client().Get("/api/v1/emails/" + row["email_id"].get<std::string>());
    ASSERT_EQ(email.status, 200) << email;
    EXPECT_EQ(email.json()["status"], "sent");
    EXPECT_EQ(email.json()["to"], row["email"]);
    EXPECT_EQ(email.json()["customer_id"], row["customer_id"]);
  }
  EXPECT_EQ(customers, (std::set<std::string>{grace["id"], alan["id"]}));

  // Opens and clicks through the tracking endpoints show in the stats.
  std::smatch pixel;
  ASSERT_TRUE(std::regex_search(html, pixel, std::regex(std::string(kPublicUrl) + "(/t/o/[A-Za-z0-9_-]+\\.gif)")))
      << html;
  std::smatch click;
  ASSERT_TRUE(std::regex_search(html, click, std::regex(std::string(kPublicUrl) + "(/t/c/[A-Za-z0-9_-]+)")))
      << html;
  Client anonymous(server());
  EXPECT_EQ(anonymous.Get(pixel[1].str(), {{"User-Agent", "TestMail/1.0"}}).status, 200);
  EXPECT_EQ(anonymous.Get(click[1].str(), {{"User-Agent", "TestMail/1.0"}}).status, 302);
  json stats;
  Eventually([&] {
    stats = Get(draft)["stats"];
    return stats["opened"] == 1 && stats["clicked"] == 1;
  });
  EXPECT_EQ(stats["opened"], 1) << stats.dump();
  EXPECT_EQ(stats["clicked"], 1) << stats.dump();
  EXPECT_EQ(stats["open_rate"].dump(), "0.5");
  EXPECT_EQ(stats["click_rate"].dump(), "0.5");

  // The log filters and pages.
  EXPECT_EQ(Log(draft, "?status=SENT&limit=1").size(), 2u);
  EXPECT_EQ(Log(draft, "?status=failed").size(), 0u);
  EXPECT_EQ(client().Get(Path(draft, "/log?status=bogus")).status, 400);
  EXPECT_EQ(client().Get(Path(draft, "/log?limit=501")).status, 400);
}

TEST_F(CampaignApiTest, SegmentAudienceIsFixedWhenSendingStarts) {
  Customer("Ann", "ann@example.org", {{"status", "customer"}});
  HttpResponse segment = client().Post(
      "/api/v1/segments", {{"name", "Customers"}, {"rules", Rules("status", "=", "customer")}});
  ASSERT_EQ(segment.status, 201) << segment;
  json draft = Draft({{"rules", nullptr}, {"segment_id", segment.json()["id"]}});
  EXPECT_TRUE(draft["rules"].is_null());
  EXPECT_EQ(draft["segment_id"], segment.json()["id"]);
  ASSERT_EQ(client().Post(Path(draft, "/send")).status, 202);
  // A customer added after sending started is not in the audience.
  Customer("Late", "late@example.org", {{"status", "customer"}});
  const json done = WaitForStatus(draft, "sent");
  EXPECT_EQ(done["stats"]["audience"], 1);
  EXPECT_EQ(done["stats"]["sent"], 1);
  EXPECT_EQ(PerRecipient(), (std::map<std::string, int>{{"ann@example.org", 1}}));
}

TEST_F(CampaignApiTest, ErasingACustomerErasesTheirLogRow) {
  const json ann = Customer("Ann", "ann@example.org", {{"tags", {"vip"}}});
  Customer("Bob", "bob@example.org", {{"tags", {"vip"}}});
  json draft = Draft();
  ASSERT_EQ(client().Post(Path(draft, "/send")).status, 202);
  WaitForStatus(draft, "sent");
  ASSERT_EQ(Log(draft).size(), 2u);
  ASSERT_EQ(client().Delete("/api/v1/customers/" + ann["id"].get<std::string>()).status, 204);
  const auto log = Log(draft);
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0]["email"], "bob@example.org");
  const json stats = Get(draft)["stats"];
  EXPECT_EQ(stats["audience"], 2);  // the snapshot's size
  EXPECT_EQ(stats["sent"], 1);
}

TEST_F(CampaignApiTest, SendWithAnIdempotencyKeyIsSentOnce) {
  Customer("Vip", "vip@example.org", {{"tags", {"vip"}}});
  json draft = Draft();
  HttpResponse first = client().Post(Path(draft, "/send"), json::object(),
                                     {{"Idempotency-Key", "send-spring-1"}});
  ASSERT_EQ(first.status, 202) << first;
  HttpResponse again = client().Post(Path(draft, "/send"), json::object(),
                                     {{"Idempotency-Key", "send-spring-1"}});
  EXPECT_EQ(again.status, 202) << again;  // the first answer, replayed
  EXPECT_EQ(again.json()["id"], first.json()["id"]);
  EXPECT_EQ(client().Post(Path(draft, "/send")).status, 409);  // without the key: a new send
  WaitForStatus(draft, "sent");
  EXPECT_EQ(PerRecipient(), (std::map<std::string, int>{{"vip@example.org", 1}}));
}

TEST_F(CampaignApiTest, StateRulesAndIllegalTransitions) {
  Customer("Vip", "vip@example.org", {{"tags", {"vip"}}});
  json draft = Draft();
  // Drafts are editable; If-Match guards them.
  HttpResponse patched = client().Patch(Path(draft), {{"name", "Renamed"}});
  ASSERT_EQ(patched.status, 200) << patched;
  EXPECT_EQ(patched.json()["name"], "Renamed");
  EXPECT_EQ(client().Patch(Path(draft), {{"name", "X"}}, {{"If-Match", "\"1\""}}).status, 412);
  ASSERT_EQ(client().Post(Path(draft, "/send")).status, 202);
  WaitForStatus(draft, "sent");
  // A sent campaign is history.
  EXPECT_EQ(client().Patch(Path(draft), {{"name", "Edited"}}).status, 409);
  EXPECT_EQ(client().Post(Path(draft, "/send")).status, 409);
  HttpResponse cancel = client().Post(Path(draft, "/cancel"));
  EXPECT_EQ(cancel.status, 409) << cancel;
  EXPECT_EQ(cancel.headers["Content-Type"], "application/problem+json");
  EXPECT_EQ(PerRecipient(), (std::map<std::string, int>{{"vip@example.org", 1}}));

  // A cancelled draft cannot be sent or cancelled again; it can be deleted.
  json other = Draft({{"name", "Other"}});
  HttpResponse cancelled = client().Post(Path(other, "/cancel"));
  ASSERT_EQ(cancelled.status, 200) << cancelled;
  EXPECT_EQ(cancelled.json()["status"], "cancelled");
  EXPECT_EQ(client().Post(Path(other, "/send")).status, 409);
  EXPECT_EQ(client().Post(Path(other, "/cancel")).status, 409);
  EXPECT_EQ(client().Patch(Path(other), {{"name", "Again"}}).status, 409);
  EXPECT_EQ(client().Delete(Path(other)).status, 204);
  EXPECT_EQ(client().Get(Path(other)).status, 404);
  // The sent campaign can be deleted too; its emails stay.
  EXPECT_EQ(client().Delete(Path(draft)).status, 204);
  EXPECT_EQ(AllPages("/api/v1/emails").size(), 1u);
}

TEST_F(CampaignApiTest, ScheduledCampaignStartsWhenDueAndCanBeCancelled) {
  Customer("Vip", "vip@example.org", {{"tags", {"vip"}}});
  const std::string soon = [] {
    const auto t = std::chrono::system_clock::now() + std::chrono::seconds(2);
    const std::time_t tt = std::chrono::system_clock::to_time_t(t);
    char buffer[32];
    std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&tt));
    return std::string(buffer);
  }();
  json later = Draft({{"name", "Later"}});
  HttpResponse scheduled = client().Post(Path(later, "/send"), {{"scheduled_at", soon}});
  ASSERT_EQ(scheduled.status, 202) << scheduled;
  EXPECT_EQ(scheduled.json()["status"], "scheduled");
  EXPECT_EQ(scheduled.json()["scheduled_at"], soon);
  EXPECT_EQ(client().Patch(Path(later), {{"name", "Edit"}}).status, 409);
  EXPECT_EQ(client().Delete(Path(later)).status, 409);
  const json done = WaitForStatus(later, "sent");
  EXPECT_EQ(done["stats"]["sent"], 1);

  json never = Draft({{"name", "Never"}, {"scheduled_at", "2999-01-01T00:00:00Z"}});
  HttpResponse queued = client().Post(Path(never, "/send"));
  ASSERT_EQ(queued.status, 202) << queued;
  EXPECT_EQ(queued.json()["status"], "scheduled");
  HttpResponse cancelled = client().Post(Path(never, "/cancel"));
  ASSERT_EQ(cancelled.status, 200) << cancelled;
  EXPECT_EQ(cancelled.json()["status"], "cancelled");
  EXPECT_TRUE(cancelled.json()["cancelled_at"].is_string());
  EXPECT_EQ(Log(never).size(), 0u);
  EXPECT_EQ(PerRecipient(), (std::map<std::string, int>{{"vip@example.org", 1}}));
}

TEST_F(CampaignApiTest, EmptyAudienceIsRefusedAndChangesNothing) {
  Customer("Plain", "plain@example.org");
  Customer("Vip without mail", "", {{"tags", {"vip"}}});
  json draft = Draft();
  HttpResponse refused = client().Post(Path(draft, "/send"));
  ASSERT_EQ(refused.status, 422) << refused;
  EXPECT_EQ(ErrorFields(refused), (std::set<std::string>{"rules"}));
  EXPECT_NE(refused.json()["errors"][0]["message"].get<std::string>().find("audience is empty"),
            std::string::npos);
  EXPECT_EQ(Get(draft)["status"], "draft");
  // Scheduled for later: refused just the same.
  EXPECT_EQ(client().Post(Path(draft, "/send"), {{"scheduled_at", "2999-01-01T00:00:00Z"}}).status,
            422);
  // A deleted segment: 422 naming segment_id.
  HttpResponse segment = client().Post(
      "/api/v1/segments", {{"name", "Gone"}, {"rules", Rules("status", "=", "lead")}});
  ASSERT_EQ(segment.status, 201);
  json on_segment = Draft({{"rules", nullptr}, {"segment_id", segment.json()["id"]}});
  ASSERT_EQ(client().Delete("/api/v1/segments/" + segment.json()["id"].get<std::string>()).status,
            204);
  HttpResponse gone = client().Post(Path(on_segment, "/send"));
  EXPECT_EQ(gone.status, 422) << gone;
  EXPECT_EQ(ErrorFields(gone), (std::set<std::string>{"segment_id"}));
  EXPECT_EQ(Get(on_segment)["status"], "draft");
}

TEST_F(CampaignApiTest, ValidationNamesEveryBadField) {
  const json rules = Rules("status", "=", "lead");
  auto fields_of = [&](const json& body) {
    HttpResponse response = client().Post("/api/v1/campaigns", body);
    EXPECT_EQ(response.status, 422) << body.dump() << "\n" << response;
    return ErrorFields(response);
  };
  using Fields = std::set<std::string>;
  EXPECT_EQ(fields_of(json::object()), (Fields{"name", "subject", "body", "segment_id"}));
  EXPECT_EQ(fields_of({{"name", "A"}, {"subject", "Hi {{nickname}}"}, {"body", "{{first_name"},
                       {"html", "<p>{{total_spend}}</p>"}, {"rules", rules}}),
            (Fields{"subject", "body", "html"}));
  EXPECT_EQ(fields_of({{"name", "A"}, {"subject", "S"}, {"body", "B"}, {"rules", rules},
                       {"segment_id", "0190a5b2-0000-7000-8000-000000000001"}}),
            (Fields{"rules"}));
  EXPECT_EQ(fields_of({{"name", "A"}, {"subject", "S"}, {"body", "B"},
                       {"segment_id", "0190a5b2-0000-7000-8000-000000000001"}}),
            (Fields{"segment_id"}));  // no such segment
  EXPECT_EQ(fields_of({{"name", "A"}, {"subject", "S"}, {"body", "B"}, {"segment_id", "nope"}}),
            (Fields{"segment_id"}));
  EXPECT_EQ(fields_of({{"name", "A"}, {"subject", "S"}, {"body", "B"},
                       {"rules", {{"logic", "and"}, {"rules", {{{"field", "shoe_size"}, {"op", "="}, {"value", 1}}}}}}}),
            (Fields{"rules.rules[0].field"}));
  EXPECT_EQ(fields_of({{"name", "A"}, {"subject", "Two\nlines"}, {"body", "B"}, {"rules", rules},
                       {"channel", "sms"}, {"status", "sent"}, {"stats", {}}, {"id", "x"},
                       {"unknown", 1}, {"scheduled_at", "tomorrow"}}),
            (Fields{"subject", "channel", "status", "stats", "id", "unknown", "scheduled_at"}));
  EXPECT_EQ(fields_of({{"name", 5}, {"subject", true}, {"body", json::array()}, {"rules", "x"}}),
            (Fields{"name", "subject", "body", "rules"}));
  EXPECT_EQ(client().Post("/api/v1/campaigns", json::array()).status, 422);
  HttpResponse malformed = Raw("POST", "/api/v1/campaigns", "{\"name\": ");
  EXPECT_EQ(malformed.status, 400) << malformed;
  EXPECT_EQ(Raw("POST", "/api/v1/campaigns", "name=x", "text/plain").status, 415);

  json draft = Draft();
  auto patch_fields = [&](const json& body) {
    HttpResponse response = client().Patch(Path(draft), body);
    EXPECT_EQ(response.status, 422) << body.dump() << "\n" << response;
    return ErrorFields(response);
  };
  EXPECT_EQ(patch_fields({{"name", nullptr}, {"subject", "{{x}}"}, {"rules", nullptr},
                          {"segment_id", nullptr}, {"audience", 3}}),
            (Fields{"name", "subject", "rules", "segment_id", "audience"}));
  EXPECT_EQ(Get(draft)["name"], "Spring sale");
  // Send with a bad body.
  EXPECT_EQ(client().Post(Path(draft, "/send"), {{"scheduled_at", "soon"}}).status, 422);
  EXPECT_EQ(client().Post(Path(draft, "/send"), {{"when", "now"}}).status, 422);
  EXPECT_EQ(Raw("POST", Path(draft, "/send"), "{oops").status, 400);
  EXPECT_EQ(Get(draft)["status"], "draft");
}

TEST_F(CampaignApiTest, ListsFiltersAndBadParameters) {
  json a = Draft({{"name", "Alpha"}});
  json b = Draft({{"name", "Beta"}});
  ASSERT_EQ(client().Post(Path(b, "/cancel")).status, 200);
  EXPECT_EQ(AllPages("/api/v1/campaigns?limit=1").size(), 2u);
  const auto drafts = AllPages("/api/v1/campaigns?status=draft");
  ASSERT_EQ(drafts.size(), 1u);
  EXPECT_EQ(drafts[0]["id"], a["id"]);
  EXPECT_EQ(AllPages("/api/v1/campaigns?q=bet").size(), 1u);
  const auto by_name = AllPages("/api/v1/campaigns?sort=-name");
  ASSERT_EQ(by_name.size(), 2u);
  EXPECT_EQ(by_name[0]["name"], "Beta");
  HttpResponse total = client().Get("/api/v1/campaigns?include_total=true");
  EXPECT_EQ(total.json()["total"], 2);
  for (const char* bad : {"?status=done", "?sort=subject", "?limit=0", "?cursor=garbage"}) {
    HttpResponse response = client().Get(std::string("/api/v1/campaigns") + bad);
    EXPECT_EQ(response.status, 400) << bad << "\n" << response;
  }
  EXPECT_EQ(client().Get("/api/v1/campaigns/not-a-uuid").status, 404);
  EXPECT_EQ(client().Get("/api/v1/campaigns/0190a5b2-0000-7000-8000-000000000001").status, 404);
  EXPECT_EQ(client().Post("/api/v1/campaigns/0190a5b2-0000-7000-8000-000000000001/send").status,
            404);
  EXPECT_EQ(client().Get("/api/v1/campaigns/0190a5b2-0000-7000-8000-000000000001/log").status,
            404);
}

TEST_F(CampaignApiTest, OnlyAdminsAndManagersWorkWithCampaigns) {
  Customer("Vip", "vip@example.org", {{"tags", {"vip"}}});
  As(manager());
  json draft = Draft();
  EXPECT_EQ(draft["created_by"], manager().id);
  As(agent());
  EXPECT_EQ(client().Get("/api/v1/campaigns").status, 403);
  EXPECT_EQ(client().Get(Path(draft)).status, 403);
  EXPECT_EQ(client()
                .Post("/api/v1/campaigns", {{"name", "Mine"}, {"subject", "S"}, {"body", "B"},
                                            {"rules", Rules("status", "=", "lead")}})
                .status,
            403);
  EXPECT_EQ(client().Patch(Path(draft), {{"name", "Mine"}}).status, 403);
  EXPECT_EQ(client().Post(Path(draft, "/send")).status, 403);
  EXPECT_EQ(client().Post(Path(draft, "/cancel")).status, 403);
  EXPECT_EQ(client().Get(Path(draft, "/log")).status, 403);
  EXPECT_EQ(client().Delete(Path(draft)).status, 403);
  client().SetToken("");
  EXPECT_EQ(client().Get("/api/v1/campaigns").status, 401);
  As(admin());
  EXPECT_EQ(Get(draft)["status"], "draft");
  ASSERT_EQ(client().Post(Path(draft, "/send")).status, 202);
  WaitForStatus(draft, "sent");
}

TEST_F(CampaignApiTest, FailuresAreLoggedPerRecipientWithTheError) {
  Customer("Vip", "vip@example.org", {{"tags", {"vip"}}});
  smtp().SetMode("reject 550");
  json draft = Draft();
  ASSERT_EQ(client().Post(Path(draft, "/send")).status, 202);
  const json done = WaitForStatus(draft, "sent");
  EXPECT_EQ(done["stats"]["failed"], 1);
  EXPECT_EQ(done["stats"]["sent"], 0);
  const auto log = Log(draft, "?status=FAILED");
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0]["error"], "550 5.7.1 Message refused by policy");
  EXPECT_TRUE(log[0]["sent_at"].is_null());

  // A transient failure is retried, and the message goes out once.
  smtp().SetMode("tempfail 1");
  json again = Draft({{"name", "Again"}});
  ASSERT_EQ(client().Post(Path(again, "/send")).status, 202);
  const json retried = WaitForStatus(again, "sent");
  EXPECT_EQ(retried["stats"]["sent"], 1);
  const auto rows = Log(again);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["status"], "SENT");
  EXPECT_EQ(rows[0]["attempts"], 2);
  EXPECT_EQ(smtp().Messages().size(), 1u);
}

// Rate-limited, so the server is killed while the campaign is half sent.
class CampaignCrashApiTest : public CampaignApiTest {
 protected:
  std::string Rate() const override { return "20"; }
};

TEST_F(CampaignCrashApiTest, KilledMidSendResumesWithoutSendingAnyoneTwice) {
  constexpr int kRecipients = 40;
  for (int i = 0; i < kRecipients; ++i) {
    Customer("Vip " + std::to_string(i), "vip" + std::to_string(i) + "@example.org",
             {{"tags", {"vip"}}});
  }
  json draft = Draft();
  ASSERT_EQ(client().Post(Path(draft, "/send")).status, 202);
  // At 20 messages/s the send takes about two seconds: kill it a third of the way through,
  // between two messages as well as the test can tell.
  ASSERT_TRUE(Eventually([&] { return smtp().Messages().size() >= 12; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(25));
  server().Kill();
  const std::size_t before = smtp().Messages().size();
  ASSERT_LT(before, static_cast<std::size_t>(kRecipients)) << "the send finished before the kill";
  server().Restart();

  const json done = WaitForStatus(draft, "sent");
  EXPECT_EQ(done["stats"]["audience"], kRecipients);
  const auto log = Log(draft);
  ASSERT_EQ(log.size(), static_cast<std::size_t>(kRecipients));
  const std::map<std::string, int> received = PerRecipient();
  int interrupted = 0;
  for (const json& row : log) {
    const std::string email = row["email"];
    const int count = received.count(email) ? received.at(email) : 0;
    if (row["status"] == "SENT") {
      EXPECT_EQ(count, 1) << email;
    } else {
      // Only a delivery cut off by the kill itself may end this way: failed, never repeated.
      ++interrupted;
      EXPECT_EQ(row["status"], "FAILED") << row.dump();
      EXPECT_NE(row["error"].get<std::string>().find("interrupted"), std::string::npos);
      EXPECT_LE(count, 1) << email;
    }
  }
  EXPECT_LE(interrupted, 4);  // at most one delivery in flight per lane (kLanes = 4)
  for (const auto& [email, count] : received) EXPECT_EQ(count, 1) << email;
  EXPECT_GE(static_cast<int>(received.size()), kRecipients - interrupted)
      << "every recipient but an interrupted one got exactly one message";
}

}  // namespace
}  // namespace rapport::testing
