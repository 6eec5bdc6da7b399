#include "notifications/notification_service.hpp"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>

#include "auth/auth_service.hpp"
#include "auth/user_service.hpp"
#include "core/ids.hpp"
#include "core/time.hpp"
#include "db/migrations.hpp"
#include "db/test_database.hpp"
#include "email/email_service.hpp"
#include "tickets/activity_test_fixture.hpp"

namespace rapport::notifications {
namespace {

class NotificationServiceTest : public tickets::testing::ActivityServiceTest {
 protected:
  void SetUp() override {
    ActivityServiceTest::SetUp();
    if (IsSkipped()) return;
    auth_ = std::make_unique<auth::AuthService>(*database_, "unit-test-secret-0123456789abcdef0123");
    users_ = std::make_unique<auth::UserService>(*database_, *auth_);
    emails_ = std::make_unique<email::EmailService>(*database_, *customers_, email::MailSettings{});
    service_ = std::make_unique<NotificationService>(*database_, *users_, *customers_,
                                                     *interactions_, *emails_, StreamOptions{},
                                                     nullptr);
    service_->Attach(*interactions_, *tickets_, *emails_);
  }

  NewNotification Input(const std::string& key) const {
    return {.user_id = agent_.id,
            .kind = std::string(kImportFinished),
            .message = "Import finished:\n120 inserted",
            .subject = {"import", "imp-1"},
            .event_time = "2026-12-01T10:00:00+01:00",
            .dedupe_key = key};
  }

  core::Result<std::optional<Notification>> Create(const NewNotification& input) {
    return database_->Write([&](db::Session& tx) { return service_->Create(tx, input); });
  }

  int64_t Count(const std::string& table) {
    return database_->Read(
        [&](db::Session& s) { return s.Scalar(db::Query("SELECT count(*) FROM " + table)); });
  }

  std::unique_ptr<auth::AuthService> auth_;
  std::unique_ptr<auth::UserService> users_;
  std::unique_ptr<email::EmailService> emails_;
  std::unique_ptr<NotificationService> service_;
};

TEST_P(NotificationServiceTest, CreatesOncePerUserAndKey) {
  auto first = Create(Input("import_finished:imp-1"));
  ASSERT_TRUE(first) << first.error().detail;
  ASSERT_TRUE(first->has_value());
  EXPECT_EQ((*first)->message, "Import finished: 120 inserted");  // one line
  EXPECT_EQ((*first)->event_time, "2026-12-01T09:00:00Z");        // UTC
  auto again = Create(Input("import_finished:imp-1"));
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->has_value());
  EXPECT_EQ(Count("notifications"), 1);
  // Another key, or another user with the same key, is another notification.
  ASSERT_TRUE(Create(Input("import_finished:imp-2")));
  NewNotification other = Input("import_finished:imp-1");
  other.user_id = other_agent_.id;
  ASSERT_TRUE(Create(other));
  EXPECT_EQ(Count("notifications"), 3);
  // No email copies: nobody opted in.
  EXPECT_EQ(Count("emails"), 0);
}

TEST_P(NotificationServiceTest, RefusesBadInputAndUnknownUsers) {
  NewNotification bad = Input("");
  bad.kind = "birthday";
  bad.event_time = "yesterday";
  bad.message = "\n";
  auto refused = Create(bad);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().errors.size(), 4u);
  NewNotification nobody = Input("k");
  nobody.user_id = core::NewId();
  auto unknown = Create(nobody);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().errors.at(0).field, "user_id");
  EXPECT_EQ(Count("notifications"), 0);
}

TEST_P(NotificationServiceTest, OptedInUsersGetAnEmailInTheSameTransaction) {
  database_->Apply([&](db::Session& s) {
    s.Exec(db::Query("UPDATE users SET notify_by_email = 1 WHERE id = ").Param(agent_.id));
  });
  auto created = Create(Input("import_finished:imp-1"));
  ASSERT_TRUE(created && created->has_value());
  EXPECT_TRUE((*created)->notified_at.has_value());
  EXPECT_EQ(Count("emails"), 1);
  // Rolled back with the caller's transaction: neither remains.
  auto rolled_back = database_->Write([&](db::Session& tx) -> core::Status {
    auto made = service_->Create(tx, Input("import_finished:imp-9"));
    EXPECT_TRUE(made && made->has_value());
    return core::Error::Conflict("the caller's write failed");
  });
  EXPECT_FALSE(rolled_back);
  EXPECT_EQ(Count("notifications"), 1);
  EXPECT_EQ(Count("emails"), 1);
}

TEST_P(NotificationServiceTest, UsersSeeAndMarkOnlyTheirOwn) {
  auto created = Create(Input("import_finished:imp-1"));
  ASSERT_TRUE(created && created->has_value());
  const std::string id = (*created)->id;
  EXPECT_FALSE(service_->Get(other_agent_, id));
  EXPECT_FALSE(service_->MarkRead(other_agent_, id));
  EXPECT_EQ(*service_->MarkAllRead(other_agent_), 0);
  auto read = service_->MarkRead(agent_, id);
  ASSERT_TRUE(read);
  ASSERT_TRUE(read->read_at.has_value());
  EXPECT_EQ(service_->MarkRead(agent_, id)->read_at, read->read_at);
  EXPECT_EQ(*service_->MarkAllRead(agent_), 0);
  auto portal = service_->List(portal_, {}, FirstPage());
  ASSERT_FALSE(portal);
  EXPECT_EQ(portal.error().code, core::Code::kForbidden);
  EXPECT_EQ(service_->List(agent_, {.unread_only = true}, FirstPage())->data.size(), 0u);
  EXPECT_EQ(service_->List(agent_, {}, FirstPage())->data.size(), 1u);
}

TEST_P(NotificationServiceTest, AReminderJobNotifiesOnceAndOnlyWhileItStillHolds) {
  interactions::InteractionInput input;
  input.customer_id = Given(mine_);
  input.type = Given(std::string("meeting"));
  input.title = Given(std::string("Review"));
  input.status = Given(std::string("planned"));
  const std::string at = core::FormatTimestamp(core::Now() + std::chrono::minutes(5));
  input.scheduled_at = Given(at);
  auto meeting = interactions_->Create(agent_, input);
  ASSERT_TRUE(meeting) << meeting.error().detail;
  // The change enqueued a job due now (5 minutes away, reminded 15 before).
  EXPECT_EQ(database_->Read([&](db::Session& s) {
    return s.Scalar(db::Query("SELECT count(*) FROM jobs WHERE dedupe_key = ")
                        .Param("reminder:" + meeting->id + ":" + at));
  }), 1);
  jobs::Job job{.id = core::NewId(), .kind = std::string(NotificationService::kReminderJob),
                .payload = {{"interaction_id", meeting->id}, {"scheduled_at", at}}};
  EXPECT_EQ(service_->RunReminder(job).kind(), jobs::Outcome::Kind::kDone);
  EXPECT_EQ(service_->RunReminder(job).kind(), jobs::Outcome::Kind::kDone);  // a second run
  auto mine = service_->List(agent_, {}, FirstPage());
  ASSERT_EQ(mine->data.size(), 1u);
  EXPECT_EQ(mine->data[0].kind, "reminder");
  EXPECT_EQ(mine->data[0].event_time, at);
  // A job for a time the meeting no longer has does nothing.
  jobs::Job stale = job;
  stale.payload["scheduled_at"] = "2026-01-01T00:00:00Z";
  EXPECT_EQ(service_->RunReminder(stale).kind(), jobs::Outcome::Kind::kDone);
  // A bad payload fails for good.
  jobs::Job broken = job;
  broken.payload = {{"interaction_id", 5}};
  EXPECT_EQ(service_->RunReminder(broken).kind(), jobs::Outcome::Kind::kFail);
  EXPECT_EQ(service_->List(agent_, {}, FirstPage())->data.size(), 1u);
}

TEST(NotificationTest, IdFloorOrdersWithUuidV7Ids) {
  const auto now = std::chrono::system_clock::now();
  const std::string id = core::NewId();
  EXPECT_LE(IdFloor(now - std::chrono::seconds(1)), id);
  EXPECT_GT(IdFloor(now + std::chrono::seconds(1)), id);
  auto time = IdTime(id);
  ASSERT_TRUE(time.has_value());
  EXPECT_LT(std::chrono::abs(*time - now), std::chrono::seconds(2));
  EXPECT_FALSE(IdTime("not-a-uuid").has_value());
}

TEST(NotificationTest, EventsAreOneSseBlockAndFiltersAreChecked) {
  Notification n{.id = "01a2", .user_id = "u", .kind = "reminder", .message = "m",
                 .subject = {"interaction", "i"}, .event_time = "t", .created_at = "c"};
  const std::string event = n.ToEvent();
  EXPECT_EQ(event.rfind("id: 01a2\nevent: notification\ndata: {", 0), 0u) << event;
  EXPECT_EQ(event.find('\n', event.find("data: ")), event.size() - 2);  // one data line
  auto lookup = [](std::map<std::string, std::string> values) {
    return [values](std::string_view name) -> std::optional<std::string_view> {
      auto it = values.find(std::string(name));
      if (it == values.end()) return std::nullopt;
      return std::string_view(it->second);
    };
  };
  EXPECT_TRUE(ParseNotificationFilter(lookup({{"unread", "true"}}))->unread_only);
  EXPECT_FALSE(ParseNotificationFilter(lookup({{"unread", "0"}}))->unread_only);
  EXPECT_FALSE(ParseNotificationFilter(lookup({{"unread", "maybe"}})));
  EXPECT_FALSE(ParseNotificationFilter(lookup({{"kind", "birthday"}})));
  EXPECT_EQ(ParseNotificationFilter(lookup({{"kind", "reminder,ticket_raised"}}))->kinds->size(), 2u);
}

INSTANTIATE_TEST_SUITE_P(Engines, NotificationServiceTest, db::test::kEngines,
                         db::test::EngineName);

}  // namespace
}  // namespace rapport::notifications
