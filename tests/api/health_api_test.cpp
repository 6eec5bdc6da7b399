#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <string>

#include "api/harness.hpp"

namespace rapport::testing {
namespace {

using HealthApiTest = ApiTest;

TEST_F(HealthApiTest, HealthzAnswersOk) {
  HttpResponse response = client().Get("/healthz");
  EXPECT_EQ(response.status, 200) << response;
}

TEST_F(HealthApiTest, EveryResponseCarriesARequestId) {
  // A success, an unknown route and an unauthenticated request.
  for (const std::string path : {"/healthz", "/no-such-route", "/api/v1/customers"}) {
    HttpResponse response = client().Get(path);
    auto request_id = response.headers.find("X-Request-Id");
    ASSERT_NE(request_id, response.headers.end()) << path << "\n" << response;
    EXPECT_FALSE(request_id->second.empty()) << path;
  }
}

TEST_F(HealthApiTest, EchoesTheClientsRequestId) {
  const std::string request_id = "health-test-7f3a9c";
  HttpResponse response = client().Get("/healthz", {{"X-Request-Id", request_id}});
  EXPECT_EQ(response.headers["x-request-id"], request_id) << response;
}

TEST_F(HealthApiTest, LogsTheRequestWithItsId) {
  const std::string request_id = "health-test-log-51d2e0";
  client().Get("/healthz", {{"X-Request-Id", request_id}});
  EXPECT_TRUE(server().WaitForLog([&request_id](const nlohmann::json& entry) {
    return entry.dump().find(request_id) != std::string::npos;
  })) << server().Logs();
}

// The harness itself: a server that dies during a test (here killed from outside, as a crash
// would end it) fails that test, with the server's error output, instead of only the client's
// connection errors showing.
TEST(HarnessTest, AServerThatExitsDuringATestFailsIt) {
  RAPPORT_SKIP_IF_ENGINE_UNAVAILABLE();
  EXPECT_NONFATAL_FAILURE(
      {
        Server server;
        ::kill(server.pid(), SIGKILL);
        // Returns false once the process has closed its output, i.e. it is gone.
        EXPECT_FALSE(server.WaitForLog([](const nlohmann::json&) { return false; },
                                       std::chrono::seconds(30)));
      },
      "rapport serve exited during the test with code 137");
}

}  // namespace
}  // namespace rapport::testing
