#include "jobs/job_queue.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <random>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "core/ids.hpp"
#include "core/text.hpp"
#include "db/listener.hpp"
#include "jobs/job_store.hpp"

namespace rapport::jobs {

namespace {

using SteadyClock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr std::string_view kChannel = "rapport_jobs";
constexpr std::size_t kMaxErrorBytes = 1000;
// Handlers faster than this (moving average) let the queue claim a whole batch ahead.
constexpr double kQuickHandlerMs = 50;
// The earliest a re-claim is attempted after a claim came back short, so that rows another
// claimer holds for a moment do not make the dispatcher spin.
constexpr milliseconds kMinRecheck{20};
constexpr int kStopWriteAttempts = 3;

// Queues of this process, woken after a transaction that enqueued commits.
std::mutex& RegistryMutex() {
  static std::mutex mutex;
  return mutex;
}
std::vector<JobQueue*>& Registry() {
  static std::vector<JobQueue*> queues;
  return queues;
}

void WakeLocalQueues() {
  std::lock_guard lock(RegistryMutex());
  for (JobQueue* queue : Registry()) queue->Notify();
}

void Log(spdlog::logger& log, spdlog::level::level_enum level, std::string_view level_name,
         nlohmann::json fields) {
  nlohmann::json line = {{"ts", StoredTime(core::Now())}, {"level", level_name}};
  line.update(fields);
  log.log(level, line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

// An error message fit for last_error and logs: valid UTF-8 (PostgreSQL refuses anything
// else, which would fail the whole batch), no NUL bytes, bounded length.
std::string CleanError(std::string_view message) {
  std::string text(message.substr(0, kMaxErrorBytes));
  if (!core::IsValidUtf8(text)) {
    for (char& c : text) {
      if (static_cast<unsigned char>(c) >= 0x80) c = '?';
    }
  }
  std::replace(text.begin(), text.end(), '\0', ' ');
  return text;
}

std::string DefaultNodeId() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  std::random_device random;
  return fmt::format("{}:{}:{:06x}", host, ::getpid(), random() & 0xffffff);
}

void Validate(const JobSpec& spec) {
  if (!IsValidKind(spec.kind)) {
    throw std::invalid_argument(fmt::format("job kind '{}' is not a valid kind", spec.kind));
  }
  if (!spec.payload.is_object()) throw std::invalid_argument("job payload must be a JSON object");
  if (spec.dedupe_key && (spec.dedupe_key->empty() || spec.dedupe_key->size() > kMaxDedupeKeyBytes ||
                          !core::IsValidUtf8(*spec.dedupe_key))) {
    throw std::invalid_argument("job dedupe_key must be 1 to 256 bytes of UTF-8");
  }
  if (spec.max_attempts < 1 || spec.max_attempts > 1000) {
    throw std::invalid_argument("job max_attempts must be 1 to 1000");
  }
}

}  // namespace

void WakeAfterCommit(db::Session& tx) {
  static const int kKey = 0;
  if (!tx.AfterCommit(&WakeLocalQueues, &kKey)) return;
  // Delivered to every listening node when the transaction commits, never before.
  if (!tx.is_sqlite()) {
    tx.Scalar(db::Query("SELECT count(*) FROM (SELECT pg_notify(").Param(kChannel).Sql(", '')) AS n"));
  }
}

EnqueueResult Enqueue(db::Session& tx, const JobSpec& spec) {
  Validate(spec);
  const core::Timestamp now = core::Now();
  const std::string created = StoredTime(now);
  EnqueueResult result{core::NewId(), true};
  db::Query insert(
      "INSERT INTO jobs (id, kind, payload, dedupe_key, status, run_at, attempts, max_attempts, "
      "created_at, updated_at) VALUES (");
  insert.Param(result.id).Sql(", ").Param(spec.kind).Sql(", ");
  insert.Param(spec.payload.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  insert.Sql(", ").Param(spec.dedupe_key).Sql(", 'queued', ");
  insert.Param(spec.run_at ? StoredTime(*spec.run_at) : created).Sql(", 0, ");
  insert.Param(spec.max_attempts).Sql(", ").Param(created).Sql(", ").Param(created);
  // A duplicate dedupe_key is not an error, and must not abort a PostgreSQL transaction.
  insert.Sql(") ON CONFLICT DO NOTHING");
  if (tx.Exec(insert) == 0) {
    if (!spec.dedupe_key) throw std::logic_error("job insert changed nothing");
    result.created = false;
    tx.First(db::Query("SELECT id FROM jobs WHERE dedupe_key = ").Param(*spec.dedupe_key),
             [&](const db::Row& row) { result.id = row.Text("id"); });
    return result;
  }
  WakeAfterCommit(tx);
  return result;
}

bool Cancel(db::Session& tx, std::string_view dedupe_key) {
  return tx.Exec(db::Query("DELETE FROM jobs WHERE status = 'queued' AND dedupe_key = ")
                     .Param(dedupe_key)) > 0;
}

bool Reschedule(db::Session& tx, std::string_view dedupe_key, core::Timestamp run_at) {
  const bool moved = tx.Exec(db::Query("UPDATE jobs SET run_at = ")
                                 .Param(StoredTime(run_at))
                                 .Sql(", updated_at = ")
                                 .Param(StoredTime(core::Now()))
                                 .Sql(" WHERE status = 'queued' AND dedupe_key = ")
                                 .Param(dedupe_key)) > 0;
  if (moved) WakeAfterCommit(tx);  // it may be due sooner than the queue expects
  return moved;
}

// What became of a claimed job, waiting to be written.
struct Finished {
  enum class Kind { kDone, kRetry, kDead, kRelease };
  Kind kind = Kind::kDone;
  std::string id;
  std::string job_kind;
  int attempt = 0;
  int max_attempts = 0;
  std::string error;
  std::optional<milliseconds> delay;
};

struct JobQueue::Impl {
  struct Recurring {
    std::string kind;
    std::chrono::seconds period;
    int64_t enqueued = -1;  // the last period whose job this queue made sure of
  };

  Impl(db::Database& d, QueueOptions o, std::shared_ptr<spdlog::logger> l)
      : database(d), options(std::move(o)), log(l ? std::move(l) : spdlog::default_logger()) {
    if (options.node_id.empty()) options.node_id = DefaultNodeId();
    options.batch_size = std::max(1, options.batch_size);
    if (options.lease < milliseconds(300)) options.lease = milliseconds(300);
    random.seed(std::random_device{}());
  }

  void Register(std::string kind, Handler handler) {
    if (!IsValidKind(kind)) {
      throw std::invalid_argument(fmt::format("job kind '{}' is not a valid kind", kind));
    }
    std::lock_guard lock(mutex);
    if (started) throw std::logic_error("job handlers must be registered before Start()");
    if (!handlers.emplace(kind, std::move(handler)).second) {
      throw std::logic_error(fmt::format("a handler for job kind '{}' exists", kind));
    }
    kinds.push_back(std::move(kind));
    std::sort(kinds.begin(), kinds.end());
  }

  // How many jobs this process should hold: a batch ahead while handlers are quick, else
  // only what idle workers can start.
  int Target() const {
    return average_ms < kQuickHandlerMs ? std::max(options.batch_size, options.workers)
                                        : options.workers;
  }

  milliseconds Backoff(int attempt) {
    const double base = static_cast<double>(options.backoff_base.count());
    const double cap = static_cast<double>(options.backoff_cap.count());
    const double full = std::min(cap, base * std::pow(2.0, std::min(attempt - 1, 40)));
    std::uniform_real_distribution<double> half(full / 2, full);
    return milliseconds(static_cast<int64_t>(half(random)));
  }

  Finished Run(const Job& job) {
    Finished finished{Finished::Kind::kDone, job.id, job.kind, job.attempt, job.max_attempts, {}, {}};
    try {
      Outcome outcome = handlers.at(job.kind)(job);
      switch (outcome.kind()) {
        case Outcome::Kind::kDone:
          break;
        case Outcome::Kind::kRetry:
          finished.kind = Finished::Kind::kRetry;
          finished.error = CleanError(outcome.message().empty() ? "retry requested" : outcome.message());
          finished.delay = outcome.delay();
          break;
        case Outcome::Kind::kFail:
          finished.kind = Finished::Kind::kDead;
          finished.error = CleanError(outcome.message().empty() ? "failed" : outcome.message());
          break;
      }
    } catch (const std::exception& e) {
      finished.kind = Finished::Kind::kRetry;
      finished.error = CleanError(e.what());
      LogThrown(job, finished.error);
    } catch (...) {
      finished.kind = Finished::Kind::kRetry;
      finished.error = "unknown exception";
      LogThrown(job, finished.error);
    }
    return finished;
  }

  // Once per exception, with the message only: payloads never reach the log.
  void LogThrown(const Job& job, const std::string& error) {
    Log(*log, spdlog::level::warn, "warn",
        {{"event", "job_handler_threw"}, {"job_id", job.id}, {"kind", job.kind},
         {"attempt", job.attempt}, {"error", error}});
  }

  void WorkerLoop() {
    for (;;) {
      Job job;
      {
        std::unique_lock lock(mutex);
        worker_wakeup.wait(lock, [&] { return stopping || !ready.empty(); });
        if (stopping) return;  // jobs not started are handed back by the dispatcher
        job = std::move(ready.front());
        ready.pop_front();
        ++running;
      }
      const auto started_at = SteadyClock::now();
      Finished finished = Run(job);
      const double ms =
          std::chrono::duration<double, std::milli>(SteadyClock::now() - started_at).count();
      bool settle = false;
      {
        std::lock_guard lock(mutex);
        --running;
        finished_jobs.push_back(std::move(finished));
        average_ms = average_ms * 0.8 + ms * 0.2;
        settle = ShouldSettle();
      }
      if (settle) dispatcher_wakeup.notify_one();
    }
  }

  void ListenLoop() {
    while (!stop.load()) {
      if (listener->Wait(std::chrono::seconds(5))) Notify();
    }
  }

  void Notify() {
    {
      std::lock_guard lock(mutex);
      wake = true;
    }
    dispatcher_wakeup.notify_one();
  }

  void WriteOutcomes(db::Session& tx, const std::vector<Finished>& outcomes,
                     core::Timestamp now, const std::string& now_text) {
    std::vector<std::string> done;
    std::vector<std::string> released;
    for (const Finished& f : outcomes) {
      switch (f.kind) {
        case Finished::Kind::kDone:
          done.push_back(f.id);
          break;
        case Finished::Kind::kRelease:
          released.push_back(f.id);
          break;
        case Finished::Kind::kRetry:
          if (f.attempt < f.max_attempts) {
            const milliseconds delay = f.delay ? std::max(milliseconds(0), *f.delay) : Backoff(f.attempt);
            JobStore::MarkRetry(tx, options.node_id, f.id, StoredTime(now + delay), f.error, now_text);
            break;
          }
          [[fallthrough]];
        case Finished::Kind::kDead:
          JobStore::MarkDead(tx, options.node_id, f.id, f.error, now_text);
          break;
      }
    }
    JobStore::MarkDone(tx, options.node_id, done, now_text);
    JobStore::Release(tx, options.node_id, released, now_text);
  }

  void LogDead(const std::vector<Finished>& outcomes) {
    for (const Finished& f : outcomes) {
      const bool dead = f.kind == Finished::Kind::kDead ||
                        (f.kind == Finished::Kind::kRetry && f.attempt >= f.max_attempts);
      if (!dead) continue;
      Log(*log, spdlog::level::warn, "warn",
          {{"event", "job_dead"}, {"job_id", f.id}, {"kind", f.job_kind},
           {"attempts", f.attempt}, {"error", f.error}});
    }
  }

  static int64_t PeriodOf(core::Timestamp now, std::chrono::seconds period) {
    const int64_t seconds = std::chrono::floor<std::chrono::seconds>(now).time_since_epoch().count();
    return seconds / period.count();
  }

  void DispatchLoop() {
    auto next_poll = SteadyClock::now() + options.poll_interval;
    auto next_renew = SteadyClock::now() + options.lease / 3;
    auto next_due = SteadyClock::time_point::max();  // max: no queued job known to fall due
    int stop_failures = 0;
    bool failing = false;
    for (;;) {
      std::vector<Finished> outcomes;
      int want = 0;
      bool renew = false;
      bool stopping_now = false;
      {
        std::unique_lock lock(mutex);
        const auto capacity = [&] { return Target() - static_cast<int>(in_hand.size()); };
        auto deadline = std::min(next_poll, next_renew);
        deadline = std::min(deadline, next_due);
        if (!recurring.empty()) deadline = std::min(deadline, NextPeriodStart());
        dispatcher_wakeup.wait_until(lock, deadline, [&] {
          if (stopping) return !finished_jobs.empty() || !ready.empty() || running == 0;
          if (ShouldSettle()) return true;
          return wake && capacity() > 0;
        });
        const auto now = SteadyClock::now();
        if (now >= next_poll) {
          wake = true;  // the fallback for wake-ups that never came
          next_poll = now + options.poll_interval;
        }
        if (now >= next_due) {
          wake = true;
          next_due = SteadyClock::time_point::max();
        }
        stopping_now = stopping;
        outcomes.swap(finished_jobs);
        if (stopping_now) {
          for (Job& job : ready) {
            outcomes.push_back({Finished::Kind::kRelease, job.id, job.kind, job.attempt,
                                job.max_attempts, {}, {}});
          }
          ready.clear();
        } else if (wake && capacity() > 0) {
          want = kinds.empty() ? 0 : capacity();
          wake = false;
        }
        renew = !in_hand.empty() && now >= next_renew;
        // With nothing to renew, the renewal time moves on too: left in the past it would make
        // every wait return at once (a busy loop while idle).
        if (in_hand.empty() && now >= next_renew) next_renew = now + options.lease / 3;
      }

      const core::Timestamp now = core::Now();
      std::vector<std::size_t> due_recurring;
      if (!stopping_now) {
        for (std::size_t i = 0; i < recurring.size(); ++i) {
          if (recurring[i].enqueued != PeriodOf(now, recurring[i].period)) due_recurring.push_back(i);
        }
      }
      if (outcomes.empty() && want == 0 && !renew && due_recurring.empty()) {
        if (stopping_now && Idle()) return;
        continue;
      }

      std::vector<Job> claimed;
      std::optional<std::string> next_run_at;
      try {
        const std::string now_text = StoredTime(now);
        const std::string lease_until = StoredTime(now + options.lease);
        database.Apply([&](db::Session& tx) {
          claimed.clear();
          next_run_at.reset();
          JobStore::PreferIndexes(tx);
          WriteOutcomes(tx, outcomes, now, now_text);
          if (renew) JobStore::Renew(tx, options.node_id, lease_until);
          for (std::size_t i : due_recurring) {
            const Recurring& task = recurring[i];
            const int64_t period = PeriodOf(now, task.period);
            const core::Timestamp start{std::chrono::seconds(period * task.period.count())};
            Enqueue(tx, {.kind = task.kind,
                         .payload = {{"period_start", core::FormatTimestamp(start)},
                                     {"period_seconds", task.period.count()}},
                         .dedupe_key = fmt::format("every:{}:{}", task.kind, period),
                         .run_at = start});
          }
          if (want > 0) {
            claimed = JobStore::Claim(tx, kinds, options.node_id, want, now_text, lease_until);
            if (static_cast<int>(claimed.size()) < want) next_run_at = JobStore::NextRunAt(tx, kinds);
          }
        });
      } catch (const std::exception& e) {
        if (!failing) {
          Log(*log, spdlog::level::err, "error",
              {{"event", "job_queue_error"}, {"error", CleanError(e.what())}});
        }
        failing = true;
        std::unique_lock lock(mutex);
        if (stopping_now && ++stop_failures >= kStopWriteAttempts) {
          // Their leases run out and another queue (or the next start) takes them over.
          return;
        }
        // Nothing was written: keep the outcomes for the next attempt, claim again later.
        for (Finished& f : outcomes) finished_jobs.push_back(std::move(f));
        wake = true;
        dispatcher_wakeup.wait_for(lock, options.poll_interval, [&] { return stopping && !stopping_now; });
        continue;
      }
      if (failing) Log(*log, spdlog::level::info, "info", {{"event", "job_queue_recovered"}});
      failing = false;
      LogDead(outcomes);
      for (const Finished& f : outcomes) in_hand.erase(f.id);
      if (renew) next_renew = SteadyClock::now() + options.lease / 3;
      for (std::size_t i : due_recurring) recurring[i].enqueued = PeriodOf(now, recurring[i].period);

      std::vector<Finished> expired;
      std::vector<Job> fresh;
      for (Job& job : claimed) {
        // Still running here under a lease that lapsed: the running copy's outcome settles it.
        if (!in_hand.insert(job.id).second) continue;
        if (job.attempt > job.max_attempts) {
          // Its worker died during the last attempt.
          expired.push_back({Finished::Kind::kDead, job.id, job.kind, job.max_attempts,
                             job.max_attempts, "lease expired on the last attempt", {}});
          continue;
        }
        job.stop = &stop;
        fresh.push_back(std::move(job));
      }
      if (next_run_at) {
        if (auto at = core::ParseTimestamp(*next_run_at)) {
          const auto until = std::chrono::duration_cast<milliseconds>(*at - core::Now());
          next_due = SteadyClock::now() + std::max(kMinRecheck, until);
        }
      }
      {
        std::lock_guard lock(mutex);
        for (Job& job : fresh) ready.push_back(std::move(job));
        for (Finished& f : expired) finished_jobs.push_back(std::move(f));
        if (want > 0 && static_cast<int>(claimed.size()) == want) wake = true;  // maybe more
        if (stopping_now && Idle()) return;
      }
      if (!fresh.empty()) worker_wakeup.notify_all();
    }
  }

  // Requires mutex: whether the outcomes waiting should be written now. Quick jobs settle in
  // halves of a batch: the dispatcher writes one half and claims its replacement while the
  // workers run the other, so one commit serves many jobs and the workers never wait for it.
  bool ShouldSettle() const {
    if (finished_jobs.empty()) return false;
    if (stopping || ready.empty()) return true;
    return static_cast<int>(finished_jobs.size()) >= std::max(1, Target() / 2);
  }

  // Requires mutex: nothing left to run or write.
  bool Idle() const { return running == 0 && ready.empty() && finished_jobs.empty(); }

  SteadyClock::time_point NextPeriodStart() const {
    const core::Timestamp now = core::Now();
    core::Timestamp next = core::Timestamp::max();
    for (const Recurring& task : recurring) {
      const core::Timestamp start{std::chrono::seconds((PeriodOf(now, task.period) + 1) * task.period.count())};
      next = std::min(next, start);
    }
    return SteadyClock::now() + std::chrono::duration_cast<milliseconds>(next - now);
  }

  db::Database& database;
  QueueOptions options;
  std::shared_ptr<spdlog::logger> log;
  std::unordered_map<std::string, Handler> handlers;  // fixed once started
  std::vector<std::string> kinds;                     // sorted keys of handlers
  std::vector<Recurring> recurring;                   // dispatcher only once started
  std::unordered_set<std::string> in_hand;            // dispatcher only: claimed, not settled
  std::mt19937_64 random;                             // dispatcher only
  std::atomic<bool> stop{false};                      // read by handlers through Job::stop

  std::mutex mutex;
  std::condition_variable dispatcher_wakeup;
  std::condition_variable worker_wakeup;
  bool started = false;              // guarded by mutex
  bool stopping = false;             // guarded by mutex
  bool wake = true;                  // guarded by mutex: claim at the next chance
  std::deque<Job> ready;             // guarded by mutex: claimed, not started
  std::vector<Finished> finished_jobs;  // guarded by mutex: outcomes not yet written
  int running = 0;                   // guarded by mutex
  double average_ms = 0;             // guarded by mutex: moving average of handler time

  std::thread dispatcher;
  std::vector<std::thread> workers;
  std::unique_ptr<db::Listener> listener;
  std::thread listen_thread;
};

JobQueue::JobQueue(db::Database& database, QueueOptions options,
                   std::shared_ptr<spdlog::logger> log)
    : impl_(std::make_unique<Impl>(database, std::move(options), std::move(log))) {}

JobQueue::~JobQueue() { Stop(); }

const std::string& JobQueue::node_id() const { return impl_->options.node_id; }

void JobQueue::Handle(std::string kind, Handler handler) {
  impl_->Register(std::move(kind), std::move(handler));
}

void JobQueue::Every(std::string kind, std::chrono::seconds period, Handler handler) {
  if (period < std::chrono::seconds(1)) throw std::invalid_argument("a recurring period must be at least 1 s");
  impl_->Register(kind, std::move(handler));
  std::lock_guard lock(impl_->mutex);
  impl_->recurring.push_back({std::move(kind), period, -1});
}

void JobQueue::Start() {
  Impl& impl = *impl_;
  {
    std::lock_guard lock(impl.mutex);
    if (impl.started) return;
    impl.started = true;
  }
  if (impl.options.workers <= 0) return;
  {
    std::lock_guard lock(RegistryMutex());
    Registry().push_back(this);
  }
  for (int i = 0; i < impl.options.workers; ++i) {
    impl.workers.emplace_back([&impl] { impl.WorkerLoop(); });
  }
  impl.dispatcher = std::thread([&impl] { impl.DispatchLoop(); });
  if (impl.database.engine() == db::Engine::kPostgres) {
    impl.listener = std::make_unique<db::Listener>(impl.database, std::vector<std::string>{std::string(kChannel)});
    impl.listen_thread = std::thread([&impl] { impl.ListenLoop(); });
  }
}

void JobQueue::Stop() {
  Impl& impl = *impl_;
  {
    std::lock_guard lock(impl.mutex);
    if (!impl.started || impl.stopping) return;
    impl.stopping = true;
    impl.stop = true;
  }
  {
    std::lock_guard lock(RegistryMutex());
    auto& queues = Registry();
    queues.erase(std::remove(queues.begin(), queues.end(), this), queues.end());
  }
  impl.worker_wakeup.notify_all();
  impl.dispatcher_wakeup.notify_all();
  if (impl.listener) impl.listener->Interrupt();
  if (impl.listen_thread.joinable()) impl.listen_thread.join();
  for (auto& worker : impl.workers) worker.join();
  impl.workers.clear();
  impl.dispatcher_wakeup.notify_all();
  if (impl.dispatcher.joinable()) impl.dispatcher.join();
}

void JobQueue::Notify() { impl_->Notify(); }

}  // namespace rapport::jobs
