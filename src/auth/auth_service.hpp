#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "auth/user.hpp"
#include "auth/user_store.hpp"
#include "core/principal.hpp"
#include "core/result.hpp"
#include "core/string_map.hpp"
#include "db/database.hpp"

namespace rapport::auth {

constexpr int kAccessTokenSeconds = 15 * 60;
constexpr int kRefreshTokenDays = 30;
constexpr int kLoginWindowMinutes = 15;
constexpr int kMaxFailuresPerEmail = 10;
constexpr int kMaxFailuresPerIp = 30;

struct TokenPair {
  std::string access_token;
  std::string refresh_token;
  int expires_in = kAccessTokenSeconds;
};

// A sign-in attempt's outcome. Failed attempts carry how long to hold the answer back, so
// guessing gets slower the more it fails.
struct LoginOutcome {
  core::Result<std::pair<TokenPair, User>> result = core::Error::Internal();
  std::chrono::milliseconds delay{0};
};

// Sign-in, tokens and the current user. Thread-safe.
class AuthService {
 public:
  AuthService(db::Database& database, std::string jwt_secret);

  // Creates the first admin. Conflict once any user exists.
  core::Result<User> Bootstrap(const NewUser& input);
  // Creates a user directly (the `rapport user create` command). Conflict on a duplicate email.
  core::Result<User> CreateUser(const NewUser& input);

  // TooManyRequests while the email or IP is over its failure budget (even for the right
  // password), Unauthorized for a wrong email/password or a deactivated user.
  LoginOutcome Login(std::string_view email, std::string_view password, std::string_view ip);
  // Signs in the active staff user with `email` (case-insensitive) whose identity was proven
  // elsewhere (an OpenID Connect provider vouched for it). Forbidden when no user has the
  // email (accounts are not created this way), Unauthorized when the user is deactivated.
  core::Result<std::pair<TokenPair, User>> SignInVerifiedEmail(std::string_view email);
  // Rotates a refresh token issued to a principal of `kind` ("user" for staff); a token of
  // another kind is Unauthorized and left untouched. Reusing a rotated token revokes its
  // whole family.
  core::Result<TokenPair> Refresh(std::string_view refresh_token, std::string_view kind = "user");
  // Revokes the family of the token if it was issued to a principal of `kind`; other and
  // unknown tokens are ignored.
  void Logout(std::string_view refresh_token, std::string_view kind = "user");

  // Verifies an access token and that its principal may still sign in: a staff user must be
  // active (the role comes from the user record, cached for a few seconds, so a demotion
  // takes effect promptly); other kinds are asked their resolver (AcceptKind), cached alike.
  core::Result<core::Principal> Authenticate(std::string_view access_token);

  // The principal behind the token subject `id` of another kind than staff users, if that
  // account may still sign in (else nullopt). Runs on `session`.
  using PrincipalResolver =
      std::function<std::optional<core::Principal>(db::Session& session, std::string_view id)>;
  // Accepts access and refresh tokens of `kind` (the customer portal's "portal") from now
  // on, checking their subject with `resolver`. Call before serving; not thread-safe against
  // Authenticate.
  void AcceptKind(std::string kind, PrincipalResolver resolver);

  // Sign-in throttling, shared by every kind of sign-in (staff and portal): the failures of
  // `email_key` within the last kLoginWindowMinutes, or TooManyRequests once that key has
  // kMaxFailuresPerEmail or `ip` kMaxFailuresPerIp of them (also for a right password, until
  // older failures leave the window). Keys of kinds other than staff carry a prefix
  // ("portal:grace@example.com") so each kind has its own budget per email; the budget per
  // IP is one for all.
  core::Result<int64_t> LoginFailures(std::string_view email_key, std::string_view ip);
  // Records a failed sign-in for `email_key` from `ip`; returns how long to hold the answer
  // back, given the `earlier` failures LoginFailures reported: 200 ms per failure, at most 3 s.
  std::chrono::milliseconds RecordLoginFailure(std::string_view email_key, std::string_view ip,
                                               int64_t earlier);

  core::Result<User> Me(const core::Principal& principal);
  core::Result<User> UpdateMe(const core::Principal& principal, const UserChanges& changes);

  // Issues a fresh token pair for a principal of `kind` ("user" or "portal").
  TokenPair IssueTokens(db::Session& session, std::string_view kind, std::string_view id,
                        std::string_view role, std::string_view family = {});
  // Drops cached facts about a user (after a change of role or active).
  void Forget(std::string_view user_id);
  // Revokes every refresh token of a principal.
  void RevokeAll(db::Session& session, std::string_view kind, std::string_view id);

  const UserStore& users() const { return users_; }

 private:
  struct CachedUser {
    bool active;
    core::Role role;
    std::chrono::steady_clock::time_point expires;
  };
  // What a resolver said about a principal of another kind.
  struct CachedPrincipal {
    std::optional<core::Principal> principal;
    std::chrono::steady_clock::time_point expires;
  };
  // A token already verified, so a client's next requests skip the signature check.
  struct VerifiedToken {
    std::string subject;
    std::string kind;
    int64_t expires_at;  // Unix seconds, from the token
  };
  std::optional<VerifiedToken> Verify(std::string_view access_token, int64_t now);

  db::Database& database_;
  std::string secret_;
  UserStore users_;
  // Every request reads these; only misses and changes write them.
  std::shared_mutex cache_mutex_;
  core::StringMap<CachedUser> cache_;
  core::StringMap<VerifiedToken> verified_;
  core::StringMap<CachedPrincipal> others_;  // by "<kind>:<id>"
  std::unordered_map<std::string, PrincipalResolver> resolvers_;  // by kind; set before serving
};

}  // namespace rapport::auth
