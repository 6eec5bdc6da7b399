#include "auth/auth_service.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "auth/password.hpp"
#include "auth/tokens.hpp"
#include "core/ids.hpp"
#include "core/text.hpp"
#include "core/time.hpp"

namespace rapport::auth {

namespace {

constexpr auto kCacheTtl = std::chrono::seconds(5);

std::string At(core::Timestamp t) { return core::FormatTimestamp(t); }

int64_t UnixSeconds(core::Timestamp t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

User NewUserRecord(const NewUser& input) {
  User user;
  user.id = core::NewId();
  user.email = input.email;
  user.name = input.name;
  user.role = input.role;
  user.password_hash = HashPassword(input.password);
  user.created_at = user.updated_at = At(core::Now());
  return user;
}

}  // namespace

AuthService::AuthService(db::Database& database, std::string jwt_secret)
    : database_(database), secret_(std::move(jwt_secret)), users_(database.engine()) {}

core::Result<User> AuthService::Bootstrap(const NewUser& input) {
  User user = NewUserRecord(input);  // hash outside the transaction: it takes a while
  user.role = core::Role::kAdmin;
  return database_.Write([&](db::Session& session) -> core::Result<User> {
    const core::Error taken = core::Error::Conflict("the installation already has users");
    if (users_.Count(session) > 0) return taken;
    // The marker row makes concurrent bootstraps on several nodes collide on its key.
    if (!session.ExecUnlessDuplicate(
            db::Query("INSERT INTO app_settings (setting_key, value, updated_at) VALUES "
                      "('bootstrap_admin', ")
                .Param(user.id)
                .Sql(", ")
                .Param(user.created_at)
                .Sql(")"))) {
      return taken;
    }
    if (auto inserted = users_.Insert(session, user); !inserted) return inserted.error();
    return user;
  });
}

core::Result<User> AuthService::CreateUser(const NewUser& input) {
  User user = NewUserRecord(input);
  return database_.Write([&](db::Session& session) -> core::Result<User> {
    if (auto inserted = users_.Insert(session, user); !inserted) return inserted.error();
    return user;
  });
}

TokenPair AuthService::IssueTokens(db::Session& session, std::string_view kind,
                                   std::string_view id, std::string_view role,
                                   std::string_view family) {
  const core::Timestamp now = core::Now();
  AccessClaims claims{std::string(id), std::string(kind), std::string(role), UnixSeconds(now),
                      UnixSeconds(now) + kAccessTokenSeconds, core::NewId()};
  TokenPair pair;
  pair.access_token = SignAccessToken(claims, secret_);
  pair.refresh_token = NewOpaqueToken();
  db::Query insert(
      "INSERT INTO refresh_tokens (token_hash, family_id, principal_kind, principal_id, "
      "expires_at, created_at) VALUES (");
  insert.Param(HashOpaqueToken(pair.refresh_token)).Sql(", ");
  insert.Param(family.empty() ? core::NewId() : std::string(family)).Sql(", ");
  insert.Param(kind).Sql(", ").Param(id).Sql(", ");
  insert.Param(At(now + std::chrono::days(kRefreshTokenDays))).Sql(", ").Param(At(now)).Sql(")");
  session.Exec(insert);
  return pair;
}

core::Result<int64_t> AuthService::LoginFailures(std::string_view email_key,
                                                std::string_view ip) {
  const std::string window_start =
      At(core::Now() - std::chrono::minutes(kLoginWindowMinutes));
  struct Counts {
    int64_t by_email = 0;
    int64_t by_ip = 0;
  };
  auto counts = database_.Read([&](db::Session& session) {
    Counts c;
    c.by_email = session.Scalar(db::Query("SELECT count(*) FROM login_failures WHERE email = ")
                                    .Param(email_key)
                                    .Sql(" AND failed_at >= ")
                                    .Param(window_start));
    c.by_ip = session.Scalar(db::Query("SELECT count(*) FROM login_failures WHERE ip = ")
                                 .Param(ip)
                                 .Sql(" AND failed_at >= ")
                                 .Param(window_start));
    return c;
  });
  if (counts.by_email >= kMaxFailuresPerEmail || counts.by_ip >= kMaxFailuresPerIp) {
    // Conservative: the window is a sliding one, so the budget comes back within it.
    return core::Error::TooManyRequests(kLoginWindowMinutes * 60);
  }
  return counts.by_email;
}

std::chrono::milliseconds AuthService::RecordLoginFailure(std::string_view email_key,
                                                          std::string_view ip, int64_t earlier) {
  const core::Timestamp now = core::Now();
  const std::string window_start = At(now - std::chrono::minutes(kLoginWindowMinutes));
  database_.Apply([&](db::Session& session) {
    session.Exec(db::Query("DELETE FROM login_failures WHERE email = ")
                     .Param(email_key)
                     .Sql(" AND failed_at < ")
                     .Param(window_start));
    session.Exec(db::Query("INSERT INTO login_failures (email, ip, failed_at) VALUES (")
                     .Param(email_key)
                     .Sql(", ")
                     .Param(ip)
                     .Sql(", ")
                     .Param(At(now))
                     .Sql(")"));
  });
  return std::chrono::milliseconds(std::min<int64_t>(3000, 200 * (earlier + 1)));
}

LoginOutcome AuthService::Login(std::string_view email, std::string_view password,
                                std::string_view ip) {
  const std::string email_key = core::ToLowerAscii(email);
  LoginOutcome outcome;
  auto failures = LoginFailures(email_key, ip);
  if (!failures) {
    outcome.result = failures.error();
    return outcome;
  }

  auto user = database_.Read([&](db::Session& session) { return users_.FindByEmail(session, email); });
  // Verify against a dummy hash when there is no such user, so timing does not reveal
  // which emails have accounts.
  const bool password_ok = VerifyPassword(user ? user->password_hash : DummyHash(), password);
  if (!user || !password_ok || !user->active) {
    outcome.delay = RecordLoginFailure(email_key, ip, *failures);
    outcome.result = core::Error::Unauthorized("invalid email or password");
    return outcome;
  }
  auto tokens = database_.Write([&](db::Session& session) -> core::Result<TokenPair> {
    return IssueTokens(session, "user", user->id, core::RoleName(user->role));
  });
  outcome.result = std::make_pair(std::move(*tokens), std::move(*user));
  return outcome;
}

core::Result<std::pair<TokenPair, User>> AuthService::SignInVerifiedEmail(std::string_view email) {
  return database_.Write(
      [&](db::Session& session) -> core::Result<std::pair<TokenPair, User>> {
        auto user = users_.FindByEmail(session, email);
        if (!user) return core::Error::Forbidden("no staff user has this email address");
        if (!user->active) return core::Error::Unauthorized("the user is deactivated");
        TokenPair tokens = IssueTokens(session, "user", user->id, core::RoleName(user->role));
        return std::make_pair(std::move(tokens), std::move(*user));
      });
}

void AuthService::AcceptKind(std::string kind, PrincipalResolver resolver) {
  resolvers_[std::move(kind)] = std::move(resolver);
}

core::Result<TokenPair> AuthService::Refresh(std::string_view refresh_token,
                                             std::string_view kind) {
  const std::string hash = HashOpaqueToken(refresh_token);
  const std::string now = At(core::Now());
  const core::Error invalid = core::Error::Unauthorized("the refresh token is not valid");
  bool reused = false;
  auto result = database_.Write([&](db::Session& session) -> core::Result<TokenPair> {
    struct Stored {
      std::string family, kind, id, expires_at;
      std::optional<std::string> used_at, revoked_at;
    };
    std::optional<Stored> stored;
    session.First(db::Query("SELECT family_id, principal_kind, principal_id, expires_at, used_at, "
                            "revoked_at FROM refresh_tokens WHERE token_hash = ")
                      .Param(hash),
                  [&](const db::Row& row) {
                    stored = Stored{row.Text("family_id"), row.Text("principal_kind"),
                                    row.Text("principal_id"), row.Text("expires_at"),
                                    row.OptText("used_at"), row.OptText("revoked_at")};
                  });
    if (!stored || stored->kind != kind || stored->revoked_at || stored->expires_at <= now) {
      return invalid;
    }
    // Claim the token atomically: of two concurrent refreshes only one changes the row.
    const int64_t claimed = session.Exec(db::Query("UPDATE refresh_tokens SET used_at = ")
                                             .Param(now)
                                             .Sql(" WHERE token_hash = ")
                                             .Param(hash)
                                             .Sql(" AND used_at IS NULL AND revoked_at IS NULL"));
    if (stored->used_at || claimed != 1) {
      reused = true;
      return invalid;
    }
    std::string role;
    if (stored->kind == "user") {
      auto user = users_.FindById(session, stored->id);
      if (!user || !user->active) return invalid;
      role = core::RoleName(user->role);
    } else {
      auto resolver = resolvers_.find(stored->kind);
      if (resolver == resolvers_.end() || !resolver->second(session, stored->id)) return invalid;
    }
    return IssueTokens(session, stored->kind, stored->id, role, stored->family);
  });
  if (reused) {
    // A rotated token came back: someone holds a copy. Revoke the whole family (in its own
    // transaction, as the one above was rolled back with the error).
    database_.Apply([&](db::Session& session) {
      session.Exec(db::Query("UPDATE refresh_tokens SET revoked_at = ")
                       .Param(now)
                       .Sql(" WHERE revoked_at IS NULL AND family_id IN (SELECT family_id FROM "
                            "refresh_tokens WHERE token_hash = ")
                       .Param(hash)
                       .Sql(")"));
    });
  }
  return result;
}

void AuthService::Logout(std::string_view refresh_token, std::string_view kind) {
  const std::string hash = HashOpaqueToken(refresh_token);
  database_.Apply([&](db::Session& session) {
    session.Exec(db::Query("UPDATE refresh_tokens SET revoked_at = ")
                     .Param(At(core::Now()))
                     .Sql(" WHERE revoked_at IS NULL AND family_id IN (SELECT family_id FROM "
                          "refresh_tokens WHERE token_hash = ")
                     .Param(hash)
                     .Sql(" AND principal_kind = ")
                     .Param(kind)
                     .Sql(")"));
  });
}

void AuthService::RevokeAll(db::Session& session, std::string_view kind, std::string_view id) {
  session.Exec(db::Query("UPDATE refresh_tokens SET revoked_at = ")
                   .Param(At(core::Now()))
                   .Sql(" WHERE revoked_at IS NULL AND principal_kind = ")
                   .Param(kind)
                   .Sql(" AND principal_id = ")
                   .Param(id));
}

std::optional<AuthService::VerifiedToken> AuthService::Verify(std::string_view access_token,
                                                              int64_t now) {
  constexpr std::size_t kMaxVerified = 20000;
  {
    std::shared_lock lock(cache_mutex_);
    auto it = verified_.find(access_token);
    if (it != verified_.end()) {
      if (now < it->second.expires_at) return it->second;
      lock.unlock();
      std::lock_guard erase(cache_mutex_);
      verified_.erase(std::string(access_token));
      return std::nullopt;
    }
  }
  auto verified = VerifyAccessToken(access_token, secret_, now);
  const auto* claims = std::get_if<AccessClaims>(&verified);
  if (claims == nullptr) return std::nullopt;
  VerifiedToken token{claims->subject, claims->kind, claims->expires_at};
  std::lock_guard lock(cache_mutex_);
  if (verified_.size() >= kMaxVerified) verified_.clear();
  verified_.emplace(access_token, token);
  return token;
}

core::Result<core::Principal> AuthService::Authenticate(std::string_view access_token) {
  const int64_t now = UnixSeconds(core::Now());
  auto claims = Verify(access_token, now);
  if (!claims) return core::Error::Unauthorized("the access token is not valid or has expired");
  const auto clock_now = std::chrono::steady_clock::now();
  if (claims->kind != "user") {
    auto resolver = resolvers_.find(claims->kind);
    if (resolver == resolvers_.end()) {
      return core::Error::Unauthorized("the access token is not valid");
    }
    const std::string key = claims->kind + ":" + claims->subject;
    std::optional<CachedPrincipal> cached;
    {
      std::shared_lock lock(cache_mutex_);
      auto it = others_.find(key);
      if (it != others_.end() && it->second.expires > clock_now) cached = it->second;
    }
    if (!cached) {
      cached = CachedPrincipal{
          database_.Read([&](db::Session& session) {
            return resolver->second(session, claims->subject);
          }),
          clock_now + kCacheTtl};
      std::lock_guard lock(cache_mutex_);
      if (others_.size() > 100000) others_.clear();
      others_[key] = *cached;
    }
    if (!cached->principal) return core::Error::Unauthorized("the access token is not valid");
    return *cached->principal;
  }
  core::Principal principal;
  principal.id = claims->subject;
  principal.kind = core::Principal::Kind::kUser;

  {
    std::shared_lock lock(cache_mutex_);
    auto it = cache_.find(claims->subject);
    if (it != cache_.end() && it->second.expires > clock_now) {
      if (!it->second.active) return core::Error::Unauthorized("the user is deactivated");
      principal.role = it->second.role;
      return principal;
    }
  }
  auto user = database_.Read(
      [&](db::Session& session) { return users_.FindById(session, claims->subject); });
  if (!user) return core::Error::Unauthorized("the access token is not valid");
  {
    std::lock_guard lock(cache_mutex_);
    if (cache_.size() > 100000) cache_.clear();
    cache_[user->id] = {user->active, user->role, clock_now + kCacheTtl};
  }
  if (!user->active) return core::Error::Unauthorized("the user is deactivated");
  principal.role = user->role;
  return principal;
}

void AuthService::Forget(std::string_view user_id) {
  std::lock_guard lock(cache_mutex_);
  cache_.erase(std::string(user_id));
}

core::Result<User> AuthService::Me(const core::Principal& principal) {
  auto user = database_.Read(
      [&](db::Session& session) { return users_.FindById(session, principal.id); });
  if (!user) return core::Error::NotFound("user", principal.id);
  return *user;
}

core::Result<User> AuthService::UpdateMe(const core::Principal& principal,
                                         const UserChanges& changes) {
  auto current = Me(principal);
  if (!current) return current;
  std::optional<std::string> new_hash;
  if (changes.password.value) {
    if (!VerifyPassword(current->password_hash, *changes.current_password.value)) {
      return core::Error::Invalid("current_password", "is not the current password");
    }
    new_hash = HashPassword(*changes.password.value);
  }
  return database_.Write([&](db::Session& session) -> core::Result<User> {
    auto user = users_.FindById(session, principal.id);
    if (!user) return core::Error::NotFound("user", principal.id);
    if (changes.name.value) user->name = *changes.name.value;
    if (changes.notify_by_email.value) user->notify_by_email = *changes.notify_by_email.value;
    if (new_hash) {
      user->password_hash = *new_hash;
      RevokeAll(session, "user", user->id);  // other sessions sign in again
    }
    users_.Update(session, *user);
    return *user;
  });
}

}  // namespace rapport::auth
