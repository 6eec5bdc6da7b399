#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "core/time.hpp"
#include "db/database.hpp"
#include "jobs/job.hpp"

namespace spdlog {
class logger;
}

namespace rapport::jobs {

// --- Producing jobs: inside the caller's own transaction (the outbox pattern) ------------
//
//   database.Write([&](db::Session& tx) -> core::Result<Reminder> {
//     ... the business write ...
//     jobs::Enqueue(tx, {.kind = "reminder.due", .payload = {{"interaction_id", id}},
//                        .dedupe_key = "reminder:" + id, .run_at = remind_at});
//     return reminder;
//   });
//
// The job exists exactly when the transaction commits; a rolled-back transaction leaves no
// job. After the commit the queues of this process are woken (no Notify() call needed), and
// on PostgreSQL every node's queue through NOTIFY.

// Inserts a queued job. With a dedupe_key that already exists nothing changes and the
// result says created = false, giving the existing job's id; the transaction stays usable
// on both engines (INSERT ... ON CONFLICT DO NOTHING). Throws std::invalid_argument for a
// spec that breaks the rules in job.hpp (a programming error), db::DatabaseError when the
// database fails.
EnqueueResult Enqueue(db::Session& tx, const JobSpec& spec);

// Removes the queued job with this dedupe key (its key can then be enqueued again). Returns
// false when there is none: no such key, or the job is already running, done or dead
// (a running job cannot be recalled; its handler should check the state it acts on).
bool Cancel(db::Session& tx, std::string_view dedupe_key);

// Moves the queued job with this dedupe key to `run_at`. Returns false when there is no
// queued job with that key (as for Cancel).
bool Reschedule(db::Session& tx, std::string_view dedupe_key, core::Timestamp run_at);

// --- Running jobs ----------------------------------------------------------------------

struct QueueOptions {
  int workers = 2;  // handler threads; 0: this process runs no jobs and no schedules
  // Fallback when no wake-up arrives (another process's enqueue on SQLite, a lost NOTIFY).
  std::chrono::milliseconds poll_interval{500};
  // How long a claim holds a job. A live queue extends the leases of its jobs every lease/3,
  // so a handler may run longer; the lease only runs out when the process dies or hangs,
  // and then another queue (or this one after a restart) runs the job again.
  std::chrono::milliseconds lease{30'000};
  // Most jobs claimed in one transaction (and held by this process at once) while handlers
  // are quick; with slow handlers the queue claims only for idle workers.
  int batch_size = 32;
  // Retry delay after failed attempt n: min(cap, base * 2^(n-1)), the upper half of it
  // drawn at random (so retries of many jobs spread out).
  std::chrono::milliseconds backoff_base{2'000};
  std::chrono::milliseconds backoff_cap{3'600'000};
  // Written to locked_by; default "<hostname>:<pid>:<random>", unique per queue object.
  std::string node_id;
};

// The worker pool of one process: claims due jobs of the kinds it has handlers for (a kind
// without a handler here is left queued for a process that has one), runs them on
// `workers` threads, records the outcomes, and creates the jobs of recurring tasks.
//
// Claims, outcomes and lease renewals of many jobs share one write transaction, so on
// SQLite a batch costs one group commit. Wake-ups: local enqueues after commit, PostgreSQL
// LISTEN/NOTIFY across nodes, and `poll_interval` as the fallback; a job due in the future
// is claimed when it falls due (the queue sleeps until the earliest known run_at).
//
// Thread-safe after Start(). Handle() and Every() must be called before Start().
class JobQueue {
 public:
  JobQueue(db::Database& database, QueueOptions options, std::shared_ptr<spdlog::logger> log);
  ~JobQueue();  // Stop()
  JobQueue(const JobQueue&) = delete;
  JobQueue& operator=(const JobQueue&) = delete;

  // Registers the handler of `kind`. Throws std::invalid_argument for an invalid kind,
  // std::logic_error for a second handler of one kind or a call after Start().
  void Handle(std::string kind, Handler handler);

  // A recurring task: registers `handler` for `kind` and makes sure one job of `kind` exists
  // per `period` (periods are aligned to the Unix epoch: [k*period, (k+1)*period)). Every
  // process sharing the database may do this; the dedupe key "every:<kind>:<k>" lets only
  // the first enqueue of period k create a job, so the task runs once per period across all
  // of them (at-least-once like any job). Missed periods are not caught up: after downtime
  // the current period's job runs once. Same errors as Handle(); `period` must be ≥ 1 s.
  void Every(std::string kind, std::chrono::seconds period, Handler handler);

  // Starts the workers (none when options.workers is 0). Idempotent.
  void Start();

  // Stops claiming, hands back the claimed jobs that have not started (queued again, no
  // attempt used), waits for running handlers to finish (they see Job::stop_requested()),
  // records their outcomes, and joins the threads. Idempotent; called by the destructor.
  void Stop();

  // Wakes the queue to claim now. Enqueue() already does this after its commit; call it
  // only after changing jobs by other means.
  void Notify();

  // The locked_by value of this queue's claims.
  const std::string& node_id() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace rapport::jobs
