// rapport: the CRM server and its administration commands. Wiring only; the work lives in
// app/ and the capability folders.
#include <unistd.h>

#include <iostream>
#include <map>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "app/app.hpp"
#include "app/config.hpp"
#include "app/progress.hpp"
#include "app/seed.hpp"
#include "app/transfer_commands.hpp"
#include "auth/auth_service.hpp"
#include "core/principal.hpp"
#include "db/migrations.hpp"

namespace {

using rapport::app::Config;

// Flags given on the command line, by their RAPPORT_* names.
struct Flags {
  std::map<std::string, std::string> values;

  void Add(CLI::App* command, const std::string& flag, const std::string& key,
           const std::string& help) {
    command->add_option_function<std::string>(
        flag, [this, key](const std::string& v) { values[key] = v; }, help);
  }
};

Config LoadOrExit(const Flags& flags) {
  auto config = rapport::app::LoadConfig(flags.values);
  if (!config) {
    for (const auto& e : config.error().errors) {
      fmt::print(stderr, "configuration: {} {}\n", e.field, e.message);
    }
    std::exit(2);
  }
  return *config;
}

int MigrateWithProgress(rapport::db::Database& database) {
  // Sized by the migrations still to apply, which Migrate reports before the first.
  std::optional<rapport::app::ProgressBar> bar;
  int applied = rapport::db::Migrate(database, [&](int done, int total) {
    if (!bar && total > 0) bar.emplace("migrate", total);
    if (bar) bar->Set(done);
  });
  if (bar) bar->Finish();
  return applied;
}

int Serve(const Config& config) {
  auto log = rapport::app::MakeLogger(config.log_level);
  auto database = rapport::app::OpenDatabase(config);
  rapport::db::Migrate(*database);
  rapport::app::Application app(config, *database, log);
  return app.Serve();
}

int CreateUser(const Config& config, const std::string& email, const std::string& name,
               const std::string& role, std::string password) {
  rapport::core::Role parsed;
  if (!rapport::core::ParseRole(role, parsed)) {
    fmt::print(stderr, "--role must be admin, manager or agent\n");
    return 2;
  }
  if (password.empty()) {
    if (isatty(STDIN_FILENO)) fmt::print(stderr, "password: ");
    std::getline(std::cin, password);
  }
  nlohmann::json body = {{"email", email}, {"name", name}, {"password", password}, {"role", role}};
  auto input = rapport::auth::ParseNewUser(body, /*role_required=*/true);
  if (!input) {
    for (const auto& e : input.error().errors) fmt::print(stderr, "{}: {}\n", e.field, e.message);
    return 2;
  }
  auto database = rapport::app::OpenDatabase(config);
  rapport::db::Migrate(*database);
  rapport::auth::AuthService auth(*database, rapport::app::ResolveJwtSecret(config));
  auto user = auth.CreateUser(*input);
  if (!user) {
    fmt::print(stderr, "{}\n", user.error().detail);
    return 1;
  }
  fmt::print("{}\n", user->ToJson().dump());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"Rapport: a CRM server with a JSON REST API"};
  cli.require_subcommand(1);
  Flags flags;
  auto common = [&](CLI::App* command) {
    flags.Add(command, "--db", "RAPPORT_DB", "database URL (sqlite://PATH or postgres://...)");
    flags.Add(command, "--config", "RAPPORT_CONFIG", "config file of KEY=VALUE lines");
  };

  auto* serve = cli.add_subcommand("serve", "run the HTTP server");
  common(serve);
  flags.Add(serve, "--host", "RAPPORT_HOST", "address to listen on (default 127.0.0.1)");
  flags.Add(serve, "--port", "RAPPORT_PORT", "port to listen on (default 8080; 0 = any free port)");
  flags.Add(serve, "--threads", "RAPPORT_THREADS", "network threads (default 4)");

  auto* migrate = cli.add_subcommand("migrate", "apply database migrations and exit");
  common(migrate);

  auto* user = cli.add_subcommand("user", "manage staff users");
  user->require_subcommand(1);
  auto* user_create = user->add_subcommand("create", "create a staff user");
  common(user_create);
  std::string email, name, role = "agent", password;
  user_create->add_option("--email", email, "email address")->required();
  user_create->add_option("--name", name, "display name")->required();
  user_create->add_option("--role", role, "admin, manager or agent")->capture_default_str();
  user_create->add_option("--password", password, "password (read from stdin when omitted)");

  auto* seed = cli.add_subcommand("seed", "fill the database with realistic demo data");
  common(seed);
  int64_t seed_customers = 1000;
  seed->add_option("--customers", seed_customers, "number of customers")
      ->check(CLI::Range(int64_t{1}, int64_t{100'000'000}))
      ->capture_default_str();

  auto* import = cli.add_subcommand("import", "import records from a file");
  import->require_subcommand(1);
  auto* import_customers =
      import->add_subcommand("customers", "import customers from CSV, a JSON array or NDJSON");
  common(import_customers);
  rapport::app::ImportCommand import_command;
  import_command.resource = "customers";
  import_customers->add_option("FILE", import_command.file, "the file to read ('-': stdin)")
      ->required();
  import_customers->add_option("--format", import_command.format,
                               "csv, json or ndjson (default: from the file name, else csv)");
  import_customers->add_option("--mode", import_command.mode,
                               "insert (default) or upsert (match on email)");
  import_customers->add_flag("--dry-run", import_command.dry_run,
                             "check every row against the database, write nothing");

  auto* export_command_line = cli.add_subcommand("export", "export records to standard output");
  common(export_command_line);
  rapport::app::ExportCommand export_command;
  export_command_line->add_option("RESOURCE", export_command.resource, "what to export: customers, interactions, tickets or orders")
      ->required();
  export_command_line->add_option("--format", export_command.format, "csv (default), json or ndjson");
  export_command_line->add_flag("--bom", export_command.bom, "start a CSV with a UTF-8 byte order mark");
  export_command_line->add_option("--where", export_command.where,
                                  "a list filter as NAME=VALUE (status=lead, tag=vip, ...); repeatable");

  auto* routes = cli.add_subcommand("routes", "print every HTTP route (METHOD PATH)");
  routes->group("");  // internal: used to check the OpenAPI document

  cli.add_subcommand("version", "print the version");

  CLI11_PARSE(cli, argc, argv);

  try {
    if (cli.got_subcommand("version")) {
      fmt::print("rapport {}\n", RAPPORT_VERSION);
      return 0;
    }
    if (cli.got_subcommand(routes)) {
      Config config;
      config.db = "sqlite://:memory:";
      config.jwt_secret = std::string(32, 'x');
      config.db_pool = 1;
      auto database = rapport::app::OpenDatabase(config);
      rapport::app::Application app(config, *database, spdlog::default_logger());
      for (const auto& route : app.router().routes()) {
        fmt::print("{} {}\n", rapport::http::MethodName(route.method), route.pattern);
      }
      return 0;
    }
    const Config config = LoadOrExit(flags);
    if (cli.got_subcommand(serve)) return Serve(config);
    if (cli.got_subcommand(migrate)) {
      auto database = rapport::app::OpenDatabase(config);
      fmt::print("{} migrations applied\n", MigrateWithProgress(*database));
      return 0;
    }
    if (user->got_subcommand(user_create)) {
      return CreateUser(config, email, name, role, password);
    }
    if (import->got_subcommand(import_customers)) {
      return rapport::app::RunImport(config, import_command);
    }
    if (cli.got_subcommand(export_command_line)) {
      return rapport::app::RunExport(config, export_command);
    }
    if (cli.got_subcommand(seed)) {
      auto database = rapport::app::OpenDatabase(config);
      rapport::db::Migrate(*database);
      rapport::app::Seed(*database, {.customers = seed_customers, .currency = config.currency});
      return 0;
    }
  } catch (const std::exception& e) {
    fmt::print(stderr, "rapport: {}\n", e.what());
    return 1;
  }
  return 0;
}
