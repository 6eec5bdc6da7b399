#pragma once

#include "http/router.hpp"
#include "interactions/interaction_service.hpp"
#include "portal/portal_service.hpp"
#include "tickets/ticket_service.hpp"

namespace rapport::portal {

// /api/v1/portal/*: signup, verify, login, refresh, logout (public, in the strict rate-limit
// bucket), me, tickets and their comments and resolve action, interactions (portal tokens
// only). The services must outlive the router.
void RegisterPortalRoutes(http::Router& router, PortalService& portal,
                          tickets::TicketService& tickets,
                          interactions::InteractionService& interactions);

}  // namespace rapport::portal
