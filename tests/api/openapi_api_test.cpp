// The OpenAPI document against the routes the binary really serves, and the operations
// endpoints (/docs, /metrics, /readyz).
#include <gtest/gtest.h>

#include <cctype>
#include <functional>
#include <set>
#include <sstream>
#include <string>

#include "api/harness.hpp"

namespace rapport::testing {
namespace {

// A route as "METHOD /path/{param}" (upper-case method, OpenAPI path syntax).
using RouteKey = std::string;

const std::set<std::string> kHttpMethods = {"get",     "put",  "post",  "delete",
                                            "options", "head", "patch", "trace"};

std::string Upper(std::string text) {
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

// `/api/v1/customers/:id` → `/api/v1/customers/{id}`; `:token.gif` → `{token}.gif`.
std::string ToOpenApiPath(const std::string& pattern) {
  std::string out;
  std::istringstream segments(pattern);
  std::string segment;
  bool first = true;
  while (std::getline(segments, segment, '/')) {
    if (!first) out += '/';
    first = false;
    if (!segment.empty() && segment.front() == ':') {
      // `:token.gif` → `{token}.gif`
      const auto dot = segment.find('.');
      out += "{" + segment.substr(1, dot == std::string::npos ? std::string::npos : dot - 1) + "}";
      if (dot != std::string::npos) out += segment.substr(dot);
    } else {
      out += segment;
    }
  }
  return out;
}

std::string Join(const std::set<RouteKey>& keys) {
  std::string out;
  for (const RouteKey& key : keys) out += "\n  " + key;
  return out;
}

class OpenApiTest : public ApiTest {
 protected:
  // Every route of `rapport routes`.
  std::set<RouteKey> ServedRoutes() {
    CliResult result = RunCli({"routes"});
    EXPECT_EQ(result.exit_code, 0) << result.stderr_text;
    std::set<RouteKey> routes;
    std::istringstream lines(result.stdout_text);
    std::string line;
    while (std::getline(lines, line)) {
      if (line.empty()) continue;
      const auto space = line.find(' ');
      EXPECT_NE(space, std::string::npos) << "not METHOD PATH: " << line;
      if (space == std::string::npos) continue;
      routes.insert(Upper(line.substr(0, space)) + " " + ToOpenApiPath(line.substr(space + 1)));
    }
    EXPECT_FALSE(routes.empty()) << "rapport routes printed nothing";
    return routes;
  }

  nlohmann::json Document() {
    HttpResponse response = client().Get("/openapi.json");
    EXPECT_EQ(response.status, 200) << response;
    return nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  }

  // Every operation of the document.
  static std::set<RouteKey> DocumentedRoutes(const nlohmann::json& document) {
    std::set<RouteKey> routes;
    if (!document.contains("paths") || !document["paths"].is_object()) return routes;
    for (const auto& [path, item] : document["paths"].items()) {
      for (const auto& [method, operation] : item.items()) {
        if (kHttpMethods.contains(method)) routes.insert(Upper(method) + " " + path);
      }
    }
    return routes;
  }

  // Calls `visit(method, path, operation)` for every operation of the document.
  static void ForEachOperation(const nlohmann::json& document,
                               const std::function<void(const std::string&, const std::string&,
                                                        const nlohmann::json&)>& visit) {
    for (const auto& [path, item] : document.at("paths").items()) {
      for (const auto& [method, operation] : item.items()) {
        if (kHttpMethods.contains(method)) visit(method, path, operation);
      }
    }
  }
};

TEST_F(OpenApiTest, DocumentIsOpenApi31Json) {
  HttpResponse response = client().Get("/openapi.json");
  ASSERT_EQ(response.status, 200) << response;
  EXPECT_EQ(response.headers["Content-Type"].rfind("application/json", 0), 0u) << response;
  const nlohmann::json document =
      nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(document.is_discarded()) << "/openapi.json is not valid JSON";
  ASSERT_TRUE(document.is_object());
  ASSERT_TRUE(document.contains("openapi") && document["openapi"].is_string());
  EXPECT_EQ(document["openapi"].get<std::string>().rfind("3.1.", 0), 0u) << document["openapi"];
  EXPECT_TRUE(document.contains("info") && document["info"].contains("title") &&
              document["info"].contains("version"));
  EXPECT_TRUE(document.contains("paths") && document["paths"].is_object());
}

TEST_F(OpenApiTest, EveryServedRouteIsDocumented) {
  const std::set<RouteKey> documented = DocumentedRoutes(Document());
  std::set<RouteKey> missing;
  for (const RouteKey& route : ServedRoutes()) {
    if (!documented.contains(route)) missing.insert(route);
  }
  EXPECT_TRUE(missing.empty()) << "routes missing from docs/openapi/:" << Join(missing);
}

TEST_F(OpenApiTest, EveryDocumentedOperationIsServed) {
  const std::set<RouteKey> served = ServedRoutes();
  std::set<RouteKey> stale;
  for (const RouteKey& route : DocumentedRoutes(Document())) {
    if (!served.contains(route)) stale.insert(route);
  }
  EXPECT_TRUE(stale.empty()) << "operations in docs/openapi/ that no route serves:"
                             << Join(stale);
}

TEST_F(OpenApiTest, EveryOperationIsDescribed) {
  const nlohmann::json document = Document();
  ASSERT_TRUE(document.is_object());
  std::set<std::string> operation_ids;
  std::set<RouteKey> incomplete;
  ForEachOperation(document, [&](const std::string& method, const std::string& path,
                                 const nlohmann::json& operation) {
    const RouteKey key = Upper(method) + " " + path;
    const std::string id = operation.value("operationId", "");
    if (id.empty() || !operation_ids.insert(id).second) incomplete.insert(key + " (operationId)");
    if (!operation.contains("tags") || operation["tags"].empty())
      incomplete.insert(key + " (tags)");
    if (operation.value("summary", "").empty()) incomplete.insert(key + " (summary)");
    if (!operation.contains("responses") || operation["responses"].empty()) {
      incomplete.insert(key + " (responses)");
    }
    // Every {param} of the path is declared.
    std::string::size_type open = 0;
    while ((open = path.find('{', open)) != std::string::npos) {
      const auto close = path.find('}', open);
      const std::string name = path.substr(open + 1, close - open - 1);
      open = close;
      bool declared = false;
      for (const auto& parameter : operation.value("parameters", nlohmann::json::array())) {
        if (parameter.contains("$ref")) {
          const std::string ref = parameter["$ref"];
          declared = declared || ref == "#/components/parameters/" + name;
        } else {
          declared = declared ||
                     (parameter.value("in", "") == "path" && parameter.value("name", "") == name);
        }
      }
      if (!declared) incomplete.insert(key + " (path parameter " + name + ")");
    }
  });
  EXPECT_TRUE(incomplete.empty()) << "operations lacking parts:" << Join(incomplete);
}

TEST_F(OpenApiTest, EveryReferenceResolves) {
  const nlohmann::json document = Document();
  ASSERT_TRUE(document.is_object());
  std::set<std::string> broken;
  std::function<void(const nlohmann::json&)> walk = [&](const nlohmann::json& node) {
    if (node.is_object()) {
      if (auto ref = node.find("$ref"); ref != node.end() && ref->is_string()) {
        const std::string target = ref->get<std::string>();
        bool found = target.rfind("#/", 0) == 0;
        if (found) {
          try {
            found = !document.at(nlohmann::json::json_pointer(target.substr(1))).is_null();
          } catch (const std::exception&) {
            found = false;
          }
        }
        if (!found) broken.insert(target);
      }
      for (const auto& [key, value] : node.items()) walk(value);
    } else if (node.is_array()) {
      for (const auto& value : node) walk(value);
    }
  };
  walk(document);
  EXPECT_TRUE(broken.empty()) << "unresolved $ref:" << Join(broken);
}

// The documented security matches the server: a protected list answers 401 without a token,
// a public route does not.
TEST_F(OpenApiTest, DocumentedSecurityMatchesTheServer) {
  const nlohmann::json document = Document();
  ASSERT_TRUE(document.is_object());
  const nlohmann::json global = document.value("security", nlohmann::json::array());
  std::set<RouteKey> wrong;
  ForEachOperation(document, [&](const std::string& method, const std::string& path,
                                 const nlohmann::json& operation) {
    if (method != "get" || path.find('{') != std::string::npos) return;
    const nlohmann::json security = operation.value("security", global);
    bool needs_token = !security.empty();
    for (const auto& requirement : security) needs_token = needs_token && !requirement.empty();
    HttpResponse response = client().Get(path);
    if (needs_token != (response.status == 401)) {
      wrong.insert("GET " + path + " answered " + std::to_string(response.status) +
                   " without a token but is documented as " +
                   (needs_token ? "protected" : "public"));
    }
  });
  EXPECT_TRUE(wrong.empty()) << Join(wrong);
}

TEST_F(OpenApiTest, DocsPageRendersTheDocument) {
  HttpResponse response = client().Get("/docs");
  ASSERT_EQ(response.status, 200) << response;
  EXPECT_EQ(response.headers["Content-Type"].rfind("text/html", 0), 0u) << response;
  EXPECT_NE(response.body.find("/openapi.json"), std::string::npos);
  // Self-contained: nothing loaded from another origin.
  for (const std::string outside : {"src=\"http", "href=\"http", "@import", "cdn."}) {
    EXPECT_EQ(response.body.find(outside), std::string::npos) << outside;
  }
}

TEST_F(OpenApiTest, MetricsCountRequestsInPrometheusText) {
  ASSERT_EQ(client().Get("/healthz").status, 200);
  HttpResponse response = client().Get("/metrics");
  ASSERT_EQ(response.status, 200) << response;
  EXPECT_EQ(response.headers["Content-Type"].rfind("text/plain", 0), 0u) << response;
  EXPECT_NE(response.body.find("# TYPE rapport_http_requests_total counter"), std::string::npos)
      << response.body;
  EXPECT_NE(response.body.find(
                R"(rapport_http_requests_total{method="GET",route="/healthz",status="200"})"),
            std::string::npos)
      << response.body;
  EXPECT_NE(response.body.find("rapport_http_request_duration_seconds_bucket"), std::string::npos);
}

TEST_F(OpenApiTest, ReadyzAnswersReady) {
  HttpResponse response = client().Get("/readyz");
  ASSERT_EQ(response.status, 200) << response;
  EXPECT_EQ(response.json()["status"], "ready");
}

class MetricsTokenTest : public ApiTest {
 protected:
  ServerOptions MakeServerOptions() const override {
    ServerOptions options;
    options.env["RAPPORT_METRICS_TOKEN"] = "metrics-secret-for-tests";
    return options;
  }
};

TEST_F(MetricsTokenTest, MetricsNeedTheTokenWhenOneIsSet) {
  EXPECT_EQ(client().Get("/metrics").status, 401);
  EXPECT_EQ(client().Get("/metrics", {{"Authorization", "Bearer wrong"}}).status, 401);
  HttpResponse response =
      client().Get("/metrics", {{"Authorization", "Bearer metrics-secret-for-tests"}});
  EXPECT_EQ(response.status, 200) << response;
}

}  // namespace
}  // namespace rapport::testing
