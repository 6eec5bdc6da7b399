#pragma once

#include "http/router.hpp"
#include "oidc/oidc_service.hpp"

namespace rapport::oidc {

// GET /api/v1/auth/oidc/:provider/login and /callback.
void RegisterOidcRoutes(http::Router& router, OidcService& oidc);

}  // namespace rapport::oidc
