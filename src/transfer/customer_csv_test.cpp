#include "transfer/customer_csv.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace rapport::transfer {
namespace {

using nlohmann::json;

// A record whose cells view `cells`.
struct TestRecord {
  explicit TestRecord(std::vector<std::string> cells) : storage(std::move(cells)) {
    for (const auto& c : storage) record.cells.emplace_back(c);
  }
  std::vector<std::string> storage;
  CsvRecord record;
};

std::vector<CsvColumn> Header(std::vector<std::string> cells) {
  TestRecord header(std::move(cells));
  auto columns = MapCustomerHeader(header.record);
  EXPECT_TRUE(columns) << columns.error().detail;
  return columns ? *columns : std::vector<CsvColumn>{};
}

TEST(NormaliseHeaderTest, FoldsCaseAndSeparators) {
  EXPECT_EQ(NormaliseHeader("  E-Mail Address "), "e_mail_address");
  EXPECT_EQ(NormaliseHeader("First.Name"), "first_name");
  EXPECT_EQ(NormaliseHeader("Lead source (web)"), "lead_source_web");
  EXPECT_EQ(NormaliseHeader("Straße"), "straße");
  EXPECT_EQ(NormaliseHeader("???"), "");
}

TEST(MapCustomerHeaderTest, MapsNamesAndAliasesToFields) {
  const auto columns = Header({"Full Name", "E-mail", "Phone Number", "Company Name",
                               "Lifecycle Stage", "Contact Owner", "Tags", "Notes", "Lead Source",
                               ""});
  ASSERT_EQ(columns.size(), 10u);
  const std::vector<std::string> fields = {"name", "email", "phone", "company", "status",
                                           "owner_email", "tags", "notes"};
  for (std::size_t i = 0; i < fields.size(); ++i) {
    EXPECT_EQ(columns[i].kind, CsvColumn::Kind::kField) << i;
    EXPECT_EQ(columns[i].name, fields[i]);
  }
  EXPECT_EQ(columns[8].kind, CsvColumn::Kind::kAttribute);
  EXPECT_EQ(columns[8].name, "lead_source");
  EXPECT_EQ(columns[9].kind, CsvColumn::Kind::kUnnamed);
}

TEST(MapCustomerHeaderTest, RefusesHeadersThatCannotBeRead) {
  const std::vector<std::vector<std::string>> bad = {
      {"email", "Email"},                 // two columns, one field
      {"plan", "Plan"},                   // two columns, one attribute
      {"name", "id"},                     // read-only
      {"name", "Created At"},             // read-only, normalised
      {"", ""},                           // no names at all
      {"name", std::string("\xff\xfe")},  // not UTF-8
  };
  for (const auto& cells : bad) {
    TestRecord header(cells);
    auto columns = MapCustomerHeader(header.record);
    ASSERT_FALSE(columns) << cells.at(1);
    EXPECT_EQ(columns.error().code, core::Code::kBadRequest);
  }
}

TEST(CustomerFromCsvTest, BuildsTheWriteBody) {
  const auto columns =
      Header({"name", "email", "status", "tags", "attributes", "plan", "notes", "phone"});
  TestRecord record({"Ada", "ada@example.com", " Prospect ", "vip; b2b", R"({"plan":"old","x":1})",
                     "gold", "'=not a formula", ""});
  std::vector<RecordProblem> problems;
  auto object = CustomerFromCsv(columns, record.record, problems);
  ASSERT_TRUE(object);
  EXPECT_TRUE(problems.empty());
  EXPECT_EQ(*object, json({{"name", "Ada"},
                           {"email", "ada@example.com"},
                           {"status", "prospect"},
                           {"tags", {"vip", "b2b"}},
                           {"attributes", {{"plan", "gold"}, {"x", 1}}},
                           {"notes", "=not a formula"}}));  // the empty phone is left out
}

TEST(CustomerFromCsvTest, ReportsEveryBadCellByColumn) {
  const auto columns = Header({"name", "email", "attributes", ""});
  TestRecord record({std::string("A\xc3"), std::string("x\0y", 3), "[1]", "stray"});
  record.record.oversized = {};
  std::vector<RecordProblem> problems;
  EXPECT_FALSE(CustomerFromCsv(columns, record.record, problems));
  ASSERT_EQ(problems.size(), 4u);
  EXPECT_EQ(problems[0].field, "name");
  EXPECT_NE(problems[0].message.find("UTF-8"), std::string::npos);
  EXPECT_EQ(problems[1].field, "email");
  EXPECT_EQ(problems[2].field, "attributes");
  EXPECT_EQ(problems[3].field, "column 4");
}

TEST(CustomerFromCsvTest, RaggedOversizedAndBlankRecords) {
  const auto columns = Header({"name", "email"});
  std::vector<RecordProblem> problems;
  TestRecord ragged({"Ada"});
  EXPECT_FALSE(CustomerFromCsv(columns, ragged.record, problems));
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_FALSE(problems[0].field);
  EXPECT_NE(problems[0].message.find("has 1 cells; the header has 2"), std::string::npos);

  problems.clear();
  TestRecord oversized({"Ada", ""});
  oversized.record.oversized = {1};
  EXPECT_FALSE(CustomerFromCsv(columns, oversized.record, problems));
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].field, "email");

  problems.clear();
  TestRecord blank({"", ""});
  auto object = CustomerFromCsv(columns, blank.record, problems);
  ASSERT_TRUE(object);
  EXPECT_TRUE(object->empty());
  TestRecord short_blank({""});  // a line of nothing but a separator-less space
  object = CustomerFromCsv(columns, short_blank.record, problems);
  ASSERT_TRUE(object);
  EXPECT_TRUE(object->empty());
}

}  // namespace
}  // namespace rapport::transfer
