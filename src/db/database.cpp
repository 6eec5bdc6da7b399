#include "db/database.hpp"


#include <charconv>
#include <filesystem>
#include <future>
#include <unordered_map>
#include <stdexcept>

#include <libpq-fe.h>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <fmt/format.h>

namespace rapport::db {

void ConfigureSqliteLibrary();  // sqlite_library.cpp

namespace {

// SOCI re-parses its connection string as `key=value` pairs, which mangles a URI; hand it
// libpq's keyword form instead. nullopt when libpq cannot parse the URI.
std::optional<std::string> PostgresKeywords(std::string_view uri) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(std::string(uri).c_str(), &error);
  if (options == nullptr) {
    PQfreemem(error);
    return std::nullopt;
  }
  std::string keywords;
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (o->val == nullptr || *o->val == '\0') continue;
    std::string value;
    for (const char* c = o->val; *c != '\0'; ++c) {
      if (*c == '\'' || *c == '\\') value += '\\';
      value += *c;
    }
    fmt::format_to(std::back_inserter(keywords), "{}{}='{}'", keywords.empty() ? "" : " ",
                   o->keyword, value);
  }
  PQconninfoFree(options);
  return keywords;
}

}  // namespace

std::optional<Url> ParseUrl(std::string_view url) {
  for (std::string_view prefix : {"postgres://", "postgresql://"}) {
    if (!url.starts_with(prefix)) continue;
    auto keywords = PostgresKeywords(url);
    if (!keywords) return std::nullopt;
    return Url{Engine::kPostgres, std::move(*keywords)};
  }
  if (url.starts_with("sqlite://") && url.size() > 9) {
    return Url{Engine::kSqlite, std::string(url.substr(9))};
  }
  return std::nullopt;
}

Query& Query::Param(Value value) {
  values_.push_back(std::move(value));
  fmt::format_to(std::back_inserter(sql_), ":p{}", values_.size());
  return *this;
}

// A prepared statement kept for reuse, with the storage its placeholders and result columns
// are bound to. On PostgreSQL result columns are fetched straight into `cells` as text: no
// per-row dynamic holders, one copy per value. On SQLite rows are read from `native` itself
// (see Row), and `cells` stay empty.
struct CachedStatement {
  explicit CachedStatement(soci::session& session) : statement(session) {}
  ~CachedStatement() { sqlite_api::sqlite3_finalize(native); }
  CachedStatement(const CachedStatement&) = delete;
  CachedStatement& operator=(const CachedStatement&) = delete;

  soci::statement statement;
  // SQLite queries with results run on SQLite's own statement: SOCI's SQLite backend copies
  // every cell into a buffer of its own before handing it over, a third of a list's cost.
  sqlite_api::sqlite3_stmt* native = nullptr;
  // PostgreSQL: every value is bound as text (PostgreSQL infers each parameter's type from the
  // statement, and SOCI sends every value as text anyway), so one statement serves every
  // mix of NULLs and value types.
  std::vector<std::string> params;
  std::vector<soci::indicator> nulls;
  uint64_t last_used = 0;  // the cache's clock at the last Get, to evict the oldest
  bool with_row = false;
  bool bound = false;  // with_row: the columns are known and bound to `cells`
  std::vector<std::string> cells;
  std::vector<soci::indicator> cell_indicators;
  std::vector<int> cell_nulls;
  Row::Columns columns;
};

namespace {

// `values` as text parameters: NULL as an indicator, numbers as PostgreSQL reads them.
void AssignParams(const std::vector<Query::Value>& values, std::vector<std::string>& params,
                  std::vector<soci::indicator>& nulls) {
  params.resize(values.size());
  nulls.resize(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    const auto& value = values[i];
    std::string& param = params[i];
    nulls[i] = soci::i_ok;
    if (std::holds_alternative<std::nullptr_t>(value)) {
      nulls[i] = soci::i_null;
      param.clear();
    } else if (const auto* text = std::get_if<std::string>(&value)) {
      param = *text;
    } else if (const auto* number = std::get_if<long long>(&value)) {
      param = fmt::format_int(*number).str();
    } else {
      param = fmt::format("{}", std::get<double>(value));
    }
  }
}

// Binds :p1, :p2, ... to `params` (with their NULL indicators) for every run of `st`.
void BindParams(soci::statement& st, std::vector<std::string>& params,
                std::vector<soci::indicator>& nulls) {
  for (std::size_t i = 0; i < params.size(); ++i) {
    st.exchange(soci::use(params[i], nulls[i], fmt::format("p{}", i + 1)));
  }
}

// The text of one column of a dynamically described row.
std::optional<std::string> CellText(const soci::row& row, std::size_t i) {
  if (row.get_indicator(i) == soci::i_null) return std::nullopt;
  switch (row.get_properties(i).get_data_type()) {
    case soci::dt_string:
      return row.get<std::string>(i);
    case soci::dt_integer:
      return std::to_string(row.get<int>(i));
    case soci::dt_long_long:
      return std::to_string(row.get<long long>(i));
    case soci::dt_unsigned_long_long:
      return std::to_string(row.get<unsigned long long>(i));
    case soci::dt_double:
      return fmt::format("{}", row.get<double>(i));
    default:
      throw std::logic_error(fmt::format("column {} has a type the database layer does not read", i));
  }
}

}  // namespace

class StatementCache {
 public:
  static constexpr std::size_t kMaxStatements = 256;

  // The cached statement for `query`, keyed by its SQL. `native` (SQLite): the caller
  // prepares and binds it with SQLite's own API, from the query's values. Otherwise the
  // values are assigned to the entry's text parameters, and new entries are prepared by SOCI
  // (for a statement without results) or left for the first execution to describe (with
  // results). When full, the least recently used statement goes. Call ForgetLast() after a
  // failure: the statement's state is then unknown.
  CachedStatement& Get(soci::session& session, const Query& query, bool with_row, bool native) {
    std::string key = Key(query, with_row);
    auto it = statements_.find(key);
    if (it == statements_.end()) {
      if (statements_.size() >= kMaxStatements) EvictOldest();
      auto entry = std::make_unique<CachedStatement>(session);
      entry->with_row = with_row;
      if (!native) {
        AssignParams(query.values(), entry->params, entry->nulls);
        if (!with_row) Prepare(*entry, query.sql(), 0);
      }
      it = statements_.emplace(std::move(key), std::move(entry)).first;
    } else if (!native) {
      // Assigned in place: the statement stays bound to the same strings.
      AssignParams(query.values(), it->second->params, it->second->nulls);
    }
    it->second->last_used = ++clock_;
    last_ = it->first;
    return *it->second;
  }

  std::size_t size() const { return statements_.size(); }

  // Prepares `entry` with its parameters and, for results, `columns` text cells.
  static void Prepare(CachedStatement& entry, const std::string& sql, std::size_t columns) {
    soci::statement& st = entry.statement;
    st.alloc();
    st.prepare(sql);
    BindParams(st, entry.params, entry.nulls);
    if (entry.with_row) {
      entry.cells.assign(columns, std::string());
      entry.cell_indicators.assign(columns, soci::i_ok);
      entry.cell_nulls.assign(columns, 0);
      for (std::size_t i = 0; i < columns; ++i) {
        st.exchange(soci::into(entry.cells[i], entry.cell_indicators[i]));
      }
      entry.bound = true;
    }
    st.define_and_bind();
  }

  void ForgetLast() { statements_.erase(last_); }

 private:
  static std::string Key(const Query& query, bool with_row) {
    std::string key(with_row ? "R\n" : "E\n");
    key += query.sql();
    return key;
  }

  void EvictOldest() {
    auto oldest = statements_.begin();
    for (auto it = statements_.begin(); it != statements_.end(); ++it) {
      if (it->second->last_used < oldest->second->last_used) oldest = it;
    }
    statements_.erase(oldest);
  }

  std::unordered_map<std::string, std::unique_ptr<CachedStatement>> statements_;
  std::string last_;
  uint64_t clock_ = 0;
};

namespace {

// SOCI's what() quotes the statement and may quote bound values; keep the engine's message.
DatabaseError::Kind ViolationOf(const std::exception& e);  // below

[[noreturn]] void Rethrow(const soci::soci_error& e) {
  throw DatabaseError(ViolationOf(e), e.get_error_message());
}

DatabaseError SqliteError(sqlite_api::sqlite3* db, int code) {
  DatabaseError::Kind kind = DatabaseError::Kind::kOther;
  const int extended = sqlite_api::sqlite3_extended_errcode(db);
  if (extended == SQLITE_CONSTRAINT_UNIQUE || extended == SQLITE_CONSTRAINT_PRIMARYKEY) {
    kind = DatabaseError::Kind::kUniqueViolation;
  } else if (extended == SQLITE_CONSTRAINT_FOREIGNKEY) {
    kind = DatabaseError::Kind::kForeignKeyViolation;
  }
  return DatabaseError(kind, fmt::format("{} ({})", sqlite_api::sqlite3_errmsg(db), code));
}

sqlite_api::sqlite3* SqliteHandle(soci::session& session) {
  return static_cast<soci::sqlite3_session_backend*>(session.get_backend())->conn_;
}

// The native statement of `entry` (prepared on first use) with the values of `query` bound;
// they are bound in place, so `query` must outlive the statement's run.
sqlite_api::sqlite3_stmt* PrepareSqlite(sqlite_api::sqlite3* db, StatementCache& cache,
                                        CachedStatement& entry, const Query& query) {
  if (entry.native == nullptr) {
    const int rc = sqlite_api::sqlite3_prepare_v3(db, query.sql().c_str(),
                                                  static_cast<int>(query.sql().size()),
                                                  SQLITE_PREPARE_PERSISTENT, &entry.native, nullptr);
    if (rc != SQLITE_OK) {
      DatabaseError error = SqliteError(db, rc);
      cache.ForgetLast();
      throw error;
    }
    const int count = sqlite_api::sqlite3_column_count(entry.native);
    for (int i = 0; i < count; ++i) {
      entry.columns.emplace(sqlite_api::sqlite3_column_name(entry.native, i), i);
    }
  }
  sqlite_api::sqlite3_stmt* st = entry.native;
  // Placeholders are :p1, :p2, ... in order, so :pN is parameter N.
  const std::vector<Query::Value>& values = query.values();
  for (std::size_t i = 0; i < values.size(); ++i) {
    const int index = static_cast<int>(i) + 1;
    const auto& value = values[i];
    if (std::holds_alternative<std::nullptr_t>(value)) {
      sqlite_api::sqlite3_bind_null(st, index);
    } else if (const auto* text = std::get_if<std::string>(&value)) {
      sqlite_api::sqlite3_bind_text(st, index, text->data(), static_cast<int>(text->size()),
                                    SQLITE_STATIC);
    } else if (const auto* number = std::get_if<long long>(&value)) {
      sqlite_api::sqlite3_bind_int64(st, index, *number);
    } else {
      sqlite_api::sqlite3_bind_double(st, index, std::get<double>(value));
    }
  }
  return st;
}

}  // namespace

int64_t Session::Exec(const Query& query) {
  CachedStatement& entry = cache_.Get(session_, query, /*with_row=*/false, sqlite_);
  if (sqlite_) {
    sqlite_api::sqlite3* db = SqliteHandle(session_);
    sqlite_api::sqlite3_stmt* st = PrepareSqlite(db, cache_, entry, query);
    const int rc = sqlite_api::sqlite3_step(st);
    if (rc == SQLITE_DONE || rc == SQLITE_ROW) {
      sqlite_api::sqlite3_reset(st);
      return sqlite_api::sqlite3_changes64(db);
    }
    DatabaseError error = SqliteError(db, rc);
    sqlite_api::sqlite3_reset(st);
    throw error;
  }
  try {
    entry.statement.execute(true);
    return entry.statement.get_affected_rows();
  } catch (const soci::soci_error& e) {
    cache_.ForgetLast();
    Rethrow(e);
  } catch (...) {
    cache_.ForgetLast();
    throw;
  }
}

bool Session::ExecUnlessDuplicate(const Query& query) {
  try {
    Exec(query);
    return true;
  } catch (const std::exception& e) {
    if (IsUniqueViolation(e)) return false;
    throw;
  }
}

void Session::ForEach(const Query& query, const std::function<void(const Row&)>& fn) {
  CachedStatement& entry = cache_.Get(session_, query, /*with_row=*/true, sqlite_);
  if (sqlite_) {
    ForEachSqlite(entry, query, fn);
    return;
  }
  try {
    if (!entry.bound) {
      FirstRun(entry, query, fn);
      return;
    }
    // Every row is fetched even if `fn` wants only some: a statement left mid-way would keep
    // the connection's read snapshot open.
    if (!entry.statement.execute(true)) return;
    const Row row(entry.cells, entry.cell_nulls, entry.columns);
    do {
      for (std::size_t i = 0; i < entry.cells.size(); ++i) {
        entry.cell_nulls[i] = entry.cell_indicators[i] == soci::i_null;
      }
      fn(row);
    } while (entry.statement.fetch());
  } catch (const soci::soci_error& e) {
    cache_.ForgetLast();
    Rethrow(e);
  } catch (...) {
    cache_.ForgetLast();
    throw;
  }
}


void Session::ForEachSqlite(CachedStatement& entry, const Query& query,
                            const std::function<void(const Row&)>& fn) {
  sqlite_api::sqlite3* db = SqliteHandle(session_);
  sqlite_api::sqlite3_stmt* st = PrepareSqlite(db, cache_, entry, query);
  // The row reads the statement's current values itself: a value is copied only when the
  // callback asks for it, and once.
  const Row row(st, entry.columns,
                static_cast<std::size_t>(sqlite_api::sqlite3_column_count(st)));
  try {
    for (;;) {
      const int rc = sqlite_api::sqlite3_step(st);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) throw SqliteError(db, rc);
      fn(row);
    }
  } catch (...) {
    sqlite_api::sqlite3_reset(st);  // ends the read, whatever happened
    throw;
  }
  sqlite_api::sqlite3_reset(st);
}

// The first run of a query learns its columns from a dynamically described statement, then
// binds the cached one to text cells for every later run.
void Session::FirstRun(CachedStatement& entry, const Query& query,
                       const std::function<void(const Row&)>& fn) {
  std::vector<std::string> params;
  std::vector<soci::indicator> nulls;
  AssignParams(query.values(), params, nulls);
  soci::row described;
  soci::statement probe(session_);
  probe.alloc();
  probe.prepare(query.sql());
  BindParams(probe, params, nulls);
  probe.exchange(soci::into(described));
  probe.define_and_bind();
  bool more = probe.execute(true);
  for (std::size_t i = 0; i < described.size(); ++i) {
    entry.columns.emplace(described.get_properties(i).get_name(), i);
  }
  std::vector<std::string> cells(described.size());
  std::vector<int> cell_nulls(described.size());
  const Row row(cells, cell_nulls, entry.columns);
  while (more) {
    for (std::size_t i = 0; i < described.size(); ++i) {
      auto text = CellText(described, i);
      cell_nulls[i] = !text;
      cells[i] = text ? std::move(*text) : std::string();
    }
    fn(row);
    more = probe.fetch();
  }
  if (!entry.columns.empty()) StatementCache::Prepare(entry, query.sql(), described.size());
}

std::size_t Session::CachedStatements() const { return cache_.size(); }

void Session::BeginSavepoint() { Exec(Query("SAVEPOINT rapport_savepoint")); }

void Session::EndSavepoint(bool keep) {
  // Same name at every depth: both engines address the innermost savepoint of that name.
  if (!keep) Exec(Query("ROLLBACK TO SAVEPOINT rapport_savepoint"));
  Exec(Query("RELEASE SAVEPOINT rapport_savepoint"));
}

bool Session::First(const Query& query, const std::function<void(const Row&)>& fn) {
  bool found = false;
  ForEach(query, [&](const Row& row) {
    if (!found) fn(row);
    found = true;
  });
  return found;
}

bool Session::AfterCommit(std::function<void()> fn, const void* key) {
  if (key != nullptr) {
    for (const auto& pending : after_commit_) {
      if (pending.first == key) return false;
    }
  }
  after_commit_.emplace_back(key, std::move(fn));
  return true;
}

std::vector<std::function<void()>> Session::TakeAfterCommit() {
  std::vector<std::function<void()>> callbacks;
  callbacks.reserve(after_commit_.size());
  for (auto& pending : after_commit_) callbacks.push_back(std::move(pending.second));
  after_commit_.clear();
  return callbacks;
}

namespace {

void RunCallbacks(std::vector<std::function<void()>>& callbacks) {
  for (auto& callback : callbacks) {
    try {
      callback();
    } catch (...) {
      // A notification that failed must not turn a committed write into an error.
    }
  }
  callbacks.clear();
}

}  // namespace

int64_t Session::Scalar(const Query& query) {
  int64_t value = 0;
  First(query, [&](const Row& row) { value = row.IntAt(0).value_or(0); });
  return value;
}

std::size_t Row::Index(std::string_view column) const {
  auto it = columns_.find(column);
  if (it == columns_.end()) throw std::logic_error(fmt::format("no column '{}' in result", column));
  return it->second;
}

bool Row::IsNull(std::size_t i) const {
  if (sqlite_ != nullptr) {
    if (i >= sqlite_columns_) throw std::out_of_range("no such column in the row");
    return sqlite_api::sqlite3_column_type(static_cast<sqlite_api::sqlite3_stmt*>(sqlite_),
                                           static_cast<int>(i)) == SQLITE_NULL;
  }
  return nulls_->at(i) != 0;
}

std::optional<std::string_view> Row::ViewAt(std::size_t i) const {
  if (sqlite_ != nullptr) {
    if (i >= sqlite_columns_) throw std::out_of_range("no such column in the row");
    auto* st = static_cast<sqlite_api::sqlite3_stmt*>(sqlite_);
    const int column = static_cast<int>(i);
    // NULL reads as a null pointer (as would a failed conversion, which text never needs).
    const auto* text = sqlite_api::sqlite3_column_text(st, column);
    if (text == nullptr) return std::nullopt;
    return std::string_view(reinterpret_cast<const char*>(text),
                            static_cast<std::size_t>(sqlite_api::sqlite3_column_bytes(st, column)));
  }
  if (nulls_->at(i)) return std::nullopt;
  return (*cells_)[i];
}

std::optional<std::string> Row::OptTextAt(std::size_t i) const {
  auto view = ViewAt(i);
  if (!view) return std::nullopt;
  return std::string(*view);
}

std::optional<int64_t> Row::IntAt(std::size_t i) const {
  if (IsNull(i)) return std::nullopt;
  if (sqlite_ != nullptr) {
    auto* st = static_cast<sqlite_api::sqlite3_stmt*>(sqlite_);
    if (sqlite_api::sqlite3_column_type(st, static_cast<int>(i)) == SQLITE_INTEGER) {
      return sqlite_api::sqlite3_column_int64(st, static_cast<int>(i));
    }
  }
  const std::string text = *OptTextAt(i);
  int64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc() && ptr == text.data() + text.size()) return value;
  // SQLite sum()/avg() of integers and PostgreSQL numerics may come as "12.0".
  return static_cast<int64_t>(std::stod(text));
}

double Row::Real(std::string_view column) const {
  const std::size_t i = Index(column);
  if (IsNull(i)) return 0;
  return std::stod(*OptTextAt(i));
}

namespace {

// What constraint, if any, a database exception reports.
DatabaseError::Kind ViolationOf(const std::exception& e) {
  using Kind = DatabaseError::Kind;
  if (const auto* error = dynamic_cast<const DatabaseError*>(&e)) return error->kind();
  if (const auto* pg = dynamic_cast<const soci::postgresql_soci_error*>(&e)) {
    if (pg->sqlstate() == "23505") return Kind::kUniqueViolation;
    if (pg->sqlstate() == "23503") return Kind::kForeignKeyViolation;
  }
  if (const auto* lite = dynamic_cast<const soci::sqlite3_soci_error*>(&e);
      lite != nullptr && lite->result() == SQLITE_CONSTRAINT) {
    const std::string_view message(e.what());
    if (message.find("UNIQUE") != std::string_view::npos) return Kind::kUniqueViolation;
    if (message.find("FOREIGN KEY") != std::string_view::npos) return Kind::kForeignKeyViolation;
  }
  return Kind::kOther;
}

}  // namespace

CustomPlans::CustomPlans(Session& session) {
  if (session.is_sqlite()) return;
  session.raw() << "SET plan_cache_mode = force_custom_plan";
  session_ = &session;
}

CustomPlans::~CustomPlans() {
  if (!session_) return;
  try {
    session_->raw() << "RESET plan_cache_mode";
  } catch (const std::exception&) {
    // The connection failed; custom plans on it are harmless, and the pool notices the rest.
  }
}

bool IsUniqueViolation(const std::exception& e) {
  return ViolationOf(e) == DatabaseError::Kind::kUniqueViolation;
}

bool IsForeignKeyViolation(const std::exception& e) {
  return ViolationOf(e) == DatabaseError::Kind::kForeignKeyViolation;
}

namespace {

std::string SqliteConnectString(const std::string& path) {
  if (path != ":memory:") {
    const auto parent = std::filesystem::path(path).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent);
  }
  return fmt::format("db=\"{}\" timeout=30", path);
}

void ConfigureSqlite(soci::session& session, const Options& options) {
  session << "PRAGMA journal_mode=WAL";
  session << (options.sqlite_synchronous_full ? "PRAGMA synchronous=FULL"
                                              : "PRAGMA synchronous=NORMAL");
  session << "PRAGMA foreign_keys=ON";
  session << "PRAGMA busy_timeout=30000";
  // See Options::sqlite_mmap_bytes. SQLite caps it at its own SQLITE_MAX_MMAP_SIZE; beyond
  // the mapped size it reads as before.
  session << "PRAGMA mmap_size=" << static_cast<long long>(options.sqlite_mmap_bytes);
}

}  // namespace

struct Database::PendingWrite {
  const std::function<bool(Session&)>* work;
  bool alone = false;  // in a transaction of its own, not a savepoint of a group
  std::promise<void> done;
};

std::unique_ptr<Database> Database::Open(std::string_view url, const Options& options) {
  auto parsed = ParseUrl(url);
  if (!parsed) {
    throw std::runtime_error(
        fmt::format("unsupported database URL '{}': use sqlite://PATH or postgres://...", url));
  }
  return std::unique_ptr<Database>(new Database(std::move(*parsed), options));
}

Database::Database(Url url, const Options& options)
    : url_(std::move(url)), options_(options) {
  if (is_sqlite()) ConfigureSqliteLibrary();
  pool_ = std::make_unique<soci::connection_pool>(options_.pool_size);
  for (std::size_t i = 0; i <= options_.pool_size; ++i) {
    caches_.push_back(std::make_unique<StatementCache>());
  }
  try {
    for (std::size_t i = 0; i < options_.pool_size; ++i) {
      soci::session& session = pool_->at(i);
      if (is_sqlite()) {
        session.open(soci::sqlite3, SqliteConnectString(url_.target));
        ConfigureSqlite(session, options_);
        if (options_.sqlite_reader_cache_kib > 0) {
          session << fmt::format("PRAGMA cache_size=-{}", options_.sqlite_reader_cache_kib);
        }
      } else {
        session.open(soci::postgresql, url_.target);
      }
    }
    if (is_sqlite()) {
      writer_session_ = std::make_unique<soci::session>(soci::sqlite3,
                                                        SqliteConnectString(url_.target));
      ConfigureSqlite(*writer_session_, options_);
      *writer_session_ << fmt::format("PRAGMA cache_size=-{}", options_.sqlite_writer_cache_kib);
      writer_ = std::thread([this] { WriterLoop(); });
    }
  } catch (const soci::soci_error& e) {
    // The message of a failed open names the problem (bad path, refused connection) and
    // never holds a password: SOCI reports libpq's message, not the connection string.
    throw std::runtime_error(fmt::format("cannot open the database: {}", e.get_error_message()));
  }
}

Database::~Database() {
  if (writer_.joinable()) {
    {
      std::lock_guard lock(writer_mutex_);
      stopping_ = true;
    }
    writer_wakeup_.notify_all();
    writer_.join();
  }
}

void Database::WithConnection(const std::function<void(Session&)>& work) {
  struct Lease {
    soci::connection_pool& pool;
    std::size_t position;
    ~Lease() { pool.give_back(position); }
  } lease{*pool_, pool_->lease()};
  Session session(pool_->at(lease.position), *caches_[lease.position], is_sqlite());
  work(session);
  auto callbacks = session.TakeAfterCommit();  // a Read's statements have committed
  RunCallbacks(callbacks);
}

bool Database::Ping() {
  try {
    return Read([](Session& session) { return session.Scalar(Query("SELECT 1")) == 1; });
  } catch (const std::exception&) {
    return false;
  }
}

void Database::RunWrite(const std::function<bool(Session&)>& work, bool alone) {
  if (!is_sqlite()) {
    WithConnection([&](Session& session) {
      soci::transaction tx(session.raw());
      if (!work(session)) {
        session.TakeAfterCommit();
        return;  // the transaction's destructor rolls back
      }
      tx.commit();
    });
    return;
  }
  PendingWrite pending{&work, alone, {}};
  auto done = pending.done.get_future();
  {
    std::lock_guard lock(writer_mutex_);
    writer_queue_.push_back(&pending);
  }
  writer_wakeup_.notify_one();
  done.get();  // rethrows what the work threw
}

void Database::WriterLoop() {
  soci::session& session = *writer_session_;
  Session wrapped(session, *caches_.back(), true);
  std::vector<PendingWrite*> batch;
  std::vector<std::function<void()>> committed;
  // Runs writes [first, last) of `batch` in one transaction: each in its own savepoint (a
  // group commit), or the only one without (`alone`). Then runs the after-commit callbacks
  // of the writes that were kept and tells each caller its result.
  auto run = [&](std::size_t first, std::size_t last, bool alone) {
    std::vector<std::exception_ptr> failures(last - first);
    std::exception_ptr commit_failure;
    committed.clear();
    try {
      session << "BEGIN IMMEDIATE";
      bool keep_all = true;
      for (std::size_t i = first; i < last; ++i) {
        if (!alone) session << "SAVEPOINT w";
        bool keep = false;
        try {
          keep = (*batch[i]->work)(wrapped);
        } catch (...) {
          failures[i - first] = std::current_exception();
        }
        auto callbacks = wrapped.TakeAfterCommit();
        if (keep) {
          for (auto& callback : callbacks) committed.push_back(std::move(callback));
        }
        if (alone) {
          keep_all = keep;
        } else {
          if (!keep) session << "ROLLBACK TO w";
          session << "RELEASE w";
        }
      }
      if (keep_all) {
        session << "COMMIT";
      } else {
        committed.clear();
        session << "ROLLBACK";
      }
    } catch (...) {
      commit_failure = std::current_exception();
      committed.clear();
      wrapped.TakeAfterCommit();
      try {
        session << "ROLLBACK";
      } catch (...) {
        // The transaction may already be gone; the next BEGIN starts clean either way.
      }
    }
    RunCallbacks(committed);
    for (std::size_t i = first; i < last; ++i) {
      if (commit_failure) {
        batch[i]->done.set_exception(commit_failure);
      } else if (failures[i - first]) {
        batch[i]->done.set_exception(failures[i - first]);
      } else {
        batch[i]->done.set_value();
      }
    }
  };
  for (;;) {
    {
      std::unique_lock lock(writer_mutex_);
      writer_wakeup_.wait(lock, [&] { return stopping_ || !writer_queue_.empty(); });
      if (writer_queue_.empty()) return;
      batch.assign(writer_queue_.begin(), writer_queue_.end());
      writer_queue_.clear();
    }
    // In order of arrival: runs of ordinary writes share a commit, bulk writes get their own.
    std::size_t first = 0;
    for (std::size_t i = 0; i <= batch.size(); ++i) {
      if (i < batch.size() && !batch[i]->alone) continue;
      if (first < i) run(first, i, /*alone=*/false);
      if (i < batch.size()) run(i, i + 1, /*alone=*/true);
      first = i + 1;
    }
  }
}

}  // namespace rapport::db
