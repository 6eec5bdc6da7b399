#pragma once

#include "campaigns/campaign_service.hpp"
#include "http/router.hpp"

namespace rapport::campaigns {

// /api/v1/campaigns, /api/v1/campaigns/:id and its /send, /cancel and /log. `campaigns`
// must outlive the router.
void RegisterCampaignRoutes(http::Router& router, CampaignService& campaigns);

}  // namespace rapport::campaigns
