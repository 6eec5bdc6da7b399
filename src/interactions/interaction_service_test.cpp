#include "interactions/interaction_service.hpp"

#include <gtest/gtest.h>

#include "tickets/activity_test_fixture.hpp"

namespace rapport::interactions {
namespace {

class InteractionServiceTest : public tickets::testing::ActivityServiceTest {
 protected:
  core::Result<Interaction> Record(const core::Principal& who, const std::string& customer_id,
                                   const std::string& type,
                                   const std::optional<std::string>& scheduled_at = std::nullopt) {
    InteractionInput input;
    input.customer_id = Given(customer_id);
    input.type = Given(type);
    input.title = Given("A " + type);
    if (scheduled_at) input.scheduled_at = Given(*scheduled_at);
    return interactions_->Create(who, input);
  }
  std::optional<std::string> LastInteractionAt(const std::string& customer_id) {
    return customers_->Get(admin_, customer_id)->last_interaction_at;
  }
};

TEST_P(InteractionServiceTest, PortalSeesOnlyTheMeetingsOfItsOwnCustomer) {
  auto meeting = Record(agent_, mine_, "meeting", "2026-11-22T14:00:00Z");
  auto call = Record(agent_, mine_, "call");
  auto foreign = Record(admin_, theirs_, "meeting");
  ASSERT_TRUE(meeting && call && foreign);

  auto page = interactions_->List(portal_, {}, FirstPage());
  ASSERT_TRUE(page);
  ASSERT_EQ(page->data.size(), 1u);
  EXPECT_EQ(page->data[0].id, meeting->id);
  // Even when it asks for other types or another customer.
  InteractionFilter sneaky;
  sneaky.types = std::vector<std::string>{"call", "meeting"};
  EXPECT_EQ(interactions_->List(portal_, sneaky, FirstPage())->data.size(), 1u);
  sneaky.customer_id = theirs_;
  EXPECT_TRUE(interactions_->List(portal_, sneaky, FirstPage())->data.empty());

  EXPECT_TRUE(interactions_->Get(portal_, meeting->id));
  EXPECT_EQ(interactions_->Get(portal_, call->id).error().code, core::Code::kNotFound);
  EXPECT_EQ(interactions_->Get(portal_, foreign->id).error().code, core::Code::kNotFound);

  // And writes nothing.
  EXPECT_EQ(Record(portal_, mine_, "meeting").error().code, core::Code::kForbidden);
  EXPECT_EQ(interactions_->Update(portal_, meeting->id, {}, std::nullopt).error().code,
            core::Code::kForbidden);
  EXPECT_EQ(interactions_->Delete(portal_, meeting->id, std::nullopt).error().code,
            core::Code::kForbidden);
}

TEST_P(InteractionServiceTest, KeepsLastInteractionAtTrue) {
  EXPECT_EQ(LastInteractionAt(mine_), std::nullopt);
  // Planned: not yet an interaction that happened.
  auto planned = Record(agent_, mine_, "meeting", "2020-03-01T10:00:00Z");
  ASSERT_TRUE(planned);
  EXPECT_EQ(LastInteractionAt(mine_), std::nullopt);

  // Done with a past scheduled time: happened then.
  InteractionInput done;
  done.status = Given(std::string("done"));
  auto held = interactions_->Update(agent_, planned->id, done, std::nullopt);
  ASSERT_TRUE(held);
  EXPECT_EQ(LastInteractionAt(mine_), "2020-03-01T10:00:00Z");

  // A note is recorded done, now: it is the latest.
  auto note = Record(agent_, mine_, "note");
  ASSERT_TRUE(note);
  EXPECT_EQ(note->status, "done");
  EXPECT_EQ(LastInteractionAt(mine_), note->completed_at);

  // Cancelling or deleting the latest falls back to the one before.
  InteractionInput cancel;
  cancel.status = Given(std::string("cancelled"));
  ASSERT_TRUE(interactions_->Update(agent_, note->id, cancel, std::nullopt));
  EXPECT_EQ(LastInteractionAt(mine_), "2020-03-01T10:00:00Z");
  ASSERT_TRUE(interactions_->Delete(agent_, planned->id, std::nullopt));
  EXPECT_EQ(LastInteractionAt(mine_), std::nullopt);
  // Other customers are untouched.
  EXPECT_EQ(LastInteractionAt(theirs_), std::nullopt);
}

TEST_P(InteractionServiceTest, AgentsRecordAsThemselvesOnCustomersTheySee) {
  InteractionInput input;
  input.customer_id = Given(mine_);
  input.type = Given(std::string("call"));
  input.title = Given(std::string("Call"));
  input.user_id = Given(other_agent_.id);
  EXPECT_EQ(interactions_->Create(agent_, input).error().code, core::Code::kForbidden);
  input.user_id = Given(agent_.id);
  auto mine = interactions_->Create(agent_, input);
  ASSERT_TRUE(mine);
  EXPECT_EQ(mine->user_id, agent_.id);

  auto hidden = Record(agent_, theirs_, "call");
  ASSERT_FALSE(hidden);
  EXPECT_EQ(hidden.error().code, core::Code::kInvalid);
  EXPECT_EQ(hidden.error().errors.at(0).field, "customer_id");
  EXPECT_EQ(interactions_->Get(other_agent_, mine->id).error().code, core::Code::kNotFound);

  // Admins record as anyone, but only as a user that exists.
  input.user_id = Given(core::NewId());
  auto ghost = interactions_->Create(admin_, input);
  ASSERT_FALSE(ghost);
  EXPECT_EQ(ghost.error().errors.at(0).field, "user_id");
}

INSTANTIATE_TEST_SUITE_P(Engines, InteractionServiceTest,
                         db::test::kEngines, db::test::EngineName);

}  // namespace
}  // namespace rapport::interactions
