#pragma once

#include "http/router.hpp"
#include "timeline/timeline_service.hpp"

namespace rapport::timeline {

// GET /api/v1/customers/:id/timeline. `timeline` must outlive the router.
void RegisterTimelineRoutes(http::Router& router, TimelineService& timeline);

}  // namespace rapport::timeline
