#include "tickets/ticket_service.hpp"

#include <gtest/gtest.h>

#include "tickets/activity_test_fixture.hpp"

namespace rapport::tickets::testing {
namespace {

class TicketServiceTest : public ActivityServiceTest {
 protected:
  core::Result<Ticket> Raise(const core::Principal& who, const std::string& title,
                             const std::optional<std::string>& customer_id = std::nullopt) {
    TicketInput input;
    input.title = Given(title);
    if (customer_id) input.customer_id = Given(*customer_id);
    return tickets_->Create(who, input);
  }
};

TEST_P(TicketServiceTest, PortalRaisesTicketsForItsOwnCustomerOnly) {
  auto raised = Raise(portal_, "My printer is on fire");
  ASSERT_TRUE(raised) << raised.error().detail;
  EXPECT_EQ(raised->customer_id, mine_);
  EXPECT_EQ(raised->created_by, (Actor{"customer", mine_}));
  EXPECT_EQ(raised->status, TicketStatus::kOpen);
  EXPECT_EQ(raised->priority, "normal");

  // Naming its own customer is fine; naming another is the same as naming none that exists.
  EXPECT_TRUE(Raise(portal_, "Again", mine_));
  auto foreign = Raise(portal_, "Not mine", theirs_);
  ASSERT_FALSE(foreign);
  EXPECT_EQ(foreign.error().code, core::Code::kInvalid);
  EXPECT_EQ(foreign.error().errors.at(0).field, "customer_id");

  // Staff-only fields are refused.
  TicketInput assigned;
  assigned.title = Given(std::string("Assign it"));
  assigned.assignee_id = Given(agent_.id);
  EXPECT_EQ(tickets_->Create(portal_, assigned).error().code, core::Code::kForbidden);

  // A portal principal without a customer raises nothing.
  core::Principal orphan{core::Principal::Kind::kPortal, core::NewId(), core::Role::kAgent, ""};
  EXPECT_EQ(Raise(orphan, "Who am I").error().code, core::Code::kInvalid);
}

TEST_P(TicketServiceTest, PortalSeesListsResolvesAndCommentsOnItsOwnTickets) {
  auto own = Raise(portal_, "Own ticket");
  auto staff_raised = Raise(agent_, "Raised by the agent", mine_);
  auto foreign = Raise(admin_, "Someone else's", theirs_);
  ASSERT_TRUE(own && staff_raised && foreign);

  auto page = tickets_->List(portal_, {}, FirstPage());
  ASSERT_TRUE(page);
  ASSERT_EQ(page->data.size(), 2u);  // both tickets of its customer, whoever raised them
  for (const Ticket& ticket : page->data) EXPECT_EQ(ticket.customer_id, mine_);

  EXPECT_TRUE(tickets_->Get(portal_, own->id));
  EXPECT_EQ(tickets_->Get(portal_, foreign->id).error().code, core::Code::kNotFound);
  EXPECT_EQ(tickets_->Resolve(portal_, foreign->id, std::nullopt, std::nullopt).error().code,
            core::Code::kNotFound);
  EXPECT_EQ(tickets_->AddComment(portal_, foreign->id, "hello").error().code,
            core::Code::kNotFound);
  EXPECT_EQ(tickets_->ListComments(portal_, foreign->id, FirstPage()).error().code,
            core::Code::kNotFound);

  auto comment = tickets_->AddComment(portal_, own->id, "Still burning");
  ASSERT_TRUE(comment);
  EXPECT_EQ(comment->author, (Actor{"customer", mine_}));
  ASSERT_TRUE(tickets_->AddComment(agent_, own->id, "On my way"));
  auto comments = tickets_->ListComments(portal_, own->id, FirstPage());
  ASSERT_TRUE(comments);
  ASSERT_EQ(comments->data.size(), 2u);

  auto resolved = tickets_->Resolve(portal_, own->id, "It stopped", std::nullopt);
  ASSERT_TRUE(resolved) << resolved.error().detail;
  EXPECT_EQ(resolved->status, TicketStatus::kResolved);
  EXPECT_EQ(resolved->resolution, "It stopped");
  EXPECT_TRUE(resolved->resolved_at);
  EXPECT_EQ(tickets_->Resolve(portal_, own->id, std::nullopt, std::nullopt).error().code,
            core::Code::kConflict);
}

TEST_P(TicketServiceTest, PortalDoesNothingElse) {
  auto own = Raise(portal_, "Own ticket");
  ASSERT_TRUE(own);
  TicketInput changes;
  changes.priority = Given(std::string("urgent"));
  EXPECT_EQ(tickets_->Update(portal_, own->id, changes, std::nullopt).error().code,
            core::Code::kForbidden);
  ASSERT_TRUE(tickets_->Resolve(portal_, own->id, std::nullopt, std::nullopt));
  EXPECT_EQ(tickets_->Reopen(portal_, own->id, std::nullopt).error().code, core::Code::kForbidden);
  EXPECT_EQ(tickets_->Delete(portal_, own->id, std::nullopt).error().code, core::Code::kForbidden);
  core::Principal anonymous;
  EXPECT_EQ(Raise(anonymous, "x", mine_).error().code, core::Code::kForbidden);
  auto none = tickets_->List(anonymous, {}, FirstPage());
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->data.empty());
}

TEST_P(TicketServiceTest, AgentsSeeTicketsOfTheirCustomersOnly) {
  auto own = Raise(agent_, "Mine", mine_);
  ASSERT_TRUE(own);
  EXPECT_EQ(Raise(agent_, "Theirs", theirs_).error().errors.at(0).field, "customer_id");
  EXPECT_EQ(tickets_->Get(other_agent_, own->id).error().code, core::Code::kNotFound);
  EXPECT_EQ(tickets_->Delete(other_agent_, own->id, std::nullopt).error().code,
            core::Code::kNotFound);
  EXPECT_EQ(tickets_->Delete(agent_, own->id, std::nullopt).error().code, core::Code::kForbidden);
  auto listed = tickets_->List(other_agent_, {}, FirstPage());
  ASSERT_TRUE(listed);
  EXPECT_TRUE(listed->data.empty());
  EXPECT_TRUE(tickets_->Delete(admin_, own->id, std::nullopt));
}

// The right to erasure: the database itself removes everything hanging off a customer.
TEST_P(TicketServiceTest, ErasingACustomerErasesTheirInteractionsTicketsAndComments) {
  interactions::InteractionInput call;
  call.customer_id = Given(mine_);
  call.type = Given(std::string("call"));
  call.title = Given(std::string("Call"));
  auto interaction = interactions_->Create(agent_, call);
  ASSERT_TRUE(interaction);
  TicketInput input;
  input.customer_id = Given(mine_);
  input.title = Given(std::string("Linked"));
  input.interaction_id = Given(interaction->id);
  auto linked = tickets_->Create(agent_, input);
  ASSERT_TRUE(linked) << linked.error().detail;
  auto raised = Raise(portal_, "From the portal");
  ASSERT_TRUE(raised);
  ASSERT_TRUE(tickets_->AddComment(portal_, raised->id, "personal data"));
  ASSERT_TRUE(tickets_->AddComment(agent_, linked->id, "more personal data"));
  auto kept = Raise(admin_, "Someone else's", theirs_);
  ASSERT_TRUE(kept);
  ASSERT_TRUE(tickets_->AddComment(admin_, kept->id, "stays"));

  auto count = [&](const std::string& sql) {
    return database_->Read([&](db::Session& s) { return s.Scalar(db::Query(sql)); });
  };
  EXPECT_EQ(count("SELECT count(*) FROM ticket_comments"), 3);
  ASSERT_TRUE(customers_->Delete(admin_, mine_, std::nullopt));
  EXPECT_EQ(count("SELECT count(*) FROM interactions"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM tickets"), 1);
  EXPECT_EQ(count("SELECT count(*) FROM ticket_comments"), 1);
  EXPECT_TRUE(tickets_->Get(admin_, kept->id));
}

INSTANTIATE_TEST_SUITE_P(Engines, TicketServiceTest,
                         db::test::kEngines, db::test::EngineName);

}  // namespace
}  // namespace rapport::tickets::testing
