#include "transfer/csv.hpp"

#include <csv.h>

#include <algorithm>
#include <stdexcept>
#include <utility>

#include <nlohmann/json.hpp>

#include "core/text.hpp"

namespace rapport::transfer {

namespace {

constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";
// libcsv is fed at most this much at a time, so an oversized cell is caught after at most
// this many bytes beyond the limit.
constexpr std::size_t kSlice = 64 << 10;

bool IsFormulaStart(char c) {
  return c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r';
}

}  // namespace

struct CsvReader::Parser {
  csv_parser state{};
};

CsvReader::CsvReader(Callback on_record) : CsvReader(std::move(on_record), Limits{}) {}

CsvReader::CsvReader(Callback on_record, Limits limits)
    : on_record_(std::move(on_record)), limits_(limits), parser_(std::make_unique<Parser>()) {
  // Not strict: stray quotes in unquoted fields are kept.
  if (csv_init(&parser_->state, 0) != 0) throw std::bad_alloc();
}

CsvReader::~CsvReader() { csv_free(&parser_->state); }

void CsvReader::OnField(void* text, std::size_t size, void* self_pointer) {
  auto& self = *static_cast<CsvReader*>(self_pointer);
  if (self.stopped_) return;
  try {
    self.AddField(text, size);
  } catch (...) {
    self.failure_ = std::current_exception();  // bad_alloc: not through libcsv's frames
    self.stopped_ = true;
  }
}

void CsvReader::AddField(void* text, std::size_t size) {
  CsvReader& self = *this;
  const std::size_t index = self.spans_.size();
  const bool oversized = self.current_oversized_ || size > self.limits_.max_cell_bytes;
  self.current_oversized_ = false;
  if (self.spans_.size() >= self.limits_.max_cells ||
      self.text_.size() + (oversized ? 0 : size) > self.limits_.max_record_bytes) {
    self.truncated_ = true;
    return;
  }
  if (oversized) {
    self.oversized_.push_back(index);
    self.spans_.emplace_back(self.text_.size(), 0);
    return;
  }
  self.spans_.emplace_back(self.text_.size(), size);
  self.text_.append(static_cast<const char*>(text), size);
}

void CsvReader::OnRecordEnd(int, void* self_pointer) {
  auto& self = *static_cast<CsvReader*>(self_pointer);
  if (!self.stopped_) {
    ++self.records_;
    CsvRecord& record = self.record_;
    record.number = self.records_;
    record.cells.clear();
    for (const auto& [start, size] : self.spans_) {
      record.cells.emplace_back(self.text_.data() + start, size);
    }
    record.oversized = self.oversized_;
    record.truncated = self.truncated_;
    try {
      if (!self.on_record_(record)) self.stopped_ = true;
    } catch (...) {
      // Exceptions must not unwind through libcsv's C frames.
      self.failure_ = std::current_exception();
      self.stopped_ = true;
    }
  }
  self.text_.clear();
  self.spans_.clear();
  self.oversized_.clear();
  self.truncated_ = false;
  self.current_oversized_ = false;
}

void CsvReader::Parse(std::string_view bytes) {
  csv_parser& state = parser_->state;
  while (!bytes.empty() && !stopped_) {
    const std::string_view slice = bytes.substr(0, kSlice);
    bytes.remove_prefix(slice.size());
    const std::size_t parsed =
        csv_parse(&state, slice.data(), slice.size(), &OnField, &OnRecordEnd, this);
    if (failure_) std::rethrow_exception(std::exchange(failure_, nullptr));
    if (parsed != slice.size()) throw std::bad_alloc();  // libcsv only stops when out of memory
    if (state.entry_pos > limits_.max_cell_bytes) {
      // A cell outgrew the limit: forget what libcsv buffered of it and keep parsing, so the
      // quoting state, and with it every later record boundary, stays right. libcsv trims
      // `spaces` trailing bytes off the entry when the field ends; they went with the text.
      state.entry_pos = 0;
      state.spaces = 0;
      current_oversized_ = true;
    }
  }
}

bool CsvReader::Feed(std::string_view bytes) {
  if (stopped_) return false;
  if (!started_) {
    head_.append(bytes.substr(0, kByteOrderMark.size()));
    bytes.remove_prefix(std::min(bytes.size(), kByteOrderMark.size()));
    if (head_.size() < kByteOrderMark.size() && bytes.empty()) return true;
    started_ = true;
    std::string head = std::move(head_);
    std::string_view view = head;
    if (view.starts_with(kByteOrderMark)) view.remove_prefix(kByteOrderMark.size());
    Parse(view);
  }
  Parse(bytes);
  return !stopped_;
}

std::optional<std::string> CsvReader::Finish() {
  if (!started_) {
    started_ = true;
    std::string head = std::move(head_);
    std::string_view view = head;
    if (view.starts_with(kByteOrderMark)) view.remove_prefix(kByteOrderMark.size());
    Parse(view);
  }
  if (stopped_) return std::nullopt;
  // libcsv reports an unterminated quote (CSV_STRICT_FINI) only in strict mode, which also
  // refuses stray quotes in unquoted fields; its state says it as well: inside a field
  // (libcsv.c's FIELD_BEGUN) that started with a quote.
  constexpr int kFieldBegun = 2;
  const bool open_quote = parser_->state.pstate == kFieldBegun && parser_->state.quoted != 0;
  csv_fini(&parser_->state, &OnField, &OnRecordEnd, this);
  if (failure_) std::rethrow_exception(std::exchange(failure_, nullptr));
  if (open_quote) {
    return "a quoted field is never closed (a \" without its closing quote runs to the end of "
           "the file)";
  }
  return std::nullopt;
}

bool CsvNeedsFormulaEscape(std::string_view value) {
  if (value.empty()) return false;
  if (IsFormulaStart(value[0])) return true;
  return value.size() > 1 && value[0] == '\'' && (IsFormulaStart(value[1]) || value[1] == '\'');
}

std::string_view CsvUnescapeFormula(std::string_view cell) {
  if (cell.size() > 1 && cell[0] == '\'' && (IsFormulaStart(cell[1]) || cell[1] == '\'')) {
    cell.remove_prefix(1);
  }
  return cell;
}

void AppendCsvCell(std::string& out, std::string_view value) {
  const bool escape = CsvNeedsFormulaEscape(value);
  bool quote = !value.empty() && (value.front() == ' ' || value.front() == '\t' ||
                                  value.back() == ' ' || value.back() == '\t');
  for (std::size_t i = 0; i < value.size() && !quote; ++i) {
    const char c = value[i];
    quote = c == ',' || c == '"' || c == '\r' || c == '\n';
  }
  if (!quote) {
    if (escape) out += '\'';
    out += value;
    return;
  }
  out += '"';
  if (escape) out += '\'';
  for (char c : value) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

std::string CsvJoinList(const std::vector<std::string>& items) {
  std::string joined;
  bool needs_json = false;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) joined += ';';
    joined += items[i];
    needs_json = needs_json || items[i].find(';') != std::string::npos;
  }
  if (needs_json || joined.starts_with('[')) {
    return nlohmann::json(items).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  return joined;
}

std::vector<std::string> CsvSplitList(std::string_view cell) {
  std::vector<std::string> items;
  if (cell.starts_with('[')) {
    auto parsed = nlohmann::json::parse(cell, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_array() && std::all_of(parsed.begin(), parsed.end(),
                                         [](const auto& item) { return item.is_string(); })) {
      for (auto& item : parsed) {
        std::string text = core::Trim(item.get_ref<const std::string&>());
        if (!text.empty()) items.push_back(std::move(text));
      }
      return items;
    }
  }
  while (!cell.empty()) {
    const std::size_t end = std::min(cell.find(';'), cell.size());
    std::string text = core::Trim(cell.substr(0, end));
    if (!text.empty()) items.push_back(std::move(text));
    cell.remove_prefix(std::min(end + 1, cell.size()));
  }
  return items;
}

}  // namespace rapport::transfer
