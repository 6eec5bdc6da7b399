#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace rapport::app {

// Everything the server reads from outside. Each field has a RAPPORT_* name; values come
// from, in rising precedence: the optional config file (RAPPORT_CONFIG or --config), the
// environment, then command-line flags.
struct Config {
  std::string db = "sqlite://./data/rapport.db";  // RAPPORT_DB
  std::string host = "127.0.0.1";                 // RAPPORT_HOST
  int port = 8080;                                // RAPPORT_PORT (0: any free port)
  std::string public_url;                         // RAPPORT_PUBLIC_URL (default http://HOST:PORT)
  std::string jwt_secret;                         // RAPPORT_JWT_SECRET
  std::string metrics_token;                      // RAPPORT_METRICS_TOKEN
  std::string inbound_secret;                     // RAPPORT_INBOUND_SECRET
  std::string currency = "USD";                   // RAPPORT_CURRENCY
  std::size_t threads = 4;                        // RAPPORT_THREADS (network threads; answer GETs)
  std::size_t write_threads = 64;                 // RAPPORT_WRITE_THREADS (run writes)
  std::size_t db_pool = 8;                        // RAPPORT_DB_POOL (connections)
  bool sqlite_synchronous_full = true;            // RAPPORT_SQLITE_SYNC = full | normal
  std::optional<std::size_t> sqlite_mmap_mb;      // RAPPORT_SQLITE_MMAP_MB (default: db::Options)
  double rate_limit = 200;                        // RAPPORT_RATE_LIMIT (req/s per IP; 0 = off)
  std::string log_level = "info";                 // RAPPORT_LOG_LEVEL
  std::vector<std::string> trusted_proxies;       // RAPPORT_TRUSTED_PROXIES (comma-separated IPs)
  int job_workers = 8;                            // RAPPORT_JOB_WORKERS (0: run no jobs here)
  int job_poll_ms = 500;                          // RAPPORT_JOB_POLL_MS
  int job_lease_ms = 30000;                       // RAPPORT_JOB_LEASE_MS (claim held by a dead node)
  int job_retention_days = 7;                     // RAPPORT_JOB_RETENTION_DAYS (done jobs)
  int maintenance_interval = 3600;                // RAPPORT_MAINTENANCE_INTERVAL (seconds)
  std::size_t max_import_bytes = 64 << 20;        // RAPPORT_MAX_IMPORT_BYTES (HTTP imports)
  int sse_max_streams = 100;                      // RAPPORT_SSE_MAX_STREAMS (this process)
  int sse_max_streams_per_user = 5;               // RAPPORT_SSE_MAX_STREAMS_PER_USER
  int sse_heartbeat = 5;                          // RAPPORT_SSE_HEARTBEAT (seconds)
  double campaign_rate = 50;                      // RAPPORT_CAMPAIGN_RATE (messages/s; 0: no limit)

  // SMTP, AI and OIDC settings, kept as given for the capabilities that read them.
  std::map<std::string, std::string> extra;
};

// The names the loader knows, for error messages and docs.
const std::map<std::string, std::string>& ConfigNames();

// Builds the configuration from the file, the environment and `flags` (keyed by RAPPORT_*
// names). Invalid or unknown settings give an Invalid error naming them.
core::Result<Config> LoadConfig(const std::map<std::string, std::string>& flags);

}  // namespace rapport::app
