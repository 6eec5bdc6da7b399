// Kept apart from database.cpp: SOCI's SQLite header wraps <sqlite3.h> in its own namespace.
#include <sqlite3.h>

#include <mutex>

namespace rapport::db {

// Process-wide SQLite settings, applied before the first connection opens: connections are
// never shared between threads at once (the pool lends each to one thread), so SQLite's own
// per-connection mutexes and its global allocation statistics (a global mutex taken on every
// allocation) are pure cost.
void ConfigureSqliteLibrary() {
  static std::once_flag once;
  std::call_once(once, [] {
    sqlite3_config(SQLITE_CONFIG_MULTITHREAD);
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  });
}

}  // namespace rapport::db
