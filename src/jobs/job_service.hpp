#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/page.hpp"
#include "core/principal.hpp"
#include "core/result.hpp"
#include "db/database.hpp"
#include "jobs/job.hpp"

namespace rapport::jobs {

// Filters of GET /api/v1/jobs.
struct JobFilter {
  std::optional<JobStatus> status = std::nullopt;
  std::optional<std::string> kind = std::nullopt;
};

// Reads ?status and ?kind through `query` (nullopt when absent). BadRequest names the
// parameter: a status that is not queued|running|done|dead, a kind that is not a valid kind.
core::Result<JobFilter> ParseJobFilter(
    const std::function<std::optional<std::string_view>(std::string_view)>& query);

inline const std::vector<std::string_view> kJobSortFields = {"created_at", "run_at",
                                                             "updated_at"};
constexpr std::string_view kDefaultJobSort = "-created_at";

// The admin view of the queue. Every call requires an admin principal (Forbidden
// otherwise, managers and agents included). Thread-safe.
class JobService {
 public:
  explicit JobService(db::Database& database) : database_(database) {}

  // A page of jobs, newest first unless `page.sort` says otherwise.
  core::Result<core::Page> List(const core::Principal& principal, const JobFilter& filter,
                                const core::PageRequest& page) const;

  // NotFound for an unknown (or malformed) id.
  core::Result<JobRecord> Get(const core::Principal& principal, std::string_view id) const;

  // Queues a job again to run now: a dead job starts over with a fresh set of attempts
  // (last_error kept); a queued job that has failed before and waits out its backoff runs
  // now. Conflict for any other job (queued and never failed, running, done); NotFound
  // for an unknown id.
  core::Result<JobRecord> Retry(const core::Principal& principal, std::string_view id) const;

  // Jobs by status (every status present, 0 when none), for the metrics gauge. No
  // authorization: not reachable from a request.
  std::map<JobStatus, int64_t> CountByStatus() const;

 private:
  db::Database& database_;
};

}  // namespace rapport::jobs
