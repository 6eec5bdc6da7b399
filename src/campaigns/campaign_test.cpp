#include "campaigns/campaign.hpp"

#include <gtest/gtest.h>

#include <set>

namespace rapport::campaigns {
namespace {

using nlohmann::json;

MergeFields Grace() {
  MergeFields f;
  f.name = "Grace Hopper";
  f.first_name = "Grace";
  f.email = "grace@example.org";
  f.company = "Navy & Co <R&D>";
  f.attributes = json{{"plan", "gold"}, {"seats", 12}, {"vip", true}, {"none", nullptr},
                      {"tags", json::array({"a", "b"})}, {"note", "line1\nline2"}};
  return f;
}

TEST(CampaignTemplate, KnownPlaceholdersPass) {
  EXPECT_TRUE(CheckTemplate("Hi {{first_name}} of {{ company }}, {{attributes.plan}}").empty());
  EXPECT_TRUE(CheckTemplate("no placeholders at all, { single } braces }}").empty());
  EXPECT_TRUE(CheckTemplate("").empty());
}

TEST(CampaignTemplate, UnknownAndBrokenPlaceholdersAreNamed) {
  auto problems = CheckTemplate("Hi {{nickname}} and {{ total_spend }}");
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_NE(problems[0].find("{{nickname}}"), std::string::npos) << problems[0];
  EXPECT_NE(problems[1].find("{{total_spend}}"), std::string::npos) << problems[1];
  EXPECT_EQ(CheckTemplate("Hi {{first_name").size(), 1u);
  EXPECT_EQ(CheckTemplate("{{attributes.}}").size(), 1u);
  EXPECT_EQ(CheckTemplate("{{}}").size(), 1u);
}

TEST(CampaignTemplate, RendersValuesPerMode) {
  const MergeFields f = Grace();
  EXPECT_EQ(Render("Hi {{first_name}} ({{last_name}})!", f, RenderMode::kText), "Hi Grace ()!");
  EXPECT_EQ(Render("{{company}}", f, RenderMode::kText), "Navy & Co <R&D>");
  EXPECT_EQ(Render("<b>{{company}}</b>", f, RenderMode::kHtml),
            "<b>Navy &amp; Co &lt;R&amp;D&gt;</b>");
  EXPECT_EQ(Render("{{attributes.plan}}/{{attributes.seats}}/{{attributes.vip}}/"
                   "{{attributes.none}}/{{attributes.missing}}/{{attributes.tags}}",
                   f, RenderMode::kText),
            "gold/12/true///[\"a\",\"b\"]");
  EXPECT_EQ(Render("Re: {{attributes.note}}", f, RenderMode::kOneLine), "Re: line1 line2");
  EXPECT_EQ(Render("{{ name }} <{{email}}>", f, RenderMode::kText),
            "Grace Hopper <grace@example.org>");
}

TEST(CampaignInput, CreateNeedsOneAudience) {
  json base = {{"name", "Spring"}, {"subject", "Hi {{first_name}}"}, {"body", "Hello"}};
  EXPECT_FALSE(ParseNewCampaign(base).ok());
  json with_rules = base;
  with_rules["rules"] = {{"logic", "and"},
                         {"rules", json::array({{{"field", "status"}, {"op", "="},
                                                 {"value", "lead"}}})}};
  EXPECT_TRUE(ParseNewCampaign(with_rules).ok());
  json both = with_rules;
  both["segment_id"] = "0190a5b2-0000-7000-8000-000000000001";
  auto refused = ParseNewCampaign(both);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, core::Code::kInvalid);
}

TEST(CampaignInput, UnknownPlaceholderAndReadOnlyFieldsAreRefused) {
  json body = {{"name", "Spring"},
               {"subject", "Hi {{nick}}"},
               {"body", "Hello {{first_name}"},
               {"status", "sent"},
               {"segment_id", "0190a5b2-0000-7000-8000-000000000001"}};
  auto parsed = ParseNewCampaign(body);
  ASSERT_FALSE(parsed.ok());
  std::set<std::string> fields;
  for (const auto& e : parsed.error().errors) fields.insert(e.field);
  EXPECT_EQ(fields, (std::set<std::string>{"subject", "body", "status"}));
}

TEST(CampaignInput, PatchSwitchesTheAudience) {
  Campaign c;
  c.rules = json{{"logic", "and"}, {"rules", json::array()}};
  auto changes = ParseCampaignChanges({{"segment_id", "0190A5B2-0000-7000-8000-000000000001"}});
  ASSERT_TRUE(changes.ok());
  EXPECT_TRUE(ApplyCampaignInput(*changes, c));
  EXPECT_EQ(c.segment_id, "0190a5b2-0000-7000-8000-000000000001");
  EXPECT_TRUE(c.rules.is_null());
  EXPECT_FALSE(ApplyCampaignInput(*changes, c));
}

TEST(CampaignStats, RatesOverSent) {
  CampaignStats s;
  s.sent = 3;
  s.opened = 1;
  s.clicked = 3;
  const json j = s.ToJson();
  EXPECT_EQ(j["open_rate"].dump(), "0.3333");
  EXPECT_EQ(j["click_rate"].dump(), "1");
  EXPECT_EQ(CampaignStats{}.ToJson()["open_rate"].dump(), "0");
}

}  // namespace
}  // namespace rapport::campaigns
