#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "db/database.hpp"
#include "reports/report.hpp"

namespace rapport::reports {

// A condition appended to a query to keep only what the caller may see: called with the
// query and the column holding the customer id (`c.id`, `o.customer_id`, ...). The service
// decides what it appends; for admins and managers, nothing.
using Narrow = std::function<void(db::Query&, std::string_view customer_id_column)>;

// The SQL of reports: aggregates over customers, their status history, interactions,
// tickets, orders and emails, read-only. One SQL text for both engines; timestamps are
// compared as fixed-width text and bucketed by their first ten characters (the UTC day).
class ReportStore {
 public:
  // Per UTC day ("YYYY-MM-DD") of `period`, the metric's value: a count, or for revenue the
  // sum of paid orders in `currency` (minor units). Days without any are left out.
  std::vector<DayValue> Daily(db::Session& session, Metric metric, const Period& period,
                              const Narrow& narrow, const std::optional<std::string>& agent_id,
                              std::string_view currency) const;

  // Customers created in the period by their current status.
  std::map<std::string, int64_t> CustomersByStatus(db::Session& session, const Period& period,
                                                   const Narrow& narrow) const;
  // Done interactions that happened in the period (see InteractionTime), by type.
  std::map<std::string, int64_t> InteractionsByType(db::Session& session, const Period& period,
                                                    const Narrow& narrow) const;

  struct Conversion {
    int64_t leads = 0;      // created in the period with the status lead
    int64_t converted = 0;  // ... that have been a customer since
  };
  Conversion LeadConversion(db::Session& session, const Period& period,
                            const Narrow& narrow) const;

  struct Funnel {
    int64_t entered = 0;    // customers created in the period
    int64_t prospects = 0;  // ... that have been a prospect or a customer
    int64_t customers = 0;  // ... that have been a customer
  };
  Funnel StatusFunnel(db::Session& session, const Period& period, const Narrow& narrow) const;

  struct Tickets {
    int64_t open = 0;    // open or in_progress now (whatever the period)
    int64_t opened = 0;  // created in the period
    std::vector<double> hours_to_resolve;  // one per ticket resolved in the period
  };
  Tickets TicketFigures(db::Session& session, const Period& period, const Narrow& narrow) const;

  struct Revenue {
    int64_t total = 0;  // minor units
    int64_t orders = 0;
  };
  // Paid orders in `currency` ordered in the period.
  Revenue PaidOrders(db::Session& session, const Period& period, const Narrow& narrow,
                     std::string_view currency) const;

  // Per staff user: the figures of the agents report.
  struct UserFigures {
    std::string user_id;
    std::string name;
    std::string email;
    std::string role;
    bool active = true;
    int64_t interactions_done = 0;
    int64_t tickets_resolved = 0;
    int64_t revenue = 0;  // minor units
    int64_t orders = 0;
    int64_t customers_owned = 0;  // now
  };
  // Every user (only `only_user` when set), by name then id.
  std::vector<UserFigures> PerUser(db::Session& session, const Period& period,
                                   const std::optional<std::string>& only_user,
                                   std::string_view currency) const;

  // When a done interaction happened: its scheduled_at unless it has none or that is later
  // than its completed_at, else its completed_at (the rule of last_interaction_at).
  static constexpr std::string_view kInteractionTime =
      "(CASE WHEN i.scheduled_at IS NOT NULL AND i.scheduled_at < i.completed_at "
      "THEN i.scheduled_at ELSE i.completed_at END)";
};

}  // namespace rapport::reports
