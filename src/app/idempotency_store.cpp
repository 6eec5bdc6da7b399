#include "app/idempotency_store.hpp"

#include "auth/tokens.hpp"
#include "core/time.hpp"

namespace rapport::app {

namespace {

constexpr auto kKeyLifetime = std::chrono::hours(24);
constexpr int kInProgress = 0;

}  // namespace

std::optional<http::IdempotencyStore::Saved> DbIdempotencyStore::Claim(
    const std::string& owner, std::string_view key, std::string_view request_fingerprint) {
  const std::string hash = auth::HashOpaqueToken(request_fingerprint);
  const core::Timestamp now = core::Now();
  const std::string created = core::FormatTimestamp(now);
  const std::string expired_before = core::FormatTimestamp(now - kKeyLifetime);
  std::optional<Saved> saved;
  database_.Apply([&](db::Session& session) {
    session.Exec(db::Query("DELETE FROM idempotency_keys WHERE principal = ")
                     .Param(owner)
                     .Sql(" AND idempotency_key = ")
                     .Param(key)
                     .Sql(" AND created_at < ")
                     .Param(expired_before));
    const int64_t claimed = session.Exec(
        db::Query("INSERT INTO idempotency_keys (principal, idempotency_key, request_hash, status, "
                  "created_at) VALUES (")
            .Param(owner)
            .Sql(", ")
            .Param(key)
            .Sql(", ")
            .Param(hash)
            .Sql(", ")
            .Param(kInProgress)
            .Sql(", ")
            .Param(created)
            .Sql(") ON CONFLICT DO NOTHING"));
    if (claimed == 1) return core::Ok{};
    session.First(db::Query("SELECT request_hash, status, content_type, location, body FROM "
                            "idempotency_keys WHERE principal = ")
                      .Param(owner)
                      .Sql(" AND idempotency_key = ")
                      .Param(key),
                  [&](const db::Row& row) {
                    Saved s;
                    s.same_request = row.Text("request_hash") == hash;
                    s.in_progress = row.Int("status") == kInProgress;
                    s.response.status = static_cast<int>(row.Int("status"));
                    s.response.content_type = row.Text("content_type");
                    s.response.body = row.Text("body");
                    if (auto location = row.Text("location"); !location.empty()) {
                      s.response.WithHeader("Location", location);
                    }
                    saved = std::move(s);
                  });
    return core::Ok{};
  });
  return saved;
}

void DbIdempotencyStore::Finish(const std::string& owner, std::string_view key,
                                const http::Response& response) {
  database_.Apply([&](db::Session& session) {
    session.Exec(db::Query("UPDATE idempotency_keys SET status = ")
                     .Param(response.status)
                     .Sql(", content_type = ")
                     .Param(response.content_type)
                     .Sql(", location = ")
                     .Param(response.Header("Location"))
                     .Sql(", body = ")
                     .Param(response.body)
                     .Sql(" WHERE principal = ")
                     .Param(owner)
                     .Sql(" AND idempotency_key = ")
                     .Param(key));
  });
}

void DbIdempotencyStore::Release(const std::string& owner, std::string_view key) {
  database_.Apply([&](db::Session& session) {
    session.Exec(db::Query("DELETE FROM idempotency_keys WHERE principal = ")
                     .Param(owner)
                     .Sql(" AND idempotency_key = ")
                     .Param(key));
  });
}

}  // namespace rapport::app
