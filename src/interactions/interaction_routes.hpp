#pragma once

#include "http/router.hpp"
#include "interactions/interaction_service.hpp"

namespace rapport::interactions {

// /api/v1/interactions, /api/v1/interactions/:id and /api/v1/customers/:id/interactions.
// `interactions` must outlive the router.
void RegisterInteractionRoutes(http::Router& router, InteractionService& interactions);

}  // namespace rapport::interactions
