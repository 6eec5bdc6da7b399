#include "jobs/job_service.hpp"

#include <gtest/gtest.h>

#include "jobs/maintenance.hpp"
#include "jobs/test_support.hpp"

namespace rapport::jobs {
namespace {

using namespace std::chrono_literals;

class JobServiceTest : public test::JobsTest {
 protected:
  void SetStatus(const std::string& id, std::string_view status, int attempts,
                 std::optional<std::string> error) {
    database_->Apply([&](db::Session& tx) {
      tx.Exec(db::Query("UPDATE jobs SET status = ")
                  .Param(status).Sql(", attempts = ").Param(attempts)
                  .Sql(", last_error = ").Param(error).Sql(" WHERE id = ").Param(id));
    });
  }
  static core::Principal Staff(core::Role role) {
    core::Principal principal = test::Admin();
    principal.role = role;
    return principal;
  }
};

TEST_P(JobServiceTest, OnlyAdminsSeeOrRetryJobs) {
  JobService service(*database_);
  const std::string id = Add({.kind = "test.admin"}).id;
  for (core::Role role : {core::Role::kManager, core::Role::kAgent}) {
    EXPECT_EQ(service.List(Staff(role), {}, {}).error().code, core::Code::kForbidden);
    EXPECT_EQ(service.Get(Staff(role), id).error().code, core::Code::kForbidden);
    EXPECT_EQ(service.Retry(Staff(role), id).error().code, core::Code::kForbidden);
  }
  EXPECT_EQ(service.Get(core::Principal{}, id).error().code, core::Code::kForbidden);
  EXPECT_TRUE(service.Get(test::Admin(), id).ok());
  EXPECT_EQ(service.Get(test::Admin(), "not-an-id").error().code, core::Code::kNotFound);
}

TEST_P(JobServiceTest, RetryRequeuesDeadAndFailedJobsOnly) {
  JobService service(*database_);
  const std::string dead = Add({.kind = "test.retry", .max_attempts = 3}).id;
  SetStatus(dead, "dead", 3, "gave up");
  auto retried = service.Retry(test::Admin(), dead);
  ASSERT_TRUE(retried.ok());
  EXPECT_EQ(retried->status, JobStatus::kQueued);
  EXPECT_EQ(retried->attempts, 0);  // a fresh set of attempts
  EXPECT_EQ(retried->last_error, "gave up");
  EXPECT_FALSE(retried->finished_at);
  EXPECT_LE(retried->run_at, StoredTime(core::Now()));

  // Queued after a failed attempt, waiting out its backoff: runs now, attempts kept.
  const std::string failed = Add({.kind = "test.retry", .run_at = core::Now() + 1h}).id;
  SetStatus(failed, "queued", 2, "timeout");
  retried = service.Retry(test::Admin(), failed);
  ASSERT_TRUE(retried.ok());
  EXPECT_EQ(retried->attempts, 2);
  EXPECT_LE(retried->run_at, StoredTime(core::Now()));

  const std::string fresh = Add({.kind = "test.retry"}).id;
  EXPECT_EQ(service.Retry(test::Admin(), fresh).error().code, core::Code::kConflict);
  for (std::string_view status : {"running", "done"}) {
    const std::string id = Add({.kind = "test.retry"}).id;
    SetStatus(id, status, 1, std::nullopt);
    EXPECT_EQ(service.Retry(test::Admin(), id).error().code, core::Code::kConflict) << status;
    EXPECT_EQ(Find(id).status, ParseStatus(status));
  }
  EXPECT_EQ(service.Retry(test::Admin(), "01890a5d-ac96-774b-bcce-b302099a8057").error().code,
            core::Code::kNotFound);
}

TEST_P(JobServiceTest, ListsFilterAndPageThroughEveryJobOnce) {
  JobService service(*database_);
  for (int i = 0; i < 7; ++i) Add({.kind = i % 2 == 0 ? "test.even" : "test.odd"});
  SetStatus(Add({.kind = "test.odd"}).id, "dead", 1, "x");
  core::PageRequest page;
  page.limit = 3;
  page.sort = {{"created_at", true}, {"id", true}};
  std::set<std::string> seen;
  std::string previous = "~";
  for (int guard = 0; guard < 10; ++guard) {
    auto result = service.List(test::Admin(), {}, page);
    ASSERT_TRUE(result.ok());
    for (const auto& job : result->data) {
      EXPECT_TRUE(seen.insert(job["id"].get<std::string>()).second);
      EXPECT_LT(job["id"].get<std::string>(), previous);  // newest first (UUIDv7 ids)
      previous = job["id"].get<std::string>();
    }
    if (!result->next_cursor) break;
    page.after = core::DecodeCursor(*result->next_cursor, page.sort).value();
  }
  EXPECT_EQ(seen.size(), 8u);

  core::PageRequest all;
  all.sort = {{"created_at", true}, {"id", true}};
  all.include_total = true;
  auto odd = service.List(test::Admin(), {.kind = "test.odd"}, all);
  ASSERT_TRUE(odd.ok());
  EXPECT_EQ(odd->total, 4);
  auto dead = service.List(test::Admin(), {.status = JobStatus::kDead, .kind = "test.odd"}, all);
  ASSERT_TRUE(dead.ok());
  ASSERT_EQ(dead->data.size(), 1u);
  EXPECT_EQ(dead->data[0]["status"], "dead");

  const auto counts = service.CountByStatus();
  EXPECT_EQ(counts.at(JobStatus::kQueued), 7);
  EXPECT_EQ(counts.at(JobStatus::kDead), 1);
  EXPECT_EQ(counts.at(JobStatus::kRunning), 0);
  EXPECT_EQ(counts.at(JobStatus::kDone), 0);
}

TEST(JobFilterTest, ParsesStatusAndKind) {
  const auto parse = [](std::map<std::string, std::string> values) {
    return ParseJobFilter([values](std::string_view name) -> std::optional<std::string_view> {
      auto it = values.find(std::string(name));
      if (it == values.end()) return std::nullopt;
      return std::string_view(it->second);
    });
  };
  auto both = parse({{"status", "dead"}, {"kind", "email.send"}});
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(both->status, JobStatus::kDead);
  EXPECT_EQ(both->kind, "email.send");
  EXPECT_TRUE(parse({}).ok());
  for (const auto& [name, value] : std::vector<std::pair<std::string, std::string>>{
           {"status", "failed"}, {"status", ""}, {"kind", "Bad Kind"}, {"kind", ""}}) {
    auto bad = parse({{name, value}});
    ASSERT_FALSE(bad.ok()) << name << "=" << value;
    EXPECT_EQ(bad.error().code, core::Code::kBadRequest);
    ASSERT_EQ(bad.error().errors.size(), 1u);
    EXPECT_EQ(bad.error().errors[0].field, name);
  }
}

class MaintenanceTest : public test::JobsTest {};

TEST_P(MaintenanceTest, PurgeDeletesOnlyWhatOutlivedItsRetention) {
  const core::Timestamp now = core::Now();
  const auto ts = [](core::Timestamp t) { return core::FormatTimestamp(t); };
  database_->Apply([&](db::Session& tx) {
    for (const auto& [key, at] : {std::pair{"old", now - 25h}, std::pair{"new", now - 1h}}) {
      tx.Exec(db::Query("INSERT INTO idempotency_keys (principal, idempotency_key, request_hash, "
                        "status, created_at) VALUES ('p', ")
                  .Param(key).Sql(", 'h', 201, ").Param(ts(at)).Sql(")"));
      tx.Exec(db::Query("INSERT INTO login_failures (email, ip, failed_at) VALUES (")
                  .Param(key).Sql(", '127.0.0.1', ").Param(ts(at)).Sql(")"));
    }
    for (const auto& [hash, expires] : {std::pair{"expired", now - 1min}, std::pair{"valid", now + 1h}}) {
      tx.Exec(db::Query("INSERT INTO refresh_tokens (token_hash, family_id, principal_kind, "
                        "principal_id, expires_at, created_at) VALUES (")
                  .Param(hash).Sql(", 'f', 'user', 'u', ").Param(ts(expires)).Sql(", ")
                  .Param(ts(now - 2h)).Sql(")"));
    }
  });
  const std::string old_done = Add({.kind = "test.purge"}).id;
  const std::string new_done = Add({.kind = "test.purge"}).id;
  const std::string old_dead = Add({.kind = "test.purge"}).id;
  const std::string queued = Add({.kind = "test.purge"}).id;
  database_->Apply([&](db::Session& tx) {
    const auto finish = [&](const std::string& id, std::string_view status, core::Timestamp at) {
      tx.Exec(db::Query("UPDATE jobs SET status = ").Param(status).Sql(", finished_at = ")
                  .Param(StoredTime(at)).Sql(" WHERE id = ").Param(id));
    };
    finish(old_done, "done", now - 8 * 24h);
    finish(new_done, "done", now - 6 * 24h);
    finish(old_dead, "dead", now - 30 * 24h);
  });

  PurgeCounts counts;
  database_->Apply([&](db::Session& tx) { counts = Purge(tx, MaintenanceOptions{}, now); });
  EXPECT_EQ(counts.idempotency_keys, 1);
  EXPECT_EQ(counts.login_failures, 1);
  EXPECT_EQ(counts.refresh_tokens, 1);
  EXPECT_EQ(counts.done_jobs, 1);
  const auto scalar = [&](const std::string& sql) {
    return database_->Read([&](db::Session& s) { return s.Scalar(db::Query(sql)); });
  };
  EXPECT_EQ(scalar("SELECT count(*) FROM idempotency_keys WHERE idempotency_key = 'new'"), 1);
  EXPECT_EQ(scalar("SELECT count(*) FROM login_failures WHERE email = 'new'"), 1);
  EXPECT_EQ(scalar("SELECT count(*) FROM refresh_tokens WHERE token_hash = 'valid'"), 1);
  EXPECT_EQ(Count(), 3);  // the recent done job, the dead one (kept for admins), the queued one
  EXPECT_EQ(Count("id = '" + old_done + "'"), 0);

  // A second run of the same period finds nothing more.
  database_->Apply([&](db::Session& tx) { counts = Purge(tx, MaintenanceOptions{}, now); });
  EXPECT_EQ(counts.idempotency_keys + counts.login_failures + counts.refresh_tokens + counts.done_jobs, 0);
}

TEST_P(MaintenanceTest, RunsAsARecurringJob) {
  database_->Apply([&](db::Session& tx) {
    tx.Exec(db::Query("INSERT INTO login_failures (email, ip, failed_at) VALUES ('x', 'ip', ")
                .Param(core::FormatTimestamp(core::Now() - 48h)).Sql(")"));
  });
  JobQueue queue(*database_, test::FastOptions(), test::QuietLogger());
  RegisterMaintenance(queue, *database_, {.interval = 1s});
  queue.Start();
  ASSERT_TRUE(test::WaitFor([&] {
    return Count("kind = 'maintenance.purge' AND status = 'done'") >= 1;
  }));
  EXPECT_EQ(database_->Read([](db::Session& s) {
    return s.Scalar(db::Query("SELECT count(*) FROM login_failures"));
  }),
            0);
}

INSTANTIATE_TEST_SUITE_P(Engines, JobServiceTest, db::test::kEngines, db::test::EngineName);
INSTANTIATE_TEST_SUITE_P(Engines, MaintenanceTest, db::test::kEngines, db::test::EngineName);

}  // namespace
}  // namespace rapport::jobs
