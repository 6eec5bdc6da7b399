#include "jobs/job_queue.hpp"

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>

#include "db/listener.hpp"
#include "jobs/test_support.hpp"

namespace rapport::jobs {
namespace {

using namespace std::chrono_literals;
using test::FastOptions;
using test::QuietLogger;
using test::WaitFor;

class JobQueueTest : public test::JobsTest {
 protected:
  // Adds a row to app_settings (a business write) and enqueues in the same transaction.
  core::Status WriteWithJob(const std::string& key, bool fail) {
    return database_->Write([&](db::Session& tx) -> core::Status {
      tx.Exec(db::Query("INSERT INTO app_settings (setting_key, value, updated_at) VALUES (")
                  .Param(key).Sql(", 'v', '2026-01-01T00:00:00Z')"));
      Enqueue(tx, {.kind = "test.outbox", .payload = {{"key", key}}});
      if (fail) return core::Error::Conflict("rolled back on purpose");
      return core::Ok{};
    });
  }
  int64_t Settings() {
    return database_->Read(
        [](db::Session& s) { return s.Scalar(db::Query("SELECT count(*) FROM app_settings")); });
  }
};

TEST_P(JobQueueTest, EnqueueCommitsAndRollsBackWithTheBusinessWrite) {
  EXPECT_FALSE(WriteWithJob("rolled-back", /*fail=*/true).ok());
  EXPECT_EQ(Settings(), 0);
  EXPECT_EQ(Count(), 0);
  EXPECT_THROW(database_->Apply([&](db::Session& tx) {
    Enqueue(tx, {.kind = "test.outbox"});
    throw std::runtime_error("the business write failed");
  }),
               std::runtime_error);
  EXPECT_EQ(Count(), 0);

  ASSERT_TRUE(WriteWithJob("kept", /*fail=*/false).ok());
  EXPECT_EQ(Settings(), 1);
  EXPECT_EQ(Count("kind = 'test.outbox' AND status = 'queued' AND attempts = 0"), 1);
}

TEST_P(JobQueueTest, EnqueueStoresTheSpec) {
  const auto run_at = core::Now() + 1h;
  const EnqueueResult added = Add({.kind = "test.spec",
                                   .payload = {{"customer_id", "c1"}, {"n", 2}},
                                   .dedupe_key = "spec:1",
                                   .run_at = run_at,
                                   .max_attempts = 4});
  EXPECT_TRUE(added.created);
  const JobRecord job = Find(added.id);
  EXPECT_EQ(job.kind, "test.spec");
  EXPECT_EQ(nlohmann::json::parse(job.payload), (nlohmann::json{{"customer_id", "c1"}, {"n", 2}}));
  EXPECT_EQ(job.dedupe_key, "spec:1");
  EXPECT_EQ(job.status, JobStatus::kQueued);
  EXPECT_EQ(job.max_attempts, 4);
  EXPECT_EQ(job.run_at, StoredTime(run_at));
  EXPECT_EQ(job.run_at.size(), 24u);  // fixed width, milliseconds
  EXPECT_FALSE(job.locked_by);
}

TEST_P(JobQueueTest, EnqueueRejectsABrokenSpec) {
  const std::vector<JobSpec> broken = {
      {.kind = ""},
      {.kind = "Upper.case"},
      {.kind = "1starts.with.digit"},
      {.kind = std::string(65, 'a')},
      {.kind = "ok", .payload = nlohmann::json::array()},
      {.kind = "ok", .dedupe_key = ""},
      {.kind = "ok", .dedupe_key = std::string(257, 'k')},
      {.kind = "ok", .max_attempts = 0},
      {.kind = "ok", .max_attempts = 1001},
  };
  for (const JobSpec& spec : broken) {
    EXPECT_THROW(database_->Apply([&](db::Session& tx) { Enqueue(tx, spec); }),
                 std::invalid_argument)
        << spec.kind;
  }
  EXPECT_EQ(Count(), 0);
}

TEST_P(JobQueueTest, ADuplicateDedupeKeyIsANoOpThatLeavesTheTransactionUsable) {
  const EnqueueResult first = Add({.kind = "test.dedupe", .dedupe_key = "reminder:42"});
  ASSERT_TRUE(first.created);
  EnqueueResult again;
  ASSERT_TRUE(database_->Write([&](db::Session& tx) -> core::Status {
    again = Enqueue(tx, {.kind = "test.dedupe", .dedupe_key = "reminder:42"});
    // On PostgreSQL a failed INSERT would have aborted the transaction: this would throw.
    tx.Exec(db::Query("INSERT INTO app_settings (setting_key, value, updated_at) VALUES "
                      "('after-duplicate', 'v', '2026-01-01T00:00:00Z')"));
    const EnqueueResult twice = Enqueue(tx, {.kind = "test.dedupe", .dedupe_key = "other"});
    EXPECT_TRUE(twice.created);
    EXPECT_FALSE(Enqueue(tx, {.kind = "test.dedupe", .dedupe_key = "other"}).created);
    return core::Ok{};
  }).ok());
  EXPECT_FALSE(again.created);
  EXPECT_EQ(again.id, first.id);
  EXPECT_EQ(Count(), 2);
  EXPECT_EQ(Settings(), 1);
  // Jobs without a key never collide.
  Add({.kind = "test.dedupe"});
  Add({.kind = "test.dedupe"});
  EXPECT_EQ(Count(), 4);
}

TEST_P(JobQueueTest, CancelAndRescheduleOnlyTouchAQueuedJob) {
  const auto later = core::Now() + 2h;
  const EnqueueResult job = Add({.kind = "test.reminder", .dedupe_key = "r:1", .run_at = later});
  const auto sooner = core::Now() + 30min;
  EXPECT_TRUE(database_->Write([&](db::Session& tx) -> core::Result<bool> {
    return Reschedule(tx, "r:1", sooner);
  }).value());
  EXPECT_EQ(Find(job.id).run_at, StoredTime(sooner));
  EXPECT_FALSE(database_->Write([&](db::Session& tx) -> core::Result<bool> {
    return Reschedule(tx, "no-such-key", sooner);
  }).value());

  EXPECT_TRUE(database_->Write([&](db::Session& tx) -> core::Result<bool> {
    return Cancel(tx, "r:1");
  }).value());
  EXPECT_EQ(Count(), 0);
  EXPECT_FALSE(database_->Write([&](db::Session& tx) -> core::Result<bool> {
    return Cancel(tx, "r:1");
  }).value());
  // The key is free again.
  EXPECT_TRUE(Add({.kind = "test.reminder", .dedupe_key = "r:1", .run_at = later}).created);

  // A running job is neither cancelled nor moved.
  database_->Apply([&](db::Session& tx) {
    tx.Exec(db::Query("UPDATE jobs SET status = 'running', locked_by = 'n', locked_until = ")
                .Param(StoredTime(core::Now() + 1h)));
  });
  EXPECT_FALSE(database_->Write([&](db::Session& tx) -> core::Result<bool> {
    return Cancel(tx, "r:1");
  }).value());
  EXPECT_FALSE(database_->Write([&](db::Session& tx) -> core::Result<bool> {
    return Reschedule(tx, "r:1", sooner);
  }).value());
  EXPECT_EQ(Count("status = 'running'"), 1);
}

TEST_P(JobQueueTest, RunsDueJobsWakesOnCommitAndWaitsForFutureOnes) {
  QueueOptions options = FastOptions();
  options.poll_interval = 60s;  // only wake-ups and known run_at times can start jobs
  JobQueue queue(*database_, options, QuietLogger());
  std::atomic<int> runs{0};
  std::mutex mutex;
  std::map<std::string, core::Timestamp> ran_at;
  queue.Handle("test.run", [&](const Job& job) {
    EXPECT_EQ(job.payload["n"], 7);
    EXPECT_EQ(job.attempt, 1);
    std::lock_guard lock(mutex);
    ran_at[job.id] = core::Now();
    ++runs;
    return Outcome::Done();
  });
  queue.Start();
  const EnqueueResult now = Add({.kind = "test.run", .payload = {{"n", 7}}});
  ASSERT_TRUE(WaitFor([&] { return runs.load() == 1; }));
  ASSERT_TRUE(WaitFor([&] { return Find(now.id).status == JobStatus::kDone; }));
  const JobRecord done = Find(now.id);
  EXPECT_TRUE(done.finished_at);
  EXPECT_FALSE(done.locked_by);
  EXPECT_EQ(done.attempts, 1);

  const auto due = core::Now() + 700ms;
  const EnqueueResult later = Add({.kind = "test.run", .payload = {{"n", 7}}, .run_at = due});
  ASSERT_TRUE(WaitFor([&] { return runs.load() == 2; }));
  std::lock_guard lock(mutex);
  EXPECT_GE(ran_at[later.id], std::chrono::floor<std::chrono::milliseconds>(due));
}

TEST_P(JobQueueTest, ZeroWorkersRunNothing) {
  QueueOptions options = FastOptions();
  options.workers = 0;
  JobQueue queue(*database_, options, QuietLogger());
  std::atomic<int> runs{0};
  queue.Handle("test.idle", [&](const Job&) {
    ++runs;
    return Outcome::Done();
  });
  queue.Start();
  Add({.kind = "test.idle"});
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(runs.load(), 0);
  EXPECT_EQ(Count("status = 'queued'"), 1);
}

TEST_P(JobQueueTest, AKindWithoutAHandlerHereStaysQueued) {
  JobQueue queue(*database_, FastOptions(), QuietLogger());
  queue.Handle("test.known", [](const Job&) { return Outcome::Done(); });
  queue.Start();
  const EnqueueResult unknown = Add({.kind = "test.unknown"});
  const EnqueueResult known = Add({.kind = "test.known"});
  ASSERT_TRUE(WaitFor([&] { return Find(known.id).status == JobStatus::kDone; }));
  std::this_thread::sleep_for(150ms);  // several polls
  const JobRecord left = Find(unknown.id);
  EXPECT_EQ(left.status, JobStatus::kQueued);
  EXPECT_EQ(left.attempts, 0);
  EXPECT_FALSE(left.locked_by);
}

TEST_P(JobQueueTest, TwoQueuesOnOneDatabaseRunEachJobExactlyOnce) {
  constexpr int kJobs = 300;
  auto other_database = OpenAgain();
  std::mutex mutex;
  std::set<std::string> in_flight;
  std::map<std::string, int> runs;
  std::map<std::string, std::set<std::string>> by_queue;
  std::atomic<int> overlaps{0};
  const auto handler = [&](const std::string& name) {
    return [&, name](const Job& job) {
      {
        std::lock_guard lock(mutex);
        if (!in_flight.insert(job.id).second) ++overlaps;
        ++runs[job.id];
        by_queue[name].insert(job.id);
      }
      std::this_thread::sleep_for(std::chrono::microseconds(200));
      std::lock_guard lock(mutex);
      in_flight.erase(job.id);
      return Outcome::Done();
    };
  };
  QueueOptions options = FastOptions();
  options.batch_size = 8;
  JobQueue first(*database_, options, QuietLogger());
  JobQueue second(*other_database, options, QuietLogger());
  first.Handle("test.shared", handler("first"));
  second.Handle("test.shared", handler("second"));
  first.Start();
  second.Start();
  database_->Apply([&](db::Session& tx) {
    for (int i = 0; i < kJobs; ++i) Enqueue(tx, {.kind = "test.shared", .payload = {{"i", i}}});
  });
  ASSERT_TRUE(WaitFor([&] { return Count("status = 'done'") == kJobs; })) << Count("status = 'done'");
  first.Stop();
  second.Stop();
  EXPECT_EQ(overlaps.load(), 0);
  ASSERT_EQ(runs.size(), static_cast<std::size_t>(kJobs));
  for (const auto& [id, count] : runs) EXPECT_EQ(count, 1) << id;
  EXPECT_EQ(Count("attempts = 1"), kJobs);
}

TEST_P(JobQueueTest, RetriesWithBackoffThenDies) {
  QueueOptions options = FastOptions();
  options.backoff_base = 400ms;
  options.backoff_cap = 800ms;
  JobQueue queue(*database_, options, QuietLogger());
  std::mutex mutex;
  std::vector<core::Timestamp> attempts;
  queue.Handle("test.flaky", [&](const Job& job) {
    std::lock_guard lock(mutex);
    attempts.push_back(core::Now());
    EXPECT_EQ(job.attempt, static_cast<int>(attempts.size()));
    return Outcome::Retry("smtp 451 try later");
  });
  queue.Start();
  const EnqueueResult job = Add({.kind = "test.flaky", .max_attempts = 3});
  ASSERT_TRUE(WaitFor([&] { return Find(job.id).status == JobStatus::kDead; }));
  const JobRecord dead = Find(job.id);
  EXPECT_EQ(dead.attempts, 3);
  EXPECT_EQ(dead.last_error, "smtp 451 try later");
  EXPECT_TRUE(dead.finished_at);
  EXPECT_FALSE(dead.locked_by);
  std::lock_guard lock(mutex);
  ASSERT_EQ(attempts.size(), 3u);
  // Attempt n waits between half and all of min(cap, base * 2^(n-1)).
  EXPECT_GE(attempts[1] - attempts[0], 200ms);
  EXPECT_GE(attempts[2] - attempts[1], 400ms);
}

TEST_P(JobQueueTest, RetryAfterAGivenDelayAndPermanentFailure) {
  JobQueue queue(*database_, FastOptions(), QuietLogger());
  std::mutex mutex;
  std::vector<core::Timestamp> attempts;
  queue.Handle("test.later", [&](const Job& job) {
    std::lock_guard lock(mutex);
    attempts.push_back(core::Now());
    if (job.attempt == 1) return Outcome::Retry("not yet", 500ms);
    return Outcome::Done();
  });
  std::atomic<int> failures{0};
  queue.Handle("test.fail", [&](const Job&) {
    ++failures;
    return Outcome::Fail("customer no longer exists");
  });
  queue.Start();
  const EnqueueResult later = Add({.kind = "test.later"});
  const EnqueueResult fail = Add({.kind = "test.fail", .max_attempts = 5});
  ASSERT_TRUE(WaitFor([&] { return Find(later.id).status == JobStatus::kDone; }));
  ASSERT_TRUE(WaitFor([&] { return Find(fail.id).status == JobStatus::kDead; }));
  EXPECT_EQ(Find(later.id).attempts, 2);
  EXPECT_EQ(Find(later.id).last_error, "not yet");  // kept as history
  EXPECT_EQ(failures.load(), 1);
  EXPECT_EQ(Find(fail.id).attempts, 1);
  EXPECT_EQ(Find(fail.id).last_error, "customer no longer exists");
  std::lock_guard lock(mutex);
  ASSERT_EQ(attempts.size(), 2u);
  EXPECT_GE(attempts[1] - attempts[0], 490ms);
}

TEST_P(JobQueueTest, HandlerExceptionsAreRetryableFailures) {
  JobQueue queue(*database_, FastOptions(), QuietLogger());
  queue.Handle("test.throws", [&](const Job& job) -> Outcome {
    if (job.attempt == 1) throw std::runtime_error("connection reset");
    if (job.attempt == 2) throw 42;  // not even a std::exception
    return Outcome::Done();
  });
  queue.Start();
  const EnqueueResult job = Add({.kind = "test.throws"});
  ASSERT_TRUE(WaitFor([&] { return Find(job.id).status == JobStatus::kDone; }));
  EXPECT_EQ(Find(job.id).attempts, 3);
  EXPECT_EQ(Find(job.id).last_error, "unknown exception");
}

TEST_P(JobQueueTest, AnExpiredLeaseIsReclaimedAndRetried) {
  const EnqueueResult crashed = Add({.kind = "test.lease"});
  const EnqueueResult last = Add({.kind = "test.lease", .max_attempts = 1});
  // A worker that claimed both and died: its lease has run out.
  database_->Apply([&](db::Session& tx) {
    const auto past = core::Now() - 1s;
    const auto claimed = JobStore::Claim(tx, {"test.lease"}, "dead-node", 10,
                                         StoredTime(core::Now()), StoredTime(past));
    EXPECT_EQ(claimed.size(), 2u);
  });
  EXPECT_EQ(Count("status = 'running' AND locked_by = 'dead-node'"), 2);
  JobQueue queue(*database_, FastOptions(), QuietLogger());
  std::atomic<int> runs{0};
  queue.Handle("test.lease", [&](const Job& job) {
    ++runs;
    EXPECT_EQ(job.attempt, 2);
    return Outcome::Done();
  });
  queue.Start();
  ASSERT_TRUE(WaitFor([&] { return Find(crashed.id).status == JobStatus::kDone; }));
  ASSERT_TRUE(WaitFor([&] { return Find(last.id).status == JobStatus::kDead; }));
  EXPECT_EQ(runs.load(), 1);
  EXPECT_EQ(Find(crashed.id).attempts, 2);
  EXPECT_EQ(Find(last.id).attempts, 1);
  EXPECT_EQ(Find(last.id).last_error, "lease expired on the last attempt");
}

TEST_P(JobQueueTest, ALiveQueueRenewsTheLeaseOfALongJob) {
  QueueOptions options = FastOptions();
  options.lease = 600ms;
  auto other_database = OpenAgain();
  JobQueue slow(*database_, options, QuietLogger());
  std::atomic<bool> release{false};
  std::atomic<int> runs{0};
  slow.Handle("test.long", [&](const Job&) {
    ++runs;
    WaitFor([&] { return release.load(); });
    return Outcome::Done();
  });
  slow.Start();
  const EnqueueResult job = Add({.kind = "test.long"});
  ASSERT_TRUE(WaitFor([&] { return runs.load() == 1; }));
  // Another queue watches for expired leases while the job runs three leases long.
  JobQueue watcher(*other_database, options, QuietLogger());
  watcher.Handle("test.long", [&](const Job&) {
    ++runs;
    return Outcome::Done();
  });
  watcher.Start();
  std::this_thread::sleep_for(1800ms);
  release = true;
  ASSERT_TRUE(WaitFor([&] { return Find(job.id).status == JobStatus::kDone; }));
  EXPECT_EQ(runs.load(), 1);
  EXPECT_EQ(Find(job.id).attempts, 1);
}

TEST_P(JobQueueTest, StopFinishesRunningJobsAndHandsBackClaimedOnes) {
  QueueOptions options = FastOptions();
  options.workers = 1;
  options.batch_size = 10;
  JobQueue queue(*database_, options, QuietLogger());
  std::atomic<int> started{0};
  queue.Handle("test.stop", [&](const Job& job) {
    ++started;
    WaitFor([&] { return job.stop_requested(); });
    return Outcome::Done();
  });
  database_->Apply([&](db::Session& tx) {
    for (int i = 0; i < 5; ++i) Enqueue(tx, {.kind = "test.stop"});
  });
  queue.Start();
  ASSERT_TRUE(WaitFor([&] { return started.load() == 1; }));
  EXPECT_EQ(Count("status = 'running'"), 5);  // a quick queue claims a batch ahead
  queue.Stop();
  EXPECT_EQ(started.load(), 1);
  EXPECT_EQ(Count("status = 'done' AND attempts = 1"), 1);
  EXPECT_EQ(Count("status = 'queued' AND attempts = 0 AND locked_by IS NULL"), 4);
}

TEST_P(JobQueueTest, RegistrationRules) {
  JobQueue queue(*database_, FastOptions(), QuietLogger());
  queue.Handle("test.once", [](const Job&) { return Outcome::Done(); });
  EXPECT_THROW(queue.Handle("test.once", [](const Job&) { return Outcome::Done(); }),
               std::logic_error);
  EXPECT_THROW(queue.Handle("Bad Kind", [](const Job&) { return Outcome::Done(); }),
               std::invalid_argument);
  EXPECT_THROW(queue.Every("test.every", 0s, [](const Job&) { return Outcome::Done(); }),
               std::invalid_argument);
  queue.Start();
  EXPECT_THROW(queue.Handle("test.late", [](const Job&) { return Outcome::Done(); }),
               std::logic_error);
}

TEST_P(JobQueueTest, TwoSchedulersRunARecurringTaskOncePerPeriod) {
  auto other_database = OpenAgain();
  std::mutex mutex;
  std::map<std::string, int> runs_per_period;
  const auto tick = [&](const Job& job) {
    EXPECT_EQ(job.payload["period_seconds"], 1);
    EXPECT_EQ(job.dedupe_key.value_or("").rfind("every:test.tick:", 0), 0u);
    std::lock_guard lock(mutex);
    ++runs_per_period[job.payload["period_start"].get<std::string>()];
    return Outcome::Done();
  };
  JobQueue first(*database_, FastOptions(), QuietLogger());
  JobQueue second(*other_database, FastOptions(), QuietLogger());
  first.Every("test.tick", 1s, tick);
  second.Every("test.tick", 1s, tick);
  first.Start();
  second.Start();
  ASSERT_TRUE(WaitFor([&] {
    std::lock_guard lock(mutex);
    return runs_per_period.size() >= 3;
  }));
  first.Stop();
  second.Stop();
  std::lock_guard lock(mutex);
  for (const auto& [period, runs] : runs_per_period) EXPECT_EQ(runs, 1) << period;
  EXPECT_EQ(Count("kind = 'test.tick'"), static_cast<int64_t>(runs_per_period.size()));
  EXPECT_EQ(Count("kind = 'test.tick' AND status = 'done'"),
            static_cast<int64_t>(runs_per_period.size()));
}

TEST_P(JobQueueTest, AListenerHearsANotifyFromAnotherConnection) {
  db::Listener listener(*database_, {"rapport_test_channel"});
  EXPECT_FALSE(listener.Wait(50ms));  // connects; nothing sent yet
  if (GetParam() == db::Engine::kPostgres) {
    auto other = OpenAgain();
    other->Apply([](db::Session& tx) {
      tx.Scalar(db::Query("SELECT count(*) FROM (SELECT pg_notify('rapport_test_channel', '')) AS n"));
    });
    EXPECT_TRUE(WaitFor([&] { return listener.Wait(100ms); }, 10s));
  }
  listener.Interrupt();
  const auto before = std::chrono::steady_clock::now();
  EXPECT_FALSE(listener.Wait(10s));
  EXPECT_LT(std::chrono::steady_clock::now() - before, 5s);
}

INSTANTIATE_TEST_SUITE_P(Engines, JobQueueTest, db::test::kEngines, db::test::EngineName);

TEST(JobTest, StatusNamesAndKinds) {
  for (JobStatus status : {JobStatus::kQueued, JobStatus::kRunning, JobStatus::kDone, JobStatus::kDead}) {
    EXPECT_EQ(ParseStatus(StatusName(status)), status);
  }
  EXPECT_FALSE(ParseStatus("failed"));
  EXPECT_FALSE(ParseStatus("QUEUED"));
  EXPECT_TRUE(IsValidKind("email.send"));
  EXPECT_TRUE(IsValidKind("a"));
  EXPECT_TRUE(IsValidKind("import_customers-v2"));
  EXPECT_FALSE(IsValidKind(""));
  EXPECT_FALSE(IsValidKind(".x"));
  EXPECT_FALSE(IsValidKind("email send"));
  EXPECT_FALSE(IsValidKind("émail"));
}

TEST(JobTest, StoredTimesHaveFixedWidthAndSortAsText) {
  const core::Timestamp t{std::chrono::microseconds(1'700'000'000'123'456)};
  EXPECT_EQ(StoredTime(t), "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(StoredTime(core::Timestamp{std::chrono::seconds(1'700'000'000)}),
            "2023-11-14T22:13:20.000Z");
  EXPECT_LT(StoredTime(t), StoredTime(t + 1ms));
  EXPECT_LT(StoredTime(t + 900ms), StoredTime(t + 1s));
}

TEST(JobTest, RecordJsonShowsThePayloadAsAnObject) {
  JobRecord record;
  record.id = "id1";
  record.kind = "email.send";
  record.payload = R"({"email_id":"e1"})";
  record.run_at = "2026-11-22T14:00:00.250Z";
  record.created_at = record.updated_at = "2026-11-22T13:59:59.999Z";
  const nlohmann::json json = record.ToJson();
  EXPECT_EQ(json["payload"], (nlohmann::json{{"email_id", "e1"}}));
  EXPECT_EQ(json["status"], "queued");
  EXPECT_EQ(json["run_at"], "2026-11-22T14:00:00Z");
  EXPECT_EQ(json["created_at"], "2026-11-22T13:59:59Z");
  EXPECT_TRUE(json["finished_at"].is_null());
  EXPECT_TRUE(json["dedupe_key"].is_null());
}

}  // namespace
}  // namespace rapport::jobs
