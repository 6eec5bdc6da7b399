#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "api/harness.hpp"

namespace rapport::testing {
namespace {

constexpr char kSecret[] = "cli-test-secret-0123456789abcdef0123456789";

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RAPPORT_SKIP_IF_ENGINE_UNAVAILABLE();
    url_ = FreshDatabaseUrl();
  }
  CliResult Run(std::vector<std::string> args, const std::string& input = {}) {
    args.push_back("--db");
    args.push_back(url_);
    return RunCli(args, {{"RAPPORT_JWT_SECRET", kSecret}}, input);
  }
  std::string url_;
};

TEST_F(CliTest, VersionPrintsTheVersion) {
  CliResult result = RunCli({"version"});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.stdout_text, "rapport " RAPPORT_VERSION "\n");
}

TEST_F(CliTest, MigrateIsIdempotent) {
  CliResult first = Run({"migrate"});
  ASSERT_EQ(first.exit_code, 0) << first.stderr_text;
  CliResult second = Run({"migrate"});
  ASSERT_EQ(second.exit_code, 0) << second.stderr_text;
  EXPECT_NE(second.stdout_text.find("0 migrations applied"), std::string::npos) << second.stdout_text;
}

TEST_F(CliTest, UserCreateMakesAUserWhoCanSignIn) {
  CliResult created = Run({"user", "create", "--email", "root@example.com", "--name", "Root", "--role", "admin"},
                          "a long enough password\n");
  ASSERT_EQ(created.exit_code, 0) << created.stderr_text;
  EXPECT_EQ(created.stdout_text.find("password"), std::string::npos) << created.stdout_text;
  CliResult duplicate = Run({"user", "create", "--email", "ROOT@example.com", "--name", "Again",
                             "--role", "agent", "--password", "another long password"});
  EXPECT_NE(duplicate.exit_code, 0);
  CliResult weak = Run({"user", "create", "--email", "x@example.com", "--name", "X", "--role",
                        "agent", "--password", "short"});
  EXPECT_NE(weak.exit_code, 0);
  EXPECT_NE(weak.stderr_text.find("password"), std::string::npos) << weak.stderr_text;
  CliResult bad_role = Run({"user", "create", "--email", "y@example.com", "--name", "Y", "--role",
                            "owner", "--password", "another long password"});
  EXPECT_NE(bad_role.exit_code, 0);

  Server server({.db_url = url_, .extra_args = {}, .env = {{"RAPPORT_JWT_SECRET", kSecret}}});
  Client client(server);
  HttpResponse login = client.Post("/api/v1/auth/login", {{"email", "root@example.com"}, {"password", "a long enough password"}});
  ASSERT_EQ(login.status, 200) << login;
  EXPECT_EQ(login.json()["user"]["role"], "admin");
  // With a user in place, bootstrap is closed.
  EXPECT_EQ(client.Post("/api/v1/auth/bootstrap", {{"email", "b@example.com"}, {"password", "a long enough password"}, {"name", "B"}}).status, 409);
}

TEST_F(CliTest, SeedAddsRealisticCustomers) {
  CliResult seeded = Run({"seed", "--customers", "120"});
  ASSERT_EQ(seeded.exit_code, 0) << seeded.stderr_text;
  ASSERT_EQ(Run({"user", "create", "--email", "m@example.com", "--name", "M", "--role", "manager",
                 "--password", "a long enough password"}).exit_code, 0);
  Server server({.db_url = url_, .extra_args = {}, .env = {{"RAPPORT_JWT_SECRET", kSecret}}});
  Client client(server);
  HttpResponse login = client.Post("/api/v1/auth/login", {{"email", "m@example.com"}, {"password", "a long enough password"}});
  ASSERT_EQ(login.status, 200) << login;
  client.SetToken(login.json()["access_token"]);
  HttpResponse customers = client.Get("/api/v1/customers?include_total=true&limit=5");
  ASSERT_EQ(customers.status, 200) << customers;
  const nlohmann::json body = customers.json();
  EXPECT_EQ(body["total"], 120);
  for (const auto& customer : body["data"]) {
    EXPECT_FALSE(customer["email"].get<std::string>().empty());
    EXPECT_FALSE(customer["company"].is_null());
  }
  HttpResponse companies = client.Get("/api/v1/companies?include_total=true");
  ASSERT_EQ(companies.status, 200) << companies;
  EXPECT_GE(companies.json()["total"].get<int>(), 5);
  // Buyers' totals are what their seeded orders add up to.
  HttpResponse buyers = client.Get("/api/v1/customers?limit=10&sort=-num_visits");
  ASSERT_EQ(buyers.status, 200) << buyers;
  const nlohmann::json top = buyers.json();
  ASSERT_GT(top["data"][0]["num_visits"].get<int>(), 0);
  for (const auto& customer : top["data"]) {
    const std::string id = customer["id"];
    HttpResponse response =
        client.Get("/api/v1/customers/" + id + "/orders?limit=500&include_total=true");
    ASSERT_EQ(response.status, 200) << response;
    const nlohmann::json orders = response.json();
    EXPECT_EQ(orders["total"], customer["num_visits"]) << id;
    long long cents = 0;
    for (const auto& order : orders["data"]) cents += std::llround(order["amount"].get<double>() * 100);
    EXPECT_EQ(cents, std::llround(customer["total_spend"].get<double>() * 100)) << id;
    if (!orders["data"].empty()) {
      EXPECT_EQ(orders["data"][0]["ordered_at"], customer["last_visit_at"]) << id;
    }
  }
}

TEST_F(CliTest, BadDatabaseUrlFailsClearly) {
  CliResult result = RunCli({"migrate", "--db", "mysql://nope"});
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.stderr_text.find("unsupported database URL"), std::string::npos) << result.stderr_text;
}

}  // namespace
}  // namespace rapport::testing
