#include "app/transfer_commands.hpp"

#include <cstdio>
#include <map>

#include <fmt/format.h>

#include "app/app.hpp"
#include "app/progress.hpp"
#include "auth/auth_service.hpp"
#include "auth/tokens.hpp"
#include "auth/user_service.hpp"
#include "companies/company_service.hpp"
#include "customers/customer_service.hpp"
#include "db/migrations.hpp"
#include "interactions/interaction_service.hpp"
#include "orders/order_service.hpp"
#include "tickets/ticket_service.hpp"
#include "transfer/transfer_service.hpp"

namespace rapport::app {

namespace {

// A command reads or writes a whole table once: through a memory map every page it touched
// would stay in its RSS, so unless RAPPORT_SQLITE_MMAP_MB says otherwise it reads through
// SQLite's bounded page caches, the readers' big enough for the companies an export joins.
// Two read connections: an export's next page is fetched while the last one is written.
db::Options TransferOptions(const Config& config) {
  db::Options options = DatabaseOptions(config);
  if (!config.sqlite_mmap_mb) options.sqlite_mmap_bytes = 0;
  options.pool_size = 2;
  options.sqlite_reader_cache_kib = 32 << 10;
  return options;
}

// The services a transfer command needs, on one database.
struct Services {
  explicit Services(const Config& config)
      : database(OpenDatabase(config, TransferOptions(config))),
        migrated((db::Migrate(*database), true)),
        // The command signs no tokens; a throwaway key serves when none is configured.
        auth(*database, config.jwt_secret.empty() ? auth::NewOpaqueToken() : config.jwt_secret),
        users(*database, auth),
        companies(*database),
        customers(*database, companies),
        interactions(*database, customers),
        tickets(*database, customers, interactions),
        orders(*database, customers, config.currency),
        transfer(*database, customers, users, interactions, tickets, orders) {}

  std::unique_ptr<db::Database> database;
  bool migrated;
  auth::AuthService auth;
  auth::UserService users;
  companies::CompanyService companies;
  customers::CustomerService customers;
  interactions::InteractionService interactions;
  tickets::TicketService tickets;
  orders::OrderService orders;
  transfer::TransferService transfer;
};

// Whoever runs the command has the database itself: they act as an admin (recorded as
// nobody in status histories).
core::Principal CommandLinePrincipal() {
  core::Principal who;
  who.kind = core::Principal::Kind::kUser;
  who.role = core::Role::kAdmin;
  return who;
}

// Shows the records read so far on the progress bar.
class CountedRows final : public transfer::RowSource {
 public:
  CountedRows(transfer::RowSource& inner, ProgressBar& bar) : inner_(inner), bar_(bar) {}
  bool Next(transfer::ExportRow& row) override {
    if (!inner_.Next(row)) return false;
    if (++rows_ % 1000 == 0) bar_.Set(rows_, "rows");
    return true;
  }

 private:
  transfer::RowSource& inner_;
  ProgressBar& bar_;
  int64_t rows_ = 0;
};

void PrintError(const core::Error& error) {
  fmt::print(stderr, "rapport: {}\n", error.detail);
  for (const auto& e : error.errors) fmt::print(stderr, "  {}: {}\n", e.field, e.message);
}

}  // namespace

int RunImport(const Config& config, const ImportCommand& command) {
  if (command.resource != "customers") {
    fmt::print(stderr, "rapport: only customers can be imported\n");
    return 2;
  }
  std::string format_name = command.format.value_or("");
  if (format_name.empty()) {
    const std::string& file = command.file;
    if (file.ends_with(".json")) {
      format_name = "json";
    } else if (file.ends_with(".ndjson") || file.ends_with(".jsonl")) {
      format_name = "ndjson";
    } else {
      format_name = "csv";
    }
  }
  auto format = transfer::ParseFormat(format_name);
  auto mode = transfer::ParseImportMode(command.mode);
  if (!format || !mode) {
    PrintError(!format ? format.error() : mode.error());
    return 2;
  }
  transfer::FileSource input(command.file);  // throws naming the file
  Services services(config);

  ProgressBar bar(command.dry_run ? "check customers" : "import customers",
                  static_cast<int64_t>(input.size().value_or(0)), ProgressBar::Unit::kBytes);
  auto summary = services.transfer.ImportCustomers(
      CommandLinePrincipal(),
      {.format = *format,
       .mode = *mode,
       .dry_run = command.dry_run,
       .batch_rows = transfer::kBulkBatchRows},
      input, [&](const transfer::ImportProgress& progress) {
        bar.Set(static_cast<int64_t>(progress.bytes_read), fmt::format("{} rows", progress.rows));
      });
  if (!summary) {
    bar.Finish();
    PrintError(summary.error());
    return 2;
  }
  bar.Set(static_cast<int64_t>(input.size().value_or(0)), fmt::format("{} rows", summary->rows));
  bar.Finish();
  fmt::print("{}\n", summary->ToJson().dump());
  return summary->failed > 0 ? 1 : 0;
}

int RunExport(const Config& config, const ExportCommand& command) {
  auto format = transfer::ParseFormat(command.format);
  if (!format) {
    PrintError(format.error());
    return 2;
  }
  std::map<std::string, std::string, std::less<>> params;
  for (const std::string& pair : command.where) {
    const auto eq = pair.find('=');
    if (eq == std::string::npos || eq == 0) {
      fmt::print(stderr, "rapport: --where takes NAME=VALUE, not {}\n", pair);
      return 2;
    }
    params[pair.substr(0, eq)] = pair.substr(eq + 1);
  }
  Services services(config);
  const transfer::ExportResource* resource = services.transfer.FindExport(command.resource);
  if (resource == nullptr) {
    fmt::print(stderr, "rapport: cannot export {}\n", command.resource);
    return 2;
  }
  auto source = resource->open(CommandLinePrincipal(),
                               [&](std::string_view name) -> std::optional<std::string_view> {
                                 auto it = params.find(name);
                                 if (it == params.end()) return std::nullopt;
                                 return std::string_view(it->second);
                               });
  if (!source) {
    PrintError(source.error());
    return 2;
  }
  ProgressBar bar("export " + command.resource, 0);
  CountedRows counted(**source, bar);
  const auto written = transfer::WriteExport(
      counted, resource->columns, *format,
      [&](std::string_view chunk) {
        return std::fwrite(chunk.data(), 1, chunk.size(), stdout) == chunk.size();
      },
      command.bom);
  if (std::fflush(stdout) != 0 || !written) {
    fmt::print(stderr, "rapport: cannot write the export to standard output\n");
    return 1;
  }
  bar.Set(*written, "rows");
  bar.Finish();
  return 0;
}

}  // namespace rapport::app
