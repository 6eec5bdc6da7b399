#pragma once

#include "http/router.hpp"
#include "reports/report_service.hpp"

namespace rapport::reports {

// /api/v1/reports/overview, /timeseries, /funnel, /agents and /charts/{metric}.svg.
// `reports` must outlive the router.
void RegisterReportRoutes(http::Router& router, ReportService& reports);

}  // namespace rapport::reports
