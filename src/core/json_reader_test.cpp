#include "core/json_reader.hpp"

#include <gtest/gtest.h>

namespace rapport::core {
namespace {

TEST(JsonReaderTest, RawMarksTheKeyKnownWithoutCopying) {
  const nlohmann::json body = {{"name", "x"}, {"rules", {{"logic", "and"}}}, {"extra", 1}};
  JsonReader in(body);
  in.Text("name");
  const nlohmann::json* rules = in.Raw("rules");
  ASSERT_NE(rules, nullptr);
  EXPECT_EQ(rules, &body["rules"]);  // the body's own value
  EXPECT_EQ(in.Raw("absent"), nullptr);
  auto error = in.Finish();
  ASSERT_TRUE(error);
  ASSERT_EQ(error->errors.size(), 1u);  // only the key nobody asked for
  EXPECT_EQ(error->errors[0].field, "extra");
}

TEST(JsonReaderTest, NestingDepthCountsWithoutRecursing) {
  EXPECT_EQ(NestingDepth(nlohmann::json(5), 10), 0);
  EXPECT_EQ(NestingDepth(nlohmann::json::array(), 10), 1);
  EXPECT_EQ(NestingDepth(nlohmann::json::parse(R"({"a": [1, {"b": {}}], "c": 2})"), 10), 4);
  // 200,000 levels: measured (and refused) without a stack overflow.
  const std::string deep = std::string(200000, '[') + std::string(200000, ']');
  const auto document = nlohmann::json::parse(deep);
  EXPECT_EQ(NestingDepth(document, 32), 33);
}

TEST(JsonReaderTest, ObjectRefusesDeeplyNestedValues) {
  std::string text = R"({"attributes": {"a": )" + std::string(100000, '[') +
                     std::string(100000, ']') + "}}";
  const auto body = nlohmann::json::parse(text);
  JsonReader in(body);
  auto field = in.Object("attributes");
  EXPECT_FALSE(field.value);
  auto error = in.Finish();
  ASSERT_TRUE(error);
  EXPECT_EQ(error->errors[0].field, "attributes");
  EXPECT_EQ(error->errors[0].message, "must be nested at most 32 levels deep");

  const auto fine = nlohmann::json::parse(R"({"attributes": {"a": {"b": [1, 2]}}})");
  JsonReader ok(fine);
  EXPECT_TRUE(ok.Object("attributes").value);
  EXPECT_FALSE(ok.Finish());
}

}  // namespace
}  // namespace rapport::core
