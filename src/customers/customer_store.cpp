#include "customers/customer_store.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "core/text.hpp"
#include "core/time.hpp"
#include "db/keyset.hpp"
#include "db/records.hpp"
#include "rules/rule_sql.hpp"

namespace rapport::customers {

namespace {

// The columns FromRow reads: all of them, with the company's name from the join of kFrom;
// or (kExported) the first kExportedColumns, with NULL for the name; or (kDocument) the id and
// the stored document.
void SelectColumns(db::Query& query, CustomerColumns columns) {
  if (columns == CustomerColumns::kDocument) {
    query.Sql("c.id, c.doc");
    return;
  }
  const bool all = columns == CustomerColumns::kAll;
  query.Sql("c.id, c.name, c.first_name, c.last_name, c.email, c.phone, c.company_id, ");
  query.Sql(all ? "co.name AS company, " : "NULL AS company, ");
  query.Sql("c.status, c.notes, c.tags, c.attributes, c.owner_id");
  if (all) {
    query.Sql(
        ", c.total_spend, c.num_visits, c.last_visit_at, c.last_interaction_at, c.version, "
        "c.created_at, c.updated_at");
  }
}
constexpr std::string_view kFrom =
    " FROM customers c LEFT JOIN companies co ON co.id = c.company_id";
constexpr std::string_view kFromCustomers = " FROM customers c";

// Expressions never NULL (keyset pagination compares them).
const std::vector<db::SortColumn> kSortColumns = {
    {"id", "c.id"},
    {"created_at", "c.created_at"},
    {"updated_at", "c.updated_at"},
    {"name", "lower(c.name)"},
    {"email", "COALESCE(lower(c.email), '')"},
    {"status", "c.status"},
    {"total_spend", "c.total_spend", /*numeric=*/true},
    {"num_visits", "c.num_visits", /*numeric=*/true},
    {"last_interaction_at", "COALESCE(c.last_interaction_at, '')"},
};

// The stored attributes text; "{}" for anything that is not an object (never written by
// this code, but a hand-edited row must not break the response).
std::string_view AttributesText(std::string_view text) {
  if (text.size() < 2 || text.front() != '{' || text.back() != '}') return "{}";
  return text;
}

// Positions in SelectColumns, which FromRow reads by position: the list reads 20 columns a row.
enum Column : std::size_t {
  kId, kName, kFirstName, kLastName, kEmail, kPhone, kCompanyId, kCompany, kStatus, kNotes,
  kTags, kAttributes, kOwnerId, kTotalSpend, kNumVisits, kLastVisitAt, kLastInteractionAt,
  kVersion, kCreatedAt, kUpdatedAt,
};
constexpr std::size_t kExportedColumns = kOwnerId + 1;
// The position of the document in kDocument's columns (the id is first, as in the others).
constexpr std::size_t kDocument = 1;

// The position of the column that is the sort expression of `field` (in kSortColumns) and
// that `columns` selects; nullopt for the folded expressions, selected as sort_<i>.
std::optional<std::size_t> PlainSortColumn(std::string_view field, CustomerColumns columns) {
  if (field == "id") return kId;
  if (columns != CustomerColumns::kAll) return std::nullopt;
  if (field == "created_at") return kCreatedAt;
  if (field == "updated_at") return kUpdatedAt;
  if (field == "status") return kStatus;
  if (field == "total_spend") return kTotalSpend;
  if (field == "num_visits") return kNumVisits;
  if (field == "last_interaction_at") return kLastInteractionAt;  // "" for NULL, as COALESCE
  return std::nullopt;
}

Customer FromRow(const db::Row& row, CustomerColumns columns = CustomerColumns::kAll) {
  Customer c;
  c.id = row.TextAt(kId);
  c.name = row.TextAt(kName);
  c.first_name = row.OptTextAt(kFirstName);
  c.last_name = row.OptTextAt(kLastName);
  c.email = row.OptTextAt(kEmail);
  c.phone = row.OptTextAt(kPhone);
  c.company_id = row.OptTextAt(kCompanyId);
  c.company = row.OptTextAt(kCompany);
  c.status = row.TextAt(kStatus);
  c.notes = row.OptTextAt(kNotes);
  c.tags = TagsFromJson(row.TextAt(kTags));
  c.attributes = AttributesText(row.ViewAt(kAttributes).value_or(""));
  c.owner_id = row.OptTextAt(kOwnerId);
  if (columns == CustomerColumns::kExported) return c;
  c.total_spend = row.IntAt(kTotalSpend).value_or(0);
  c.num_visits = row.IntAt(kNumVisits).value_or(0);
  c.last_visit_at = row.OptTextAt(kLastVisitAt);
  c.last_interaction_at = row.OptTextAt(kLastInteractionAt);
  c.version = row.IntAt(kVersion).value_or(0);
  c.created_at = row.TextAt(kCreatedAt);
  c.updated_at = row.TextAt(kUpdatedAt);
  return c;
}

// A kAll row as a view for writing its JSON. The stored tags text is used as is when it is
// the empty array (most rows); other tags are read and written again into `tags_json`, so
// a hand-edited row reads as FromRow reads it.
CustomerView ViewOfRow(const db::Row& row, std::string& tags_json) {
  auto text = [&](Column column) { return row.ViewAt(column).value_or(""); };
  std::string_view tags = text(kTags);
  if (tags != "[]") {
    tags_json = TagsToJson(TagsFromJson(tags));
    tags = tags_json;
  }
  return CustomerView{text(kId),
                      text(kName),
                      row.ViewAt(kFirstName),
                      row.ViewAt(kLastName),
                      row.ViewAt(kEmail),
                      row.ViewAt(kPhone),
                      row.ViewAt(kCompanyId),
                      row.ViewAt(kCompany),
                      text(kStatus),
                      row.ViewAt(kNotes),
                      tags,
                      AttributesText(text(kAttributes)),
                      row.ViewAt(kOwnerId),
                      row.IntAt(kTotalSpend).value_or(0),
                      row.IntAt(kNumVisits).value_or(0),
                      row.ViewAt(kLastVisitAt),
                      row.ViewAt(kLastInteractionAt),
                      text(kCreatedAt),
                      text(kUpdatedAt)};
}

// What the doc column holds for `c`: its API representation.
std::string DocumentOf(const Customer& c) {
  std::string doc;
  doc.reserve(768);
  c.AppendJson(doc);
  return doc;
}

// The JSON of a kAll row, appended to `out`.
void AppendRowJson(const db::Row& row, std::string& out) {
  std::string tags_json;
  ViewOfRow(row, tags_json).AppendJson(out);
}

// The API error for a constraint violation of a customer write; nullopt for anything else.
std::optional<core::Error> ConstraintError(const std::exception& e) {
  if (db::IsUniqueViolation(e)) {
    return core::Error::Conflict("email", "a customer with this email already exists");
  }
  if (db::IsForeignKeyViolation(e)) {
    // The service checked company_id in this transaction, so the reference that failed is
    // the owner.
    return core::Error::Invalid("owner_id", "must be the id of an existing user");
  }
  return std::nullopt;
}

// The customer_tags rows of `customers`, kRowsPerStatement a statement.
void InsertTags(db::Session& session, std::span<const Customer> customers) {
  db::Query query;
  std::size_t rows = 0;
  auto flush = [&] {
    if (rows > 0) session.Exec(query);
    query = db::Query("INSERT INTO customer_tags (customer_id, tag) VALUES ");
    rows = 0;
  };
  flush();
  for (const Customer& customer : customers) {
    for (const std::string& tag : customer.tags) {
      query.Sql(rows == 0 ? "(" : ", (").Param(customer.id).Sql(", ").Param(tag).Sql(")");
      if (++rows == CustomerStore::kRowsPerStatement) flush();
    }
  }
  flush();
}

void AppendFilter(db::Query& query, const CustomerFilter& filter,
                  const std::optional<std::string>& visible_to, db::Engine engine,
                  core::Timestamp now) {
  query.Sql(" WHERE 1 = 1");
  if (visible_to) {
    query.Sql(" AND (c.owner_id = ").Param(*visible_to).Sql(" OR c.owner_id IS NULL)");
  }
  if (filter.status) query.Sql(" AND c.status = ").Param(*filter.status);
  if (filter.owner_id) query.Sql(" AND c.owner_id = ").Param(*filter.owner_id);
  if (filter.company_id) query.Sql(" AND c.company_id = ").Param(*filter.company_id);
  if (filter.tag) {
    query.Sql(" AND c.id IN (SELECT t.customer_id FROM customer_tags t WHERE t.tag = ");
    query.Param(*filter.tag).Sql(")");
  }
  if (filter.created_after) query.Sql(" AND c.created_at >= ").Param(*filter.created_after);
  if (filter.created_before) query.Sql(" AND c.created_at < ").Param(*filter.created_before);
  if (filter.q) {
    // lower() on both sides, so each engine folds the pattern as it folds the column.
    const std::string pattern = "%" + core::EscapeLike(*filter.q) + "%";
    bool first = true;
    for (std::string_view column : {"c.name", "c.email", "c.phone", "co.name"}) {
      query.Sql(first ? " AND (" : " OR ");
      query.Sql("lower(").Sql(column).Sql(") LIKE lower(").Param(pattern).Sql(") ESCAPE '\\'");
      first = false;
    }
    query.Sql(")");
  }
  for (const rules::Rule& rule : filter.rules) {
    query.Sql(" AND ");
    rules::AppendCondition(query, rule, engine, now);
  }
}

}  // namespace

db::Query CustomerStore::ByIdQuery(std::string_view id, bool lock) const {
  // The text before the id, built once: a GET by id runs this for every request.
  static const std::string kSelect = [] {
    db::Query select("SELECT ");
    SelectColumns(select, CustomerColumns::kAll);
    select.Sql(kFrom).Sql(" WHERE c.id = ");
    return select.sql();
  }();
  db::Query query(kSelect);
  query.Param(id);
  // NO KEY UPDATE: writers of the row wait, foreign-key checks of inserts referencing it don't.
  if (lock && engine_ == db::Engine::kPostgres) query.Sql(" FOR NO KEY UPDATE OF c");
  return query;
}

std::optional<Customer> CustomerStore::FindById(db::Session& session, std::string_view id,
                                                bool lock) const {
  std::optional<Customer> customer;
  session.First(ByIdQuery(id, lock), [&](const db::Row& row) { customer = FromRow(row); });
  return customer;
}

std::optional<CustomerJson> CustomerStore::FindJsonById(db::Session& session,
                                                        std::string_view id) const {
  static const std::string kSelect =
      "SELECT c.id, c.doc, c.owner_id, c.version" + std::string(kFromCustomers) +
      " WHERE c.id = ";
  std::optional<CustomerJson> found;
  bool stored = false;
  session.First(db::Query(kSelect).Param(id), [&](const db::Row& row) {
    CustomerJson& customer = found.emplace();
    customer.id = row.TextAt(0);
    customer.owner_id = row.OptTextAt(2);
    customer.version = row.IntAt(3).value_or(0);
    if (auto doc = row.ViewAt(1)) {
      customer.text = *doc;
      stored = true;
    }
  });
  if (!found || stored) return found;
  // No document: written from the row (read again, so the text and the version agree).
  found.reset();
  session.First(ByIdQuery(id, false), [&](const db::Row& row) {
    CustomerJson& customer = found.emplace();
    customer.text.reserve(768);
    AppendRowJson(row, customer.text);
    customer.id = row.TextAt(kId);
    customer.owner_id = row.OptTextAt(kOwnerId);
    customer.version = row.IntAt(kVersion).value_or(0);
  });
  return found;
}

std::optional<Customer> CustomerStore::FindByEmail(db::Session& session,
                                                   std::string_view email) const {
  db::Query query("SELECT ");
  SelectColumns(query, CustomerColumns::kAll);
  query.Sql(kFrom).Sql(" WHERE lower(c.email) = lower(").Param(email).Sql(")");
  std::optional<Customer> customer;
  session.First(query, [&](const db::Row& row) { customer = FromRow(row); });
  return customer;
}

std::vector<std::size_t> CustomerStore::TakenEmails(db::Session& session,
                                                    const std::vector<std::string>& emails) const {
  std::vector<std::size_t> taken;
  for (std::size_t start = 0; start < emails.size(); start += kRowsPerStatement) {
    const std::size_t end = std::min(emails.size(), start + kRowsPerStatement);
    // Positions as literals: the text is the same for every full chunk (one prepared
    // statement), and the join probes the lower(email) index once per email.
    db::Query query("SELECT v.column1 FROM (VALUES ");
    for (std::size_t i = start; i < end; ++i) {
      query.Sql(fmt::format("{}({}, ", i == start ? "" : ", ", i - start)).Param(emails[i]).Sql(")");
    }
    query.Sql(") AS v JOIN customers c ON lower(c.email) = lower(v.column2)");
    std::vector<std::size_t> chunk;
    session.ForEach(query, [&](const db::Row& row) {
      chunk.push_back(start + static_cast<std::size_t>(row.IntAt(0).value_or(0)));
    });
    std::sort(chunk.begin(), chunk.end());
    taken.insert(taken.end(), chunk.begin(), chunk.end());
  }
  taken.erase(std::unique(taken.begin(), taken.end()), taken.end());
  return taken;
}

core::Status CustomerStore::Insert(db::Session& session, std::span<const Customer> customers) const {
  try {
    db::InsertRows(
        session,
        "INSERT INTO customers (id, name, first_name, last_name, email, phone, company_id, "
        "status, notes, tags, attributes, owner_id, version, created_at, updated_at, doc) "
        "VALUES ",
        customers.size(), kRowsPerStatement, [&](db::Query& query, std::size_t i) {
          const Customer& c = customers[i];
          query.Param(c.id).Sql(", ").Param(c.name).Sql(", ").Param(c.first_name).Sql(", ");
          query.Param(c.last_name).Sql(", ").Param(c.email).Sql(", ").Param(c.phone).Sql(", ");
          query.Param(c.company_id).Sql(", ").Param(c.status).Sql(", ").Param(c.notes).Sql(", ");
          query.Param(TagsToJson(c.tags)).Sql(", ").Param(c.attributes).Sql(", ");
          query.Param(c.owner_id).Sql(", ").Param(c.version).Sql(", ").Param(c.created_at);
          query.Sql(", ").Param(c.updated_at).Sql(", ").Param(DocumentOf(c));
        });
  } catch (const std::exception& e) {
    if (auto error = ConstraintError(e)) return *error;
    throw;
  }
  InsertTags(session, customers);
  return core::Ok{};
}

core::Result<bool> CustomerStore::Update(db::Session& session, Customer& c,
                                         bool tags_changed) const {
  std::string updated_at = core::FormatTimestamp(core::Now());
  // The document as the row will be: the new updated_at, everything else as `c` has it.
  std::swap(c.updated_at, updated_at);
  const std::string doc = DocumentOf(c);
  std::swap(c.updated_at, updated_at);
  db::Query query("UPDATE customers SET name = ");
  query.Param(c.name).Sql(", first_name = ").Param(c.first_name);
  query.Sql(", last_name = ").Param(c.last_name).Sql(", email = ").Param(c.email);
  query.Sql(", phone = ").Param(c.phone).Sql(", company_id = ").Param(c.company_id);
  query.Sql(", status = ").Param(c.status).Sql(", notes = ").Param(c.notes);
  query.Sql(", tags = ").Param(TagsToJson(c.tags));
  query.Sql(", attributes = ").Param(c.attributes);
  query.Sql(", owner_id = ").Param(c.owner_id);
  query.Sql(", version = version + 1, updated_at = ").Param(updated_at);
  query.Sql(", doc = ").Param(doc);
  query.Sql(" WHERE id = ").Param(c.id).Sql(" AND version = ").Param(c.version);
  auto changed = db::ExecChecked(session, query, ConstraintError);
  if (!changed) return changed.error();
  if (*changed == 0) return false;
  if (tags_changed) {
    session.Exec(db::Query("DELETE FROM customer_tags WHERE customer_id = ").Param(c.id));
    InsertTags(session, std::span<const Customer>(&c, 1));
  }
  c.version += 1;
  c.updated_at = updated_at;
  return true;
}

bool CustomerStore::Delete(db::Session& session, std::string_view id,
                           std::optional<int64_t> expected_version) const {
  return db::DeleteById(session, "customers", id, expected_version);
}

void CustomerStore::SetLastInteractionAt(db::Session& session, const Customer& c) const {
  UpdateDerived(session, c, [&](db::Query& query) {
    query.Sql("last_interaction_at = ").Param(c.last_interaction_at);
  });
}

void CustomerStore::RecordStatusChanges(db::Session& session,
                                        std::span<const StatusChange> changes) const {
  db::InsertRows(session,
                 "INSERT INTO customer_status_changes (id, customer_id, from_status, to_status, "
                 "changed_by, changed_at) VALUES ",
                 changes.size(), kRowsPerStatement, [&](db::Query& query, std::size_t i) {
                   const StatusChange& change = changes[i];
                   query.Param(change.id).Sql(", ").Param(change.customer_id).Sql(", ");
                   query.Param(change.from_status).Sql(", ").Param(change.to_status).Sql(", ");
                   query.Param(change.changed_by).Sql(", ").Param(change.changed_at);
                 });
}

std::vector<StatusChange> CustomerStore::StatusHistory(db::Session& session,
                                                       std::string_view id) const {
  std::vector<StatusChange> history;
  db::Query query(
      "SELECT id, customer_id, from_status, to_status, changed_by, changed_at "
      "FROM customer_status_changes WHERE customer_id = ");
  query.Param(id).Sql(" ORDER BY changed_at, id");
  session.ForEach(query, [&](const db::Row& row) {
    history.push_back({row.Text("id"), row.Text("customer_id"), row.OptText("from_status"),
                       row.Text("to_status"), row.OptText("changed_by"), row.Text("changed_at")});
  });
  return history;
}

void CustomerStore::SetPurchaseStats(db::Session& session, Customer c) const {
  c.updated_at = core::FormatTimestamp(core::Now());
  UpdateDerived(session, c, [&](db::Query& query) {
    query.Sql("total_spend = ").Param(c.total_spend).Sql(", num_visits = ").Param(c.num_visits);
    query.Sql(", last_visit_at = ").Param(c.last_visit_at);
    query.Sql(", version = version + 1, updated_at = ").Param(c.updated_at);
  });
}

void CustomerStore::UpdateDerived(db::Session& session, const Customer& c,
                                  const std::function<void(db::Query&)>& set) const {
  db::Query query("UPDATE customers SET ");
  set(query);
  query.Sql(", doc = ").Param(DocumentOf(c));
  query.Sql(" WHERE id = ").Param(c.id).Sql(" AND version = ").Param(c.version);
  if (session.Exec(query) > 0) return;
  db::Query values("UPDATE customers SET ");
  set(values);
  session.Exec(values.Sql(" WHERE id = ").Param(c.id));
}

std::string CustomerStore::WriteMissingDocuments(db::Session& session, std::string_view after_id,
                                                 int limit, int64_t& written) const {
  db::Query query("SELECT ");
  SelectColumns(query, CustomerColumns::kAll);
  query.Sql(kFrom).Sql(" WHERE c.doc IS NULL");
  if (!after_id.empty()) query.Sql(" AND c.id > ").Param(after_id);
  query.Sql(fmt::format(" ORDER BY c.id LIMIT {}", limit));
  if (engine_ == db::Engine::kPostgres) query.Sql(" FOR NO KEY UPDATE OF c SKIP LOCKED");
  std::vector<Customer> customers;
  session.ForEach(query, [&](const db::Row& row) { customers.push_back(FromRow(row)); });
  for (const Customer& c : customers) {
    session.Exec(db::Query("UPDATE customers SET doc = ").Param(DocumentOf(c)).Sql(" WHERE id = ")
                     .Param(c.id));
  }
  written = static_cast<int64_t>(customers.size());
  return customers.empty() ? std::string() : customers.back().id;
}

std::vector<std::string> CustomerStore::MatchingIds(db::Session& session,
                                                    const CustomerFilter& filter,
                                                    const std::optional<std::string>& visible_to,
                                                    std::string_view after_id, int limit) const {
  db::Query query("SELECT c.id");
  query.Sql(kFrom);
  AppendFilter(query, filter, visible_to, engine_, core::Now());
  if (!after_id.empty()) query.Sql(" AND c.id > ").Param(after_id);
  query.Sql(fmt::format(" ORDER BY c.id LIMIT {}", limit));
  std::optional<db::CustomPlans> plans;
  if (!filter.rules.empty()) plans.emplace(session);
  std::vector<std::string> ids;
  ids.reserve(static_cast<std::size_t>(limit));
  session.ForEach(query, [&](const db::Row& row) { ids.push_back(row.TextAt(0)); });
  return ids;
}

std::optional<std::string> CustomerStore::ListRows(
    db::Session& session, const CustomerFilter& filter,
    const std::optional<std::string>& visible_to, const core::PageRequest& page,
    CustomerColumns columns, std::optional<int64_t>& total,
    const std::function<void(const db::Row&)>& each) const {
  // One instant for the count and the page, so relative dates in rules agree between them.
  const core::Timestamp now = core::Now();
  // How selective a rule is depends on its values: plan for them every time.
  std::optional<db::CustomPlans> plans;
  if (!filter.rules.empty()) plans.emplace(session);
  if (page.include_total) {
    // Only `q` reads the company; without it the count needs the customers alone (and can
    // then be answered from an index).
    db::Query count("SELECT count(*)");
    count.Sql(filter.q ? kFrom : kFromCustomers);
    AppendFilter(count, filter, visible_to, engine_, now);
    total = session.Scalar(count);
  }
  // The cursor holds the sort values of the last row: plain columns as read, folded ones
  // (lower(...)) selected as computed by the database, since lower() differs between the
  // engines beyond ASCII.
  db::Query query("SELECT ");
  SelectColumns(query, columns);
  for (std::size_t i = 0; i < page.sort.size(); ++i) {
    if (PlainSortColumn(page.sort[i].field, columns)) continue;
    query.Sql(fmt::format(", {} AS sort_{}",
                          db::ColumnOf(kSortColumns, page.sort[i].field).expression, i));
  }
  // `q` matches the company's name: the join stays for it.
  query.Sql(columns == CustomerColumns::kAll || filter.q ? kFrom : kFromCustomers);
  AppendFilter(query, filter, visible_to, engine_, now);
  db::AppendKeyset(query, engine_, page.sort, kSortColumns, page.after);
  db::AppendOrderAndLimit(query, engine_, page.sort, kSortColumns, page.limit + 1);

  int rows = 0;
  std::vector<std::string> last;
  session.ForEach(query, [&](const db::Row& row) {
    if (++rows > page.limit) return;
    each(row);
    if (rows == page.limit) {
      last.clear();
      for (std::size_t i = 0; i < page.sort.size(); ++i) {
        auto column = PlainSortColumn(page.sort[i].field, columns);
        last.push_back(column ? row.TextAt(*column) : row.Text(fmt::format("sort_{}", i)));
      }
    }
  });
  if (rows <= page.limit) return std::nullopt;
  return core::EncodeCursor(page.sort, last);
}

CustomerPage CustomerStore::List(db::Session& session, const CustomerFilter& filter,
                                 const std::optional<std::string>& visible_to,
                                 const core::PageRequest& page, CustomerColumns columns) const {
  CustomerPage result;
  result.data.reserve(static_cast<std::size_t>(page.limit));
  result.next_cursor =
      ListRows(session, filter, visible_to, page, columns, result.total,
               [&](const db::Row& row) { result.data.push_back(FromRow(row, columns)); });
  return result;
}

std::string CustomerStore::ListJson(db::Session& session, const CustomerFilter& filter,
                                    const std::optional<std::string>& visible_to,
                                    const core::PageRequest& page) const {
  std::string out;
  out.reserve(64 + static_cast<std::size_t>(page.limit) * 640);
  out += "{\"data\":[";
  bool first = true;
  std::optional<int64_t> total;
  auto next_cursor = ListRows(
      session, filter, visible_to, page, CustomerColumns::kDocument, total,
      [&](const db::Row& row) {
        const std::optional<std::string_view> doc = row.ViewAt(kDocument);
        const std::size_t start = out.size();
        if (!first) out += ',';
        if (doc) {
          out += *doc;
        } else {
          // Read while the page's statement is still open: on SQLite the same snapshot. A row
          // deleted in between (PostgreSQL reads each statement afresh) is left out.
          bool found = false;
          session.First(ByIdQuery(row.TextAt(kId), false), [&](const db::Row& full) {
            AppendRowJson(full, out);
            found = true;
          });
          if (!found) {
            out.resize(start);
            return;
          }
        }
        first = false;
      });
  AppendPageEnd(out, next_cursor, total);
  return out;
}

}  // namespace rapport::customers
