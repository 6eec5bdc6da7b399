#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "db/database.hpp"
#include "portal/portal.hpp"

namespace rapport::portal {

// SQL for portal accounts and pending sign-ups. Every function runs on the session it is
// given (inside the caller's transaction for writes).
class PortalStore {
 public:
  std::optional<Account> FindAccount(db::Session& session, std::string_view id) const;
  // Case-insensitive.
  std::optional<Account> FindAccountByEmail(db::Session& session, std::string_view email) const;
  // Conflict naming `email` when an account has it already (case-insensitive). On
  // PostgreSQL the caller must then end its transaction with the error.
  core::Status InsertAccount(db::Session& tx, const Account& account) const;

  void InsertSignup(db::Session& tx, const PendingSignup& signup) const;
  std::optional<PendingSignup> FindSignup(db::Session& session, std::string_view token_hash) const;
  // Marks the sign-up used if it is not yet; returns whether this call did.
  bool UseSignup(db::Session& tx, std::string_view token_hash, std::string_view now) const;
  // Marks every unused sign-up of `email` used (case-insensitive).
  void UseSignupsOf(db::Session& tx, std::string_view email, std::string_view now) const;
  // Sign-ups of `email` (case-insensitive) created at or after `since`.
  int64_t CountSignupsSince(db::Session& session, std::string_view email,
                            std::string_view since) const;
  // Removes sign-ups that expired before `before` (the maintenance of old attempts).
  int64_t DeleteSignupsExpiredBefore(db::Session& tx, std::string_view before) const;
};

}  // namespace rapport::portal
