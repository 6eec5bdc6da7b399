// The admin job endpoints, against the real server. The test program plays a second node on
// the server's database: it enqueues jobs of kinds the server has no handler for (so they
// stay as they are) and runs its own queue to make jobs dead.

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "api/fixtures.hpp"
#include "api/harness.hpp"
#include "db/database.hpp"
#include "jobs/job_queue.hpp"

namespace rapport::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

bool WaitUntil(const std::function<bool()>& done, std::chrono::seconds timeout = 30s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return done();
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

class JobsApiTest : public StaffApiTest {
 protected:
  void SetUp() override {
    StaffApiTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    database_ = db::Database::Open(server().db_url(), {.pool_size = 2});
  }

  std::string Enqueue(jobs::JobSpec spec) {
    return database_
        ->Write([&](db::Session& tx) -> core::Result<jobs::EnqueueResult> {
          return jobs::Enqueue(tx, spec);
        })
        .value()
        .id;
  }

  // A job that fails for good in this process's own queue.
  std::string DeadJob() {
    const std::string id = Enqueue({.kind = "apitest.fails", .payload = {{"n", 1}}});
    jobs::QueueOptions options;
    options.poll_interval = 50ms;
    jobs::JobQueue queue(*database_, options, nullptr);
    queue.Handle("apitest.fails", [](const jobs::Job&) { return jobs::Outcome::Fail("bad input"); });
    queue.Start();
    EXPECT_TRUE(WaitUntil([&] { return client().Get("/api/v1/jobs/" + id).json()["status"] == "dead"; }));
    return id;
  }

  // Every id of every page of `query`, walking the cursors.
  std::vector<std::string> AllIds(const std::string& query) {
    std::vector<std::string> ids;
    std::string cursor;
    for (int guard = 0; guard < 100; ++guard) {
      HttpResponse page = client().Get("/api/v1/jobs?" + query +
                                       (cursor.empty() ? "" : "&cursor=" + UrlEncode(cursor)));
      EXPECT_EQ(page.status, 200) << page;
      if (page.status != 200) break;
      const json body = page.json();
      for (const auto& job : body["data"]) ids.push_back(job["id"]);
      if (body["next_cursor"].is_null()) break;
      cursor = body["next_cursor"];
    }
    return ids;
  }

  std::unique_ptr<db::Database> database_;
};

TEST_F(JobsApiTest, AdminListsAndReadsJobsWithTheirPayloads) {
  const std::string first = Enqueue({.kind = "apitest.a", .payload = {{"customer_id", "c1"}}});
  const std::string second =
      Enqueue({.kind = "apitest.b", .dedupe_key = "apitest:2", .max_attempts = 4});
  const std::string third = Enqueue({.kind = "apitest.a", .payload = {{"n", 3}}});

  HttpResponse got = client().Get("/api/v1/jobs/" + first);
  ASSERT_EQ(got.status, 200) << got;
  const json job = got.json();
  EXPECT_EQ(job["id"], first);
  EXPECT_EQ(job["kind"], "apitest.a");
  EXPECT_EQ(job["payload"], (json{{"customer_id", "c1"}}));
  EXPECT_EQ(job["status"], "queued");
  EXPECT_EQ(job["attempts"], 0);
  EXPECT_EQ(job["max_attempts"], 10);
  EXPECT_TRUE(job["dedupe_key"].is_null());
  EXPECT_TRUE(job["locked_by"].is_null());
  EXPECT_TRUE(job["finished_at"].is_null());
  EXPECT_EQ(job["run_at"].get<std::string>().size(), 20u);  // 2026-11-22T14:00:00Z
  for (const char* field : {"last_error", "locked_until", "created_at", "updated_at"}) {
    EXPECT_TRUE(job.contains(field)) << field;
  }
  const json deduped = client().Get("/api/v1/jobs/" + second).json();
  EXPECT_EQ(deduped["dedupe_key"], "apitest:2");
  EXPECT_EQ(deduped["max_attempts"], 4);
  EXPECT_EQ(deduped["payload"], json::object());

  // Newest first; filters by kind and status; pages visit every job once.
  EXPECT_EQ(AllIds("kind=apitest.a"), (std::vector<std::string>{third, first}));
  EXPECT_EQ(AllIds("kind=apitest.a&sort=created_at"), (std::vector<std::string>{first, third}));
  EXPECT_EQ(AllIds("kind=apitest.a&limit=1"), (std::vector<std::string>{third, first}));
  EXPECT_EQ(AllIds("kind=apitest.b&status=queued"), (std::vector<std::string>{second}));
  EXPECT_TRUE(AllIds("kind=apitest.b&status=done").empty());
  HttpResponse totals = client().Get("/api/v1/jobs?kind=apitest.a&include_total=true&limit=1");
  ASSERT_EQ(totals.status, 200) << totals;
  EXPECT_EQ(totals.json()["total"], 2);
  EXPECT_FALSE(totals.json()["next_cursor"].is_null());
}

TEST_F(JobsApiTest, RetryRequeuesADeadJobAndRefusesAQueuedOne) {
  const std::string dead = DeadJob();
  json job = client().Get("/api/v1/jobs/" + dead).json();
  EXPECT_EQ(job["attempts"], 1);
  EXPECT_EQ(job["last_error"], "bad input");
  EXPECT_FALSE(job["finished_at"].is_null());
  EXPECT_EQ(AllIds("status=dead"), (std::vector<std::string>{dead}));

  HttpResponse retried = client().Post("/api/v1/jobs/" + dead + "/retry");
  ASSERT_EQ(retried.status, 200) << retried;
  job = retried.json();
  EXPECT_EQ(job["status"], "queued");
  EXPECT_EQ(job["attempts"], 0);
  EXPECT_EQ(job["last_error"], "bad input");
  EXPECT_TRUE(job["finished_at"].is_null());
  EXPECT_EQ(client().Get("/api/v1/jobs/" + dead).json()["status"], "queued");

  HttpResponse again = client().Post("/api/v1/jobs/" + dead + "/retry");
  EXPECT_EQ(again.status, 409) << again;
  EXPECT_EQ(again.headers["Content-Type"], "application/problem+json");
  const std::string queued = Enqueue({.kind = "apitest.c"});
  EXPECT_EQ(client().Post("/api/v1/jobs/" + queued + "/retry").status, 409);
  EXPECT_EQ(client().Get("/api/v1/jobs/" + queued).json()["attempts"], 0);
}

TEST_F(JobsApiTest, ManagersAndAgentsAreForbidden) {
  const std::string id = Enqueue({.kind = "apitest.secret", .payload = {{"k", "v"}}});
  for (const Staff* staff : {&manager(), &agent()}) {
    As(*staff);
    for (HttpResponse response : {client().Get("/api/v1/jobs"), client().Get("/api/v1/jobs/" + id),
                                  client().Post("/api/v1/jobs/" + id + "/retry")}) {
      EXPECT_EQ(response.status, 403) << response;
      EXPECT_EQ(response.body.find("apitest.secret"), std::string::npos);
    }
  }
  client().SetToken("");
  EXPECT_EQ(client().Get("/api/v1/jobs").status, 401);
  EXPECT_EQ(client().Post("/api/v1/jobs/" + id + "/retry").status, 401);
}

TEST_F(JobsApiTest, UnknownIdsAre404) {
  for (const std::string id : {"01890a5d-ac96-774b-bcce-b302099a8057", "not-a-uuid", "%27%20OR%201=1"}) {
    EXPECT_EQ(client().Get("/api/v1/jobs/" + id).status, 404) << id;
    EXPECT_EQ(client().Post("/api/v1/jobs/" + id + "/retry").status, 404) << id;
  }
}

TEST_F(JobsApiTest, BadListParametersAre400NamingTheParameter) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"status=failed", "status"},      {"status=", "status"},     {"status=QUEUED", "status"},
      {"kind=Not%20A%20Kind", "kind"},  {"kind=", "kind"},         {"limit=0", "limit"},
      {"limit=501", "limit"},           {"cursor=garbage", "cursor"}, {"sort=kind", "sort"},
      {"include_total=maybe", "include_total"},
  };
  for (const auto& [query, parameter] : cases) {
    HttpResponse response = client().Get("/api/v1/jobs?" + query);
    EXPECT_EQ(response.status, 400) << query << "\n" << response;
    EXPECT_EQ(ErrorFields(response), std::set<std::string>{parameter}) << query;
  }
  // A cursor of another sort order is refused too.
  for (int i = 0; i < 3; ++i) Enqueue({.kind = "apitest.page"});
  const json page = client().Get("/api/v1/jobs?kind=apitest.page&limit=1").json();
  ASSERT_TRUE(page["next_cursor"].is_string());
  HttpResponse mixed = client().Get("/api/v1/jobs?kind=apitest.page&sort=run_at&cursor=" +
                                    UrlEncode(page["next_cursor"].get<std::string>()));
  EXPECT_EQ(mixed.status, 400) << mixed;
}

TEST_F(JobsApiTest, MetricsShowTheQueueDepthByStatus) {
  Enqueue({.kind = "apitest.depth"});
  Enqueue({.kind = "apitest.depth"});
  HttpResponse metrics = client().Get("/metrics");
  ASSERT_EQ(metrics.status, 200) << metrics;
  EXPECT_NE(metrics.body.find("# TYPE rapport_jobs gauge"), std::string::npos) << metrics.body;
  for (const char* status : {"queued", "running", "done", "dead"}) {
    EXPECT_NE(metrics.body.find(std::string("rapport_jobs{status=\"") + status + "\"}"),
              std::string::npos)
        << status;
  }
  // At least our two (the server's own maintenance job may be queued or done as well).
  const std::string queued = "rapport_jobs{status=\"queued\"} ";
  const auto at = metrics.body.find(queued);
  ASSERT_NE(at, std::string::npos);
  EXPECT_GE(std::stod(metrics.body.substr(at + queued.size())), 2);
}

class JobsMaintenanceApiTest : public StaffApiTest {
 protected:
  ServerOptions MakeServerOptions() const override {
    ServerOptions options = StaffApiTest::MakeServerOptions();
    options.env["RAPPORT_MAINTENANCE_INTERVAL"] = "1";
    options.env["RAPPORT_JOB_POLL_MS"] = "100";
    return options;
  }
};

TEST_F(JobsMaintenanceApiTest, TheServerRunsItsRecurringPurgeAndStopsCleanly) {
  std::set<std::string> periods;
  ASSERT_TRUE(WaitUntil([&] {
    HttpResponse page = client().Get("/api/v1/jobs?kind=maintenance.purge&status=done");
    if (page.status != 200) return false;
    const json body = page.json();
    for (const auto& job : body["data"]) periods.insert(job["dedupe_key"].get<std::string>());
    return periods.size() >= 2;
  })) << client().Get("/api/v1/jobs?kind=maintenance.purge").body;
  for (const std::string& key : periods) EXPECT_EQ(key.rfind("every:maintenance.purge:", 0), 0u) << key;
  EXPECT_EQ(server().Stop(), 0);  // SIGTERM: workers stop, the process exits cleanly
}

class JobsDisabledApiTest : public StaffApiTest {
 protected:
  ServerOptions MakeServerOptions() const override {
    ServerOptions options = StaffApiTest::MakeServerOptions();
    options.env["RAPPORT_JOB_WORKERS"] = "0";
    options.env["RAPPORT_MAINTENANCE_INTERVAL"] = "1";
    return options;
  }
};

TEST_F(JobsDisabledApiTest, ZeroWorkersRunNoJobsButServeTheAdminApi) {
  std::this_thread::sleep_for(1500ms);
  HttpResponse page = client().Get("/api/v1/jobs?kind=maintenance.purge");
  ASSERT_EQ(page.status, 200) << page;
  EXPECT_TRUE(page.json()["data"].empty());
}

}  // namespace
}  // namespace rapport::testing
