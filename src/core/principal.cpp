#include "core/principal.hpp"

namespace rapport::core {

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kAdmin:
      return "admin";
    case Role::kManager:
      return "manager";
    case Role::kAgent:
      return "agent";
  }
  return "agent";
}

bool ParseRole(std::string_view name, Role& role) {
  if (name == "admin") {
    role = Role::kAdmin;
  } else if (name == "manager") {
    role = Role::kManager;
  } else if (name == "agent") {
    role = Role::kAgent;
  } else {
    return false;
  }
  return true;
}

}  // namespace rapport::core
