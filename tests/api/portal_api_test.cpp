// The customer portal against the real server: sign-up with email verification, portal-only
// tokens, a customer's own tickets, comments and meetings, and the notifications staff get
// when customers raise or resolve tickets.

#include <gtest/gtest.h>

#include <chrono>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "api/fixtures.hpp"
#include "api/harness.hpp"

namespace rapport::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr char kUnknownId[] = "01890a5d-ac96-774b-bcce-b302099a8057";
constexpr char kPortalPassword[] = "portal password 123";

bool WaitUntil(const std::function<bool()>& done, std::chrono::seconds timeout = 30s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return done();
    std::this_thread::sleep_for(50ms);
  }
  return true;
}

class PortalApiTest : public StaffApiTest {
 protected:
  struct Portal {
    std::string access_token;
    std::string refresh_token;
    json account;
  };

  // The system emails sent to `to` (admin view), newest first.
  std::vector<json> MailTo(const std::string& to) {
    client().SetToken(admin().token);
    std::vector<json> mails;
    for (const json& email : AllPages("/api/v1/emails?q=" + UrlEncode(to))) {
      if (email["to"] == to) mails.push_back(email);
    }
    return mails;
  }
  // The verification token in the newest mail to `to`; empty when there is none.
  std::string VerificationToken(const std::string& to) {
    for (const json& mail : MailTo(to)) {
      const std::string text = client().Get("/api/v1/emails/" + mail["id"].get<std::string>()).json()["text"];
      std::smatch match;
      if (std::regex_search(text, match, std::regex("token=([A-Za-z0-9_-]+)"))) return match[1];
    }
    return "";
  }

  HttpResponse Signup(const json& body) {
    Client anonymous(server());
    return anonymous.Post("/api/v1/portal/signup", body);
  }
  HttpResponse Login(const std::string& email, const std::string& password = kPortalPassword) {
    Client anonymous(server());
    return anonymous.Post("/api/v1/portal/login", {{"email", email}, {"password", password}});
  }
  // Signs up, verifies and signs in; the client then acts as the portal account.
  Portal SignedUp(const std::string& email, const std::string& name = "Pat Portal") {
    HttpResponse signup = Signup({{"name", name}, {"email", email}, {"password", kPortalPassword}});
    EXPECT_EQ(signup.status, 202) << signup;
    const std::string token = VerificationToken(email);
    EXPECT_FALSE(token.empty());
    Client anonymous(server());
    HttpResponse verified = anonymous.Post("/api/v1/portal/verify", {{"token", token}});
    EXPECT_EQ(verified.status, 200) << verified;
    HttpResponse login = Login(email);
    EXPECT_EQ(login.status, 200) << login;
    if (login.status != 200) return {};
    const json body = login.json();
    Portal portal{body["access_token"], body["refresh_token"], body["account"]};
    client().SetToken(portal.access_token);
    return portal;
  }
  json Me() { return client().Get("/api/v1/portal/me").json(); }
};

TEST_F(PortalApiTest, SignupVerifiesTheEmailBeforeTheAccountCanSignIn) {
  HttpResponse signup = Signup({{"name", "Ada Customer"},
                                {"email", "Ada@Example.org"},
                                {"password", kPortalPassword},
                                {"company", "Analytical Engines"},
                                {"phone", "+44 20 7946 0000"}});
  ASSERT_EQ(signup.status, 202) << signup;
  EXPECT_EQ(signup.json()["status"], "verification_sent");
  // No account yet: sign-in fails like a wrong password.
  HttpResponse early = Login("ada@example.org");
  EXPECT_EQ(early.status, 401) << early;
  // The mail went out through the email outbox (a system email, not tracked).
  const std::vector<json> mails = MailTo("Ada@Example.org");
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_EQ(mails[0]["kind"], "system") << mails[0];
  const std::string token = VerificationToken("Ada@Example.org");
  ASSERT_FALSE(token.empty());

  Client anonymous(server());
  HttpResponse verified = anonymous.Post("/api/v1/portal/verify", {{"token", token}});
  ASSERT_EQ(verified.status, 200) << verified;
  const json account = verified.json();
  EXPECT_EQ(account["email"], "Ada@Example.org");
  EXPECT_EQ(account["name"], "Ada Customer");
  EXPECT_FALSE(account.contains("password_hash"));
  EXPECT_FALSE(verified.body.find("argon2") != std::string::npos);
  // Single use.
  HttpResponse reused = anonymous.Post("/api/v1/portal/verify", {{"token", token}});
  EXPECT_EQ(reused.status, 422) << reused;
  EXPECT_EQ(ErrorFields(reused), std::set<std::string>{"token"});

  // A new lead was made from the sign-up.
  client().SetToken(admin().token);
  std::vector<json> customers = AllPages("/api/v1/customers?q=" + UrlEncode("ada@example.org"));
  ASSERT_EQ(customers.size(), 1u);
  EXPECT_EQ(customers[0]["status"], "lead");
  EXPECT_EQ(customers[0]["name"], "Ada Customer");
  EXPECT_EQ(customers[0]["company"], "Analytical Engines");
  EXPECT_EQ(customers[0]["phone"], "+44 20 7946 0000");

  HttpResponse login = Login("ADA@example.org");
  ASSERT_EQ(login.status, 200) << login;
  const json tokens = login.json();
  EXPECT_EQ(tokens["token_type"], "Bearer");
  EXPECT_GT(tokens["expires_in"].get<int>(), 0);
  client().SetToken(tokens["access_token"]);
  HttpResponse me = client().Get("/api/v1/portal/me");
  ASSERT_EQ(me.status, 200) << me;
  EXPECT_EQ(me.json()["customer"]["id"], customers[0]["id"]);
  EXPECT_EQ(me.json()["customer"]["company"], "Analytical Engines");
  EXPECT_FALSE(me.json()["customer"].contains("notes"));
  EXPECT_FALSE(me.json()["customer"].contains("owner_id"));

  // Wrong password: 401.
  EXPECT_EQ(Login("ada@example.org", "wrong password 999").status, 401);
}

TEST_F(PortalApiTest, SignupLinksToTheCustomerWithThatEmail) {
  client().SetToken(admin().token);
  const json existing = Created("/api/v1/customers", {{"name", "Grace Existing"},
                                                      {"email", "grace@example.org"},
                                                      {"status", "customer"}});
  Portal portal = SignedUp("GRACE@example.org", "Grace H.");
  EXPECT_EQ(Me()["customer"]["id"], existing["id"]);
  // The customer is unchanged (still a customer, not a new lead).
  client().SetToken(admin().token);
  HttpResponse customer = client().Get("/api/v1/customers/" + existing["id"].get<std::string>());
  EXPECT_EQ(customer.json()["status"], "customer");
  EXPECT_EQ(customer.json()["name"], "Grace Existing");
  EXPECT_EQ(AllPages("/api/v1/customers?q=grace").size(), 1u);
}

TEST_F(PortalApiTest, ASecondSignupForAnAccountsAddressSendsANoteAndMakesNothing) {
  SignedUp("linus@example.org");
  HttpResponse again =
      Signup({{"name", "Someone Else"}, {"email", "linus@example.org"}, {"password", "another password 1"}});
  EXPECT_EQ(again.status, 202) << again;  // the same answer as for a new address
  std::vector<json> mails = MailTo("linus@example.org");
  ASSERT_EQ(mails.size(), 2u);
  const std::string note = client().Get("/api/v1/emails/" + mails[0]["id"].get<std::string>()).json()["text"];
  EXPECT_EQ(note.find("token="), std::string::npos) << note;
  EXPECT_NE(note.find("already"), std::string::npos) << note;
  // The old password still works, the new one does not.
  EXPECT_EQ(Login("linus@example.org").status, 200);
  EXPECT_EQ(Login("linus@example.org", "another password 1").status, 401);
}

TEST_F(PortalApiTest, BadSignupsAndVerificationsAreRefused) {
  struct Case {
    json body;
    std::set<std::string> fields;
  };
  const std::vector<Case> cases = {
      {{{"email", "a@example.org"}, {"password", kPortalPassword}}, {"name"}},
      {{{"name", "A"}, {"password", kPortalPassword}}, {"email"}},
      {{{"name", "A"}, {"email", "not an email"}, {"password", kPortalPassword}}, {"email"}},
      {{{"name", "A"}, {"email", "a@example.org"}, {"password", "short"}}, {"password"}},
      {{{"name", 7}, {"email", "a@example.org"}, {"password", kPortalPassword}}, {"name"}},
      {{{"name", "A"}, {"email", "a@example.org"}, {"password", kPortalPassword}, {"role", "admin"}},
       {"role"}},
      {{{"name", "A"}, {"email", "a@example.org"}, {"password", kPortalPassword},
        {"customer_id", kUnknownId}},
       {"customer_id"}},
  };
  for (const Case& c : cases) {
    HttpResponse response = Signup(c.body);
    EXPECT_EQ(response.status, 422) << c.body.dump() << "\n" << response;
    EXPECT_EQ(response.headers["Content-Type"], "application/problem+json");
    EXPECT_EQ(ErrorFields(response), c.fields) << c.body.dump();
  }
  Client anonymous(server());
  EXPECT_EQ(anonymous.Request("POST", "/api/v1/portal/signup", RequestBody{"{\"name\":", "application/json"}).status,
            400);
  EXPECT_EQ(anonymous.Request("POST", "/api/v1/portal/signup", RequestBody{"name=a", "text/plain"}).status,
            415);
  EXPECT_TRUE(MailTo("a@example.org").empty());  // nothing was sent for any of them

  for (const json& body : {json{{"token", "not-a-token"}}, json::object(), json{{"token", 5}},
                           json{{"token", "x"}, {"extra", 1}}}) {
    HttpResponse response = anonymous.Post("/api/v1/portal/verify", body);
    EXPECT_EQ(response.status, 422) << body.dump() << "\n" << response;
  }
  EXPECT_EQ(anonymous.Post("/api/v1/portal/login", {{"email", "a@example.org"}}).status, 422);
  EXPECT_EQ(anonymous.Post("/api/v1/portal/refresh", {{"refresh_token", "bogus"}}).status, 401);
}

TEST_F(PortalApiTest, PortalTokensWorkOnlyOnThePortalAndRotate) {
  Portal portal = SignedUp("tim@example.org");
  // A portal token on staff endpoints: 401.
  for (const char* path : {"/api/v1/customers", "/api/v1/tickets", "/api/v1/auth/me",
                           "/api/v1/notifications", "/api/v1/interactions"}) {
    HttpResponse response = client().Get(path);
    EXPECT_EQ(response.status, 401) << path << "\n" << response;
    EXPECT_EQ(response.headers["Content-Type"], "application/problem+json");
  }
  // A staff token on portal endpoints: 401.
  client().SetToken(agent().token);
  EXPECT_EQ(client().Get("/api/v1/portal/me").status, 401);
  EXPECT_EQ(client().Get("/api/v1/portal/tickets").status, 401);
  client().SetToken("");
  EXPECT_EQ(client().Get("/api/v1/portal/me").status, 401);

  // Refresh rotates; the old token is then spent, and reusing it revokes the family.
  Client anonymous(server());
  HttpResponse refreshed = anonymous.Post("/api/v1/portal/refresh", {{"refresh_token", portal.refresh_token}});
  ASSERT_EQ(refreshed.status, 200) << refreshed;
  const std::string next = refreshed.json()["refresh_token"];
  EXPECT_NE(next, portal.refresh_token);
  client().SetToken(refreshed.json()["access_token"]);
  EXPECT_EQ(client().Get("/api/v1/portal/me").status, 200);
  EXPECT_EQ(anonymous.Post("/api/v1/portal/refresh", {{"refresh_token", portal.refresh_token}}).status, 401);
  EXPECT_EQ(anonymous.Post("/api/v1/portal/refresh", {{"refresh_token", next}}).status, 401);

  // A portal refresh token is no staff one and the other way round.
  HttpResponse fresh = Login("tim@example.org");
  ASSERT_EQ(fresh.status, 200);
  EXPECT_EQ(anonymous.Post("/api/v1/auth/refresh", {{"refresh_token", fresh.json()["refresh_token"]}}).status,
            401);
  HttpResponse staff = anonymous.Post("/api/v1/auth/login", {{"email", "agent@example.com"}, {"password", kPassword}});
  ASSERT_EQ(staff.status, 200);
  EXPECT_EQ(anonymous.Post("/api/v1/portal/refresh", {{"refresh_token", staff.json()["refresh_token"]}}).status,
            401);
  // The staff token was left untouched by that attempt.
  EXPECT_EQ(anonymous.Post("/api/v1/auth/refresh", {{"refresh_token", staff.json()["refresh_token"]}}).status,
            200);
  // Logout revokes.
  EXPECT_EQ(anonymous.Post("/api/v1/portal/logout", {{"refresh_token", fresh.json()["refresh_token"]}}).status,
            204);
  EXPECT_EQ(anonymous.Post("/api/v1/portal/refresh", {{"refresh_token", fresh.json()["refresh_token"]}}).status,
            401);
}

TEST_F(PortalApiTest, CustomersRaiseAndFollowOnlyTheirOwnTickets) {
  Portal other = SignedUp("other@example.org", "Other Customer");
  HttpResponse theirs_created = client().Post("/api/v1/portal/tickets", {{"title", "Their problem"}});
  ASSERT_EQ(theirs_created.status, 201) << theirs_created;
  const json theirs = theirs_created.json();

  Portal mine = SignedUp("me@example.org", "Me Customer");
  HttpResponse created = client().Post("/api/v1/portal/tickets", {{"title", "Cannot sign in"},
                                                                   {"description", "Since Monday"},
                                                                   {"priority", "high"}});
  ASSERT_EQ(created.status, 201) << created;
  const json ticket = created.json();
  EXPECT_EQ(created.headers["Location"], "/api/v1/portal/tickets/" + ticket["id"].get<std::string>());
  EXPECT_FALSE(created.headers["ETag"].empty());
  EXPECT_EQ(ticket["status"], "open");
  EXPECT_EQ(ticket["priority"], "high");
  EXPECT_EQ(ticket["created_by"], json({{"kind", "customer"}}));
  EXPECT_FALSE(ticket.contains("assignee_id"));
  EXPECT_FALSE(ticket.contains("customer_id"));

  // Lists and reads only their own.
  std::vector<json> listed = AllPages("/api/v1/portal/tickets");
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0]["id"], ticket["id"]);
  const std::string path = "/api/v1/portal/tickets/" + ticket["id"].get<std::string>();
  EXPECT_EQ(client().Get(path).status, 200);
  const std::string their_path = "/api/v1/portal/tickets/" + theirs["id"].get<std::string>();
  for (const HttpResponse& response :
       {client().Get(their_path), client().Post(their_path + "/resolve"),
        client().Get(their_path + "/comments"),
        client().Post(their_path + "/comments", {{"body", "Me too"}})}) {
    EXPECT_EQ(response.status, 404) << response;
    EXPECT_EQ(response.headers.at("Content-Type"), "application/problem+json");
  }
  EXPECT_EQ(client().Get(std::string("/api/v1/portal/tickets/") + kUnknownId).status, 404);
  EXPECT_EQ(client().Get("/api/v1/portal/tickets/not-a-uuid").status, 404);

  // Staff see it as raised by the customer; staff-only fields cannot be set by customers.
  HttpResponse staff_field = client().Post("/api/v1/portal/tickets",
                                           {{"title", "x"}, {"assignee_id", agent().id}});
  EXPECT_EQ(staff_field.status, 422) << staff_field;
  HttpResponse other_customer = client().Post("/api/v1/portal/tickets",
                                              {{"title", "x"}, {"customer_id", theirs["id"]}});
  EXPECT_EQ(other_customer.status, 422) << other_customer;
  EXPECT_EQ(client().Post("/api/v1/portal/tickets", json::object()).status, 422);
  EXPECT_EQ(client().Post("/api/v1/portal/tickets", {{"title", "x"}, {"priority", "asap"}}).status, 422);
  EXPECT_EQ(client().Request("POST", "/api/v1/portal/tickets", RequestBody{"{", "application/json"}).status,
            400);
  EXPECT_EQ(AllPages("/api/v1/portal/tickets").size(), 1u);  // nothing was made

  // Comments: both sides, without staff ids.
  HttpResponse comment = client().Post(path + "/comments", {{"body", "Any news?"}});
  ASSERT_EQ(comment.status, 201) << comment;
  EXPECT_EQ(comment.json()["author"], json({{"kind", "customer"}}));
  EXPECT_EQ(client().Post(path + "/comments", {{"body", ""}}).status, 422);
  EXPECT_EQ(client().Post(path + "/comments", {{"text", "hi"}}).status, 422);
  client().SetToken(admin().token);
  ASSERT_EQ(client().Post("/api/v1/tickets/" + ticket["id"].get<std::string>() + "/comments",
                          {{"body", "Looking into it"}})
                .status,
            201);
  client().SetToken(mine.access_token);
  std::vector<json> comments = AllPages(path + "/comments");
  ASSERT_EQ(comments.size(), 2u);
  EXPECT_EQ(comments[1]["author"], json({{"kind", "user"}}));
  EXPECT_EQ(comments[1]["body"], "Looking into it");

  // Filters: only the customer's own; bad ones are 400 naming the parameter.
  EXPECT_EQ(AllPages("/api/v1/portal/tickets?status=open").size(), 1u);
  EXPECT_EQ(AllPages("/api/v1/portal/tickets?status=resolved").size(), 0u);
  HttpResponse bad = client().Get("/api/v1/portal/tickets?status=sleeping");
  EXPECT_EQ(bad.status, 400) << bad;
  EXPECT_NE(bad.body.find("status"), std::string::npos);
  EXPECT_EQ(client().Get("/api/v1/portal/tickets?limit=0").status, 400);

  // Resolve; then again is an illegal move (409); a stale If-Match is 412.
  HttpResponse stale = client().Post(path + "/resolve", json::object(), {{"If-Match", "\"999\""}});
  EXPECT_EQ(stale.status, 412) << stale;
  HttpResponse resolved = client().Post(path + "/resolve", {{"resolution", "Works again"}});
  ASSERT_EQ(resolved.status, 200) << resolved;
  EXPECT_EQ(resolved.json()["status"], "resolved");
  EXPECT_EQ(resolved.json()["resolution"], "Works again");
  EXPECT_FALSE(resolved.json()["resolved_at"].is_null());
  EXPECT_EQ(client().Post(path + "/resolve").status, 409);
  (void)other;
}

TEST_F(PortalApiTest, CustomersSeeOnlyTheirOwnMeetings) {
  Portal portal = SignedUp("meet@example.org", "Meeting Customer");
  const std::string customer_id = Me()["customer"]["id"];
  client().SetToken(admin().token);
  const json someone = Created("/api/v1/customers", {{"name", "Someone else"}});
  const json meeting = Created("/api/v1/interactions", {{"customer_id", customer_id},
                                                        {"type", "meeting"},
                                                        {"title", "Onboarding"},
                                                        {"details", "internal: upsell"},
                                                        {"status", "planned"},
                                                        {"scheduled_at", "2030-01-02T10:00:00Z"}});
  Created("/api/v1/interactions", {{"customer_id", customer_id}, {"type", "call"}, {"title", "Internal call"}});
  Created("/api/v1/interactions", {{"customer_id", someone["id"]},
                                   {"type", "meeting"},
                                   {"title", "Not yours"},
                                   {"scheduled_at", "2030-01-03T10:00:00Z"}});
  client().SetToken(portal.access_token);
  std::vector<json> meetings = AllPages("/api/v1/portal/interactions");
  ASSERT_EQ(meetings.size(), 1u);
  EXPECT_EQ(meetings[0]["id"], meeting["id"]);
  EXPECT_EQ(meetings[0]["title"], "Onboarding");
  EXPECT_FALSE(meetings[0].contains("details"));
  EXPECT_FALSE(meetings[0].contains("user_id"));
  EXPECT_EQ(AllPages("/api/v1/portal/interactions?status=planned").size(), 1u);
  EXPECT_EQ(AllPages("/api/v1/portal/interactions?from=2030-01-03T00:00:00Z").size(), 0u);
  EXPECT_EQ(client().Get("/api/v1/portal/interactions?status=maybe").status, 400);
  EXPECT_EQ(client().Get("/api/v1/portal/interactions?from=yesterday").status, 400);
  EXPECT_EQ(client().Get("/api/v1/portal/interactions?sort=secret").status, 400);
}

TEST_F(PortalApiTest, StaffAreNotifiedWhenCustomersRaiseAndResolveTickets) {
  // The raised ticket has no assignee, so every admin and manager hears of it; once it is
  // assigned, only the assignee hears of its resolution.
  Portal portal = SignedUp("notify@example.org", "Noisy Customer");
  HttpResponse created = client().Post("/api/v1/portal/tickets", {{"title", "Broken widget"}});
  ASSERT_EQ(created.status, 201) << created;
  const std::string ticket_id = created.json()["id"];
  auto kinds_of = [&](const std::string& token) {
    client().SetToken(token);
    std::vector<std::string> kinds;
    for (const json& n : AllPages("/api/v1/notifications")) {
      if (n["subject"]["id"] == ticket_id) kinds.push_back(n["kind"]);
    }
    return kinds;
  };
  EXPECT_EQ(kinds_of(admin().token), std::vector<std::string>{"ticket_raised"});
  EXPECT_EQ(kinds_of(manager().token), std::vector<std::string>{"ticket_raised"});
  EXPECT_TRUE(kinds_of(agent().token).empty());

  client().SetToken(admin().token);
  ASSERT_EQ(client().Patch("/api/v1/tickets/" + ticket_id, {{"assignee_id", agent().id}}).status, 200);
  client().SetToken(portal.access_token);
  ASSERT_EQ(client().Post("/api/v1/portal/tickets/" + ticket_id + "/resolve").status, 200);
  EXPECT_EQ(kinds_of(agent().token), (std::vector<std::string>{"ticket_resolved", "ticket_assigned"}));
  EXPECT_EQ(kinds_of(admin().token), std::vector<std::string>{"ticket_raised"});
  // Staff resolving tells nobody of a customer resolution.
  client().SetToken(admin().token);
  ASSERT_EQ(client().Post("/api/v1/tickets/" + ticket_id + "/reopen").status, 200);
  ASSERT_EQ(client().Post("/api/v1/tickets/" + ticket_id + "/resolve").status, 200);
  EXPECT_EQ(kinds_of(agent().token).size(), 2u);
}

TEST_F(PortalApiTest, ErasingTheCustomerEndsTheAccount) {
  Portal portal = SignedUp("erase@example.org", "Erased Customer");
  const std::string customer_id = Me()["customer"]["id"];
  client().SetToken(admin().token);
  ASSERT_EQ(client().Delete("/api/v1/customers/" + customer_id).status, 204);
  // The access token stops working within the principal cache's few seconds.
  client().SetToken(portal.access_token);
  ASSERT_TRUE(WaitUntil([&] { return client().Get("/api/v1/portal/me").status == 401; }));
  EXPECT_EQ(Login("erase@example.org").status, 401);
  Client anonymous(server());
  EXPECT_EQ(anonymous.Post("/api/v1/portal/refresh", {{"refresh_token", portal.refresh_token}}).status, 401);
}

}  // namespace
}  // namespace rapport::testing
