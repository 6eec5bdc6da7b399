#include "ai/ai_settings.hpp"

#include <charconv>
#include <cmath>

#include <fmt/format.h>

namespace rapport::ai {

namespace {

constexpr double kMaxTimeoutSeconds = 55;

std::string Get(const std::map<std::string, std::string>& values, const std::string& key) {
  auto it = values.find(key);
  return it == values.end() ? std::string() : it->second;
}

// Seconds with an optional fraction ("30", "0.5"), between 0.1 and kMaxTimeoutSeconds.
std::optional<std::chrono::milliseconds> ParseSeconds(const std::string& text) {
  double seconds = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (ec != std::errc() || ptr != text.data() + text.size() || !std::isfinite(seconds) ||
      seconds < 0.1 || seconds > kMaxTimeoutSeconds) {
    return std::nullopt;
  }
  return std::chrono::milliseconds(static_cast<int64_t>(std::llround(seconds * 1000)));
}

std::optional<long> ParseWhole(const std::string& text, long min, long max) {
  long value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || value < min || value > max) {
    return std::nullopt;
  }
  return value;
}

bool IsHttpUrl(std::string_view url) {
  for (std::string_view scheme : {"http://", "https://"}) {
    if (url.size() > scheme.size() && url.substr(0, scheme.size()) == scheme) {
      return url.find_first_of(" \t\r\n?#") == std::string_view::npos;
    }
  }
  return false;
}

// Model names go into a URL path (Gemini) or a JSON string (OpenAI): letters, digits and
// . _ - : / @ cover Gemini's, Ollama's ("llama3.2:3b", "hf.co/org/repo:Q4_K_M") and
// llama.cpp's names.
bool IsModelName(std::string_view model, bool path_segment) {
  if (model.empty() || model.size() > 200) return false;
  for (char c : model) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '.' || c == '_' || c == '-';
    if (!plain && (path_segment || (c != ':' && c != '/' && c != '@'))) return false;
  }
  return true;
}

}  // namespace

std::string_view ProviderName(ProviderKind kind) {
  return kind == ProviderKind::kGemini ? "gemini" : "openai";
}

core::Result<std::optional<AiSettings>> ParseAiSettings(
    const std::map<std::string, std::string>& values) {
  AiSettings settings;
  std::vector<core::FieldError> errors;
  const std::string provider = Get(values, "RAPPORT_AI_PROVIDER");
  const bool known_provider = provider == "gemini" || provider == "openai";
  if (provider == "gemini") {
    settings.provider = ProviderKind::kGemini;
  } else if (provider == "openai") {
    settings.provider = ProviderKind::kOpenAi;
  } else if (!provider.empty()) {
    errors.push_back({"RAPPORT_AI_PROVIDER", "must be gemini or openai"});
  }

  settings.url = Get(values, "RAPPORT_AI_URL");
  while (!settings.url.empty() && settings.url.back() == '/') settings.url.pop_back();
  if (!settings.url.empty() && !IsHttpUrl(settings.url)) {
    errors.push_back({"RAPPORT_AI_URL", "must be an http:// or https:// URL without query"});
  }
  settings.key = Get(values, "RAPPORT_AI_KEY");
  if (settings.key.find_first_of("\r\n") != std::string::npos) {
    errors.push_back({"RAPPORT_AI_KEY", "must be one line"});
  }
  settings.model = Get(values, "RAPPORT_AI_MODEL");
  if (settings.provider == ProviderKind::kGemini && settings.model.starts_with("models/")) {
    settings.model.erase(0, 7);  // Google lists models as "models/NAME"
  }
  if (!settings.model.empty() &&
      !IsModelName(settings.model, settings.provider == ProviderKind::kGemini)) {
    errors.push_back({"RAPPORT_AI_MODEL", "is not a valid model name"});
  }

  if (auto text = Get(values, "RAPPORT_AI_TIMEOUT"); !text.empty()) {
    if (auto parsed = ParseSeconds(text)) {
      settings.timeout = *parsed;
    } else {
      errors.push_back({"RAPPORT_AI_TIMEOUT", "must be 0.1 to 55 seconds"});
    }
  }
  if (auto text = Get(values, "RAPPORT_AI_CONNECT_TIMEOUT"); !text.empty()) {
    if (auto parsed = ParseSeconds(text)) {
      settings.connect_timeout = *parsed;
    } else {
      errors.push_back({"RAPPORT_AI_CONNECT_TIMEOUT", "must be 0.1 to 55 seconds"});
    }
  }
  settings.connect_timeout = std::min(settings.connect_timeout, settings.timeout);
  if (auto text = Get(values, "RAPPORT_AI_CONCURRENCY"); !text.empty()) {
    if (auto parsed = ParseWhole(text, 1, 256)) {
      settings.max_concurrent = static_cast<std::size_t>(*parsed);
    } else {
      errors.push_back({"RAPPORT_AI_CONCURRENCY", "must be 1 to 256"});
    }
  }
  if (auto text = Get(values, "RAPPORT_AI_USER_LIMIT"); !text.empty()) {
    if (auto parsed = ParseWhole(text, 0, 100'000)) {
      settings.asks_per_minute = static_cast<int>(*parsed);
    } else {
      errors.push_back({"RAPPORT_AI_USER_LIMIT", "must be 0 to 100000 asks per minute"});
    }
  }
  if (auto text = Get(values, "RAPPORT_AI_MAX_CONTEXT"); !text.empty()) {
    if (auto parsed = ParseWhole(text, 1024, 1 << 20)) {
      settings.max_context_bytes = static_cast<std::size_t>(*parsed);
    } else {
      errors.push_back({"RAPPORT_AI_MAX_CONTEXT", "must be 1024 to 1048576 bytes"});
    }
  }

  if (known_provider) {
    if (settings.model.empty()) {
      errors.push_back({"RAPPORT_AI_MODEL", fmt::format("is required with the {} provider", provider)});
    }
    if (settings.provider == ProviderKind::kGemini) {
      if (settings.key.empty()) errors.push_back({"RAPPORT_AI_KEY", "is required with gemini"});
      if (settings.url.empty()) settings.url = std::string(kGeminiDefaultUrl);
    } else if (settings.url.empty()) {
      errors.push_back({"RAPPORT_AI_URL",
                        "is required with openai (e.g. http://127.0.0.1:11434/v1 for Ollama)"});
    }
  }
  if (!errors.empty()) return core::Error::Invalid(std::move(errors));
  if (provider.empty()) return std::optional<AiSettings>();
  return std::optional<AiSettings>(std::move(settings));
}

}  // namespace rapport::ai
