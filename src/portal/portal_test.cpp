#include "portal/portal.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

namespace rapport::portal {
namespace {

std::set<std::string> Fields(const core::Error& error) {
  std::set<std::string> fields;
  for (const auto& e : error.errors) fields.insert(e.field);
  return fields;
}

TEST(PortalTest, SignupReadsItsFieldsAndRefusesTheRest) {
  auto ok = ParseSignup({{"name", " Ada "},
                         {"email", "Ada@Example.org"},
                         {"password", "long enough password"},
                         {"company", "Engines"},
                         {"phone", ""}});
  ASSERT_TRUE(ok) << ok.error().detail;
  EXPECT_EQ(ok->name, "Ada");
  EXPECT_EQ(ok->company, "Engines");
  EXPECT_FALSE(ok->phone.has_value());  // "" reads as absent

  auto missing = ParseSignup(nlohmann::json::object());
  ASSERT_FALSE(missing);
  EXPECT_EQ(Fields(missing.error()), (std::set<std::string>{"name", "email", "password"}));
  auto bad = ParseSignup({{"name", "A"},
                          {"email", "nope"},
                          {"password", "short"},
                          {"customer_id", "x"},
                          {"role", "admin"}});
  ASSERT_FALSE(bad);
  EXPECT_EQ(Fields(bad.error()),
            (std::set<std::string>{"email", "password", "customer_id", "role"}));
}

TEST(PortalTest, TicketsAndCommentsLeaveStaffFieldsOut) {
  tickets::Ticket ticket;
  ticket.id = "t";
  ticket.customer_id = "c";
  ticket.assignee_id = "staff";
  ticket.interaction_id = "i";
  ticket.title = "Broken";
  ticket.created_by = {"user", "staff"};
  const nlohmann::json out = TicketJson(ticket);
  for (const char* field : {"customer_id", "assignee_id", "interaction_id"}) {
    EXPECT_FALSE(out.contains(field)) << field;
  }
  EXPECT_EQ(out["created_by"], nlohmann::json({{"kind", "user"}}));
  tickets::TicketComment comment;
  comment.id = "k";
  comment.body = "hi";
  comment.author = {"user", "staff"};
  EXPECT_EQ(CommentJson(comment)["author"], nlohmann::json({{"kind", "user"}}));
}

TEST(PortalTest, OnlyCustomerFiltersAreRead) {
  std::map<std::string, std::string> values = {{"status", "open"}, {"assignee_id", "not-an-id"}};
  auto lookup = [&](std::string_view name) -> std::optional<std::string_view> {
    auto it = values.find(std::string(name));
    if (it == values.end()) return std::nullopt;
    return std::string_view(it->second);
  };
  auto filter = ParseTicketFilter(lookup);
  ASSERT_TRUE(filter) << filter.error().detail;  // assignee_id is not read, so not refused
  values = {{"status", "sleeping"}};
  EXPECT_FALSE(ParseTicketFilter(lookup));
  values = {{"from", "yesterday"}};
  EXPECT_FALSE(ParseInteractionFilter(lookup));
}

}  // namespace
}  // namespace rapport::portal
