#include "core/page.hpp"

#include <gtest/gtest.h>

#include "core/json_reader.hpp"
#include "core/text.hpp"

namespace rapport::core {
namespace {

TEST(PageTest, ParsesSortAgainstTheAllowList) {
  auto sort = ParseSort("name,-created_at", {"name", "created_at"}, "name");
  ASSERT_TRUE(sort);
  ASSERT_EQ(sort->size(), 2u);
  EXPECT_EQ((*sort)[1].field, "created_at");
  EXPECT_TRUE((*sort)[1].descending);
  EXPECT_FALSE(ParseSort("password", {"name"}, "name"));
  EXPECT_FALSE(ParseSort("name,name", {"name"}, "name"));
  EXPECT_EQ(ParseSort(std::nullopt, {"name"}, "-name")->front().descending, true);
}

TEST(PageTest, CursorsRoundTripAndAreBoundToTheirOrder) {
  std::vector<SortKey> sort = {{"name", false}, {"id", false}};
  std::string cursor = EncodeCursor(sort, {"Ada", "0192"});
  auto values = DecodeCursor(cursor, sort);
  ASSERT_TRUE(values);
  EXPECT_EQ(*values, (std::vector<std::string>{"Ada", "0192"}));
  std::vector<SortKey> other = {{"name", true}, {"id", true}};
  EXPECT_FALSE(DecodeCursor(cursor, other));
  EXPECT_FALSE(DecodeCursor("not-a-cursor", sort));
  EXPECT_FALSE(DecodeCursor("", sort));
}

TEST(PageTest, CursorsCarryAnyTextAsJson) {
  std::vector<SortKey> sort = {{"name", true}, {"id", false}};
  const std::vector<std::string> awkward = {"Zoë \"the\" \\ O'Brien\n\t\x01", ""};
  const std::string cursor = EncodeCursor(sort, awkward);
  const auto text = Base64UrlDecode(cursor);
  ASSERT_TRUE(text);
  EXPECT_EQ(nlohmann::json::parse(*text),
            nlohmann::json({{"s", "-name,+id,"}, {"v", awkward}}));
  auto values = DecodeCursor(cursor, sort);
  ASSERT_TRUE(values);
  EXPECT_EQ(*values, awkward);
}

TEST(JsonReaderTest, ReportsEveryProblemByField) {
  nlohmann::json body = {{"name", 5}, {"email", "bad"}, {"age", -1}, {"id", "x"}, {"mystery", 1}};
  JsonReader in(body);
  in.Text("name");
  in.Email("email");
  in.Integer("age", 0, 150);
  in.ReadOnly({"id"});
  auto error = in.Finish();
  ASSERT_TRUE(error);
  EXPECT_EQ(error->code, Code::kInvalid);
  std::set<std::string> fields;
  for (const auto& e : error->errors) fields.insert(e.field);
  EXPECT_EQ(fields, (std::set<std::string>{"name", "email", "age", "id", "mystery"}));
}

TEST(JsonReaderTest, TellsAbsentNullAndValueApart) {
  nlohmann::json body = {{"a", nullptr}, {"b", " text "}};
  JsonReader in(body);
  auto a = in.Text("a");
  auto b = in.Text("b");
  auto c = in.Text("c");
  EXPECT_TRUE(a.present && a.is_null());
  EXPECT_EQ(*b, "text");
  EXPECT_FALSE(c.present);
  EXPECT_FALSE(in.Finish());
}

TEST(JsonReaderTest, RefusesNulCharactersInTextAndListItems) {
  nlohmann::json body = {{"name", std::string("a\0b", 3)},
                         {"tags", {"ok", std::string("x\0", 2)}}};
  JsonReader in(body);
  EXPECT_FALSE(in.Text("name").value);
  EXPECT_FALSE(in.TextList("tags", 10).value);
  auto error = in.Finish();
  ASSERT_TRUE(error);
  EXPECT_EQ(error->errors.size(), 2u);
}

TEST(JsonReaderTest, ParsesOnlyObjects) {
  nlohmann::json out;
  EXPECT_EQ(ParseJsonObject("{", out)->code, Code::kBadRequest);
  EXPECT_EQ(ParseJsonObject("[1]", out)->code, Code::kInvalid);
  EXPECT_FALSE(ParseJsonObject("{\"a\":1}", out));
}

}  // namespace
}  // namespace rapport::core
