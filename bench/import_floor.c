/* bench/import_floor.c — the floor under `rapport import`: what SQLite itself takes to insert
 * N customers into Rapport's schema, with nothing else in the way.
 *
 * One prepared statement per table, bound and stepped per row (no parsing, no validation, no
 * lookups): each customer is one row of `customers`, one `customer_tags` row and one
 * `customer_status_changes` row, with every index of the migrated schema, in transactions of
 * BATCH rows, WAL, synchronous=FULL, foreign keys on, a 32 MiB page cache, no memory map.
 * Emails are spread over the email index as a file's would be.
 *
 *   cc -O2 bench/import_floor.c -lsqlite3 -o /tmp/import_floor
 *   build/rapport migrate --db sqlite:///tmp/floor.db
 *   build/rapport import customers one-row.csv --db sqlite:///tmp/floor.db   # a company
 *   /tmp/import_floor /tmp/floor.db 1000000 10000
 *
 * With a fourth argument `bulk`, the three tables' secondary indexes are dropped first and
 * created again after the last row, in one transaction (SQLite then builds each by sorting
 * instead of inserting row by row): the least SQLite can take for these rows and indexes.
 * The two phases are timed apart. This changes the schema of DATABASE; use a copy.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double Now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

static void Check(sqlite3* db, int rc, int want) {
  if (rc != want) {
    fprintf(stderr, "sqlite: %s\n", sqlite3_errmsg(db));
    exit(1);
  }
}

int main(int argc, char** argv) {
  if (argc != 4 && !(argc == 5 && strcmp(argv[4], "bulk") == 0)) {
    fprintf(stderr, "usage: %s DATABASE ROWS BATCH [bulk]\n", argv[0]);
    return 2;
  }
  const int rows = atoi(argv[2]), batch = atoi(argv[3]), bulk = argc == 5;
  sqlite3* db;
  Check(db, sqlite3_open(argv[1], &db), SQLITE_OK);
  Check(db, sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
                         "PRAGMA foreign_keys=ON; PRAGMA cache_size=-32768; PRAGMA mmap_size=0",
                         0, 0, 0), SQLITE_OK);
  sqlite3_stmt *customer, *tag, *status;
  Check(db, sqlite3_prepare_v2(db,
      "INSERT INTO customers (id, name, first_name, last_name, email, phone, company_id, "
      "status, notes, tags, attributes, owner_id, version, created_at, updated_at) VALUES "
      "(?, ?, 'First', 'Last', ?, '+1 555 1234', (SELECT id FROM companies LIMIT 1), 'lead', "
      "'Called on day 0, asked for a quote', '[\"a\"]', '{\"plan\":\"free\"}', NULL, 1, ?, ?)",
      -1, &customer, 0), SQLITE_OK);
  Check(db, sqlite3_prepare_v2(db, "INSERT INTO customer_tags VALUES (?, 'a')", -1, &tag, 0),
        SQLITE_OK);
  Check(db, sqlite3_prepare_v2(db,
      "INSERT INTO customer_status_changes VALUES (?, ?, NULL, 'lead', NULL, ?)", -1, &status, 0),
      SQLITE_OK);
  enum { kMaxIndexes = 32 };
  char* indexes[kMaxIndexes];
  int index_count = 0;
  if (bulk) {
    sqlite3_stmt* list;
    Check(db, sqlite3_prepare_v2(db,
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND "
        "tbl_name IN ('customers', 'customer_tags', 'customer_status_changes')",
        -1, &list, 0), SQLITE_OK);
    char* names[kMaxIndexes];
    while (sqlite3_step(list) == SQLITE_ROW && index_count < kMaxIndexes) {
      names[index_count] = sqlite3_mprintf("DROP INDEX %w", sqlite3_column_text(list, 0));
      indexes[index_count++] = strdup((const char*)sqlite3_column_text(list, 1));
    }
    sqlite3_finalize(list);
    for (int i = 0; i < index_count; ++i) {
      Check(db, sqlite3_exec(db, names[i], 0, 0, 0), SQLITE_OK);
      sqlite3_free(names[i]);
    }
  }
  const char* at = "2026-12-01T00:00:00.000000Z";
  char id[64], change[64], name[64], email[64];
  const double start = Now();
  for (int first = 0; first < rows; first += batch) {
    Check(db, sqlite3_exec(db, "BEGIN", 0, 0, 0), SQLITE_OK);
    for (int i = first; i < first + batch && i < rows; ++i) {
      snprintf(id, sizeof id, "0193%08x-0000-7000-8000-%012d", i, i);
      snprintf(change, sizeof change, "0194%08x-0000-7000-8000-%012d", i, i);
      snprintf(name, sizeof name, "Name %d", i);
      snprintf(email, sizeof email, "user%d@example.com", (int)((i * 7919LL) % rows));
      sqlite3_bind_text(customer, 1, id, -1, SQLITE_STATIC);
      sqlite3_bind_text(customer, 2, name, -1, SQLITE_STATIC);
      sqlite3_bind_text(customer, 3, email, -1, SQLITE_STATIC);
      sqlite3_bind_text(customer, 4, at, -1, SQLITE_STATIC);
      sqlite3_bind_text(customer, 5, at, -1, SQLITE_STATIC);
      Check(db, sqlite3_step(customer), SQLITE_DONE);
      sqlite3_reset(customer);
      sqlite3_bind_text(tag, 1, id, -1, SQLITE_STATIC);
      Check(db, sqlite3_step(tag), SQLITE_DONE);
      sqlite3_reset(tag);
      sqlite3_bind_text(status, 1, change, -1, SQLITE_STATIC);
      sqlite3_bind_text(status, 2, id, -1, SQLITE_STATIC);
      sqlite3_bind_text(status, 3, at, -1, SQLITE_STATIC);
      Check(db, sqlite3_step(status), SQLITE_DONE);
      sqlite3_reset(status);
    }
    Check(db, sqlite3_exec(db, "COMMIT", 0, 0, 0), SQLITE_OK);
  }
  printf("%d rows in %.1f s (%d-row transactions)\n", rows, Now() - start, batch);
  if (bulk) {
    const double built = Now();
    Check(db, sqlite3_exec(db, "BEGIN", 0, 0, 0), SQLITE_OK);
    for (int i = 0; i < index_count; ++i) {
      Check(db, sqlite3_exec(db, indexes[i], 0, 0, 0), SQLITE_OK);
      free(indexes[i]);
    }
    Check(db, sqlite3_exec(db, "COMMIT", 0, 0, 0), SQLITE_OK);
    printf("%d indexes built in %.1f s; %.1f s in all\n", index_count, Now() - built,
           Now() - start);
  }
  sqlite3_close(db);
  return 0;
}
