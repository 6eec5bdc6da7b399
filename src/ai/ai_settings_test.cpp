#include "ai/ai_settings.hpp"

#include <map>
#include <set>
#include <string>

#include <gtest/gtest.h>

namespace rapport::ai {
namespace {

using Values = std::map<std::string, std::string>;

std::set<std::string> ErrorFields(const core::Result<std::optional<AiSettings>>& result) {
  std::set<std::string> fields;
  if (result) return fields;
  for (const auto& e : result.error().errors) fields.insert(e.field);
  return fields;
}

TEST(ParseAiSettingsTest, NamesEveryBadSetting) {
  const Values gemini = {{"RAPPORT_AI_PROVIDER", "gemini"},
                         {"RAPPORT_AI_KEY", "k"},
                         {"RAPPORT_AI_MODEL", "gemini-2.0-flash"}};
  const Values openai = {{"RAPPORT_AI_PROVIDER", "openai"},
                         {"RAPPORT_AI_URL", "http://127.0.0.1:11434/v1"},
                         {"RAPPORT_AI_MODEL", "llama3.2:3b"}};
  auto with = [](Values base, const Values& more) {
    for (const auto& [k, v] : more) base[k] = v;
    return base;
  };
  struct Case {
    const char* name;
    Values values;
    std::set<std::string> fields;
  };
  const Case cases[] = {
      {"nothing", {}, {}},
      {"gemini", gemini, {}},
      {"openai", openai, {}},
      {"openai without key", openai, {}},
      {"unknown provider", {{"RAPPORT_AI_PROVIDER", "claude"}}, {"RAPPORT_AI_PROVIDER"}},
      {"gemini without key", with(gemini, {{"RAPPORT_AI_KEY", ""}}), {"RAPPORT_AI_KEY"}},
      {"gemini without model", with(gemini, {{"RAPPORT_AI_MODEL", ""}}), {"RAPPORT_AI_MODEL"}},
      {"gemini model with a slash", with(gemini, {{"RAPPORT_AI_MODEL", "a/b"}}),
       {"RAPPORT_AI_MODEL"}},
      {"gemini model with ?", with(gemini, {{"RAPPORT_AI_MODEL", "a?key=x"}}),
       {"RAPPORT_AI_MODEL"}},
      {"openai model with a path", with(openai, {{"RAPPORT_AI_MODEL", "hf.co/org/m:Q4_K_M"}}), {}},
      {"openai model with a space", with(openai, {{"RAPPORT_AI_MODEL", "a b"}}),
       {"RAPPORT_AI_MODEL"}},
      {"openai without url", with(openai, {{"RAPPORT_AI_URL", ""}}), {"RAPPORT_AI_URL"}},
      {"ftp url", with(openai, {{"RAPPORT_AI_URL", "ftp://x"}}), {"RAPPORT_AI_URL"}},
      {"url with query", with(openai, {{"RAPPORT_AI_URL", "http://x/v1?a=b"}}),
       {"RAPPORT_AI_URL"}},
      {"bare scheme", with(openai, {{"RAPPORT_AI_URL", "http://"}}), {"RAPPORT_AI_URL"}},
      {"key on two lines", with(openai, {{"RAPPORT_AI_KEY", "a\nb"}}), {"RAPPORT_AI_KEY"}},
      {"timeout 0.5", with(openai, {{"RAPPORT_AI_TIMEOUT", "0.5"}}), {}},
      {"timeout 55", with(openai, {{"RAPPORT_AI_TIMEOUT", "55"}}), {}},
      {"timeout 56", with(openai, {{"RAPPORT_AI_TIMEOUT", "56"}}), {"RAPPORT_AI_TIMEOUT"}},
      {"timeout 0", with(openai, {{"RAPPORT_AI_TIMEOUT", "0"}}), {"RAPPORT_AI_TIMEOUT"}},
      {"timeout words", with(openai, {{"RAPPORT_AI_TIMEOUT", "30s"}}), {"RAPPORT_AI_TIMEOUT"}},
      {"timeout nan", with(openai, {{"RAPPORT_AI_TIMEOUT", "nan"}}), {"RAPPORT_AI_TIMEOUT"}},
      {"connect timeout", with(openai, {{"RAPPORT_AI_CONNECT_TIMEOUT", "-1"}}),
       {"RAPPORT_AI_CONNECT_TIMEOUT"}},
      {"concurrency 0", with(openai, {{"RAPPORT_AI_CONCURRENCY", "0"}}),
       {"RAPPORT_AI_CONCURRENCY"}},
      {"concurrency 257", with(openai, {{"RAPPORT_AI_CONCURRENCY", "257"}}),
       {"RAPPORT_AI_CONCURRENCY"}},
      {"user limit 0", with(openai, {{"RAPPORT_AI_USER_LIMIT", "0"}}), {}},
      {"user limit -1", with(openai, {{"RAPPORT_AI_USER_LIMIT", "-1"}}),
       {"RAPPORT_AI_USER_LIMIT"}},
      {"context 1023", with(openai, {{"RAPPORT_AI_MAX_CONTEXT", "1023"}}),
       {"RAPPORT_AI_MAX_CONTEXT"}},
      {"bad values without provider", {{"RAPPORT_AI_TIMEOUT", "x"}}, {"RAPPORT_AI_TIMEOUT"}},
      {"everything wrong",
       {{"RAPPORT_AI_PROVIDER", "gemini"}, {"RAPPORT_AI_CONCURRENCY", "x"}},
       {"RAPPORT_AI_CONCURRENCY", "RAPPORT_AI_KEY", "RAPPORT_AI_MODEL"}},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ErrorFields(ParseAiSettings(c.values)), c.fields) << c.name;
  }
}

TEST(ParseAiSettingsTest, UnsetProviderMeansNotConfigured) {
  auto settings = ParseAiSettings({{"RAPPORT_AI_MODEL", "m"}, {"RAPPORT_AI_PROVIDER", ""}});
  ASSERT_TRUE(settings);
  EXPECT_FALSE(settings->has_value());
}

TEST(ParseAiSettingsTest, DefaultsAndNormalisation) {
  auto gemini = ParseAiSettings({{"RAPPORT_AI_PROVIDER", "gemini"},
                                 {"RAPPORT_AI_KEY", "k"},
                                 {"RAPPORT_AI_MODEL", "models/gemini-2.0-flash"}});
  ASSERT_TRUE(gemini && gemini->has_value());
  const AiSettings& g = **gemini;
  EXPECT_EQ(g.provider, ProviderKind::kGemini);
  EXPECT_EQ(g.url, kGeminiDefaultUrl);
  EXPECT_EQ(g.model, "gemini-2.0-flash");
  EXPECT_EQ(g.timeout, std::chrono::seconds(30));
  EXPECT_EQ(g.connect_timeout, std::chrono::seconds(5));
  EXPECT_EQ(g.max_concurrent, 4u);
  EXPECT_EQ(g.asks_per_minute, 10);
  EXPECT_EQ(g.max_context_bytes, 16384u);

  auto openai = ParseAiSettings({{"RAPPORT_AI_PROVIDER", "openai"},
                                 {"RAPPORT_AI_URL", "http://127.0.0.1:8080/v1//"},
                                 {"RAPPORT_AI_MODEL", "local"},
                                 {"RAPPORT_AI_TIMEOUT", "0.25"},
                                 {"RAPPORT_AI_CONNECT_TIMEOUT", "2"}});
  ASSERT_TRUE(openai && openai->has_value());
  EXPECT_EQ((*openai)->url, "http://127.0.0.1:8080/v1");
  EXPECT_EQ((*openai)->key, "");
  EXPECT_EQ((*openai)->timeout, std::chrono::milliseconds(250));
  // Connecting can never take longer than the whole call.
  EXPECT_EQ((*openai)->connect_timeout, std::chrono::milliseconds(250));
}

}  // namespace
}  // namespace rapport::ai
