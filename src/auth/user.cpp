#include "auth/user.hpp"

#include <fmt/format.h>

namespace rapport::auth {

nlohmann::json User::ToJson() const {
  return {{"id", id},
          {"email", email},
          {"name", name},
          {"role", core::RoleName(role)},
          {"active", active},
          {"notify_by_email", notify_by_email},
          {"created_at", created_at},
          {"updated_at", updated_at}};
}

core::Field<std::string> ReadPassword(core::JsonReader& in, std::string_view key) {
  auto password = in.Text(key, {.min = 0, .max = kMaxPasswordLength, .trim = false});
  if (password.value && password.value->size() < kMinPasswordLength) {
    in.Fail(key, fmt::format("must be at least {} characters", kMinPasswordLength));
    password.value.reset();
  }
  return password;
}

core::Result<NewUser> ParseNewUser(const nlohmann::json& body, bool role_required) {
  core::JsonReader in(body);
  auto email = in.Email("email");
  auto password = ReadPassword(in, "password");
  auto name = in.Text("name", {.min = 1, .max = 200});
  core::Field<std::string> role;
  if (role_required) role = in.Enum("role", {"admin", "manager", "agent"});
  in.ReadOnly({"id", "created_at", "updated_at", "password_hash"});
  in.Require("email", email);
  in.Require("password", password);
  in.Require("name", name);
  if (role_required) in.Require("role", role);
  if (auto error = in.Finish()) return *error;
  NewUser user{*email, *password, *name, core::Role::kAdmin};
  if (role_required) core::ParseRole(*role, user.role);
  return user;
}

core::Result<UserChanges> ParseUserChanges(const nlohmann::json& body, bool self) {
  core::JsonReader in(body);
  UserChanges changes;
  changes.name = in.Text("name", {.min = 1, .max = 200});
  changes.notify_by_email = in.Boolean("notify_by_email");
  if (self) {
    changes.password = ReadPassword(in, "password");
    changes.current_password = in.Text("current_password", {.min = 1, .max = kMaxPasswordLength, .trim = false});
    if (changes.password.value && !changes.current_password.value) {
      in.Fail("current_password", "is required to change the password");
    }
    in.ReadOnly({"email", "role", "active"});
  } else {
    changes.role = in.Enum("role", {"admin", "manager", "agent"});
    changes.active = in.Boolean("active");
    in.ReadOnly({"email"});
  }
  in.ReadOnly({"id", "created_at", "updated_at", "password_hash"});
  in.NotNull("name", changes.name);
  in.NotNull("role", changes.role);
  in.NotNull("active", changes.active);
  in.NotNull("notify_by_email", changes.notify_by_email);
  in.NotNull("password", changes.password);
  if (auto error = in.Finish()) return *error;
  return changes;
}

}  // namespace rapport::auth
