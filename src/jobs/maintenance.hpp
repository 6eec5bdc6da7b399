#pragma once

#include <chrono>
#include <cstdint>

#include "core/time.hpp"
#include "db/database.hpp"
#include "jobs/job_queue.hpp"

namespace rapport::jobs {

constexpr std::string_view kMaintenanceKind = "maintenance.purge";

struct MaintenanceOptions {
  std::chrono::seconds interval{3600};           // how often the purge runs
  std::chrono::hours done_retention{24 * 7};     // done jobs older than this go
  std::chrono::hours idempotency_retention{24};  // Idempotency-Key replays are kept this long
  std::chrono::minutes login_failure_retention{24 * 60};  // throttling looks back 15 minutes
};

struct PurgeCounts {
  int64_t idempotency_keys = 0;
  int64_t login_failures = 0;
  int64_t refresh_tokens = 0;  // expired ones
  int64_t done_jobs = 0;
};

// Deletes, as of `now`: idempotency keys and login failures older than their retention,
// refresh tokens past expires_at, and done jobs finished before now - done_retention.
// Dead jobs are kept for an admin to look at. Runs in the caller's transaction.
PurgeCounts Purge(db::Session& tx, const MaintenanceOptions& options, core::Timestamp now);

// Registers the purge as the recurring task kMaintenanceKind on `queue` (before Start()).
void RegisterMaintenance(JobQueue& queue, db::Database& database,
                         const MaintenanceOptions& options);

}  // namespace rapport::jobs
