#include "db/migrations.hpp"

#include <algorithm>
#include <charconv>
#include <stdexcept>
#include <string>
#include <vector>

#include <soci/soci.h>

#include <fmt/format.h>

#include "core/asset.hpp"
#include "core/time.hpp"

namespace rapport::db {

extern const std::vector<core::Asset> kMigrationFiles;

namespace {

struct Migration {
  int version;
  std::string_view name;
  std::string_view sql;
};

// Migration files are `NNNN_name.sql`, shared by both engines, or `NNNN_name.sqlite.sql` and
// `NNNN_name.postgres.sql` where the engines need different text.
std::vector<Migration> MigrationsFor(Engine engine) {
  const std::string_view own = engine == Engine::kSqlite ? ".sqlite.sql" : ".postgres.sql";
  const std::string_view other = engine == Engine::kSqlite ? ".postgres.sql" : ".sqlite.sql";
  std::vector<Migration> result;
  for (const core::Asset& file : kMigrationFiles) {
    if (file.name.ends_with(other)) continue;
    int version = 0;
    std::from_chars(file.name.data(), file.name.data() + file.name.size(), version);
    if (version <= 0) throw std::logic_error(fmt::format("bad migration name {}", file.name));
    auto existing = std::find_if(result.begin(), result.end(),
                                 [&](const Migration& m) { return m.version == version; });
    if (existing == result.end()) {
      result.push_back({version, file.name, file.content});
    } else if (file.name.ends_with(own)) {
      *existing = {version, file.name, file.content};
    }
  }
  std::sort(result.begin(), result.end(),
            [](const Migration& a, const Migration& b) { return a.version < b.version; });
  return result;
}

// Splits a migration into statements at semicolons that end a line, except inside a
// PostgreSQL function body quoted with $$.
std::vector<std::string> Statements(std::string_view sql) {
  std::vector<std::string> statements;
  std::string current;
  bool in_body = false;
  std::size_t start = 0;
  while (start < sql.size()) {
    std::size_t end = sql.find('\n', start);
    if (end == std::string_view::npos) end = sql.size();
    std::string_view line = sql.substr(start, end - start);
    start = end + 1;
    if (line.starts_with("--")) continue;
    current.append(line).append("\n");
    for (auto quote = line.find("$$"); quote != std::string_view::npos;
         quote = line.find("$$", quote + 2)) {
      in_body = !in_body;
    }
    auto last = line.find_last_not_of(" \t\r");
    if (!in_body && last != std::string_view::npos && line[last] == ';') {
      statements.push_back(std::move(current));
      current.clear();
    }
  }
  if (current.find_first_not_of(" \t\r\n") != std::string::npos) statements.push_back(current);
  return statements;
}

void EnsureTable(Session& session) {
  session.Exec(Query(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, "
      "name TEXT NOT NULL, applied_at TEXT NOT NULL)"));
}

int64_t AppliedVersion(Session& session) {
  return session.Scalar(Query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
}

}  // namespace

int LatestMigration() {
  auto all = MigrationsFor(Engine::kSqlite);
  return all.empty() ? 0 : all.back().version;
}

int Migrate(Database& database, const std::function<void(int, int)>& progress) {
  const auto migrations = MigrationsFor(database.engine());
  constexpr int64_t kLockId = 7262777;  // any constant shared by every node
  int applied = 0;
  database.Read([&](Session& session) {
    soci::session& raw = session.raw();
    if (database.engine() == Engine::kPostgres) {
      raw << "SELECT pg_advisory_lock(" << kLockId << ")";
    }
    try {
      EnsureTable(session);
      const int64_t current = AppliedVersion(session);
      const int total = static_cast<int>(std::count_if(
          migrations.begin(), migrations.end(),
          [&](const Migration& m) { return m.version > current; }));
      if (progress) progress(0, total);
      for (const Migration& migration : migrations) {
        if (migration.version <= current) continue;
        raw << (database.engine() == Engine::kSqlite ? "BEGIN IMMEDIATE" : "BEGIN");
        try {
          for (const std::string& statement : Statements(migration.sql)) raw << statement;
          session.Exec(Query("INSERT INTO schema_migrations (version, name, applied_at) VALUES (")
                           .Param(static_cast<int64_t>(migration.version))
                           .Sql(", ")
                           .Param(migration.name)
                           .Sql(", ")
                           .Param(core::FormatTimestamp(core::Now()))
                           .Sql(")"));
          raw << "COMMIT";
        } catch (const std::exception& e) {
          raw << "ROLLBACK";
          throw std::runtime_error(
              fmt::format("migration {} failed: {}", migration.name, e.what()));
        }
        ++applied;
        if (progress) progress(applied, total);
      }
    } catch (...) {
      if (database.engine() == Engine::kPostgres) {
        raw << "SELECT pg_advisory_unlock(" << kLockId << ")";
      }
      throw;
    }
    if (database.engine() == Engine::kPostgres) {
      raw << "SELECT pg_advisory_unlock(" << kLockId << ")";
    }
    return 0;
  });
  return applied;
}

bool MigrationsApplied(Database& database) {
  try {
    return database.Read([](Session& session) {
      return session.Scalar(Query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")) >=
             LatestMigration();
    });
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace rapport::db
