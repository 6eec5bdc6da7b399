#include "interactions/interaction_store.hpp"

#include "core/text.hpp"
#include "core/time.hpp"
#include "db/keyset.hpp"
#include "db/records.hpp"

namespace rapport::interactions {

namespace {

constexpr std::string_view kColumns =
    "i.id, i.customer_id, i.user_id, i.type, i.title, i.details, i.status, i.scheduled_at, "
    "i.duration_minutes, i.remind_before_minutes, i.completed_at, i.version, i.created_at, "
    "i.updated_at";

// Expressions never NULL (keyset pagination compares them).
const std::vector<db::SortColumn> kSortColumns = {
    {"id", "i.id"},
    {"created_at", "i.created_at"},
    {"updated_at", "i.updated_at"},
    {"scheduled_at", "COALESCE(i.scheduled_at, '')"},
    {"type", "i.type"},
    {"status", "i.status"},
};

// Positions in kColumns.
enum Column : std::size_t {
  kId, kCustomerId, kUserId, kType, kTitle, kDetails, kStatus, kScheduledAt, kDuration,
  kRemindBefore, kCompletedAt, kVersion, kCreatedAt, kUpdatedAt,
};

Interaction FromRow(const db::Row& row) {
  Interaction i;
  i.id = row.TextAt(kId);
  i.customer_id = row.TextAt(kCustomerId);
  i.user_id = row.TextAt(kUserId);
  i.type = row.TextAt(kType);
  i.title = row.TextAt(kTitle);
  i.details = row.OptTextAt(kDetails);
  i.status = row.TextAt(kStatus);
  i.scheduled_at = row.OptTextAt(kScheduledAt);
  i.duration_minutes = row.IntAt(kDuration);
  i.remind_before_minutes = row.IntAt(kRemindBefore);
  i.completed_at = row.OptTextAt(kCompletedAt);
  i.version = row.IntAt(kVersion).value_or(0);
  i.created_at = row.TextAt(kCreatedAt);
  i.updated_at = row.TextAt(kUpdatedAt);
  return i;
}

// A write's constraint violation as the API error; nullopt for anything else.
std::optional<core::Error> ConstraintError(const std::exception& e) {
  // The service found the customer in this transaction (and holds its row), so the
  // reference that failed is the user.
  if (db::IsForeignKeyViolation(e)) {
    return core::Error::Invalid("user_id", "must be the id of an existing user");
  }
  return std::nullopt;
}

void AppendFilter(db::Query& query, const InteractionFilter& filter) {
  if (filter.customer_id) query.Sql(" AND i.customer_id = ").Param(*filter.customer_id);
  if (filter.user_id) query.Sql(" AND i.user_id = ").Param(*filter.user_id);
  if (filter.types) query.Sql(" AND i.type IN (").ParamList(*filter.types).Sql(")");
  if (filter.statuses) query.Sql(" AND i.status IN (").ParamList(*filter.statuses).Sql(")");
  if (filter.from) query.Sql(" AND i.scheduled_at >= ").Param(*filter.from);
  if (filter.to) query.Sql(" AND i.scheduled_at < ").Param(*filter.to);
  if (filter.q) {
    // lower() on both sides, so each engine folds the pattern as it folds the column.
    const std::string pattern = "%" + core::EscapeLike(*filter.q) + "%";
    query.Sql(" AND (lower(i.title) LIKE lower(").Param(pattern).Sql(") ESCAPE '\\'");
    query.Sql(" OR lower(i.details) LIKE lower(").Param(pattern).Sql(") ESCAPE '\\')");
  }
}

}  // namespace

std::optional<Interaction> InteractionStore::FindById(db::Session& session,
                                                      std::string_view id) const {
  return db::FindOne(session, kColumns, "interactions i", "i.id", id, FromRow);
}

std::vector<Interaction> InteractionStore::FindMany(db::Session& session,
                                                    const std::vector<std::string>& ids) const {
  return db::FindAll(session, kColumns, "interactions i", "i.id", ids, FromRow);
}

core::Status InteractionStore::Insert(db::Session& session, const Interaction& i) const {
  db::Query query(
      "INSERT INTO interactions (id, customer_id, user_id, type, title, details, status, "
      "scheduled_at, duration_minutes, remind_before_minutes, completed_at, version, created_at, "
      "updated_at) VALUES (");
  query.Param(i.id).Sql(", ").Param(i.customer_id).Sql(", ").Param(i.user_id).Sql(", ");
  query.Param(i.type).Sql(", ").Param(i.title).Sql(", ").Param(i.details).Sql(", ");
  query.Param(i.status).Sql(", ").Param(i.scheduled_at).Sql(", ");
  query.Param(i.duration_minutes).Sql(", ").Param(i.remind_before_minutes).Sql(", ");
  query.Param(i.completed_at).Sql(", ").Param(i.version).Sql(", ").Param(i.created_at);
  query.Sql(", ").Param(i.updated_at).Sql(")");
  if (auto inserted = db::ExecChecked(session, query, ConstraintError); !inserted) {
    return inserted.error();
  }
  return core::Ok{};
}

core::Result<bool> InteractionStore::Update(db::Session& session, Interaction& i) const {
  const std::string updated_at = core::FormatTimestamp(core::Now());
  db::Query query("UPDATE interactions SET user_id = ");
  query.Param(i.user_id).Sql(", type = ").Param(i.type).Sql(", title = ").Param(i.title);
  query.Sql(", details = ").Param(i.details).Sql(", status = ").Param(i.status);
  query.Sql(", scheduled_at = ").Param(i.scheduled_at);
  query.Sql(", duration_minutes = ").Param(i.duration_minutes);
  query.Sql(", remind_before_minutes = ").Param(i.remind_before_minutes);
  query.Sql(", completed_at = ").Param(i.completed_at);
  query.Sql(", version = version + 1, updated_at = ").Param(updated_at);
  query.Sql(" WHERE id = ").Param(i.id).Sql(" AND version = ").Param(i.version);
  auto changed = db::ExecChecked(session, query, ConstraintError);
  if (!changed) return changed.error();
  if (*changed == 0) return false;
  i.version += 1;
  i.updated_at = updated_at;
  return true;
}

bool InteractionStore::Delete(db::Session& session, std::string_view id,
                              std::optional<int64_t> expected_version) const {
  return db::DeleteById(session, "interactions", id, expected_version);
}

std::optional<std::string> InteractionStore::LastInteractionAt(
    db::Session& session, std::string_view customer_id) const {
  db::Query query(
      "SELECT MAX(CASE WHEN scheduled_at IS NOT NULL AND scheduled_at < completed_at "
      "THEN scheduled_at ELSE completed_at END) FROM interactions WHERE customer_id = ");
  query.Param(customer_id).Sql(" AND status = 'done'");
  std::optional<std::string> at;
  session.First(query, [&](const db::Row& row) { at = row.OptTextAt(0); });
  return at;
}

InteractionPage InteractionStore::List(db::Session& session, const InteractionFilter& filter,
                                       const std::function<void(db::Query&)>& narrow,
                                       const core::PageRequest& page) const {
  InteractionPage result;
  result.data.reserve(static_cast<std::size_t>(page.limit));
  auto from_where = [&](db::Query& query) {
    query.Sql(" FROM interactions i WHERE 1 = 1");
    narrow(query);
    AppendFilter(query, filter);
  };
  db::PageInfo info = db::ReadPage(session, engine_, kColumns, from_where, kSortColumns, page,
                                   [&](const db::Row& row) { result.data.push_back(FromRow(row)); });
  result.next_cursor = std::move(info.next_cursor);
  result.total = info.total;
  return result;
}

void InteractionStore::AppendTimelineSelect(db::Query& query, std::string_view customer_id) {
  query.Sql(
      "SELECT i.id AS id, COALESCE(i.scheduled_at, i.created_at) AS occurred_at "
      "FROM interactions i WHERE i.customer_id = ");
  query.Param(customer_id);
}

}  // namespace rapport::interactions
