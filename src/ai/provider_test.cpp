#include "ai/provider.hpp"

#include <string>

#include <gtest/gtest.h>

namespace rapport::ai {
namespace {

using nlohmann::json;

const Prompt kPrompt{"SYSTEM TEXT", "USER TEXT"};

bool HasHeader(const HttpCall& call, const std::string& line) {
  for (const auto& h : call.headers) {
    if (h == line) return true;
  }
  return false;
}

bool HasHeaderNamed(const HttpCall& call, const std::string& prefix) {
  for (const auto& h : call.headers) {
    if (h.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

TEST(GeminiProviderTest, BuildsGenerateContent) {
  GeminiProvider gemini("https://example.test", "secret-key", "gemini-2.0-flash");
  const HttpCall call = gemini.BuildCall(kPrompt);
  EXPECT_EQ(call.url, "https://example.test/v1beta/models/gemini-2.0-flash:generateContent");
  EXPECT_TRUE(HasHeader(call, "x-goog-api-key: secret-key"));
  EXPECT_TRUE(HasHeader(call, "Content-Type: application/json"));
  EXPECT_FALSE(HasHeaderNamed(call, "Authorization"));
  EXPECT_EQ(call.url.find("secret-key"), std::string::npos);  // never in the URL
  const json body = json::parse(call.body);
  EXPECT_EQ(body["systemInstruction"]["parts"][0]["text"], "SYSTEM TEXT");
  ASSERT_EQ(body["contents"].size(), 1u);
  EXPECT_EQ(body["contents"][0]["role"], "user");
  EXPECT_EQ(body["contents"][0]["parts"][0]["text"], "USER TEXT");
}

TEST(OpenAiProviderTest, BuildsChatCompletions) {
  OpenAiProvider openai("http://127.0.0.1:11434/v1", "sk-test", "llama3.2:3b");
  const HttpCall call = openai.BuildCall(kPrompt);
  EXPECT_EQ(call.url, "http://127.0.0.1:11434/v1/chat/completions");
  EXPECT_TRUE(HasHeader(call, "Authorization: Bearer sk-test"));
  const json body = json::parse(call.body);
  EXPECT_EQ(body["model"], "llama3.2:3b");
  EXPECT_EQ(body["stream"], false);
  ASSERT_EQ(body["messages"].size(), 2u);
  EXPECT_EQ(body["messages"][0], json({{"role", "system"}, {"content", "SYSTEM TEXT"}}));
  EXPECT_EQ(body["messages"][1], json({{"role", "user"}, {"content", "USER TEXT"}}));

  OpenAiProvider keyless("http://127.0.0.1:8080/v1", "", "local");
  EXPECT_FALSE(HasHeaderNamed(keyless.BuildCall(kPrompt), "Authorization"));
}

struct ReplyCase {
  const char* name;
  long status;
  std::string body;
  // The answer and model on success, or the detail of the BadGateway error.
  std::string answer;
  std::string model;
  std::string error;
};

void ExpectReplies(const Provider& provider, const std::vector<ReplyCase>& cases) {
  for (const ReplyCase& c : cases) {
    auto result = provider.ParseReply({c.status, c.body});
    if (c.error.empty()) {
      ASSERT_TRUE(result) << c.name << ": " << result.error().detail;
      EXPECT_EQ(result->answer, c.answer) << c.name;
      EXPECT_EQ(result->model, c.model) << c.name;
    } else {
      ASSERT_FALSE(result) << c.name << ": answered " << result->answer;
      EXPECT_EQ(result.error().code, core::Code::kBadGateway) << c.name;
      EXPECT_EQ(result.error().detail, c.error) << c.name;
    }
  }
}

TEST(GeminiProviderTest, ReadsReplies) {
  GeminiProvider gemini("https://example.test", "k", "gemini-test");
  const std::vector<ReplyCase> cases = {
      {"answer", 200,
       R"({"candidates": [{"content": {"role": "model", "parts": [{"text": "Hello."}]},
            "finishReason": "STOP"}], "modelVersion": "gemini-test-001"})",
       "Hello.", "gemini-test-001", ""},
      {"parts joined, thoughts skipped, trimmed", 200,
       R"({"candidates": [{"content": {"parts": [{"text": "why", "thought": true},
            {"text": " A"}, {"text": "B\n"}]}}]})",
       "AB", "gemini-test", ""},
      {"cut at max tokens", 200,
       R"({"candidates": [{"content": {"parts": [{"text": "Part"}]}, "finishReason": "MAX_TOKENS"}]})",
       "Part", "gemini-test", ""},
      {"server error", 500, R"({"error": {"code": 500, "message": "boom", "status": "INTERNAL"}})",
       "", "", "the AI provider failed (HTTP 500, INTERNAL)"},
      {"bad key, message not echoed", 403,
       R"({"error": {"code": 403, "message": "API key sk-123 not valid", "status": "PERMISSION_DENIED"}})",
       "", "", "the AI provider rejected the credentials (HTTP 403, PERMISSION_DENIED)"},
      {"unknown model", 404, "Not Found", "", "",
       "the AI provider does not know the model or endpoint (HTTP 404)"},
      {"quota", 429, R"({"error": {"status": "RESOURCE_EXHAUSTED"}})", "", "",
       "the AI provider is rate limiting or out of quota (HTTP 429, RESOURCE_EXHAUSTED)"},
      {"error code that is not a word", 400, R"({"error": {"status": "a b <c>"}})", "", "",
       "the AI provider rejected the request (HTTP 400)"},
      {"redirect", 302, "", "", "", "the AI provider answered with an unexpected status (HTTP 302)"},
      {"not JSON", 200, "<html>oops</html>", "", "", "the AI provider's answer is not valid JSON"},
      {"truncated JSON", 200, R"({"candidates": [)", "", "",
       "the AI provider's answer is not valid JSON"},
      {"JSON array", 200, "[]", "", "", "the AI provider's answer is not valid JSON"},
      {"error in a 200", 200, R"({"error": {"status": "UNAVAILABLE"}})", "", "",
       "the AI provider answered with an error (UNAVAILABLE)"},
      {"no candidates", 200, R"({"candidates": []})", "", "", "the AI provider returned no answer"},
      {"candidates missing", 200, R"({})", "", "", "the AI provider returned no answer"},
      {"candidates of the wrong type", 200, R"({"candidates": {"a": 1}})", "", "",
       "the AI provider returned no answer"},
      {"blocked prompt", 200, R"({"promptFeedback": {"blockReason": "SAFETY"}})", "", "",
       "the AI provider blocked the prompt (SAFETY)"},
      {"withheld answer", 200,
       R"({"candidates": [{"finishReason": "SAFETY", "safetyRatings": []}]})", "", "",
       "the AI provider withheld the answer (SAFETY)"},
      {"withheld with partial text", 200,
       R"({"candidates": [{"content": {"parts": [{"text": "Sure"}]}, "finishReason": "RECITATION"}]})",
       "", "", "the AI provider withheld the answer (RECITATION)"},
      {"finish reason not a string", 200,
       R"({"candidates": [{"content": {"parts": [{"text": "x"}]}, "finishReason": 3}]})", "", "",
       "the AI provider withheld the answer (unknown reason)"},
      {"empty text", 200, R"({"candidates": [{"content": {"parts": [{"text": "  "}]}}]})", "", "",
       "the AI provider returned an empty answer"},
      {"parts of the wrong types", 200,
       R"({"candidates": [{"content": {"parts": [1, {"text": 2}, {"thought": "yes", "text": "ok"}]}}]})",
       "ok", "gemini-test", ""},
      {"content missing", 200, R"({"candidates": [{"finishReason": "STOP"}]})", "", "",
       "the AI provider returned an empty answer"},
      {"odd modelVersion ignored", 200,
       R"({"candidates": [{"content": {"parts": [{"text": "x"}]}}], "modelVersion": 7})", "x",
       "gemini-test", ""},
  };
  ExpectReplies(gemini, cases);
}

TEST(OpenAiProviderTest, ReadsReplies) {
  OpenAiProvider openai("http://x/v1", "", "local-model");
  const std::vector<ReplyCase> cases = {
      {"answer", 200,
       R"({"id": "c1", "object": "chat.completion", "model": "llama3.2:3b",
           "choices": [{"index": 0, "message": {"role": "assistant", "content": " Hi! "},
                        "finish_reason": "stop"}]})",
       "Hi!", "llama3.2:3b", ""},
      {"content parts", 200,
       R"({"choices": [{"message": {"content": [{"type": "text", "text": "A"},
            {"type": "image_url"}, {"type": "text", "text": "B"}]}}]})",
       "AB", "local-model", ""},
      {"length cut keeps text", 200,
       R"({"choices": [{"message": {"content": "Part"}, "finish_reason": "length"}]})", "Part",
       "local-model", ""},
      {"server error", 500, R"({"error": {"message": "x", "type": "server_error"}})", "", "",
       "the AI provider failed (HTTP 500, server_error)"},
      {"unknown model", 404,
       R"({"error": {"message": "model \"x\" not found", "type": "api_error", "code": "model_not_found"}})",
       "", "", "the AI provider does not know the model or endpoint (HTTP 404, model_not_found)"},
      {"bad gateway text", 502, "upstream down", "", "", "the AI provider failed (HTTP 502)"},
      {"not JSON", 200, "data: {\"choices\": []}\n\n", "", "",
       "the AI provider's answer is not valid JSON"},
      {"error in a 200", 200, R"({"error": "overloaded"})", "", "",
       "the AI provider answered with an error (overloaded)"},
      {"null error is no error", 200,
       R"({"error": null, "choices": [{"message": {"content": "ok"}}]})", "ok", "local-model", ""},
      {"no choices", 200, R"({"choices": []})", "", "", "the AI provider returned no answer"},
      {"choices missing", 200, R"({"object": "chat.completion"})", "", "",
       "the AI provider returned no answer"},
      {"message missing", 200, R"({"choices": [{"finish_reason": "stop"}]})", "", "",
       "the AI provider returned no answer"},
      {"refusal", 200,
       R"({"choices": [{"message": {"content": null, "refusal": "I can't help with that."}}]})",
       "", "", "the model refused to answer"},
      {"empty refusal is no refusal", 200,
       R"({"choices": [{"message": {"content": "ok", "refusal": ""}}]})", "ok", "local-model", ""},
      {"content filter", 200,
       R"({"choices": [{"message": {"content": ""}, "finish_reason": "content_filter"}]})", "", "",
       "the AI provider withheld the answer (content_filter)"},
      {"null content", 200, R"({"choices": [{"message": {"content": null}}]})", "", "",
       "the AI provider returned an empty answer"},
      {"content of the wrong type", 200, R"({"choices": [{"message": {"content": 42}}]})", "",
       "", "the AI provider returned an empty answer"},
  };
  ExpectReplies(openai, cases);
}

}  // namespace
}  // namespace rapport::ai
