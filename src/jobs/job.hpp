#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/time.hpp"

namespace rapport::jobs {

// A job's life: queued → running → done, or back to queued for a retry, or dead once it
// failed permanently or used up its attempts. A dead job goes back to queued only by an
// admin's retry (POST /api/v1/jobs/{id}/retry).
enum class JobStatus { kQueued, kRunning, kDone, kDead };

std::string_view StatusName(JobStatus status);
// nullopt for anything but "queued", "running", "done" or "dead".
std::optional<JobStatus> ParseStatus(std::string_view name);

// A kind names what a job does and which handler runs it: 1 to 64 characters of a-z, 0-9,
// '.', '_' and '-', starting with a letter, e.g. "email.send", "reminder.due".
bool IsValidKind(std::string_view kind);

constexpr int kDefaultMaxAttempts = 10;
constexpr std::size_t kMaxDedupeKeyBytes = 256;

// What to run, given to Enqueue().
struct JobSpec {
  std::string kind;
  // Stored as JSON text and handed back to the handler. Must be an object. Put ids in it,
  // not secrets or message bodies: admins can read payloads through the API.
  nlohmann::json payload = nlohmann::json::object();
  // At most one job ever exists per key (until the retention purge removes a finished one):
  // enqueueing a key that exists changes nothing and reports created = false. Also the
  // handle for Cancel() and Reschedule(). Non-empty, at most kMaxDedupeKeyBytes.
  std::optional<std::string> dedupe_key = std::nullopt;
  // Not before this instant; nullopt: as soon as the enqueueing transaction commits.
  std::optional<core::Timestamp> run_at = std::nullopt;
  // Attempts before the job is dead (retryable failures and expired leases both count);
  // 1 to 1000.
  int max_attempts = kDefaultMaxAttempts;
};

struct EnqueueResult {
  std::string id;        // the new job's id, or the existing job's when created is false
  bool created = false;  // false: a job with this dedupe_key already existed
};

// A claimed job as its handler sees it.
struct Job {
  std::string id;
  std::string kind;
  nlohmann::json payload;  // the JSON object given at Enqueue()
  std::optional<std::string> dedupe_key = std::nullopt;
  int attempt = 1;  // 1 on the first run; counts runs that were claimed, crashed ones included
  int max_attempts = kDefaultMaxAttempts;
  core::Timestamp run_at{};  // when it was due

  // True once the queue is stopping. A long handler may check it and return
  // Outcome::Retry() to hand the job back; a short one can ignore it.
  bool stop_requested() const { return stop != nullptr && stop->load(); }
  const std::atomic<bool>* stop = nullptr;  // owned by the queue
};

// What a handler reports.
class Outcome {
 public:
  enum class Kind { kDone, kRetry, kFail };

  // Finished: the job is done and never runs again.
  static Outcome Done() { return Outcome(Kind::kDone, {}, std::nullopt); }
  // Try again later: after `delay`, or after the queue's exponential backoff with jitter
  // when no delay is given. Dead instead when this was the last attempt. `message` becomes
  // the job's last_error (keep secrets and payload contents out of it).
  static Outcome Retry(std::string message = {},
                       std::optional<std::chrono::milliseconds> delay = std::nullopt) {
    return Outcome(Kind::kRetry, std::move(message), delay);
  }
  // Failed for good (bad payload, a record that no longer exists): dead at once.
  static Outcome Fail(std::string message) {
    return Outcome(Kind::kFail, std::move(message), std::nullopt);
  }

  Kind kind() const { return kind_; }
  const std::string& message() const { return message_; }
  const std::optional<std::chrono::milliseconds>& delay() const { return delay_; }

 private:
  Outcome(Kind kind, std::string message, std::optional<std::chrono::milliseconds> delay)
      : kind_(kind), message_(std::move(message)), delay_(delay) {}
  Kind kind_;
  std::string message_;
  std::optional<std::chrono::milliseconds> delay_;
};

// Runs one job. Called on a worker thread, possibly concurrently with other jobs of the same
// kind, and at least once per job: a job whose worker crashed (or lost its lease) runs
// again, so a handler must be idempotent (check the state it would change before changing
// it). An exception counts as Outcome::Retry(what()).
using Handler = std::function<Outcome(const Job& job)>;

// A row of the jobs table, as the admin API shows it.
struct JobRecord {
  std::string id;
  std::string kind;
  std::string payload;  // JSON text
  std::optional<std::string> dedupe_key = std::nullopt;
  JobStatus status = JobStatus::kQueued;
  int attempts = 0;
  int max_attempts = kDefaultMaxAttempts;
  std::string run_at;  // stored timestamps, RFC 3339 with milliseconds
  std::optional<std::string> locked_by;
  std::optional<std::string> locked_until;
  std::optional<std::string> last_error;
  std::string created_at;
  std::string updated_at;
  std::optional<std::string> finished_at;

  // {id, kind, payload (an object), dedupe_key, status, attempts, max_attempts, run_at,
  //  locked_by, locked_until, last_error, created_at, updated_at, finished_at}; timestamps at
  // seconds precision like every other resource.
  nlohmann::json ToJson() const;
};

}  // namespace rapport::jobs
