#include "transfer/export.hpp"

#include "core/json_text.hpp"
#include "transfer/csv.hpp"

namespace rapport::transfer {

core::Result<Format> ParseFormat(std::optional<std::string_view> text) {
  if (!text || *text == "csv") return Format::kCsv;
  if (*text == "json") return Format::kJson;
  if (*text == "ndjson") return Format::kNdjson;
  return core::Error::BadRequest("format", "must be csv, json or ndjson");
}

std::string_view FormatName(Format format) {
  switch (format) {
    case Format::kCsv:
      return "csv";
    case Format::kJson:
      return "json";
    case Format::kNdjson:
      return "ndjson";
  }
  return "csv";
}

std::string_view ContentType(Format format) {
  switch (format) {
    case Format::kCsv:
      return "text/csv; charset=utf-8";
    case Format::kJson:
      return "application/json";
    case Format::kNdjson:
      return "application/x-ndjson";
  }
  return "text/csv; charset=utf-8";
}

namespace {

void AppendCsvRow(std::string& out, const std::vector<Column>& columns, const ExportRow& row) {
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (i > 0) out += ',';
    const Cell& cell = row[i];
    if (cell.null) continue;
    switch (columns[i].type) {
      case ColumnType::kText:
        AppendCsvCell(out, cell.text);
        break;
      case ColumnType::kNumber:
      case ColumnType::kBoolean:
        out += cell.text;
        break;
      case ColumnType::kList:
        AppendCsvCell(out, CsvJoinList(cell.items));
        break;
      case ColumnType::kObject:
        if (cell.text != "{}") AppendCsvCell(out, cell.text);
        break;
    }
  }
  out += "\r\n";
}

void AppendJsonObject(std::string& out, const std::vector<Column>& columns, const ExportRow& row) {
  out += '{';
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (i > 0) out += ',';
    core::AppendJsonString(out, columns[i].name);
    out += ':';
    const Cell& cell = row[i];
    if (cell.null) {
      out += "null";
      continue;
    }
    switch (columns[i].type) {
      case ColumnType::kText:
        core::AppendJsonString(out, cell.text);
        break;
      case ColumnType::kNumber:
      case ColumnType::kBoolean:
      case ColumnType::kObject:
        out += cell.text;
        break;
      case ColumnType::kList:
        out += '[';
        for (std::size_t j = 0; j < cell.items.size(); ++j) {
          if (j > 0) out += ',';
          core::AppendJsonString(out, cell.items[j]);
        }
        out += ']';
        break;
    }
  }
  out += '}';
}

}  // namespace

std::optional<int64_t> WriteExport(RowSource& source, const std::vector<Column>& columns,
                                   Format format, const ChunkSink& sink, bool byte_order_mark,
                                   std::size_t chunk_bytes) {
  std::string out;
  out.reserve(chunk_bytes + 4096);
  auto flush_if_full = [&]() {
    if (out.size() < chunk_bytes) return true;
    const bool more = sink(out);
    out.clear();
    return more;
  };

  if (format == Format::kCsv) {
    if (byte_order_mark) out += "\xEF\xBB\xBF";
    for (std::size_t i = 0; i < columns.size(); ++i) {
      if (i > 0) out += ',';
      AppendCsvCell(out, columns[i].name);
    }
    out += "\r\n";
  } else if (format == Format::kJson) {
    out += "[\n";
  }

  ExportRow row(columns.size());
  int64_t records = 0;
  while (source.Next(row)) {
    switch (format) {
      case Format::kCsv:
        AppendCsvRow(out, columns, row);
        break;
      case Format::kJson:
        if (records > 0) out += ",\n";
        AppendJsonObject(out, columns, row);
        break;
      case Format::kNdjson:
        AppendJsonObject(out, columns, row);
        out += '\n';
        break;
    }
    ++records;
    for (Cell& cell : row) {
      cell.null = true;
      cell.text.clear();
      cell.items.clear();
    }
    if (!flush_if_full()) return std::nullopt;
  }
  if (format == Format::kJson) out += records > 0 ? "\n]\n" : "]\n";
  if (!out.empty() && !sink(out)) return std::nullopt;
  return records;
}

}  // namespace rapport::transfer
