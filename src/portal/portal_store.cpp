#include "portal/portal_store.hpp"

#include "core/text.hpp"

namespace rapport::portal {

namespace {

constexpr std::string_view kAccountColumns =
    "SELECT id, customer_id, email, name, verified_at, created_at, updated_at, password_hash "
    "FROM portal_accounts";
constexpr std::string_view kSignupColumns =
    "SELECT token_hash, email, name, password_hash, phone, company, expires_at, used_at, "
    "created_at FROM portal_signups";

Account AccountFrom(const db::Row& row) {
  return {row.Text("id"),          row.Text("customer_id"), row.Text("email"),
          row.Text("name"),        row.Text("verified_at"), row.Text("created_at"),
          row.Text("updated_at"),  row.Text("password_hash")};
}

std::optional<Account> FindOne(db::Session& session, const db::Query& query) {
  std::optional<Account> account;
  session.First(query, [&](const db::Row& row) { account = AccountFrom(row); });
  return account;
}

}  // namespace

std::optional<Account> PortalStore::FindAccount(db::Session& session, std::string_view id) const {
  return FindOne(session, db::Query(kAccountColumns).Sql(" WHERE id = ").Param(id));
}

std::optional<Account> PortalStore::FindAccountByEmail(db::Session& session,
                                                       std::string_view email) const {
  return FindOne(session, db::Query(kAccountColumns)
                              .Sql(" WHERE lower(email) = ")
                              .Param(core::ToLowerAscii(email)));
}

core::Status PortalStore::InsertAccount(db::Session& tx, const Account& a) const {
  db::Query query(
      "INSERT INTO portal_accounts (id, customer_id, email, name, password_hash, verified_at, "
      "created_at, updated_at) VALUES (");
  query.Param(a.id).Sql(", ").Param(a.customer_id).Sql(", ").Param(a.email).Sql(", ");
  query.Param(a.name).Sql(", ").Param(a.password_hash).Sql(", ").Param(a.verified_at);
  query.Sql(", ").Param(a.created_at).Sql(", ").Param(a.updated_at).Sql(")");
  if (!tx.ExecUnlessDuplicate(query)) {
    return core::Error::Conflict("email", "an account with this email exists; sign in");
  }
  return core::Ok{};
}

void PortalStore::InsertSignup(db::Session& tx, const PendingSignup& s) const {
  db::Query query(
      "INSERT INTO portal_signups (token_hash, email, name, password_hash, phone, company, "
      "expires_at, used_at, created_at) VALUES (");
  query.Param(s.token_hash).Sql(", ").Param(s.email).Sql(", ").Param(s.name).Sql(", ");
  query.Param(s.password_hash).Sql(", ").Param(s.phone).Sql(", ").Param(s.company).Sql(", ");
  query.Param(s.expires_at).Sql(", ").Param(s.used_at).Sql(", ").Param(s.created_at).Sql(")");
  tx.Exec(query);
}

std::optional<PendingSignup> PortalStore::FindSignup(db::Session& session,
                                              std::string_view token_hash) const {
  std::optional<PendingSignup> signup;
  session.First(db::Query(kSignupColumns).Sql(" WHERE token_hash = ").Param(token_hash),
                [&](const db::Row& row) {
                  signup = PendingSignup{row.Text("token_hash"),    row.Text("email"),
                                  row.Text("name"),          row.Text("password_hash"),
                                  row.OptText("phone"),      row.OptText("company"),
                                  row.Text("expires_at"),    row.OptText("used_at"),
                                  row.Text("created_at")};
                });
  return signup;
}

bool PortalStore::UseSignup(db::Session& tx, std::string_view token_hash,
                            std::string_view now) const {
  return tx.Exec(db::Query("UPDATE portal_signups SET used_at = ")
                     .Param(now)
                     .Sql(" WHERE token_hash = ")
                     .Param(token_hash)
                     .Sql(" AND used_at IS NULL")) == 1;
}

void PortalStore::UseSignupsOf(db::Session& tx, std::string_view email,
                               std::string_view now) const {
  tx.Exec(db::Query("UPDATE portal_signups SET used_at = ")
              .Param(now)
              .Sql(" WHERE lower(email) = ")
              .Param(core::ToLowerAscii(email))
              .Sql(" AND used_at IS NULL"));
}

int64_t PortalStore::CountSignupsSince(db::Session& session, std::string_view email,
                                       std::string_view since) const {
  return session.Scalar(db::Query("SELECT count(*) FROM portal_signups WHERE lower(email) = ")
                            .Param(core::ToLowerAscii(email))
                            .Sql(" AND created_at >= ")
                            .Param(since));
}

int64_t PortalStore::DeleteSignupsExpiredBefore(db::Session& tx, std::string_view before) const {
  return tx.Exec(db::Query("DELETE FROM portal_signups WHERE expires_at < ").Param(before));
}

}  // namespace rapport::portal
