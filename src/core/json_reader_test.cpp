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

}  // namespace
}  // namespace rapport::core
