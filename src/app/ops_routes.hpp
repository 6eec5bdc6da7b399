#pragma once

#include <string>

#include "db/database.hpp"
#include "http/metrics.hpp"
#include "http/router.hpp"

namespace rapport::app {

// /healthz, /readyz, /metrics, /openapi.json, /docs.
void RegisterOpsRoutes(http::Router& router, db::Database& database, http::Metrics& metrics,
                       std::string metrics_token);

}  // namespace rapport::app
