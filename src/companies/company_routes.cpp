#include "companies/company_routes.hpp"

#include <memory>

#include <fmt/format.h>

#include "core/json_reader.hpp"
#include "http/list_params.hpp"
#include "http/response.hpp"

namespace rapport::companies {

namespace {

using http::Request;
using http::Response;

Response CompanyResponse(int status, const Company& company) {
  Response response = http::Json(status, company.ToJson());
  response.WithHeader("ETag", http::Etag(company.version));
  if (status == http::status::kCreated) {
    response.WithHeader("Location", fmt::format("/api/v1/companies/{}", company.id));
  }
  return response;
}

class Routes {
 public:
  explicit Routes(CompanyService& companies) : companies_(companies) {}

  // GET /api/v1/companies
  Response List(const Request& request) const {
    auto page = http::ParsePage(request, kCompanySortFields, kDefaultCompanySort);
    if (!page) return http::Problem(page.error(), request);
    CompanyFilter filter;
    if (auto q = request.Query("q"); q && !q->empty()) filter.q = std::string(*q);
    auto result = companies_.List(request.principal(), filter, *page);
    if (!result) return http::Problem(result.error(), request);
    return http::Json(http::status::kOk, std::move(*result).ToJson());
  }

  // POST /api/v1/companies
  Response Create(const Request& request) const {
    nlohmann::json body;
    if (auto error = core::ParseJsonObject(request.body(), body)) return http::Problem(*error, request);
    auto input = ParseNewCompany(body);
    if (!input) return http::Problem(input.error(), request);
    auto company = companies_.Create(request.principal(), *input);
    if (!company) return http::Problem(company.error(), request);
    return CompanyResponse(http::status::kCreated, *company);
  }

  // GET /api/v1/companies/:id
  Response Get(const Request& request) const {
    auto company = companies_.Get(request.principal(), request.PathParam("id"));
    if (!company) return http::Problem(company.error(), request);
    return CompanyResponse(http::status::kOk, *company);
  }

  // PATCH /api/v1/companies/:id
  Response Update(const Request& request) const {
    nlohmann::json body;
    if (auto error = core::ParseJsonObject(request.body(), body)) return http::Problem(*error, request);
    auto changes = ParseCompanyChanges(body);
    if (!changes) return http::Problem(changes.error(), request);
    auto company = companies_.Update(request.principal(), request.PathParam("id"), *changes,
                                     http::IfMatchVersion(request));
    if (!company) return http::Problem(company.error(), request);
    return CompanyResponse(http::status::kOk, *company);
  }

  // DELETE /api/v1/companies/:id
  Response Delete(const Request& request) const {
    auto done = companies_.Delete(request.principal(), request.PathParam("id"),
                                  http::IfMatchVersion(request));
    if (!done) return http::Problem(done.error(), request);
    return http::NoContent();
  }

 private:
  CompanyService& companies_;
};

}  // namespace

void RegisterCompanyRoutes(http::Router& router, CompanyService& companies) {
  auto routes = std::make_shared<Routes>(companies);
  auto bind = [routes](Response (Routes::*method)(const Request&) const) {
    return [routes, method](const Request& request) { return ((*routes).*method)(request); };
  };
  router.Get("/api/v1/companies", bind(&Routes::List));
  router.Post("/api/v1/companies", bind(&Routes::Create));
  router.Get("/api/v1/companies/:id", bind(&Routes::Get));
  router.Patch("/api/v1/companies/:id", bind(&Routes::Update));
  router.Delete("/api/v1/companies/:id", bind(&Routes::Delete));
}

}  // namespace rapport::companies
