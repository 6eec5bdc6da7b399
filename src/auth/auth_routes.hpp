#pragma once

#include "auth/auth_service.hpp"
#include "auth/user_service.hpp"
#include "http/router.hpp"

namespace rapport::auth {

// /api/v1/auth/* and /api/v1/users/*.
void RegisterAuthRoutes(http::Router& router, AuthService& auth, UserService& users);

}  // namespace rapport::auth
