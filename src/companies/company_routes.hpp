#pragma once

#include "companies/company_service.hpp"
#include "http/router.hpp"

namespace rapport::companies {

// /api/v1/companies and /api/v1/companies/:id (GET /companies/:id/customers belongs to the
// customers module). `companies` must outlive the router.
void RegisterCompanyRoutes(http::Router& router, CompanyService& companies);

}  // namespace rapport::companies
