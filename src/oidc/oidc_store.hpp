#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "db/database.hpp"

namespace rapport::oidc {

// A sign-in in flight, as the login step left it for the callback.
struct PendingLogin {
  std::string provider;
  std::string nonce;
  std::string code_verifier;
  std::string redirect_uri;
  std::string expires_at;  // RFC 3339 UTC
};

// SQL for oidc_states. States are stored by their SHA-256 only.
class OidcStore {
 public:
  // Saves a pending sign-in under `state`, and drops the rows that expired
  // before `now`.
  void Insert(db::Session& session, std::string_view state, const PendingLogin& login,
              std::string_view now) const;
  // Removes the row of `state` and returns what it held, or nullopt when there
  // is none (never stored, or already used: of two concurrent claims only one
  // gets it).
  std::optional<PendingLogin> Claim(db::Session& session, std::string_view state) const;
};

}  // namespace rapport::oidc
