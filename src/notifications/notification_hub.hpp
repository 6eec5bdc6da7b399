#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include "db/database.hpp"
#include "db/listener.hpp"

namespace rapport::notifications {

// Wakes this process's notification streams when a user gets a notification: after the
// commit of a transaction that created one in this process (WakeAfterCommit), and on
// PostgreSQL also when any node commits one, through NOTIFY on kChannel with the user id as
// payload, which a listener thread of each node hears. On SQLite only wake-ups of this
// process exist; streams fall back to polling for notifications another process created.
//
// A stream waits for its user's change token to move (Wait). Thread-safe.
class NotificationHub {
 public:
  static constexpr std::string_view kChannel = "rapport_notifications";

  explicit NotificationHub(const db::Database& database);
  ~NotificationHub();  // Stop()
  NotificationHub(const NotificationHub&) = delete;
  NotificationHub& operator=(const NotificationHub&) = delete;

  // Starts the listener thread (PostgreSQL only). Idempotent.
  void Start();
  // Ends the listener thread and every Wait, now and later. Idempotent.
  void Stop();

  // Inside a transaction that created a notification for `user_id`: wakes that user's
  // streams once the transaction commits, here and (PostgreSQL) on every node.
  void WakeAfterCommit(db::Session& tx, const std::string& user_id);

  // Wakes the streams of `user_id` now (this process only).
  void Wake(const std::string& user_id);
  // Wakes every stream of this process.
  void WakeAll();

  // The change token of `user_id`: it moves whenever the user's streams are woken.
  uint64_t Token(const std::string& user_id) const;
  // Waits until the token of `user_id` differs from `seen`, `timeout` passes or Stop() is
  // called; returns the token then.
  uint64_t Wait(const std::string& user_id, uint64_t seen, std::chrono::milliseconds timeout);

 private:
  uint64_t TokenLocked(const std::string& user_id) const;
  void Listen();

  bool postgres_;
  std::unique_ptr<db::Listener> listener_;  // PostgreSQL only
  std::thread thread_;

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  uint64_t everyone_ = 0;                              // guarded by mutex_
  std::unordered_map<std::string, uint64_t> users_;    // guarded by mutex_
  bool stopping_ = false;                              // guarded by mutex_
  bool started_ = false;                               // guarded by mutex_
};

}  // namespace rapport::notifications
