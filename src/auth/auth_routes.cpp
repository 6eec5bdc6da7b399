#include "auth/auth_routes.hpp"

#include <fmt/format.h>

#include "core/json_reader.hpp"
#include "http/list_params.hpp"
#include "http/response.hpp"

namespace rapport::auth {

namespace {

using http::Request;
using http::Response;

nlohmann::json TokensJson(const TokenPair& tokens) {
  return {{"access_token", tokens.access_token},
          {"refresh_token", tokens.refresh_token},
          {"token_type", "Bearer"},
          {"expires_in", tokens.expires_in}};
}

Response UserResponse(int status, const User& user) {
  Response response = http::Json(status, user.ToJson());
  response.WithHeader("ETag", http::Etag(user.version));
  if (status == http::status::kCreated) {
    response.WithHeader("Location", fmt::format("/api/v1/users/{}", user.id));
  }
  return response;
}

// Reads a body holding only the string field `key` (refresh and logout).
core::Result<std::string> ReadTokenBody(const Request& request, std::string_view key) {
  nlohmann::json body;
  if (auto error = core::ParseJsonObject(request.body(), body)) return *error;
  core::JsonReader in(body);
  auto token = in.Text(key, {.min = 1, .max = 512, .trim = false});
  in.Require(key, token);
  if (auto error = in.Finish()) return *error;
  return *token.value;
}

class Routes {
 public:
  Routes(AuthService& auth, UserService& users) : auth_(auth), users_(users) {}

  // POST /api/v1/auth/bootstrap
  Response Bootstrap(const Request& request) const {
    nlohmann::json body;
    if (auto error = core::ParseJsonObject(request.body(), body)) return http::Problem(*error, request);
    auto input = ParseNewUser(body, /*role_required=*/false);
    if (!input) return http::Problem(input.error(), request);
    auto user = auth_.Bootstrap(*input);
    if (!user) return http::Problem(user.error(), request);
    return UserResponse(http::status::kCreated, *user);
  }

  // POST /api/v1/auth/login
  Response Login(const Request& request) const {
    nlohmann::json body;
    if (auto error = core::ParseJsonObject(request.body(), body)) return http::Problem(*error, request);
    core::JsonReader in(body);
    auto email = in.Text("email", {.min = 1, .max = 254});
    auto password = in.Text("password", {.min = 1, .max = kMaxPasswordLength, .trim = false});
    in.Require("email", email);
    in.Require("password", password);
    if (auto error = in.Finish()) return http::Problem(*error, request);
    auto outcome = auth_.Login(*email.value, *password.value, request.client_ip());
    if (!outcome.result) {
      Response response = http::Problem(outcome.result.error(), request);
      response.delay = outcome.delay;
      return response;
    }
    auto& [tokens, user] = *outcome.result;
    nlohmann::json out = TokensJson(tokens);
    out["user"] = user.ToJson();
    return http::Json(http::status::kOk, out);
  }

  // POST /api/v1/auth/refresh
  Response Refresh(const Request& request) const {
    auto token = ReadTokenBody(request, "refresh_token");
    if (!token) return http::Problem(token.error(), request);
    auto tokens = auth_.Refresh(*token);
    if (!tokens) return http::Problem(tokens.error(), request);
    return http::Json(http::status::kOk, TokensJson(*tokens));
  }

  // POST /api/v1/auth/logout
  Response Logout(const Request& request) const {
    auto token = ReadTokenBody(request, "refresh_token");
    if (!token) return http::Problem(token.error(), request);
    auth_.Logout(*token);
    return http::NoContent();
  }

  // GET /api/v1/auth/me
  Response Me(const Request& request) const {
    auto user = auth_.Me(request.principal());
    if (!user) return http::Problem(user.error(), request);
    return UserResponse(http::status::kOk, *user);
  }

  // PATCH /api/v1/auth/me
  Response UpdateMe(const Request& request) const {
    nlohmann::json body;
    if (auto error = core::ParseJsonObject(request.body(), body)) return http::Problem(*error, request);
    auto changes = ParseUserChanges(body, /*self=*/true);
    if (!changes) return http::Problem(changes.error(), request);
    auto user = auth_.UpdateMe(request.principal(), *changes);
    if (!user) return http::Problem(user.error(), request);
    return UserResponse(http::status::kOk, *user);
  }

  // GET /api/v1/users
  Response ListUsers(const Request& request) const {
    auto page = http::ParsePage(request, {"name", "email", "created_at", "role"}, "name");
    if (!page) return http::Problem(page.error(), request);
    UserStore::Filter filter;
    if (auto role = request.Query("role")) {
      core::Role parsed;
      if (!core::ParseRole(*role, parsed)) {
        return http::Problem(core::Error::BadRequest("role", "must be admin, manager or agent"),
                             request);
      }
      filter.role = std::string(*role);
    }
    if (request.Query("active")) {
      auto active = http::QueryFlag(request, "active", true);
      if (!active) return http::Problem(active.error(), request);
      filter.active = *active;
    }
    if (auto q = request.Query("q"); q && !q->empty()) filter.q = std::string(*q);
    auto result = users_.List(request.principal(), filter, *page);
    if (!result) return http::Problem(result.error(), request);
    return http::Json(http::status::kOk, std::move(*result).ToJson());
  }

  // POST /api/v1/users
  Response CreateUser(const Request& request) const {
    nlohmann::json body;
    if (auto error = core::ParseJsonObject(request.body(), body)) return http::Problem(*error, request);
    auto input = ParseNewUser(body, /*role_required=*/true);
    if (!input) return http::Problem(input.error(), request);
    auto user = users_.Create(request.principal(), *input);
    if (!user) return http::Problem(user.error(), request);
    return UserResponse(http::status::kCreated, *user);
  }

  // GET /api/v1/users/:id
  Response GetUser(const Request& request) const {
    auto user = users_.Get(request.principal(), request.PathParam("id"));
    if (!user) return http::Problem(user.error(), request);
    return UserResponse(http::status::kOk, *user);
  }

  // PATCH /api/v1/users/:id
  Response UpdateUser(const Request& request) const {
    nlohmann::json body;
    if (auto error = core::ParseJsonObject(request.body(), body)) return http::Problem(*error, request);
    auto changes = ParseUserChanges(body, /*self=*/false);
    if (!changes) return http::Problem(changes.error(), request);
    auto user = users_.Update(request.principal(), request.PathParam("id"), *changes,
                              http::IfMatchVersion(request));
    if (!user) return http::Problem(user.error(), request);
    return UserResponse(http::status::kOk, *user);
  }

  // DELETE /api/v1/users/:id
  Response DeleteUser(const Request& request) const {
    auto done = users_.Deactivate(request.principal(), request.PathParam("id"));
    if (!done) return http::Problem(done.error(), request);
    return http::NoContent();
  }

 private:
  AuthService& auth_;
  UserService& users_;
};

}  // namespace

void RegisterAuthRoutes(http::Router& router, AuthService& auth, UserService& users) {
  auto routes = std::make_shared<Routes>(auth, users);
  auto bind = [routes](Response (Routes::*method)(const Request&) const) {
    return [routes, method](const Request& request) { return ((*routes).*method)(request); };
  };
  const http::RouteOptions open{.access = http::Access::kPublic, .strict_rate_limit = true};
  router.Post("/api/v1/auth/bootstrap", bind(&Routes::Bootstrap), open);
  router.Post("/api/v1/auth/login", bind(&Routes::Login), open);
  router.Post("/api/v1/auth/refresh", bind(&Routes::Refresh), open);
  router.Post("/api/v1/auth/logout", bind(&Routes::Logout), {.access = http::Access::kPublic});
  router.Get("/api/v1/auth/me", bind(&Routes::Me));
  router.Patch("/api/v1/auth/me", bind(&Routes::UpdateMe));
  router.Get("/api/v1/users", bind(&Routes::ListUsers));
  router.Post("/api/v1/users", bind(&Routes::CreateUser));
  router.Get("/api/v1/users/:id", bind(&Routes::GetUser));
  router.Patch("/api/v1/users/:id", bind(&Routes::UpdateUser));
  router.Delete("/api/v1/users/:id", bind(&Routes::DeleteUser));
}

}  // namespace rapport::auth
