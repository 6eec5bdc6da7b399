#include "reports/report_service.hpp"

#include <gtest/gtest.h>

#include <numeric>

#include "companies/company_service.hpp"
#include "core/ids.hpp"
#include "core/time.hpp"
#include "customers/customer_service.hpp"
#include "db/test_database.hpp"
#include "email/email_service.hpp"

namespace rapport::reports {
namespace {

// Reports over rows written straight into a migrated database, with the timestamps the API
// would not let a test choose (creation and resolution times).
class ReportServiceTest : public ::testing::TestWithParam<db::Engine> {
 protected:
  void SetUp() override {
    RAPPORT_SKIP_UNLESS_ENGINE(GetParam());
    database_ = db::test::OpenMigrated(GetParam());
    companies_ = std::make_unique<companies::CompanyService>(*database_);
    customers_ = std::make_unique<customers::CustomerService>(*database_, *companies_);
    auto settings = email::ParseMailSettings({}, "https://crm.test", "secret");
    ASSERT_TRUE(settings.ok());
    emails_ = std::make_unique<email::EmailService>(*database_, *customers_, *settings);
    reports_ = std::make_unique<ReportService>(*database_, *emails_, "USD");
    admin_ = User("Ada", core::Role::kAdmin);
    agent_ = User("Bea", core::Role::kAgent);
    other_ = User("Cy", core::Role::kAgent);
  }

  void Exec(db::Query query) {
    database_->Apply([&](db::Session& tx) { tx.Exec(query); });
  }

  core::Principal User(const std::string& name, core::Role role) {
    return db::test::AddUser(*database_, name, role);
  }

  // A customer created at `created_at` with its status history (`statuses`, the first being
  // the creation), owned by `owner`.
  std::string Customer(const std::string& created_at, std::vector<std::string> statuses,
                       const std::optional<std::string>& owner = std::nullopt) {
    const std::string id = core::NewId();
    Exec(std::move(db::Query("INSERT INTO customers (id, name, status, owner_id, created_at, "
                             "updated_at) VALUES (")
                       .Param(id)
                       .Sql(", 'C', ")
                       .Param(statuses.back())
                       .Sql(", ")
                       .Param(owner)
                       .Sql(", ")
                       .Param(created_at)
                       .Sql(", ")
                       .Param(created_at)
                       .Sql(")")));
    std::optional<std::string> from;
    for (const std::string& status : statuses) {
      Exec(std::move(db::Query("INSERT INTO customer_status_changes (id, customer_id, from_status, "
                               "to_status, changed_at) VALUES (")
                         .Param(core::NewId())
                         .Sql(", ")
                         .Param(id)
                         .Sql(", ")
                         .Param(from)
                         .Sql(", ")
                         .Param(status)
                         .Sql(", ")
                         .Param(created_at)
                         .Sql(")")));
      from = status;
    }
    return id;
  }

  void Interaction(const std::string& customer, const std::string& user, const std::string& type,
                   const std::string& status, const std::optional<std::string>& scheduled_at,
                   const std::optional<std::string>& completed_at) {
    Exec(std::move(db::Query("INSERT INTO interactions (id, customer_id, user_id, type, title, "
                             "status, scheduled_at, completed_at, created_at, updated_at) VALUES (")
                       .Param(core::NewId()).Sql(", ").Param(customer).Sql(", ").Param(user)
                       .Sql(", ").Param(type).Sql(", 'T', ").Param(status).Sql(", ")
                       .Param(scheduled_at).Sql(", ").Param(completed_at)
                       .Sql(", '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')")));
  }

  void Ticket(const std::string& customer, const std::string& status,
              const std::string& created_at, const std::optional<std::string>& resolved_at,
              const std::optional<std::string>& assignee = std::nullopt) {
    Exec(std::move(db::Query("INSERT INTO tickets (id, customer_id, title, status, priority, "
                             "assignee_id, created_by_kind, created_by_id, resolved_at, "
                             "created_at, updated_at) VALUES (")
                       .Param(core::NewId()).Sql(", ").Param(customer).Sql(", 'T', ")
                       .Param(status).Sql(", 'normal', ").Param(assignee)
                       .Sql(", 'user', 'x', ").Param(resolved_at).Sql(", ").Param(created_at)
                       .Sql(", ").Param(created_at).Sql(")")));
  }

  void Order(const std::string& customer, int64_t cents, const std::string& ordered_at,
             const std::string& status = "paid", const std::string& currency = "USD") {
    Exec(std::move(db::Query("INSERT INTO orders (id, customer_id, amount, currency, status, "
                             "ordered_at, created_at, updated_at) VALUES (")
                       .Param(core::NewId()).Sql(", ").Param(customer).Sql(", ").Param(cents)
                       .Sql(", ").Param(currency).Sql(", ").Param(status).Sql(", ")
                       .Param(ordered_at).Sql(", ").Param(ordered_at).Sql(", ")
                       .Param(ordered_at).Sql(")")));
  }

  void Email(const std::optional<std::string>& customer, const std::string& sender,
             const std::string& status, const std::optional<std::string>& sent_at,
             const std::string& kind = "user") {
    const std::string id = core::NewId();
    Exec(std::move(db::Query("INSERT INTO emails (id, kind, sender_id, customer_id, to_address, "
                             "subject, text_body, track_opens, track_clicks, status, message_id, "
                             "reply_tag, sent_at, created_at, updated_at) VALUES (")
                       .Param(id).Sql(", ").Param(kind).Sql(", ").Param(sender).Sql(", ")
                       .Param(customer).Sql(", 'x@example.com', 'S', 'B', 1, 1, ")
                       .Param(status).Sql(", ").Param("<" + id + "@crm.test>").Sql(", ")
                       .Param(id).Sql(", ").Param(sent_at)
                       .Sql(", '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')")));
  }

  SeriesRequest Request(Metric metric, Interval interval, std::string from, std::string to) {
    return SeriesRequest{metric, interval, std::move(from), std::move(to)};
  }

  std::vector<int64_t> Values(const core::Principal& who, const SeriesRequest& request) {
    auto series = reports_->Timeseries(who, request);
    EXPECT_TRUE(series.ok());
    std::vector<int64_t> values;
    if (series.ok()) {
      for (const Point& point : series->points) values.push_back(point.value);
    }
    return values;
  }

  std::unique_ptr<db::Database> database_;
  std::unique_ptr<companies::CompanyService> companies_;
  std::unique_ptr<customers::CustomerService> customers_;
  std::unique_ptr<email::EmailService> emails_;
  std::unique_ptr<ReportService> reports_;
  core::Principal admin_, agent_, other_;
};

TEST_P(ReportServiceTest, TimeseriesBucketsByUtcDayWeekAndMonth) {
  // Tuesday 2026-12-01 .. Monday 2026-12-14; weeks start Mondays 11-30, 12-07, 12-14.
  Customer("2026-11-30T23:59:59Z", {"lead"});
  Customer("2026-12-01T00:00:00Z", {"lead"});
  Customer("2026-12-06T23:59:59Z", {"lead"});  // Sunday: still the week of 11-30
  Customer("2026-12-07T00:00:00Z", {"lead"});
  Customer("2026-12-14T00:00:00Z", {"lead"});  // at `to`: excluded
  const auto days = Request(Metric::kNewCustomers, Interval::kDay, "2026-12-01T00:00:00Z",
                            "2026-12-14T00:00:00Z");
  const auto day_values = Values(admin_, days);
  ASSERT_EQ(day_values.size(), 13u);
  EXPECT_EQ(day_values[0], 1);
  EXPECT_EQ(day_values[5], 1);
  EXPECT_EQ(day_values[6], 1);
  EXPECT_EQ(std::accumulate(day_values.begin(), day_values.end(), int64_t{0}), 3);

  EXPECT_EQ(Values(admin_, Request(Metric::kNewCustomers, Interval::kWeek,
                                   "2026-11-30T00:00:00Z", "2026-12-15T00:00:00Z")),
            (std::vector<int64_t>{3, 1, 1}));
  EXPECT_EQ(Values(admin_, Request(Metric::kNewCustomers, Interval::kMonth,
                                   "2026-10-01T00:00:00Z", "2027-01-01T00:00:00Z")),
            (std::vector<int64_t>{0, 1, 4}));
}

TEST_P(ReportServiceTest, EachMetricCountsWhatItsDefinitionSays) {
  const std::string c = Customer("2026-11-01T00:00:00Z", {"lead"});
  // Done interactions happen at scheduled_at unless that is missing or after completed_at.
  Interaction(c, admin_.id, "call", "done", "2026-11-02T10:00:00Z", "2026-11-05T10:00:00Z");
  Interaction(c, admin_.id, "call", "done", std::nullopt, "2026-11-03T10:00:00Z");
  Interaction(c, admin_.id, "meeting", "done", "2026-11-09T10:00:00Z", "2026-11-04T10:00:00Z");
  Interaction(c, admin_.id, "meeting", "planned", "2026-11-02T10:00:00Z", std::nullopt);
  Interaction(c, admin_.id, "note", "cancelled", "2026-11-02T10:00:00Z", std::nullopt);
  Ticket(c, "open", "2026-11-02T08:00:00Z", std::nullopt);
  Ticket(c, "resolved", "2026-11-02T09:00:00Z", "2026-11-04T09:00:00Z");
  Ticket(c, "closed", "2026-10-20T09:00:00Z", "2026-11-03T09:00:00Z");
  Ticket(c, "closed", "2026-11-03T09:00:00Z", std::nullopt);  // closed unresolved
  Order(c, 1050, "2026-11-02T12:00:00Z");
  Order(c, 999, "2026-11-02T13:00:00Z");
  Order(c, 5000, "2026-11-03T12:00:00Z", "refunded");
  Order(c, 7000, "2026-11-03T12:00:00Z", "paid", "EUR");
  Order(c, 100, "2026-11-04T23:59:59Z");
  Email(c, admin_.id, "sent", "2026-11-02T12:00:00Z");
  Email(c, admin_.id, "sent", "2026-11-04T12:00:00Z");
  Email(c, admin_.id, "failed", std::nullopt);
  Email(std::nullopt, admin_.id, "sent", "2026-11-02T12:00:00Z", "system");

  auto series = [&](Metric metric) {
    return Values(admin_, Request(metric, Interval::kDay, "2026-11-02T00:00:00Z",
                                  "2026-11-05T00:00:00Z"));
  };
  EXPECT_EQ(series(Metric::kInteractions), (std::vector<int64_t>{1, 1, 1}));
  EXPECT_EQ(series(Metric::kTicketsOpened), (std::vector<int64_t>{2, 1, 0}));
  EXPECT_EQ(series(Metric::kTicketsResolved), (std::vector<int64_t>{0, 1, 1}));
  EXPECT_EQ(series(Metric::kRevenue), (std::vector<int64_t>{2049, 0, 100}));
  EXPECT_EQ(series(Metric::kEmailsSent), (std::vector<int64_t>{1, 0, 1}));
  EXPECT_EQ(series(Metric::kNewCustomers), (std::vector<int64_t>{0, 0, 0}));

  auto overview = reports_->Overview(admin_, {"2026-11-02T00:00:00Z", "2026-11-05T00:00:00Z"});
  ASSERT_TRUE(overview.ok());
  const nlohmann::json& o = *overview;
  EXPECT_EQ(o["customers"]["total"], 0);
  EXPECT_EQ(o["interactions"]["total"], 3);
  EXPECT_EQ(o["interactions"]["by_type"]["call"], 2);
  EXPECT_EQ(o["interactions"]["by_type"]["meeting"], 1);
  EXPECT_EQ(o["interactions"]["by_type"]["note"], 0);
  EXPECT_EQ(o["tickets"]["open"], 1);
  EXPECT_EQ(o["tickets"]["opened"], 3);
  EXPECT_EQ(o["tickets"]["resolved"], 2);
  // 48 h and 336 h: median 192, p90 = 48 + 0.9 * 288 = 307.2.
  EXPECT_EQ(o["tickets"]["median_hours_to_resolve"].dump(), "192");
  EXPECT_EQ(o["tickets"]["p90_hours_to_resolve"].dump(), "307.2");
  EXPECT_EQ(o["revenue"]["currency"], "USD");
  EXPECT_EQ(o["revenue"]["total"].dump(), "21.49");
  EXPECT_EQ(o["revenue"]["orders"], 3);
  EXPECT_EQ(o["revenue"]["average_order"].dump(), "7.16");  // 2149 / 3 = 716.33 cents
  EXPECT_EQ(o["emails"]["sent"], 2);
  EXPECT_EQ(o["emails"]["open_rate"], 0);
}

TEST_P(ReportServiceTest, ConversionAndFunnelFollowTheStatusHistory) {
  const std::string in = "2026-11-10T00:00:00Z";
  Customer(in, {"lead"});
  Customer(in, {"lead", "prospect"});
  Customer(in, {"lead", "prospect", "customer"});
  Customer(in, {"lead", "customer", "churned"});  // skipped prospect; churned since
  Customer(in, {"prospect", "customer"});        // not created as a lead
  Customer(in, {"churned"});
  Customer("2026-12-10T00:00:00Z", {"lead", "customer"});  // outside the period
  const Period november{"2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z"};

  auto overview = reports_->Overview(admin_, november);
  ASSERT_TRUE(overview.ok());
  EXPECT_EQ((*overview)["customers"]["total"], 6);
  EXPECT_EQ((*overview)["customers"]["by_status"]["churned"], 2);
  EXPECT_EQ((*overview)["customers"]["by_status"]["customer"], 2);
  EXPECT_EQ((*overview)["conversion"]["leads"], 4);
  EXPECT_EQ((*overview)["conversion"]["converted"], 2);
  EXPECT_EQ((*overview)["conversion_rate"].dump(), "0.5");

  auto funnel = reports_->Funnel(admin_, november);
  ASSERT_TRUE(funnel.ok());
  const nlohmann::json& steps = (*funnel)["steps"];
  ASSERT_EQ(steps.size(), 3u);
  EXPECT_EQ(steps[0]["status"], "lead");
  EXPECT_EQ(steps[0]["count"], 6);
  EXPECT_TRUE(steps[0]["step_rate"].is_null());
  EXPECT_EQ(steps[1]["count"], 4);  // prospect or beyond
  EXPECT_EQ(steps[1]["step_rate"].dump(), "0.6667");
  EXPECT_EQ(steps[2]["count"], 3);
  EXPECT_EQ(steps[2]["step_rate"].dump(), "0.75");
  EXPECT_EQ(steps[2]["overall_rate"].dump(), "0.5");
  EXPECT_EQ((*funnel)["conversion_rate"].dump(), "0.5");
}

TEST_P(ReportServiceTest, AgentsSeeTheirCustomersAndTheirOwnRow) {
  const std::string mine = Customer("2026-11-02T00:00:00Z", {"lead"}, agent_.id);
  const std::string unowned = Customer("2026-11-02T00:00:00Z", {"lead"});
  const std::string theirs = Customer("2026-11-02T00:00:00Z", {"lead"}, other_.id);
  Order(mine, 1000, "2026-11-03T00:00:00Z");
  Order(unowned, 200, "2026-11-03T00:00:00Z");
  Order(theirs, 30000, "2026-11-03T00:00:00Z");
  Interaction(theirs, agent_.id, "call", "done", std::nullopt, "2026-11-03T00:00:00Z");
  Interaction(mine, agent_.id, "call", "done", std::nullopt, "2026-11-03T00:00:00Z");
  Ticket(theirs, "resolved", "2026-11-02T00:00:00Z", "2026-11-03T00:00:00Z", agent_.id);
  Email(theirs, other_.id, "sent", "2026-11-03T00:00:00Z");
  Email(theirs, agent_.id, "sent", "2026-11-03T00:00:00Z");  // sent by the agent: visible
  Email(unowned, other_.id, "sent", "2026-11-03T00:00:00Z");
  const Period period{"2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z"};

  auto revenue = [&](const core::Principal& who) {
    return Values(who, Request(Metric::kRevenue, Interval::kMonth, *period.from, *period.to));
  };
  EXPECT_EQ(revenue(admin_), (std::vector<int64_t>{31200}));
  EXPECT_EQ(revenue(agent_), (std::vector<int64_t>{1200}));
  EXPECT_EQ(Values(agent_, Request(Metric::kEmailsSent, Interval::kMonth, *period.from,
                                   *period.to)),
            (std::vector<int64_t>{2}));
  EXPECT_EQ(Values(agent_, Request(Metric::kNewCustomers, Interval::kMonth, *period.from,
                                   *period.to)),
            (std::vector<int64_t>{2}));
  auto overview = reports_->Overview(agent_, period);
  ASSERT_TRUE(overview.ok());
  EXPECT_EQ((*overview)["customers"]["total"], 2);
  EXPECT_EQ((*overview)["interactions"]["total"], 1);
  EXPECT_EQ((*overview)["tickets"]["resolved"], 0);
  EXPECT_EQ((*overview)["emails"]["sent"], 2);

  auto all = reports_->Agents(admin_, period);
  ASSERT_TRUE(all.ok());
  const nlohmann::json& rows = (*all)["data"];
  ASSERT_EQ(rows.size(), 3u);  // by name: Ada, Bea, Cy
  EXPECT_EQ(rows[1]["user_id"], agent_.id);
  EXPECT_EQ(rows[1]["interactions_done"], 2);  // whoever the customer belongs to
  EXPECT_EQ(rows[1]["tickets_resolved"], 1);
  EXPECT_EQ(rows[1]["revenue"].dump(), "10");
  EXPECT_EQ(rows[1]["customers_owned"], 1);
  EXPECT_EQ(rows[2]["revenue"].dump(), "300");
  EXPECT_EQ(rows[0]["revenue"].dump(), "0");

  auto own = reports_->Agents(agent_, period);
  ASSERT_TRUE(own.ok());
  ASSERT_EQ((*own)["data"].size(), 1u);
  EXPECT_EQ((*own)["data"][0]["user_id"], agent_.id);
  EXPECT_EQ((*own)["data"][0]["revenue"].dump(), "10");
}

TEST_P(ReportServiceTest, OnlyStaffGetReports) {
  core::Principal portal;
  portal.kind = core::Principal::Kind::kPortal;
  portal.id = core::NewId();
  EXPECT_EQ(reports_->Overview(portal, {}).error().code, core::Code::kForbidden);
  EXPECT_EQ(reports_->Funnel(core::Principal{}, {}).error().code, core::Code::kForbidden);
  EXPECT_EQ(reports_->Agents(portal, {}).error().code, core::Code::kForbidden);
  EXPECT_EQ(reports_
                ->Timeseries(portal, Request(Metric::kRevenue, Interval::kDay,
                                             "2026-11-01T00:00:00Z", "2026-11-02T00:00:00Z"))
                .error()
                .code,
            core::Code::kForbidden);
}

INSTANTIATE_TEST_SUITE_P(Engines, ReportServiceTest, db::test::kEngines, db::test::EngineName);

}  // namespace
}  // namespace rapport::reports
