#include "jobs/maintenance.hpp"

#include <nlohmann/json.hpp>

#include "jobs/job_store.hpp"

namespace rapport::jobs {

PurgeCounts Purge(db::Session& tx, const MaintenanceOptions& options, core::Timestamp now) {
  PurgeCounts counts;
  // The core tables keep seconds-precision timestamps; the jobs table milliseconds.
  counts.idempotency_keys =
      tx.Exec(db::Query("DELETE FROM idempotency_keys WHERE created_at < ")
                  .Param(core::FormatTimestamp(now - options.idempotency_retention)));
  counts.login_failures =
      tx.Exec(db::Query("DELETE FROM login_failures WHERE failed_at < ")
                  .Param(core::FormatTimestamp(now - options.login_failure_retention)));
  counts.refresh_tokens = tx.Exec(db::Query("DELETE FROM refresh_tokens WHERE expires_at < ")
                                      .Param(core::FormatTimestamp(now)));
  counts.done_jobs =
      tx.Exec(db::Query("DELETE FROM jobs WHERE status = 'done' AND finished_at < ")
                  .Param(StoredTime(now - options.done_retention)));
  return counts;
}

void RegisterMaintenance(JobQueue& queue, db::Database& database,
                         const MaintenanceOptions& options) {
  queue.Every(std::string(kMaintenanceKind), options.interval, [&database, options](const Job&) {
    // Deleting is idempotent: a second run of the same period finds less to delete.
    database.Apply([&](db::Session& tx) { Purge(tx, options, core::Now()); });
    return Outcome::Done();
  });
}

}  // namespace rapport::jobs
