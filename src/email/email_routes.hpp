#pragma once

#include "email/email_service.hpp"
#include "http/router.hpp"

namespace rapport::email {

// /api/v1/emails (POST, GET), /api/v1/emails/stats, /api/v1/emails/:id,
// /api/v1/emails/:id/engagement, /api/v1/emails/inbound, and the tracking routes
// /t/o/:token.gif and /t/c/:token. `emails` must outlive the router.
void RegisterEmailRoutes(http::Router& router, EmailService& emails);

}  // namespace rapport::email
