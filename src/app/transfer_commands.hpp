#pragma once

#include <optional>
#include <string>
#include <vector>

#include "app/config.hpp"

namespace rapport::app {

// `rapport import customers FILE [--format F] [--mode M] [--dry-run]`
struct ImportCommand {
  std::string resource;  // "customers"
  std::string file;      // "-" reads standard input
  std::optional<std::string> format;  // default: from the file's extension, else csv
  std::string mode = "insert";
  bool dry_run = false;
};

// Streams FILE into the database with constant memory, as POST /api/v1/import/customers
// would, acting as an admin. Prints the same summary JSON on stdout and progress on stderr.
// Exit code: 0 when every row was imported, 1 when some rows failed, 2 when nothing could
// be imported (bad arguments, an unreadable or malformed file).
int RunImport(const Config& config, const ImportCommand& command);

// `rapport export RESOURCE [--format F] [--bom] [--where NAME=VALUE]...`
struct ExportCommand {
  std::string resource;
  std::string format = "csv";
  bool bom = false;
  std::vector<std::string> where;  // the list filters, as NAME=VALUE
};

// Writes the export to stdout: the same bytes GET /api/v1/export/RESOURCE sends. Exit code
// 0, or 2 for bad arguments (an unknown resource, format or filter).
int RunExport(const Config& config, const ExportCommand& command);

}  // namespace rapport::app
