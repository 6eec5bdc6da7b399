#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <variant>
#include <vector>

#include "core/result.hpp"
#include "core/string_map.hpp"

namespace soci {
class session;
class connection_pool;
class row;
class soci_error;
}  // namespace soci

namespace rapport::db {

enum class Engine { kSqlite, kPostgres };

// A parsed database URL: `sqlite://PATH` (sqlite:///abs/path, sqlite://./rel/path,
// sqlite://:memory:) or `postgres://...` / `postgresql://...` (a libpq URI).
struct Url {
  Engine engine = Engine::kSqlite;
  std::string target;  // the file path for SQLite, libpq keyword=value pairs for PostgreSQL
};
// Returns nullopt when the URL names neither engine.
std::optional<Url> ParseUrl(std::string_view url);

// SQL text with values bound by name, never pasted into the text. Build it in pieces:
//   Query q("SELECT id FROM customers WHERE 1=1");
//   if (status) q.Sql(" AND status = ").Param(*status);
class Query {
 public:
  using Value = std::variant<std::nullptr_t, std::string, long long, double>;

  Query() = default;
  explicit Query(std::string_view sql) : sql_(sql) {}

  Query& Sql(std::string_view fragment) {
    sql_.append(fragment);
    return *this;
  }
  // Appends a placeholder for `value`.
  Query& Param(Value value);
  Query& Param(std::string_view value) { return Param(Value(std::string(value))); }
  Query& Param(const std::string& value) { return Param(Value(value)); }
  Query& Param(const char* value) { return Param(Value(std::string(value))); }
  Query& Param(int value) { return Param(Value(static_cast<long long>(value))); }
  Query& Param(int64_t value) { return Param(Value(static_cast<long long>(value))); }
  Query& Param(bool value) { return Param(Value(value ? 1LL : 0LL)); }
  template <class T>
  Query& Param(const std::optional<T>& value) {
    return value ? Param(*value) : Param(Value(nullptr));
  }
  // Appends `a, b, c` placeholders for a list (for IN (...)).
  template <class Range>
  Query& ParamList(const Range& values) {
    bool first = true;
    for (const auto& v : values) {
      if (!first) sql_.append(", ");
      first = false;
      Param(v);
    }
    return *this;
  }

  const std::string& sql() const { return sql_; }
  const std::vector<Value>& values() const { return values_; }

 private:
  std::string sql_;
  std::vector<Value> values_;
};

// One row of a result, every column readable as text (integers also as integers).
// NULL reads as nullopt from the Opt* getters and as the empty value ("" / 0) from the
// others. Valid only inside the ForEach callback that handed it out.
class Row {
 public:
  // Column positions by name, built once per prepared statement (looked up without copying
  // the name).
  using Columns = core::StringMap<std::size_t>;

  Row(const std::vector<std::string>& cells, const std::vector<int>& nulls,
      const Columns& columns)
      : cells_(&cells), nulls_(&nulls), columns_(columns) {}
  // A row read straight from a stepped SQLite statement (sqlite3_stmt*): each getter asks
  // SQLite for the value, so nothing is copied that the caller does not read, and integers
  // are read as integers.
  Row(void* sqlite_statement, const Columns& columns, std::size_t column_count)
      : columns_(columns), sqlite_(sqlite_statement), sqlite_columns_(column_count) {}

  std::string Text(std::string_view column) const { return TextAt(Index(column)); }
  std::optional<std::string> OptText(std::string_view column) const {
    return OptTextAt(Index(column));
  }
  int64_t Int(std::string_view column) const { return IntAt(Index(column)).value_or(0); }
  std::optional<int64_t> OptInt(std::string_view column) const { return IntAt(Index(column)); }
  double Real(std::string_view column) const;
  bool Bool(std::string_view column) const { return Int(column) != 0; }
  // The same by position in the select list, for hot paths that read many columns.
  std::optional<std::string> OptTextAt(std::size_t index) const;
  // The text without a copy: valid until the row moves on (the callback returns).
  std::optional<std::string_view> ViewAt(std::size_t index) const;
  std::string TextAt(std::size_t index) const { return OptTextAt(index).value_or(""); }
  std::optional<int64_t> IntAt(std::size_t index) const;

 private:
  std::size_t Index(std::string_view column) const;
  bool IsNull(std::size_t index) const;
  const std::vector<std::string>* cells_ = nullptr;
  const std::vector<int>* nulls_ = nullptr;  // non-zero: NULL
  const Columns& columns_;
  void* sqlite_ = nullptr;  // sqlite3_stmt* on a row; when set, cells_ and nulls_ are unused
  std::size_t sqlite_columns_ = 0;
};

class StatementCache;
struct CachedStatement;

// A connection, borrowed from the pool for the duration of a Read or Write callback.
// Statements are prepared once per connection and reused, so a repeated query skips the SQL
// compiler: on SQLite as SQLite's own statements, on PostgreSQL as SOCI's with every value
// bound as text; both keyed by their SQL text alone (the least recently used goes when a
// connection holds 256).
class Session {
 public:
  Session(soci::session& session, StatementCache& cache, bool sqlite)
      : session_(session), cache_(cache), sqlite_(sqlite) {}
  // Runs a statement; returns the number of rows it changed.
  int64_t Exec(const Query& query);
  // Runs a statement that may hit a UNIQUE constraint: false when it did (nothing changed),
  // else true. Other errors throw. On PostgreSQL the violation aborts the transaction, so
  // after false the caller must end its Write with an error.
  bool ExecUnlessDuplicate(const Query& query);
  // Calls `fn` for each row.
  void ForEach(const Query& query, const std::function<void(const Row&)>& fn);
  // Calls `fn` with the first row, if any; returns whether there was one.
  bool First(const Query& query, const std::function<void(const Row&)>& fn);
  // The single integer a query like SELECT count(*) returns.
  int64_t Scalar(const Query& query);

  // Runs `fn()` (returning a core::Result or core::Status) inside a savepoint of the current
  // transaction, for work that may fail on its own while the rest goes on (one row of an
  // import): when `fn` returns an error or throws, only its changes are undone, and the
  // transaction stays usable, also on PostgreSQL after a failed statement. The exception is
  // rethrown. Savepoints nest. Use only inside Database::Write.
  template <class F>
  auto Savepoint(F&& fn) -> decltype(fn()) {
    BeginSavepoint();
    try {
      auto result = fn();
      EndSavepoint(/*keep=*/result.ok());
      return result;
    } catch (...) {
      EndSavepoint(/*keep=*/false);
      throw;
    }
  }

  // How many prepared statements this connection keeps (one per distinct SQL text).
  std::size_t CachedStatements() const;

  soci::session& raw() { return session_; }
  bool is_sqlite() const { return sqlite_; }

  // Runs `fn` once the transaction this session's work belongs to has committed: after the
  // COMMIT of a Write or Apply (never after its rollback), or right after a Read's work,
  // whose statements commit one by one. With a non-null `key`, a callback already pending
  // under the same key in this transaction makes this a no-op that returns false. Callbacks
  // run on the committing thread, so they must be quick (signal a condition variable, say);
  // what they throw is swallowed.
  bool AfterCommit(std::function<void()> fn, const void* key = nullptr);
  // Removes and returns the pending callbacks (for Database).
  std::vector<std::function<void()>> TakeAfterCommit();

 private:
  void FirstRun(CachedStatement& entry, const Query& query,
                const std::function<void(const Row&)>& fn);
  void ForEachSqlite(CachedStatement& entry, const Query& query,
                     const std::function<void(const Row&)>& fn);
  void BeginSavepoint();
  void EndSavepoint(bool keep);

  soci::session& session_;
  StatementCache& cache_;
  bool sqlite_;
  std::vector<std::pair<const void*, std::function<void()>>> after_commit_;
};

// While it lives, PostgreSQL plans every statement on `session` for the values it is run
// with. (A prepared statement is otherwise planned once, generically, after five runs; for
// ad-hoc filters whose best plan depends on the values — a 7-day window or all time — that
// plan can be far worse.) Nothing on SQLite.
class CustomPlans {
 public:
  explicit CustomPlans(Session& session);
  ~CustomPlans();
  CustomPlans(const CustomPlans&) = delete;
  CustomPlans& operator=(const CustomPlans&) = delete;

 private:
  Session* session_ = nullptr;  // null on SQLite
};

// A failed statement. The message is the engine's own; the SQL text and bound values are left
// out, so it can be logged without leaking what was written.
class DatabaseError : public std::runtime_error {
 public:
  enum class Kind { kOther, kUniqueViolation, kForeignKeyViolation };
  DatabaseError(Kind kind, const std::string& message)
      : std::runtime_error(message), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

// True when the exception reports a UNIQUE (or primary key) violation.
bool IsUniqueViolation(const std::exception& e);
// True when the exception reports a FOREIGN KEY violation (a reference to a missing row).
bool IsForeignKeyViolation(const std::exception& e);

struct Options {
  std::size_t pool_size = 8;
  bool sqlite_synchronous_full = true;  // false: synchronous=NORMAL
  // Page cache of the SQLite writer connection. A transaction's dirty pages stay in it until
  // the commit; SQLite's default 2 MiB spills big transactions (a batch of an import touches
  // thousands of index pages) to the WAL early, writing pages many times over.
  std::size_t sqlite_writer_cache_kib = 32 << 10;
  // Page cache of each SQLite read connection; 0 keeps SQLite's default (2 MiB). Without a
  // memory map, what a read touches again (an index, a joined table) is read from here.
  std::size_t sqlite_reader_cache_kib = 0;
  // How much of the SQLite file each connection reads through a memory map (shared with the
  // OS page cache) instead of a read() per page: lookups and scans then cost no system
  // calls. The mapped pages a process touched count in its RSS (as file pages the kernel
  // may drop); 0 reads everything through the page cache. SQLite's default maximum, ~2 GiB.
  std::size_t sqlite_mmap_bytes = 2147418112;
};

// The database: a pool of read connections and a write path.
//
// On SQLite every write goes through one writer thread that groups the transactions queued
// by concurrent callers into one COMMIT (one fsync shared by many requests); each caller's
// work runs inside its own SAVEPOINT, so one caller's failure rolls back only its own
// changes. On PostgreSQL each write is its own transaction on a pooled connection.
//
// Thread-safe. Read() and Write() block the calling thread until done.
class Database {
 public:
  // Opens the pool and the writer. Throws std::runtime_error when the database cannot be
  // opened.
  static std::unique_ptr<Database> Open(std::string_view url, const Options& options = {});
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  Engine engine() const { return url_.engine; }
  bool is_sqlite() const { return url_.engine == Engine::kSqlite; }
  const std::string& sqlite_path() const { return url_.target; }
  const Url& url() const { return url_; }

  // Runs `fn(Session&)` on a pooled connection outside any explicit transaction.
  template <class F>
  auto Read(F&& fn) -> decltype(fn(std::declval<Session&>())) {
    std::optional<decltype(fn(std::declval<Session&>()))> result;
    WithConnection([&](Session& session) { result.emplace(fn(session)); });
    return std::move(*result);
  }

  // Runs `fn(Session&) -> core::Result<T>` in a transaction: committed when it returns a
  // value, rolled back when it returns an error or throws (the exception is rethrown here).
  template <class F>
  auto Write(F&& fn) -> decltype(fn(std::declval<Session&>())) {
    using R = decltype(fn(std::declval<Session&>()));
    std::optional<R> result;
    RunWrite([&](Session& session) {
      result.emplace(fn(session));
      return result->ok();
    });
    return std::move(*result);
  }

  // Like Write, for big writes (a batch of an import): on SQLite in a transaction of its
  // own instead of a savepoint of a group commit. A savepoint makes SQLite keep a copy of
  // every page the write changes, and every statement then walks that copy, so a savepoint
  // around thousands of rows costs quadratic time; a transaction of its own needs none (WAL
  // discards an uncommitted transaction). Writes queued meanwhile wait for it. The same as
  // Write on PostgreSQL.
  template <class F>
  auto WriteBulk(F&& fn) -> decltype(fn(std::declval<Session&>())) {
    using R = decltype(fn(std::declval<Session&>()));
    std::optional<R> result;
    RunWrite(
        [&](Session& session) {
          result.emplace(fn(session));
          return result->ok();
        },
        /*alone=*/true);
    return std::move(*result);
  }

  // Runs `fn(Session&)` (returning nothing) in a transaction that commits unless it throws.
  template <class F>
  void Apply(F&& fn) {
    RunWrite([&](Session& session) {
      fn(session);
      return true;
    });
  }

  // Whether the database answers a trivial query.
  bool Ping();

 private:
  struct PendingWrite;
  Database(Url url, const Options& options);
  void WithConnection(const std::function<void(Session&)>& work);
  void RunWrite(const std::function<bool(Session&)>& work, bool alone = false);
  void WriterLoop();

  Url url_;
  Options options_;
  std::unique_ptr<soci::connection_pool> pool_;
  std::unique_ptr<soci::session> writer_session_;  // SQLite only
  // One per pooled connection (same index), then the writer's; destroyed before them.
  std::vector<std::unique_ptr<StatementCache>> caches_;

  // SQLite group commit.
  std::mutex writer_mutex_;
  std::condition_variable writer_wakeup_;
  std::deque<PendingWrite*> writer_queue_;
  bool stopping_ = false;
  std::thread writer_;
};

}  // namespace rapport::db
