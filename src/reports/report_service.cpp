#include "reports/report_service.hpp"

#include <array>
#include <utility>

#include "core/money.hpp"
#include "customers/customer_service.hpp"

namespace rapport::reports {

// Every read runs with db::CustomPlans: a report's best plan depends on its period (a month
// reads an index range, all time scans), which a generic plan of a prepared statement cannot
// know.

namespace {

constexpr std::array<std::string_view, 4> kStatuses = {"lead", "prospect", "customer", "churned"};
constexpr std::array<std::string_view, 6> kTypes = {"meeting", "call",      "email",
                                                    "task",    "follow_up", "note"};

core::Status RequireStaff(const core::Principal& who) {
  if (!who.is_user()) return core::Error::Forbidden("reports are for staff users");
  return core::Ok{};
}

// The visibility rule of customers, on the column holding the customer id.
Narrow NarrowFor(const core::Principal& who) {
  return [who](db::Query& query, std::string_view column) {
    customers::CustomerService::AppendVisibleFilter(query, who, column);
  };
}

nlohmann::json Bound(const std::optional<std::string>& bound) {
  return bound ? nlohmann::json(*bound) : nlohmann::json(nullptr);
}

// `counts` with every one of `keys` present (zero when missing).
template <std::size_t N>
nlohmann::json Filled(const std::array<std::string_view, N>& keys,
                      const std::map<std::string, int64_t>& counts, int64_t& total) {
  nlohmann::json out = nlohmann::json::object();
  total = 0;
  for (std::string_view key : keys) {
    auto it = counts.find(std::string(key));
    const int64_t n = it == counts.end() ? 0 : it->second;
    out[std::string(key)] = n;
    total += n;
  }
  return out;
}

}  // namespace

ReportService::ReportService(db::Database& database, email::EmailService& emails,
                             std::string currency)
    : database_(database), emails_(emails), currency_(std::move(currency)) {}

core::Result<nlohmann::json> ReportService::Overview(const core::Principal& who,
                                                     const Period& period) {
  if (auto allowed = RequireStaff(who); !allowed) return allowed.error();
  const Narrow narrow = NarrowFor(who);
  nlohmann::json out = {{"from", Bound(period.from)}, {"to", Bound(period.to)}};
  database_.Read([&](db::Session& session) {
    const db::CustomPlans plans(session);
    int64_t total = 0;
    nlohmann::json by_status =
        Filled(kStatuses, store_.CustomersByStatus(session, period, narrow), total);
    out["customers"] = {{"total", total}, {"by_status", std::move(by_status)}};

    nlohmann::json by_type =
        Filled(kTypes, store_.InteractionsByType(session, period, narrow), total);
    out["interactions"] = {{"total", total}, {"by_type", std::move(by_type)}};

    const auto conversion = store_.LeadConversion(session, period, narrow);
    out["conversion_rate"] = Rate(conversion.converted, conversion.leads);
    out["conversion"] = {{"leads", conversion.leads},
                         {"converted", conversion.converted},
                         {"rate", Rate(conversion.converted, conversion.leads)}};

    auto tickets = store_.TicketFigures(session, period, narrow);
    const auto resolved = static_cast<int64_t>(tickets.hours_to_resolve.size());
    const auto median = Percentile(tickets.hours_to_resolve, 0.5);
    const auto p90 = Percentile(tickets.hours_to_resolve, 0.9);
    out["tickets"] = {{"open", tickets.open},
                      {"opened", tickets.opened},
                      {"resolved", resolved},
                      {"median_hours_to_resolve", Hours(median)},
                      {"p90_hours_to_resolve", Hours(p90)}};

    const auto revenue = store_.PaidOrders(session, period, narrow, currency_);
    // The average rounds half away from zero to the minor unit.
    const int64_t average =
        revenue.orders == 0 ? 0 : (revenue.total + revenue.orders / 2) / revenue.orders;
    out["revenue"] = {{"currency", currency_},
                      {"total", core::MoneyToJson(revenue.total)},
                      {"orders", revenue.orders},
                      {"average_order", core::MoneyToJson(average)}};
    return 0;
  });

  auto emails = emails_.Stats(who, period.from, period.to);
  if (!emails) return emails.error();
  const nlohmann::json stats = emails->ToJson();
  out["emails"] = {{"sent", stats["sent"]},
                   {"open_rate", stats["open_rate"]},
                   {"click_rate", stats["click_rate"]},
                   {"reply_rate", stats["reply_rate"]}};
  return out;
}

core::Result<Series> ReportService::Timeseries(const core::Principal& who,
                                               const SeriesRequest& request) {
  if (auto allowed = RequireStaff(who); !allowed) return allowed.error();
  const Period period{request.from, request.to};
  const std::optional<std::string> agent =
      who.is_agent() ? std::optional<std::string>(who.id) : std::nullopt;
  auto days = database_.Read([&](db::Session& session) {
    const db::CustomPlans plans(session);
    return store_.Daily(session, request.metric, period, NarrowFor(who), agent, currency_);
  });
  Series series = FoldDays(request, days);
  series.currency = currency_;
  return series;
}

core::Result<nlohmann::json> ReportService::Funnel(const core::Principal& who,
                                                   const Period& period) {
  if (auto allowed = RequireStaff(who); !allowed) return allowed.error();
  const auto funnel = database_.Read([&](db::Session& session) {
    const db::CustomPlans plans(session);
    return store_.StatusFunnel(session, period, NarrowFor(who));
  });
  const std::array<std::pair<std::string_view, int64_t>, 3> steps = {
      std::pair{"lead", funnel.entered}, std::pair{"prospect", funnel.prospects},
      std::pair{"customer", funnel.customers}};
  nlohmann::json out_steps = nlohmann::json::array();
  for (std::size_t i = 0; i < steps.size(); ++i) {
    out_steps.push_back({{"status", steps[i].first},
                         {"count", steps[i].second},
                         {"step_rate", i == 0 ? nlohmann::json(nullptr)
                                              : Rate(steps[i].second, steps[i - 1].second)},
                         {"overall_rate", Rate(steps[i].second, funnel.entered)}});
  }
  return nlohmann::json{{"from", Bound(period.from)},
                        {"to", Bound(period.to)},
                        {"steps", std::move(out_steps)},
                        {"conversion_rate", Rate(funnel.customers, funnel.entered)}};
}

core::Result<nlohmann::json> ReportService::Agents(const core::Principal& who,
                                                   const Period& period) {
  if (auto allowed = RequireStaff(who); !allowed) return allowed.error();
  const std::optional<std::string> only =
      who.is_agent() ? std::optional<std::string>(who.id) : std::nullopt;
  const auto users = database_.Read([&](db::Session& session) {
    const db::CustomPlans plans(session);
    return store_.PerUser(session, period, only, currency_);
  });
  nlohmann::json data = nlohmann::json::array();
  for (const auto& user : users) {
    const bool any = user.interactions_done > 0 || user.tickets_resolved > 0 || user.orders > 0 ||
                     user.customers_owned > 0;
    // Deactivated users appear while they still have something to show.
    if (!user.active && !any && user.user_id != who.id) continue;
    data.push_back({{"user_id", user.user_id},
                    {"name", user.name},
                    {"email", user.email},
                    {"role", user.role},
                    {"active", user.active},
                    {"interactions_done", user.interactions_done},
                    {"tickets_resolved", user.tickets_resolved},
                    {"orders", user.orders},
                    {"revenue", core::MoneyToJson(user.revenue)},
                    {"customers_owned", user.customers_owned}});
  }
  return nlohmann::json{{"from", Bound(period.from)},
                        {"to", Bound(period.to)},
                        {"currency", currency_},
                        {"data", std::move(data)}};
}

}  // namespace rapport::reports
