#pragma once

// Shared by the CRM API tests: a server with every staff role signed in.

#include <gtest/gtest.h>

#include <cctype>
#include <cstdio>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "api/harness.hpp"

namespace rapport::testing {

// Percent-encodes `text` for a query-string value.
inline std::string UrlEncode(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char buffer[4];
      std::snprintf(buffer, sizeof buffer, "%%%02X", c);
      out += buffer;
    }
  }
  return out;
}

// The `field`s of a problem document's errors.
inline std::set<std::string> ErrorFields(const HttpResponse& response) {
  std::set<std::string> fields;
  const nlohmann::json body = response.json();
  if (body.contains("errors")) {
    for (const auto& e : body["errors"]) fields.insert(e.value("field", ""));
  }
  return fields;
}

// A fresh server (rate limits off, so bursts of setup requests stay deterministic) with an
// admin, a manager and two agents, each signed in. `As(x)` makes the client act as x.
class StaffApiTest : public ApiTest {
 protected:
  static constexpr char kPassword[] = "correct horse battery";

  struct Staff {
    std::string id;
    std::string token;
  };

  ServerOptions MakeServerOptions() const override {
    ServerOptions options;
    options.env["RAPPORT_RATE_LIMIT"] = "0";
    return options;
  }

  void SetUp() override {
    ApiTest::SetUp();
    if (IsSkipped()) return;
    HttpResponse bootstrap = client().Post(
        "/api/v1/auth/bootstrap",
        {{"email", "admin@example.com"}, {"password", kPassword}, {"name", "Ada Admin"}});
    ASSERT_EQ(bootstrap.status, 201) << bootstrap;
    admin_ = Login("admin@example.com");
    As(admin_);
    manager_ = Login(CreateUser("manager@example.com", "manager"));
    agent_ = Login(CreateUser("agent@example.com", "agent"));
    other_agent_ = Login(CreateUser("other.agent@example.com", "agent"));
  }

  void As(const Staff& staff) { client().SetToken(staff.token); }

  const Staff& admin() const { return admin_; }
  const Staff& manager() const { return manager_; }
  const Staff& agent() const { return agent_; }
  const Staff& other_agent() const { return other_agent_; }

  // POST `path` with `body`, expecting 201; returns the created resource.
  nlohmann::json Created(const std::string& path, const nlohmann::json& body) {
    HttpResponse response = client().Post(path, body);
    EXPECT_EQ(response.status, 201) << body.dump() << "\n" << response;
    return response.status == 201 ? response.json() : nlohmann::json::object();
  }

  // Every item of every page of the list at `path` (which may carry a query), following
  // next_cursor; fails the test on any status but 200.
  std::vector<nlohmann::json> AllPages(const std::string& path) {
    std::vector<nlohmann::json> rows;
    const char separator = path.find('?') == std::string::npos ? '?' : '&';
    std::string cursor;
    for (int guard = 0; guard < 500; ++guard) {
      const std::string url =
          cursor.empty() ? path : path + separator + "cursor=" + UrlEncode(cursor);
      HttpResponse page = client().Get(url);
      EXPECT_EQ(page.status, 200) << url << "\n" << page;
      if (page.status != 200) break;
      const nlohmann::json body = page.json();
      for (const auto& row : body["data"]) rows.push_back(row);
      if (body["next_cursor"].is_null()) break;
      cursor = body["next_cursor"];
    }
    return rows;
  }

  // A raw request body with a content type of our choosing.
  HttpResponse Raw(const std::string& method, const std::string& path, std::string content,
                   std::string content_type = "application/json") {
    return client().Request(method, path, RequestBody{std::move(content), std::move(content_type)});
  }

 private:
  std::string CreateUser(const std::string& email, const std::string& role) {
    HttpResponse response = client().Post(
        "/api/v1/users", {{"email", email}, {"password", kPassword}, {"name", role}, {"role", role}});
    EXPECT_EQ(response.status, 201) << response;
    return email;
  }

  Staff Login(const std::string& email) {
    HttpResponse response =
        client().Post("/api/v1/auth/login", {{"email", email}, {"password", kPassword}});
    EXPECT_EQ(response.status, 200) << response;
    if (response.status != 200) return {};
    const nlohmann::json body = response.json();
    return {body["user"]["id"].get<std::string>(), body["access_token"].get<std::string>()};
  }

  Staff admin_;
  Staff manager_;
  Staff agent_;
  Staff other_agent_;
};

}  // namespace rapport::testing
