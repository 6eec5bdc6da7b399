#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/time.hpp"
#include "db/database.hpp"
#include "email/email_store.hpp"

namespace rapport::email {

// Records opens and clicks off the request path. The tracking endpoints only append to a
// bounded in-memory buffer (no database work, no system call), so they answer in constant
// time whatever the token; a background thread writes the buffer in one transaction every
// `interval` (or sooner when it fills up), resolving open tokens there. Unknown open tokens
// are dropped at that point.
//
// The client address never reaches the database: it goes into `visitor`, a keyed BLAKE2b
// hash of address and user agent (key kept in app_settings), which counts unique opens.
//
// Trade-off: events buffered when the process dies are lost (at most `interval` worth), and
// events beyond `capacity` pending are dropped and counted in dropped(). Thread-safe.
class EngagementRecorder {
 public:
  struct Options {
    std::chrono::milliseconds interval{250};
    std::size_t capacity = 100'000;
  };
  EngagementRecorder(db::Database& database, const EmailStore& store, Options options);
  ~EngagementRecorder();  // writes what is buffered, then stops
  EngagementRecorder(const EngagementRecorder&) = delete;
  EngagementRecorder& operator=(const EngagementRecorder&) = delete;

  // An open seen with the raw token of a pixel URL.
  void RecordOpen(std::string token, std::string_view user_agent, std::string_view ip);
  // A click on a known link.
  void RecordClick(const LinkRow& link, std::string_view user_agent, std::string_view ip);

  // Writes everything recorded so far before returning (tests; shutdown).
  void Flush();

  uint64_t dropped() const { return dropped_.load(); }
  uint64_t written() const { return written_.load(); }

 private:
  struct Pending {
    std::string kind;             // open | click
    std::string token;            // opens: the raw token
    std::optional<LinkRow> link;  // clicks
    std::string user_agent;
    std::string ip;
    core::Timestamp at;
  };
  void Push(Pending event);
  void Loop();
  void Write(std::vector<Pending> batch);
  std::string Visitor(std::string_view ip, std::string_view user_agent);

  db::Database& database_;
  const EmailStore& store_;
  Options options_;
  std::string visitor_key_;  // writer thread only; loaded on first use

  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable flushed_;
  std::vector<Pending> pending_;  // guarded by mutex_
  uint64_t pushed_ = 0;           // guarded by mutex_: events accepted so far
  uint64_t done_ = 0;             // guarded by mutex_: events handled (written or dropped)
  bool stopping_ = false;         // guarded by mutex_
  bool flush_requested_ = false;  // guarded by mutex_
  std::atomic<uint64_t> dropped_{0};
  std::atomic<uint64_t> written_{0};
  std::thread thread_;
};

}  // namespace rapport::email
