#include "orders/order_store.hpp"

#include <fmt/format.h>

#include "core/time.hpp"
#include "db/keyset.hpp"
#include "db/records.hpp"

namespace rapport::orders {

namespace {

constexpr std::string_view kColumns =
    "o.id, o.customer_id, o.amount, o.currency, o.status, o.ordered_at, o.version, o.created_at, "
    "o.updated_at";

const std::vector<db::SortColumn> kSortColumns = {
    {"id", "o.id"},
    {"ordered_at", "o.ordered_at"},
    {"created_at", "o.created_at"},
    {"updated_at", "o.updated_at"},
    {"amount", "o.amount", /*numeric=*/true},
};

enum Column : std::size_t {
  kId, kCustomerId, kAmount, kCurrency, kStatus, kOrderedAt, kVersion, kCreatedAt, kUpdatedAt,
};

Order FromRow(const db::Row& row) {
  Order order;
  order.id = row.TextAt(kId);
  order.customer_id = row.TextAt(kCustomerId);
  order.amount = row.IntAt(kAmount).value_or(0);
  order.currency = row.TextAt(kCurrency);
  order.status = row.TextAt(kStatus);
  order.ordered_at = row.TextAt(kOrderedAt);
  order.version = row.IntAt(kVersion).value_or(0);
  order.created_at = row.TextAt(kCreatedAt);
  order.updated_at = row.TextAt(kUpdatedAt);
  return order;
}

// The sort value the cursor keeps for `field`: every sort column is a plain column.
std::string SortValue(const Order& order, std::string_view field) {
  if (field == "ordered_at") return order.ordered_at;
  if (field == "created_at") return order.created_at;
  if (field == "updated_at") return order.updated_at;
  if (field == "amount") return std::to_string(order.amount);
  return order.id;
}

void AppendFilter(db::Query& query, const OrderFilter& filter, const OrderStore::Narrow& narrow) {
  query.Sql(" WHERE 1 = 1");
  if (narrow) narrow(query);
  if (filter.customer_id) query.Sql(" AND o.customer_id = ").Param(*filter.customer_id);
  if (filter.status) query.Sql(" AND o.status = ").Param(*filter.status);
  if (filter.currency) query.Sql(" AND o.currency = ").Param(*filter.currency);
  if (filter.from) query.Sql(" AND o.ordered_at >= ").Param(*filter.from);
  if (filter.to) query.Sql(" AND o.ordered_at < ").Param(*filter.to);
}

}  // namespace

std::optional<Order> OrderStore::FindById(db::Session& session, std::string_view id) const {
  return db::FindOne(session, kColumns, "orders o", "o.id", id, FromRow);
}

void OrderStore::Insert(db::Session& session, const Order& o) const {
  db::Query query(
      "INSERT INTO orders (id, customer_id, amount, currency, status, ordered_at, version, "
      "created_at, updated_at) VALUES (");
  query.Param(o.id).Sql(", ").Param(o.customer_id).Sql(", ").Param(o.amount).Sql(", ");
  query.Param(o.currency).Sql(", ").Param(o.status).Sql(", ").Param(o.ordered_at).Sql(", ");
  query.Param(o.version).Sql(", ").Param(o.created_at).Sql(", ").Param(o.updated_at).Sql(")");
  session.Exec(query);
}

bool OrderStore::Update(db::Session& session, Order& o) const {
  const std::string updated_at = core::FormatTimestamp(core::Now());
  db::Query query("UPDATE orders SET amount = ");
  query.Param(o.amount).Sql(", currency = ").Param(o.currency);
  query.Sql(", status = ").Param(o.status).Sql(", ordered_at = ").Param(o.ordered_at);
  query.Sql(", version = version + 1, updated_at = ").Param(updated_at);
  query.Sql(" WHERE id = ").Param(o.id).Sql(" AND version = ").Param(o.version);
  if (session.Exec(query) == 0) return false;
  o.version += 1;
  o.updated_at = updated_at;
  return true;
}

customers::PurchaseStats OrderStore::Stats(db::Session& session, std::string_view customer_id,
                                           std::string_view currency) const {
  db::Query query("SELECT COALESCE(SUM(CASE WHEN currency = ");
  query.Param(currency).Sql(" THEN amount ELSE 0 END), 0), count(*), MAX(ordered_at)");
  query.Sql(" FROM orders WHERE customer_id = ").Param(customer_id);
  query.Sql(" AND status = 'paid'");
  customers::PurchaseStats stats;
  session.First(query, [&](const db::Row& row) {
    stats.total_spend = row.IntAt(0).value_or(0);
    stats.num_visits = row.IntAt(1).value_or(0);
    stats.last_visit_at = row.OptTextAt(2);
  });
  return stats;
}

OrderPage OrderStore::List(db::Session& session, const OrderFilter& filter, const Narrow& narrow,
                           const core::PageRequest& page) const {
  OrderPage result;
  if (page.include_total) {
    db::Query count("SELECT count(*) FROM orders o");
    AppendFilter(count, filter, narrow);
    result.total = session.Scalar(count);
  }
  db::Query query("SELECT ");
  query.Sql(kColumns).Sql(" FROM orders o");
  AppendFilter(query, filter, narrow);
  db::AppendKeyset(query, engine_, page.sort, kSortColumns, page.after);
  db::AppendOrderAndLimit(query, engine_, page.sort, kSortColumns, page.limit + 1);
  int rows = 0;
  session.ForEach(query, [&](const db::Row& row) {
    if (++rows <= page.limit) result.data.push_back(FromRow(row));
  });
  if (rows > page.limit) {
    std::vector<std::string> last;
    for (const core::SortKey& key : page.sort) last.push_back(SortValue(result.data.back(), key.field));
    result.next_cursor = core::EncodeCursor(page.sort, last);
  }
  return result;
}

std::vector<Order> OrderStore::FindMany(db::Session& session,
                                        const std::vector<std::string>& ids) const {
  return db::FindAll(session, kColumns, "orders o", "o.id", ids, FromRow);
}

void OrderStore::AppendTimelineSelect(db::Query& query, std::string_view customer_id) {
  query.Sql("SELECT o.id AS id, o.ordered_at AS occurred_at FROM orders o WHERE o.customer_id = ");
  query.Param(customer_id);
}

}  // namespace rapport::orders
