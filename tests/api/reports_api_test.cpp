// Reports over the real binary: figures built from records created through the API, with
// explicit times where the API takes them (ordered_at, scheduled_at), and the bad paths.

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>

#include "api/fixtures.hpp"

namespace rapport::testing {
namespace {

using nlohmann::json;

// "YYYY-MM-DD" of now plus `days` (UTC).
std::string DateFromNow(int days) {
  const auto day = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now()) +
                   std::chrono::days(days);
  const std::chrono::year_month_day date(day);
  char text[16];
  std::snprintf(text, sizeof text, "%04d-%02u-%02u", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
  return text;
}

// Polls `done` every 50 ms for up to 60 s; true once it holds.
bool Eventually(const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

// Runs a shell command; its exit code.
int Shell(const std::string& command) {
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

bool Have(const std::string& tool) { return Shell("command -v " + tool + " >/dev/null 2>&1") == 0; }

class ReportsApiTest : public StaffApiTest {
 protected:
  // The period around today that every record created now falls in.
  std::string Around() const {
    return "from=" + DateFromNow(-1) + "&to=" + DateFromNow(2);
  }

  json Customer(const std::string& name, const json& extra = json::object()) {
    json body = {{"name", name}};
    body.update(extra);
    return Created("/api/v1/customers", body);
  }
  json Order(const json& customer, double amount, const std::string& ordered_at) {
    return Created("/api/v1/orders",
                   {{"customer_id", customer["id"]}, {"amount", amount}, {"ordered_at", ordered_at}});
  }
  json DoneCall(const json& customer, const std::string& scheduled_at,
                const std::string& type = "call") {
    return Created("/api/v1/interactions", {{"customer_id", customer["id"]},
                                            {"type", type},
                                            {"title", "Call"},
                                            {"status", "done"},
                                            {"scheduled_at", scheduled_at}});
  }
  json Get(const std::string& path) {
    HttpResponse response = client().Get(path);
    EXPECT_EQ(response.status, 200) << path << "\n" << response;
    return response.status == 200 ? response.json() : json::object();
  }
  std::vector<json> Values(const json& series) {
    std::vector<json> values;
    for (const json& point : series["points"]) values.push_back(point["value"]);
    return values;
  }
  // Expects a 400 problem naming `field`.
  void ExpectBadParameter(const std::string& path, const std::string& field) {
    HttpResponse response = client().Get(path);
    EXPECT_EQ(response.status, 400) << path << "\n" << response;
    EXPECT_EQ(response.headers["Content-Type"].rfind("application/problem+json", 0), 0u) << path;
    if (response.status == 400) {
      EXPECT_EQ(ErrorFields(response), std::set<std::string>{field}) << path << "\n" << response;
    }
  }
};

TEST_F(ReportsApiTest, RevenueSeriesBucketsExplicitOrderTimesInUtc) {
  const json ada = Customer("Ada");
  Order(ada, 10.5, "2025-03-03T00:00:00Z");   // Monday
  Order(ada, 20, "2025-03-09T23:59:59Z");     // Sunday: the same ISO week
  Order(ada, 4.25, "2025-03-09T23:30:00-02:00");  // = Monday 10th 01:30 UTC
  Order(ada, 100, "2025-04-30T12:00:00Z");
  const json refunded = Order(ada, 999, "2025-03-04T00:00:00Z");
  ASSERT_EQ(client().Patch("/api/v1/orders/" + refunded["id"].get<std::string>(),
                           {{"status", "refunded"}}).status, 200);

  json weeks = Get("/api/v1/reports/timeseries?metric=revenue&interval=week&from=2025-03-03&to=2025-03-17");
  EXPECT_EQ(weeks["metric"], "revenue");
  EXPECT_EQ(weeks["interval"], "week");
  EXPECT_EQ(weeks["unit"], "USD");
  EXPECT_EQ(weeks["from"], "2025-03-03T00:00:00Z");
  EXPECT_EQ(weeks["to"], "2025-03-17T00:00:00Z");
  ASSERT_EQ(weeks["points"].size(), 2u);
  EXPECT_EQ(weeks["points"][0]["start"], "2025-03-03T00:00:00Z");
  EXPECT_EQ(weeks["points"][0]["end"], "2025-03-10T00:00:00Z");
  EXPECT_EQ(weeks["points"][0]["value"].dump(), "30.5");
  EXPECT_EQ(weeks["points"][1]["value"].dump(), "4.25");
  EXPECT_EQ(weeks["total"].dump(), "34.75");

  json months = Get("/api/v1/reports/timeseries?metric=revenue&interval=month&from=2025-02-01&to=2025-06-01");
  EXPECT_EQ(Values(months), (std::vector<json>{0, 34.75, 100, 0}));

  json days = Get("/api/v1/reports/timeseries?metric=revenue&interval=day&from=2025-03-08&to=2025-03-11");
  EXPECT_EQ(Values(days), (std::vector<json>{0, 20, 4.25}));
  // A period that starts mid-day counts only what falls inside it.
  json partial = Get("/api/v1/reports/timeseries?metric=revenue&from=2025-03-09T23:59:59Z&to=2025-03-10T01:30:00Z");
  EXPECT_EQ(Values(partial), (std::vector<json>{20, 0}));
}

TEST_F(ReportsApiTest, InteractionsCountWhenTheyHappened) {
  const json ada = Customer("Ada");
  DoneCall(ada, "2025-06-02T09:00:00Z");
  DoneCall(ada, "2025-06-02T15:00:00Z", "meeting");
  DoneCall(ada, "2025-06-20T09:00:00Z");
  Created("/api/v1/interactions", {{"customer_id", ada["id"]},
                                   {"type", "call"},
                                   {"title", "Planned"},
                                   {"scheduled_at", "2025-06-03T09:00:00Z"}});
  json series = Get("/api/v1/reports/timeseries?metric=interactions&interval=week&from=2025-06-02&to=2025-06-23");
  EXPECT_EQ(Values(series), (std::vector<json>{2, 0, 1}));
  json overview = Get("/api/v1/reports/overview?from=2025-06-01&to=2025-07-01");
  EXPECT_EQ(overview["interactions"]["total"], 3);
  EXPECT_EQ(overview["interactions"]["by_type"]["call"], 2);
  EXPECT_EQ(overview["interactions"]["by_type"]["meeting"], 1);
  EXPECT_EQ(overview["interactions"]["by_type"]["task"], 0);
  EXPECT_EQ(overview["customers"]["total"], 0);  // Ada was created today
}

TEST_F(ReportsApiTest, OverviewOfTodaysWork) {
  const json lead = Customer("Lead", {{"email", "lead@example.org"}});
  const json won = Customer("Won");
  Customer("Prospect", {{"status", "prospect"}});
  ASSERT_EQ(client().Patch("/api/v1/customers/" + won["id"].get<std::string>(),
                           {{"status", "customer"}}).status, 200);
  Order(won, 100, DateFromNow(0) + "T00:00:00Z");
  Order(won, 50.5, DateFromNow(0) + "T00:00:01Z");
  const json open = Created("/api/v1/tickets", {{"customer_id", lead["id"]}, {"title", "Help"}});
  const json fixed = Created("/api/v1/tickets", {{"customer_id", won["id"]}, {"title", "Fixed"}});
  ASSERT_EQ(client().Post("/api/v1/tickets/" + fixed["id"].get<std::string>() + "/resolve").status, 200);
  const json email = client().Post("/api/v1/emails", {{"customer_id", lead["id"]},
                                                      {"subject", "Hi"},
                                                      {"text", "Hello"}}).json();
  ASSERT_TRUE(Eventually([&] {
    return Get("/api/v1/emails/" + email["id"].get<std::string>())["status"] == "sent";
  }));

  json overview = Get("/api/v1/reports/overview?" + Around());
  EXPECT_EQ(overview["from"], DateFromNow(-1) + "T00:00:00Z");
  EXPECT_EQ(overview["customers"]["total"], 3);
  EXPECT_EQ(overview["customers"]["by_status"],
            (json{{"lead", 1}, {"prospect", 1}, {"customer", 1}, {"churned", 0}}));
  EXPECT_EQ(overview["conversion"], (json{{"leads", 2}, {"converted", 1}, {"rate", 0.5}}));
  EXPECT_EQ(overview["conversion_rate"].dump(), "0.5");
  EXPECT_EQ(overview["tickets"]["open"], 1);
  EXPECT_EQ(overview["tickets"]["opened"], 2);
  EXPECT_EQ(overview["tickets"]["resolved"], 1);
  EXPECT_TRUE(overview["tickets"]["median_hours_to_resolve"].is_number());
  EXPECT_LT(overview["tickets"]["median_hours_to_resolve"].get<double>(), 1.0);
  EXPECT_EQ(overview["emails"]["sent"], 1);
  EXPECT_EQ(overview["emails"]["open_rate"], 0);
  EXPECT_EQ(overview["revenue"],
            (json{{"currency", "USD"}, {"total", 150.5}, {"orders", 2}, {"average_order", 75.25}}));

  // Without a period: everything so far.
  json all = Get("/api/v1/reports/overview");
  EXPECT_TRUE(all["from"].is_null());
  EXPECT_EQ(all["customers"]["total"], 3);
  // A period in the past holds none of it, except tickets open now.
  json past = Get("/api/v1/reports/overview?from=2020-01-01&to=2020-02-01");
  EXPECT_EQ(past["customers"]["total"], 0);
  EXPECT_EQ(past["tickets"]["open"], 1);
  EXPECT_TRUE(past["tickets"]["median_hours_to_resolve"].is_null());
  EXPECT_EQ(past["revenue"]["average_order"], 0);

  for (const std::string metric : {"new_customers", "tickets_opened", "tickets_resolved",
                                   "emails_sent"}) {
    json series = Get("/api/v1/reports/timeseries?metric=" + metric + "&" + Around());
    ASSERT_EQ(series["points"].size(), 3u) << metric;
    EXPECT_EQ(series["points"][0]["start"], DateFromNow(-1) + "T00:00:00Z");
    EXPECT_EQ(series["points"][0]["value"], 0) << metric;  // yesterday
    const json expected = metric == "new_customers" ? 3 : metric == "tickets_opened" ? 2 : 1;
    EXPECT_EQ(series["total"], expected) << metric;
    // Today's bucket (or tomorrow's too, should midnight pass while the test runs).
    EXPECT_EQ(series["points"][1]["value"].get<int>() + series["points"][2]["value"].get<int>(),
              expected) << metric;
  }
}

TEST_F(ReportsApiTest, FunnelFollowsStatusChanges) {
  auto move = [&](const json& c, const std::string& status) {
    ASSERT_EQ(client().Patch("/api/v1/customers/" + c["id"].get<std::string>(),
                             {{"status", status}}).status, 200);
  };
  Customer("Stays a lead");
  const json a = Customer("A");
  move(a, "prospect");
  const json b = Customer("B");
  move(b, "prospect");
  move(b, "customer");
  const json c = Customer("C");
  move(c, "customer");
  move(c, "churned");
  json funnel = Get("/api/v1/reports/funnel?" + Around());
  ASSERT_EQ(funnel["steps"].size(), 3u);
  EXPECT_EQ(funnel["steps"][0], (json{{"status", "lead"}, {"count", 4}, {"step_rate", nullptr},
                                      {"overall_rate", 1}}));
  EXPECT_EQ(funnel["steps"][1], (json{{"status", "prospect"}, {"count", 3}, {"step_rate", 0.75},
                                      {"overall_rate", 0.75}}));
  EXPECT_EQ(funnel["steps"][2], (json{{"status", "customer"}, {"count", 2},
                                      {"step_rate", 0.6667}, {"overall_rate", 0.5}}));
  EXPECT_EQ(funnel["conversion_rate"].dump(), "0.5");
  json empty = Get("/api/v1/reports/funnel?from=2020-01-01&to=2020-01-02");
  EXPECT_EQ(empty["steps"][0]["count"], 0);
  EXPECT_EQ(empty["steps"][1]["step_rate"], 0);
}

TEST_F(ReportsApiTest, AgentsReportPerUserAndAgentsSeeTheirOwn) {
  As(agent());
  const json mine = Customer("Mine");
  Order(mine, 40, "2025-05-05T10:00:00Z");
  DoneCall(mine, "2025-05-06T10:00:00Z");
  As(other_agent());
  const json theirs = Customer("Theirs");
  Order(theirs, 7, "2025-05-05T10:00:00Z");
  As(manager());
  const json unowned = Customer("Unowned");
  Order(unowned, 1000, "2025-05-05T10:00:00Z");
  const json ticket = Created("/api/v1/tickets", {{"customer_id", mine["id"]},
                                                  {"title", "Help"},
                                                  {"assignee_id", agent().id}});
  ASSERT_EQ(client().Post("/api/v1/tickets/" + ticket["id"].get<std::string>() + "/resolve").status, 200);

  const std::string period = "from=2025-05-01&to=" + DateFromNow(2);
  json all = Get("/api/v1/reports/agents?" + period);
  EXPECT_EQ(all["currency"], "USD");
  ASSERT_EQ(all["data"].size(), 4u);
  json agent_row, other_row;
  for (const json& row : all["data"]) {
    if (row["user_id"] == agent().id) agent_row = row;
    if (row["user_id"] == other_agent().id) other_row = row;
  }
  EXPECT_EQ(agent_row["interactions_done"], 1);
  EXPECT_EQ(agent_row["tickets_resolved"], 1);
  EXPECT_EQ(agent_row["orders"], 1);
  EXPECT_EQ(agent_row["revenue"], 40);
  EXPECT_EQ(agent_row["customers_owned"], 1);
  EXPECT_EQ(agent_row["role"], "agent");
  EXPECT_EQ(other_row["revenue"], 7);
  EXPECT_EQ(other_row["tickets_resolved"], 0);

  As(agent());
  json own = Get("/api/v1/reports/agents?" + period);
  ASSERT_EQ(own["data"].size(), 1u);
  EXPECT_EQ(own["data"][0], agent_row);
  // The agent's revenue covers their own and unowned customers, not the other agent's.
  json revenue = Get("/api/v1/reports/timeseries?metric=revenue&interval=month&from=2025-05-01&to=2025-06-01");
  EXPECT_EQ(Values(revenue), (std::vector<json>{1040}));
  json overview = Get("/api/v1/reports/overview?" + Around());
  EXPECT_EQ(overview["customers"]["total"], 2);
  As(admin());
  revenue = Get("/api/v1/reports/timeseries?metric=revenue&interval=month&from=2025-05-01&to=2025-06-01");
  EXPECT_EQ(Values(revenue), (std::vector<json>{1047}));
}

TEST_F(ReportsApiTest, EmptyBucketsAreZeroAndDefaultsCoverWholeBuckets) {
  json series = Get("/api/v1/reports/timeseries?metric=tickets_opened&interval=month");
  ASSERT_EQ(series["points"].size(), 12u);
  for (const json& point : series["points"]) {
    EXPECT_EQ(point["value"], 0);
    EXPECT_EQ(point["start"].get<std::string>().substr(8), "01T00:00:00Z");
  }
  EXPECT_EQ(series["points"][11]["start"].get<std::string>().substr(0, 7), DateFromNow(0).substr(0, 7));
  EXPECT_EQ(Get("/api/v1/reports/timeseries?metric=emails_sent")["points"].size(), 30u);
  EXPECT_EQ(Get("/api/v1/reports/timeseries?metric=emails_sent&interval=week")["points"].size(), 12u);
}

TEST_F(ReportsApiTest, BadParametersAreNamed) {
  const std::string series = "/api/v1/reports/timeseries?metric=revenue";
  ExpectBadParameter("/api/v1/reports/timeseries", "metric");
  ExpectBadParameter("/api/v1/reports/timeseries?metric=profit", "metric");
  ExpectBadParameter(series + "&interval=hour", "interval");
  ExpectBadParameter(series + "&from=2026-02-30", "from");
  ExpectBadParameter(series + "&to=soon", "to");
  ExpectBadParameter(series + "&from=2026-02-01&to=2026-01-01", "to");
  ExpectBadParameter(series + "&from=2026-01-01&to=2026-01-01", "to");
  ExpectBadParameter(series + "&from=2000-01-01&to=2026-01-01", "interval");  // 9497 days
  ExpectBadParameter(series + "&interval=month&from=0001-01-01&to=9999-12-31", "interval");
  ExpectBadParameter(series + "&from=" + DateFromNow(5), "from");  // after now, the default `to`
  ExpectBadParameter(series + "&intervall=week", "intervall");
  for (const std::string report : {"overview", "funnel", "agents"}) {
    const std::string path = "/api/v1/reports/" + report;
    ExpectBadParameter(path + "?from=yesterday", "from");
    ExpectBadParameter(path + "?to=2026-13-01", "to");
    ExpectBadParameter(path + "?from=2026-02-01&to=2026-01-01", "to");
    ExpectBadParameter(path + "?metric=revenue", "metric");
  }
  ExpectBadParameter("/api/v1/reports/charts/revenue.svg?interval=year", "interval");
  ExpectBadParameter("/api/v1/reports/charts/revenue.svg?from=2000-01-01&to=2026-01-01", "interval");
  ExpectBadParameter("/api/v1/reports/charts/revenue.svg?metric=revenue", "metric");

  HttpResponse unknown = client().Get("/api/v1/reports/charts/profit.svg");
  EXPECT_EQ(unknown.status, 404) << unknown;
  EXPECT_EQ(client().Get("/api/v1/reports/charts/revenue.png").status, 404);
  EXPECT_EQ(client().Post("/api/v1/reports/overview").status, 405);

  client().SetToken("");
  for (const std::string path : {"/api/v1/reports/overview", "/api/v1/reports/funnel",
                                 "/api/v1/reports/agents",
                                 "/api/v1/reports/timeseries?metric=revenue",
                                 "/api/v1/reports/charts/revenue.svg"}) {
    EXPECT_EQ(client().Get(path).status, 401) << path;
  }
}

TEST_F(ReportsApiTest, ChartsAreWellFormedSvg) {
  const json ada = Customer("Ada & <Co>");
  Order(ada, 1234.5, "2025-03-10T10:00:00Z");
  Order(ada, 99.99, "2025-07-01T10:00:00Z");
  HttpResponse chart =
      client().Get("/api/v1/reports/charts/revenue.svg?interval=month&from=2025-01-01&to=2026-01-01");
  ASSERT_EQ(chart.status, 200) << chart;
  EXPECT_EQ(chart.headers["Content-Type"], "image/svg+xml; charset=utf-8");
  EXPECT_NE(chart.body.find("Revenue by month"), std::string::npos);
  EXPECT_NE(chart.body.find("Mar 2025: 1,234.5 USD"), std::string::npos);
  HttpResponse empty = client().Get("/api/v1/reports/charts/tickets_opened.svg?interval=week");
  ASSERT_EQ(empty.status, 200) << empty;
  EXPECT_NE(empty.body.find("No data in this period"), std::string::npos);
  HttpResponse days = client().Get("/api/v1/reports/charts/new_customers.svg?from=" +
                                   DateFromNow(-364) + "&to=" + DateFromNow(1));
  ASSERT_EQ(days.status, 200) << days;

  if (!Have("python3")) GTEST_SKIP() << "python3 is not installed: XML structure not checked";
  const auto dir = std::filesystem::temp_directory_path() /
                   ("rapport_charts_" + std::to_string(getpid()) + "_" +
                    std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
  std::filesystem::create_directories(dir);
  const std::string checker = (dir / "check.py").string();
  std::ofstream(checker) << R"PY(
import sys, xml.etree.ElementTree as ET
ns = {"s": "http://www.w3.org/2000/svg"}
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == "{http://www.w3.org/2000/svg}svg", root.tag
assert root.get("viewBox") == "0 0 800 400", root.get("viewBox")
assert root.find("s:title", ns).text, "no title"
texts = [t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text")]
assert any(t.endswith(" by " + sys.argv[2]) for t in texts), texts
assert root.find(".//s:g[@class='y-axis']", ns) is not None
xaxis = root.find(".//s:g[@class='x-axis']", ns)
assert xaxis is not None and len(xaxis.findall("s:text", ns)) >= int(sys.argv[3]), "x labels"
data = root.find(".//s:g[@class='data']", ns)
marks = len(data.findall("s:rect", ns)) + len(data.findall("s:circle", ns))
assert marks == int(sys.argv[4]), marks
)PY";
  auto check = [&](const HttpResponse& svg, const std::string& name, const std::string& interval,
                   int min_labels, int marks) {
    const std::string file = (dir / (name + ".svg")).string();
    std::ofstream(file) << svg.body;
    EXPECT_EQ(Shell("python3 " + checker + " " + file + " " + interval + " " +
                    std::to_string(min_labels) + " " + std::to_string(marks)),
              0)
        << name << "\n" << svg.body.substr(0, 2000);
    if (Have("rsvg-convert")) {
      EXPECT_EQ(Shell("rsvg-convert -o " + (dir / (name + ".png")).string() + " " + file), 0)
          << name;
      EXPECT_GT(std::filesystem::file_size(dir / (name + ".png")), 1000u) << name;
    }
  };
  check(chart, "revenue", "month", 12, 12);
  check(empty, "empty", "week", 12, 0);
  check(days, "days", "day", 10, 365);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace rapport::testing
