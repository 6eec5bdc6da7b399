#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <stdexcept>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/page.hpp"
#include "core/principal.hpp"
#include "core/result.hpp"

namespace rapport::transfer {

// The file formats of exports (and imports).
enum class Format { kCsv, kJson, kNdjson };

// `format` of a query: csv (the default when absent), json or ndjson. BadRequest naming
// `format` otherwise.
core::Result<Format> ParseFormat(std::optional<std::string_view> text);
std::string_view FormatName(Format format);
// The media type an export of `format` is sent as.
std::string_view ContentType(Format format);

// How a column's values are written.
enum class ColumnType {
  kText,     // CSV: the text (formula-escaped, quoted); JSON: a string
  kNumber,   // the text is a JSON number as people write it ("120.5", "3"): CSV and JSON as is
  kBoolean,  // "true" / "false"
  kList,     // Cell::items: CSV: one cell (CsvJoinList); JSON: an array of strings
  kObject,   // the text is a JSON object: CSV: that text ("" for {}); JSON: the object
};

struct Column {
  std::string_view name;
  ColumnType type = ColumnType::kText;
};

// One value of an exported record. `null` is an empty CSV cell and JSON null.
struct Cell {
  bool null = true;
  std::string text;
  std::vector<std::string> items;  // kList

  void Set(std::string value) {
    null = false;
    text = std::move(value);
  }
  void Set(std::optional<std::string> value) {
    null = !value;
    if (value) text = std::move(*value);
  }
  void SetItems(std::vector<std::string> values) {
    null = false;
    items = std::move(values);
  }
};
// One cell per column, in the columns' order.
using ExportRow = std::vector<Cell>;

// The records of one export, read as they are written. Implementations read the database a
// page at a time (keyset pages), so an export of any size needs memory for one page.
// Next() may throw on a database failure (the export is then aborted).
class RowSource {
 public:
  virtual ~RowSource() = default;
  // Fills `row` (resized to the columns by the caller) with the next record; false when
  // there are no more.
  virtual bool Next(ExportRow& row) = 0;
};

// Receives the export's bytes a chunk at a time; returns false to stop (client gone).
using ChunkSink = std::function<bool(std::string_view chunk)>;

// Writes the records of `source` in `format` to `sink`, in chunks of about `chunk_bytes`:
//   csv     a header row of the column names, then one row per record, CRLF line ends
//           (RFC 4180); a UTF-8 byte order mark first when `byte_order_mark`;
//   json    one array of objects, one object per line: "[\n{...},\n{...}\n]\n";
//   ndjson  one object per line.
// Objects have the columns as keys, in the columns' order. Returns the number of records
// written, or nullopt when the sink stopped. Exceptions from the source propagate.
std::optional<int64_t> WriteExport(RowSource& source, const std::vector<Column>& columns,
                                   Format format, const ChunkSink& sink,
                                   bool byte_order_mark = false,
                                   std::size_t chunk_bytes = 64 << 10);

// Reads a list through its keyset pages: `fetch` returns one page (`limit` items after the
// cursor values in PageRequest::after) and the next cursor; `convert` turns an item into a
// row. What a new exportable resource needs is one of these and a column list.
template <class Item>
class PagedSource : public RowSource {
 public:
  struct Page {
    std::vector<Item> items;
    std::optional<std::string> next_cursor;
  };
  using Fetch = std::function<core::Result<Page>(const core::PageRequest& page)>;
  // May move from `item`: each item is converted once.
  using Convert = std::function<void(Item& item, ExportRow& row)>;
  // Optional: completes a fetched page on the consuming thread, while the next page is being
  // fetched (work that need not hold up the database reads).
  using Complete = std::function<void(std::vector<Item>& items)>;

  PagedSource(core::PageRequest first, Fetch fetch, Convert convert, Complete complete = {})
      : page_(std::move(first)),
        fetch_(std::move(fetch)),
        convert_(std::move(convert)),
        complete_(std::move(complete)) {}

  ~PagedSource() override {
    if (next_.valid()) next_.wait();  // it refers to this object
  }

  // The next page is read on another thread while this one is written out, so the database
  // and the formatting overlap; at most two pages are in memory.
  bool Next(ExportRow& row) override {
    while (position_ == items_.size()) {
      if (!started_) {
        started_ = true;
        Prefetch();
      }
      if (!next_.valid()) return false;
      core::Result<Page> page = next_.get();
      if (!page) throw std::runtime_error("export page: " + page.error().detail);
      items_ = std::move(page->items);
      position_ = 0;
      if (page->next_cursor) {
        auto after = core::DecodeCursor(*page->next_cursor, page_.sort);
        if (!after) throw std::runtime_error("export page: unreadable cursor");
        page_.after = std::move(*after);
        Prefetch();
      }
      if (complete_) complete_(items_);
    }
    convert_(items_[position_++], row);
    return true;
  }

 private:
  void Prefetch() {
    next_ = std::async(std::launch::async, [this, request = page_] { return fetch_(request); });
  }

  core::PageRequest page_;
  Fetch fetch_;
  Convert convert_;
  Complete complete_;
  std::vector<Item> items_;
  std::size_t position_ = 0;
  bool started_ = false;
  std::future<core::Result<Page>> next_;
};

// The page size exports read with.
constexpr int kExportPageSize = 1000;

// One exportable resource: GET /api/v1/export/<name> and `rapport export <name>`.
struct ExportResource {
  std::string name;
  std::vector<Column> columns;
  // Validates the query parameters (the resource's list filters, `sort`) and opens the
  // records `who` may see. BadRequest names a bad parameter.
  using ParamLookup = std::function<std::optional<std::string_view>(std::string_view)>;
  std::function<core::Result<std::unique_ptr<RowSource>>(const core::Principal& who,
                                                         const ParamLookup& params)>
      open;
};

}  // namespace rapport::transfer
