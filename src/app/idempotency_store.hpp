#pragma once

#include "db/database.hpp"
#include "http/server.hpp"

namespace rapport::app {

// Idempotency keys in the database, so every node of a cluster sees them. A key is kept for
// 24 hours; after that it may be used again.
class DbIdempotencyStore : public http::IdempotencyStore {
 public:
  explicit DbIdempotencyStore(db::Database& database) : database_(database) {}

  std::optional<Saved> Claim(const std::string& owner, std::string_view key,
                             std::string_view request_fingerprint) override;
  void Finish(const std::string& owner, std::string_view key,
              const http::Response& response) override;
  void Release(const std::string& owner, std::string_view key) override;

 private:
  db::Database& database_;
};

}  // namespace rapport::app
