#include "ai/ask.hpp"

#include <set>
#include <string>

#include <gtest/gtest.h>

namespace rapport::ai {
namespace {

TEST(ParseAskTest, ReportsEveryBadFieldByName) {
  struct Case {
    std::string body;
    std::set<std::string> fields;
  };
  const std::string longest(kMaxPromptBytes, 'a');
  const Case cases[] = {
      {R"({"prompt": "Hi"})", {}},
      {R"({"prompt": "Hi", "customer_id": null})", {}},
      {R"({"prompt": "Hi", "customer_id": "0193A9C0-7A5E-7D12-8C41-7B0E2F1A9D33"})", {}},
      {R"({"prompt": ")" + longest + R"("})", {}},
      {R"({"prompt": ")" + longest + R"(a"})", {"prompt"}},
      {R"({})", {"prompt"}},
      {R"({"prompt": null})", {"prompt"}},
      {R"({"prompt": ""})", {"prompt"}},
      {R"({"prompt": " \n "})", {"prompt"}},
      {R"({"prompt": 5})", {"prompt"}},
      {R"({"prompt": ["Hi"]})", {"prompt"}},
      {R"({"prompt": "Hi", "customer_id": "42"})", {"customer_id"}},
      {R"({"prompt": "Hi", "customer_id": 42})", {"customer_id"}},
      {R"({"prompt": "Hi", "model": "gpt-4"})", {"model"}},
      {R"({"question": "Hi"})", {"prompt", "question"}},
  };
  for (const Case& c : cases) {
    auto result = ParseAsk(nlohmann::json::parse(c.body));
    std::set<std::string> fields;
    if (!result) {
      EXPECT_EQ(result.error().code, core::Code::kInvalid);
      for (const auto& e : result.error().errors) fields.insert(e.field);
    }
    EXPECT_EQ(fields, c.fields) << c.body.substr(0, 80);
  }
}

TEST(ParseAskTest, TrimsThePromptAndLowercasesTheId) {
  auto result = ParseAsk(
      {{"prompt", "  Summarise.\n"}, {"customer_id", "0193A9C0-7A5E-7D12-8C41-7B0E2F1A9D33"}});
  ASSERT_TRUE(result);
  EXPECT_EQ(result->prompt, "Summarise.");
  EXPECT_EQ(result->customer_id, "0193a9c0-7a5e-7d12-8c41-7b0e2f1a9d33");
}

}  // namespace
}  // namespace rapport::ai
