#include "transfer/transfer_service.hpp"

#include <algorithm>
#include <future>
#include <istream>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "core/text.hpp"
#include "customers/customer.hpp"
#include "transfer/csv.hpp"
#include "transfer/customer_csv.hpp"
#include "transfer/json_stream.hpp"
#include "transfer/record_exports.hpp"

namespace rapport::transfer {

using nlohmann::json;

core::Result<ImportMode> ParseImportMode(std::optional<std::string_view> text) {
  if (!text || *text == "insert") return ImportMode::kInsert;
  if (*text == "upsert") return ImportMode::kUpsert;
  return core::Error::BadRequest("mode", "must be insert or upsert");
}

json ImportSummary::ToJson() const {
  json list = json::array();
  for (const RowError& e : errors) {
    list.push_back({{"row", e.row},
                    {"field", e.field ? json(*e.field) : json(nullptr)},
                    {"message", e.message}});
  }
  return {{"mode", mode == ImportMode::kInsert ? "insert" : "upsert"},
          {"dry_run", dry_run},
          {"rows", rows},
          {"inserted", inserted},
          {"updated", updated},
          {"unchanged", unchanged},
          {"failed", failed},
          {"errors", std::move(list)},
          {"errors_truncated", errors_truncated}};
}

struct TransferService::Directory {
  std::unordered_map<std::string, std::string> id_by_email;  // lower-case email → id
  std::unordered_map<std::string, std::string> email_by_id;
};

TransferService::TransferService(db::Database& database, customers::CustomerService& customers,
                                 auth::UserService& users,
                                 interactions::InteractionService& interactions,
                                 tickets::TicketService& tickets, orders::OrderService& orders)
    : database_(database), customers_(customers), users_(users) {
  exports_.push_back(CustomerExport());
  for (ExportResource resource :
       {InteractionExport(interactions), TicketExport(tickets), OrderExport(orders)}) {
    // The role is checked before the parameters, as on every route here.
    resource.open = [this, open = std::move(resource.open)](
                        const core::Principal& who, const ExportResource::ParamLookup& params)
        -> core::Result<std::unique_ptr<RowSource>> {
      if (auto allowed = CheckAllowed(who); !allowed) return allowed.error();
      return open(who, params);
    };
    exports_.push_back(std::move(resource));
  }
}

core::Status TransferService::CheckAllowed(const core::Principal& who) const {
  if (!who.is_staff_manager()) {
    return core::Error::Forbidden("only admins and managers import and export");
  }
  return core::Ok{};
}

const ExportResource* TransferService::FindExport(std::string_view name) const {
  for (const ExportResource& resource : exports_) {
    if (resource.name == name) return &resource;
  }
  return nullptr;
}

std::shared_ptr<const TransferService::Directory> TransferService::LoadDirectory(
    const core::Principal& who) {
  auto directory = std::make_shared<Directory>();
  core::PageRequest page;
  page.limit = core::kMaxPageSize;
  page.sort = {{"created_at", false}, {"id", false}};
  for (;;) {
    auto result = users_.List(who, {}, page);
    if (!result) throw std::runtime_error("reading the staff users: " + result.error().detail);
    for (const json& user : result->data) {
      const std::string id = user.value("id", "");
      const std::string email = user.value("email", "");
      directory->id_by_email.emplace(core::ToLowerAscii(email), id);
      directory->email_by_id.emplace(id, email);
    }
    if (!result->next_cursor) break;
    auto after = core::DecodeCursor(*result->next_cursor, page.sort);
    if (!after) throw std::runtime_error("reading the staff users: unreadable cursor");
    page.after = std::move(*after);
  }
  return directory;
}

namespace {

// Reads a source through, counting its bytes for progress.
class CountingSource final : public ByteSource {
 public:
  explicit CountingSource(ByteSource& inner) : inner_(inner) {}
  std::size_t Read(char* buffer, std::size_t size) override {
    const std::size_t n = inner_.Read(buffer, size);
    count_ += n;
    return n;
  }
  bool Rewind() override {
    count_ = 0;
    return inner_.Rewind();
  }
  std::optional<uint64_t> size() const override { return inner_.size(); }
  uint64_t count() const { return count_; }

 private:
  ByteSource& inner_;
  uint64_t count_ = 0;
};

constexpr std::size_t kReadBlock = 256 << 10;

// Calls `feed` with the input in blocks (or at once when it is in memory). The first block is
// checked for a UTF-16 byte order mark. Returns an error message, or nullopt.
template <class Feed>
std::optional<std::string> ForEachBlock(ByteSource& source, Feed feed) {
  std::string buffer(kReadBlock, '\0');
  bool first = true;
  for (;;) {
    const std::size_t n = source.Read(buffer.data(), buffer.size());
    if (n == 0) return std::nullopt;
    const std::string_view block(buffer.data(), n);
    if (first && (block.starts_with("\xFF\xFE") || block.starts_with("\xFE\xFF"))) {
      return "the input is UTF-16; imports take UTF-8";
    }
    first = false;
    if (!feed(block)) return std::nullopt;
  }
}

// Where a quote that is never closed began: in the last record read (`records` counts the
// header too).
std::string UnclosedQuote(int64_t records, const std::string& error) {
  if (records <= 1) return "the header: " + error;
  return fmt::format("row {}: {}", records - 1, error);
}

std::string Prefixed(std::string_view prefix, std::string_view field) {
  if (field.empty()) return std::string(prefix);
  return fmt::format("{}.{}", prefix, field);
}

// The field errors of a failed write, as one list.
std::vector<core::FieldError> FieldErrorsOf(const core::Error& error) {
  if (!error.errors.empty()) return error.errors;
  return {{"", error.detail}};
}

// Company names an export keeps (about 100 bytes each).
constexpr std::size_t kMaxCompanyNames = 100000;

int StatusOfError(const core::Error& error) {
  switch (error.code) {
    case core::Code::kConflict:
      return 409;
    case core::Code::kForbidden:
      return 403;
    default:
      return 422;
  }
}

core::Error DuplicateEmail() {
  return core::Error::Conflict("email", "a customer with this email already exists");
}

std::optional<core::Error> UnknownOwner(const customers::CustomerInput& input,
                                        const std::unordered_map<std::string, std::string>& staff) {
  if (!input.owner_id.value || staff.contains(*input.owner_id.value)) return std::nullopt;
  return core::Error::Invalid("owner_id", "must be the id of an existing user");
}

// What a bulk create checks before writing each new customer of a batch, beyond its
// validation: its email is free (in the database, read once for the whole batch, and among
// the items taken so far), and its owner is a staff user (`staff`: email by user id).
class NewCustomerChecks {
 public:
  // `inputs`: the batch's items, null for those that failed already.
  NewCustomerChecks(db::Session& tx, customers::CustomerService& customers,
                    const std::unordered_map<std::string, std::string>& staff,
                    const std::vector<const customers::CustomerInput*>& inputs)
      : staff_(staff), inputs_(inputs), in_database_(inputs.size(), false) {
    std::vector<std::string> emails;
    std::vector<std::size_t> items;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      if (inputs[i] && inputs[i]->email.value) {
        emails.push_back(*inputs[i]->email.value);
        items.push_back(i);
      }
    }
    for (std::size_t position : customers.TakenEmails(tx, emails)) {
      in_database_[items[position]] = true;
    }
  }

  // Why item `i` may not be written; nullopt when it may. `taken_elsewhere`: its email is
  // known to be taken some other way (a dry run's earlier batch).
  std::optional<core::Error> Check(std::size_t i, bool taken_elsewhere = false) const {
    const customers::CustomerInput& input = *inputs_[i];
    if (input.email.value && (taken_elsewhere || in_database_[i] ||
                              taken_.contains(core::ToLowerAscii(*input.email.value)))) {
      return DuplicateEmail();
    }
    return UnknownOwner(input, staff_);
  }
  // Item `i` is (being) written: a later item with its email is refused.
  void Take(std::size_t i) {
    if (inputs_[i]->email.value) taken_.insert(core::ToLowerAscii(*inputs_[i]->email.value));
  }

 private:
  const std::unordered_map<std::string, std::string>& staff_;
  const std::vector<const customers::CustomerInput*>& inputs_;
  std::vector<bool> in_database_;
  std::unordered_set<std::string> taken_;  // lower case
};

}  // namespace

// One run of ImportCustomers: records in, batches of rows out to the database, counts back.
class TransferService::Import {
 public:
  Import(TransferService& service, const core::Principal& who, const ImportOptions& options,
         const ProgressCallback& progress)
      : service_(service),
        who_(who),
        options_(options),
        progress_(progress),
        directory_(service.LoadDirectory(who)) {
    summary_.mode = options.mode;
    summary_.dry_run = options.dry_run;
  }

  // A record that could not be read, or did not pass validation before the database.
  void AddFailed(int64_t row, std::vector<RowError> errors) {
    PendingRow pending;
    pending.row = row;
    pending.errors = std::move(errors);
    Queue(std::move(pending), 64);
  }

  // A customer body (POST /customers shape plus owner_email). `from_csv`: attributes merge
  // into a matched customer's instead of replacing them (a CSV column is one attribute).
  void Add(int64_t row, json object, bool from_csv, std::size_t bytes) {
    PendingRow pending;
    pending.row = row;
    pending.merge_attributes = from_csv;
    if (auto problem = ResolveOwner(object)) {
      pending.errors.push_back({row, problem->field, problem->message});
    } else if (options_.mode == ImportMode::kInsert) {
      // Validation needs no database: done here, while the previous batch is being written.
      auto input = customers::ParseNewCustomer(object);
      if (!input) {
        for (auto& e : FieldErrorsOf(input.error())) pending.errors.push_back(ToRowError(row, e));
      } else {
        pending.input = std::move(*input);
      }
    } else {
      pending.object = std::move(object);
    }
    Queue(std::move(pending), bytes);
  }

  // Writes what is left and returns the counts.
  ImportSummary Finish(uint64_t bytes_read) {
    bytes_read_ = bytes_read;
    Flush();
    Collect();
    return std::move(summary_);
  }

  void set_bytes_read(uint64_t bytes) { bytes_read_ = bytes; }
  void set_bytes_total(std::optional<uint64_t> total) { bytes_total_ = total; }

 private:
  struct PendingRow {
    int64_t row = 0;
    std::vector<RowError> errors;  // failed before the database
    std::optional<customers::CustomerInput> input;  // insert mode: validated
    json object;                                    // upsert mode: validated when applied
    bool merge_attributes = false;
  };
  enum class Kind { kInserted, kUpdated, kUnchanged, kFailed };
  struct Outcome {
    Kind kind = Kind::kFailed;
    std::vector<RowError> errors;
  };
  using Batch = std::vector<PendingRow>;

  static RowError ToRowError(int64_t row, const core::FieldError& e) {
    return {row, e.field.empty() ? std::nullopt : std::optional<std::string>(e.field), e.message};
  }
  static Outcome Failed(int64_t row, const core::Error& error) {
    Outcome outcome;
    for (const auto& e : FieldErrorsOf(error)) outcome.errors.push_back(ToRowError(row, e));
    return outcome;
  }

  // owner_email → owner_id, through the staff directory.
  std::optional<RecordProblem> ResolveOwner(json& object) {
    auto it = object.find("owner_email");
    if (it == object.end()) return std::nullopt;
    json value = std::move(*it);
    object.erase(it);
    if (value.is_null()) {
      if (!object.contains("owner_id")) object["owner_id"] = nullptr;
      return std::nullopt;
    }
    if (!value.is_string()) return RecordProblem{"owner_email", "must be a string"};
    if (object.contains("owner_id")) {
      return RecordProblem{"owner_email", "give owner_email or owner_id, not both"};
    }
    const std::string email = core::ToLowerAscii(core::Trim(value.get_ref<const std::string&>()));
    if (email.empty()) {
      object["owner_id"] = nullptr;
      return std::nullopt;
    }
    auto found = directory_->id_by_email.find(email);
    if (found == directory_->id_by_email.end()) {
      return RecordProblem{"owner_email", "is not the email of a staff user"};
    }
    object["owner_id"] = found->second;
    return std::nullopt;
  }

  void Queue(PendingRow row, std::size_t bytes) {
    batch_.push_back(std::move(row));
    batch_bytes_ += bytes;
    if (batch_.size() >= options_.batch_rows || batch_bytes_ >= kBatchBytes) Flush();
  }

  // Hands the batch to a writer thread, after collecting the one before (so one batch is
  // written while the next is read).
  void Flush() {
    Collect();
    if (batch_.empty()) return;
    in_flight_ = std::async(std::launch::async,
                            [this, batch = std::move(batch_)] { return Apply(batch); });
    batch_.clear();
    batch_bytes_ = 0;
  }

  void Collect() {
    if (!in_flight_.valid()) return;
    const std::vector<Outcome> outcomes = in_flight_.get();  // rethrows a database failure
    for (const Outcome& outcome : outcomes) {
      ++summary_.rows;
      switch (outcome.kind) {
        case Kind::kInserted:
          ++summary_.inserted;
          break;
        case Kind::kUpdated:
          ++summary_.updated;
          break;
        case Kind::kUnchanged:
          ++summary_.unchanged;
          break;
        case Kind::kFailed:
          ++summary_.failed;
          break;
      }
      for (const RowError& error : outcome.errors) {
        if (summary_.errors.size() < kMaxListedErrors) {
          summary_.errors.push_back(error);
        } else {
          summary_.errors_truncated = true;
        }
      }
    }
    if (progress_) progress_({bytes_read_, bytes_total_, summary_.rows});
  }

  // Writes one batch. First in one transaction without savepoints: rows whose checks fail
  // before anything is written just fail, and the rest go in (inserts all together, see
  // InsertBatch). Only when a row fails after writing something (a race on an email, an
  // unknown company_id) is the transaction rolled back and the batch written again with each
  // row in its own savepoint, kCarefulRows rows per transaction (SQLite's cost of nested
  // savepoints grows with the transaction). A dry run rolls back either way. Runs on the
  // writer thread of the batch.
  static constexpr std::size_t kCarefulRows = 100;

  std::vector<Outcome> Apply(const Batch& batch) {
    std::vector<Outcome> outcomes;
    bool retry = false;
    (void)service_.database_.WriteBulk([&](db::Session& tx) -> core::Status {
      outcomes.clear();
      pending_emails_.clear();
      bool written = true;
      if (options_.mode == ImportMode::kInsert) {
        written = InsertBatch(tx, batch, outcomes);
      } else {
        for (const PendingRow& row : batch) {
          auto outcome = ApplyRow(tx, row, /*savepoint=*/false);
          if (!outcome) {
            written = false;
            break;
          }
          outcomes.push_back(std::move(*outcome));
        }
      }
      if (!written) {
        retry = true;
        return core::Error::Conflict("roll back and retry row by row");
      }
      if (options_.dry_run) return core::Error::Conflict("dry run: roll back");
      return core::Ok{};
    });
    if (!retry) {
      KeepPendingEmails();
      if (options_.dry_run) {
        links_.Drop();
      } else {
        links_.Keep();
      }
      return outcomes;
    }
    // A company id from the links may be what failed (a company deleted meanwhile).
    links_ = {};
    careful_ = true;
    outcomes.clear();
    for (std::size_t start = 0; start < batch.size(); start += kCarefulRows) {
      const std::size_t end = std::min(batch.size(), start + kCarefulRows);
      std::vector<Outcome> chunk;
      (void)service_.database_.WriteBulk([&](db::Session& tx) -> core::Status {
        chunk.clear();
        pending_emails_.clear();
        for (std::size_t i = start; i < end; ++i) chunk.push_back(*ApplyRow(tx, batch[i], true));
        if (options_.dry_run) return core::Error::Conflict("dry run: roll back");
        return core::Ok{};
      });
      KeepPendingEmails();
      for (Outcome& outcome : chunk) outcomes.push_back(std::move(outcome));
    }
    careful_ = false;
    return outcomes;
  }

  // Insert mode, outside the careful pass: what PreCheck does row by row, for the whole
  // batch at once (the emails in one query per CustomerStore::kRowsPerStatement), then every
  // row that passes in multi-row statements. False when the write itself failed, which
  // leaves part of the batch written: the caller rolls back and goes row by row.
  bool InsertBatch(db::Session& tx, const Batch& batch, std::vector<Outcome>& outcomes) {
    customers::CustomerService& customers = service_.customers_;
    outcomes.assign(batch.size(), Outcome{});
    std::vector<const customers::CustomerInput*> batch_inputs(batch.size(), nullptr);
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (batch[i].errors.empty()) {
        batch_inputs[i] = &*batch[i].input;
      } else {
        outcomes[i].errors = batch[i].errors;
      }
    }
    NewCustomerChecks checks(tx, customers, directory_->email_by_id, batch_inputs);
    std::vector<const customers::CustomerInput*> inputs;
    std::vector<std::size_t> input_rows;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (!batch_inputs[i]) continue;
      const auto& email = batch_inputs[i]->email.value;
      if (auto problem = checks.Check(i, email && SeenInDryRun(*email))) {
        outcomes[i] = Failed(batch[i].row, *problem);
      } else {
        checks.Take(i);
        inputs.push_back(batch_inputs[i]);
        input_rows.push_back(i);
      }
    }
    try {
      if (!customers.CreateMany(tx, who_, inputs, &links_)) return false;
    } catch (const db::DatabaseError&) {
      return false;  // the careful pass finds the row the database refused
    }
    for (std::size_t i : input_rows) {
      outcomes[i].kind = Kind::kInserted;
      if (batch[i].input->email.value) RememberInDryRun(*batch[i].input->email.value);
    }
    return true;
  }

  // The outcome of one row; nullopt (without a savepoint only) when the row failed after
  // writing, so the transaction holds part of it.
  std::optional<Outcome> ApplyRow(db::Session& tx, const PendingRow& row, bool savepoint) {
    Outcome outcome;
    if (!row.errors.empty()) {
      outcome.errors = row.errors;
      return outcome;
    }
    core::Status result = core::Ok{};
    bool wrote = false;
    try {
      if (savepoint) {
        result = tx.Savepoint([&]() -> core::Status { return WriteRow(tx, row, outcome.kind, wrote); });
      } else {
        result = WriteRow(tx, row, outcome.kind, wrote);
        if (!result && wrote) return std::nullopt;
      }
    } catch (const db::DatabaseError&) {
      if (!savepoint) return std::nullopt;  // on PostgreSQL the transaction is aborted
      // The row's savepoint is rolled back. If the transaction itself is broken (a lost
      // connection), this probe throws and the import stops.
      tx.Scalar(db::Query("SELECT 1"));
      result = core::Error::Invalid("", "the database refused the row");
    }
    if (!result) outcome = Failed(row.row, result.error());
    return outcome;
  }

  // What a write through the customers service would refuse after writing (the unique
  // email, the owner's foreign key), checked first so that it fails before any write.
  std::optional<core::Error> PreCheck(db::Session& tx, const customers::CustomerInput& input) {
    if (input.email.value) {
      if (SeenInDryRun(*input.email.value) ||
          service_.customers_.FindByEmail(tx, who_, *input.email.value)) {
        return DuplicateEmail();
      }
    }
    return PreCheckOwner(input);
  }
  std::optional<core::Error> PreCheckOwner(const customers::CustomerInput& input) {
    return UnknownOwner(input, directory_->email_by_id);
  }

  // Creates through the customers service; outside the careful pass with the companies the
  // import has resolved so far.
  core::Result<customers::Customer> CreateCustomer(db::Session& tx,
                                                   const customers::CustomerInput& input) {
    if (careful_) return service_.customers_.Create(tx, who_, input);
    const customers::CustomerInput* one = &input;
    auto created = service_.customers_.CreateMany(
        tx, who_, std::span<const customers::CustomerInput* const>(&one, 1), &links_);
    if (!created) return created.error();
    return std::move(created->front());
  }

  // The write of one row; sets `kind` on success, and `wrote` once the customers service
  // was called (from then on a failure may leave part of the row written).
  core::Status WriteRow(db::Session& tx, const PendingRow& row, Kind& kind, bool& wrote) {
    customers::CustomerService& customers = service_.customers_;
    if (options_.mode == ImportMode::kInsert) {
      if (auto refused = PreCheck(tx, *row.input)) return *refused;
      wrote = true;
      auto created = CreateCustomer(tx, *row.input);
      if (!created) return created.error();
      if (row.input->email.value) RememberInDryRun(*row.input->email.value);
      kind = Kind::kInserted;
      return core::Ok{};
    }
    // Upsert: match on the email, case-insensitively.
    json object = row.object;
    std::optional<customers::Customer> existing;
    std::string email;
    if (auto it = object.find("email"); it != object.end() && it->is_string()) {
      email = core::Trim(it->get_ref<const std::string&>());
      if (!email.empty()) existing = customers.FindByEmail(tx, who_, email);
    }
    if (!existing && !email.empty() && SeenInDryRun(email)) {
      // An earlier row of this file would have created it: this row would update it.
      auto changes = customers::ParseCustomerChanges(object);
      if (!changes) return changes.error();
      kind = Kind::kUpdated;
      return core::Ok{};
    }
    if (!existing) {
      auto input = customers::ParseNewCustomer(object);
      if (!input) return input.error();
      if (auto refused = PreCheckOwner(*input)) return *refused;
      wrote = true;
      auto created = CreateCustomer(tx, *input);
      if (!created) return created.error();
      if (!email.empty()) RememberInDryRun(email);
      kind = Kind::kInserted;
      return core::Ok{};
    }
    // The email matched, so it is the same: the stored spelling stays.
    object.erase("email");
    if (row.merge_attributes) {
      if (auto it = object.find("attributes"); it != object.end() && it->is_object()) {
        json merged = json::parse(existing->attributes, nullptr, /*allow_exceptions=*/false);
        if (!merged.is_object()) merged = json::object();
        merged.update(*it);
        *it = std::move(merged);
      }
    }
    auto changes = customers::ParseCustomerChanges(object);
    if (!changes) return changes.error();
    if (auto refused = PreCheckOwner(*changes)) return *refused;
    wrote = true;
    auto updated = customers.Update(tx, who_, existing->id, *changes, std::nullopt);
    if (!updated) return updated.error();
    kind = updated->version == existing->version ? Kind::kUnchanged : Kind::kUpdated;
    return core::Ok{};
  }

  // A dry run rolls every batch back, so a later batch cannot see an earlier one's rows;
  // the emails they created are remembered (as 64-bit hashes) instead, once their
  // transaction has run to its end.
  bool SeenInDryRun(const std::string& email) const {
    if (!options_.dry_run) return false;
    const uint64_t hash = Hash(email);
    return dry_run_emails_.contains(hash) || pending_emails_.contains(hash);
  }
  void RememberInDryRun(const std::string& email) {
    if (options_.dry_run) pending_emails_.insert(Hash(email));
  }
  void KeepPendingEmails() {
    dry_run_emails_.insert(pending_emails_.begin(), pending_emails_.end());
    pending_emails_.clear();
  }
  static uint64_t Hash(const std::string& email) {
    return std::hash<std::string>{}(core::ToLowerAscii(email));
  }

  TransferService& service_;
  const core::Principal& who_;
  const ImportOptions& options_;
  const ProgressCallback& progress_;
  ImportSummary summary_;
  const std::shared_ptr<const Directory> directory_;  // read by both threads, never changed
  Batch batch_;
  std::size_t batch_bytes_ = 0;
  std::future<std::vector<Outcome>> in_flight_;
  std::unordered_set<uint64_t> dry_run_emails_;  // the writer thread's only
  std::unordered_set<uint64_t> pending_emails_;  // the writer thread's only
  // The companies resolved by committed batches and by the transaction being written; the
  // writer thread's only.
  customers::CustomerService::CompanyLinks links_;
  bool careful_ = false;
  uint64_t bytes_read_ = 0;
  std::optional<uint64_t> bytes_total_;
};

core::Result<ImportSummary> TransferService::ImportCustomers(const core::Principal& who,
                                                             const ImportOptions& options,
                                                             ByteSource& raw_input,
                                                             const ProgressCallback& progress) {
  if (auto allowed = CheckAllowed(who); !allowed) return allowed.error();
  CountingSource input(raw_input);

  // First pass, for what would make the whole input unreadable: nothing is written when it
  // fails. (NDJSON lines stand alone: a bad line is that row's error.)
  if (options.format != Format::kNdjson && input.Rewind()) {
    std::optional<std::string> problem;
    if (options.format == Format::kCsv) {
      CsvReader csv([](const CsvRecord&) { return true; });
      problem = ForEachBlock(input, [&](std::string_view block) { return csv.Feed(block); });
      if (!problem) {
        if (auto error = csv.Finish()) problem = UnclosedQuote(csv.records(), *error);
      }
    } else if (auto* memory = dynamic_cast<MemorySource*>(&raw_input)) {
      problem = ReadJsonArray(memory->bytes(), nullptr);  // in place, no copy
    } else {
      SourceStreamBuffer buffer(input);
      std::istream stream(&buffer);
      problem = ReadJsonArray(stream, nullptr);
    }
    if (problem) return core::Error::Malformed(*problem);
    if (!input.Rewind()) throw std::runtime_error("the input cannot be read a second time");
  }

  Import run(*this, who, options, progress);
  run.set_bytes_total(input.size());
  std::optional<core::Error> fatal;
  switch (options.format) {
    case Format::kCsv: {
      std::optional<std::vector<CsvColumn>> columns;
      std::vector<RecordProblem> problems;
      CsvReader csv([&](const CsvRecord& record) {
        if (!columns) {
          auto mapped = MapCustomerHeader(record);
          if (!mapped) {
            fatal = mapped.error();
            return false;
          }
          columns = std::move(*mapped);
          return true;
        }
        const int64_t row = record.number - 1;
        problems.clear();
        auto object = CustomerFromCsv(*columns, record, problems);
        if (!object) {
          std::vector<RowError> errors;
          for (auto& p : problems) errors.push_back({row, p.field, p.message});
          run.AddFailed(row, std::move(errors));
        } else if (!object->empty()) {
          std::size_t bytes = 0;
          for (auto cell : record.cells) bytes += cell.size() + 1;
          run.Add(row, std::move(*object), /*from_csv=*/true, bytes);
        }
        run.set_bytes_read(input.count());
        return true;
      });
      if (auto problem = ForEachBlock(input, [&](std::string_view block) { return csv.Feed(block); })) {
        return core::Error::Malformed(*problem);
      }
      if (!fatal) {
        if (auto error = csv.Finish()) {
          // Only reachable when the input could not be checked first (a pipe).
          fatal = core::Error::Malformed(UnclosedQuote(csv.records(), *error));
        } else if (!columns) {
          fatal = core::Error::Malformed("the CSV has no header row");
        }
      }
      break;
    }
    case Format::kJson:
    case Format::kNdjson: {
      JsonRecordCallback on_record = [&](JsonRecord& record) {
        if (record.error) {
          run.AddFailed(record.number, {{record.number, std::nullopt, *record.error}});
        } else if (!record.value.is_object()) {
          run.AddFailed(record.number, {{record.number, std::nullopt, "must be a JSON object"}});
        } else {
          run.Add(record.number, std::move(record.value), /*from_csv=*/false, record.bytes);
        }
        run.set_bytes_read(input.count());
        return true;
      };
      if (options.format == Format::kJson) {
        std::optional<std::string> error;
        if (auto* memory = dynamic_cast<MemorySource*>(&raw_input)) {
          error = ReadJsonArray(memory->bytes(), on_record);
        } else {
          SourceStreamBuffer buffer(input);
          std::istream stream(&buffer);
          error = ReadJsonArray(stream, on_record);
        }
        if (error) fatal = core::Error::Malformed(*error);
      } else {
        NdjsonReader ndjson(on_record);
        if (auto problem = ForEachBlock(input, [&](std::string_view block) {
              return ndjson.Feed(block);
            })) {
          return core::Error::Malformed(*problem);
        }
        ndjson.Finish();
      }
      break;
    }
  }
  ImportSummary summary = run.Finish(input.count());
  if (fatal) {
    if (summary.rows > 0) {
      // Only when the input could not be read twice (a pipe): say what was done.
      fatal->detail += fmt::format("; the {} rows before it were imported ({} failed)",
                                   summary.rows, summary.failed);
    }
    return *fatal;
  }
  return summary;
}

core::Result<std::vector<BatchItemResult>> TransferService::CreateBatch(const core::Principal& who,
                                                                        const json& items,
                                                                        bool partial) {
  if (auto allowed = CheckAllowed(who); !allowed) return allowed.error();
  if (!items.is_array()) return core::Error::Invalid("customers", "must be an array of customers");
  if (items.empty()) return core::Error::Invalid("customers", "must not be empty");
  if (items.size() > kMaxBatchItems) {
    return core::Error::Invalid("customers",
                                fmt::format("must have at most {} items", kMaxBatchItems));
  }
  std::vector<BatchItemResult> results(items.size());
  std::vector<std::optional<customers::CustomerInput>> inputs(items.size());
  std::vector<core::FieldError> parse_errors;
  auto record = [](std::vector<core::FieldError>& into, std::size_t i,
                   const std::vector<core::FieldError>& errors) {
    for (const auto& e : errors) {
      into.push_back({Prefixed(fmt::format("customers[{}]", i), e.field), e.message});
    }
  };
  for (std::size_t i = 0; i < items.size(); ++i) {
    std::vector<core::FieldError> errors;
    if (!items[i].is_object()) {
      errors = {{"", "must be a JSON object"}};
    } else if (auto input = customers::ParseNewCustomer(items[i]); !input) {
      errors = FieldErrorsOf(input.error());
    } else {
      inputs[i] = std::move(*input);
      continue;
    }
    results[i].status = 422;
    results[i].errors = errors;
    record(parse_errors, i, errors);
  }
  if (!parse_errors.empty() && !partial) return core::Error::Invalid(std::move(parse_errors));
  auto directory = LoadDirectory(who);

  // As an import's batch: checked together, then without savepoints in multi-row
  // statements first, with one savepoint per item only when the write fails. All or nothing
  // rolls everything back when any item fails, but still reports every item's failure.
  std::vector<core::FieldError> write_errors;
  bool conflicts_only = true;
  auto refuse = [&](std::size_t i, const core::Error& error) {
    BatchItemResult& result = results[i];
    result.status = StatusOfError(error);
    result.errors = FieldErrorsOf(error);
    conflicts_only = conflicts_only && error.code == core::Code::kConflict;
    record(write_errors, i, result.errors);
  };
  std::vector<const customers::CustomerInput*> item_inputs(items.size(), nullptr);
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (inputs[i]) item_inputs[i] = &*inputs[i];
  }
  auto attempt = [&](db::Session& tx, bool savepoint) -> std::optional<core::Status> {
    write_errors.clear();
    conflicts_only = true;
    NewCustomerChecks checks(tx, customers_, directory->email_by_id, item_inputs);
    std::vector<const customers::CustomerInput*> accepted;
    std::vector<std::size_t> accepted_items;
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (!inputs[i]) continue;
      results[i] = BatchItemResult{};
      const customers::CustomerInput& input = *inputs[i];
      if (auto problem = checks.Check(i)) {
        refuse(i, *problem);
      } else if (!savepoint) {
        accepted.push_back(&input);
        accepted_items.push_back(i);
        checks.Take(i);
      } else {
        // Item by item, each in its own savepoint: what the database refuses is that item's.
        core::Result<customers::Customer> created = core::Error::Internal();
        try {
          (void)tx.Savepoint([&]() -> core::Status {
            created = customers_.Create(tx, who, input);
            if (!created) return created.error();
            return core::Ok{};
          });
        } catch (const db::DatabaseError&) {
          tx.Scalar(db::Query("SELECT 1"));  // throws when the transaction itself is broken
          created = core::Error::Invalid("", "the database refused the item");
        }
        if (created) {
          results[i].customer = std::move(*created);
          checks.Take(i);
        } else {
          refuse(i, created.error());
        }
      }
    }
    if (!savepoint) {
      // All the accepted items together; a failure may have written part of them: retry.
      try {
        auto created = customers_.CreateMany(tx, who, accepted);
        if (!created) return std::nullopt;
        for (std::size_t k = 0; k < accepted_items.size(); ++k) {
          results[accepted_items[k]].customer = std::move((*created)[k]);
        }
      } catch (const db::DatabaseError&) {
        return std::nullopt;
      }
    }
    if (write_errors.empty() || partial) return core::Status(core::Ok{});
    // All or nothing: this error rolls back the items that were written.
    core::Error error = conflicts_only ? core::Error::Conflict("") : core::Error::Invalid(write_errors);
    error.errors = write_errors;
    error.detail = fmt::format("{} of {} customers could not be created, so none was",
                               write_errors.size(), items.size());
    return core::Status(std::move(error));
  };
  bool retry = false;
  auto written = database_.WriteBulk([&](db::Session& tx) -> core::Status {
    auto status = attempt(tx, /*savepoint=*/false);
    if (status) return std::move(*status);
    retry = true;
    return core::Error::Conflict("roll back and retry item by item");
  });
  if (retry) {
    written = database_.WriteBulk([&](db::Session& tx) -> core::Status {
      return std::move(*attempt(tx, /*savepoint=*/true));
    });
  }
  if (!written) return written.error();
  return results;
}

ExportResource TransferService::CustomerExport() {
  ExportResource resource;
  resource.name = "customers";
  resource.columns = CustomerExportColumns();
  resource.open = [this](const core::Principal& who, const ExportResource::ParamLookup& params)
      -> core::Result<std::unique_ptr<RowSource>> {
    if (auto allowed = CheckAllowed(who); !allowed) return allowed.error();
    auto filter = customers::ParseCustomerFilter(params);
    if (!filter) return filter.error();
    core::PageRequest page;
    page.limit = kExportPageSize;
    if (auto text = params("sort"); text && !text->empty()) {
      auto sort = core::ParseSort(text, customers::kCustomerSortFields, "created_at");
      if (!sort) return sort.error();
      page.sort = std::move(*sort);
      const bool descending = page.sort.back().descending;
      page.sort.push_back({"id", descending});
    } else {
      // Oldest first: ids are UUIDv7, ordered by creation time, and the id index seeks
      // straight to each next page. An import of the export creates them in that order again.
      page.sort = {{"id", false}};
    }
    auto directory = LoadDirectory(who);
    using Source = PagedSource<customers::Customer>;
    Source::Fetch fetch = [this, who, filter = std::move(*filter)](
                              const core::PageRequest& request) -> core::Result<Source::Page> {
      auto result = customers_.List(who, filter, request, customers::CustomerColumns::kExported);
      if (!result) return result.error();
      return Source::Page{std::move(result->data), std::move(result->next_cursor)};
    };
    // Company names by id, kept across pages instead of a join per row (a third of the
    // export's time), filled on the writing thread while the next page is read. Starts over
    // past kMaxCompanyNames.
    Source::Complete name_companies =
        [this, names = std::unordered_map<std::string, std::string>()](
            std::vector<customers::Customer>& page) mutable {
          if (names.size() > kMaxCompanyNames) names.clear();
          customers_.SetCompanyNames(page, names);
        };
    Source::Convert convert = [directory](customers::Customer& c, ExportRow& row) {
      row[0].Set(std::move(c.name));
      row[1].Set(std::move(c.first_name));
      row[2].Set(std::move(c.last_name));
      row[3].Set(std::move(c.email));
      row[4].Set(std::move(c.phone));
      row[5].Set(std::move(c.company));
      row[6].Set(std::move(c.status));
      if (c.owner_id) {
        auto it = directory->email_by_id.find(*c.owner_id);
        if (it != directory->email_by_id.end()) row[7].Set(it->second);
      }
      row[8].SetItems(std::move(c.tags));
      row[9].Set(std::move(c.notes));
      row[10].Set(std::move(c.attributes));
    };
    return std::unique_ptr<RowSource>(
        std::make_unique<Source>(std::move(page), std::move(fetch), std::move(convert),
                                 std::move(name_companies)));
  };
  return resource;
}

}  // namespace rapport::transfer
