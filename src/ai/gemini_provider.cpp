#include <set>

#include "ai/provider.hpp"
#include "ai/provider_reply.hpp"

namespace rapport::ai {

namespace {

// Finish reasons of a usable answer; any other (SAFETY, RECITATION, BLOCKLIST,
// PROHIBITED_CONTENT, SPII, OTHER, ...) means the answer was withheld.
const std::set<std::string, std::less<>> kAnswered = {"STOP", "MAX_TOKENS",
                                                      "FINISH_REASON_UNSPECIFIED"};

}  // namespace

HttpCall GeminiProvider::BuildCall(const Prompt& prompt) const {
  nlohmann::json body = {
      {"systemInstruction", {{"parts", {{{"text", prompt.system}}}}}},
      {"contents", {{{"role", "user"}, {"parts", {{{"text", prompt.user}}}}}}},
      {"generationConfig", {{"temperature", 0.2}}},
  };
  return HttpCall{
      .url = fmt::format("{}/v1beta/models/{}:generateContent", url_, model_),
      .headers = {"Content-Type: application/json", "Accept: application/json",
                  "x-goog-api-key: " + key_},
      .body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
  };
}

core::Result<Completion> GeminiProvider::ParseReply(const HttpReply& http) const {
  auto body = reply::ParseBody(http);
  if (!body) return body.error();

  if (auto feedback = body->find("promptFeedback");
      feedback != body->end() && feedback->is_object() && feedback->contains("blockReason")) {
    auto reason = reply::SafeToken((*feedback)["blockReason"]);
    return ProviderError(fmt::format("the AI provider blocked the prompt ({})",
                                     reason.value_or("no reason given")));
  }
  auto candidates = body->find("candidates");
  if (candidates == body->end() || !candidates->is_array() || candidates->empty() ||
      !(*candidates)[0].is_object()) {
    return ProviderError("the AI provider returned no answer");
  }
  const nlohmann::json& candidate = (*candidates)[0];
  if (auto reason = candidate.find("finishReason"); reason != candidate.end()) {
    if (!reason->is_string() || !kAnswered.contains(reason->get_ref<const std::string&>())) {
      return ProviderError(fmt::format("the AI provider withheld the answer ({})",
                                       reply::SafeToken(*reason).value_or("unknown reason")));
    }
  }

  std::string text;
  if (auto content = candidate.find("content"); content != candidate.end() && content->is_object()) {
    if (auto parts = content->find("parts"); parts != content->end() && parts->is_array()) {
      for (const nlohmann::json& part : *parts) {
        if (!part.is_object()) continue;
        if (auto thought = part.find("thought"); thought != part.end() && *thought == true) {
          continue;  // a thinking model's reasoning, not the answer
        }
        if (auto t = part.find("text"); t != part.end() && t->is_string()) {
          text += t->get_ref<const std::string&>();
        }
      }
    }
  }
  text = core::Trim(text);
  if (text.empty()) return ProviderError("the AI provider returned an empty answer");
  return Completion{std::move(text), reply::ReportedModel(*body, "modelVersion", model_)};
}

}  // namespace rapport::ai
