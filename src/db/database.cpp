#include "db/database.hpp"


#include <charconv>
#include <filesystem>
#include <future>
#include <stdexcept>

#include <libpq-fe.h>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <fmt/format.h>

namespace rapport::db {

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

namespace {

// Binds the values of `query` to `st` and prepares it. The values must outlive execution.
void Prepare(soci::statement& st, const Query& query, std::vector<soci::indicator>& nulls) {
  st.alloc();
  st.prepare(query.sql());
  nulls.assign(query.values().size(), soci::i_ok);
  static const std::string kEmpty;
  for (std::size_t i = 0; i < query.values().size(); ++i) {
    const std::string name = fmt::format("p{}", i + 1);
    const auto& value = query.values()[i];
    if (std::holds_alternative<std::nullptr_t>(value)) {
      nulls[i] = soci::i_null;
      st.exchange(soci::use(kEmpty, nulls[i], name));
    } else if (const auto* s = std::get_if<std::string>(&value)) {
      st.exchange(soci::use(*s, name));
    } else if (const auto* n = std::get_if<long long>(&value)) {
      st.exchange(soci::use(*n, name));
    } else {
      st.exchange(soci::use(std::get<double>(value), name));
    }
  }
}

}  // namespace

int64_t Session::Exec(const Query& query) {
  soci::statement st(session_);
  std::vector<soci::indicator> nulls;
  Prepare(st, query, nulls);
  st.define_and_bind();
  st.execute(true);
  return st.get_affected_rows();
}

void Session::ForEach(const Query& query, const std::function<void(const Row&)>& fn) {
  soci::statement st(session_);
  std::vector<soci::indicator> nulls;
  soci::row row;
  Prepare(st, query, nulls);
  st.exchange(soci::into(row));
  st.define_and_bind();
  if (!st.execute(true)) return;
  do {
    fn(Row(row));
  } while (st.fetch());
}

bool Session::First(const Query& query, const std::function<void(const Row&)>& fn) {
  bool found = false;
  ForEach(query, [&](const Row& row) {
    if (!found) fn(row);
    found = true;
  });
  return found;
}

int64_t Session::Scalar(const Query& query) {
  int64_t value = 0;
  First(query, [&](const Row& row) { value = row.IntAt(0).value_or(0); });
  return value;
}

std::size_t Row::Index(std::string_view column) const {
  for (std::size_t i = 0; i < row_.size(); ++i) {
    if (row_.get_properties(i).get_name() == column) return i;
  }
  throw std::logic_error(fmt::format("no column '{}' in result", column));
}

std::optional<std::string> Row::OptText(std::string_view column) const {
  const std::size_t i = Index(column);
  if (row_.get_indicator(i) == soci::i_null) return std::nullopt;
  switch (row_.get_properties(i).get_data_type()) {
    case soci::dt_string:
      return row_.get<std::string>(i);
    case soci::dt_integer:
      return std::to_string(row_.get<int>(i));
    case soci::dt_long_long:
      return std::to_string(row_.get<long long>(i));
    case soci::dt_double:
      return fmt::format("{}", row_.get<double>(i));
    default:
      throw std::logic_error(fmt::format("column '{}' is not text", column));
  }
}

std::string Row::Text(std::string_view column) const { return OptText(column).value_or(""); }

std::optional<int64_t> Row::OptInt(std::string_view column) const { return IntAt(Index(column)); }

std::optional<int64_t> Row::IntAt(std::size_t i) const {
  if (row_.get_indicator(i) == soci::i_null) return std::nullopt;
  switch (row_.get_properties(i).get_data_type()) {
    case soci::dt_integer:
      return row_.get<int>(i);
    case soci::dt_long_long:
      return row_.get<long long>(i);
    case soci::dt_unsigned_long_long:
      return static_cast<int64_t>(row_.get<unsigned long long>(i));
    case soci::dt_double:
      return static_cast<int64_t>(row_.get<double>(i));
    case soci::dt_string: {
      const std::string& text = row_.get<std::string>(i);
      int64_t value = 0;
      auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
      if (ec != std::errc()) {
        double d = std::stod(text);  // SQLite sum()/avg() of integers may come back as "1.0"
        return static_cast<int64_t>(d);
      }
      return value;
    }
    default:
      throw std::logic_error(fmt::format("column {} is not an integer", i));
  }
}

int64_t Row::Int(std::string_view column) const { return OptInt(column).value_or(0); }

double Row::Real(std::string_view column) const {
  const std::size_t i = Index(column);
  if (row_.get_indicator(i) == soci::i_null) return 0;
  switch (row_.get_properties(i).get_data_type()) {
    case soci::dt_double:
      return row_.get<double>(i);
    case soci::dt_string:
      return std::stod(row_.get<std::string>(i));
    default:
      return static_cast<double>(Int(column));
  }
}

bool IsUniqueViolation(const std::exception& e) {
  if (const auto* pg = dynamic_cast<const soci::postgresql_soci_error*>(&e)) {
    return pg->sqlstate() == "23505";
  }
  if (const auto* lite = dynamic_cast<const soci::sqlite3_soci_error*>(&e)) {
    return lite->result() == SQLITE_CONSTRAINT &&
           std::string_view(e.what()).find("UNIQUE") != std::string_view::npos;
  }
  return false;
}

bool IsForeignKeyViolation(const std::exception& e) {
  if (const auto* pg = dynamic_cast<const soci::postgresql_soci_error*>(&e)) {
    return pg->sqlstate() == "23503";
  }
  if (const auto* lite = dynamic_cast<const soci::sqlite3_soci_error*>(&e)) {
    return lite->result() == SQLITE_CONSTRAINT &&
           std::string_view(e.what()).find("FOREIGN KEY") != std::string_view::npos;
  }
  return false;
}

namespace {

std::string SqliteConnectString(const std::string& path) {
  if (path != ":memory:") {
    const auto parent = std::filesystem::path(path).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent);
  }
  return fmt::format("db=\"{}\" timeout=30", path);
}

void ConfigureSqlite(soci::session& session, bool synchronous_full) {
  session << "PRAGMA journal_mode=WAL";
  session << (synchronous_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
  session << "PRAGMA foreign_keys=ON";
  session << "PRAGMA busy_timeout=30000";
}

}  // namespace

struct Database::PendingWrite {
  const std::function<bool(Session&)>* work;
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
  pool_ = std::make_unique<soci::connection_pool>(options_.pool_size);
  try {
    for (std::size_t i = 0; i < options_.pool_size; ++i) {
      soci::session& session = pool_->at(i);
      if (is_sqlite()) {
        session.open(soci::sqlite3, SqliteConnectString(url_.target));
        ConfigureSqlite(session, options_.sqlite_synchronous_full);
      } else {
        session.open(soci::postgresql, url_.target);
      }
    }
    if (is_sqlite()) {
      writer_session_ = std::make_unique<soci::session>(soci::sqlite3,
                                                        SqliteConnectString(url_.target));
      ConfigureSqlite(*writer_session_, options_.sqlite_synchronous_full);
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
  soci::session session(*pool_);
  Session wrapped(session);
  work(wrapped);
}

bool Database::Ping() {
  try {
    return Read([](Session& session) { return session.Scalar(Query("SELECT 1")) == 1; });
  } catch (const std::exception&) {
    return false;
  }
}

void Database::RunWrite(const std::function<bool(Session&)>& work) {
  if (!is_sqlite()) {
    soci::session session(*pool_);
    soci::transaction tx(session);
    Session wrapped(session);
    if (work(wrapped)) tx.commit();  // the transaction's destructor rolls back otherwise
    return;
  }
  PendingWrite pending{&work, {}};
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
  Session wrapped(session);
  std::vector<PendingWrite*> batch;
  std::vector<std::exception_ptr> failures;
  for (;;) {
    {
      std::unique_lock lock(writer_mutex_);
      writer_wakeup_.wait(lock, [&] { return stopping_ || !writer_queue_.empty(); });
      if (writer_queue_.empty()) return;
      batch.assign(writer_queue_.begin(), writer_queue_.end());
      writer_queue_.clear();
    }
    failures.assign(batch.size(), nullptr);
    std::exception_ptr commit_failure;
    try {
      session << "BEGIN IMMEDIATE";
      for (std::size_t i = 0; i < batch.size(); ++i) {
        session << "SAVEPOINT w";
        bool keep = false;
        try {
          keep = (*batch[i]->work)(wrapped);
        } catch (...) {
          failures[i] = std::current_exception();
        }
        if (!keep) session << "ROLLBACK TO w";
        session << "RELEASE w";
      }
      session << "COMMIT";
    } catch (...) {
      commit_failure = std::current_exception();
      try {
        session << "ROLLBACK";
      } catch (...) {
        // The transaction may already be gone; the next BEGIN starts clean either way.
      }
    }
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (commit_failure) {
        batch[i]->done.set_exception(commit_failure);
      } else if (failures[i]) {
        batch[i]->done.set_exception(failures[i]);
      } else {
        batch[i]->done.set_value();
      }
    }
  }
}

}  // namespace rapport::db
