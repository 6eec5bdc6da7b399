#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "auth/user.hpp"
#include "auth/user_store.hpp"
#include "core/principal.hpp"
#include "core/result.hpp"
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
  // Rotates a refresh token. Reusing a rotated token revokes its whole family.
  core::Result<TokenPair> Refresh(std::string_view refresh_token);
  // Revokes the family of the token; unknown tokens are ignored.
  void Logout(std::string_view refresh_token);

  // Verifies an access token and that its user is still active; the role comes from the
  // user record (cached for a few seconds), so a demotion takes effect promptly.
  core::Result<core::Principal> Authenticate(std::string_view access_token);

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
  std::mutex cache_mutex_;
  std::unordered_map<std::string, CachedUser> cache_;
  std::unordered_map<std::string, VerifiedToken> verified_;
};

}  // namespace rapport::auth
