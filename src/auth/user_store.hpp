#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/user.hpp"
#include "core/page.hpp"
#include "db/database.hpp"

namespace rapport::auth {

// SQL for users. Every function runs on the session it is given (inside the caller's
// transaction for writes).
class UserStore {
 public:
  explicit UserStore(db::Engine engine) : engine_(engine) {}

  std::optional<User> FindById(db::Session& session, std::string_view id) const;
  // Case-insensitive.
  std::optional<User> FindByEmail(db::Session& session, std::string_view email) const;
  int64_t Count(db::Session& session) const;
  // The active users with one of `roles`, by name.
  std::vector<User> ActiveWithRoles(db::Session& session, const std::vector<core::Role>& roles) const;
  // Conflict on a duplicate email.
  core::Status Insert(db::Session& session, const User& user) const;
  // Writes name, role, active, notify_by_email, password_hash; bumps version and updated_at.
  void Update(db::Session& session, User& user) const;

  struct Filter {
    std::optional<std::string> role;
    std::optional<bool> active;
    std::optional<std::string> q;
  };
  core::Page List(db::Session& session, const Filter& filter, const core::PageRequest& page) const;

 private:
  db::Engine engine_;
};

}  // namespace rapport::auth
