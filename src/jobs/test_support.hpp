#pragma once

// For the jobs module's *_test.cpp files only.

#include <chrono>
#include <functional>
#include <memory>
#include <thread>

#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include "core/principal.hpp"
#include "db/database.hpp"
#include "db/migrations.hpp"
#include "db/test_database.hpp"
#include "jobs/job_queue.hpp"
#include "jobs/job_service.hpp"
#include "jobs/job_store.hpp"

namespace rapport::jobs::test {

// Polls `done` every 10 ms until it holds or `timeout` passes; returns its last value.
inline bool WaitFor(const std::function<bool()>& done,
                    std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return done();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

inline std::shared_ptr<spdlog::logger> QuietLogger() {
  static auto logger =
      std::make_shared<spdlog::logger>("jobs-test", std::make_shared<spdlog::sinks::null_sink_mt>());
  return logger;
}

// Quick retries and leases, so that tests finish fast; wake-ups are not needed for them.
inline QueueOptions FastOptions() {
  QueueOptions options;
  options.workers = 2;
  options.poll_interval = std::chrono::milliseconds(50);
  options.lease = std::chrono::milliseconds(1000);
  options.backoff_base = std::chrono::milliseconds(10);
  options.backoff_cap = std::chrono::milliseconds(40);
  return options;
}

inline core::Principal Admin() {
  core::Principal admin;
  admin.kind = core::Principal::Kind::kUser;
  admin.id = "admin";
  admin.role = core::Role::kAdmin;
  return admin;
}

// A migrated fresh database of the engine under test.
class JobsTest : public ::testing::TestWithParam<db::Engine> {
 protected:
  void SetUp() override {
    RAPPORT_SKIP_UNLESS_ENGINE(GetParam());
    url_ = db::test::FreshUrl(GetParam());
    database_ = db::Database::Open(url_, {.pool_size = 4});
    db::Migrate(*database_);
  }

  // Another connection pool on the same database, as a second process would have.
  std::unique_ptr<db::Database> OpenAgain() const {
    return db::Database::Open(url_, {.pool_size = 4});
  }

  EnqueueResult Add(JobSpec spec) {
    return database_->Write(
        [&](db::Session& tx) -> core::Result<EnqueueResult> { return Enqueue(tx, spec); }).value();
  }

  JobRecord Find(const std::string& id) {
    auto job = database_->Read([&](db::Session& s) { return JobStore::FindById(s, id); });
    EXPECT_TRUE(job.has_value()) << id;
    return job.value_or(JobRecord{});
  }

  int64_t Count(const std::string& where = "1 = 1") {
    return database_->Read(
        [&](db::Session& s) { return s.Scalar(db::Query("SELECT count(*) FROM jobs WHERE " + where)); });
  }

  std::string url_;
  std::unique_ptr<db::Database> database_;
};

}  // namespace rapport::jobs::test
