#include "email/email_service.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "companies/company_service.hpp"
#include "core/ids.hpp"
#include "core/time.hpp"
#include "customers/customer_service.hpp"
#include "db/test_database.hpp"
#include "email/email_timeline.hpp"

namespace rapport::email {
namespace {

// The service on a real database in development mode (no SMTP): delivery marks emails sent
// in the outbox, so the job handler can be driven directly.
class EmailServiceTest : public ::testing::TestWithParam<db::Engine> {
 protected:
  void SetUp() override {
    RAPPORT_SKIP_UNLESS_ENGINE(GetParam());
    database_ = db::test::OpenMigrated(GetParam());
    companies_ = std::make_unique<companies::CompanyService>(*database_);
    customers_ = std::make_unique<customers::CustomerService>(*database_, *companies_);
    auto settings = ParseMailSettings({}, "https://crm.test", "secret");
    ASSERT_TRUE(settings.ok());
    emails_ = std::make_unique<EmailService>(*database_, *customers_, *settings);
    admin_ = db::test::AddUser(*database_, "admin", core::Role::kAdmin);
  }

  // Runs the delivery job of `email` once, as the queue would.
  jobs::Outcome Deliver(const Email& email, int attempt = 1) {
    jobs::Job job;
    job.id = core::NewId();
    job.kind = std::string(EmailService::kDeliveryJob);
    job.payload = {{"email_id", email.id}};
    job.attempt = attempt;
    job.max_attempts = EmailService::kDeliveryAttempts;
    return emails_->Deliver(job);
  }

  std::unique_ptr<db::Database> database_;
  std::unique_ptr<companies::CompanyService> companies_;
  std::unique_ptr<customers::CustomerService> customers_;
  std::unique_ptr<EmailService> emails_;
  core::Principal admin_;
};

TEST_P(EmailServiceTest, QueuesWithItsDeliveryJobInOneTransaction) {
  NewEmail input;
  input.to = "grace@example.org";
  input.subject = "Hello";
  input.text = "x";
  auto email = emails_->Send(admin_, input);
  ASSERT_TRUE(email.ok()) << email.error().detail;
  EXPECT_EQ(email->status, "queued");
  const int64_t jobs = database_->Read([&](db::Session& s) {
    return s.Scalar(db::Query("SELECT count(*) FROM jobs WHERE kind = 'email.send' AND "
                              "dedupe_key = ")
                        .Param("email.send:" + email->id));
  });
  EXPECT_EQ(jobs, 1);

  EXPECT_EQ(Deliver(*email).kind(), jobs::Outcome::Kind::kDone);
  auto sent = emails_->Get(admin_, email->id);
  ASSERT_TRUE(sent.ok());
  EXPECT_EQ(sent->status, "sent");
  EXPECT_EQ(sent->transport, "outbox");
  EXPECT_EQ(sent->attempts, 1);
  // Running the job again (at-least-once) changes nothing.
  EXPECT_EQ(Deliver(*email, 2).kind(), jobs::Outcome::Kind::kDone);
  EXPECT_EQ(emails_->Get(admin_, email->id)->attempts, 1);
}

TEST_P(EmailServiceTest, SystemMessagesAreValidatedUntrackedAndAdminOnly) {
  auto queued = database_->Write([&](db::Session& tx) {
    return emails_->EnqueueSystemMessage(
        tx, {.to = "user@example.com", .to_name = "A User", .subject = "Verify", .text = "t"});
  });
  ASSERT_TRUE(queued.ok());
  EXPECT_EQ(queued->kind, "system");
  EXPECT_FALSE(queued->track_opens);
  EXPECT_FALSE(queued->sender_id);
  core::Principal manager = admin_;
  manager.role = core::Role::kManager;
  EXPECT_FALSE(emails_->Get(manager, queued->id).ok());
  EXPECT_TRUE(emails_->Get(admin_, queued->id).ok());

  auto bad = database_->Write([&](db::Session& tx) {
    return emails_->EnqueueSystemMessage(tx, {.to = "nope", .subject = "a\nb", .text = ""});
  });
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().errors.size(), 3u);
}

TEST_P(EmailServiceTest, ARepliedEmailNotifiesTheListenerOncePerMessage) {
  std::vector<ReplyNotice> notices;
  emails_->SetReplyListener(
      [&](db::Session&, const ReplyNotice& notice) { notices.push_back(notice); });
  NewEmail input;
  input.to = "grace@example.org";
  input.subject = "Proposal";
  input.text = "x";
  auto email = emails_->Send(admin_, input);
  ASSERT_TRUE(email.ok());
  ASSERT_EQ(Deliver(*email).kind(), jobs::Outcome::Kind::kDone);
  const std::string raw = "From: grace@example.org\r\nMessage-ID: <r1@example.org>\r\n"
                          "In-Reply-To: <" + email->message_id +
                          ">\r\nSubject: Re: Proposal\r\n\r\nYes.\r\n";
  auto first = emails_->ReceiveInbound(raw);
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(first->matched);
  EXPECT_FALSE(first->duplicate);
  auto again = emails_->ReceiveInbound(raw);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->duplicate);
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_EQ(notices[0].email_id, email->id);
  EXPECT_EQ(notices[0].sender_id, admin_.id);
  EXPECT_EQ(notices[0].from, "grace@example.org");
  EXPECT_EQ(notices[0].reply_id, *first->reply_id);
}

TEST_P(EmailServiceTest, TheInboundSecretIsCheckedExactly) {
  EXPECT_TRUE(emails_->CheckInboundSecret("Bearer secret").ok());
  EXPECT_TRUE(emails_->CheckInboundSecret("bearer secret").ok());
  for (const char* wrong :
       {"", "Bearer", "Bearer ", "Bearer secre", "Bearer secrets", "Basic secret", "secret"}) {
    auto checked = emails_->CheckInboundSecret(wrong);
    ASSERT_FALSE(checked.ok()) << wrong;
    EXPECT_EQ(checked.error().code, core::Code::kUnauthorized) << wrong;
  }
  auto unconfigured = ParseMailSettings({}, "https://crm.test", "");
  EmailService without(*database_, *customers_, *unconfigured);
  EXPECT_EQ(without.CheckInboundSecret("Bearer secret").error().code, core::Code::kUnavailable);
}

TEST_P(EmailServiceTest, TheTimelineShowsACustomersUserEmailsOnly) {
  auto customer = customers_->Create(
      admin_, *customers::ParseNewCustomer({{"name", "Grace"}, {"email", "grace@example.org"}}));
  ASSERT_TRUE(customer.ok());
  std::vector<std::string> ids;
  for (const char* subject : {"One", "Two", "Three"}) {
    NewEmail input;
    input.customer_id = customer->id;
    input.subject = subject;
    input.text = "x";
    auto email = emails_->Send(admin_, input);
    ASSERT_TRUE(email.ok());
    EXPECT_EQ(email->to, "grace@example.org");
    EXPECT_EQ(email->to_name, "Grace");
    ids.push_back(email->id);
  }
  ASSERT_TRUE(database_
                  ->Write([&](db::Session& tx) {
                    return emails_->EnqueueSystemMessage(
                        tx, {.to = "grace@example.org", .subject = "Verify your account",
                             .text = "secret link", .customer_id = customer->id});
                  })
                  .ok());
  // The source selects the three user emails, not the system message, and loads them.
  const EmailTimelineSource source(GetParam());
  std::vector<std::string> selected;
  database_->Read([&](db::Session& s) {
    db::Query query;
    source.AppendSelect(query, customer->id);
    s.ForEach(query, [&](const db::Row& row) { selected.push_back(row.Text("id")); });
    return 0;
  });
  std::sort(selected.begin(), selected.end());
  const std::string three = ids[2];
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(selected, ids);
  auto items = database_->Read([&](db::Session& s) { return source.Load(s, selected); });
  ASSERT_EQ(items.size(), 3u);
  for (const auto& item : items) {
    if (item.id != three) continue;
    EXPECT_EQ(item.summary, "Email to grace@example.org: Three (queued)");
    EXPECT_EQ(item.data["subject"], "Three");
  }
}

INSTANTIATE_TEST_SUITE_P(Engines, EmailServiceTest, db::test::kEngines, db::test::EngineName);

}  // namespace
}  // namespace rapport::email
