#include "jobs/job_service.hpp"

#include "core/time.hpp"
#include "jobs/job_store.hpp"

namespace rapport::jobs {

namespace {

core::Status RequireAdmin(const core::Principal& principal) {
  if (!principal.is_admin()) return core::Error::Forbidden("the job queue is for admins only");
  return core::Ok{};
}

}  // namespace

core::Result<JobFilter> ParseJobFilter(
    const std::function<std::optional<std::string_view>(std::string_view)>& query) {
  JobFilter filter;
  if (auto status = query("status")) {
    filter.status = ParseStatus(*status);
    if (!filter.status) {
      return core::Error::BadRequest("status", "must be queued, running, done or dead");
    }
  }
  if (auto kind = query("kind")) {
    if (!IsValidKind(*kind)) {
      return core::Error::BadRequest(
          "kind", "must be 1 to 64 characters of a-z, 0-9, '.', '_' or '-', starting with a letter");
    }
    filter.kind = std::string(*kind);
  }
  return filter;
}

core::Result<core::Page> JobService::List(const core::Principal& principal,
                                          const JobFilter& filter,
                                          const core::PageRequest& page) const {
  if (auto allowed = RequireAdmin(principal); !allowed) return allowed.error();
  return database_.Read(
      [&](db::Session& session) { return JobStore::List(session, filter.status, filter.kind, page); });
}

core::Result<JobRecord> JobService::Get(const core::Principal& principal, std::string_view id) const {
  if (auto allowed = RequireAdmin(principal); !allowed) return allowed.error();
  auto job = database_.Read([&](db::Session& session) { return JobStore::FindById(session, id); });
  if (!job) return core::Error::NotFound("job", id);
  return std::move(*job);
}

core::Result<JobRecord> JobService::Retry(const core::Principal& principal,
                                          std::string_view id) const {
  if (auto allowed = RequireAdmin(principal); !allowed) return allowed.error();
  return database_.Write([&](db::Session& tx) -> core::Result<JobRecord> {
    const bool requeued = JobStore::Requeue(tx, id, StoredTime(core::Now()));
    auto job = JobStore::FindById(tx, id);
    if (!job) return core::Error::NotFound("job", id);
    if (!requeued) {
      return core::Error::Conflict(
          "only a dead job, or a queued one waiting to retry after a failure, can be retried; "
          "this one is " + std::string(StatusName(job->status)));
    }
    WakeAfterCommit(tx);
    return std::move(*job);
  });
}

std::map<JobStatus, int64_t> JobService::CountByStatus() const {
  return database_.Read([](db::Session& session) { return JobStore::CountByStatus(session); });
}

}  // namespace rapport::jobs
