#include "interactions/interaction_routes.hpp"

#include <memory>

#include <fmt/format.h>

#include "core/json_reader.hpp"
#include "http/list_params.hpp"
#include "http/response.hpp"

namespace rapport::interactions {

namespace {

using http::Request;
using http::Response;

Response InteractionResponse(int status, const Interaction& interaction) {
  Response response = http::Json(status, interaction.ToJson());
  response.WithHeader("ETag", http::Etag(interaction.version));
  if (status == http::status::kCreated) {
    response.WithHeader("Location", fmt::format("/api/v1/interactions/{}", interaction.id));
  }
  return response;
}

// The list parameters and filters shared by both interaction lists.
core::Result<std::pair<InteractionFilter, core::PageRequest>> ParseListRequest(
    const Request& request) {
  auto page = http::ParsePage(request, kInteractionSortFields, kDefaultInteractionSort);
  if (!page) return page.error();
  auto filter = ParseInteractionFilter([&](std::string_view name) { return request.Query(name); });
  if (!filter) return filter.error();
  return std::pair{std::move(*filter), std::move(*page)};
}

class Routes {
 public:
  explicit Routes(InteractionService& interactions) : interactions_(interactions) {}

  // GET /api/v1/interactions
  Response List(const Request& request) const {
    auto params = ParseListRequest(request);
    if (!params) return http::Problem(params.error(), request);
    auto result = interactions_.List(request.principal(), params->first, params->second);
    if (!result) return http::Problem(result.error(), request);
    return http::Json(http::status::kOk, result->ToJson());
  }

  // GET /api/v1/customers/:id/interactions
  Response ListForCustomer(const Request& request) const {
    auto params = ParseListRequest(request);
    if (!params) return http::Problem(params.error(), request);
    auto result = interactions_.ListForCustomer(request.principal(), request.PathParam("id"),
                                                std::move(params->first), params->second);
    if (!result) return http::Problem(result.error(), request);
    return http::Json(http::status::kOk, result->ToJson());
  }

  // POST /api/v1/interactions
  Response Create(const Request& request) const {
    nlohmann::json body;
    if (auto error = core::ParseJsonObject(request.body(), body)) return http::Problem(*error, request);
    auto input = ParseNewInteraction(body);
    if (!input) return http::Problem(input.error(), request);
    auto interaction = interactions_.Create(request.principal(), *input);
    if (!interaction) return http::Problem(interaction.error(), request);
    return InteractionResponse(http::status::kCreated, *interaction);
  }

  // GET /api/v1/interactions/:id
  Response Get(const Request& request) const {
    auto interaction = interactions_.Get(request.principal(), request.PathParam("id"));
    if (!interaction) return http::Problem(interaction.error(), request);
    return InteractionResponse(http::status::kOk, *interaction);
  }

  // PATCH /api/v1/interactions/:id
  Response Update(const Request& request) const {
    nlohmann::json body;
    if (auto error = core::ParseJsonObject(request.body(), body)) return http::Problem(*error, request);
    auto changes = ParseInteractionChanges(body);
    if (!changes) return http::Problem(changes.error(), request);
    auto interaction = interactions_.Update(request.principal(), request.PathParam("id"), *changes,
                                            http::IfMatchVersion(request));
    if (!interaction) return http::Problem(interaction.error(), request);
    return InteractionResponse(http::status::kOk, *interaction);
  }

  // DELETE /api/v1/interactions/:id
  Response Delete(const Request& request) const {
    auto done = interactions_.Delete(request.principal(), request.PathParam("id"),
                                     http::IfMatchVersion(request));
    if (!done) return http::Problem(done.error(), request);
    return http::NoContent();
  }

 private:
  InteractionService& interactions_;
};

}  // namespace

void RegisterInteractionRoutes(http::Router& router, InteractionService& interactions) {
  auto routes = std::make_shared<Routes>(interactions);
  auto bind = [routes](Response (Routes::*method)(const Request&) const) {
    return [routes, method](const Request& request) { return ((*routes).*method)(request); };
  };
  router.Get("/api/v1/interactions", bind(&Routes::List));
  router.Post("/api/v1/interactions", bind(&Routes::Create));
  router.Get("/api/v1/interactions/:id", bind(&Routes::Get));
  router.Patch("/api/v1/interactions/:id", bind(&Routes::Update));
  router.Delete("/api/v1/interactions/:id", bind(&Routes::Delete));
  router.Get("/api/v1/customers/:id/interactions", bind(&Routes::ListForCustomer));
}

}  // namespace rapport::interactions
