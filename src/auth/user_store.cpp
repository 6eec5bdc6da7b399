#include "auth/user_store.hpp"

#include "core/text.hpp"
#include "core/time.hpp"
#include "db/keyset.hpp"

namespace rapport::auth {

namespace {

constexpr std::string_view kColumns =
    "SELECT id, email, name, role, active, notify_by_email, version, created_at, updated_at, "
    "password_hash FROM users";

const std::vector<db::SortColumn> kSortColumns = {
    {"id", "id"}, {"name", "name"}, {"email", "lower(email)"}, {"created_at", "created_at"},
    {"role", "role"}};

User FromRow(const db::Row& row) {
  User user;
  user.id = row.Text("id");
  user.email = row.Text("email");
  user.name = row.Text("name");
  core::ParseRole(row.Text("role"), user.role);
  user.active = row.Bool("active");
  user.notify_by_email = row.Bool("notify_by_email");
  user.version = row.Int("version");
  user.created_at = row.Text("created_at");
  user.updated_at = row.Text("updated_at");
  user.password_hash = row.Text("password_hash");
  return user;
}

std::optional<User> FindOne(db::Session& session, const db::Query& query) {
  std::optional<User> user;
  session.First(query, [&](const db::Row& row) { user = FromRow(row); });
  return user;
}

std::string SortValue(const User& user, std::string_view field) {
  if (field == "name") return user.name;
  if (field == "email") return core::ToLowerAscii(user.email);
  if (field == "created_at") return user.created_at;
  if (field == "role") return std::string(core::RoleName(user.role));
  return user.id;
}

}  // namespace

std::optional<User> UserStore::FindById(db::Session& session, std::string_view id) const {
  return FindOne(session, db::Query(kColumns).Sql(" WHERE id = ").Param(id));
}

std::optional<User> UserStore::FindByEmail(db::Session& session, std::string_view email) const {
  return FindOne(session,
                 db::Query(kColumns).Sql(" WHERE lower(email) = ").Param(core::ToLowerAscii(email)));
}

std::vector<User> UserStore::ActiveWithRoles(db::Session& session,
                                             const std::vector<core::Role>& roles) const {
  std::vector<User> users;
  if (roles.empty()) return users;
  std::vector<std::string> names;
  for (core::Role role : roles) names.emplace_back(core::RoleName(role));
  session.ForEach(db::Query(kColumns)
                      .Sql(" WHERE active = 1 AND role IN (")
                      .ParamList(names)
                      .Sql(") ORDER BY name, id"),
                  [&](const db::Row& row) { users.push_back(FromRow(row)); });
  return users;
}

int64_t UserStore::Count(db::Session& session) const {
  return session.Scalar(db::Query("SELECT count(*) FROM users"));
}

core::Status UserStore::Insert(db::Session& session, const User& user) const {
  db::Query query(
      "INSERT INTO users (id, email, name, role, password_hash, active, notify_by_email, "
      "version, created_at, updated_at) VALUES (");
  query.Param(user.id).Sql(", ").Param(user.email).Sql(", ").Param(user.name).Sql(", ");
  query.Param(core::RoleName(user.role)).Sql(", ").Param(user.password_hash).Sql(", ");
  query.Param(user.active).Sql(", ").Param(user.notify_by_email).Sql(", ").Param(user.version);
  query.Sql(", ").Param(user.created_at).Sql(", ").Param(user.updated_at).Sql(")");
  if (!session.ExecUnlessDuplicate(query)) {
    return core::Error::Conflict("email", "a user with this email already exists");
  }
  return core::Ok{};
}

void UserStore::Update(db::Session& session, User& user) const {
  user.version += 1;
  user.updated_at = core::FormatTimestamp(core::Now());
  db::Query query("UPDATE users SET name = ");
  query.Param(user.name).Sql(", role = ").Param(core::RoleName(user.role));
  query.Sql(", active = ").Param(user.active).Sql(", notify_by_email = ").Param(user.notify_by_email);
  query.Sql(", password_hash = ").Param(user.password_hash).Sql(", version = ").Param(user.version);
  query.Sql(", updated_at = ").Param(user.updated_at).Sql(" WHERE id = ").Param(user.id);
  session.Exec(query);
}

namespace {

void AppendFilter(db::Query& query, const UserStore::Filter& filter) {
  query.Sql(" WHERE 1 = 1");
  if (filter.role) query.Sql(" AND role = ").Param(*filter.role);
  if (filter.active) query.Sql(" AND active = ").Param(*filter.active);
  if (filter.q) {
    const std::string pattern = "%" + core::EscapeLike(core::ToLowerAscii(*filter.q)) + "%";
    query.Sql(" AND (lower(name) LIKE ").Param(pattern).Sql(" ESCAPE '\\' OR lower(email) LIKE ");
    query.Param(pattern).Sql(" ESCAPE '\\')");
  }
}

}  // namespace

core::Page UserStore::List(db::Session& session, const Filter& filter,
                           const core::PageRequest& page) const {
  core::Page result;
  if (page.include_total) {
    db::Query count("SELECT count(*) FROM users");
    AppendFilter(count, filter);
    result.total = session.Scalar(count);
  }
  db::Query query(kColumns);
  AppendFilter(query, filter);
  db::AppendKeyset(query, engine_, page.sort, kSortColumns, page.after);
  db::AppendOrderAndLimit(query, engine_, page.sort, kSortColumns, page.limit + 1);
  std::vector<User> users;
  session.ForEach(query, [&](const db::Row& row) { users.push_back(FromRow(row)); });
  const bool more = static_cast<int>(users.size()) > page.limit;
  if (more) users.pop_back();
  for (const User& user : users) result.data.push_back(user.ToJson());
  if (more) {
    std::vector<std::string> last;
    for (const auto& key : page.sort) last.push_back(SortValue(users.back(), key.field));
    result.next_cursor = core::EncodeCursor(page.sort, last);
  }
  return result;
}

}  // namespace rapport::auth
