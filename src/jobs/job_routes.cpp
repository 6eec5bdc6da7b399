#include "jobs/job_routes.hpp"

#include <memory>

#include "http/list_params.hpp"
#include "http/response.hpp"

namespace rapport::jobs {

namespace {

using http::Request;
using http::Response;

class Routes {
 public:
  explicit Routes(JobService& jobs) : jobs_(jobs) {}

  // GET /api/v1/jobs
  Response List(const Request& request) const {
    auto page = http::ParsePage(request, kJobSortFields, kDefaultJobSort);
    if (!page) return http::Problem(page.error(), request);
    auto filter = ParseJobFilter([&](std::string_view name) { return request.Query(name); });
    if (!filter) return http::Problem(filter.error(), request);
    auto result = jobs_.List(request.principal(), *filter, *page);
    if (!result) return http::Problem(result.error(), request);
    return http::Json(http::status::kOk, std::move(*result).ToJson());
  }

  // GET /api/v1/jobs/:id
  Response Get(const Request& request) const {
    auto job = jobs_.Get(request.principal(), request.PathParam("id"));
    if (!job) return http::Problem(job.error(), request);
    return http::Json(http::status::kOk, job->ToJson());
  }

  // POST /api/v1/jobs/:id/retry
  Response Retry(const Request& request) const {
    auto job = jobs_.Retry(request.principal(), request.PathParam("id"));
    if (!job) return http::Problem(job.error(), request);
    return http::Json(http::status::kOk, job->ToJson());
  }

 private:
  JobService& jobs_;
};

}  // namespace

void RegisterJobRoutes(http::Router& router, JobService& jobs) {
  auto routes = std::make_shared<Routes>(jobs);
  auto bind = [routes](Response (Routes::*method)(const Request&) const) {
    return [routes, method](const Request& request) { return ((*routes).*method)(request); };
  };
  router.Get("/api/v1/jobs", bind(&Routes::List));
  router.Get("/api/v1/jobs/:id", bind(&Routes::Get));
  router.Post("/api/v1/jobs/:id/retry", bind(&Routes::Retry));
}

}  // namespace rapport::jobs
