#include "auth/user_service.hpp"

#include "core/ids.hpp"

namespace rapport::auth {

UserService::UserService(db::Database& database, AuthService& auth)
    : database_(database), auth_(auth) {}

core::Result<core::Page> UserService::List(const core::Principal& who,
                                           const UserStore::Filter& filter,
                                           const core::PageRequest& page) {
  if (!who.is_staff_manager()) return core::Error::Forbidden("only admins and managers list users");
  return database_.Read(
      [&](db::Session& session) { return auth_.users().List(session, filter, page); });
}

core::Result<User> UserService::Create(const core::Principal& who, const NewUser& input) {
  if (!who.is_admin()) return core::Error::Forbidden("only admins create users");
  return auth_.CreateUser(input);
}

core::Result<User> UserService::Get(const core::Principal& who, std::string_view id) {
  // Agents see only themselves; another user is hidden (404), as for records.
  if (!core::IsUuid(id) || (!who.is_staff_manager() && who.id != id)) {
    return core::Error::NotFound("user", id);
  }
  auto user = database_.Read([&](db::Session& session) { return auth_.users().FindById(session, id); });
  if (!user) return core::Error::NotFound("user", id);
  return *user;
}

core::Result<User> UserService::Update(const core::Principal& who, std::string_view id,
                                       const UserChanges& changes,
                                       std::optional<int64_t> expected_version) {
  if (!who.is_admin()) return core::Error::Forbidden("only admins change users");
  if (!core::IsUuid(id)) return core::Error::NotFound("user", id);
  if (who.id == id && changes.role.value) {
    return core::Error::Forbidden("you cannot change your own role");
  }
  if (who.id == id && changes.active.value && !*changes.active.value) {
    return core::Error::Conflict("you cannot deactivate yourself");
  }
  auto updated = database_.Write([&](db::Session& session) -> core::Result<User> {
    auto user = auth_.users().FindById(session, id);
    if (!user) return core::Error::NotFound("user", id);
    if (expected_version && *expected_version != user->version) {
      return core::Error::PreconditionFailed();
    }
    if (changes.name.value) user->name = *changes.name.value;
    if (changes.role.value) core::ParseRole(*changes.role.value, user->role);
    if (changes.notify_by_email.value) user->notify_by_email = *changes.notify_by_email.value;
    if (changes.active.value) {
      if (!*changes.active.value && user->active) auth_.RevokeAll(session, "user", user->id);
      user->active = *changes.active.value;
    }
    auth_.users().Update(session, *user);
    return *user;
  });
  if (updated) auth_.Forget(id);
  return updated;
}

core::Status UserService::Deactivate(const core::Principal& who, std::string_view id) {
  UserChanges changes;
  changes.active.present = true;
  changes.active.value = false;
  auto updated = Update(who, id, changes, std::nullopt);
  if (!updated) return updated.error();
  return core::Ok{};
}

std::optional<User> UserService::Find(db::Session& session, std::string_view id) {
  if (!core::IsUuid(id)) return std::nullopt;
  return auth_.users().FindById(session, id);
}

std::vector<User> UserService::ActiveWithRoles(db::Session& session,
                                               const std::vector<core::Role>& roles) {
  return auth_.users().ActiveWithRoles(session, roles);
}

}  // namespace rapport::auth
