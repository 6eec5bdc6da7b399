#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"

namespace rapport::ai {

enum class ProviderKind { kGemini, kOpenAi };

// "gemini" or "openai", as RAPPORT_AI_PROVIDER spells them.
std::string_view ProviderName(ProviderKind kind);

// Google's Generative Language API, the Gemini base URL when RAPPORT_AI_URL is not set.
constexpr std::string_view kGeminiDefaultUrl = "https://generativelanguage.googleapis.com";

// How the assistant reaches its model and how much it may use it.
struct AiSettings {
  ProviderKind provider = ProviderKind::kGemini;
  std::string url;    // base URL without a trailing '/'
  std::string key;    // empty: none sent (OpenAI-compatible servers only)
  std::string model;  // as the provider names it
  // A request to the provider that has not finished after `timeout` (or connected after
  // `connect_timeout`) is abandoned. At most 55 s, below the server's own 60 s request limit.
  std::chrono::milliseconds timeout{30'000};
  std::chrono::milliseconds connect_timeout{5'000};
  // Provider calls in flight at once, over all users; more are refused (503 + Retry-After).
  std::size_t max_concurrent = 4;
  // Asks per user per minute (a token bucket with bursts of as many); 0: no AI budget beyond
  // the general per-principal rate limit.
  int asks_per_minute = 10;
  // The customer context given to the model is cut to fit this many bytes of JSON.
  std::size_t max_context_bytes = 16 * 1024;
};

// The settings in `values` (keyed by RAPPORT_* names; other keys are ignored): SPEC's
// RAPPORT_AI_PROVIDER, _URL, _KEY and _MODEL, and RAPPORT_AI_TIMEOUT, _CONNECT_TIMEOUT,
// _CONCURRENCY, _USER_LIMIT and _MAX_CONTEXT (app/config.cpp lists the names). nullopt when
// RAPPORT_AI_PROVIDER is unset or empty: the assistant is not configured. Every value is
// checked even then; Invalid names each bad setting: an unknown provider, a URL that is not
// http(s), a missing model, a missing key for Gemini, a missing URL for openai, a timeout,
// concurrency, budget or context size out of range.
core::Result<std::optional<AiSettings>> ParseAiSettings(
    const std::map<std::string, std::string>& values);

}  // namespace rapport::ai
