#include "customers/customer.hpp"

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace rapport::customers {
namespace {

using nlohmann::json;

// The fields named by an Invalid error, or {} for success.
template <class T>
std::set<std::string> ErrorFields(const core::Result<T>& result) {
  std::set<std::string> fields;
  if (result) return fields;
  EXPECT_EQ(result.error().code, core::Code::kInvalid);
  for (const auto& e : result.error().errors) fields.insert(e.field);
  return fields;
}

TEST(ParseNewCustomerTest, ReportsEveryBadFieldByName) {
  struct Case {
    const char* body;
    std::set<std::string> fields;
  };
  const Case cases[] = {
      {R"({"name": "Ada"})", {}},
      {R"({"first_name": "Ada"})", {}},
      {R"({"last_name": "Lovelace"})", {}},
      {R"({})", {"name"}},
      {R"({"name": null})", {"name"}},
      {R"({"name": ""})", {"name"}},
      {R"({"name": "   "})", {"name"}},
      {R"({"first_name": ""})", {"name"}},
      {R"({"name": 12})", {"name"}},
      {R"({"name": "Ada", "email": "nope"})", {"email"}},
      {R"({"name": "Ada", "email": 5})", {"email"}},
      {R"({"name": "Ada", "email": null})", {}},
      {R"({"name": "Ada", "status": "vip"})", {"status"}},
      {R"({"name": "Ada", "status": null})", {"status"}},
      {R"({"name": "Ada", "status": "churned"})", {}},
      {R"({"name": "Ada", "tags": "vip"})", {"tags"}},
      {R"({"name": "Ada", "tags": [1]})", {"tags"}},
      {R"({"name": "Ada", "tags": [""]})", {"tags"}},
      {R"({"name": "Ada", "tags": ["vip", "b2b"]})", {}},
      {R"({"name": "Ada", "attributes": []})", {"attributes"}},
      {R"({"name": "Ada", "attributes": {"a": [1, {"b": null}]}})", {}},
      {R"({"name": "Ada", "owner_id": "me"})", {"owner_id"}},
      {R"({"name": "Ada", "company_id": "x"})", {"company_id"}},
      {R"({"name": "Ada", "company": "Acme", "company_id": null})", {"company"}},
      {R"({"name": "Ada", "company": ""})", {"company"}},
      {R"({"name": "Ada", "id": "x"})", {"id"}},
      {R"({"name": "Ada", "total_spend": 1})", {"total_spend"}},
      {R"({"name": "Ada", "num_visits": 1})", {"num_visits"}},
      {R"({"name": "Ada", "last_visit_at": null})", {"last_visit_at"}},
      {R"({"name": "Ada", "last_interaction_at": null})", {"last_interaction_at"}},
      {R"({"name": "Ada", "created_at": "2026-01-01T00:00:00Z"})", {"created_at"}},
      {R"({"name": "Ada", "updated_at": "2026-01-01T00:00:00Z"})", {"updated_at"}},
      {R"({"name": "Ada", "is_admin": true})", {"is_admin"}},
      {R"({"name": 1, "email": 2, "zip": 3})", {"name", "email", "zip"}},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(ErrorFields(ParseNewCustomer(json::parse(c.body))), c.fields) << c.body;
  }
}

TEST(ParseCustomerChangesTest, AllowsPartialBodiesButNoNullNameOrStatus) {
  struct Case {
    const char* body;
    std::set<std::string> fields;
  };
  const Case cases[] = {
      {R"({})", {}},
      {R"({"notes": "hi"})", {}},
      {R"({"email": null, "phone": null, "company": null, "owner_id": null})", {}},
      {R"({"tags": null, "attributes": null})", {}},
      {R"({"name": null})", {"name"}},
      {R"({"status": null})", {"status"}},
      {R"({"company": "A", "company_id": "01890a5d-ac96-774b-bcce-b302099a8057"})", {"company"}},
      {R"({"version": 3})", {"version"}},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(ErrorFields(ParseCustomerChanges(json::parse(c.body))), c.fields) << c.body;
  }
}

TEST(ParseNewCustomerTest, TrimsAndTurnsEmptyOptionalTextIntoNull) {
  auto input = ParseNewCustomer(json::parse(R"({"name": "  Ada  ", "phone": "", "notes": " x "})"));
  ASSERT_TRUE(input);
  EXPECT_EQ(*input->name, "Ada");
  EXPECT_TRUE(input->phone.present);
  EXPECT_FALSE(input->phone.value);
  EXPECT_EQ(*input->notes, "x");
}

TEST(ParseNewCustomerTest, RejectsTooManyOrTooLongTags) {
  json many = json::array();
  for (int i = 0; i <= static_cast<int>(kMaxTags); ++i) many.push_back("t" + std::to_string(i));
  EXPECT_EQ(ErrorFields(ParseNewCustomer({{"name", "A"}, {"tags", many}})),
            std::set<std::string>{"tags"});
  many.erase(many.begin());
  EXPECT_TRUE(ParseNewCustomer({{"name", "A"}, {"tags", many}}));
  EXPECT_TRUE(ParseNewCustomer({{"name", "A"}, {"tags", {std::string(kMaxTagLength, 'x')}}}));
  EXPECT_EQ(ErrorFields(ParseNewCustomer(
                {{"name", "A"}, {"tags", {std::string(kMaxTagLength + 1, 'x')}}})),
            std::set<std::string>{"tags"});
}

TEST(ParseNewCustomerTest, LimitsAttributesTo64KiB) {
  json small = {{"blob", std::string(kMaxAttributesBytes - 20, 'x')}};
  json large = {{"blob", std::string(kMaxAttributesBytes, 'x')}};
  EXPECT_TRUE(ParseNewCustomer({{"name", "A"}, {"attributes", small}}));
  EXPECT_EQ(ErrorFields(ParseNewCustomer({{"name", "A"}, {"attributes", large}})),
            std::set<std::string>{"attributes"});
}

TEST(NormaliseTagsTest, DropsRepeatsAndKeepsOrder) {
  using Tags = std::vector<std::string>;
  const std::pair<Tags, Tags> cases[] = {
      {{}, {}},
      {{"a"}, {"a"}},
      {{"b", "a", "b", "c", "a"}, {"b", "a", "c"}},
      {{"VIP", "vip"}, {"VIP", "vip"}},  // case matters
      {{"a long tag that does not fit the small string buffer", "x",
        "a long tag that does not fit the small string buffer"},
       {"a long tag that does not fit the small string buffer", "x"}},
  };
  for (const auto& [in, out] : cases) EXPECT_EQ(NormaliseTags(in), out);
}

TEST(TagsJsonTest, RoundTripsAndToleratesBadText) {
  using Tags = std::vector<std::string>;
  const Tags round_trips[] = {
      {}, {"vip"}, {"a", "b", "c"}, {"with \"quote\"", "back\\slash"}, {"caf\xc3\xa9", "tab\t"},
      {"[", "]", ","}, {" spaced "},
  };
  for (const Tags& tags : round_trips) {
    const std::string text = TagsToJson(tags);
    EXPECT_EQ(text, json(tags).dump());
    EXPECT_EQ(TagsFromJson(text), tags) << text;
  }
  for (const char* bad : {"", "[", "{}", "null", "[\"unterminated]", "[1, 2]", "[\"a\\\"]"}) {
    EXPECT_EQ(TagsFromJson(bad), Tags{}) << bad;
  }
  EXPECT_EQ(TagsFromJson(R"(["a", 1, "b"])"), (Tags{"a", "b"}));  // escapes-free fast path
}

TEST(DeriveNameTest, JoinsWhatIsGiven) {
  EXPECT_EQ(DeriveName("Ada", "Lovelace"), "Ada Lovelace");
  EXPECT_EQ(DeriveName("Ada", std::nullopt), "Ada");
  EXPECT_EQ(DeriveName(std::nullopt, "Lovelace"), "Lovelace");
  EXPECT_EQ(DeriveName(std::nullopt, std::nullopt), "");
}

Customer Applied(const char* body, Customer customer = {}) {
  auto input = ParseCustomerChanges(json::parse(body));
  EXPECT_TRUE(input) << body;
  ApplyCustomerInput(*input, customer);
  return customer;
}

TEST(ApplyCustomerInputTest, DerivesTheNameOnCreateFromFirstAndLast) {
  EXPECT_EQ(Applied(R"({"first_name": "Ada", "last_name": "Lovelace"})").name, "Ada Lovelace");
  EXPECT_EQ(Applied(R"({"name": "Countess", "first_name": "Ada"})").name, "Countess");
}

TEST(ApplyCustomerInputTest, FollowsFirstAndLastOnlyWhileTheNameWasDerived) {
  Customer derived = Applied(R"({"first_name": "Ada", "last_name": "Lovelace"})");
  EXPECT_EQ(Applied(R"({"last_name": "King"})", derived).name, "Ada King");
  Customer chosen = derived;
  chosen.name = "The Countess";
  EXPECT_EQ(Applied(R"({"last_name": "King"})", chosen).name, "The Countess");
  // Clearing both keeps the last name rather than leaving it empty.
  EXPECT_EQ(Applied(R"({"first_name": null, "last_name": null})", derived).name, "Ada Lovelace");
}

TEST(ApplyCustomerInputTest, ReportsWhetherAnythingChanged) {
  Customer customer;
  customer.name = "Ada";
  customer.tags = {"a"};
  customer.attributes = R"({"k":1})";
  struct Case {
    const char* body;
    bool changed;
  };
  const Case cases[] = {
      {R"({})", false},
      {R"({"name": "Ada"})", false},
      {R"({"name": "Bea"})", true},
      {R"({"tags": ["a", "a"]})", false},
      {R"({"tags": ["b"]})", true},
      {R"({"tags": null})", true},
      {R"({"attributes": {"k": 1}})", false},
      {R"({"attributes": {}})", true},
      {R"({"attributes": null})", true},
      {R"({"status": "lead"})", false},
      {R"({"status": "customer"})", true},
      {R"({"email": null})", false},
      {R"({"phone": ""})", false},
      {R"({"phone": "+1 555"})", true},
  };
  for (const auto& c : cases) {
    Customer copy = customer;
    auto input = ParseCustomerChanges(json::parse(c.body));
    ASSERT_TRUE(input) << c.body;
    EXPECT_EQ(ApplyCustomerInput(*input, copy), c.changed) << c.body;
  }
}

core::Principal User(core::Role role, std::string id) {
  return {core::Principal::Kind::kUser, std::move(id), role, ""};
}

core::Field<std::string> OwnerField(std::optional<const char*> value, bool present = true) {
  core::Field<std::string> field;
  field.present = present;
  field.null = present && !value;
  if (value) field.value = *value;
  return field;
}

TEST(OwnerRulesTest, DefaultOwnerDependsOnTheRole) {
  const core::Field<std::string> absent = OwnerField(std::nullopt, /*present=*/false);
  EXPECT_EQ(*OwnerOnCreate(User(core::Role::kAgent, "agent-1"), absent), "agent-1");
  EXPECT_EQ(*OwnerOnCreate(User(core::Role::kManager, "m"), absent), std::nullopt);
  EXPECT_EQ(*OwnerOnCreate(User(core::Role::kAdmin, "a"), absent), std::nullopt);
}

TEST(OwnerRulesTest, AgentsMayOnlyChooseThemselvesOrNobody) {
  struct Case {
    core::Role role;
    std::optional<const char*> owner;
    bool allowed;
  };
  const Case cases[] = {
      {core::Role::kAgent, "me", true},           {core::Role::kAgent, std::nullopt, true},
      {core::Role::kAgent, "someone-else", false}, {core::Role::kManager, "someone-else", true},
      {core::Role::kAdmin, "someone-else", true},  {core::Role::kManager, std::nullopt, true},
  };
  for (const auto& c : cases) {
    const auto who = User(c.role, "me");
    const auto field = OwnerField(c.owner);
    auto created = OwnerOnCreate(who, field);
    EXPECT_EQ(created.ok(), c.allowed);
    if (created) {
      EXPECT_EQ(*created, field.value);
    } else {
      EXPECT_EQ(created.error().code, core::Code::kForbidden);
    }
    EXPECT_EQ(CheckOwnerChange(who, field).ok(), c.allowed);
  }
}

TEST(ParseCustomerFilterTest, ValidatesEachParameter) {
  using Params = std::map<std::string, std::string>;
  struct Case {
    Params params;
    std::optional<std::string> bad;  // the parameter a 400 names
  };
  const Case cases[] = {
      {{}, std::nullopt},
      {{{"status", "prospect"}}, std::nullopt},
      {{{"status", "Prospect"}}, "status"},
      {{{"status", "vip"}}, "status"},
      {{{"status", ""}}, std::nullopt},  // empty means no filter
      {{{"owner_id", "01890a5d-ac96-774b-bcce-b302099a8057"}}, std::nullopt},
      {{{"owner_id", "someone"}}, "owner_id"},
      {{{"company_id", "1' OR '1'='1"}}, "company_id"},
      {{{"created_after", "2026-01-01"}}, std::nullopt},
      {{{"created_after", "2026-01-01T10:00:00+02:00"}}, std::nullopt},
      {{{"created_before", "yesterday"}}, "created_before"},
      {{{"created_before", "2026-02-30"}}, "created_before"},
      {{{"tag", "anything at all"}, {"q", "%_\\"}}, std::nullopt},
  };
  for (const auto& c : cases) {
    auto filter = ParseCustomerFilter([&](std::string_view name) -> std::optional<std::string_view> {
      auto it = c.params.find(std::string(name));
      if (it == c.params.end()) return std::nullopt;
      return std::string_view(it->second);
    });
    if (!c.bad) {
      EXPECT_TRUE(filter) << (filter ? "" : filter.error().detail);
      continue;
    }
    ASSERT_FALSE(filter);
    EXPECT_EQ(filter.error().code, core::Code::kBadRequest);
    ASSERT_EQ(filter.error().errors.size(), 1u);
    EXPECT_EQ(filter.error().errors[0].field, *c.bad);
  }
}

TEST(ParseCustomerFilterTest, NormalisesTimestampsToUtc) {
  const std::map<std::string, std::string> params = {
      {"created_after", "2026-01-01T10:00:00+02:00"}, {"created_before", "2026-02-01"}};
  auto filter = ParseCustomerFilter([&](std::string_view name) -> std::optional<std::string_view> {
    auto it = params.find(std::string(name));
    if (it == params.end()) return std::nullopt;
    return std::string_view(it->second);
  });
  ASSERT_TRUE(filter);
  EXPECT_EQ(filter->created_after, "2026-01-01T08:00:00Z");
  EXPECT_EQ(filter->created_before, "2026-02-01T00:00:00Z");
}

TEST(ParseCustomerFilterTest, ReadsARuleGroupAndNamesTheBadRuleByItsPath) {
  auto parse = [](const std::string& filter) {
    return ParseCustomerFilter([&](std::string_view name) -> std::optional<std::string_view> {
      if (name == "filter") return std::string_view(filter);
      return std::nullopt;
    });
  };
  auto good = parse(R"({"logic":"or","rules":[{"field":"tags","op":"contains","value":"vip"}]})");
  ASSERT_TRUE(good) << good.error().detail;
  ASSERT_EQ(good->rules.size(), 1u);
  EXPECT_EQ(good->rules[0].logic, rules::Logic::kOr);

  for (const auto& [text, message] : std::vector<std::pair<std::string, std::string>>{
           {"{not json", "must be a rule group as JSON (URL-encoded)"},
           {"[]", "must be a rule group: {\"logic\": \"and\", \"rules\": [...]}"},
           {R"({"rules":[{"field":"x","op":"=","value":1}]})", "rules[0].field: unknown field 'x'"},
           {R"({"rules":[{"rules":[{"field":"total_spend","op":">","value":"a"}]}]})",
            "rules[0].rules[0].value: must be an amount"}}) {
    auto bad = parse(text);
    ASSERT_FALSE(bad) << text;
    EXPECT_EQ(bad.error().code, core::Code::kBadRequest);
    ASSERT_FALSE(bad.error().errors.empty());
    EXPECT_EQ(bad.error().errors[0].field, "filter");
    EXPECT_EQ(bad.error().errors[0].message.rfind(message, 0), 0u) << bad.error().errors[0].message;
    EXPECT_NE(bad.error().detail.find(message), std::string::npos) << bad.error().detail;
  }
}

TEST(CustomerStatusesTest, TheRuleLanguageKnowsTheSameStatuses) {
  ASSERT_EQ(rules::kStatuses.size(), kStatuses.size());
  for (std::size_t i = 0; i < kStatuses.size(); ++i) EXPECT_EQ(rules::kStatuses[i], kStatuses[i]);
}

TEST(CustomerTest, ToJsonWritesEveryFieldAndMoneyInMajorUnits) {
  Customer customer;
  customer.id = "id";
  customer.name = "Ada";
  customer.total_spend = 12050;
  customer.tags = {"vip"};
  customer.attributes = R"({"source":"web"})";
  const json out = customer.ToJson();
  for (const char* key :
       {"id", "name", "first_name", "last_name", "email", "phone", "company_id", "company",
        "status", "notes", "tags", "attributes", "owner_id", "total_spend", "num_visits",
        "last_visit_at", "last_interaction_at", "created_at", "updated_at"}) {
    EXPECT_TRUE(out.contains(key)) << key;
  }
  EXPECT_EQ(out.size(), 19u);
  EXPECT_EQ(out["total_spend"].dump(), "120.5");
  EXPECT_EQ(out["status"], "lead");
  EXPECT_TRUE(out["email"].is_null());
  EXPECT_EQ(out["tags"], json::array({"vip"}));
}

TEST(CustomerTest, JsonTextIsValidJsonForAwkwardValues) {
  Customer customer;
  customer.id = "id";
  customer.name = "Quote \" back \\ new\nline \x01";
  customer.email = "a@example.com";
  customer.tags = {"a\"b", "caf\xc3\xa9", "bad \xff"};
  auto input = ParseCustomerChanges(
      {{"attributes", {{"nested", {{"list", {1, 2.5, nullptr, "x"}}}}, {"key \"quoted\"", "\n"}}}});
  ASSERT_TRUE(input);
  ApplyCustomerInput(*input, customer);
  customer.total_spend = 1999;
  customer.num_visits = 1234567890123;
  std::string text;
  customer.AppendJson(text);
  const json parsed = json::parse(text);
  EXPECT_EQ(parsed["name"], customer.name);
  EXPECT_EQ(parsed["tags"], json({"a\"b", "caf\xc3\xa9", "bad \xef\xbf\xbd"}));  // U+FFFD
  EXPECT_EQ(parsed["attributes"]["nested"]["list"], json({1, 2.5, nullptr, "x"}));
  EXPECT_EQ(parsed["attributes"]["key \"quoted\""], "\n");
  EXPECT_EQ(parsed["total_spend"].dump(), "19.99");
  EXPECT_EQ(parsed["num_visits"], 1234567890123);
  EXPECT_EQ(parsed, customer.ToJson());
}

TEST(CustomerPageTest, WritesTheListShape) {
  std::string empty = "{\"data\":[";
  AppendPageEnd(empty, std::nullopt, std::nullopt);
  EXPECT_EQ(json::parse(empty), json({{"data", json::array()}, {"next_cursor", nullptr}}));
  std::vector<Customer> data(2);
  data[0].id = "a";
  data[1].id = "b";
  std::string text = "{\"data\":[";
  data[0].AppendJson(text);
  text += ',';
  data[1].AppendJson(text);
  AppendPageEnd(text, "abc", 7);
  const json parsed = json::parse(text);
  ASSERT_EQ(parsed["data"].size(), 2u);
  EXPECT_EQ(parsed["data"][1]["id"], "b");
  EXPECT_EQ(parsed["next_cursor"], "abc");
  EXPECT_EQ(parsed["total"], 7);
}

}  // namespace
}  // namespace rapport::customers
