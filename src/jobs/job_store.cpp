#include "jobs/job_store.hpp"

#include <fmt/format.h>

#include "db/keyset.hpp"

namespace rapport::jobs {

namespace {

constexpr std::string_view kRecordColumns =
    "id, kind, payload, dedupe_key, status, attempts, max_attempts, run_at, locked_by, "
    "locked_until, last_error, created_at, updated_at, finished_at";

const std::vector<db::SortColumn> kSortColumns = {{"id", "id"},
                                                  {"created_at", "created_at"},
                                                  {"run_at", "run_at"},
                                                  {"updated_at", "updated_at"}};

db::Engine EngineOf(const db::Session& session) {
  return session.is_sqlite() ? db::Engine::kSqlite : db::Engine::kPostgres;
}

JobRecord RecordFromRow(const db::Row& row) {
  JobRecord job;
  job.id = row.Text("id");
  job.kind = row.Text("kind");
  job.payload = row.Text("payload");
  job.dedupe_key = row.OptText("dedupe_key");
  job.status = ParseStatus(row.Text("status")).value_or(JobStatus::kQueued);
  job.attempts = static_cast<int>(row.Int("attempts"));
  job.max_attempts = static_cast<int>(row.Int("max_attempts"));
  job.run_at = row.Text("run_at");
  job.locked_by = row.OptText("locked_by");
  job.locked_until = row.OptText("locked_until");
  job.last_error = row.OptText("last_error");
  job.created_at = row.Text("created_at");
  job.updated_at = row.Text("updated_at");
  job.finished_at = row.OptText("finished_at");
  return job;
}

Job JobFromRow(const db::Row& row) {
  Job job;
  job.id = row.Text("id");
  job.kind = row.Text("kind");
  job.payload = nlohmann::json::parse(row.Text("payload"), nullptr, /*allow_exceptions=*/false);
  if (!job.payload.is_object()) job.payload = nlohmann::json::object();
  job.dedupe_key = row.OptText("dedupe_key");
  job.attempt = static_cast<int>(row.Int("attempts"));
  job.max_attempts = static_cast<int>(row.Int("max_attempts"));
  job.run_at = core::ParseTimestamp(row.Text("run_at")).value_or(core::Now());
  return job;
}

void AppendFilter(db::Query& query, std::optional<JobStatus> status,
                  const std::optional<std::string>& kind) {
  query.Sql(" WHERE 1 = 1");
  if (status) query.Sql(" AND status = ").Param(StatusName(*status));
  if (kind) query.Sql(" AND kind = ").Param(*kind);
}

// One claiming statement over either running jobs whose lease ran out or due queued jobs.
std::vector<Job> ClaimWhere(db::Session& tx, const std::vector<std::string>& kinds,
                            std::string_view node, int limit, std::string_view now,
                            std::string_view lease_until, bool expired_leases) {
  const auto candidates = [&](db::Query& query) {
    if (expired_leases) {
      query.Sql("SELECT id FROM jobs WHERE status = 'running' AND locked_until < ").Param(now);
    } else {
      query.Sql("SELECT id FROM jobs WHERE status = 'queued' AND run_at <= ").Param(now);
    }
    query.Sql(" AND kind IN (").ParamList(kinds).Sql(")");
    query.Sql(expired_leases ? " ORDER BY locked_until, id" : " ORDER BY run_at, id");
    query.Sql(" LIMIT ").Param(limit);
  };
  const auto set = [&](db::Query& query) {
    query.Sql(" SET status = 'running', attempts = attempts + 1, locked_by = ").Param(node);
    query.Sql(", locked_until = ").Param(lease_until).Sql(", updated_at = ").Param(now);
  };
  db::Query query;
  if (tx.is_sqlite()) {
    // The claiming transaction is the database's only writer: nobody can claim between the
    // SELECT and the UPDATE.
    query.Sql("UPDATE jobs");
    set(query);
    query.Sql(" WHERE id IN (");
    candidates(query);
    query.Sql(") RETURNING id, kind, payload, dedupe_key, attempts, max_attempts, run_at");
  } else {
    // Rows another claimer has locked are skipped, not waited for.
    query.Sql("WITH picked AS (");
    candidates(query);
    query.Sql(" FOR UPDATE SKIP LOCKED) UPDATE jobs");
    set(query);
    query.Sql(
        " FROM picked WHERE jobs.id = picked.id RETURNING jobs.id, jobs.kind, jobs.payload, "
        "jobs.dedupe_key, jobs.attempts, jobs.max_attempts, jobs.run_at");
  }
  std::vector<Job> jobs;
  tx.ForEach(query, [&](const db::Row& row) { jobs.push_back(JobFromRow(row)); });
  return jobs;
}

}  // namespace

std::string StoredTime(core::Timestamp t) {
  const auto seconds = std::chrono::floor<std::chrono::seconds>(t);
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(t - seconds).count();
  std::string text = core::FormatTimestamp(seconds);  // ...:SSZ
  text.insert(text.size() - 1, fmt::format(".{:03}", millis));
  return text;
}

// Outcomes find their rows by id and `locked_by`, which only a running job has (every way out
// of running clears it). Leaving `status` out of these WHERE clauses keeps the planners on the
// primary key: with `status = 'running'` PostgreSQL may walk the whole jobs_leases index,
// dead entries of jobs claimed earlier included, for every batch.
std::vector<Job> JobStore::Claim(db::Session& tx, const std::vector<std::string>& kinds,
                                 std::string_view node, int limit, std::string_view now,
                                 std::string_view lease_until) {
  if (kinds.empty() || limit <= 0) return {};
  std::vector<Job> jobs = ClaimWhere(tx, kinds, node, limit, now, lease_until, true);
  const int left = limit - static_cast<int>(jobs.size());
  if (left > 0) {
    std::vector<Job> due = ClaimWhere(tx, kinds, node, left, now, lease_until, false);
    for (Job& job : due) jobs.push_back(std::move(job));
  }
  return jobs;
}

void JobStore::PreferIndexes(db::Session& tx) {
  if (tx.is_sqlite()) return;
  // Every statement of the queue's own transactions finds its rows through an index (the
  // primary key, or a partial index read in order and stopped after the batch). While the
  // statistics lag behind a burst of enqueues (a fan-out of thousands of jobs into a table
  // the planner still thinks small), PostgreSQL would rather scan the table and sort the
  // whole backlog, on every claim and every batch of outcomes: measured 52 ms against 1.2 ms
  // per claim of 32 with 20,000 queued. For these transactions only, scans and sorts are
  // made the last resort.
  tx.First(db::Query("SELECT set_config('enable_seqscan', 'off', true) AS a, "
                     "set_config('enable_sort', 'off', true) AS b"),
           [](const db::Row&) {});
}

std::optional<std::string> JobStore::NextRunAt(db::Session& tx,
                                               const std::vector<std::string>& kinds) {
  if (kinds.empty()) return std::nullopt;
  std::optional<std::string> next;
  db::Query query("SELECT run_at FROM jobs WHERE status = 'queued' AND kind IN (");
  query.ParamList(kinds).Sql(") ORDER BY run_at LIMIT 1");
  tx.First(query, [&](const db::Row& row) { next = row.Text("run_at"); });
  return next;
}

void JobStore::MarkDone(db::Session& tx, std::string_view node, const std::vector<std::string>& ids,
                        std::string_view now) {
  if (ids.empty()) return;
  db::Query query("UPDATE jobs SET status = 'done', locked_by = NULL, locked_until = NULL, ");
  query.Sql("finished_at = ").Param(now).Sql(", updated_at = ").Param(now);
  query.Sql(" WHERE locked_by = ").Param(node).Sql(" AND id IN (").ParamList(ids).Sql(")");
  tx.Exec(query);
}

void JobStore::MarkRetry(db::Session& tx, std::string_view node, std::string_view id,
                         std::string_view run_at, std::string_view error, std::string_view now) {
  db::Query query("UPDATE jobs SET status = 'queued', locked_by = NULL, locked_until = NULL, ");
  query.Sql("run_at = ").Param(run_at).Sql(", last_error = ").Param(error);
  query.Sql(", updated_at = ").Param(now);
  query.Sql(" WHERE locked_by = ").Param(node).Sql(" AND id = ").Param(id);
  tx.Exec(query);
}

void JobStore::MarkDead(db::Session& tx, std::string_view node, std::string_view id,
                        std::string_view error, std::string_view now) {
  db::Query query("UPDATE jobs SET status = 'dead', locked_by = NULL, locked_until = NULL, ");
  // A job reclaimed after a crash in its last attempt has counted one claim too many.
  query.Sql("attempts = CASE WHEN attempts > max_attempts THEN max_attempts ELSE attempts END, ");
  query.Sql("last_error = ").Param(error).Sql(", finished_at = ").Param(now);
  query.Sql(", updated_at = ").Param(now);
  query.Sql(" WHERE locked_by = ").Param(node).Sql(" AND id = ").Param(id);
  tx.Exec(query);
}

void JobStore::Release(db::Session& tx, std::string_view node, const std::vector<std::string>& ids,
                       std::string_view now) {
  if (ids.empty()) return;
  db::Query query("UPDATE jobs SET status = 'queued', attempts = attempts - 1, ");
  query.Sql("locked_by = NULL, locked_until = NULL, updated_at = ").Param(now);
  query.Sql(" WHERE locked_by = ").Param(node).Sql(" AND id IN (").ParamList(ids).Sql(")");
  tx.Exec(query);
}

void JobStore::Renew(db::Session& tx, std::string_view node, std::string_view lease_until) {
  tx.Exec(db::Query("UPDATE jobs SET locked_until = ")
              .Param(lease_until)
              .Sql(" WHERE status = 'running' AND locked_by = ")
              .Param(node));
}

std::optional<JobRecord> JobStore::FindById(db::Session& session, std::string_view id) {
  std::optional<JobRecord> job;
  session.First(db::Query(fmt::format("SELECT {} FROM jobs WHERE id = ", kRecordColumns)).Param(id),
                [&](const db::Row& row) { job = RecordFromRow(row); });
  return job;
}

core::Page JobStore::List(db::Session& session, std::optional<JobStatus> status,
                          const std::optional<std::string>& kind, const core::PageRequest& page) {
  const db::Engine engine = EngineOf(session);
  core::Page result;
  if (page.include_total) {
    db::Query count("SELECT count(*) FROM jobs");
    AppendFilter(count, status, kind);
    result.total = session.Scalar(count);
  }
  db::Query query("SELECT ");
  query.Sql(kRecordColumns);
  for (std::size_t i = 0; i < page.sort.size(); ++i) {
    query.Sql(fmt::format(", {} AS sort_{}", db::ColumnOf(kSortColumns, page.sort[i].field).expression, i));
  }
  query.Sql(" FROM jobs");
  AppendFilter(query, status, kind);
  db::AppendKeyset(query, engine, page.sort, kSortColumns, page.after);
  db::AppendOrderAndLimit(query, engine, page.sort, kSortColumns, page.limit + 1);
  int rows = 0;
  std::vector<std::string> last;
  session.ForEach(query, [&](const db::Row& row) {
    if (++rows > page.limit) return;
    result.data.push_back(RecordFromRow(row).ToJson());
    if (rows == page.limit) {
      last.clear();
      for (std::size_t i = 0; i < page.sort.size(); ++i) {
        last.push_back(row.Text(fmt::format("sort_{}", i)));
      }
    }
  });
  if (rows > page.limit) result.next_cursor = core::EncodeCursor(page.sort, last);
  return result;
}

bool JobStore::Requeue(db::Session& tx, std::string_view id, std::string_view now) {
  db::Query query(
      "UPDATE jobs SET attempts = CASE WHEN status = 'dead' THEN 0 ELSE attempts END, "
      "status = 'queued', locked_by = NULL, locked_until = NULL, finished_at = NULL, run_at = ");
  query.Param(now).Sql(", updated_at = ").Param(now).Sql(" WHERE id = ").Param(id);
  query.Sql(" AND (status = 'dead' OR (status = 'queued' AND attempts > 0 AND last_error IS NOT NULL))");
  return tx.Exec(query) > 0;
}

std::map<JobStatus, int64_t> JobStore::CountByStatus(db::Session& session) {
  std::map<JobStatus, int64_t> counts = {{JobStatus::kQueued, 0},
                                         {JobStatus::kRunning, 0},
                                         {JobStatus::kDone, 0},
                                         {JobStatus::kDead, 0}};
  // One count per status, each answered from that status's partial index.
  for (auto& [status, count] : counts) {
    count = session.Scalar(db::Query("SELECT count(*) FROM jobs WHERE status = ").Param(StatusName(status)));
  }
  return counts;
}

}  // namespace rapport::jobs
