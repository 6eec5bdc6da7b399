// A worker process that dies in the middle of a job: the job is reclaimed after its lease
// and completed exactly once more, and no job is lost.
//
// The dying worker is this test program itself, started again (fork + exec) with only
// JobCrashChild selected and the database in its environment; it claims a job, records that
// its handler started, and hangs until the parent SIGKILLs it.

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "jobs/test_support.hpp"

namespace rapport::jobs {
namespace {

using namespace std::chrono_literals;
using test::QuietLogger;
using test::WaitFor;

constexpr char kDbVariable[] = "RAPPORT_JOB_CRASH_DB";
constexpr char kMarkerVariable[] = "RAPPORT_JOB_CRASH_MARKER";
constexpr char kKind[] = "test.crash";

QueueOptions CrashOptions() {
  QueueOptions options = test::FastOptions();
  options.workers = 1;
  options.batch_size = 1;  // the child holds only the job it runs
  options.lease = 1500ms;
  return options;
}

std::vector<std::string> Lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

// Runs only in the child started by the test below.
TEST(JobCrashChild, ClaimsAJobAndHangsUntilKilled) {
  const char* url = std::getenv(kDbVariable);
  const char* marker = std::getenv(kMarkerVariable);
  if (url == nullptr || marker == nullptr) GTEST_SKIP() << "the child of JobCrashTest";
  auto database = db::Database::Open(url, {.pool_size = 2});
  JobQueue queue(*database, CrashOptions(), QuietLogger());
  queue.Handle(kKind, [&](const Job& job) -> Outcome {
    {
      std::ofstream out(marker, std::ios::app);
      out << job.id << " " << job.attempt << "\n";
    }
    for (;;) std::this_thread::sleep_for(1s);  // killed here
  });
  queue.Start();
  std::this_thread::sleep_for(120s);  // the parent kills us long before this
  FAIL() << "not killed";
}

class JobCrashTest : public test::JobsTest {};

TEST_P(JobCrashTest, AJobOfAKilledWorkerIsReclaimedAndCompletedExactlyOnce) {
  constexpr int kJobs = 4;
  std::vector<std::string> ids;
  for (int i = 0; i < kJobs; ++i) ids.push_back(Add({.kind = kKind, .payload = {{"i", i}}}).id);
  const std::string marker =
      (std::filesystem::temp_directory_path() / ("rapport-crash-" + std::to_string(getpid()) +
                                                 "-" + std::to_string(GetParam() == db::Engine::kSqlite)))
          .string();
  std::filesystem::remove(marker);

  const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    setenv(kDbVariable, url_.c_str(), 1);
    setenv(kMarkerVariable, marker.c_str(), 1);
    execl(self.c_str(), self.c_str(), "--gtest_filter=JobCrashChild.*", static_cast<char*>(nullptr));
    _exit(127);
  }
  const bool started = WaitFor([&] { return Lines(marker).size() == 1; });
  if (!started) kill(child, SIGKILL);
  ASSERT_TRUE(started) << "the child never ran a job";
  // Still running after a lease and more: the live child renewed its lease.
  std::this_thread::sleep_for(2s);
  ASSERT_EQ(Lines(marker).size(), 1u);
  ASSERT_EQ(kill(child, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status));

  std::istringstream first(Lines(marker).front());
  std::string crashed_id;
  int crashed_attempt = 0;
  first >> crashed_id >> crashed_attempt;
  EXPECT_EQ(crashed_attempt, 1);
  EXPECT_EQ(Find(crashed_id).status, JobStatus::kRunning);
  EXPECT_EQ(Count("status = 'queued'"), kJobs - 1);

  std::mutex mutex;
  std::map<std::string, std::vector<int>> runs;
  JobQueue survivor(*database_, CrashOptions(), QuietLogger());
  survivor.Handle(kKind, [&](const Job& job) {
    std::lock_guard lock(mutex);
    runs[job.id].push_back(job.attempt);
    return Outcome::Done();
  });
  survivor.Start();
  ASSERT_TRUE(WaitFor([&] { return Count("status = 'done'") == kJobs; })) << Count("status = 'done'");
  survivor.Stop();

  std::lock_guard lock(mutex);
  ASSERT_EQ(runs.size(), static_cast<std::size_t>(kJobs));  // no job lost
  for (const std::string& id : ids) {
    ASSERT_EQ(runs[id].size(), 1u) << id;  // each completed exactly once here
    EXPECT_EQ(runs[id].front(), id == crashed_id ? 2 : 1) << id;
  }
  EXPECT_EQ(Find(crashed_id).attempts, 2);
  EXPECT_EQ(Lines(marker).size(), 1u);  // the child ran nothing else
  std::filesystem::remove(marker);
}

INSTANTIATE_TEST_SUITE_P(Engines, JobCrashTest, db::test::kEngines, db::test::EngineName);

}  // namespace
}  // namespace rapport::jobs
