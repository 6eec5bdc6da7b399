#include "tickets/ticket_store.hpp"

#include "core/text.hpp"
#include "core/time.hpp"
#include "db/keyset.hpp"
#include "db/records.hpp"

namespace rapport::tickets {

namespace {

constexpr std::string_view kColumns =
    "t.id, t.customer_id, t.interaction_id, t.title, t.description, t.status, t.priority, "
    "t.assignee_id, t.created_by_kind, t.created_by_id, t.resolution, t.resolved_at, t.version, "
    "t.created_at, t.updated_at";

// Expressions never NULL (keyset pagination compares them). Priority and status sort by rank
// (kPriorities, kStatuses), not by name.
const std::vector<db::SortColumn> kSortColumns = {
    {"id", "t.id"},
    {"created_at", "t.created_at"},
    {"updated_at", "t.updated_at"},
    {"priority",
     "CASE t.priority WHEN 'low' THEN 0 WHEN 'normal' THEN 1 WHEN 'high' THEN 2 ELSE 3 END",
     /*numeric=*/true},
    {"status",
     "CASE t.status WHEN 'open' THEN 0 WHEN 'in_progress' THEN 1 WHEN 'resolved' THEN 2 "
     "ELSE 3 END",
     /*numeric=*/true},
    {"resolved_at", "COALESCE(t.resolved_at, '')"},
};

const std::vector<db::SortColumn> kCommentSortColumns = {
    {"id", "c.id"},
    {"created_at", "c.created_at"},
};

// Positions in kColumns.
enum Column : std::size_t {
  kId, kCustomerId, kInteractionId, kTitle, kDescription, kStatus, kPriority, kAssigneeId,
  kCreatedByKind, kCreatedById, kResolution, kResolvedAt, kVersion, kCreatedAt, kUpdatedAt,
};

Ticket FromRow(const db::Row& row) {
  Ticket t;
  t.id = row.TextAt(kId);
  t.customer_id = row.TextAt(kCustomerId);
  t.interaction_id = row.OptTextAt(kInteractionId);
  t.title = row.TextAt(kTitle);
  t.description = row.OptTextAt(kDescription);
  // The CHECK constraint admits only the four statuses.
  t.status = ParseStatus(row.TextAt(kStatus)).value_or(TicketStatus::kOpen);
  t.priority = row.TextAt(kPriority);
  t.assignee_id = row.OptTextAt(kAssigneeId);
  t.created_by = {row.TextAt(kCreatedByKind), row.TextAt(kCreatedById)};
  t.resolution = row.OptTextAt(kResolution);
  t.resolved_at = row.OptTextAt(kResolvedAt);
  t.version = row.IntAt(kVersion).value_or(0);
  t.created_at = row.TextAt(kCreatedAt);
  t.updated_at = row.TextAt(kUpdatedAt);
  return t;
}

std::optional<core::Error> ConstraintError(const std::exception& e) {
  // The service found the customer and the interaction in this transaction, so the reference
  // that failed is the assignee.
  if (db::IsForeignKeyViolation(e)) {
    return core::Error::Invalid("assignee_id", "must be the id of an existing user");
  }
  return std::nullopt;
}

void AppendFilter(db::Query& query, const TicketFilter& filter) {
  if (filter.customer_id) query.Sql(" AND t.customer_id = ").Param(*filter.customer_id);
  if (filter.statuses) query.Sql(" AND t.status IN (").ParamList(*filter.statuses).Sql(")");
  if (filter.priorities) {
    query.Sql(" AND t.priority IN (").ParamList(*filter.priorities).Sql(")");
  }
  if (filter.assignee_id) query.Sql(" AND t.assignee_id = ").Param(*filter.assignee_id);
  if (filter.interaction_id) query.Sql(" AND t.interaction_id = ").Param(*filter.interaction_id);
  if (filter.created_after) query.Sql(" AND t.created_at >= ").Param(*filter.created_after);
  if (filter.created_before) query.Sql(" AND t.created_at < ").Param(*filter.created_before);
  if (filter.q) {
    // lower() on both sides, so each engine folds the pattern as it folds the column.
    const std::string pattern = "%" + core::EscapeLike(*filter.q) + "%";
    query.Sql(" AND (lower(t.title) LIKE lower(").Param(pattern).Sql(") ESCAPE '\\'");
    query.Sql(" OR lower(t.description) LIKE lower(").Param(pattern).Sql(") ESCAPE '\\')");
  }
}

}  // namespace

std::optional<Ticket> TicketStore::FindById(db::Session& session, std::string_view id) const {
  return db::FindOne(session, kColumns, "tickets t", "t.id", id, FromRow);
}

std::vector<Ticket> TicketStore::FindMany(db::Session& session,
                                          const std::vector<std::string>& ids) const {
  return db::FindAll(session, kColumns, "tickets t", "t.id", ids, FromRow);
}

core::Status TicketStore::Insert(db::Session& session, const Ticket& t) const {
  db::Query query(
      "INSERT INTO tickets (id, customer_id, interaction_id, title, description, status, "
      "priority, assignee_id, created_by_kind, created_by_id, resolution, resolved_at, version, "
      "created_at, updated_at) VALUES (");
  query.Param(t.id).Sql(", ").Param(t.customer_id).Sql(", ").Param(t.interaction_id);
  query.Sql(", ").Param(t.title).Sql(", ").Param(t.description).Sql(", ");
  query.Param(StatusName(t.status)).Sql(", ").Param(t.priority).Sql(", ");
  query.Param(t.assignee_id).Sql(", ").Param(t.created_by.kind).Sql(", ");
  query.Param(t.created_by.id).Sql(", ").Param(t.resolution).Sql(", ").Param(t.resolved_at);
  query.Sql(", ").Param(t.version).Sql(", ").Param(t.created_at).Sql(", ").Param(t.updated_at);
  query.Sql(")");
  if (auto inserted = db::ExecChecked(session, query, ConstraintError); !inserted) {
    return inserted.error();
  }
  return core::Ok{};
}

core::Result<bool> TicketStore::Update(db::Session& session, Ticket& t) const {
  const std::string updated_at = core::FormatTimestamp(core::Now());
  db::Query query("UPDATE tickets SET interaction_id = ");
  query.Param(t.interaction_id).Sql(", title = ").Param(t.title);
  query.Sql(", description = ").Param(t.description);
  query.Sql(", status = ").Param(StatusName(t.status)).Sql(", priority = ").Param(t.priority);
  query.Sql(", assignee_id = ").Param(t.assignee_id);
  query.Sql(", resolution = ").Param(t.resolution).Sql(", resolved_at = ").Param(t.resolved_at);
  query.Sql(", version = version + 1, updated_at = ").Param(updated_at);
  query.Sql(" WHERE id = ").Param(t.id).Sql(" AND version = ").Param(t.version);
  auto changed = db::ExecChecked(session, query, ConstraintError);
  if (!changed) return changed.error();
  if (*changed == 0) return false;
  t.version += 1;
  t.updated_at = updated_at;
  return true;
}

bool TicketStore::Delete(db::Session& session, std::string_view id,
                         std::optional<int64_t> expected_version) const {
  return db::DeleteById(session, "tickets", id, expected_version);
}

TicketPage TicketStore::List(db::Session& session, const TicketFilter& filter,
                             const std::function<void(db::Query&)>& narrow,
                             const core::PageRequest& page) const {
  TicketPage result;
  result.data.reserve(static_cast<std::size_t>(page.limit));
  auto from_where = [&](db::Query& query) {
    query.Sql(" FROM tickets t WHERE 1 = 1");
    narrow(query);
    AppendFilter(query, filter);
  };
  db::PageInfo info = db::ReadPage(session, engine_, kColumns, from_where, kSortColumns, page,
                                   [&](const db::Row& row) { result.data.push_back(FromRow(row)); });
  result.next_cursor = std::move(info.next_cursor);
  result.total = info.total;
  return result;
}

void TicketStore::InsertComment(db::Session& session, const TicketComment& c) const {
  db::Query query(
      "INSERT INTO ticket_comments (id, ticket_id, body, author_kind, author_id, created_at) "
      "VALUES (");
  query.Param(c.id).Sql(", ").Param(c.ticket_id).Sql(", ").Param(c.body).Sql(", ");
  query.Param(c.author.kind).Sql(", ").Param(c.author.id).Sql(", ").Param(c.created_at);
  query.Sql(")");
  session.Exec(query);
}

CommentPage TicketStore::ListComments(db::Session& session, std::string_view ticket_id,
                                      const core::PageRequest& page) const {
  CommentPage result;
  auto from_where = [&](db::Query& query) {
    query.Sql(" FROM ticket_comments c WHERE c.ticket_id = ").Param(ticket_id);
  };
  db::PageInfo info = db::ReadPage(
      session, engine_, "c.id, c.ticket_id, c.body, c.author_kind, c.author_id, c.created_at",
      from_where, kCommentSortColumns, page, [&](const db::Row& row) {
        result.data.push_back({row.TextAt(0), row.TextAt(1), row.TextAt(2),
                               {row.TextAt(3), row.TextAt(4)}, row.TextAt(5)});
      });
  result.next_cursor = std::move(info.next_cursor);
  result.total = info.total;
  return result;
}

void TicketStore::AppendTimelineSelect(db::Query& query, std::string_view customer_id) {
  query.Sql("SELECT t.id AS id, t.created_at AS occurred_at FROM tickets t WHERE t.customer_id = ");
  query.Param(customer_id);
}

}  // namespace rapport::tickets
