#include "transfer/csv.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace rapport::transfer {
namespace {

struct Read {
  std::vector<std::vector<std::string>> records;
  std::vector<std::vector<std::size_t>> oversized;
  std::vector<bool> truncated;
  std::optional<std::string> error;
};

// Reads `input` fed in pieces of `piece` bytes (0: all at once).
Read ReadCsv(const std::string& input, std::size_t piece = 0, CsvReader::Limits limits = {}) {
  Read out;
  CsvReader reader(
      [&](const CsvRecord& record) {
        EXPECT_EQ(record.number, static_cast<int64_t>(out.records.size()) + 1);
        out.records.emplace_back(record.cells.begin(), record.cells.end());
        out.oversized.push_back(record.oversized);
        out.truncated.push_back(record.truncated);
        return true;
      },
      limits);
  if (piece == 0) {
    reader.Feed(input);
  } else {
    for (std::size_t at = 0; at < input.size(); at += piece) reader.Feed(input.substr(at, piece));
  }
  out.error = reader.Finish();
  return out;
}

using Records = std::vector<std::vector<std::string>>;

TEST(CsvReaderTest, ReadsRfc4180Files) {
  struct Case {
    std::string name;
    std::string input;
    Records expected;
  };
  const std::vector<Case> cases = {
      {"plain", "a,b\n1,2\n", {{"a", "b"}, {"1", "2"}}},
      {"crlf", "a,b\r\n1,2\r\n", {{"a", "b"}, {"1", "2"}}},
      {"bare cr", "a,b\r1,2\r", {{"a", "b"}, {"1", "2"}}},
      {"no final newline", "a,b\n1,2", {{"a", "b"}, {"1", "2"}}},
      {"byte order mark", "\xEF\xBB\xBF" "a,b\n1,2\n", {{"a", "b"}, {"1", "2"}}},
      {"quoted comma and quote", "a\n\"x, \"\"y\"\"\"\n", {{"a"}, {"x, \"y\""}}},
      {"quoted line breaks", "a,b\n\"line1\r\nline2\",z\n", {{"a", "b"}, {"line1\r\nline2", "z"}}},
      {"empty cells", "a,b,c\n,,\n1,,3\n", {{"a", "b", "c"}, {"", "", ""}, {"1", "", "3"}}},
      {"blank lines are no records", "a\n\n\r\n1\n\n", {{"a"}, {"1"}}},
      {"spaces around unquoted cells", "a , b\n 1 ,\t2\n", {{"a", "b"}, {"1", "2"}}},
      {"spaces inside quotes kept", "a\n\" x \"\n", {{"a"}, {" x "}}},
      {"stray quote in unquoted cell", "a\n5\" screen\n", {{"a"}, {"5\" screen"}}},
      {"utf-8 kept as bytes", "name\nZoë Ünal\n", {{"name"}, {"Zoë Ünal"}}},
      {"ragged rows as they are", "a,b\n1\n1,2,3\n", {{"a", "b"}, {"1"}, {"1", "2", "3"}}},
  };
  for (const Case& c : cases) {
    for (std::size_t piece : {std::size_t{0}, std::size_t{1}, std::size_t{2}, std::size_t{7}}) {
      Read read = ReadCsv(c.input, piece);
      EXPECT_EQ(read.records, c.expected) << c.name << " in pieces of " << piece;
      EXPECT_FALSE(read.error) << c.name;
    }
  }
}

TEST(CsvReaderTest, AQuoteNeverClosedIsAnErrorAtTheEnd) {
  Read read = ReadCsv("a,b\n1,\"open\n2,3\n4,5\n");
  ASSERT_TRUE(read.error);
  EXPECT_NE(read.error->find("never closed"), std::string::npos);
  // The header, then one record whose second cell swallowed the rest of the file.
  ASSERT_EQ(read.records.size(), 2u);
  EXPECT_EQ(read.records[1], (std::vector<std::string>{"1", "open\n2,3\n4,5\n"}));
}

TEST(CsvReaderTest, OversizedCellsAreDroppedWithoutLosingRecordBoundaries) {
  CsvReader::Limits limits;
  limits.max_cell_bytes = 100;
  const std::string huge(100000, 'x');
  const std::string input = "a,b\n1,\"" + huge + ",\"\"still quoted\n\"\n" + huge + " ,2\n3,4\n";
  for (std::size_t piece : {std::size_t{0}, std::size_t{1000}, std::size_t{65536 + 3}}) {
    Read read = ReadCsv(input, piece, limits);
    ASSERT_EQ(read.records.size(), 4u) << piece;
    EXPECT_EQ(read.records[1], (std::vector<std::string>{"1", ""}));
    EXPECT_EQ(read.oversized[1], (std::vector<std::size_t>{1}));
    EXPECT_EQ(read.records[2], (std::vector<std::string>{"", "2"}));
    EXPECT_EQ(read.oversized[2], (std::vector<std::size_t>{0}));
    EXPECT_EQ(read.records[3], (std::vector<std::string>{"3", "4"}));
    EXPECT_TRUE(read.oversized[3].empty());
    EXPECT_FALSE(read.error);
  }
}

TEST(CsvReaderTest, RecordsWithTooManyCellsAreTruncated) {
  CsvReader::Limits limits;
  limits.max_cells = 3;
  Read read = ReadCsv("a,b,c,d,e\n1,2\n", 0, limits);
  ASSERT_EQ(read.records.size(), 2u);
  EXPECT_EQ(read.records[0].size(), 3u);
  EXPECT_TRUE(read.truncated[0]);
  EXPECT_FALSE(read.truncated[1]);
}

TEST(CsvReaderTest, StopsWhenTheCallbackSaysSo) {
  int seen = 0;
  CsvReader reader([&](const CsvRecord&) { return ++seen < 2; });
  EXPECT_FALSE(reader.Feed("a\nb\nc\nd\n"));
  EXPECT_FALSE(reader.Finish());
  EXPECT_EQ(seen, 2);
}

TEST(CsvReaderTest, ExceptionsFromTheCallbackComeBackOutOfFeed) {
  CsvReader reader([](const CsvRecord&) -> bool { throw std::runtime_error("stop"); });
  EXPECT_THROW(reader.Feed("a\nb\n"), std::runtime_error);
}

TEST(CsvWriterTest, EscapesFormulasSoThatEveryValueRoundTrips) {
  const std::vector<std::string> values = {
      "plain", "=1+1", "+1 555 0101", "-5", "@SUM(A1)", "\tx", "\rx", "'", "''", "'=x",
      "''=x", "'abc", "a'=", "", "=", "'+", "x,y", "say \"hi\"", "two\nlines", " padded ",
      "Zoë"};
  for (const std::string& value : values) {
    std::string cell;
    AppendCsvCell(cell, value);
    // Read it back as a CSV file would be.
    Read read = ReadCsv("h\n" + cell + "\n");
    const std::string parsed = read.records.size() > 1 ? read.records[1].at(0) : std::string();
    EXPECT_EQ(std::string(CsvUnescapeFormula(parsed)), value) << "cell: " << cell;
    const char first = parsed.empty() ? '\0' : parsed.front();
    EXPECT_TRUE(first != '=' && first != '+' && first != '-' && first != '@' && first != '\t' &&
                first != '\r')
        << "a spreadsheet would run " << cell;
  }
}

TEST(CsvWriterTest, QuotesOnlyWhatNeedsQuoting) {
  std::string out;
  AppendCsvCell(out, "simple");
  out += '|';
  AppendCsvCell(out, "a,b");
  out += '|';
  AppendCsvCell(out, "=x,y");
  EXPECT_EQ(out, "simple|\"a,b\"|\"'=x,y\"");
}

TEST(CsvListTest, JoinsWithSemicolonsAndFallsBackToJson) {
  EXPECT_EQ(CsvJoinList({"vip", "b2b"}), "vip;b2b");
  EXPECT_EQ(CsvJoinList({}), "");
  EXPECT_EQ(CsvJoinList({"a;b", "c"}), R"(["a;b","c"])");
  EXPECT_EQ(CsvJoinList({"[beta]"}), R"(["[beta]"])");
  const std::vector<std::vector<std::string>> lists = {
      {"vip", "b2b"}, {"a;b", "c"}, {"[beta]"}, {"[\"x\"]"}, {"x"}, {}};
  for (const auto& list : lists) EXPECT_EQ(CsvSplitList(CsvJoinList(list)), list);
}

TEST(CsvListTest, SplitsForeignCellsLeniently) {
  EXPECT_EQ(CsvSplitList(" vip ; b2b ;; "), (std::vector<std::string>{"vip", "b2b"}));
  EXPECT_EQ(CsvSplitList("[not json"), (std::vector<std::string>{"[not json"}));
  EXPECT_EQ(CsvSplitList("[1, 2]"), (std::vector<std::string>{"[1, 2]"}));
}

}  // namespace
}  // namespace rapport::transfer
