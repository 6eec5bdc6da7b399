#pragma once

#include "http/router.hpp"
#include "tickets/ticket_service.hpp"

namespace rapport::tickets {

// /api/v1/tickets, /api/v1/tickets/:id, its resolve and reopen actions and its comments.
// `tickets` must outlive the router.
void RegisterTicketRoutes(http::Router& router, TicketService& tickets);

}  // namespace rapport::tickets
