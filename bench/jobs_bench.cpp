// Throughput of the job queue: how fast jobs are enqueued, and how fast a queue with N
// workers drains no-op jobs, on the database given (default: a fresh SQLite file with
// synchronous=FULL).
//
//   build/bench/rapport_jobs_bench [--db URL] [--jobs N] [--workers N] [--batch N] [--analyze]
//
// --analyze refreshes PostgreSQL's statistics after the enqueue, as autovacuum does within
// a minute: without it the planner still sees the empty table and sorts the whole backlog
// on every claim.
//
// Prints one line per measurement: `name: value unit (details)`.

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <sys/resource.h>

#include <fmt/format.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include "db/database.hpp"
#include "db/migrations.hpp"
#include "jobs/job_queue.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using rapport::db::Database;
using rapport::db::Query;
using rapport::db::Session;
namespace jobs = rapport::jobs;

// CPU time of this process (all threads), in seconds.
double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

int64_t Done(Database& database) {
  return database.Read([](Session& s) {
    return s.Scalar(Query("SELECT count(*) FROM jobs WHERE kind = 'bench.noop' AND status = 'done'"));
  });
}

void Clear(Database& database) {
  database.Apply([](Session& s) { s.Exec(Query("DELETE FROM jobs WHERE kind LIKE 'bench.%'")); });
}

}  // namespace

int main(int argc, char** argv) {
  std::string url;
  int total = 20000;
  int workers = 2;
  int batch = 32;
  bool analyze = false;
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--analyze") analyze = true;
  }
  for (int i = 1; i < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--analyze") {
      --i;
      continue;
    }
    if (i + 1 >= argc) {
      fmt::print(stderr, "{} needs a value\n", flag);
      return 2;
    }
    if (flag == "--db") url = argv[i + 1];
    else if (flag == "--jobs") total = std::atoi(argv[i + 1]);
    else if (flag == "--workers") workers = std::atoi(argv[i + 1]);
    else if (flag == "--batch") batch = std::atoi(argv[i + 1]);
    else {
      fmt::print(stderr, "usage: {} [--db URL] [--jobs N] [--workers N] [--batch N] [--analyze]\n",
                 argv[0]);
      return 2;
    }
  }
  std::filesystem::path dir;
  if (url.empty()) {
    dir = std::filesystem::temp_directory_path() / fmt::format("rapport-jobs-bench-{}", getpid());
    std::filesystem::create_directories(dir);
    url = "sqlite://" + (dir / "bench.db").string();
  }
  auto database = Database::Open(url, {.pool_size = 4, .sqlite_synchronous_full = true});
  rapport::db::Migrate(*database);
  Clear(*database);
  const char* engine = database->is_sqlite() ? "sqlite (synchronous=FULL)" : "postgres";
  fmt::print("engine: {}\n", engine);

  // Enqueue, 100 jobs per transaction (a campaign fan-out, an import).
  auto start = Clock::now();
  for (int done = 0; done < total;) {
    const int n = std::min(100, total - done);
    database->Apply([&](Session& tx) {
      for (int i = 0; i < n; ++i) {
        jobs::Enqueue(tx, {.kind = "bench.noop", .payload = {{"i", done + i}}});
      }
    });
    done += n;
  }
  double elapsed = Seconds(start);
  fmt::print("enqueue_batched: {:.0f} jobs/s ({} jobs, 100 per transaction, {:.2f} s)\n",
             total / elapsed, total, elapsed);

  // Enqueue, one job per transaction from 16 threads (requests that each create a job).
  const int singles = std::min(total, 4000);
  std::atomic<int> next{0};
  start = Clock::now();
  {
    std::vector<std::thread> threads;
    for (int t = 0; t < 16; ++t) {
      threads.emplace_back([&] {
        while (next.fetch_add(1) < singles) {
          database->Apply([&](Session& tx) { jobs::Enqueue(tx, {.kind = "bench.single"}); });
        }
      });
    }
    for (auto& thread : threads) thread.join();
  }
  elapsed = Seconds(start);
  fmt::print("enqueue_single: {:.0f} jobs/s ({} transactions of one job from 16 threads, {:.2f} s)\n",
             singles / elapsed, singles, elapsed);

  if (analyze && !database->is_sqlite()) {
    database->Read([](Session& s) { return s.Exec(Query("ANALYZE jobs")); });
  }

  // Drain the no-op jobs.
  auto quiet = std::make_shared<spdlog::logger>("bench", std::make_shared<spdlog::sinks::null_sink_mt>());
  jobs::QueueOptions options;
  options.workers = workers;
  options.batch_size = batch;
  std::atomic<int> ran{0};
  jobs::JobQueue queue(*database, options, quiet);
  queue.Handle("bench.noop", [&](const jobs::Job&) {
    ran.fetch_add(1, std::memory_order_relaxed);
    return jobs::Outcome::Done();
  });
  start = Clock::now();
  const double cpu_before = CpuSeconds();
  queue.Start();
  // The handler count first (no queries competing with the queue), then the table.
  while (ran.load() < total) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  while (Done(*database) < total) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  elapsed = Seconds(start);
  const double cpu = CpuSeconds() - cpu_before;
  queue.Stop();
  fmt::print("drain: {:.0f} jobs/s ({} no-op jobs, {} workers, batch {}, {:.2f} s, {} handler runs{})\n",
             total / elapsed, total, workers, batch, elapsed, ran.load(),
             analyze && !database->is_sqlite() ? ", statistics analyzed" : "");
  // Independent of how busy the machine is: the queue's own CPU per job (for PostgreSQL the
  // server's CPU comes on top).
  fmt::print("drain_cpu: {:.0f} us/job ({:.0f} jobs per CPU-second of this process)\n",
             cpu * 1e6 / total, total / cpu);

  Clear(*database);
  database.reset();
  if (!dir.empty()) std::filesystem::remove_all(dir);
  return 0;
}
