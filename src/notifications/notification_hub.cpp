#include "notifications/notification_hub.hpp"

#include <vector>

namespace rapport::notifications {

NotificationHub::NotificationHub(const db::Database& database)
    : postgres_(database.engine() == db::Engine::kPostgres) {
  if (postgres_) {
    listener_ = std::make_unique<db::Listener>(database, std::vector<std::string>{
                                                             std::string(kChannel)});
  }
}

NotificationHub::~NotificationHub() { Stop(); }

void NotificationHub::Start() {
  std::lock_guard lock(mutex_);
  if (started_ || stopping_ || !listener_) return;
  started_ = true;
  thread_ = std::thread([this] { Listen(); });
}

void NotificationHub::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  if (listener_) listener_->Interrupt();
  if (thread_.joinable()) thread_.join();
}

void NotificationHub::Listen() {
  std::vector<std::string> payloads;
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
    }
    payloads.clear();
    if (!listener_->Wait(std::chrono::seconds(1), &payloads)) continue;
    for (const std::string& user_id : payloads) {
      if (user_id.empty()) {
        WakeAll();
      } else {
        Wake(user_id);
      }
    }
  }
}

void NotificationHub::WakeAfterCommit(db::Session& tx, const std::string& user_id) {
  tx.AfterCommit([this, user_id] { Wake(user_id); });
  if (postgres_) {
    // Delivered when the transaction commits, never before (nor after a rollback).
    tx.Scalar(db::Query("SELECT count(*) FROM (SELECT pg_notify(")
                  .Param(kChannel)
                  .Sql(", ")
                  .Param(user_id)
                  .Sql(")) AS n"));
  }
}

void NotificationHub::Wake(const std::string& user_id) {
  {
    std::lock_guard lock(mutex_);
    ++users_[user_id];
  }
  changed_.notify_all();
}

void NotificationHub::WakeAll() {
  {
    std::lock_guard lock(mutex_);
    ++everyone_;
  }
  changed_.notify_all();
}

uint64_t NotificationHub::TokenLocked(const std::string& user_id) const {
  auto it = users_.find(user_id);
  // Both counters only grow, so their sum moves whenever either does.
  return everyone_ + (it == users_.end() ? 0 : it->second);
}

uint64_t NotificationHub::Token(const std::string& user_id) const {
  std::lock_guard lock(mutex_);
  return TokenLocked(user_id);
}

uint64_t NotificationHub::Wait(const std::string& user_id, uint64_t seen,
                               std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, timeout,
                    [&] { return stopping_ || TokenLocked(user_id) != seen; });
  return TokenLocked(user_id);
}

}  // namespace rapport::notifications
