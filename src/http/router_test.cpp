#include "http/router.hpp"

#include <gtest/gtest.h>

#include "http/rate_limiter.hpp"

namespace rapport::http {
namespace {

Handler Named(std::string name) {
  return [name](const Request&) { return Text(200, "text/plain", name); };
}

TEST(RouterTest, MayBlockMatchesTheLiteralPrefixOfBlockingRoutes) {
  Router router;
  router.Get("/api/v1/customers/:id", Named("get"));
  EXPECT_FALSE(router.MayBlock("/api/v1/customers/abc"));
  router.Get("/api/v1/auth/oidc/:provider/login", Named("login"), {.blocking = true});
  router.Get("/healthz-slow", Named("slow"), {.blocking = true});
  EXPECT_TRUE(router.MayBlock("/api/v1/auth/oidc/google/login"));
  EXPECT_TRUE(router.MayBlock("/api/v1/auth/oidc/corp/callback"));
  EXPECT_TRUE(router.MayBlock("/healthz-slow"));
  EXPECT_FALSE(router.MayBlock("/api/v1/auth/login"));
  EXPECT_FALSE(router.MayBlock("/api/v1/customers/abc"));
  EXPECT_FALSE(router.MayBlock("/healthz"));
}

TEST(RouterTest, MatchesPatternsAndExtractsParameters) {
  Router router;
  router.Get("/api/v1/customers", Named("list"));
  router.Get("/api/v1/customers/:id", Named("get"));
  router.Post("/api/v1/customers/batch", Named("batch"));
  router.Get("/api/v1/customers/:id/timeline", Named("timeline"));
  router.Delete("/api/v1/customers/:id", Named("delete"));

  struct Case {
    Method method;
    std::string path;
    std::string route;    // expected handler name, "" for none
    std::string allowed;  // expected Allow when no route
    std::string id;
  };
  const std::vector<Case> cases = {
      {Method::kGet, "/api/v1/customers", "list", "", ""},
      {Method::kGet, "/api/v1/customers/abc", "get", "", "abc"},
      {Method::kGet, "/api/v1/customers/abc/timeline", "timeline", "", "abc"},
      {Method::kPost, "/api/v1/customers/batch", "batch", "", ""},
      {Method::kPatch, "/api/v1/customers/abc", "", "GET, DELETE", ""},
      {Method::kGet, "/api/v1/customers/", "", "", ""},  // empty id segment
      {Method::kGet, "/api/v1/nothing", "", "", ""},
      {Method::kGet, "/api/v1/customers/abc/timeline/x", "", "", ""},
  };
  for (const Case& c : cases) {
    Request request;
    Router::Match match = router.Find(c.method, c.path, request);
    if (c.route.empty()) {
      EXPECT_EQ(match.route, nullptr) << c.path;
      EXPECT_EQ(match.allowed, c.allowed) << c.path;
      continue;
    }
    ASSERT_NE(match.route, nullptr) << c.path;
    EXPECT_EQ(match.route->handler(request).body, c.route) << c.path;
    EXPECT_EQ(request.PathParam("id"), c.id) << c.path;
  }
}

TEST(RouterTest, LiteralSegmentsWinOverParameters) {
  Router router;
  router.Get("/things/:id", Named("param"));
  router.Get("/things/special", Named("literal"));
  Request request;
  auto match = router.Find(Method::kGet, "/things/special", request);
  ASSERT_NE(match.route, nullptr);
  EXPECT_EQ(match.route->handler(request).body, "literal");
}

TEST(RouterTest, ParameterWithSuffixMatchesOnlyThatSuffix) {
  Router router;
  router.Get("/t/o/:token.gif", Named("pixel"));
  router.Get("/t/c/:token", Named("click"));
  struct Case {
    std::string path;
    std::string route;  // "" for none
    std::string token;
  };
  const std::vector<Case> cases = {
      {"/t/o/abc.gif", "pixel", "abc"},
      {"/t/o/a.b.gif", "pixel", "a.b"},
      {"/t/o/.gif", "", ""},     // nothing before the suffix
      {"/t/o/abc.png", "", ""},  // another suffix
      {"/t/o/abc", "", ""},
      {"/t/c/abc.gif", "click", "abc.gif"},  // a plain parameter keeps the dot
  };
  for (const Case& c : cases) {
    Request request;
    Router::Match match = router.Find(Method::kGet, c.path, request);
    if (c.route.empty()) {
      EXPECT_EQ(match.route, nullptr) << c.path;
      continue;
    }
    ASSERT_NE(match.route, nullptr) << c.path;
    EXPECT_EQ(match.route->handler(request).body, c.route) << c.path;
    EXPECT_EQ(request.PathParam("token"), c.token) << c.path;
  }
}

TEST(RateLimiterTest, AllowsTheBurstThenRefuses) {
  RateLimiter limiter(1, 3);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.Take("ip").allowed) << i;
  auto refused = limiter.Take("ip");
  EXPECT_FALSE(refused.allowed);
  EXPECT_GE(refused.retry_after_seconds, 1);
  EXPECT_EQ(refused.limit, 3);
  EXPECT_TRUE(limiter.Take("other-ip").allowed);  // buckets are per key
}

TEST(RateLimiterTest, ZeroRateDisables) {
  RateLimiter limiter(0, 0);
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(limiter.Take("ip").allowed);
}

TEST(ResponseTest, IfMatchParsesStrongAndWeakTags) {
  Request request;
  EXPECT_FALSE(IfMatchVersion(request));
  EXPECT_EQ(Etag(7), "\"7\"");
}

}  // namespace
}  // namespace rapport::http
