#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "auth/auth_service.hpp"
#include "auth/user.hpp"
#include "auth/user_store.hpp"
#include "core/page.hpp"
#include "core/principal.hpp"
#include "core/result.hpp"
#include "db/database.hpp"

namespace rapport::auth {

// Staff user administration. Admins manage users; managers may list and read them; anyone
// may read themselves. Deleting deactivates: the record and its history stay.
class UserService {
 public:
  UserService(db::Database& database, AuthService& auth);

  core::Result<core::Page> List(const core::Principal& who, const UserStore::Filter& filter,
                                const core::PageRequest& page);
  core::Result<User> Create(const core::Principal& who, const NewUser& input);
  core::Result<User> Get(const core::Principal& who, std::string_view id);
  // PreconditionFailed when `expected_version` is given and stale.
  core::Result<User> Update(const core::Principal& who, std::string_view id,
                            const UserChanges& changes, std::optional<int64_t> expected_version);
  core::Status Deactivate(const core::Principal& who, std::string_view id);

  // --- For other capabilities (notifications), inside their `session` -------------------
  // The user with this id, active or not; nullopt when there is none.
  std::optional<User> Find(db::Session& session, std::string_view id);
  // The active users with one of `roles`, by name.
  std::vector<User> ActiveWithRoles(db::Session& session, const std::vector<core::Role>& roles);

 private:
  db::Database& database_;
  AuthService& auth_;
};

}  // namespace rapport::auth
