#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace rapport::ai {

// What is sent to a model: the system instruction and the user's turn. Every provider maps
// these two onto its own request shape.
struct Prompt {
  std::string system;
  std::string user;
};

// The markers around the CRM data in the user's turn.
constexpr std::string_view kDataBegin = "<crm_data>";
constexpr std::string_view kDataEnd = "</crm_data>";

// The system instruction: the model is Rapport's CRM assistant, and the CRM data is
// untrusted input to reason about, never instructions to follow.
std::string_view SystemInstruction();

// What the model is told about one customer: the profile (GET /customers/{id}) and the
// recent timeline items, newest first.
struct CustomerContext {
  nlohmann::json customer;
  std::vector<nlohmann::json> timeline;
};

// The context as JSON text of at most `max_bytes` bytes:
//   {"as_of": "...", "customer": {...}, "timeline": [...], "truncated": true?,
//    "timeline_omitted": N?}
// When it does not fit, long strings of the profile are shortened first (with "…"), then the
// oldest timeline items are shortened and finally dropped (counted in timeline_omitted);
// "truncated" is true whenever anything was cut. '<' and '>' are written as \u003c and
// \u003e, so no value can close the data block early.
std::string BuildContextJson(const CustomerContext& context, std::string_view as_of,
                             std::size_t max_bytes);

// The prompt for `question`, with `context_json` (from BuildContextJson) between kDataBegin
// and kDataEnd before it when given.
Prompt BuildPrompt(std::string_view question, const std::optional<std::string>& context_json);

// `text` cut to at most `max_bytes` bytes at a UTF-8 character boundary, with "…" appended
// when anything was cut (the result may then be up to 3 bytes longer than `max_bytes`).
std::string TruncateUtf8(std::string_view text, std::size_t max_bytes);

}  // namespace rapport::ai
