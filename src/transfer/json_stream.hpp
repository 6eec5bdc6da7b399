#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <istream>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace rapport::transfer {

// One record of a JSON import: an element of the top-level array, or one NDJSON line.
struct JsonRecord {
  int64_t number = 0;  // 1-based: the element's position, or the line among non-blank lines
  nlohmann::json value;
  // Set when the record could not be read (malformed line, nested too deeply, too long);
  // `value` is then null.
  std::optional<std::string> error;
  std::size_t bytes = 0;  // roughly what the record's text took (for batching)
};
// Receives each record; returns false to stop.
using JsonRecordCallback = std::function<bool(JsonRecord&)>;

// Limits on one record, so a hostile document cannot exhaust memory or the stack.
struct JsonLimits {
  std::size_t max_depth = 32;
  std::size_t max_string_bytes = 1 << 20;
  std::size_t max_record_bytes = 8 << 20;
};

// Reads a document that must be one JSON array, handing out its elements one at a time
// (nlohmann's SAX parser), so memory holds one element, never the whole array. With a null
// callback it only checks the document. Returns an error message when the document is
// malformed (with the line and column), or is not an array; elements before that point have
// already been handed out.
std::optional<std::string> ReadJsonArray(std::string_view text, const JsonRecordCallback& on_record,
                                         const JsonLimits& limits = {});
std::optional<std::string> ReadJsonArray(std::istream& in, const JsonRecordCallback& on_record,
                                         const JsonLimits& limits = {});

// Reads newline-delimited JSON (one value per line, LF or CR LF) as it arrives. Blank lines
// are skipped; a line that is not valid JSON is a record with an error, and reading goes on
// with the next line. Lines longer than the record limit are skipped without being held in
// memory. A UTF-8 byte order mark at the start is skipped. Not thread-safe.
class NdjsonReader {
 public:
  explicit NdjsonReader(JsonRecordCallback on_record, JsonLimits limits = {});

  // Returns false once the callback asked to stop.
  bool Feed(std::string_view bytes);
  // Hands out a last line that has no newline.
  void Finish();

 private:
  void EndLine();

  JsonRecordCallback on_record_;
  JsonLimits limits_;
  std::string line_;
  bool overlong_ = false;
  bool started_ = false;
  bool stopped_ = false;
  int64_t records_ = 0;
};

}  // namespace rapport::transfer
