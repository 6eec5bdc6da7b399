#include "core/json_text.hpp"

#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace rapport::core {
namespace {

using namespace std::string_literals;

std::string Written(std::string_view text) {
  std::string out = "x";  // appends, never overwrites
  AppendJsonString(out, text);
  return out.substr(1);
}

TEST(AppendJsonStringTest, WritesWhatNlohmannWrites) {
  const std::string cases[] = {
      "",
      "plain",
      "quote \" and backslash \\",
      "slash / stays",
      "controls \b\f\n\r\t end",
      "\x01\x1f"s,
      "nul \0 inside"s,
      "del \x7f",
      "utf-8 caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
      "Robert'); DROP TABLE customers;--",
      "</script><script>alert(1)</script>",
  };
  for (const std::string& text : cases) {
    EXPECT_EQ(Written(text), nlohmann::json(text).dump()) << text;
    EXPECT_EQ(nlohmann::json::parse(Written(text)).get<std::string>(), text);
  }
}

TEST(AppendJsonStringTest, ReplacesInvalidUtf8) {
  for (const std::string text : {"bad \xff byte", "cut \xe2\x82", "\xc0\xaf overlong"}) {
    const std::string out = Written(text);
    EXPECT_EQ(out, nlohmann::json(text).dump(-1, ' ', false,
                                              nlohmann::json::error_handler_t::replace));
    EXPECT_FALSE(nlohmann::json::parse(out, nullptr, false).is_discarded()) << out;
  }
}

TEST(AppendJsonStringTest, WritesNullForNothing) {
  std::string out;
  AppendJsonStringOrNull(out, std::nullopt);
  AppendJsonStringOrNull(out, std::optional<std::string>("a"));
  EXPECT_EQ(out, "null\"a\"");
}

}  // namespace
}  // namespace rapport::core
