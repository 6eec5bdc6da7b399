#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/result.hpp"

namespace rapport::ai {

// The longest prompt accepted, in bytes of UTF-8 (after trimming).
constexpr std::size_t kMaxPromptBytes = 8000;

// POST /ai/ask: {prompt, customer_id?}.
struct AskInput {
  std::string prompt;                      // trimmed, 1..kMaxPromptBytes
  std::optional<std::string> customer_id;  // a UUID (lower case); null reads as absent
};

// The body of POST /ai/ask. Invalid names every bad field: a missing, empty or too long
// prompt, a customer_id that is not a UUID, unknown fields.
core::Result<AskInput> ParseAsk(const nlohmann::json& body);

// The answer of POST /ai/ask: {answer, model}.
struct Answer {
  std::string answer;
  std::string model;

  nlohmann::json ToJson() const { return {{"answer", answer}, {"model", model}}; }
};

}  // namespace rapport::ai
