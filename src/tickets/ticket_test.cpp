#include "tickets/ticket.hpp"

#include <map>
#include <optional>
#include <set>
#include <string>

#include <gtest/gtest.h>

namespace rapport::tickets {
namespace {

using nlohmann::json;
using S = TicketStatus;

constexpr char kCustomer[] = "01890a5d-ac96-774b-bcce-b302099a8057";
constexpr char kEarlier[] = "2026-01-01T00:00:00Z";
constexpr char kNow[] = "2026-02-02T10:00:00Z";

template <class T>
std::set<std::string> ErrorFields(const core::Result<T>& result) {
  std::set<std::string> fields;
  if (result) return fields;
  EXPECT_EQ(result.error().code, core::Code::kInvalid) << result.error().detail;
  for (const auto& e : result.error().errors) fields.insert(e.field);
  return fields;
}

Ticket InStatus(S status) {
  Ticket ticket;
  ticket.id = "t";
  ticket.title = "Printer on fire";
  ticket.status = status;
  if (status == S::kResolved || status == S::kClosed) {
    ticket.resolved_at = kEarlier;
    ticket.resolution = "replaced the toner";
  }
  return ticket;
}

TEST(TicketStatusTest, NamesRoundTrip) {
  for (S status : {S::kOpen, S::kInProgress, S::kResolved, S::kClosed}) {
    EXPECT_EQ(ParseStatus(StatusName(status)), status);
  }
  EXPECT_EQ(ParseStatus("Open"), std::nullopt);
  EXPECT_EQ(ParseStatus("done"), std::nullopt);
}

// The whole transition table, cell by cell.
TEST(CanMoveTest, ClosedIsFinalEverythingElseMovesFreely) {
  struct Case {
    S from;
    S to;
    bool allowed;
  };
  const Case cases[] = {
      {S::kOpen, S::kOpen, true},           {S::kOpen, S::kInProgress, true},
      {S::kOpen, S::kResolved, true},       {S::kOpen, S::kClosed, true},
      {S::kInProgress, S::kOpen, true},     {S::kInProgress, S::kInProgress, true},
      {S::kInProgress, S::kResolved, true}, {S::kInProgress, S::kClosed, true},
      {S::kResolved, S::kOpen, true},       {S::kResolved, S::kInProgress, true},
      {S::kResolved, S::kResolved, true},   {S::kResolved, S::kClosed, true},
      {S::kClosed, S::kOpen, false},        {S::kClosed, S::kInProgress, false},
      {S::kClosed, S::kResolved, false},    {S::kClosed, S::kClosed, true},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(CanMove(c.from, c.to), c.allowed) << StatusName(c.from) << " -> " << StatusName(c.to);
  }
}

// What each move does to resolved_at and resolution.
TEST(MoveTicketTest, KeepsResolvedAtTrue) {
  struct Case {
    S from;
    S to;
    bool ok;
    std::optional<std::string> resolved_at;
    bool resolution_kept;
  };
  const Case cases[] = {
      {S::kOpen, S::kInProgress, true, std::nullopt, false},
      {S::kOpen, S::kResolved, true, kNow, false},
      {S::kOpen, S::kClosed, true, std::nullopt, false},  // closed without a resolution
      {S::kInProgress, S::kResolved, true, kNow, false},
      {S::kResolved, S::kOpen, true, std::nullopt, false},       // reopened: cleared
      {S::kResolved, S::kInProgress, true, std::nullopt, false},
      {S::kResolved, S::kClosed, true, kEarlier, true},          // closed: kept
      {S::kResolved, S::kResolved, true, kEarlier, true},        // no move
      {S::kClosed, S::kInProgress, false, kEarlier, true},       // refused: unchanged
      {S::kClosed, S::kOpen, false, kEarlier, true},
      {S::kClosed, S::kResolved, false, kEarlier, true},
  };
  for (const Case& c : cases) {
    Ticket ticket = InStatus(c.from);
    const Ticket before = ticket;
    auto moved = MoveTicket(ticket, c.to, kNow);
    const std::string label = std::string(StatusName(c.from)) + " -> " + std::string(StatusName(c.to));
    EXPECT_EQ(moved.ok(), c.ok) << label;
    if (!c.ok) {
      EXPECT_EQ(moved.error().code, core::Code::kConflict) << label;
      EXPECT_NE(moved.error().detail.find(label.substr(0, label.find(' ')) + " to " +
                                          std::string(StatusName(c.to))),
                std::string::npos)
          << moved.error().detail;
      EXPECT_EQ(ticket, before) << label;
      continue;
    }
    EXPECT_EQ(ticket.status, c.to) << label;
    EXPECT_EQ(ticket.resolved_at, c.resolved_at) << label;
    EXPECT_EQ(ticket.resolution.has_value(), c.resolution_kept && before.resolution) << label;
  }
}

TEST(MoveTicketTest, NamesTheRefusedTransition) {
  Ticket ticket = InStatus(S::kClosed);
  auto moved = MoveTicket(ticket, S::kInProgress, kNow);
  ASSERT_FALSE(moved);
  EXPECT_EQ(moved.error().code, core::Code::kConflict);
  EXPECT_NE(moved.error().detail.find("from closed to in_progress"), std::string::npos)
      << moved.error().detail;
  ASSERT_EQ(moved.error().errors.size(), 1u);
  EXPECT_EQ(moved.error().errors[0].field, "status");
}

TEST(ResolveTicketTest, ResolvesOpenWorkAndRefusesTheRest) {
  struct Case {
    S from;
    bool ok;
  };
  for (const Case& c : {Case{S::kOpen, true}, Case{S::kInProgress, true},
                        Case{S::kResolved, false}, Case{S::kClosed, false}}) {
    Ticket ticket = InStatus(c.from);
    const Ticket before = ticket;
    auto resolved = ResolveTicket(ticket, "rebooted", kNow);
    EXPECT_EQ(resolved.ok(), c.ok) << StatusName(c.from);
    if (c.ok) {
      EXPECT_EQ(ticket.status, S::kResolved);
      EXPECT_EQ(ticket.resolved_at, kNow);
      EXPECT_EQ(ticket.resolution, "rebooted");
    } else {
      EXPECT_EQ(resolved.error().code, core::Code::kConflict);
      EXPECT_EQ(ticket, before);
    }
  }
  Ticket silent = InStatus(S::kOpen);
  ASSERT_TRUE(ResolveTicket(silent, std::nullopt, kNow));
  EXPECT_EQ(silent.resolution, std::nullopt);
}

TEST(ReopenTicketTest, ReopensOnlyResolvedTickets) {
  struct Case {
    S from;
    bool ok;
  };
  for (const Case& c : {Case{S::kOpen, false}, Case{S::kInProgress, false},
                        Case{S::kResolved, true}, Case{S::kClosed, false}}) {
    Ticket ticket = InStatus(c.from);
    const Ticket before = ticket;
    auto reopened = ReopenTicket(ticket, kNow);
    EXPECT_EQ(reopened.ok(), c.ok) << StatusName(c.from);
    if (c.ok) {
      EXPECT_EQ(ticket.status, S::kOpen);
      EXPECT_EQ(ticket.resolved_at, std::nullopt);
      EXPECT_EQ(ticket.resolution, std::nullopt);
    } else {
      EXPECT_EQ(reopened.error().code, core::Code::kConflict);
      EXPECT_EQ(ticket, before);
    }
  }
}

// A PATCH body applied to a ticket in a status: the outcome.
TEST(ApplyTicketChangesTest, EnforcesTheStateMachineAndTheClosedRule) {
  enum class Outcome { kChanged, kUnchanged, kConflict };
  struct Case {
    S from;
    json patch;
    Outcome outcome;
    S to;
  };
  const Case cases[] = {
      {S::kOpen, {{"status", "in_progress"}}, Outcome::kChanged, S::kInProgress},
      {S::kOpen, {{"status", "open"}}, Outcome::kUnchanged, S::kOpen},
      {S::kOpen, {{"title", "Printer on fire"}}, Outcome::kUnchanged, S::kOpen},
      {S::kOpen, {{"priority", "urgent"}}, Outcome::kChanged, S::kOpen},
      {S::kOpen, {{"status", "resolved"}, {"resolution", "fixed"}}, Outcome::kChanged,
       S::kResolved},
      {S::kOpen, {{"resolution", "fixed"}}, Outcome::kConflict, S::kOpen},
      {S::kResolved, {{"resolution", "better words"}}, Outcome::kChanged, S::kResolved},
      {S::kResolved, {{"resolution", nullptr}}, Outcome::kChanged, S::kResolved},
      {S::kResolved, {{"status", "open"}, {"resolution", "x"}}, Outcome::kConflict,
       S::kResolved},
      {S::kResolved, {{"status", "closed"}}, Outcome::kChanged, S::kClosed},
      {S::kClosed, {{"status", "in_progress"}}, Outcome::kConflict, S::kClosed},
      {S::kClosed, {{"status", "open"}}, Outcome::kConflict, S::kClosed},
      {S::kClosed, {{"title", "new title"}}, Outcome::kConflict, S::kClosed},
      {S::kClosed, {{"assignee_id", kCustomer}}, Outcome::kConflict, S::kClosed},
      {S::kClosed, {{"status", "closed"}}, Outcome::kUnchanged, S::kClosed},
      {S::kClosed, {{"title", "Printer on fire"}}, Outcome::kUnchanged, S::kClosed},
  };
  for (const Case& c : cases) {
    Ticket ticket = InStatus(c.from);
    const Ticket before = ticket;
    auto changes = ParseTicketChanges(c.patch);
    ASSERT_TRUE(changes) << c.patch.dump();
    auto result = ApplyTicketChanges(*changes, kNow, ticket);
    const std::string label = std::string(StatusName(c.from)) + " " + c.patch.dump();
    switch (c.outcome) {
      case Outcome::kChanged:
        ASSERT_TRUE(result) << label << ": " << result.error().detail;
        EXPECT_TRUE(*result) << label;
        break;
      case Outcome::kUnchanged:
        ASSERT_TRUE(result) << label << ": " << result.error().detail;
        EXPECT_FALSE(*result) << label;
        EXPECT_EQ(ticket, before) << label;
        break;
      case Outcome::kConflict:
        ASSERT_FALSE(result) << label;
        EXPECT_EQ(result.error().code, core::Code::kConflict) << label;
        EXPECT_EQ(ticket, before) << label;
        break;
    }
    EXPECT_EQ(ticket.status, c.to) << label;
  }
}

TEST(ParseNewTicketTest, ReportsEveryBadFieldByName) {
  const json good = {{"customer_id", kCustomer}, {"title", "Printer on fire"}};
  auto with = [&](json extra) {
    json body = good;
    body.update(extra);
    return body;
  };
  struct Case {
    json body;
    std::set<std::string> fields;
  };
  const Case cases[] = {
      {good, {}},
      {json::object(), {"customer_id", "title"}},
      {with({{"title", ""}}), {"title"}},
      {with({{"title", std::string(kMaxTitleLength + 1, 'x')}}), {"title"}},
      {with({{"priority", "critical"}}), {"priority"}},
      {with({{"priority", nullptr}}), {"priority"}},
      {with({{"priority", "urgent"}}), {}},
      {with({{"status", "in_progress"}}), {}},
      {with({{"status", "resolved"}}), {"status"}},
      {with({{"status", "closed"}}), {"status"}},
      {with({{"status", "pending"}}), {"status"}},
      {with({{"assignee_id", "bob"}}), {"assignee_id"}},
      {with({{"assignee_id", nullptr}}), {}},
      {with({{"interaction_id", 7}}), {"interaction_id"}},
      {with({{"description", std::string(kMaxTextLength + 1, 'x')}}), {"description"}},
      {with({{"created_by", {{"kind", "user"}, {"id", kCustomer}}}}), {"created_by"}},
      {with({{"resolution", "fixed"}}), {"resolution"}},
      {with({{"resolved_at", nullptr}}), {"resolved_at"}},
      {with({{"id", kCustomer}}), {"id"}},
      {with({{"severity", 1}}), {"severity"}},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(ErrorFields(ParseNewTicket(c.body)), c.fields) << c.body.dump();
  }
}

TEST(ParseNewPortalTicketTest, TakesOnlyWhatACustomerMaySet) {
  struct Case {
    json body;
    std::set<std::string> fields;
  };
  const Case cases[] = {
      {{{"title", "Help"}}, {}},
      {{{"title", "Help"}, {"description", "It broke"}, {"priority", "high"}}, {}},
      {json::object(), {"title"}},
      {{{"title", "Help"}, {"customer_id", kCustomer}}, {"customer_id"}},
      {{{"title", "Help"}, {"assignee_id", kCustomer}}, {"assignee_id"}},
      {{{"title", "Help"}, {"status", "open"}}, {"status"}},
      {{{"title", "Help"}, {"interaction_id", kCustomer}}, {"interaction_id"}},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(ErrorFields(ParseNewPortalTicket(c.body)), c.fields) << c.body.dump();
  }
}

TEST(ParseTicketChangesTest, FixesTheCustomerAndRefusesNulls) {
  struct Case {
    json body;
    std::set<std::string> fields;
  };
  const Case cases[] = {
      {json::object(), {}},
      {{{"status", "closed"}}, {}},
      {{{"assignee_id", nullptr}, {"interaction_id", nullptr}, {"description", nullptr}}, {}},
      {{{"customer_id", kCustomer}}, {"customer_id"}},
      {{{"title", nullptr}}, {"title"}},
      {{{"status", nullptr}}, {"status"}},
      {{{"status", "reopened"}}, {"status"}},
      {{{"priority", nullptr}}, {"priority"}},
      {{{"resolved_at", "2026-01-01T00:00:00Z"}}, {"resolved_at"}},
      {{{"created_by", nullptr}}, {"created_by"}},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(ErrorFields(ParseTicketChanges(c.body)), c.fields) << c.body.dump();
  }
}

TEST(ParseResolutionTest, TakesAnEmptyBodyOrAResolution) {
  EXPECT_EQ(*ParseResolution(""), std::nullopt);
  EXPECT_EQ(*ParseResolution("  \n"), std::nullopt);
  EXPECT_EQ(*ParseResolution("{}"), std::nullopt);
  EXPECT_EQ(*ParseResolution(R"({"resolution": null})"), std::nullopt);
  EXPECT_EQ(*ParseResolution(R"({"resolution": "  rebooted "})"), "rebooted");
  EXPECT_EQ(ParseResolution("{").error().code, core::Code::kBadRequest);
  EXPECT_EQ(ParseResolution("[]").error().code, core::Code::kInvalid);
  EXPECT_EQ(ErrorFields(ParseResolution(R"({"resolution": 5})")), std::set<std::string>{"resolution"});
  EXPECT_EQ(ErrorFields(ParseResolution(R"({"status": "resolved"})")), std::set<std::string>{"status"});
}

TEST(ParseCommentTest, NeedsABody) {
  EXPECT_EQ(*ParseComment({{"body", " Thanks! "}}), "Thanks!");
  EXPECT_EQ(ErrorFields(ParseComment(json::object())), std::set<std::string>{"body"});
  EXPECT_EQ(ErrorFields(ParseComment({{"body", ""}})), std::set<std::string>{"body"});
  EXPECT_EQ(ErrorFields(ParseComment({{"body", nullptr}})), std::set<std::string>{"body"});
  EXPECT_EQ(ErrorFields(ParseComment({{"body", std::string(kMaxTextLength + 1, 'x')}})),
            std::set<std::string>{"body"});
  EXPECT_EQ(ErrorFields(ParseComment({{"body", "x"}, {"author", "me"}})),
            std::set<std::string>{"author"});
}

TEST(TicketTest, JsonHasEveryFieldAndActorsNameTheirKind) {
  Ticket ticket = InStatus(S::kInProgress);
  ticket.created_by = ActorOf({core::Principal::Kind::kUser, "u1", core::Role::kAgent, ""});
  const json out = ticket.ToJson();
  for (const char* key : {"id", "customer_id", "interaction_id", "title", "description", "status",
                          "priority", "assignee_id", "created_by", "resolution", "resolved_at",
                          "created_at", "updated_at"}) {
    EXPECT_TRUE(out.contains(key)) << key;
  }
  EXPECT_EQ(out["status"], "in_progress");
  EXPECT_EQ(out["created_by"], json({{"kind", "user"}, {"id", "u1"}}));
  core::Principal portal{core::Principal::Kind::kPortal, "account-1", core::Role::kAgent, "c1"};
  EXPECT_EQ(ActorOf(portal), (Actor{"customer", "c1"}));
  EXPECT_EQ(ticket.Summary(), "Ticket: Printer on fire (in_progress, normal)");
}

TEST(ParseTicketFilterTest, NamesTheBadParameter) {
  struct Case {
    std::map<std::string, std::string> params;
    std::string bad;
  };
  const Case cases[] = {
      {{}, ""},
      {{{"status", "open,in_progress"}, {"priority", "high,urgent"}}, ""},
      {{{"status", "pending"}}, "status"},
      {{{"priority", "p1"}}, "priority"},
      {{{"customer_id", "1"}}, "customer_id"},
      {{{"assignee_id", "me"}}, "assignee_id"},
      {{{"interaction_id", "x"}}, "interaction_id"},
      {{{"created_after", "soon"}}, "created_after"},
      {{{"created_before", "2026-01-01"}}, ""},
  };
  for (const Case& c : cases) {
    auto filter = ParseTicketFilter([&](std::string_view name) -> std::optional<std::string_view> {
      auto it = c.params.find(std::string(name));
      if (it == c.params.end()) return std::nullopt;
      return it->second;
    });
    if (c.bad.empty()) {
      EXPECT_TRUE(filter);
    } else {
      ASSERT_FALSE(filter) << c.bad;
      EXPECT_EQ(filter.error().code, core::Code::kBadRequest);
      EXPECT_EQ(filter.error().errors.at(0).field, c.bad);
    }
  }
}

}  // namespace
}  // namespace rapport::tickets
