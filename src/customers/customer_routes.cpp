#include "customers/customer_routes.hpp"

#include <memory>

#include <fmt/format.h>

#include "core/json_reader.hpp"
#include "http/list_params.hpp"
#include "http/response.hpp"

namespace rapport::customers {

namespace {

using http::Request;
using http::Response;

// A JSON response whose body is already JSON text (the customer paths skip building an
// nlohmann document: see core/json_text.hpp).
Response JsonText(int status, std::string body) {
  Response response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

// A customer's JSON text with its version as the ETag.
Response VersionedJson(int status, std::string body, int64_t version) {
  Response response = JsonText(status, std::move(body));
  response.WithHeader("ETag", http::Etag(version));
  return response;
}

Response CustomerResponse(int status, const Customer& customer) {
  std::string body;
  body.reserve(768);
  customer.AppendJson(body);
  Response response = VersionedJson(status, std::move(body), customer.version);
  if (status == http::status::kCreated) {
    response.WithHeader("Location", fmt::format("/api/v1/customers/{}", customer.id));
  }
  return response;
}

// The list parameters and filters shared by both customer lists.
core::Result<std::pair<CustomerFilter, core::PageRequest>> ParseListRequest(const Request& request) {
  auto page = http::ParsePage(request, kCustomerSortFields, kDefaultCustomerSort);
  if (!page) return page.error();
  auto filter = ParseCustomerFilter([&](std::string_view name) { return request.Query(name); });
  if (!filter) return filter.error();
  return std::pair{std::move(*filter), std::move(*page)};
}

class Routes {
 public:
  explicit Routes(CustomerService& customers) : customers_(customers) {}

  // GET /api/v1/customers
  Response List(const Request& request) const {
    auto params = ParseListRequest(request);
    if (!params) return http::Problem(params.error(), request);
    auto result = customers_.ListJson(request.principal(), params->first, params->second);
    if (!result) return http::Problem(result.error(), request);
    return JsonText(http::status::kOk, std::move(*result));
  }

  // GET /api/v1/companies/:id/customers
  Response ListForCompany(const Request& request) const {
    auto params = ParseListRequest(request);
    if (!params) return http::Problem(params.error(), request);
    auto result = customers_.ListForCompany(request.principal(), request.PathParam("id"),
                                            std::move(params->first), params->second);
    if (!result) return http::Problem(result.error(), request);
    return JsonText(http::status::kOk, std::move(*result));
  }

  // POST /api/v1/customers
  Response Create(const Request& request) const {
    nlohmann::json body;
    if (auto error = core::ParseJsonObject(request.body(), body)) return http::Problem(*error, request);
    auto input = ParseNewCustomer(body);
    if (!input) return http::Problem(input.error(), request);
    auto customer = customers_.Create(request.principal(), *input);
    if (!customer) return http::Problem(customer.error(), request);
    return CustomerResponse(http::status::kCreated, *customer);
  }

  // GET /api/v1/customers/:id
  Response Get(const Request& request) const {
    auto customer = customers_.GetJson(request.principal(), request.PathParam("id"));
    if (!customer) return http::Problem(customer.error(), request);
    return VersionedJson(http::status::kOk, std::move(customer->text), customer->version);
  }

  // PATCH /api/v1/customers/:id
  Response Update(const Request& request) const {
    nlohmann::json body;
    if (auto error = core::ParseJsonObject(request.body(), body)) return http::Problem(*error, request);
    auto changes = ParseCustomerChanges(body);
    if (!changes) return http::Problem(changes.error(), request);
    auto customer = customers_.Update(request.principal(), request.PathParam("id"), *changes,
                                      http::IfMatchVersion(request));
    if (!customer) return http::Problem(customer.error(), request);
    return CustomerResponse(http::status::kOk, *customer);
  }

  // DELETE /api/v1/customers/:id
  Response Delete(const Request& request) const {
    auto done = customers_.Delete(request.principal(), request.PathParam("id"),
                                  http::IfMatchVersion(request));
    if (!done) return http::Problem(done.error(), request);
    return http::NoContent();
  }

  // GET /api/v1/customers/:id/status-history
  Response StatusHistory(const Request& request) const {
    auto history = customers_.StatusHistory(request.principal(), request.PathParam("id"));
    if (!history) return http::Problem(history.error(), request);
    nlohmann::json data = nlohmann::json::array();
    for (const StatusChange& change : *history) data.push_back(change.ToJson());
    return http::Json(http::status::kOk, {{"data", std::move(data)}});
  }

 private:
  CustomerService& customers_;
};

}  // namespace

void RegisterCustomerRoutes(http::Router& router, CustomerService& customers) {
  auto routes = std::make_shared<Routes>(customers);
  auto bind = [routes](Response (Routes::*method)(const Request&) const) {
    return [routes, method](const Request& request) { return ((*routes).*method)(request); };
  };
  router.Get("/api/v1/customers", bind(&Routes::List));
  router.Post("/api/v1/customers", bind(&Routes::Create));
  router.Get("/api/v1/customers/:id", bind(&Routes::Get));
  router.Patch("/api/v1/customers/:id", bind(&Routes::Update));
  router.Delete("/api/v1/customers/:id", bind(&Routes::Delete));
  router.Get("/api/v1/customers/:id/status-history", bind(&Routes::StatusHistory));
  router.Get("/api/v1/companies/:id/customers", bind(&Routes::ListForCompany));
}

}  // namespace rapport::customers
