#pragma once

#include "http/router.hpp"
#include "segments/segment_service.hpp"

namespace rapport::segments {

// /api/v1/segments, /api/v1/segments/preview, /api/v1/segments/:id and its /preview and
// /customers. `segments` must outlive the router.
void RegisterSegmentRoutes(http::Router& router, SegmentService& segments);

}  // namespace rapport::segments
