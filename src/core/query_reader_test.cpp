#include "core/query_reader.hpp"

#include <array>
#include <map>
#include <string>

#include <gtest/gtest.h>

namespace rapport::core {
namespace {

constexpr std::array<std::string_view, 3> kColours = {"red", "green", "blue"};

// A reader over a fixed set of parameters.
struct Params {
  std::map<std::string, std::string, std::less<>> values;
  QueryReader Reader() const {
    return QueryReader([this](std::string_view name) -> std::optional<std::string_view> {
      auto it = values.find(name);
      if (it == values.end()) return std::nullopt;
      return it->second;
    });
  }
};

// The parameter a BadRequest names, or "" when there was none.
std::string Named(QueryReader& in) {
  auto error = in.Finish();
  if (!error) return "";
  EXPECT_EQ(error->code, Code::kBadRequest);
  return error->errors.empty() ? "?" : error->errors[0].field;
}

TEST(QueryReaderTest, OneOfTakesOneValueOrACommaSeparatedList) {
  struct Case {
    const char* text;
    std::optional<std::vector<std::string>> values;
    bool bad;
  };
  const Case cases[] = {
      {"red", std::vector<std::string>{"red"}, false},
      {"red,blue", std::vector<std::string>{"red", "blue"}, false},
      {"blue,red,blue", std::vector<std::string>{"blue", "red"}, false},
      {"", std::nullopt, false},  // empty: absent
      {"pink", std::nullopt, true},
      {"red,", std::nullopt, true},
      {",red", std::nullopt, true},
      {"Red", std::nullopt, true},
      {"red, blue", std::nullopt, true},
  };
  for (const Case& c : cases) {
    Params params{{{"colour", c.text}}};
    QueryReader in = params.Reader();
    EXPECT_EQ(in.OneOf("colour", kColours), c.values) << c.text;
    EXPECT_EQ(Named(in), c.bad ? "colour" : "") << c.text;
  }
  Params none;
  QueryReader in = none.Reader();
  EXPECT_EQ(in.OneOf("colour", kColours), std::nullopt);
  EXPECT_EQ(Named(in), "");
}

TEST(QueryReaderTest, IdsAreUuidsLowerCased) {
  Params params{{{"a", "01890A5D-AC96-774B-BCCE-B302099A8057"}, {"b", "nope"}, {"c", ""}}};
  QueryReader in = params.Reader();
  EXPECT_EQ(in.Id("a"), "01890a5d-ac96-774b-bcce-b302099a8057");
  EXPECT_EQ(in.Id("c"), std::nullopt);
  EXPECT_EQ(in.Id("b"), std::nullopt);
  EXPECT_EQ(Named(in), "b");
}

TEST(QueryReaderTest, InstantsTakeTimestampsOrDates) {
  Params params{{{"from", "2026-11-01"},
                 {"to", "2026-11-22T15:00:00+01:00"},
                 {"bad", "yesterday"},
                 {"worse", "2026-13-01"}}};
  QueryReader in = params.Reader();
  EXPECT_EQ(in.Instant("from"), "2026-11-01T00:00:00Z");
  EXPECT_EQ(in.Instant("to"), "2026-11-22T14:00:00Z");
  EXPECT_EQ(Named(in), "");
  EXPECT_EQ(in.Instant("bad"), std::nullopt);
  EXPECT_EQ(in.Instant("worse"), std::nullopt);
  EXPECT_EQ(Named(in), "bad");  // the first problem is the one reported
}

TEST(QueryReaderTest, TextIsVerbatimAndEmptyIsAbsent) {
  Params params{{{"q", " a%_' "}, {"empty", ""}}};
  QueryReader in = params.Reader();
  EXPECT_EQ(in.Text("q"), " a%_' ");
  EXPECT_EQ(in.Text("empty"), std::nullopt);
  EXPECT_EQ(in.Text("missing"), std::nullopt);
}

}  // namespace
}  // namespace rapport::core
