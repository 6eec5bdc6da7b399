#include "transfer/export.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "transfer/csv.hpp"

namespace rapport::transfer {
namespace {

const std::vector<Column> kColumns = {{"name", ColumnType::kText},
                                      {"amount", ColumnType::kNumber},
                                      {"paid", ColumnType::kBoolean},
                                      {"tags", ColumnType::kList},
                                      {"extra", ColumnType::kObject}};

class VectorSource : public RowSource {
 public:
  explicit VectorSource(std::vector<ExportRow> rows) : rows_(std::move(rows)) {}
  bool Next(ExportRow& row) override {
    if (next_ == rows_.size()) return false;
    row = rows_[next_++];
    return true;
  }

 private:
  std::vector<ExportRow> rows_;
  std::size_t next_ = 0;
};

ExportRow Row(std::optional<std::string> name, std::string amount, bool paid,
              std::vector<std::string> tags, std::string extra) {
  ExportRow row(kColumns.size());
  row[0].Set(name);
  row[1].Set(std::move(amount));
  row[2].Set(std::string(paid ? "true" : "false"));
  row[3].SetItems(std::move(tags));
  row[4].Set(std::move(extra));
  return row;
}

std::vector<ExportRow> SampleRows() {
  return {Row("Ada, \"the first\"", "120.5", true, {"vip", "b2b"}, R"({"k":"v"})"),
          Row("=HYPERLINK(\"x\")", "3", false, {}, "{}"), Row(std::nullopt, "0", false, {"a;b"}, "{}")};
}

std::string Export(Format format, std::vector<ExportRow> rows, bool bom = false,
                   std::size_t chunk_bytes = 1 << 16, int* chunks = nullptr) {
  VectorSource source(std::move(rows));
  std::string out;
  auto written = WriteExport(
      source, kColumns, format,
      [&](std::string_view chunk) {
        out.append(chunk);
        if (chunks) ++*chunks;
        return true;
      },
      bom, chunk_bytes);
  EXPECT_TRUE(written);
  return out;
}

TEST(WriteExportTest, Csv) {
  EXPECT_EQ(Export(Format::kCsv, SampleRows()),
            "name,amount,paid,tags,extra\r\n"
            "\"Ada, \"\"the first\"\"\",120.5,true,vip;b2b,\"{\"\"k\"\":\"\"v\"\"}\"\r\n"
            "\"'=HYPERLINK(\"\"x\"\")\",3,false,,\r\n"
            ",0,false,\"[\"\"a;b\"\"]\",\r\n");
  EXPECT_EQ(Export(Format::kCsv, {}, /*bom=*/true), "\xEF\xBB\xBF" "name,amount,paid,tags,extra\r\n");
}

TEST(WriteExportTest, JsonAndNdjson) {
  const std::string first =
      R"({"name":"Ada, \"the first\"","amount":120.5,"paid":true,"tags":["vip","b2b"],"extra":{"k":"v"}})";
  const std::string second =
      R"j({"name":"=HYPERLINK(\"x\")","amount":3,"paid":false,"tags":[],"extra":{}})j";
  const std::string third = R"({"name":null,"amount":0,"paid":false,"tags":["a;b"],"extra":{}})";
  EXPECT_EQ(Export(Format::kJson, SampleRows()),
            "[\n" + first + ",\n" + second + ",\n" + third + "\n]\n");
  EXPECT_EQ(Export(Format::kNdjson, SampleRows()), first + "\n" + second + "\n" + third + "\n");
  EXPECT_EQ(Export(Format::kJson, {}), "[\n]\n");
  EXPECT_EQ(Export(Format::kNdjson, {}), "");
  // Both are valid JSON documents / lines.
  EXPECT_EQ(nlohmann::json::parse(Export(Format::kJson, SampleRows())).size(), 3u);
}

TEST(WriteExportTest, WritesInChunksAndStopsWhenTheSinkDoes) {
  std::vector<ExportRow> many;
  for (int i = 0; i < 1000; ++i) many.push_back(SampleRows()[0]);
  int chunks = 0;
  const std::string whole = Export(Format::kCsv, many, false, 4096, &chunks);
  EXPECT_GT(chunks, 10);
  EXPECT_EQ(whole, Export(Format::kCsv, many));

  VectorSource source(many);
  int calls = 0;
  auto written = WriteExport(source, kColumns, Format::kNdjson,
                             [&](std::string_view) { return ++calls < 3; }, false, 4096);
  EXPECT_FALSE(written);
  EXPECT_EQ(calls, 3);
}

TEST(ParseFormatTest, NamesTheParameter) {
  EXPECT_EQ(*ParseFormat(std::nullopt), Format::kCsv);
  EXPECT_EQ(*ParseFormat("ndjson"), Format::kNdjson);
  auto bad = ParseFormat("xml");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, core::Code::kBadRequest);
  EXPECT_EQ(bad.error().errors.at(0).field, "format");
}

}  // namespace
}  // namespace rapport::transfer
