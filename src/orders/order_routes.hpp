#pragma once

#include "http/router.hpp"
#include "orders/order_service.hpp"

namespace rapport::orders {

// /api/v1/orders, /api/v1/orders/:id and /api/v1/customers/:id/orders. `orders` must outlive
// the router.
void RegisterOrderRoutes(http::Router& router, OrderService& orders);

}  // namespace rapport::orders
