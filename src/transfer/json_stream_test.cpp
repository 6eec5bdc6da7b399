#include "transfer/json_stream.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

namespace rapport::transfer {
namespace {

using nlohmann::json;

struct Read {
  std::vector<json> values;       // null for records with an error
  std::vector<std::string> errors;  // "" for good records
  std::optional<std::string> error;
};

Read ReadArray(const std::string& text, const JsonLimits& limits = {}) {
  Read out;
  JsonRecordCallback callback = [&](JsonRecord& record) {
    EXPECT_EQ(record.number, static_cast<int64_t>(out.values.size()) + 1);
    out.values.push_back(record.value);
    out.errors.push_back(record.error.value_or(""));
    return true;
  };
  out.error = ReadJsonArray(text, callback, limits);
  // The stream reader must agree with the in-memory one.
  Read streamed;
  JsonRecordCallback again = [&](JsonRecord& record) {
    streamed.values.push_back(record.value);
    streamed.errors.push_back(record.error.value_or(""));
    return true;
  };
  std::istringstream in(text);
  streamed.error = ReadJsonArray(in, again, limits);
  EXPECT_EQ(streamed.values, out.values);
  EXPECT_EQ(streamed.errors, out.errors);
  EXPECT_EQ(streamed.error.has_value(), out.error.has_value());
  // So must the check without a callback.
  EXPECT_EQ(ReadJsonArray(text, nullptr, limits).has_value(), out.error.has_value());
  return out;
}

Read ReadNdjson(const std::string& text, std::size_t piece, const JsonLimits& limits = {}) {
  Read out;
  NdjsonReader reader(
      [&](JsonRecord& record) {
        EXPECT_EQ(record.number, static_cast<int64_t>(out.values.size()) + 1);
        out.values.push_back(record.value);
        out.errors.push_back(record.error.value_or(""));
        return true;
      },
      limits);
  for (std::size_t at = 0; at < text.size(); at += piece) reader.Feed(text.substr(at, piece));
  reader.Finish();
  return out;
}

TEST(JsonArrayTest, HandsOutEachElement) {
  Read read = ReadArray(R"( [ {"name": "Ada", "tags": ["a", "b"], "attributes": {"x": {"y": [1, 2.5, null, true]}}},
                               {"name": "Grace"}, 5, "text", [1], {} ] )");
  ASSERT_FALSE(read.error) << *read.error;
  ASSERT_EQ(read.values.size(), 6u);
  EXPECT_EQ(read.values[0]["attributes"]["x"]["y"], json({1, 2.5, nullptr, true}));
  EXPECT_EQ(read.values[0]["tags"], json({"a", "b"}));
  EXPECT_EQ(read.values[1], json({{"name", "Grace"}}));
  EXPECT_EQ(read.values[2], json(5));
  EXPECT_EQ(read.values[3], json("text"));
  EXPECT_EQ(read.values[4], json({1}));
  EXPECT_EQ(read.values[5], json::object());
}

TEST(JsonArrayTest, AnEmptyArrayHasNoRecords) {
  Read read = ReadArray("[]");
  EXPECT_FALSE(read.error);
  EXPECT_TRUE(read.values.empty());
}

TEST(JsonArrayTest, RefusesWhatIsNotOneWellFormedArray) {
  for (const std::string text : {"", "   ", "{\"name\": \"Ada\"}", "5", "\"x\"", "null",
                                 "[{\"a\": 1},", "[{\"a\": 1}] [2]", "[{\"a\": tru}]",
                                 "[{\"a\": \"\xff\"}]", "[1,]", "[{\"a\" 1}]"}) {
    Read read = ReadArray(text);
    EXPECT_TRUE(read.error) << text;
  }
}

TEST(JsonArrayTest, AMalformedElementNamesTheLineAndColumn) {
  Read read = ReadArray("[\n{\"name\": \"ok\"},\n{\"name\": oops}\n]");
  ASSERT_TRUE(read.error);
  EXPECT_NE(read.error->find("line 3"), std::string::npos) << *read.error;
  EXPECT_EQ(read.values.size(), 1u);  // the element before was already handed out
}

TEST(JsonArrayTest, LimitsDepthAndSizeOfOneElementOnly) {
  JsonLimits limits;
  limits.max_depth = 4;
  limits.max_string_bytes = 10;
  const std::string deep = "{\"a\":[[[[[[1]]]]]]}";
  Read read = ReadArray("[" + deep + ", {\"s\": \"01234567890123\"}, {\"ok\": [[1]]}]", limits);
  ASSERT_FALSE(read.error);
  ASSERT_EQ(read.values.size(), 3u);
  EXPECT_NE(read.errors[0].find("nested deeper"), std::string::npos);
  EXPECT_TRUE(read.values[0].is_null());
  EXPECT_NE(read.errors[1].find("longer than 10"), std::string::npos);
  EXPECT_EQ(read.errors[2], "");
  EXPECT_EQ(read.values[2], json({{"ok", {{1}}}}));
}

TEST(JsonArrayTest, VeryDeepNestingNeitherCrashesNorPasses) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  Read read = ReadArray("[" + deep + "]");
  ASSERT_FALSE(read.error);
  ASSERT_EQ(read.values.size(), 1u);
  EXPECT_NE(read.errors[0].find("nested deeper"), std::string::npos);
}

TEST(NdjsonTest, OneRecordPerLineWhateverTheChunking) {
  const std::string text =
      "\xEF\xBB\xBF{\"name\": \"Ada\"}\r\n\n  \n{\"name\": \"Grace\"}\nnot json\n[1]\n{\"name\": \"Linus\"}";
  for (std::size_t piece : {std::size_t{1}, std::size_t{3}, std::size_t{1000}}) {
    Read read = ReadNdjson(text, piece);
    ASSERT_EQ(read.values.size(), 5u) << piece;
    EXPECT_EQ(read.values[0], json({{"name", "Ada"}}));
    EXPECT_EQ(read.values[1], json({{"name", "Grace"}}));
    EXPECT_NE(read.errors[2].find("not valid JSON"), std::string::npos);
    EXPECT_EQ(read.values[3], json({1}));
    EXPECT_EQ(read.values[4], json({{"name", "Linus"}}));
  }
}

TEST(NdjsonTest, OverlongLinesAreSkippedWithoutBeingKept) {
  JsonLimits limits;
  limits.max_record_bytes = 50;
  const std::string text = "{\"a\":1}\n{\"s\":\"" + std::string(100000, 'x') + "\"}\n{\"b\":2}\n";
  Read read = ReadNdjson(text, 4096, limits);
  ASSERT_EQ(read.values.size(), 3u);
  EXPECT_NE(read.errors[1].find("longer than 50"), std::string::npos);
  EXPECT_EQ(read.values[2], json({{"b", 2}}));
}

TEST(NdjsonTest, TrailingGarbageMakesTheLineInvalid) {
  Read read = ReadNdjson("{\"a\":1} {\"b\":2}\n{\"c\":3}\n", 1000);
  ASSERT_EQ(read.values.size(), 2u);
  EXPECT_NE(read.errors[0], "");
  EXPECT_EQ(read.values[1], json({{"c", 3}}));
}

}  // namespace
}  // namespace rapport::transfer
