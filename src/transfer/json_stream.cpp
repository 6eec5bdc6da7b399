#include "transfer/json_stream.hpp"

#include <vector>

#include <fmt/format.h>

namespace rapport::transfer {

namespace {

using nlohmann::json;

// nlohmann's messages start with "[json.exception.parse_error.101] ".
std::string Describe(const std::exception& e) {
  std::string_view text = e.what();
  if (text.starts_with("[json.exception.")) {
    if (auto end = text.find("] "); end != std::string_view::npos) text.remove_prefix(end + 2);
  }
  return std::string(text);
}

// Builds the records of a document through nlohmann's SAX interface. Values at
// `record_depth` (1: the elements of a top-level array; 0: the document itself) become
// records; deeper values are built into them. Without a callback nothing is built (a
// syntax check). Iterative, so deep nesting cannot overflow the stack.
class RecordBuilder : public nlohmann::json_sax<json> {
 public:
  RecordBuilder(int record_depth, const JsonRecordCallback* on_record, const JsonLimits& limits)
      : record_depth_(record_depth), on_record_(on_record), limits_(limits) {}

  bool null() override { return Value(json(nullptr), 4); }
  bool boolean(bool value) override { return Value(json(value), 5); }
  bool number_integer(number_integer_t value) override { return Value(json(value), 8); }
  bool number_unsigned(number_unsigned_t value) override { return Value(json(value), 8); }
  bool number_float(number_float_t value, const string_t&) override {
    return Value(json(value), 8);
  }
  bool string(string_t& value) override {
    if (value.size() > limits_.max_string_bytes && Building()) {
      Fail(fmt::format("holds a string longer than {} bytes", limits_.max_string_bytes));
    }
    const std::size_t size = value.size() + 2;
    return Value(Building() && !failed_ ? json(std::move(value)) : json(), size);
  }
  bool binary(binary_t&) override { return Value(json(), 1); }

  bool key(string_t& value) override {
    bytes_ += value.size() + 3;
    if (Building() && !failed_) key_ = std::move(value);
    return true;
  }

  bool start_object(std::size_t) override { return Open(json::object()); }
  bool start_array(std::size_t) override {
    if (depth_ == 0 && record_depth_ == 1) {
      ++depth_;  // the top-level array itself: its elements are the records
      is_array_ = true;
      return true;
    }
    return Open(json::array());
  }
  bool end_object() override { return Close(); }
  bool end_array() override {
    if (depth_ == 1 && record_depth_ == 1) {
      --depth_;
      return true;
    }
    return Close();
  }

  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override {
    error_ = Describe(e);
    return false;
  }

  // Set after parsing: why the document is unusable.
  std::optional<std::string> error() const {
    if (error_) return error_;
    if (record_depth_ == 1 && !is_array_) return "the body must be a JSON array of objects";
    return std::nullopt;
  }
  bool stopped() const { return stopped_; }

 private:
  bool Building() const { return on_record_ != nullptr; }

  void Fail(std::string message) {
    if (!failed_) {
      failed_ = true;
      failure_ = std::move(message);
    }
  }

  // A value starts at depth_; a record when depth_ == record_depth_.
  bool Value(json value, std::size_t size) {
    if (depth_ < static_cast<std::size_t>(record_depth_)) {
      error_ = "the body must be a JSON array of objects";
      return false;
    }
    bytes_ += size;
    if (depth_ == static_cast<std::size_t>(record_depth_)) {
      StartRecord();
      current_ = std::move(value);
      return EndRecord();
    }
    Put(std::move(value));
    return true;
  }

  bool Open(json container) {
    if (depth_ < static_cast<std::size_t>(record_depth_)) {
      error_ = "the body must be a JSON array of objects";
      return false;
    }
    bytes_ += 1;
    if (depth_ == static_cast<std::size_t>(record_depth_)) {
      StartRecord();
      current_ = std::move(container);
      if (Building()) stack_.push_back(&current_);
    } else if (depth_ - record_depth_ >= limits_.max_depth) {
      Fail(fmt::format("is nested deeper than {} levels", limits_.max_depth));
    } else if (Building() && !failed_) {
      stack_.push_back(Put(std::move(container)));
    }
    ++depth_;
    return true;
  }

  bool Close() {
    --depth_;
    if (Building() && !failed_ && !stack_.empty() &&
        depth_ - record_depth_ < limits_.max_depth) {
      stack_.pop_back();
    }
    if (depth_ == static_cast<std::size_t>(record_depth_)) return EndRecord();
    return true;
  }

  // Adds a value to the container being built; returns where it went.
  json* Put(json value) {
    if (!Building() || failed_ || stack_.empty()) return nullptr;
    if (bytes_ > limits_.max_record_bytes) {
      Fail(fmt::format("is larger than {} bytes", limits_.max_record_bytes));
      return nullptr;
    }
    json& parent = *stack_.back();
    if (parent.is_object()) {
      json& slot = parent[key_];
      slot = std::move(value);
      return &slot;
    }
    parent.push_back(std::move(value));
    return &parent.back();
  }

  void StartRecord() {
    ++records_;
    bytes_ = 0;
    failed_ = false;
    failure_.clear();
    stack_.clear();
  }

  bool EndRecord() {
    if (!Building()) return true;
    JsonRecord record;
    record.number = records_;
    record.bytes = bytes_;
    if (failed_ || bytes_ > limits_.max_record_bytes) {
      record.error = failed_ ? failure_
                             : fmt::format("is larger than {} bytes", limits_.max_record_bytes);
    } else {
      record.value = std::move(current_);
    }
    current_ = json();
    stack_.clear();
    if (!(*on_record_)(record)) {
      stopped_ = true;
      return false;
    }
    return true;
  }

  const int record_depth_;
  const JsonRecordCallback* on_record_;
  const JsonLimits& limits_;
  std::size_t depth_ = 0;
  bool is_array_ = false;
  int64_t records_ = 0;
  std::size_t bytes_ = 0;
  json current_;
  std::vector<json*> stack_;
  std::string key_;
  bool failed_ = false;
  std::string failure_;
  std::optional<std::string> error_;
  bool stopped_ = false;
};

template <class Parse>
std::optional<std::string> RunArray(const JsonRecordCallback& on_record, const JsonLimits& limits,
                                    Parse parse) {
  RecordBuilder builder(1, on_record ? &on_record : nullptr, limits);
  parse(builder);
  if (builder.stopped()) return std::nullopt;
  if (auto error = builder.error()) return "the JSON is malformed: " + *error;
  return std::nullopt;
}

}  // namespace

std::optional<std::string> ReadJsonArray(std::string_view text, const JsonRecordCallback& on_record,
                                         const JsonLimits& limits) {
  return RunArray(on_record, limits, [&](RecordBuilder& builder) {
    json::sax_parse(text.data(), text.data() + text.size(), &builder);
  });
}

std::optional<std::string> ReadJsonArray(std::istream& in, const JsonRecordCallback& on_record,
                                         const JsonLimits& limits) {
  return RunArray(on_record, limits, [&](RecordBuilder& builder) { json::sax_parse(in, &builder); });
}

NdjsonReader::NdjsonReader(JsonRecordCallback on_record, JsonLimits limits)
    : on_record_(std::move(on_record)), limits_(limits) {}

bool NdjsonReader::Feed(std::string_view bytes) {
  while (!bytes.empty() && !stopped_) {
    const std::size_t newline = bytes.find('\n');
    const std::string_view piece = bytes.substr(0, newline);
    if (!overlong_) {
      if (line_.size() + piece.size() > limits_.max_record_bytes) {
        overlong_ = true;
        line_.clear();
      } else {
        line_.append(piece);
      }
    }
    if (newline == std::string_view::npos) break;
    bytes.remove_prefix(newline + 1);
    EndLine();
  }
  return !stopped_;
}

void NdjsonReader::Finish() {
  if (!stopped_ && (overlong_ || !line_.empty())) EndLine();
}

void NdjsonReader::EndLine() {
  std::string_view line = line_;
  if (!started_) {
    started_ = true;
    if (line.starts_with("\xEF\xBB\xBF")) line.remove_prefix(3);
  }
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  const bool blank = line.find_first_not_of(" \t\r") == std::string_view::npos;
  if (blank && !overlong_) {
    line_.clear();
    return;
  }
  JsonRecord record;
  record.number = ++records_;
  record.bytes = line.size();
  if (overlong_) {
    record.error = fmt::format("the line is longer than {} bytes", limits_.max_record_bytes);
  } else {
    // The line is one document: the builder's record is the document itself.
    std::optional<JsonRecord> built;
    JsonRecordCallback keep = [&](JsonRecord& r) {
      built = std::move(r);
      return true;
    };
    RecordBuilder builder(0, &keep, limits_);
    json::sax_parse(line.data(), line.data() + line.size(), &builder);
    if (auto error = builder.error()) {
      record.error = "is not valid JSON: " + *error;
    } else if (built && built->error) {
      record.error = std::move(built->error);
    } else if (built) {
      record.value = std::move(built->value);
    } else {
      record.error = "is not valid JSON";
    }
  }
  line_.clear();
  overlong_ = false;
  if (!on_record_(record)) stopped_ = true;
}

}  // namespace rapport::transfer
