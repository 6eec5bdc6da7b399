#include "timeline/timeline_routes.hpp"

#include "core/query_reader.hpp"
#include "http/list_params.hpp"
#include "http/response.hpp"

namespace rapport::timeline {

void RegisterTimelineRoutes(http::Router& router, TimelineService& timeline) {
  // GET /api/v1/customers/:id/timeline
  router.Get("/api/v1/customers/:id/timeline", [&timeline](const http::Request& request) {
    auto page = http::ParsePage(request, kTimelineSortFields, kDefaultTimelineSort);
    if (!page) return http::Problem(page.error(), request);
    core::QueryReader in([&](std::string_view name) { return request.Query(name); });
    auto kinds = in.OneOf("kind", timeline.kinds());
    if (auto error = in.Finish()) return http::Problem(*error, request);
    auto result = timeline.List(request.principal(), request.PathParam("id"), kinds, *page);
    if (!result) return http::Problem(result.error(), request);
    return http::Json(http::status::kOk, result->ToJson());
  });
}

}  // namespace rapport::timeline
