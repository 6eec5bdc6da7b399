#include "oidc/oidc_routes.hpp"

#include <memory>

#include <nlohmann/json.hpp>

#include "http/response.hpp"

namespace rapport::oidc {

namespace {

using http::Request;
using http::Response;

std::optional<std::string> Param(const Request& request, std::string_view name) {
  auto value = request.Query(name);
  if (!value) return std::nullopt;
  return std::string(*value);
}

class Routes {
 public:
  explicit Routes(OidcService& oidc) : oidc_(oidc) {}

  // GET /api/v1/auth/oidc/:provider/login
  Response Login(const Request& request) const {
    auto url = oidc_.StartLogin(request.PathParam("provider"));
    if (!url) return http::Problem(url.error(), request);
    Response response = http::Json(302, {{"authorization_url", *url}});
    response.WithHeader("Location", *url);
    response.WithHeader("Cache-Control", "no-store");
    return response;
  }

  // GET /api/v1/auth/oidc/:provider/callback?code&state (or ?error&state)
  Response Callback(const Request& request) const {
    CallbackParams params{Param(request, "code"), Param(request, "state"), Param(request, "error")};
    auto signed_in = oidc_.FinishLogin(request.PathParam("provider"), params);
    if (!signed_in) {
      Response problem = http::Problem(signed_in.error(), request);
      problem.WithHeader("Cache-Control", "no-store");
      return problem;
    }
    const auto& [tokens, user] = *signed_in;
    nlohmann::json out = {{"access_token", tokens.access_token},
                          {"refresh_token", tokens.refresh_token},
                          {"token_type", "Bearer"},
                          {"expires_in", tokens.expires_in},
                          {"user", user.ToJson()}};
    Response response = http::Json(http::status::kOk, out);
    response.WithHeader("Cache-Control", "no-store");
    return response;
  }

 private:
  OidcService& oidc_;
};

}  // namespace

void RegisterOidcRoutes(http::Router& router, OidcService& oidc) {
  auto routes = std::make_shared<Routes>(oidc);
  // Public sign-in steps: the strict bucket, and off the network threads, since
  // both wait for the provider (bounded by the OIDC timeout) and write to the
  // database.
  const http::RouteOptions options{
      .access = http::Access::kPublic, .strict_rate_limit = true, .blocking = true};
  router.Get(
      "/api/v1/auth/oidc/:provider/login",
      [routes](const Request& request) { return routes->Login(request); }, options);
  router.Get(
      "/api/v1/auth/oidc/:provider/callback",
      [routes](const Request& request) { return routes->Callback(request); }, options);
}

}  // namespace rapport::oidc
