#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "auth/user_service.hpp"
#include "core/principal.hpp"
#include "core/result.hpp"
#include "customers/customer_service.hpp"
#include "db/database.hpp"
#include "interactions/interaction_service.hpp"
#include "orders/order_service.hpp"
#include "tickets/ticket_service.hpp"
#include "transfer/byte_source.hpp"
#include "transfer/export.hpp"

namespace rapport::transfer {

enum class ImportMode { kInsert, kUpsert };
// `mode` of a query: insert (the default when absent) or upsert; BadRequest naming `mode`.
core::Result<ImportMode> ParseImportMode(std::optional<std::string_view> text);

// At most this many row errors are listed; the counts always cover every row.
constexpr std::size_t kMaxListedErrors = 1000;
// Rows are written in transactions of at most `batch_rows` rows or kBatchBytes of input.
// Over HTTP a batch is kBatchRows: each holds the database's one writer (on SQLite) while
// it is written, so it must stay short beside the requests of a running server. The command
// line writes kBulkBatchRows: every commit writes each page the batch changed (on SQLite, to
// the WAL), and the pages of the email index that 1,000 random emails change are nearly as
// many as 10,000 change.
constexpr std::size_t kBatchRows = 1000;
constexpr std::size_t kBulkBatchRows = 10000;
constexpr std::size_t kBatchBytes = 16 << 20;

struct ImportOptions {
  Format format = Format::kCsv;
  ImportMode mode = ImportMode::kInsert;
  bool dry_run = false;
  std::size_t batch_rows = kBatchRows;
};

struct RowError {
  int64_t row = 0;                   // 1-based data record (a CSV header is not counted)
  std::optional<std::string> field;  // the field or column; none for the whole row
  std::string message;
};

// What an import did: every row is counted in exactly one of inserted, updated, unchanged
// (an upsert that matched a customer and changed nothing) and failed.
struct ImportSummary {
  ImportMode mode = ImportMode::kInsert;
  bool dry_run = false;
  int64_t rows = 0;
  int64_t inserted = 0;
  int64_t updated = 0;
  int64_t unchanged = 0;
  int64_t failed = 0;
  std::vector<RowError> errors;  // the first kMaxListedErrors, in row order
  bool errors_truncated = false;

  nlohmann::json ToJson() const;
};

struct ImportProgress {
  uint64_t bytes_read = 0;
  std::optional<uint64_t> bytes_total;
  int64_t rows = 0;
};
using ProgressCallback = std::function<void(const ImportProgress&)>;

// POST /customers/batch: all items are created in one transaction or none is; with
// `partial`, the valid ones are created and each item gets its own result.
constexpr std::size_t kMaxBatchItems = 1000;
struct BatchItemResult {
  int status = 201;  // 201 created, 409 conflict, 422 invalid, 403 forbidden
  std::optional<customers::Customer> customer;
  std::vector<core::FieldError> errors;
};

// Import, export and bulk creation. Only admins and managers may use any of it (Forbidden
// for agents and everyone else); rows go through the customers module's own validation and
// rules, exactly as POST /customers and PATCH /customers/{id} would apply them. Thread-safe.
class TransferService {
 public:
  // Every argument must outlive the service. Interactions, tickets and orders are only
  // exported, through their services' lists.
  TransferService(db::Database& database, customers::CustomerService& customers,
                  auth::UserService& users, interactions::InteractionService& interactions,
                  tickets::TicketService& tickets, orders::OrderService& orders);

  core::Status CheckAllowed(const core::Principal& who) const;

  // Imports customers from `input`, streaming: records are read, validated and written in
  // transactions of options.batch_rows while the next batch is read. A bad row never stops the
  // others (each row runs in its own savepoint). With dry_run, every row is checked against
  // the database as it would be written, and everything is rolled back. BadRequest (and
  // nothing written) for input that cannot be read as a whole: a malformed JSON array, an
  // unusable CSV header, a quote never closed; a CSV or JSON input is checked for these in
  // a first pass when it can be read twice. Throws on database failures.
  core::Result<ImportSummary> ImportCustomers(const core::Principal& who,
                                              const ImportOptions& options, ByteSource& input,
                                              const ProgressCallback& progress = {});

  // Creates the customers of a POST /customers/batch body's `customers` array (at most
  // kMaxBatchItems). All-or-nothing: Invalid (422) or Conflict (409) naming items as
  // `customers[i].field` when any item fails, and nothing is created. With `partial`, one
  // result per item and only the failed ones are left out.
  core::Result<std::vector<BatchItemResult>> CreateBatch(const core::Principal& who,
                                                         const nlohmann::json& items,
                                                         bool partial);

  // The exportable resources (GET /api/v1/export/<name>): customers, interactions, tickets
  // and orders. Opening one is Forbidden for anyone but admins and managers.
  const std::vector<ExportResource>& exports() const { return exports_; }
  const ExportResource* FindExport(std::string_view name) const;

 private:
  class Import;
  // Staff users by lower-case email and by id, read when first needed.
  struct Directory;
  std::shared_ptr<const Directory> LoadDirectory(const core::Principal& who);
  ExportResource CustomerExport();

  db::Database& database_;
  customers::CustomerService& customers_;
  auth::UserService& users_;
  std::vector<ExportResource> exports_;
};

}  // namespace rapport::transfer
