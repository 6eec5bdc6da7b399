#include "segments/segment_routes.hpp"

#include <memory>

#include <fmt/format.h>

#include "core/json_reader.hpp"
#include "http/list_params.hpp"
#include "http/response.hpp"

namespace rapport::segments {

namespace {

using http::Request;
using http::Response;

Response JsonText(int status, std::string body) {
  Response response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

Response SegmentResponse(int status, const Segment& segment) {
  Response response = http::Json(status, segment.ToJson());
  response.WithHeader("ETag", http::Etag(segment.version));
  if (status == http::status::kCreated) {
    response.WithHeader("Location", fmt::format("/api/v1/segments/{}", segment.id));
  }
  return response;
}

class Routes {
 public:
  explicit Routes(SegmentService& segments) : segments_(segments) {}

  // GET /api/v1/segments
  Response List(const Request& request) const {
    auto page = http::ParsePage(request, kSegmentSortFields, kDefaultSegmentSort);
    if (!page) return http::Problem(page.error(), request);
    SegmentFilter filter;
    if (auto q = request.Query("q"); q && !q->empty()) filter.q = std::string(*q);
    auto result = segments_.List(request.principal(), filter, *page);
    if (!result) return http::Problem(result.error(), request);
    return http::Json(http::status::kOk, std::move(*result).ToJson());
  }

  // POST /api/v1/segments
  Response Create(const Request& request) const {
    nlohmann::json body;
    if (auto error = core::ParseJsonObject(request.body(), body)) return http::Problem(*error, request);
    auto input = ParseNewSegment(body);
    if (!input) return http::Problem(input.error(), request);
    auto segment = segments_.Create(request.principal(), *input);
    if (!segment) return http::Problem(segment.error(), request);
    return SegmentResponse(http::status::kCreated, *segment);
  }

  // POST /api/v1/segments/preview — the body is the rule group itself.
  Response Preview(const Request& request) const {
    nlohmann::json body;
    if (auto error = core::ParseJsonObject(request.body(), body)) return http::Problem(*error, request);
    auto rules = rules::ParseRules(body);
    if (!rules) return http::Problem(rules.error(), request);
    auto preview = segments_.PreviewRules(request.principal(), *rules);
    if (!preview) return http::Problem(preview.error(), request);
    return JsonText(http::status::kOk, preview->ToJsonText());
  }

  // GET /api/v1/segments/:id
  Response Get(const Request& request) const {
    auto segment = segments_.Get(request.principal(), request.PathParam("id"));
    if (!segment) return http::Problem(segment.error(), request);
    return SegmentResponse(http::status::kOk, *segment);
  }

  // PATCH /api/v1/segments/:id
  Response Update(const Request& request) const {
    nlohmann::json body;
    if (auto error = core::ParseJsonObject(request.body(), body)) return http::Problem(*error, request);
    auto changes = ParseSegmentChanges(body);
    if (!changes) return http::Problem(changes.error(), request);
    auto segment = segments_.Update(request.principal(), request.PathParam("id"), *changes,
                                    http::IfMatchVersion(request));
    if (!segment) return http::Problem(segment.error(), request);
    return SegmentResponse(http::status::kOk, *segment);
  }

  // DELETE /api/v1/segments/:id
  Response Delete(const Request& request) const {
    auto done = segments_.Delete(request.principal(), request.PathParam("id"),
                                 http::IfMatchVersion(request));
    if (!done) return http::Problem(done.error(), request);
    return http::NoContent();
  }

  // GET /api/v1/segments/:id/preview
  Response PreviewSaved(const Request& request) const {
    auto preview = segments_.PreviewSegment(request.principal(), request.PathParam("id"));
    if (!preview) return http::Problem(preview.error(), request);
    return JsonText(http::status::kOk, preview->ToJsonText());
  }

  // GET /api/v1/segments/:id/customers
  Response Members(const Request& request) const {
    auto page = http::ParsePage(request, customers::kCustomerSortFields,
                                customers::kDefaultCustomerSort);
    if (!page) return http::Problem(page.error(), request);
    auto filter = customers::ParseCustomerFilter(
        [&](std::string_view name) { return request.Query(name); });
    if (!filter) return http::Problem(filter.error(), request);
    auto members = segments_.Members(request.principal(), request.PathParam("id"),
                                     std::move(*filter), *page);
    if (!members) return http::Problem(members.error(), request);
    return JsonText(http::status::kOk, std::move(*members));
  }

 private:
  SegmentService& segments_;
};

}  // namespace

void RegisterSegmentRoutes(http::Router& router, SegmentService& segments) {
  auto routes = std::make_shared<Routes>(segments);
  auto bind = [routes](Response (Routes::*method)(const Request&) const) {
    return [routes, method](const Request& request) { return ((*routes).*method)(request); };
  };
  router.Get("/api/v1/segments", bind(&Routes::List));
  router.Post("/api/v1/segments", bind(&Routes::Create));
  router.Post("/api/v1/segments/preview", bind(&Routes::Preview));
  router.Get("/api/v1/segments/:id", bind(&Routes::Get));
  router.Patch("/api/v1/segments/:id", bind(&Routes::Update));
  router.Delete("/api/v1/segments/:id", bind(&Routes::Delete));
  router.Get("/api/v1/segments/:id/preview", bind(&Routes::PreviewSaved));
  router.Get("/api/v1/segments/:id/customers", bind(&Routes::Members));
}

}  // namespace rapport::segments
