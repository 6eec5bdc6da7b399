#include "reports/report_store.hpp"

#include <algorithm>
#include <unordered_map>

#include <fmt/format.h>

namespace rapport::reports {

namespace {

// ` AND <column> >= from AND <column> < to` for the bounds that are set.
void AppendPeriod(db::Query& query, std::string_view column, const Period& period) {
  if (period.from) query.Sql(fmt::format(" AND {} >= ", column)).Param(*period.from);
  if (period.to) query.Sql(fmt::format(" AND {} < ", column)).Param(*period.to);
}

// The period of done interactions by when they happened. That is never after completed_at,
// so `from` also bounds completed_at, which the index interactions_done can range over.
void AppendInteractionPeriod(db::Query& query, const Period& period) {
  AppendPeriod(query, ReportStore::kInteractionTime, period);
  if (period.from) query.Sql(" AND i.completed_at >= ").Param(*period.from);
}

std::map<std::string, int64_t> Counts(db::Session& session, const db::Query& query) {
  std::map<std::string, int64_t> counts;
  session.ForEach(query, [&](const db::Row& row) {
    counts[row.TextAt(0)] += row.IntAt(1).value_or(0);
  });
  return counts;
}

}  // namespace

std::vector<DayValue> ReportStore::Daily(db::Session& session, Metric metric,
                                         const Period& period, const Narrow& narrow,
                                         const std::optional<std::string>& agent_id,
                                         std::string_view currency) const {
  db::Query query;
  auto by_day = [&](std::string_view time, std::string_view value, std::string_view from,
                    std::string_view where, std::string_view customer_column) {
    query.Sql(fmt::format("SELECT substr({0}, 1, 10) AS day, {1} FROM {2} WHERE {3}", time, value,
                          from, where));
    if (time == kInteractionTime) {
      AppendInteractionPeriod(query, period);
    } else {
      AppendPeriod(query, time, period);
    }
    if (!customer_column.empty()) narrow(query, customer_column);
  };
  switch (metric) {
    case Metric::kNewCustomers:
      by_day("c.created_at", "count(*)", "customers c", "1 = 1", "c.id");
      break;
    case Metric::kInteractions:
      by_day(kInteractionTime, "count(*)", "interactions i", "i.status = 'done'",
             "i.customer_id");
      break;
    case Metric::kRevenue:
      by_day("o.ordered_at", "COALESCE(SUM(o.amount), 0)", "orders o", "o.status = 'paid'",
             "o.customer_id");
      query.Sql(" AND o.currency = ").Param(currency);
      break;
    case Metric::kTicketsOpened:
      by_day("t.created_at", "count(*)", "tickets t", "1 = 1", "t.customer_id");
      break;
    case Metric::kTicketsResolved:
      by_day("t.resolved_at", "count(*)", "tickets t", "t.resolved_at IS NOT NULL",
             "t.customer_id");
      break;
    case Metric::kEmailsSent:
      // User emails only (system mail is the server's own), as GET /emails/stats counts them;
      // an agent sees the emails they sent and those of customers they can see.
      by_day("e.sent_at", "count(*)", "emails e", "e.kind = 'user' AND e.status = 'sent'", "");
      if (agent_id) {
        query.Sql(" AND (e.sender_id = ").Param(*agent_id);
        query.Sql(" OR EXISTS (SELECT 1 FROM customers v WHERE v.id = e.customer_id AND ");
        query.Sql("(v.owner_id IS NULL OR v.owner_id = ").Param(*agent_id).Sql(")))");
      }
      break;
  }
  query.Sql(" GROUP BY 1");
  std::vector<DayValue> days;
  session.ForEach(query, [&](const db::Row& row) {
    days.push_back({row.TextAt(0), row.IntAt(1).value_or(0)});
  });
  return days;
}

std::map<std::string, int64_t> ReportStore::CustomersByStatus(db::Session& session,
                                                              const Period& period,
                                                              const Narrow& narrow) const {
  db::Query query("SELECT c.status, count(*) FROM customers c WHERE 1 = 1");
  AppendPeriod(query, "c.created_at", period);
  narrow(query, "c.id");
  query.Sql(" GROUP BY c.status");
  return Counts(session, query);
}

std::map<std::string, int64_t> ReportStore::InteractionsByType(db::Session& session,
                                                               const Period& period,
                                                               const Narrow& narrow) const {
  db::Query query("SELECT i.type, count(*) FROM interactions i WHERE i.status = 'done'");
  AppendInteractionPeriod(query, period);
  narrow(query, "i.customer_id");
  query.Sql(" GROUP BY i.type");
  return Counts(session, query);
}

ReportStore::Conversion ReportStore::LeadConversion(db::Session& session, const Period& period,
                                                    const Narrow& narrow) const {
  // A customer's first status entry (from_status NULL) is the status it was created with.
  db::Query query(
      "SELECT count(*), COALESCE(SUM(CASE WHEN c.status = 'customer' OR EXISTS (SELECT 1 FROM "
      "customer_status_changes s WHERE s.customer_id = c.id AND s.to_status = 'customer') "
      "THEN 1 ELSE 0 END), 0) FROM customers c WHERE EXISTS (SELECT 1 FROM "
      "customer_status_changes f WHERE f.customer_id = c.id AND f.from_status IS NULL AND "
      "f.to_status = 'lead')");
  AppendPeriod(query, "c.created_at", period);
  narrow(query, "c.id");
  Conversion conversion;
  session.First(query, [&](const db::Row& row) {
    conversion.leads = row.IntAt(0).value_or(0);
    conversion.converted = row.IntAt(1).value_or(0);
  });
  return conversion;
}

ReportStore::Funnel ReportStore::StatusFunnel(db::Session& session, const Period& period,
                                              const Narrow& narrow) const {
  // The current status is part of the history too; testing it first spares most probes.
  db::Query query(
      "SELECT count(*), "
      "COALESCE(SUM(CASE WHEN c.status IN ('prospect', 'customer') OR EXISTS (SELECT 1 FROM "
      "customer_status_changes s WHERE s.customer_id = c.id AND s.to_status IN ('prospect', "
      "'customer')) THEN 1 ELSE 0 END), 0), "
      "COALESCE(SUM(CASE WHEN c.status = 'customer' OR EXISTS (SELECT 1 FROM "
      "customer_status_changes s WHERE s.customer_id = c.id AND s.to_status = 'customer') "
      "THEN 1 ELSE 0 END), 0) FROM customers c WHERE 1 = 1");
  AppendPeriod(query, "c.created_at", period);
  narrow(query, "c.id");
  Funnel funnel;
  session.First(query, [&](const db::Row& row) {
    funnel.entered = row.IntAt(0).value_or(0);
    funnel.prospects = row.IntAt(1).value_or(0);
    funnel.customers = row.IntAt(2).value_or(0);
  });
  return funnel;
}

ReportStore::Tickets ReportStore::TicketFigures(db::Session& session, const Period& period,
                                                const Narrow& narrow) const {
  Tickets tickets;
  db::Query open("SELECT count(*) FROM tickets t WHERE t.status IN ('open', 'in_progress')");
  narrow(open, "t.customer_id");
  tickets.open = session.Scalar(open);

  db::Query opened("SELECT count(*) FROM tickets t WHERE 1 = 1");
  AppendPeriod(opened, "t.created_at", period);
  narrow(opened, "t.customer_id");
  tickets.opened = session.Scalar(opened);

  db::Query resolved(
      "SELECT t.created_at, t.resolved_at FROM tickets t WHERE t.resolved_at IS NOT NULL");
  AppendPeriod(resolved, "t.resolved_at", period);
  narrow(resolved, "t.customer_id");
  session.ForEach(resolved, [&](const db::Row& row) {
    if (auto seconds = SecondsBetween(row.TextAt(0), row.TextAt(1))) {
      tickets.hours_to_resolve.push_back(static_cast<double>(std::max<int64_t>(*seconds, 0)) /
                                         3600.0);
    }
  });
  return tickets;
}

ReportStore::Revenue ReportStore::PaidOrders(db::Session& session, const Period& period,
                                             const Narrow& narrow,
                                             std::string_view currency) const {
  db::Query query(
      "SELECT count(*), COALESCE(SUM(o.amount), 0) FROM orders o WHERE o.status = 'paid' AND "
      "o.currency = ");
  query.Param(currency);
  AppendPeriod(query, "o.ordered_at", period);
  narrow(query, "o.customer_id");
  Revenue revenue;
  session.First(query, [&](const db::Row& row) {
    revenue.orders = row.IntAt(0).value_or(0);
    revenue.total = row.IntAt(1).value_or(0);
  });
  return revenue;
}

std::vector<ReportStore::UserFigures> ReportStore::PerUser(
    db::Session& session, const Period& period, const std::optional<std::string>& only_user,
    std::string_view currency) const {
  std::vector<UserFigures> users;
  std::unordered_map<std::string, std::size_t> index;
  db::Query list("SELECT u.id, u.name, u.email, u.role, u.active FROM users u WHERE 1 = 1");
  if (only_user) list.Sql(" AND u.id = ").Param(*only_user);
  list.Sql(" ORDER BY lower(u.name), u.id");
  session.ForEach(list, [&](const db::Row& row) {
    UserFigures figures;
    figures.user_id = row.TextAt(0);
    figures.name = row.TextAt(1);
    figures.email = row.TextAt(2);
    figures.role = row.TextAt(3);
    figures.active = row.IntAt(4).value_or(1) != 0;
    index.emplace(figures.user_id, users.size());
    users.push_back(std::move(figures));
  });
  auto each = [&](db::Query& query, const std::function<void(UserFigures&, const db::Row&)>& add) {
    session.ForEach(query, [&](const db::Row& row) {
      auto it = index.find(row.TextAt(0));
      if (it != index.end()) add(users[it->second], row);
    });
  };
  auto only = [&](db::Query& query, std::string_view column) {
    if (only_user) query.Sql(fmt::format(" AND {} = ", column)).Param(*only_user);
  };

  // Grouped by an expression, not the column: SQLite would otherwise walk interactions_user
  // to save the sort, one table row per interaction, instead of ranging over
  // interactions_done, which holds everything this needs.
  db::Query interactions(
      "SELECT i.user_id || '', count(*) FROM interactions i WHERE i.status = 'done'");
  AppendInteractionPeriod(interactions, period);
  only(interactions, "i.user_id");
  interactions.Sql(" GROUP BY 1");
  each(interactions, [](UserFigures& u, const db::Row& row) {
    u.interactions_done = row.IntAt(1).value_or(0);
  });

  db::Query tickets(
      "SELECT t.assignee_id, count(*) FROM tickets t WHERE t.resolved_at IS NOT NULL AND "
      "t.assignee_id IS NOT NULL");
  AppendPeriod(tickets, "t.resolved_at", period);
  only(tickets, "t.assignee_id");
  tickets.Sql(" GROUP BY t.assignee_id");
  each(tickets, [](UserFigures& u, const db::Row& row) {
    u.tickets_resolved = row.IntAt(1).value_or(0);
  });

  db::Query revenue(
      "SELECT c.owner_id, count(*), COALESCE(SUM(o.amount), 0) FROM orders o JOIN customers c "
      "ON c.id = o.customer_id WHERE o.status = 'paid' AND c.owner_id IS NOT NULL AND "
      "o.currency = ");
  revenue.Param(currency);
  AppendPeriod(revenue, "o.ordered_at", period);
  only(revenue, "c.owner_id");
  revenue.Sql(" GROUP BY c.owner_id");
  each(revenue, [](UserFigures& u, const db::Row& row) {
    u.orders = row.IntAt(1).value_or(0);
    u.revenue = row.IntAt(2).value_or(0);
  });

  db::Query owned(
      "SELECT c.owner_id, count(*) FROM customers c WHERE c.owner_id IS NOT NULL");
  only(owned, "c.owner_id");
  owned.Sql(" GROUP BY c.owner_id");
  each(owned, [](UserFigures& u, const db::Row& row) {
    u.customers_owned = row.IntAt(1).value_or(0);
  });
  return users;
}

}  // namespace rapport::reports
