#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/json_reader.hpp"
#include "core/principal.hpp"
#include "core/result.hpp"

namespace rapport::auth {

constexpr std::size_t kMinPasswordLength = 10;
constexpr std::size_t kMaxPasswordLength = 1024;

// A staff user. The password hash never leaves the auth module.
struct User {
  std::string id;
  std::string email;
  std::string name;
  core::Role role = core::Role::kAgent;
  bool active = true;
  bool notify_by_email = false;
  int64_t version = 1;
  std::string created_at;
  std::string updated_at;
  std::string password_hash;  // never serialised

  nlohmann::json ToJson() const;
};

// POST /users and POST /auth/bootstrap (the latter without `role`).
struct NewUser {
  std::string email;
  std::string password;
  std::string name;
  core::Role role = core::Role::kAgent;
};
core::Result<NewUser> ParseNewUser(const nlohmann::json& body, bool role_required);

// PATCH /users/{id} (admin) and PATCH /auth/me (self).
struct UserChanges {
  core::Field<std::string> name;
  core::Field<std::string> role;
  core::Field<bool> active;
  core::Field<bool> notify_by_email;
  core::Field<std::string> password;
  core::Field<std::string> current_password;
};
core::Result<UserChanges> ParseUserChanges(const nlohmann::json& body, bool self);

// Reads a password field with the length rules.
core::Field<std::string> ReadPassword(core::JsonReader& in, std::string_view key);

}  // namespace rapport::auth
