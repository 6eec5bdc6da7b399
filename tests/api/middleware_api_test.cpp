#include <gtest/gtest.h>

#include <string>

#include "api/harness.hpp"

namespace rapport::testing {
namespace {

using MiddlewareApiTest = ApiTest;

TEST_F(MiddlewareApiTest, UnknownRoutesAndMethodsAreProblems) {
  HttpResponse missing = client().Get("/api/v1/nothing-here");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.headers["Content-Type"], "application/problem+json");
  EXPECT_EQ(missing.json()["status"], 404);
  HttpResponse wrong_method = client().Request("PUT", "/healthz");
  EXPECT_EQ(wrong_method.status, 405);
  EXPECT_EQ(wrong_method.headers["Allow"], "GET");
}

TEST_F(MiddlewareApiTest, QueryParametersMustBeUtf8) {
  HttpResponse response = client().Get("/api/v1/users?q=%FF%FE");
  EXPECT_EQ(response.status, 400) << response;
  EXPECT_EQ(client().Get("/api/v1/users?q=%00").status, 400);
  EXPECT_EQ(client().Get("/api/v1/users?q=%zz").status, 400);
}

TEST_F(MiddlewareApiTest, CommasAndColonsNeedNoEncoding) {
  ASSERT_EQ(client().Post("/api/v1/auth/bootstrap", {{"email", "a@example.com"}, {"password", "a long enough password"}, {"name", "A"}}).status, 201);
  HttpResponse login = client().Post("/api/v1/auth/login", {{"email", "a@example.com"}, {"password", "a long enough password"}});
  client().SetToken(login.json()["access_token"]);
  EXPECT_EQ(client().Get("/api/v1/customers?sort=status,-name").status, 200);
  EXPECT_EQ(client().Get("/api/v1/customers?created_after=2026-01-01T00:00:00Z").status, 200);
  EXPECT_EQ(client().Get("/api/v1/customers?created_after=2026-01-01T00:00:00%2B02:00").status, 200);
  // `+` is a space, as in forms.
  EXPECT_EQ(client().Get("/api/v1/customers?created_after=2026-01-01T00:00:00+02:00").status, 400);
}

TEST_F(MiddlewareApiTest, ServerSurvivesGarbage) {
  const std::vector<std::string> bodies = {"", "{", "null", "\"text\"", "{\"a\":\"\\ud800\"}",
                                           "{\"x\":\"\xff\"}"};
  for (const std::string& body : bodies) {
    HttpResponse response = client().Request("POST", "/api/v1/auth/login", RequestBody{body, "application/json"});
    EXPECT_TRUE(response.status == 400 || response.status == 422) << body << "\n" << response;
  }
  EXPECT_EQ(client().Get("/healthz").status, 200);
}

TEST_F(MiddlewareApiTest, HugeBodiesAreRefusedWithoutHarm) {
  const std::string huge(80 << 20, 'a');  // past the 64 MiB the server reads at all
  try {
    HttpResponse response = client().Request("POST", "/api/v1/auth/login", RequestBody{huge, "application/json"});
    EXPECT_EQ(response.status, 413) << response.status;
  } catch (const std::runtime_error&) {
    // The server may close the connection mid-upload instead; either way it stays up.
  }
  EXPECT_EQ(client().Get("/healthz").status, 200);
}

class RateLimitedApiTest : public ApiTest {
 protected:
  ServerOptions MakeServerOptions() const override {
    ServerOptions options;
    options.env = {{"RAPPORT_RATE_LIMIT", "1"}};
    return options;
  }
};

TEST_F(RateLimitedApiTest, RefusesPastTheBurstWithRetryAfter) {
  int refused = 0;
  HttpResponse last;
  for (int i = 0; i < 5; ++i) {
    last = client().Get("/healthz");
    if (last.status == 429) ++refused;
  }
  EXPECT_GE(refused, 2);
  EXPECT_EQ(last.status, 429);
  EXPECT_FALSE(last.headers["Retry-After"].empty()) << last;
  EXPECT_EQ(last.headers["RateLimit-Remaining"], "0");
}

// One JSON line per request, whatever the request's path holds.
TEST_F(MiddlewareApiTest, AccessLogLineIsJsonWithEveryField) {
  const std::string path = "/no/such/\"quoted\"\\path";
  HttpResponse response = client().Get(path, {{"X-Request-Id", "log-fields-1"}});
  EXPECT_EQ(response.status, 404) << response;
  nlohmann::json found;
  EXPECT_TRUE(server().WaitForLog([&](const nlohmann::json& line) {
    if (line.value("request_id", "") != "log-fields-1") return false;
    found = line;
    return true;
  })) << server().Logs();
  EXPECT_EQ(found["event"], "request");
  EXPECT_EQ(found["level"], "info");
  EXPECT_EQ(found["method"], "GET");
  EXPECT_EQ(found["route"], "unmatched");
  EXPECT_EQ(found["path"], path);
  EXPECT_EQ(found["status"], 404);
  EXPECT_TRUE(found["duration_ms"].is_number()) << found;
  EXPECT_EQ(found["ip"], "127.0.0.1");
  EXPECT_EQ(found["principal"], "");
  const std::string ts = found.value("ts", "");
  EXPECT_EQ(ts.size(), 20u) << ts;  // 2026-12-01T18:40:20Z
  EXPECT_EQ(ts.back(), 'Z') << ts;
  EXPECT_EQ(ts[10], 'T') << ts;
}

class BehindProxyApiTest : public ApiTest {
 protected:
  ServerOptions MakeServerOptions() const override {
    ServerOptions options;
    options.env = {{"RAPPORT_TRUSTED_PROXIES", "127.0.0.1"}};
    return options;
  }
};

TEST_F(BehindProxyApiTest, TrustedProxyForwardsTheClientAddress) {
  client().Get("/healthz", {{"X-Forwarded-For", "203.0.113.7, 127.0.0.1"}, {"X-Request-Id", "xff-1"}});
  EXPECT_TRUE(server().WaitForLog([](const nlohmann::json& line) {
    return line.value("request_id", "") == "xff-1" && line.value("ip", "") == "203.0.113.7";
  })) << server().Logs();
}

TEST_F(MiddlewareApiTest, UntrustedPeersCannotSpoofTheirAddress) {
  client().Get("/healthz", {{"X-Forwarded-For", "203.0.113.7"}, {"X-Request-Id", "xff-2"}});
  EXPECT_TRUE(server().WaitForLog([](const nlohmann::json& line) {
    return line.value("request_id", "") == "xff-2" && line.value("ip", "") == "127.0.0.1";
  })) << server().Logs();
}

}  // namespace
}  // namespace rapport::testing
