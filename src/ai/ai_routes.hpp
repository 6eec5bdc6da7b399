#pragma once

#include "ai/ai_service.hpp"
#include "http/router.hpp"

namespace rapport::ai {

// POST /api/v1/ai/ask. `ai` must outlive the router.
void RegisterAiRoutes(http::Router& router, AiService& ai);

}  // namespace rapport::ai
