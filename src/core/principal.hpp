#pragma once

#include <string>
#include <string_view>

namespace rapport::core {

enum class Role { kAdmin, kManager, kAgent };

std::string_view RoleName(Role role);
// Returns false when `name` is not a role.
bool ParseRole(std::string_view name, Role& role);

// Who is asking: nobody, a staff user, or a customer-portal account.
struct Principal {
  enum class Kind { kAnonymous, kUser, kPortal };
  Kind kind = Kind::kAnonymous;
  std::string id;           // users.id or portal_accounts.id
  Role role = Role::kAgent;  // staff only
  std::string customer_id;   // portal only: the customer the account belongs to

  bool is_user() const { return kind == Kind::kUser; }
  bool is_staff_manager() const {
    return is_user() && (role == Role::kAdmin || role == Role::kManager);
  }
  bool is_admin() const { return is_user() && role == Role::kAdmin; }
  bool is_agent() const { return is_user() && role == Role::kAgent; }
};

}  // namespace rapport::core
