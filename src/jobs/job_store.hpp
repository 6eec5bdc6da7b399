#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/page.hpp"
#include "core/time.hpp"
#include "db/database.hpp"
#include "jobs/job.hpp"

namespace rapport::jobs {

// Stored job timestamps: RFC 3339 UTC with milliseconds, fixed width
// ("2026-11-22T14:00:00.250Z"), so they compare as text.
std::string StoredTime(core::Timestamp t);

// Wakes this process's queues once `tx` commits; on PostgreSQL also NOTIFYs every node.
// Once per transaction however often it is called.
void WakeAfterCommit(db::Session& tx);

// The SQL of the jobs table. Every method runs in the session it is given; none commits.
class JobStore {
 public:
  // For the queue's own transactions, first thing: on PostgreSQL, makes the planner use the
  // indexes even when its statistics are stale (a no-op on SQLite).
  static void PreferIndexes(db::Session& tx);

  // Marks up to `limit` jobs of `kinds` as running under `node` until `lease_until` (attempts
  // + 1) and returns them, oldest run_at first: first running jobs whose lease ran out
  // before `now`, then queued jobs due by `now`. PostgreSQL skips rows other claimers hold.
  static std::vector<Job> Claim(db::Session& tx, const std::vector<std::string>& kinds,
                                std::string_view node, int limit, std::string_view now,
                                std::string_view lease_until);
  // The earliest run_at of queued jobs of `kinds`, if any.
  static std::optional<std::string> NextRunAt(db::Session& tx,
                                              const std::vector<std::string>& kinds);
  // Outcomes of jobs `node` holds; rows another node has taken over are left alone.
  static void MarkDone(db::Session& tx, std::string_view node, const std::vector<std::string>& ids,
                       std::string_view now);
  static void MarkRetry(db::Session& tx, std::string_view node, std::string_view id,
                        std::string_view run_at, std::string_view error, std::string_view now);
  static void MarkDead(db::Session& tx, std::string_view node, std::string_view id,
                       std::string_view error, std::string_view now);
  // Back to queued without using an attempt (claimed, never started).
  static void Release(db::Session& tx, std::string_view node, const std::vector<std::string>& ids,
                      std::string_view now);
  // Extends every lease `node` holds.
  static void Renew(db::Session& tx, std::string_view node, std::string_view lease_until);

  static std::optional<JobRecord> FindById(db::Session& session, std::string_view id);
  static core::Page List(db::Session& session, std::optional<JobStatus> status,
                         const std::optional<std::string>& kind, const core::PageRequest& page);
  // Dead → queued with attempts 0; a queued job with a failed attempt → due now. False when
  // the job is in neither state (or does not exist).
  static bool Requeue(db::Session& tx, std::string_view id, std::string_view now);
  static std::map<JobStatus, int64_t> CountByStatus(db::Session& session);
};

}  // namespace rapport::jobs
