#include "ai/provider.hpp"
#include "ai/provider_reply.hpp"

namespace rapport::ai {

HttpCall OpenAiProvider::BuildCall(const Prompt& prompt) const {
  nlohmann::json body = {
      {"model", model_},
      {"messages",
       {{{"role", "system"}, {"content", prompt.system}},
        {{"role", "user"}, {"content", prompt.user}}}},
      {"temperature", 0.2},
      {"stream", false},
  };
  HttpCall call{
      .url = url_ + "/chat/completions",
      .headers = {"Content-Type: application/json", "Accept: application/json"},
      .body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
  };
  if (!key_.empty()) call.headers.push_back("Authorization: Bearer " + key_);
  return call;
}

core::Result<Completion> OpenAiProvider::ParseReply(const HttpReply& http) const {
  auto body = reply::ParseBody(http);
  if (!body) return body.error();

  auto choices = body->find("choices");
  if (choices == body->end() || !choices->is_array() || choices->empty() ||
      !(*choices)[0].is_object()) {
    return ProviderError("the AI provider returned no answer");
  }
  const nlohmann::json& choice = (*choices)[0];
  auto message = choice.find("message");
  if (message == choice.end() || !message->is_object()) {
    return ProviderError("the AI provider returned no answer");
  }
  if (auto refusal = message->find("refusal");
      refusal != message->end() && refusal->is_string() &&
      !core::Trim(refusal->get_ref<const std::string&>()).empty()) {
    return ProviderError("the model refused to answer");
  }
  if (auto reason = choice.find("finish_reason");
      reason != choice.end() && reason->is_string() && *reason == "content_filter") {
    return ProviderError("the AI provider withheld the answer (content_filter)");
  }

  std::string text;
  if (auto content = message->find("content"); content != message->end()) {
    if (content->is_string()) {
      text = content->get<std::string>();
    } else if (content->is_array()) {  // [{"type": "text", "text": "..."}]
      for (const nlohmann::json& part : *content) {
        if (part.is_object() && part.contains("type") && part["type"] == "text") {
          if (auto t = part.find("text"); t != part.end() && t->is_string()) {
            text += t->get_ref<const std::string&>();
          }
        }
      }
    }
  }
  text = core::Trim(text);
  if (text.empty()) return ProviderError("the AI provider returned an empty answer");
  return Completion{std::move(text), reply::ReportedModel(*body, "model", model_)};
}

}  // namespace rapport::ai
