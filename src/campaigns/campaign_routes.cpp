#include "campaigns/campaign_routes.hpp"

#include <memory>

#include <fmt/format.h>

#include "core/json_reader.hpp"
#include "core/text.hpp"
#include "http/list_params.hpp"
#include "http/response.hpp"

namespace rapport::campaigns {

namespace {

using http::Request;
using http::Response;

const std::vector<std::string_view> kLogSortFields = {"position"};

Response CampaignResponse(int status, const Campaign& campaign) {
  Response response = http::Json(status, campaign.ToJson());
  response.WithHeader("ETag", http::Etag(campaign.version));
  if (status == http::status::kCreated) {
    response.WithHeader("Location", fmt::format("/api/v1/campaigns/{}", campaign.id));
  }
  return response;
}

class Routes {
 public:
  explicit Routes(CampaignService& campaigns) : campaigns_(campaigns) {}

  // GET /api/v1/campaigns
  Response List(const Request& request) const {
    auto page = http::ParsePage(request, kCampaignSortFields, kDefaultCampaignSort);
    if (!page) return http::Problem(page.error(), request);
    auto filter =
        ParseCampaignFilter([&](std::string_view name) { return request.Query(name); });
    if (!filter) return http::Problem(filter.error(), request);
    auto result = campaigns_.List(request.principal(), *filter, *page);
    if (!result) return http::Problem(result.error(), request);
    return http::Json(http::status::kOk, result->ToJson());
  }

  // POST /api/v1/campaigns
  Response Create(const Request& request) const {
    nlohmann::json body;
    if (auto error = core::ParseJsonObject(request.body(), body)) return http::Problem(*error, request);
    auto input = ParseNewCampaign(body);
    if (!input) return http::Problem(input.error(), request);
    auto campaign = campaigns_.Create(request.principal(), *input);
    if (!campaign) return http::Problem(campaign.error(), request);
    return CampaignResponse(http::status::kCreated, *campaign);
  }

  // GET /api/v1/campaigns/:id
  Response Get(const Request& request) const {
    auto campaign = campaigns_.Get(request.principal(), request.PathParam("id"));
    if (!campaign) return http::Problem(campaign.error(), request);
    return CampaignResponse(http::status::kOk, *campaign);
  }

  // PATCH /api/v1/campaigns/:id
  Response Update(const Request& request) const {
    nlohmann::json body;
    if (auto error = core::ParseJsonObject(request.body(), body)) return http::Problem(*error, request);
    auto changes = ParseCampaignChanges(body);
    if (!changes) return http::Problem(changes.error(), request);
    auto campaign = campaigns_.Update(request.principal(), request.PathParam("id"), *changes,
                                      http::IfMatchVersion(request));
    if (!campaign) return http::Problem(campaign.error(), request);
    return CampaignResponse(http::status::kOk, *campaign);
  }

  // DELETE /api/v1/campaigns/:id
  Response Delete(const Request& request) const {
    auto done = campaigns_.Delete(request.principal(), request.PathParam("id"),
                                  http::IfMatchVersion(request));
    if (!done) return http::Problem(done.error(), request);
    return http::NoContent();
  }

  // POST /api/v1/campaigns/:id/send — the body is optional.
  Response Send(const Request& request) const {
    SendInput input;
    if (!core::Trim(request.body()).empty()) {
      nlohmann::json body;
      if (auto error = core::ParseJsonObject(request.body(), body)) {
        return http::Problem(*error, request);
      }
      auto parsed = ParseSendInput(body);
      if (!parsed) return http::Problem(parsed.error(), request);
      input = std::move(*parsed);
    }
    auto campaign = campaigns_.Send(request.principal(), request.PathParam("id"), input,
                                    http::IfMatchVersion(request));
    if (!campaign) return http::Problem(campaign.error(), request);
    return CampaignResponse(http::status::kAccepted, *campaign);
  }

  // POST /api/v1/campaigns/:id/cancel
  Response Cancel(const Request& request) const {
    auto campaign = campaigns_.Cancel(request.principal(), request.PathParam("id"));
    if (!campaign) return http::Problem(campaign.error(), request);
    return CampaignResponse(http::status::kOk, *campaign);
  }

  // GET /api/v1/campaigns/:id/log
  Response Log(const Request& request) const {
    auto page = http::ParsePage(request, kLogSortFields, "position");
    if (!page) return http::Problem(page.error(), request);
    auto filter = ParseLogFilter([&](std::string_view name) { return request.Query(name); });
    if (!filter) return http::Problem(filter.error(), request);
    auto log = campaigns_.Log(request.principal(), request.PathParam("id"), *filter, *page);
    if (!log) return http::Problem(log.error(), request);
    return http::Json(http::status::kOk, log->ToJson());
  }

 private:
  CampaignService& campaigns_;
};

}  // namespace

void RegisterCampaignRoutes(http::Router& router, CampaignService& campaigns) {
  auto routes = std::make_shared<Routes>(campaigns);
  auto bind = [routes](Response (Routes::*method)(const Request&) const) {
    return [routes, method](const Request& request) { return ((*routes).*method)(request); };
  };
  router.Get("/api/v1/campaigns", bind(&Routes::List));
  router.Post("/api/v1/campaigns", bind(&Routes::Create));
  router.Get("/api/v1/campaigns/:id", bind(&Routes::Get));
  router.Patch("/api/v1/campaigns/:id", bind(&Routes::Update));
  router.Delete("/api/v1/campaigns/:id", bind(&Routes::Delete));
  router.Post("/api/v1/campaigns/:id/send", bind(&Routes::Send));
  router.Post("/api/v1/campaigns/:id/cancel", bind(&Routes::Cancel));
  router.Get("/api/v1/campaigns/:id/log", bind(&Routes::Log));
}

}  // namespace rapport::campaigns
