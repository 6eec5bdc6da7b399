// libFuzzer target for the import parsing: CSV (libcsv reader, header mapping, record →
// customer body), JSON arrays (in memory and streamed) and NDJSON, each followed by the
// customers module's validation. The first input byte picks the path and how the rest is cut
// into pieces, so the streaming code sees every kind of boundary. Besides crashes and
// sanitizer reports, it checks two properties and traps when they fail:
//   - a CSV cell written by AppendCsvCell reads back, after CsvUnescapeFormula, as the value;
//   - the in-memory and the streamed JSON readers agree.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "customers/customer.hpp"
#include "transfer/csv.hpp"
#include "transfer/customer_csv.hpp"
#include "transfer/json_stream.hpp"

namespace {

using rapport::transfer::CsvReader;
using rapport::transfer::CsvRecord;
using rapport::transfer::JsonRecord;

void Validate(const nlohmann::json& object) {
  if (!object.is_object()) return;
  (void)rapport::customers::ParseNewCustomer(object);
  (void)rapport::customers::ParseCustomerChanges(object);
}

template <class Feed>
void InPieces(std::string_view input, std::size_t piece, Feed feed) {
  if (piece == 0) piece = input.size() + 1;
  for (std::size_t at = 0; at < input.size(); at += piece) feed(input.substr(at, piece));
}

// The cell round trip: write `value` as a CSV cell between two others, read it back.
void CheckCellRoundTrip(std::string_view value) {
  std::string line = "a,";
  rapport::transfer::AppendCsvCell(line, value);
  line += ",z\n";
  std::vector<std::string> cells;
  CsvReader reader([&](const CsvRecord& record) {
    cells.assign(record.cells.begin(), record.cells.end());
    return true;
  });
  reader.Feed(line);
  if (reader.Finish() || cells.size() != 3 ||
      rapport::transfer::CsvUnescapeFormula(cells[1]) != value) {
    __builtin_trap();
  }
}

void FuzzCsv(std::string_view input, std::size_t piece) {
  CsvReader::Limits limits;
  limits.max_cell_bytes = 64;  // small, so the limits are reached often
  limits.max_cells = 16;
  limits.max_record_bytes = 512;
  std::optional<std::vector<rapport::transfer::CsvColumn>> columns;
  std::vector<rapport::transfer::RecordProblem> problems;
  CsvReader reader(
      [&](const CsvRecord& record) {
        for (std::string_view cell : record.cells) {
          (void)rapport::transfer::CsvSplitList(rapport::transfer::CsvUnescapeFormula(cell));
          if (cell.size() < 64) CheckCellRoundTrip(cell);
        }
        if (!columns) {
          auto mapped = rapport::transfer::MapCustomerHeader(record);
          if (!mapped) return false;
          columns = std::move(*mapped);
          return true;
        }
        problems.clear();
        if (auto object = rapport::transfer::CustomerFromCsv(*columns, record, problems)) {
          Validate(*object);
        }
        return true;
      },
      limits);
  InPieces(input, piece, [&](std::string_view bytes) { reader.Feed(bytes); });
  (void)reader.Finish();
}

void FuzzJsonArray(std::string_view input) {
  rapport::transfer::JsonLimits limits;
  limits.max_depth = 8;
  limits.max_string_bytes = 256;
  limits.max_record_bytes = 4096;
  std::vector<nlohmann::json> in_memory;
  std::vector<nlohmann::json> streamed;
  rapport::transfer::JsonRecordCallback collect = [&](JsonRecord& record) {
    Validate(record.value);
    in_memory.push_back(record.value);
    return true;
  };
  auto error = rapport::transfer::ReadJsonArray(input, collect, limits);
  rapport::transfer::JsonRecordCallback collect_streamed = [&](JsonRecord& record) {
    streamed.push_back(record.value);
    return true;
  };
  std::istringstream stream{std::string(input)};
  auto streamed_error = rapport::transfer::ReadJsonArray(stream, collect_streamed, limits);
  auto checked = rapport::transfer::ReadJsonArray(input, nullptr, limits);
  if (error.has_value() != streamed_error.has_value() || error.has_value() != checked.has_value() ||
      in_memory != streamed) {
    __builtin_trap();
  }
}

void FuzzNdjson(std::string_view input, std::size_t piece) {
  rapport::transfer::JsonLimits limits;
  limits.max_depth = 8;
  limits.max_record_bytes = 1024;
  rapport::transfer::NdjsonReader reader(
      [](JsonRecord& record) {
        Validate(record.value);
        return true;
      },
      limits);
  InPieces(input, piece, [&](std::string_view bytes) { reader.Feed(bytes); });
  reader.Finish();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const uint8_t control = data[0];
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  const std::size_t piece = (control >> 2) % 16;  // 0: all at once
  switch (control % 3) {
    case 0:
      FuzzCsv(input, piece);
      break;
    case 1:
      FuzzJsonArray(input);
      break;
    default:
      FuzzNdjson(input, piece);
      break;
  }
  return 0;
}
