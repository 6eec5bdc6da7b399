#pragma once

// Helpers the providers share to read replies. Internal to the ai module.

#include <optional>
#include <string>
#include <string_view>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ai/provider.hpp"
#include "core/text.hpp"

namespace rapport::ai::reply {

// `value` when it is a short code word ([A-Za-z0-9_.:-], at most 64): safe to show a client.
std::optional<std::string> SafeToken(const nlohmann::json& value);

// The code word of an error document: {"error": "CODE"} or {"error": {"status" | "code" |
// "type": "CODE", "message": ...}}. The message is never used: it may echo the request.
std::optional<std::string> ErrorCode(const nlohmann::json& body);

// The BadGateway error for an HTTP error status, with the error document's code if any.
core::Error StatusError(long status, std::string_view body);

// The JSON object of a 2xx reply without an "error" member, else the BadGateway error.
core::Result<nlohmann::json> ParseBody(const HttpReply& reply);

// body[key] when it is a plausible model name, else `configured`.
std::string ReportedModel(const nlohmann::json& body, std::string_view key,
                          const std::string& configured);

}  // namespace rapport::ai::reply
