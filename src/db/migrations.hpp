#pragma once

#include <functional>

#include "db/database.hpp"

namespace rapport::db {

// Applies the numbered migrations compiled into the binary (src/db/migrations/NNNN_name.sql)
// that the database has not seen yet, each in one transaction, in order. Concurrent callers
// on one PostgreSQL serialise on an advisory lock. `progress(done, total)` is called once
// before the first (done 0) and after each migration; `total` is the number still to apply. Returns how many were applied. Throws on failure (nothing of the failed
// migration stays applied).
int Migrate(Database& database, const std::function<void(int, int)>& progress = {});

// Whether every compiled-in migration has been applied.
bool MigrationsApplied(Database& database);

// The number of the newest compiled-in migration.
int LatestMigration();

}  // namespace rapport::db
