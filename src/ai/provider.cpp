#include "ai/provider.hpp"

#include "ai/provider_reply.hpp"

namespace rapport::ai {

core::Error ProviderError(std::string detail) {
  return core::Error{core::Code::kBadGateway, std::move(detail), {}};
}

std::unique_ptr<Provider> MakeProvider(const AiSettings& settings) {
  if (settings.provider == ProviderKind::kGemini) {
    return std::make_unique<GeminiProvider>(settings.url, settings.key, settings.model);
  }
  return std::make_unique<OpenAiProvider>(settings.url, settings.key, settings.model);
}

namespace reply {

std::optional<std::string> SafeToken(const nlohmann::json& value) {
  if (!value.is_string()) return std::nullopt;
  const auto& text = value.get_ref<const std::string&>();
  if (text.empty() || text.size() > 64) return std::nullopt;
  for (char c : text) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == ':' || c == '-';
    if (!ok) return std::nullopt;
  }
  return text;
}

std::optional<std::string> ErrorCode(const nlohmann::json& body) {
  if (!body.is_object()) return std::nullopt;
  auto error = body.find("error");
  if (error == body.end()) return std::nullopt;
  if (auto token = SafeToken(*error)) return token;
  if (!error->is_object()) return std::nullopt;
  for (const char* key : {"status", "code", "type"}) {
    if (auto it = error->find(key); it != error->end()) {
      if (auto token = SafeToken(*it)) return token;
    }
  }
  return std::nullopt;
}

core::Error StatusError(long status, std::string_view body) {
  std::string_view what;
  if (status == 400 || status == 422) {
    what = "the AI provider rejected the request";
  } else if (status == 401 || status == 403) {
    what = "the AI provider rejected the credentials";
  } else if (status == 404) {
    what = "the AI provider does not know the model or endpoint";
  } else if (status == 429) {
    what = "the AI provider is rate limiting or out of quota";
  } else if (status >= 500) {
    what = "the AI provider failed";
  } else {
    what = "the AI provider answered with an unexpected status";
  }
  const auto parsed = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (auto code = ErrorCode(parsed)) {
    return ProviderError(fmt::format("{} (HTTP {}, {})", what, status, *code));
  }
  return ProviderError(fmt::format("{} (HTTP {})", what, status));
}

core::Result<nlohmann::json> ParseBody(const HttpReply& reply) {
  if (reply.status < 200 || reply.status > 299) return StatusError(reply.status, reply.body);
  auto body = nlohmann::json::parse(reply.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object()) {
    return ProviderError("the AI provider's answer is not valid JSON");
  }
  if (auto error = body.find("error"); error != body.end() && !error->is_null()) {
    auto code = ErrorCode(body);
    return ProviderError(code ? fmt::format("the AI provider answered with an error ({})", *code)
                              : std::string("the AI provider answered with an error"));
  }
  return body;
}

std::string ReportedModel(const nlohmann::json& body, std::string_view key,
                          const std::string& configured) {
  auto it = body.find(key);
  if (it == body.end() || !it->is_string()) return configured;
  const auto& model = it->get_ref<const std::string&>();
  if (model.empty() || model.size() > 200 || !core::IsValidUtf8(model)) return configured;
  return model;
}

}  // namespace reply

}  // namespace rapport::ai
