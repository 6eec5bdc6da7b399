#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ai/ai_settings.hpp"
#include "ai/prompt.hpp"
#include "core/error.hpp"
#include "core/result.hpp"

namespace rapport::ai {

// One HTTP POST to a provider. `headers` are "Name: value" lines; they may hold the API key,
// so a call is never logged.
struct HttpCall {
  std::string url;
  std::vector<std::string> headers;
  std::string body;
};

// What the provider answered, whatever the status.
struct HttpReply {
  long status = 0;
  std::string body;
};

// A model's answer and the model that gave it.
struct Completion {
  std::string answer;
  std::string model;
};

// The BadGateway error of a provider failure. `detail` is shown to the client: it names
// what went wrong (status, a provider error code, a block reason), never a key, a prompt, an
// answer or the provider's own message text.
core::Error ProviderError(std::string detail);

// A model behind an HTTP API. Implementations only translate: they build the request for a
// prompt and read the reply; HttpClient sends it. Thread-safe (no mutable state).
class Provider {
 public:
  virtual ~Provider() = default;

  // "gemini" or "openai", for logs.
  virtual std::string_view name() const = 0;
  // The configured model.
  virtual const std::string& model() const = 0;

  // The request that asks the model `prompt`.
  virtual HttpCall BuildCall(const Prompt& prompt) const = 0;

  // The answer in `reply`. BadGateway (see ProviderError) for an HTTP error status, a body
  // that is not the provider's JSON, no answer (no candidates or choices, empty text), and a
  // refusal or blocked content. `model` is the model the provider reports, else the
  // configured one.
  virtual core::Result<Completion> ParseReply(const HttpReply& reply) const = 0;
};

// The provider `settings` name.
std::unique_ptr<Provider> MakeProvider(const AiSettings& settings);

// A provider reached over HTTP at `url` with `key` (may be empty), asking `model`.
class HttpProvider : public Provider {
 public:
  HttpProvider(std::string url, std::string key, std::string model)
      : url_(std::move(url)), key_(std::move(key)), model_(std::move(model)) {}
  const std::string& model() const override { return model_; }

 protected:
  std::string url_;
  std::string key_;
  std::string model_;
};

// Gemini's generateContent:
//   POST {url}/v1beta/models/{model}:generateContent, key in x-goog-api-key,
//   {"systemInstruction": {"parts": [{"text": system}]},
//    "contents": [{"role": "user", "parts": [{"text": user}]}],
//    "generationConfig": {"temperature": 0.2}}
class GeminiProvider : public HttpProvider {
 public:
  using HttpProvider::HttpProvider;
  std::string_view name() const override { return "gemini"; }
  HttpCall BuildCall(const Prompt& prompt) const override;
  core::Result<Completion> ParseReply(const HttpReply& reply) const override;
};

// Any OpenAI-compatible chat completions endpoint (OpenAI, llama.cpp's server, Ollama, vLLM):
//   POST {url}/chat/completions, Authorization: Bearer {key} when a key is set,
//   {"model": model, "messages": [{"role": "system", "content": system},
//                                 {"role": "user", "content": user}],
//    "temperature": 0.2, "stream": false}
class OpenAiProvider : public HttpProvider {
 public:
  using HttpProvider::HttpProvider;
  std::string_view name() const override { return "openai"; }
  HttpCall BuildCall(const Prompt& prompt) const override;
  core::Result<Completion> ParseReply(const HttpReply& reply) const override;
};

}  // namespace rapport::ai
