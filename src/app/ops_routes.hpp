#pragma once

#include <string>
#include <vector>

#include "core/asset.hpp"

#include "db/database.hpp"
#include "http/metrics.hpp"
#include "http/router.hpp"

namespace rapport::app {

// The OpenAPI document: docs/openapi/openapi.json with the paths, tags and components of every
// other fragment (one per capability) added. Throws std::logic_error when a fragment
// describes an operation or a component that another one already has.
std::string MergeOpenApi(const std::vector<core::Asset>& parts);

// /healthz, /readyz, /metrics, /openapi.json, /docs.
void RegisterOpsRoutes(http::Router& router, db::Database& database, http::Metrics& metrics,
                       std::string metrics_token);

}  // namespace rapport::app
