#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "core/principal.hpp"
#include "core/result.hpp"
#include "db/database.hpp"
#include "email/email_service.hpp"
#include "reports/report.hpp"
#include "reports/report_store.hpp"

namespace rapport::reports {

// Reports over customers, interactions, tickets, orders and email (the metric definitions
// are in docs/api/reports.md).
//
// Who sees what: staff only (Forbidden otherwise). Admins and managers see everything. An
// agent's reports cover only what the agent can see elsewhere: the customers they own or
// that have no owner and what hangs off those customers (CustomerService's rule), emails as
// GET /emails/stats counts them for the agent, and in the agents report only their own row.
// Read-only; thread-safe.
class ReportService {
 public:
  // `emails` must outlive this service. `currency` is the server's (RAPPORT_CURRENCY):
  // revenue adds up paid orders in it.
  ReportService(db::Database& database, email::EmailService& emails, std::string currency);

  // GET /reports/overview.
  core::Result<nlohmann::json> Overview(const core::Principal& who, const Period& period);
  // GET /reports/timeseries and the charts: every bucket of the request, zero-filled.
  core::Result<Series> Timeseries(const core::Principal& who, const SeriesRequest& request);
  // GET /reports/funnel.
  core::Result<nlohmann::json> Funnel(const core::Principal& who, const Period& period);
  // GET /reports/agents.
  core::Result<nlohmann::json> Agents(const core::Principal& who, const Period& period);

  const std::string& currency() const { return currency_; }

 private:
  db::Database& database_;
  email::EmailService& emails_;
  std::string currency_;
  ReportStore store_;
};

}  // namespace rapport::reports
