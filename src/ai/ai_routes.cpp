#include "ai/ai_routes.hpp"

#include "core/json_reader.hpp"
#include "http/response.hpp"

namespace rapport::ai {

namespace {

using http::Request;
using http::Response;

// POST /api/v1/ai/ask
Response Ask(AiService& ai, const Request& request) {
  if (auto available = ai.Available(); !available) return http::Problem(available.error(), request);
  nlohmann::json body;
  if (auto error = core::ParseJsonObject(request.body(), body)) return http::Problem(*error, request);
  auto input = ParseAsk(body);
  if (!input) return http::Problem(input.error(), request);
  auto answer = ai.Ask(request.principal(), *input, request.request_id());
  if (!answer) return http::Problem(answer.error(), request);
  return http::Json(http::status::kOk, answer->ToJson());
}

}  // namespace

void RegisterAiRoutes(http::Router& router, AiService& ai) {
  router.Post("/api/v1/ai/ask", [&ai](const Request& request) { return Ask(ai, request); });
}

}  // namespace rapport::ai
