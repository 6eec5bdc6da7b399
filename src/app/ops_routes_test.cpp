#include "app/ops_routes.hpp"

#include <stdexcept>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace rapport::app {
namespace {

constexpr std::string_view kBase =
    R"({"openapi": "3.1.0", "tags": [{"name": "Operations"}],
        "paths": {"/healthz": {"get": {"operationId": "health"}}},
        "components": {"schemas": {"Problem": {"type": "object"}}}})";

TEST(MergeOpenApiTest, AddsEveryFragmentsPathsTagsAndComponents) {
  const std::vector<core::Asset> parts = {
      {"customers.json",
       R"({"tags": [{"name": "Customers"}],
           "paths": {"/api/v1/customers": {"get": {"operationId": "list"}}},
           "components": {"schemas": {"Customer": {"type": "object"}}}})"},
      {"openapi.json", kBase},
      {"notes.json",
       R"({"paths": {"/api/v1/customers": {"post": {"operationId": "create"}}}})"},
  };
  const auto document = nlohmann::json::parse(MergeOpenApi(parts));
  EXPECT_EQ(document["openapi"], "3.1.0");
  EXPECT_EQ(document["tags"].size(), 2u);
  EXPECT_EQ(document["paths"]["/api/v1/customers"]["get"]["operationId"], "list");
  EXPECT_EQ(document["paths"]["/api/v1/customers"]["post"]["operationId"], "create");
  EXPECT_TRUE(document["paths"].contains("/healthz"));
  EXPECT_TRUE(document["components"]["schemas"].contains("Customer"));
  EXPECT_TRUE(document["components"]["schemas"].contains("Problem"));
}

TEST(MergeOpenApiTest, RefusesAnOperationOrComponentDescribedTwice) {
  EXPECT_THROW(MergeOpenApi({{"openapi.json", kBase},
                             {"a.json", R"({"paths": {"/healthz": {"get": {}}}})"}}),
               std::logic_error);
  EXPECT_THROW(MergeOpenApi({{"openapi.json", kBase},
                             {"a.json", R"({"components": {"schemas": {"Problem": {}}}})"}}),
               std::logic_error);
  EXPECT_THROW(MergeOpenApi({{"a.json", R"({"paths": {}})"}}), std::logic_error);
}

}  // namespace
}  // namespace rapport::app
