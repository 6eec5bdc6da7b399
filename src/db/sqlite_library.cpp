// Kept apart from database.cpp: SOCI's SQLite header wraps <sqlite3.h> in its own namespace.
#include <sqlite3.h>

#include <mutex>

namespace rapport::db {

// Process-wide SQLite settings, applied before the first connection opens: connections are
// never shared between threads at once (the pool lends each to one thread), so SQLite's own
// per-connection mutexes and its global allocation statistics (a global mutex taken on every
// allocation) are pure cost.
//
// Statement journals (what a SAVEPOINT keeps to undo its changes: the first copy of each page
// it modifies) stay in memory up to kStatementJournalBytes. SQLite's default, 64 KiB, is less
// than one customer insert touches (its row, eight index pages, the history row and its
// indexes: ~20 pages); past it the journal becomes a temporary file that is never truncated
// within the transaction, so every grouped write wrote its pages to a file first. The limit
// stays under 128 KiB: with a larger one, SQLite 3.40 reports a full disk (SQLITE_FULL) when a
// journal outgrows memory and moves to its file (DatabaseTest.SavepointsLargerThan... fails
// with 256 KiB or 4 MiB).
void ConfigureSqliteLibrary() {
  static constexpr int kStatementJournalBytes = 120 << 10;
  static std::once_flag once;
  std::call_once(once, [] {
    sqlite3_config(SQLITE_CONFIG_MULTITHREAD);
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    sqlite3_config(SQLITE_CONFIG_STMTJRNL_SPILL, kStatementJournalBytes);
  });
}

}  // namespace rapport::db
