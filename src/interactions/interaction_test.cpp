#include "interactions/interaction.hpp"

#include <map>
#include <optional>
#include <set>
#include <string>

#include <gtest/gtest.h>

namespace rapport::interactions {
namespace {

using nlohmann::json;

constexpr char kCustomer[] = "01890a5d-ac96-774b-bcce-b302099a8057";

// The fields named by an Invalid error, or {} for success.
template <class T>
std::set<std::string> ErrorFields(const core::Result<T>& result) {
  std::set<std::string> fields;
  if (result) return fields;
  EXPECT_EQ(result.error().code, core::Code::kInvalid);
  for (const auto& e : result.error().errors) fields.insert(e.field);
  return fields;
}

json NewBody(json extra = json::object()) {
  json body = {{"customer_id", kCustomer}, {"type", "call"}, {"title", "Pricing call"}};
  body.update(extra);
  return body;
}

TEST(ParseNewInteractionTest, ReportsEveryBadFieldByName) {
  struct Case {
    json body;
    std::set<std::string> fields;
  };
  const Case cases[] = {
      {NewBody(), {}},
      {json::object(), {"customer_id", "type", "title"}},
      {NewBody({{"customer_id", nullptr}}), {"customer_id"}},
      {NewBody({{"customer_id", "nope"}}), {"customer_id"}},
      {NewBody({{"type", "visit"}}), {"type"}},
      {NewBody({{"type", "Meeting"}}), {"type"}},
      {NewBody({{"type", 3}}), {"type"}},
      {NewBody({{"title", ""}}), {"title"}},
      {NewBody({{"title", "   "}}), {"title"}},
      {NewBody({{"title", std::string(kMaxTitleLength + 1, 'x')}}), {"title"}},
      {NewBody({{"title", std::string(kMaxTitleLength, 'x')}}), {}},
      {NewBody({{"details", std::string(kMaxDetailsLength + 1, 'x')}}), {"details"}},
      {NewBody({{"details", nullptr}}), {}},
      {NewBody({{"status", "open"}}), {"status"}},
      {NewBody({{"status", nullptr}}), {"status"}},
      {NewBody({{"status", "cancelled"}}), {}},
      {NewBody({{"user_id", nullptr}}), {"user_id"}},
      {NewBody({{"user_id", "me"}}), {"user_id"}},
      {NewBody({{"scheduled_at", "2026-11-22T14:00:00Z"}}), {}},
      {NewBody({{"scheduled_at", "2026-11-22T15:00:00+01:00"}}), {}},
      {NewBody({{"scheduled_at", nullptr}}), {}},
      {NewBody({{"scheduled_at", "2026-11-22 14:00"}}), {"scheduled_at"}},
      {NewBody({{"scheduled_at", "tomorrow"}}), {"scheduled_at"}},
      {NewBody({{"scheduled_at", "2026-11-22T14:00:00"}}), {"scheduled_at"}},  // no offset
      {NewBody({{"scheduled_at", 1764000000}}), {"scheduled_at"}},
      {NewBody({{"duration_minutes", 0}}), {}},
      {NewBody({{"duration_minutes", -1}}), {"duration_minutes"}},
      {NewBody({{"duration_minutes", 1.5}}), {"duration_minutes"}},
      {NewBody({{"duration_minutes", "30"}}), {"duration_minutes"}},
      {NewBody({{"duration_minutes", kMaxMinutes + 1}}), {"duration_minutes"}},
      {NewBody({{"remind_before_minutes", -5}}), {"remind_before_minutes"}},
      {NewBody({{"remind_before_minutes", nullptr}}), {}},
      {NewBody({{"id", "x"}}), {"id"}},
      {NewBody({{"completed_at", "2026-11-22T14:00:00Z"}}), {"completed_at"}},
      {NewBody({{"created_at", nullptr}}), {"created_at"}},
      {NewBody({{"updated_at", nullptr}}), {"updated_at"}},
      {NewBody({{"outcome", "won"}}), {"outcome"}},
      {json{{"type", 1}, {"title", 2}, {"x", 3}}, {"customer_id", "type", "title", "x"}},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(ErrorFields(ParseNewInteraction(c.body)), c.fields) << c.body.dump();
  }
}

TEST(ParseInteractionChangesTest, AllowsPartialBodiesButFixesTheCustomer) {
  struct Case {
    json body;
    std::set<std::string> fields;
  };
  const Case cases[] = {
      {json::object(), {}},
      {{{"status", "done"}}, {}},
      {{{"details", nullptr}, {"scheduled_at", nullptr}, {"duration_minutes", nullptr}}, {}},
      {{{"customer_id", kCustomer}}, {"customer_id"}},
      {{{"type", nullptr}}, {"type"}},
      {{{"title", nullptr}}, {"title"}},
      {{{"status", nullptr}}, {"status"}},
      {{{"user_id", nullptr}}, {"user_id"}},
      {{{"completed_at", nullptr}}, {"completed_at"}},
      {{{"version", 2}}, {"version"}},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(ErrorFields(ParseInteractionChanges(c.body)), c.fields) << c.body.dump();
  }
}

TEST(ParseNewInteractionTest, NormalisesValues) {
  auto input = ParseNewInteraction(NewBody({{"customer_id", "01890A5D-AC96-774B-BCCE-B302099A8057"},
                                            {"title", "  Call  "},
                                            {"details", ""},
                                            {"scheduled_at", "2026-11-22T15:30:00.250+01:00"}}));
  ASSERT_TRUE(input);
  EXPECT_EQ(*input->customer_id, kCustomer);
  EXPECT_EQ(*input->title, "Call");
  EXPECT_TRUE(input->details.present);
  EXPECT_FALSE(input->details.value);  // "" reads as null
  EXPECT_EQ(*input->scheduled_at, "2026-11-22T14:30:00Z");
}

TEST(DefaultStatusTest, NotesAndEmailsAreRecordedDone) {
  const std::map<std::string, std::string> expected = {
      {"meeting", "planned"}, {"call", "planned"}, {"email", "done"},
      {"task", "planned"},    {"follow_up", "planned"}, {"note", "done"}};
  for (std::string_view type : kTypes) {
    EXPECT_EQ(DefaultStatus(type), expected.at(std::string(type))) << type;
  }
}

// The status an interaction starts with, the PATCH applied, and what completed_at becomes.
TEST(ApplyInteractionInputTest, CompletedAtFollowsTheDoneStatus) {
  constexpr char kEarlier[] = "2026-01-01T00:00:00Z";
  constexpr char kNow[] = "2026-02-02T10:00:00Z";
  struct Case {
    std::string status;
    std::optional<std::string> completed_at;
    json patch;
    bool changed;
    std::optional<std::string> expected;
  };
  const Case cases[] = {
      {"planned", std::nullopt, {{"status", "done"}}, true, kNow},
      {"planned", std::nullopt, {{"status", "cancelled"}}, true, std::nullopt},
      {"planned", std::nullopt, {{"title", "x"}}, true, std::nullopt},
      {"done", kEarlier, {{"title", "x"}}, true, kEarlier},  // stays done: kept
      {"done", kEarlier, {{"status", "done"}}, false, kEarlier},
      {"done", kEarlier, {{"status", "planned"}}, true, std::nullopt},  // leaves done: cleared
      {"done", kEarlier, {{"status", "cancelled"}}, true, std::nullopt},
      {"cancelled", std::nullopt, {{"status", "done"}}, true, kNow},
      {"planned", std::nullopt, json::object(), false, std::nullopt},
  };
  for (const Case& c : cases) {
    Interaction interaction;
    interaction.type = "call";
    interaction.title = "Call";
    interaction.status = c.status;
    interaction.completed_at = c.completed_at;
    auto input = ParseInteractionChanges(c.patch);
    ASSERT_TRUE(input) << c.patch.dump();
    EXPECT_EQ(ApplyInteractionInput(*input, kNow, interaction), c.changed)
        << c.status << " " << c.patch.dump();
    EXPECT_EQ(interaction.completed_at, c.expected) << c.status << " " << c.patch.dump();
  }
}

TEST(ApplyInteractionInputTest, ReportsWhetherAnythingChanged) {
  Interaction base;
  base.type = "meeting";
  base.title = "Kickoff";
  base.status = "planned";
  base.scheduled_at = "2026-11-22T14:00:00Z";
  base.duration_minutes = 30;
  base.remind_before_minutes = 15;
  struct Case {
    json patch;
    bool changed;
  };
  const Case cases[] = {
      {{{"title", "Kickoff"}}, false},
      {{{"title", "Kick-off"}}, true},
      {{{"type", "meeting"}}, false},
      {{{"type", "call"}}, true},
      {{{"scheduled_at", "2026-11-22T15:00:00+01:00"}}, false},  // the same instant
      {{{"scheduled_at", nullptr}}, true},
      {{{"duration_minutes", 30}}, false},
      {{{"duration_minutes", nullptr}}, true},
      {{{"remind_before_minutes", nullptr}}, true},
      {{{"details", ""}}, false},  // already null
      {{{"details", "agenda"}}, true},
  };
  for (const Case& c : cases) {
    Interaction interaction = base;
    auto input = ParseInteractionChanges(c.patch);
    ASSERT_TRUE(input) << c.patch.dump();
    EXPECT_EQ(ApplyInteractionInput(*input, "2026-01-01T00:00:00Z", interaction), c.changed)
        << c.patch.dump();
  }
}

TEST(InteractionTest, JsonHasEveryFieldAndThePortalViewHidesInternals) {
  Interaction i;
  i.id = "a";
  i.customer_id = kCustomer;
  i.user_id = "u";
  i.type = "meeting";
  i.title = "Kickoff";
  i.details = "internal notes";
  i.status = "planned";
  i.remind_before_minutes = 15;
  const json full = i.ToJson();
  for (const char* key : {"id", "customer_id", "user_id", "type", "title", "details", "status",
                          "scheduled_at", "duration_minutes", "remind_before_minutes",
                          "completed_at", "created_at", "updated_at"}) {
    EXPECT_TRUE(full.contains(key)) << key;
  }
  EXPECT_EQ(full.size(), 13u);
  EXPECT_TRUE(full["scheduled_at"].is_null());
  const json portal = i.ToPortalJson();
  for (const char* key : {"details", "user_id", "customer_id", "remind_before_minutes"}) {
    EXPECT_FALSE(portal.contains(key)) << key;
  }
  EXPECT_EQ(portal["title"], "Kickoff");
}

TEST(InteractionTest, SummaryNamesTypeTitleAndAnUnfinishedStatus) {
  struct Case {
    const char* type;
    const char* status;
    const char* summary;
  };
  const Case cases[] = {
      {"meeting", "planned", "Meeting: Kickoff (planned)"},
      {"call", "done", "Call: Kickoff"},
      {"follow_up", "cancelled", "Follow-up: Kickoff (cancelled)"},
      {"note", "done", "Note: Kickoff"},
  };
  for (const Case& c : cases) {
    Interaction i;
    i.type = c.type;
    i.status = c.status;
    i.title = "Kickoff";
    EXPECT_EQ(i.Summary(), c.summary);
  }
}

TEST(ParseInteractionFilterTest, NamesTheBadParameter) {
  struct Case {
    std::map<std::string, std::string> params;
    std::string bad;  // "" for none
  };
  const Case cases[] = {
      {{}, ""},
      {{{"customer_id", kCustomer}, {"type", "meeting,call"}, {"status", "planned"}}, ""},
      {{{"customer_id", "x"}}, "customer_id"},
      {{{"user_id", "x"}}, "user_id"},
      {{{"type", "visit"}}, "type"},
      {{{"status", "open"}}, "status"},
      {{{"from", "2026-11-01"}, {"to", "2026-12-01T00:00:00Z"}}, ""},
      {{{"from", "last week"}}, "from"},
      {{{"to", "2026-02-30"}}, "to"},
      {{{"q", "anything at all"}}, ""},
  };
  for (const Case& c : cases) {
    auto filter = ParseInteractionFilter([&](std::string_view name) -> std::optional<std::string_view> {
      auto it = c.params.find(std::string(name));
      if (it == c.params.end()) return std::nullopt;
      return it->second;
    });
    if (c.bad.empty()) {
      EXPECT_TRUE(filter) << (filter ? "" : filter.error().detail);
    } else {
      ASSERT_FALSE(filter) << c.bad;
      EXPECT_EQ(filter.error().code, core::Code::kBadRequest);
      ASSERT_EQ(filter.error().errors.size(), 1u);
      EXPECT_EQ(filter.error().errors[0].field, c.bad);
    }
  }
  auto filter = ParseInteractionFilter([](std::string_view name) -> std::optional<std::string_view> {
    if (name == "from") return "2026-11-01";
    if (name == "type") return "note,call,note";
    return std::nullopt;
  });
  ASSERT_TRUE(filter);
  EXPECT_EQ(filter->from, "2026-11-01T00:00:00Z");
  EXPECT_EQ(filter->types, (std::vector<std::string>{"note", "call"}));
}

}  // namespace
}  // namespace rapport::interactions
