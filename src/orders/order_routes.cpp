#include "orders/order_routes.hpp"

#include <memory>

#include <fmt/format.h>

#include "core/json_reader.hpp"
#include "http/list_params.hpp"
#include "http/response.hpp"

namespace rapport::orders {

namespace {

using http::Request;
using http::Response;

Response OrderResponse(int status, const Order& order) {
  Response response = http::Json(status, order.ToJson());
  response.WithHeader("ETag", http::Etag(order.version));
  if (status == http::status::kCreated) {
    response.WithHeader("Location", fmt::format("/api/v1/orders/{}", order.id));
  }
  return response;
}

core::Result<std::pair<OrderFilter, core::PageRequest>> ParseListRequest(const Request& request) {
  auto page = http::ParsePage(request, kOrderSortFields, kDefaultOrderSort);
  if (!page) return page.error();
  auto filter = ParseOrderFilter([&](std::string_view name) { return request.Query(name); });
  if (!filter) return filter.error();
  return std::pair{std::move(*filter), std::move(*page)};
}

class Routes {
 public:
  explicit Routes(OrderService& orders) : orders_(orders) {}

  // GET /api/v1/orders
  Response List(const Request& request) const {
    auto params = ParseListRequest(request);
    if (!params) return http::Problem(params.error(), request);
    auto result = orders_.List(request.principal(), params->first, params->second);
    if (!result) return http::Problem(result.error(), request);
    return http::Json(http::status::kOk, result->ToJson());
  }

  // GET /api/v1/customers/:id/orders
  Response ListForCustomer(const Request& request) const {
    auto params = ParseListRequest(request);
    if (!params) return http::Problem(params.error(), request);
    auto result = orders_.ListForCustomer(request.principal(), request.PathParam("id"),
                                          std::move(params->first), params->second);
    if (!result) return http::Problem(result.error(), request);
    return http::Json(http::status::kOk, result->ToJson());
  }

  // POST /api/v1/orders
  Response Create(const Request& request) const {
    nlohmann::json body;
    if (auto error = core::ParseJsonObject(request.body(), body)) return http::Problem(*error, request);
    auto input = ParseNewOrder(body);
    if (!input) return http::Problem(input.error(), request);
    auto order = orders_.Create(request.principal(), *input);
    if (!order) return http::Problem(order.error(), request);
    return OrderResponse(http::status::kCreated, *order);
  }

  // GET /api/v1/orders/:id
  Response Get(const Request& request) const {
    auto order = orders_.Get(request.principal(), request.PathParam("id"));
    if (!order) return http::Problem(order.error(), request);
    return OrderResponse(http::status::kOk, *order);
  }

  // PATCH /api/v1/orders/:id
  Response Update(const Request& request) const {
    nlohmann::json body;
    if (auto error = core::ParseJsonObject(request.body(), body)) return http::Problem(*error, request);
    auto changes = ParseOrderChanges(body);
    if (!changes) return http::Problem(changes.error(), request);
    auto order = orders_.Update(request.principal(), request.PathParam("id"), *changes,
                                http::IfMatchVersion(request));
    if (!order) return http::Problem(order.error(), request);
    return OrderResponse(http::status::kOk, *order);
  }

 private:
  OrderService& orders_;
};

}  // namespace

void RegisterOrderRoutes(http::Router& router, OrderService& orders) {
  auto routes = std::make_shared<Routes>(orders);
  auto bind = [routes](Response (Routes::*method)(const Request&) const) {
    return [routes, method](const Request& request) { return ((*routes).*method)(request); };
  };
  router.Get("/api/v1/orders", bind(&Routes::List));
  router.Post("/api/v1/orders", bind(&Routes::Create));
  router.Get("/api/v1/orders/:id", bind(&Routes::Get));
  router.Patch("/api/v1/orders/:id", bind(&Routes::Update));
  router.Get("/api/v1/customers/:id/orders", bind(&Routes::ListForCustomer));
}

}  // namespace rapport::orders
