#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "db/database.hpp"

namespace rapport::db {

// PostgreSQL LISTEN on a connection of its own, so that one node learns of another's
// NOTIFY (sent in a transaction, delivered when it commits). On SQLite there is nothing to
// listen to and Wait() only sleeps until its timeout or Interrupt().
//
// Wait() is for one thread; Interrupt() may be called from any thread.
class Listener {
 public:
  // Connects on the first Wait(), and again after a lost connection. Channel names are SQL
  // identifiers chosen by the program (quoted here, never taken from input).
  Listener(const Database& database, std::vector<std::string> channels);
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  // Waits up to `timeout` for notifications on the channels. Returns true when one or more
  // arrived (all pending ones are consumed), false on timeout or Interrupt(). A lost
  // connection is reopened on a later call; notifications sent meanwhile are missed, so
  // callers keep a poll as the fallback.
  bool Wait(std::chrono::milliseconds timeout);

  // Makes the current or next Wait() return false at once.
  void Interrupt();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace rapport::db
