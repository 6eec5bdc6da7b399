#include "companies/company.hpp"

#include <set>
#include <string>

#include <gtest/gtest.h>

namespace rapport::companies {
namespace {

using nlohmann::json;

template <class T>
std::set<std::string> ErrorFields(const core::Result<T>& result) {
  std::set<std::string> fields;
  if (result) return fields;
  for (const auto& e : result.error().errors) fields.insert(e.field);
  return fields;
}

TEST(ParseNewCompanyTest, ReportsEveryBadFieldByName) {
  struct Case {
    const char* body;
    std::set<std::string> fields;
  };
  const Case cases[] = {
      {R"({"name": "Acme"})", {}},
      {R"({"name": "Acme", "domain": "acme.example", "phone": "1", "address": "x"})", {}},
      {R"({"name": "Acme", "domain": null, "phone": "", "address": null})", {}},
      {R"({})", {"name"}},
      {R"({"name": null})", {"name"}},
      {R"({"name": ""})", {"name"}},
      {R"({"name": 3})", {"name"}},
      {R"({"name": "Acme", "domain": "not a domain"})", {"domain"}},
      {R"({"name": "Acme", "id": "x", "created_at": "x"})", {"id", "created_at"}},
      {R"({"name": "Acme", "owner": "x"})", {"owner"}},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(ErrorFields(ParseNewCompany(json::parse(c.body))), c.fields) << c.body;
  }
}

TEST(ParseCompanyChangesTest, EveryFieldIsOptionalButNameNotNull) {
  EXPECT_TRUE(ParseCompanyChanges(json::object()));
  EXPECT_TRUE(ParseCompanyChanges({{"phone", nullptr}}));
  EXPECT_EQ(ErrorFields(ParseCompanyChanges({{"name", nullptr}})), std::set<std::string>{"name"});
}

TEST(ApplyCompanyInputTest, LowercasesDomainsAndReportsChanges) {
  Company company;
  company.name = "Acme";
  auto input = ParseCompanyChanges({{"domain", "ACME.Example"}, {"phone", ""}});
  ASSERT_TRUE(input);
  EXPECT_TRUE(ApplyCompanyInput(*input, company));
  EXPECT_EQ(company.domain, "acme.example");
  EXPECT_EQ(company.phone, std::nullopt);
  EXPECT_FALSE(ApplyCompanyInput(*input, company));
}

}  // namespace
}  // namespace rapport::companies
