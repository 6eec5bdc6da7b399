#pragma once

#include <functional>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "app/config.hpp"
#include "db/database.hpp"
#include "http/metrics.hpp"
#include "http/router.hpp"

namespace spdlog {
class logger;
}

namespace rapport::app {

// The JSON-lines logger on stdout (one object per line, flushed per line).
std::shared_ptr<spdlog::logger> MakeLogger(const std::string& level);

// Writes a lifecycle event (listening, stopping) as one JSON line with ts and level, flushed
// at once and never filtered by the log level.
void LogEvent(spdlog::logger& log, nlohmann::json fields);

// The database options the configuration sets.
db::Options DatabaseOptions(const Config& config);
// Opens the configured database (throws std::runtime_error with a clear message).
std::unique_ptr<db::Database> OpenDatabase(const Config& config);
std::unique_ptr<db::Database> OpenDatabase(const Config& config, const db::Options& options);

// The HS256 secret: the configured one, or for a SQLite file one generated on first start and
// kept beside the database (mode 0600). PostgreSQL deployments must configure it, so every
// node signs alike. Throws std::runtime_error when it cannot be had.
std::string ResolveJwtSecret(const Config& config);

// Every capability's service, wired to one database, and the routes they serve.
class Application {
 public:
  Application(Config config, db::Database& database, std::shared_ptr<spdlog::logger> log);
  ~Application();

  http::Router& router();
  http::Metrics& metrics();

  // Runs the HTTP server until SIGINT or SIGTERM. Logs {"event":"listening","port":N} once
  // the port is bound. Returns the process exit code.
  int Serve();

 private:
  struct Services;
  std::unique_ptr<Services> services_;
};

}  // namespace rapport::app
