#include "email/engagement_recorder.hpp"

#include <gtest/gtest.h>

#include "core/ids.hpp"
#include "core/time.hpp"
#include "db/test_database.hpp"
#include "email/email_store.hpp"
#include "email/tracking.hpp"

namespace rapport::email {
namespace {

class EngagementRecorderTest : public ::testing::TestWithParam<db::Engine> {
 protected:
  void SetUp() override {
    RAPPORT_SKIP_UNLESS_ENGINE(GetParam());
    database_ = db::test::OpenMigrated(GetParam());
    store_ = std::make_unique<EmailStore>(database_->engine());
  }

  // A sent email with a pixel and one tracked link; returns it and its tracking.
  std::pair<Email, TrackedHtml> SentEmail() {
    Email email;
    email.id = core::NewId();
    email.to = "grace@example.org";
    email.subject = "Hi";
    email.text = "x";
    email.message_id = email.id + "@example.com";
    email.reply_tag = email.id.substr(0, 8) + "0000000000000000";
    email.created_at = email.updated_at = core::FormatTimestamp(core::Now());
    TrackedHtml tracked =
        AddTracking("<a href=\"https://example.org/x\">x</a>", "https://crm.test", true, true);
    database_->Apply([&](db::Session& tx) {
      store_->Insert(tx, email);
      store_->InsertTokens(tx, email.id, tracked, email.created_at);
    });
    return {email, tracked};
  }

  Engagement EngagementOf(const Email& email) {
    return database_->Read([&](db::Session& s) { return store_->EngagementOf(s, email); });
  }

  std::unique_ptr<db::Database> database_;
  std::unique_ptr<EmailStore> store_;
};

TEST_P(EngagementRecorderTest, WritesKnownOpensAndClicksAndDropsUnknownTokens) {
  auto [email, tracked] = SentEmail();
  EngagementRecorder recorder(*database_, *store_, {});
  recorder.RecordOpen(tracked.pixel->value, "Mail/1", "192.0.2.7");
  recorder.RecordOpen(tracked.pixel->value, "Mail/1", "192.0.2.7");
  recorder.RecordOpen(tracked.pixel->value, "Mail/2", "192.0.2.7");
  recorder.RecordOpen(NewToken().value, "Mail/1", "192.0.2.7");      // unknown
  recorder.RecordOpen(tracked.links[0].token.value, "Mail/1", "x");  // a click token
  auto link = database_->Read(
      [&](db::Session& s) { return store_->FindLink(s, tracked.links[0].token.hash); });
  ASSERT_TRUE(link);
  EXPECT_EQ(link->url, "https://example.org/x");
  recorder.RecordClick(*link, "Mail/1", "192.0.2.7");
  recorder.Flush();
  EXPECT_EQ(recorder.written(), 4u);
  EXPECT_EQ(recorder.dropped(), 0u);

  const Engagement engagement = EngagementOf(email);
  EXPECT_EQ(engagement.opens, 3);
  EXPECT_EQ(engagement.unique_opens, 2);  // two user agents from one address
  EXPECT_EQ(engagement.clicks, 1);
  ASSERT_EQ(engagement.links.size(), 1u);
  EXPECT_EQ(engagement.links[0].clicks, 1);
  EXPECT_TRUE(engagement.first_opened_at);
}

TEST_P(EngagementRecorderTest, TheVisitorKeyOutlivesTheRecorder) {
  auto [email, tracked] = SentEmail();
  {
    EngagementRecorder first(*database_, *store_, {});
    first.RecordOpen(tracked.pixel->value, "Mail/1", "192.0.2.7");
  }  // written when it stops
  EngagementRecorder second(*database_, *store_, {});
  second.RecordOpen(tracked.pixel->value, "Mail/1", "192.0.2.7");
  second.Flush();
  const Engagement engagement = EngagementOf(email);
  EXPECT_EQ(engagement.opens, 2);
  EXPECT_EQ(engagement.unique_opens, 1);  // the same visitor hash across restarts
}

TEST_P(EngagementRecorderTest, DropsWhatDoesNotFitAndCountsIt) {
  auto [email, tracked] = SentEmail();
  EngagementRecorder recorder(*database_, *store_,
                              {.interval = std::chrono::hours(1), .capacity = 3});
  for (int i = 0; i < 5; ++i) recorder.RecordOpen(tracked.pixel->value, "Mail/1", "192.0.2.7");
  EXPECT_EQ(recorder.dropped(), 2u);
  recorder.Flush();
  EXPECT_EQ(EngagementOf(email).opens, 3);
}

INSTANTIATE_TEST_SUITE_P(Engines, EngagementRecorderTest, db::test::kEngines, db::test::EngineName);

}  // namespace
}  // namespace rapport::email
