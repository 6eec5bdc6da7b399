#include "oidc/oidc_store.hpp"

#include "auth/tokens.hpp"

namespace rapport::oidc {

void OidcStore::Insert(db::Session& session, std::string_view state, const PendingLogin& login,
                       std::string_view now) const {
  session.Exec(db::Query("DELETE FROM oidc_states WHERE expires_at < ").Param(now));
  db::Query insert(
      "INSERT INTO oidc_states (state_hash, provider, nonce, "
      "code_verifier, redirect_uri, "
      "expires_at, created_at) VALUES (");
  insert.Param(auth::HashOpaqueToken(state)).Sql(", ").Param(login.provider).Sql(", ");
  insert.Param(login.nonce).Sql(", ").Param(login.code_verifier).Sql(", ");
  insert.Param(login.redirect_uri).Sql(", ").Param(login.expires_at).Sql(", ").Param(now).Sql(")");
  session.Exec(insert);
}

std::optional<PendingLogin> OidcStore::Claim(db::Session& session, std::string_view state) const {
  const std::string hash = auth::HashOpaqueToken(state);
  std::optional<PendingLogin> login;
  session.First(db::Query("SELECT provider, nonce, code_verifier, "
                          "redirect_uri, expires_at FROM "
                          "oidc_states WHERE state_hash = ")
                    .Param(hash),
                [&](const db::Row& row) {
                  login = PendingLogin{row.TextAt(0), row.TextAt(1), row.TextAt(2), row.TextAt(3),
                                       row.TextAt(4)};
                });
  if (!login) return std::nullopt;
  if (session.Exec(db::Query("DELETE FROM oidc_states WHERE state_hash = ").Param(hash)) != 1) {
    return std::nullopt;
  }
  return login;
}

}  // namespace rapport::oidc
