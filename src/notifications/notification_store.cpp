#include "notifications/notification_store.hpp"

#include "db/keyset.hpp"

namespace rapport::notifications {

namespace {

constexpr std::string_view kColumns =
    "n.id, n.user_id, n.kind, n.message, n.subject_kind, n.subject_id, n.event_time, "
    "n.created_at, n.notified_at, n.read_at";

enum Column : std::size_t {
  kId, kUserId, kKind, kMessage, kSubjectKind, kSubjectId, kEventTime, kCreatedAt, kNotifiedAt,
  kReadAt,
};

const std::vector<db::SortColumn> kSortColumns = {
    {"id", "n.id"},
    {"created_at", "n.created_at"},
};

Notification FromRow(const db::Row& row) {
  Notification n;
  n.id = row.TextAt(kId);
  n.user_id = row.TextAt(kUserId);
  n.kind = row.TextAt(kKind);
  n.message = row.TextAt(kMessage);
  n.subject = {row.TextAt(kSubjectKind), row.TextAt(kSubjectId)};
  n.event_time = row.TextAt(kEventTime);
  n.created_at = row.TextAt(kCreatedAt);
  n.notified_at = row.OptTextAt(kNotifiedAt);
  n.read_at = row.OptTextAt(kReadAt);
  return n;
}

}  // namespace

bool NotificationStore::InsertUnlessExists(db::Session& tx, const Notification& n,
                                           std::string_view dedupe_key,
                                           const std::optional<std::string>& customer_id) const {
  db::Query query(
      "INSERT INTO notifications (id, user_id, kind, message, subject_kind, subject_id, "
      "customer_id, dedupe_key, event_time, created_at, notified_at, read_at) VALUES (");
  query.Param(n.id).Sql(", ").Param(n.user_id).Sql(", ").Param(n.kind).Sql(", ");
  query.Param(n.message).Sql(", ").Param(n.subject.kind).Sql(", ").Param(n.subject.id);
  query.Sql(", ").Param(customer_id).Sql(", ").Param(dedupe_key).Sql(", ");
  query.Param(n.event_time).Sql(", ").Param(n.created_at).Sql(", ").Param(n.notified_at);
  query.Sql(", ").Param(n.read_at).Sql(") ON CONFLICT (user_id, dedupe_key) DO NOTHING");
  return tx.Exec(query) == 1;
}

std::optional<Notification> NotificationStore::Find(db::Session& session,
                                                    std::string_view user_id,
                                                    std::string_view id) const {
  db::Query query("SELECT ");
  query.Sql(kColumns).Sql(" FROM notifications n WHERE n.id = ").Param(id);
  query.Sql(" AND n.user_id = ").Param(user_id);
  std::optional<Notification> found;
  session.First(query, [&](const db::Row& row) { found = FromRow(row); });
  return found;
}

NotificationPage NotificationStore::List(db::Session& session, std::string_view user_id,
                                         const NotificationFilter& filter,
                                         const core::PageRequest& page) const {
  NotificationPage result;
  auto from_where = [&](db::Query& query) {
    query.Sql(" FROM notifications n WHERE n.user_id = ").Param(user_id);
    if (filter.unread_only) query.Sql(" AND n.read_at IS NULL");
    if (filter.kinds) query.Sql(" AND n.kind IN (").ParamList(*filter.kinds).Sql(")");
  };
  db::PageInfo info =
      db::ReadPage(session, engine_, kColumns, from_where, kSortColumns, page,
                   [&](const db::Row& row) { result.data.push_back(FromRow(row)); });
  result.next_cursor = std::move(info.next_cursor);
  result.total = info.total;
  return result;
}

bool NotificationStore::MarkRead(db::Session& tx, std::string_view user_id, std::string_view id,
                                 std::string_view now) const {
  return tx.Exec(db::Query("UPDATE notifications SET read_at = ")
                     .Param(now)
                     .Sql(" WHERE id = ")
                     .Param(id)
                     .Sql(" AND user_id = ")
                     .Param(user_id)
                     .Sql(" AND read_at IS NULL")) > 0;
}

int64_t NotificationStore::MarkAllRead(db::Session& tx, std::string_view user_id,
                                       std::string_view now) const {
  return tx.Exec(db::Query("UPDATE notifications SET read_at = ")
                     .Param(now)
                     .Sql(" WHERE user_id = ")
                     .Param(user_id)
                     .Sql(" AND read_at IS NULL"));
}

void NotificationStore::MarkNotified(db::Session& tx, const std::vector<std::string>& ids,
                                     std::string_view now) const {
  if (ids.empty()) return;
  tx.Exec(db::Query("UPDATE notifications SET notified_at = ")
              .Param(now)
              .Sql(" WHERE notified_at IS NULL AND id IN (")
              .ParamList(ids)
              .Sql(")"));
}

std::vector<Notification> NotificationStore::After(db::Session& session,
                                                   std::string_view user_id,
                                                   std::string_view after, int limit) const {
  // Ids compare bytewise on both engines (PostgreSQL's locale could order text otherwise).
  const std::string_view collate = engine_ == db::Engine::kPostgres ? " COLLATE \"C\"" : "";
  db::Query query("SELECT ");
  query.Sql(kColumns).Sql(" FROM notifications n WHERE n.user_id = ").Param(user_id);
  query.Sql(" AND n.id").Sql(collate).Sql(" > ").Param(after);
  query.Sql(" ORDER BY n.id").Sql(collate).Sql(" LIMIT ").Param(limit);
  std::vector<Notification> rows;
  session.ForEach(query, [&](const db::Row& row) { rows.push_back(FromRow(row)); });
  return rows;
}

}  // namespace rapport::notifications
