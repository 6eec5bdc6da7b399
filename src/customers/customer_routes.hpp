#pragma once

#include "customers/customer_service.hpp"
#include "http/router.hpp"

namespace rapport::customers {

// /api/v1/customers, /api/v1/customers/:id, /api/v1/customers/:id/status-history and
// /api/v1/companies/:id/customers. `customers` must outlive the router.
void RegisterCustomerRoutes(http::Router& router, CustomerService& customers);

}  // namespace rapport::customers
