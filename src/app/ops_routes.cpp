#include "app/ops_routes.hpp"

#include "auth/tokens.hpp"
#include "core/asset.hpp"
#include "db/migrations.hpp"
#include "http/response.hpp"

namespace rapport::app {

extern const std::vector<core::Asset> kWebAssets;

namespace {

std::string_view Asset(std::string_view name) {
  for (const core::Asset& asset : kWebAssets) {
    if (asset.name == name) return asset.content;
  }
  return {};
}

}  // namespace

void RegisterOpsRoutes(http::Router& router, db::Database& database, http::Metrics& metrics,
                       std::string metrics_token) {
  const http::RouteOptions open{.access = http::Access::kPublic};
  router.Get("/healthz", [](const http::Request&) {
    return http::Json(http::status::kOk, {{"status", "ok"}});
  }, open);

  router.Get("/readyz", [&database](const http::Request& request) {
    if (!database.Ping()) {
      return http::Problem(core::Error::Unavailable("the database is not reachable"), request);
    }
    if (!db::MigrationsApplied(database)) {
      return http::Problem(core::Error::Unavailable("database migrations are not applied"), request);
    }
    return http::Json(http::status::kOk, {{"status", "ready"}});
  }, open);

  router.Get("/metrics", [&metrics, token = std::move(metrics_token)](const http::Request& request) {
    if (!token.empty()) {
      std::string_view given = request.Header("Authorization");
      if (!auth::ConstantTimeEquals(given, "Bearer " + token)) {
        return http::Problem(core::Error::Unauthorized("/metrics needs the metrics token"), request);
      }
    }
    return http::Text(http::status::kOk, "text/plain; version=0.0.4; charset=utf-8", metrics.Render());
  }, open);

  router.Get("/openapi.json", [](const http::Request&) {
    return http::Text(http::status::kOk, "application/json", std::string(Asset("openapi.json")));
  }, open);

  router.Get("/docs", [](const http::Request&) {
    return http::Text(http::status::kOk, "text/html; charset=utf-8", std::string(Asset("docs.html")));
  }, open);
}

}  // namespace rapport::app
