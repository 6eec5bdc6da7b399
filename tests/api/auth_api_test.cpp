#include <gtest/gtest.h>

#include <string>

#include "api/harness.hpp"

namespace rapport::testing {
namespace {

constexpr char kPassword[] = "correct horse battery";

class AuthApiTest : public ApiTest {
 protected:
  HttpResponse Bootstrap(const std::string& email = "admin@example.com") {
    return client().Post("/api/v1/auth/bootstrap",
                         {{"email", email}, {"password", kPassword}, {"name", "Ada Admin"}});
  }
  nlohmann::json Login(const std::string& email, const std::string& password = kPassword) {
    HttpResponse response =
        client().Post("/api/v1/auth/login", {{"email", email}, {"password", password}});
    EXPECT_EQ(response.status, 200) << response;
    return response.json();
  }
  // Bootstraps an admin and signs the client in as them.
  nlohmann::json SignInAdmin() {
    EXPECT_EQ(Bootstrap().status, 201);
    nlohmann::json tokens = Login("admin@example.com");
    client().SetToken(tokens["access_token"]);
    return tokens;
  }
  std::string CreateUser(const std::string& email, const std::string& role) {
    HttpResponse response = client().Post(
        "/api/v1/users",
        {{"email", email}, {"password", kPassword}, {"name", "Someone"}, {"role", role}});
    EXPECT_EQ(response.status, 201) << response;
    return response.json().value("id", "");
  }
};

TEST_F(AuthApiTest, BootstrapCreatesTheFirstAdminOnlyOnce) {
  HttpResponse first = Bootstrap();
  ASSERT_EQ(first.status, 201) << first;
  EXPECT_EQ(first.json()["role"], "admin");
  EXPECT_FALSE(first.json().contains("password"));
  EXPECT_FALSE(first.json().contains("password_hash"));
  EXPECT_EQ(first.headers["Location"], "/api/v1/users/" + first.json()["id"].get<std::string>());
  HttpResponse second = Bootstrap("other@example.com");
  EXPECT_EQ(second.status, 409) << second;
  EXPECT_EQ(second.headers["Content-Type"], "application/problem+json");
}

TEST_F(AuthApiTest, BootstrapValidatesEveryField) {
  HttpResponse response = client().Post(
      "/api/v1/auth/bootstrap", {{"email", "not-an-email"}, {"password", "short"}, {"extra", 1}});
  ASSERT_EQ(response.status, 422) << response;
  std::set<std::string> fields;
  const nlohmann::json body = response.json();
  for (const auto& e : body["errors"]) fields.insert(e["field"]);
  EXPECT_EQ(fields, (std::set<std::string>{"email", "password", "name", "extra"}));
}

TEST_F(AuthApiTest, LoginReturnsTokensAndMeWorks) {
  ASSERT_EQ(Bootstrap().status, 201);
  nlohmann::json tokens = Login("ADMIN@example.com");  // emails are case-insensitive
  EXPECT_EQ(tokens["token_type"], "Bearer");
  EXPECT_EQ(tokens["expires_in"], 900);
  EXPECT_EQ(tokens["user"]["email"], "admin@example.com");
  client().SetToken(tokens["access_token"]);
  HttpResponse me = client().Get("/api/v1/auth/me");
  ASSERT_EQ(me.status, 200) << me;
  EXPECT_EQ(me.json()["role"], "admin");
  EXPECT_FALSE(me.json().contains("password_hash"));
}

TEST_F(AuthApiTest, WrongPasswordAndUnknownEmailGetTheSame401) {
  ASSERT_EQ(Bootstrap().status, 201);
  HttpResponse wrong = client().Post("/api/v1/auth/login",
                                     {{"email", "admin@example.com"}, {"password", "wrong password!"}});
  HttpResponse unknown = client().Post("/api/v1/auth/login",
                                       {{"email", "nobody@example.com"}, {"password", kPassword}});
  EXPECT_EQ(wrong.status, 401) << wrong;
  EXPECT_EQ(unknown.status, 401) << unknown;
  EXPECT_EQ(wrong.json()["detail"], unknown.json()["detail"]);
}

TEST_F(AuthApiTest, RepeatedFailuresAreThrottledEvenForTheRightPassword) {
  ASSERT_EQ(Bootstrap().status, 201);
  for (int i = 0; i < 10; ++i) {
    HttpResponse r = client().Post("/api/v1/auth/login",
                                   {{"email", "admin@example.com"}, {"password", "wrong password!"}});
    ASSERT_EQ(r.status, 401) << r;
  }
  HttpResponse blocked = client().Post("/api/v1/auth/login",
                                       {{"email", "admin@example.com"}, {"password", kPassword}});
  EXPECT_EQ(blocked.status, 429) << blocked;
  EXPECT_FALSE(blocked.headers["Retry-After"].empty());
}

TEST_F(AuthApiTest, MissingForgedExpiredAndNoneTokensAre401) {
  nlohmann::json tokens = SignInAdmin();
  const std::string good = tokens["access_token"];
  client().SetToken("");
  EXPECT_EQ(client().Get("/api/v1/auth/me").status, 401);
  // Payload changed, signature kept.
  std::string forged = good;
  forged[forged.find('.') + 5] = forged[forged.find('.') + 5] == 'A' ? 'B' : 'A';
  client().SetToken(forged);
  EXPECT_EQ(client().Get("/api/v1/auth/me").status, 401);
  // alg "none": header {"alg":"none","typ":"JWT"}, the real payload, no signature.
  const std::string payload = good.substr(good.find('.') + 1, good.rfind('.') - good.find('.') - 1);
  client().SetToken("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + payload + ".");
  EXPECT_EQ(client().Get("/api/v1/auth/me").status, 401);
  client().SetToken("garbage");
  HttpResponse garbage = client().Get("/api/v1/auth/me");
  EXPECT_EQ(garbage.status, 401);
  EXPECT_EQ(garbage.headers["WWW-Authenticate"], "Bearer");
}

TEST_F(AuthApiTest, RefreshRotatesAndReuseRevokesTheFamily) {
  nlohmann::json tokens = SignInAdmin();
  const std::string first = tokens["refresh_token"];
  HttpResponse rotated = client().Post("/api/v1/auth/refresh", {{"refresh_token", first}});
  ASSERT_EQ(rotated.status, 200) << rotated;
  const std::string second = rotated.json()["refresh_token"];
  EXPECT_NE(first, second);
  // The old token again: reuse. It fails and takes the new one down with it.
  EXPECT_EQ(client().Post("/api/v1/auth/refresh", {{"refresh_token", first}}).status, 401);
  EXPECT_EQ(client().Post("/api/v1/auth/refresh", {{"refresh_token", second}}).status, 401);
}

TEST_F(AuthApiTest, LogoutRevokesTheRefreshToken) {
  nlohmann::json tokens = SignInAdmin();
  EXPECT_EQ(client().Post("/api/v1/auth/logout", {{"refresh_token", tokens["refresh_token"]}}).status, 204);
  EXPECT_EQ(client().Post("/api/v1/auth/refresh", {{"refresh_token", tokens["refresh_token"]}}).status,
            401);
}

TEST_F(AuthApiTest, RolesGovernUserManagement) {
  SignInAdmin();
  const std::string manager = CreateUser("manager@example.com", "manager");
  const std::string agent = CreateUser("agent@example.com", "agent");
  EXPECT_EQ(client().Post("/api/v1/users", {{"email", "AGENT@example.com"}, {"password", kPassword},
                                            {"name", "Dup"}, {"role", "agent"}})
                .status,
            409);
  Client as_agent(server());
  as_agent.SetToken(Login("agent@example.com")["access_token"]);
  EXPECT_EQ(as_agent.Get("/api/v1/users").status, 403);
  EXPECT_EQ(as_agent.Post("/api/v1/users", {{"email", "x@example.com"}, {"password", kPassword},
                                            {"name", "X"}, {"role", "admin"}})
                .status,
            403);
  EXPECT_EQ(as_agent.Get("/api/v1/users/" + agent).status, 200);    // themselves
  EXPECT_EQ(as_agent.Get("/api/v1/users/" + manager).status, 404);  // someone else: hidden
  Client as_manager(server());
  as_manager.SetToken(Login("manager@example.com")["access_token"]);
  HttpResponse list = as_manager.Get("/api/v1/users?include_total=true");
  ASSERT_EQ(list.status, 200) << list;
  EXPECT_EQ(list.json()["total"], 3);
  EXPECT_EQ(as_manager.Patch("/api/v1/users/" + agent, {{"role", "manager"}}).status, 403);
}

TEST_F(AuthApiTest, AdminCannotChangeOwnRole) {
  nlohmann::json tokens = SignInAdmin();
  const std::string me = tokens["user"]["id"];
  EXPECT_EQ(client().Patch("/api/v1/users/" + me, {{"role", "agent"}}).status, 403);
}

TEST_F(AuthApiTest, DeletedUserStillReadsButCannotSignIn) {
  SignInAdmin();
  const std::string agent = CreateUser("agent@example.com", "agent");
  Client as_agent(server());
  as_agent.SetToken(Login("agent@example.com")["access_token"]);
  ASSERT_EQ(client().Delete("/api/v1/users/" + agent).status, 204);
  HttpResponse read = client().Get("/api/v1/users/" + agent);
  ASSERT_EQ(read.status, 200) << read;
  EXPECT_EQ(read.json()["active"], false);
  EXPECT_EQ(client().Post("/api/v1/auth/login", {{"email", "agent@example.com"}, {"password", kPassword}})
                .status,
            401);
  // Its access token stops working too.
  EXPECT_EQ(as_agent.Get("/api/v1/auth/me").status, 401);
}

TEST_F(AuthApiTest, PasswordChangeNeedsTheCurrentPassword) {
  SignInAdmin();
  EXPECT_EQ(client().Patch("/api/v1/auth/me", {{"password", "a brand new password"}}).status, 422);
  EXPECT_EQ(client().Patch("/api/v1/auth/me", {{"password", "a brand new password"},
                                                {"current_password", "not it at all"}})
                .status,
            422);
  EXPECT_EQ(client().Patch("/api/v1/auth/me", {{"password", "a brand new password"},
                                                {"current_password", kPassword}})
                .status,
            200);
  Login("admin@example.com", "a brand new password");
  EXPECT_EQ(client().Patch("/api/v1/auth/me", {{"role", "agent"}}).status, 422);
}

TEST_F(AuthApiTest, UserPatchHonoursIfMatch) {
  SignInAdmin();
  const std::string agent = CreateUser("agent@example.com", "agent");
  HttpResponse read = client().Get("/api/v1/users/" + agent);
  const std::string etag = read.headers["ETag"];
  ASSERT_FALSE(etag.empty());
  EXPECT_EQ(client().Patch("/api/v1/users/" + agent, {{"name", "First"}}, {{"If-Match", etag}}).status, 200);
  EXPECT_EQ(client().Patch("/api/v1/users/" + agent, {{"name", "Second"}}, {{"If-Match", etag}}).status, 412);
}

TEST_F(AuthApiTest, BadBodiesGetClearErrors) {
  SignInAdmin();
  HttpResponse malformed = client().Request("POST", "/api/v1/users", RequestBody{"{\"email\":", "application/json"});
  EXPECT_EQ(malformed.status, 400) << malformed;
  HttpResponse not_object = client().Request("POST", "/api/v1/users", RequestBody{"[1,2]", "application/json"});
  EXPECT_EQ(not_object.status, 422) << not_object;
  HttpResponse wrong_type = client().Request("POST", "/api/v1/users", RequestBody{"email=x", "text/plain"});
  EXPECT_EQ(wrong_type.status, 415) << wrong_type;
  HttpResponse huge = client().Request(
      "POST", "/api/v1/users", RequestBody{"{\"name\":\"" + std::string(2 << 20, 'a') + "\"}", "application/json"});
  EXPECT_EQ(huge.status, 413) << huge.status;
  HttpResponse types = client().Post("/api/v1/users", {{"email", 5}, {"password", true}, {"name", nullptr}, {"role", "boss"}});
  ASSERT_EQ(types.status, 422) << types;
  EXPECT_EQ(types.json()["errors"].size(), 4u) << types;
  EXPECT_EQ(client().Get("/api/v1/users/not-a-uuid").status, 404);
  EXPECT_EQ(client().Get("/api/v1/users?limit=501").status, 400);
  EXPECT_EQ(client().Get("/api/v1/users?sort=password_hash").status, 400);
  EXPECT_EQ(client().Get("/api/v1/users?cursor=bogus").status, 400);
  EXPECT_EQ(client().Delete("/api/v1/auth/me").status, 405);
}

TEST_F(AuthApiTest, IdempotencyKeyReplaysTheFirstResponse) {
  SignInAdmin();
  nlohmann::json body = {{"email", "agent@example.com"}, {"password", kPassword}, {"name", "A"}, {"role", "agent"}};
  HttpResponse first = client().Post("/api/v1/users", body, {{"Idempotency-Key", "k-1"}});
  ASSERT_EQ(first.status, 201) << first;
  HttpResponse again = client().Post("/api/v1/users", body, {{"Idempotency-Key", "k-1"}});
  EXPECT_EQ(again.status, 201) << again;
  EXPECT_EQ(again.json()["id"], first.json()["id"]);
  EXPECT_EQ(again.headers["Location"], first.headers["Location"]);
  body["name"] = "Changed";
  EXPECT_EQ(client().Post("/api/v1/users", body, {{"Idempotency-Key", "k-1"}}).status, 422);
  HttpResponse list = client().Get("/api/v1/users?include_total=true");
  EXPECT_EQ(list.json()["total"], 2);
}

TEST_F(AuthApiTest, UsersListPagesWithCursors) {
  SignInAdmin();
  for (int i = 0; i < 7; ++i) CreateUser("agent" + std::to_string(i) + "@example.com", "agent");
  std::set<std::string> seen;
  std::string cursor;
  int pages = 0;
  do {
    HttpResponse page = client().Get("/api/v1/users?limit=3&sort=email" + (cursor.empty() ? "" : "&cursor=" + cursor));
    ASSERT_EQ(page.status, 200) << page;
    const nlohmann::json body = page.json();
    for (const auto& user : body["data"]) EXPECT_TRUE(seen.insert(user["id"]).second);
    cursor = body["next_cursor"].is_null() ? "" : body["next_cursor"].get<std::string>();
    ++pages;
  } while (!cursor.empty());
  EXPECT_EQ(seen.size(), 8u);
  EXPECT_EQ(pages, 3);
}

TEST_F(AuthApiTest, RateLimitHeadersAreSent) {
  HttpResponse response = client().Get("/healthz");
  EXPECT_FALSE(response.headers["RateLimit-Limit"].empty()) << response;
  EXPECT_FALSE(response.headers["RateLimit-Remaining"].empty());
  EXPECT_FALSE(response.headers["RateLimit-Reset"].empty());
}

}  // namespace
}  // namespace rapport::testing
