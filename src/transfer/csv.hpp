#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rapport::transfer {

// One record of a CSV file as CsvReader hands it out. The views point into the reader's
// buffer and are valid only during the callback.
struct CsvRecord {
  int64_t number = 0;  // 1-based position among the file's records (a header is record 1)
  std::vector<std::string_view> cells;
  // Cells longer than the reader's cell limit, by index; their text is left out (empty).
  std::vector<std::size_t> oversized;
  // The record had more cells, or more bytes, than the reader keeps; the rest were dropped.
  bool truncated = false;
};

// Reads CSV (RFC 4180) as it arrives, with libcsv: fields may be quoted; quoted fields hold
// commas, line breaks and doubled quotes (""); records end at LF, CR LF or CR. A UTF-8 byte
// order mark at the very start is skipped. Lenient where real files are: completely empty
// lines are not records, spaces and tabs around unquoted fields are dropped, and a quote
// inside an unquoted field is kept as text.
//
// Memory stays bounded whatever the input: a cell longer than `max_cell_bytes` is reported
// in CsvRecord::oversized without its text, and a record keeps at most `max_cells` cells
// and `max_record_bytes` bytes (CsvRecord::truncated). Record boundaries are never lost, so
// the records after an oversized one read normally. Not thread-safe.
class CsvReader {
 public:
  struct Limits {
    std::size_t max_cell_bytes = 1 << 20;
    std::size_t max_cells = 4096;
    std::size_t max_record_bytes = 8 << 20;
  };
  // Receives each record; returns false to stop reading.
  using Callback = std::function<bool(const CsvRecord&)>;

  explicit CsvReader(Callback on_record);
  CsvReader(Callback on_record, Limits limits);
  ~CsvReader();
  CsvReader(const CsvReader&) = delete;
  CsvReader& operator=(const CsvReader&) = delete;

  // Reads the next bytes of the input. Returns false once the callback asked to stop
  // (later calls do nothing). What the callback throws is rethrown here.
  bool Feed(std::string_view bytes);
  // Ends the input, handing out the last record. Returns an error message when the input
  // ends inside a quoted field (a quote that is never closed swallows the rest of the file).
  std::optional<std::string> Finish();

  // Records handed out so far.
  int64_t records() const { return records_; }

 private:
  struct Parser;
  static void OnField(void* text, std::size_t size, void* self);
  static void OnRecordEnd(int terminator, void* self);
  void AddField(void* text, std::size_t size);
  void Parse(std::string_view bytes);

  Callback on_record_;
  Limits limits_;
  std::unique_ptr<Parser> parser_;
  std::string head_;  // the first bytes, until the byte order mark is ruled out
  bool started_ = false;
  bool stopped_ = false;
  // Thrown by the callback: kept while libcsv (C code) is on the stack, rethrown after it.
  std::exception_ptr failure_;
  int64_t records_ = 0;
  // The record being read: its cells' text, their spans, and what did not fit.
  std::string text_;
  std::vector<std::pair<std::size_t, std::size_t>> spans_;
  std::vector<std::size_t> oversized_;
  bool current_oversized_ = false;  // the cell being read outgrew the limit
  bool truncated_ = false;
  CsvRecord record_;
};

// Writing CSV. Cells that start with = + - @, a tab or a carriage return would run as
// formulas in spreadsheet programs (CSV injection); they are written with a leading
// apostrophe, which spreadsheets show as "treat as text" and CsvUnescapeFormula() removes
// again. A cell that starts with an apostrophe followed by one of those characters (or by
// another apostrophe) gets one more, so every value survives the round trip unchanged.
bool CsvNeedsFormulaEscape(std::string_view value);
// The value of a cell with a leading apostrophe added by the rule above removed.
std::string_view CsvUnescapeFormula(std::string_view cell);

// Appends `value` as one CSV cell (formula-escaped, then quoted when it holds a comma, a
// quote, CR or LF, or starts or ends with a space or tab, with quotes doubled).
void AppendCsvCell(std::string& out, std::string_view value);

// Tags in one cell: joined with ';', or as a JSON array of strings when a tag holds a ';' or
// the joined text would start with '['. CsvSplitList() reads both forms back (pieces are
// trimmed, empty ones dropped).
std::string CsvJoinList(const std::vector<std::string>& items);
std::vector<std::string> CsvSplitList(std::string_view cell);

}  // namespace rapport::transfer
