#include "app/config.hpp"

#include <charconv>
#include <cstdlib>
#include <fstream>

#include <fmt/format.h>

#include "ai/ai_settings.hpp"
#include "core/text.hpp"
#include "email/mail_settings.hpp"
#include "oidc/oidc_config.hpp"

extern char** environ;

namespace rapport::app {

const std::map<std::string, std::string>& ConfigNames() {
  static const std::map<std::string, std::string> names = {
      {"RAPPORT_DB", "database URL: sqlite://PATH or postgres://..."},
      {"RAPPORT_HOST", "address to listen on"},
      {"RAPPORT_PORT", "port to listen on (0 picks a free one)"},
      {"RAPPORT_PUBLIC_URL", "base of links in emails"},
      {"RAPPORT_JWT_SECRET", "HS256 key of access tokens (generated beside a SQLite database)"},
      {"RAPPORT_METRICS_TOKEN", "bearer token required by /metrics when set"},
      {"RAPPORT_INBOUND_SECRET", "bearer secret of POST /emails/inbound"},
      {"RAPPORT_CURRENCY", "default ISO 4217 currency"},
      {"RAPPORT_THREADS", "network threads, which also answer GET requests"},
      {"RAPPORT_WRITE_THREADS", "threads that run writes, waiting on shared commits"},
      {"RAPPORT_DB_POOL", "database connections"},
      {"RAPPORT_SQLITE_SYNC", "full (default) or normal"},
      {"RAPPORT_SQLITE_MMAP_MB", "MiB of the SQLite file read through a memory map (0 to 2047; 0: none)"},
      {"RAPPORT_RATE_LIMIT", "requests per second per client IP; 0 turns limits off"},
      {"RAPPORT_CAMPAIGN_RATE", "campaign messages per second this process sends; 0: no limit"},
      {"RAPPORT_LOG_LEVEL", "debug, info, warn or error"},
      {"RAPPORT_TRUSTED_PROXIES", "comma-separated IPs of proxies whose X-Forwarded-For is believed"},
      {"RAPPORT_JOB_WORKERS", "background job threads in this process; 0 runs no jobs here"},
      {"RAPPORT_JOB_POLL_MS", "milliseconds between job-table polls when no wake-up arrives"},
      {"RAPPORT_JOB_LEASE_MS", "milliseconds a claimed job stays held when its process dies"},
      {"RAPPORT_JOB_RETENTION_DAYS", "days that done jobs are kept before the purge"},
      {"RAPPORT_MAINTENANCE_INTERVAL", "seconds between runs of the maintenance purge"},
      {"RAPPORT_MAX_IMPORT_BYTES", "largest import body over HTTP: bytes, or with K, M or G (1M to 1G)"},
      {"RAPPORT_SSE_MAX_STREAMS", "notification streams open at once in this process (each a thread)"},
      {"RAPPORT_SSE_MAX_STREAMS_PER_USER", "notification streams one user may have open here"},
      {"RAPPORT_SSE_HEARTBEAT", "seconds between keep-alive comments on an idle notification stream"},
      {"RAPPORT_SMTP_URL", "smtp://host:port or smtps://host:port"},
      {"RAPPORT_SMTP_HOST", "SMTP host"},
      {"RAPPORT_SMTP_PORT", "SMTP port"},
      {"RAPPORT_SMTP_TLS", "none, starttls or tls"},
      {"RAPPORT_SMTP_USER", "SMTP user"},
      {"RAPPORT_SMTP_PASSWORD", "SMTP password"},
      {"RAPPORT_SMTP_FROM", "From address of outgoing mail"},
      {"RAPPORT_SMTP_CA_FILE", "PEM file of the CAs trusted for SMTP TLS (default: the system's)"},
      {"RAPPORT_AI_PROVIDER", "gemini or openai"},
      {"RAPPORT_AI_URL", "AI endpoint base URL"},
      {"RAPPORT_AI_KEY", "AI API key"},
      {"RAPPORT_AI_MODEL", "AI model name"},
      {"RAPPORT_OIDC_PROVIDERS", "comma-separated OIDC provider names (RAPPORT_OIDC_<NAME>_*)"},
      {"RAPPORT_OIDC_TIMEOUT_MS", "timeout of each call to an OIDC provider, in milliseconds"},
      {"RAPPORT_AI_TIMEOUT", "seconds an AI provider call may take in total (default 30)"},
      {"RAPPORT_AI_CONNECT_TIMEOUT", "seconds to connect to the AI provider (default 5)"},
      {"RAPPORT_AI_CONCURRENCY", "AI provider calls in flight at once (default 4)"},
      {"RAPPORT_AI_USER_LIMIT", "AI asks per user per minute (default 10; 0 = off)"},
      {"RAPPORT_AI_MAX_CONTEXT", "bytes of customer context sent to the model (default 16384)"},
  };
  return names;
}

namespace {

// KEY=VALUE lines; KEY is a RAPPORT_* name or the same in lower case without the prefix
// (`port = 9090`). Blank lines and lines starting with # are skipped.
core::Status ReadFile(const std::string& path, std::map<std::string, std::string>& into) {
  std::ifstream file(path);
  if (!file) return core::Error::Invalid("RAPPORT_CONFIG", fmt::format("cannot read {}", path));
  std::string line;
  int number = 0;
  while (std::getline(file, line)) {
    ++number;
    std::string text = core::Trim(line);
    if (text.empty() || text.front() == '#') continue;
    auto eq = text.find('=');
    if (eq == std::string::npos) {
      return core::Error::Invalid("RAPPORT_CONFIG", fmt::format("{}:{}: expected KEY=VALUE", path, number));
    }
    std::string key = core::Trim(text.substr(0, eq));
    std::string value = core::Trim(text.substr(eq + 1));
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
        value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    }
    if (!key.starts_with("RAPPORT_")) {
      for (char& c : key) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      key = "RAPPORT_" + key;
    }
    into[key] = value;
  }
  return core::Ok{};
}

bool ParseSize(const std::string& text, long min, long max, long& out) {
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size() && out >= min && out <= max;
}

// A byte count, optionally with a binary unit: 1048576, 1024K, 64M, 1G.
bool ParseBytes(std::string text, long min, long max, long& out) {
  long unit = 1;
  if (!text.empty()) {
    switch (std::toupper(static_cast<unsigned char>(text.back()))) {
      case 'K':
        unit = 1L << 10;
        break;
      case 'M':
        unit = 1L << 20;
        break;
      case 'G':
        unit = 1L << 30;
        break;
    }
    if (unit > 1) text.pop_back();
  }
  long n = 0;
  if (!ParseSize(text, 0, max, n) || n > max / unit) return false;
  out = n * unit;
  return out >= min && out <= max;
}

}  // namespace

core::Result<Config> LoadConfig(const std::map<std::string, std::string>& flags) {
  std::map<std::string, std::string> values;
  std::string file;
  if (const char* path = std::getenv("RAPPORT_CONFIG")) file = path;
  if (auto it = flags.find("RAPPORT_CONFIG"); it != flags.end()) file = it->second;
  if (!file.empty()) {
    if (auto read = ReadFile(file, values); !read) return read.error();
  }
  for (char** env = environ; *env != nullptr; ++env) {
    std::string_view entry(*env);
    if (!entry.starts_with("RAPPORT_")) continue;
    auto eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    std::string key(entry.substr(0, eq));
    if (key == "RAPPORT_CONFIG" || !(ConfigNames().contains(key) || oidc::IsSettingName(key))) {
      continue;
    }
    values[key] = std::string(entry.substr(eq + 1));
  }
  for (const auto& [key, value] : flags) {
    if (key != "RAPPORT_CONFIG") values[key] = value;
  }

  Config config;
  std::vector<core::FieldError> errors;
  for (const auto& [key, value] : values) {
    long n = 0;
    if (!ConfigNames().contains(key) && !oidc::IsSettingName(key)) {
      errors.push_back({key, "is not a known setting"});
    } else if (key == "RAPPORT_DB") {
      config.db = value;
    } else if (key == "RAPPORT_HOST") {
      config.host = value;
    } else if (key == "RAPPORT_PORT") {
      if (!ParseSize(value, 0, 65535, n)) errors.push_back({key, "must be a port number"});
      config.port = static_cast<int>(n);
    } else if (key == "RAPPORT_PUBLIC_URL") {
      config.public_url = value;
    } else if (key == "RAPPORT_JWT_SECRET") {
      if (!value.empty() && value.size() < 32) errors.push_back({key, "must be at least 32 characters"});
      config.jwt_secret = value;
    } else if (key == "RAPPORT_METRICS_TOKEN") {
      config.metrics_token = value;
    } else if (key == "RAPPORT_INBOUND_SECRET") {
      config.inbound_secret = value;
    } else if (key == "RAPPORT_CURRENCY") {
      config.currency = value;
    } else if (key == "RAPPORT_THREADS") {
      if (!ParseSize(value, 1, 1024, n)) errors.push_back({key, "must be 1 to 1024"});
      config.threads = static_cast<std::size_t>(n);
    } else if (key == "RAPPORT_WRITE_THREADS") {
      if (!ParseSize(value, 0, 1024, n)) errors.push_back({key, "must be 0 to 1024"});
      config.write_threads = static_cast<std::size_t>(n);
    } else if (key == "RAPPORT_DB_POOL") {
      if (!ParseSize(value, 1, 256, n)) errors.push_back({key, "must be 1 to 256"});
      config.db_pool = static_cast<std::size_t>(n);
    } else if (key == "RAPPORT_SQLITE_SYNC") {
      if (value != "full" && value != "normal") errors.push_back({key, "must be full or normal"});
      config.sqlite_synchronous_full = value != "normal";
    } else if (key == "RAPPORT_SQLITE_MMAP_MB") {
      if (!ParseSize(value, 0, 2047, n)) errors.push_back({key, "must be 0 to 2047"});
      config.sqlite_mmap_mb = static_cast<std::size_t>(n);
    } else if (key == "RAPPORT_RATE_LIMIT") {
      if (!ParseSize(value, 0, 10000000, n)) errors.push_back({key, "must be a whole number ≥ 0"});
      config.rate_limit = static_cast<double>(n);
    } else if (key == "RAPPORT_CAMPAIGN_RATE") {
      if (!ParseSize(value, 0, 100000, n)) errors.push_back({key, "must be 0 to 100000"});
      config.campaign_rate = static_cast<double>(n);
    } else if (key == "RAPPORT_TRUSTED_PROXIES") {
      std::string_view rest = value;
      while (!rest.empty()) {
        auto comma = rest.find(',');
        std::string ip = core::Trim(rest.substr(0, comma));
        if (!ip.empty()) config.trusted_proxies.push_back(ip);
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      }
    } else if (key == "RAPPORT_JOB_WORKERS") {
      if (!ParseSize(value, 0, 256, n)) errors.push_back({key, "must be 0 to 256"});
      config.job_workers = static_cast<int>(n);
    } else if (key == "RAPPORT_JOB_POLL_MS") {
      if (!ParseSize(value, 10, 600000, n)) errors.push_back({key, "must be 10 to 600000"});
      config.job_poll_ms = static_cast<int>(n);
    } else if (key == "RAPPORT_JOB_LEASE_MS") {
      if (!ParseSize(value, 1000, 3600000, n)) errors.push_back({key, "must be 1000 to 3600000"});
      config.job_lease_ms = static_cast<int>(n);
    } else if (key == "RAPPORT_JOB_RETENTION_DAYS") {
      if (!ParseSize(value, 1, 3650, n)) errors.push_back({key, "must be 1 to 3650"});
      config.job_retention_days = static_cast<int>(n);
    } else if (key == "RAPPORT_MAINTENANCE_INTERVAL") {
      if (!ParseSize(value, 1, 604800, n)) errors.push_back({key, "must be 1 to 604800"});
      config.maintenance_interval = static_cast<int>(n);
    } else if (key == "RAPPORT_MAX_IMPORT_BYTES") {
      if (!ParseBytes(value, 1L << 20, 1L << 30, n)) {
        errors.push_back({key, "must be 1M to 1G (bytes, or with K, M or G)"});
      }
      config.max_import_bytes = static_cast<std::size_t>(n);
    } else if (key == "RAPPORT_SSE_MAX_STREAMS") {
      if (!ParseSize(value, 1, 10000, n)) errors.push_back({key, "must be 1 to 10000"});
      config.sse_max_streams = static_cast<int>(n);
    } else if (key == "RAPPORT_SSE_MAX_STREAMS_PER_USER") {
      if (!ParseSize(value, 1, 100, n)) errors.push_back({key, "must be 1 to 100"});
      config.sse_max_streams_per_user = static_cast<int>(n);
    } else if (key == "RAPPORT_SSE_HEARTBEAT") {
      if (!ParseSize(value, 1, 60, n)) errors.push_back({key, "must be 1 to 60"});
      config.sse_heartbeat = static_cast<int>(n);
    } else if (key == "RAPPORT_LOG_LEVEL") {
      if (value != "debug" && value != "info" && value != "warn" && value != "error") {
        errors.push_back({key, "must be debug, info, warn or error"});
      }
      config.log_level = value;
    } else {
      config.extra[key] = value;
    }
  }
  if (auto ai = ai::ParseAiSettings(config.extra); !ai) {
    for (const auto& e : ai.error().errors) errors.push_back(e);
  }
  if (config.public_url.empty()) {
    config.public_url = fmt::format("http://{}:{}", config.host, config.port);
  }
  if (auto mail = email::ParseMailSettings(config.extra, config.public_url, config.inbound_secret);
      !mail) {
    for (const auto& error : mail.error().errors) errors.push_back(error);
  }
  // OIDC providers (RAPPORT_OIDC_*) are checked here, so a bad one stops start-up like any
  // other setting; the server builds them again from `extra`.
  if (auto oidc_settings = oidc::ParseSettings(config.extra, config.public_url); !oidc_settings) {
    for (auto& e : oidc_settings.error().errors) errors.push_back(std::move(e));
  }
  if (!errors.empty()) return core::Error::Invalid(std::move(errors));
  return config;
}

}  // namespace rapport::app
