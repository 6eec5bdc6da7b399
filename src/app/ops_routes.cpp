#include "app/ops_routes.hpp"

#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "auth/tokens.hpp"
#include "core/asset.hpp"
#include "db/migrations.hpp"
#include "http/response.hpp"

namespace rapport::app {

extern const std::vector<core::Asset> kWebAssets;
extern const std::vector<core::Asset> kOpenApiParts;

namespace {

std::string_view Asset(std::string_view name) {
  for (const core::Asset& asset : kWebAssets) {
    if (asset.name == name) return asset.content;
  }
  return {};
}

}  // namespace

std::string MergeOpenApi(const std::vector<core::Asset>& parts) {
  nlohmann::ordered_json document;
  for (const core::Asset& part : parts) {
    if (part.name == "openapi.json") document = nlohmann::ordered_json::parse(part.content);
  }
  if (!document.is_object()) throw std::logic_error("docs/openapi/openapi.json is missing");
  for (const core::Asset& part : parts) {
    if (part.name == "openapi.json") continue;
    const auto fragment = nlohmann::ordered_json::parse(part.content);
    if (fragment.contains("tags")) {
      for (const auto& tag : fragment["tags"]) document["tags"].push_back(tag);
    }
    if (fragment.contains("paths")) {
      for (const auto& [path, operations] : fragment["paths"].items()) {
        for (const auto& [method, operation] : operations.items()) {
          if (document["paths"][path].contains(method)) {
            throw std::logic_error(fmt::format("{}: {} {} is described twice", part.name, method, path));
          }
          document["paths"][path][method] = operation;
        }
      }
    }
    if (fragment.contains("components")) {
      for (const auto& [section, entries] : fragment["components"].items()) {
        for (const auto& [name, entry] : entries.items()) {
          if (document["components"][section].contains(name)) {
            throw std::logic_error(
                fmt::format("{}: components.{}.{} is defined twice", part.name, section, name));
          }
          document["components"][section][name] = entry;
        }
      }
    }
  }
  return document.dump(2);
}

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

  router.Get("/openapi.json", [document = MergeOpenApi(kOpenApiParts)](const http::Request&) {
    return http::Text(http::status::kOk, "application/json", document);
  }, open);

  router.Get("/docs", [](const http::Request&) {
    return http::Text(http::status::kOk, "text/html; charset=utf-8", std::string(Asset("docs.html")));
  }, open);
}

}  // namespace rapport::app
