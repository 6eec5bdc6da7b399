#include "campaigns/campaign_service.hpp"

#include <gtest/gtest.h>

#include "companies/company_service.hpp"
#include "core/ids.hpp"
#include "core/time.hpp"
#include "customers/customer_service.hpp"
#include "db/test_database.hpp"
#include "email/mail_settings.hpp"
#include "segments/segment_service.hpp"

namespace rapport::campaigns {
namespace {

// The service on a real database with email in development mode (no SMTP: a delivery is
// kept in the outbox), the delivery jobs run by hand.
class CampaignServiceTest : public ::testing::TestWithParam<db::Engine> {
 protected:
  void SetUp() override {
    RAPPORT_SKIP_UNLESS_ENGINE(GetParam());
    database_ = db::test::OpenMigrated(GetParam());
    companies_ = std::make_unique<companies::CompanyService>(*database_);
    customers_ = std::make_unique<customers::CustomerService>(*database_, *companies_);
    segments_ = std::make_unique<segments::SegmentService>(*database_, *customers_);
    auto settings = email::ParseMailSettings({}, "https://crm.test", "secret");
    ASSERT_TRUE(settings.ok());
    emails_ = std::make_unique<email::EmailService>(*database_, *customers_, *settings);
    campaigns_ = std::make_unique<CampaignService>(*database_, *customers_, *segments_, *emails_,
                                                   CampaignOptions{.rate = 0});
    admin_ = db::test::AddUser(*database_, "admin", core::Role::kAdmin);
  }

  void AddCustomers(int n) {
    for (int i = 0; i < n; ++i) {
      auto input = customers::ParseNewCustomer(
          {{"name", "Customer " + std::to_string(i)},
           {"email", "c" + std::to_string(i) + "@example.org"}});
      ASSERT_TRUE(input.ok());
      ASSERT_TRUE(customers_->Create(admin_, *input).ok());
    }
  }

  Campaign Draft() {
    auto input = ParseNewCampaign(
        {{"name", "Test"},
         {"subject", "Hi {{name}}"},
         {"body", "Hello {{name}}"},
         {"rules", {{"logic", "and"}, {"rules", {{{"field", "email"}, {"op", "is_not_empty"}}}}}}});
    EXPECT_TRUE(input.ok());
    auto campaign = campaigns_->Create(admin_, *input);
    EXPECT_TRUE(campaign.ok());
    return *campaign;
  }

  // Runs every lane's delivery job once, as the queue would.
  void RunLanes(const Campaign& campaign) {
    for (int lane = 0; lane < CampaignService::kLanes; ++lane) {
      jobs::Job job;
      job.id = core::NewId();
      job.kind = std::string(CampaignService::kSendJob);
      job.payload = {{"campaign_id", campaign.id}, {"lane", lane}};
      EXPECT_EQ(campaigns_->Run(job).kind(), jobs::Outcome::Kind::kDone) << "lane " << lane;
    }
  }

  std::vector<LogEntry> LogOf(const Campaign& campaign) {
    core::PageRequest page;
    page.limit = 500;
    page.sort = {{"position", false}, {"id", false}};
    auto log = campaigns_->Log(admin_, campaign.id, {}, page);
    EXPECT_TRUE(log.ok());
    return log.ok() ? log->data : std::vector<LogEntry>{};
  }

  // Puts recipient `position` in the state a crashed run leaves: its email created, the
  // recipient `sending`, the email in `email_status` (queued: killed before SMTP; sending:
  // killed mid-SMTP; sent: killed before the recipient was settled).
  std::string Crashed(const Campaign& campaign, int64_t position, const std::string& email_status) {
    std::string email_id;
    database_->Apply([&](db::Session& tx) {
      std::string address;
      tx.First(db::Query("SELECT c.email FROM campaign_recipients r JOIN customers c ON "
                         "c.id = r.customer_id WHERE r.campaign_id = ")
                   .Param(campaign.id)
                   .Sql(" AND r.position = ")
                   .Param(position),
               [&](const db::Row& row) { address = row.TextAt(0); });
      email::ManagedMessage message;
      message.sender_id = admin_.id;
      message.to = address;
      message.subject = "Hi";
      message.text = "Hello";
      auto email = emails_->CreateManagedMessage(tx, message);
      ASSERT_TRUE(email.ok());
      email_id = email->id;
      tx.Exec(db::Query("UPDATE campaign_recipients SET state = 'sending', attempts = 1, "
                        "email_id = ")
                  .Param(email_id)
                  .Sql(", email = ")
                  .Param(address)
                  .Sql(" WHERE campaign_id = ")
                  .Param(campaign.id)
                  .Sql(" AND position = ")
                  .Param(position));
      if (email_status != "queued") {
        tx.Exec(db::Query("UPDATE emails SET attempts = 1, status = ")
                    .Param(email_status)
                    .Sql(" WHERE id = ")
                    .Param(email_id));
      }
    });
    return email_id;
  }

  int64_t Attempts(const std::string& email_id) {
    return database_->Read([&](db::Session& s) {
      return s.Scalar(db::Query("SELECT attempts FROM emails WHERE id = ").Param(email_id));
    });
  }

  int64_t Count(const std::string& sql) {
    return database_->Read([&](db::Session& s) { return s.Scalar(db::Query(sql)); });
  }

  std::unique_ptr<db::Database> database_;
  std::unique_ptr<companies::CompanyService> companies_;
  std::unique_ptr<customers::CustomerService> customers_;
  std::unique_ptr<segments::SegmentService> segments_;
  std::unique_ptr<email::EmailService> emails_;
  std::unique_ptr<CampaignService> campaigns_;
  core::Principal admin_;
};

TEST_P(CampaignServiceTest, SendsEachRecipientOneEmail) {
  AddCustomers(6);
  Campaign draft = Draft();
  auto sending = campaigns_->Send(admin_, draft.id, {}, std::nullopt);
  ASSERT_TRUE(sending.ok()) << sending.error().detail;
  EXPECT_EQ(sending->status, "sending");
  EXPECT_EQ(sending->audience, 6);
  EXPECT_EQ(Count("SELECT count(*) FROM jobs WHERE kind = 'campaign.send'"),
            CampaignService::kLanes);
  RunLanes(draft);
  auto sent = campaigns_->Get(admin_, draft.id);
  ASSERT_TRUE(sent.ok());
  EXPECT_EQ(sent->status, "sent");
  EXPECT_EQ(sent->stats.sent, 6);
  EXPECT_EQ(Count("SELECT count(*) FROM emails WHERE status = 'sent'"), 6);
  // Running the jobs again (at-least-once) sends nothing more.
  RunLanes(draft);
  EXPECT_EQ(Count("SELECT count(*) FROM emails"), 6);
  for (const LogEntry& row : LogOf(draft)) EXPECT_EQ(row.status, "SENT");
}

TEST_P(CampaignServiceTest, AResumedSendNeverRepeatsAnInterruptedDelivery) {
  AddCustomers(4);
  Campaign draft = Draft();
  ASSERT_TRUE(campaigns_->Send(admin_, draft.id, {}, std::nullopt).ok());
  const std::string before_smtp = Crashed(draft, 2, "queued");
  const std::string mid_smtp = Crashed(draft, 3, "sending");
  const std::string after_smtp = Crashed(draft, 4, "sent");
  RunLanes(draft);

  const std::vector<LogEntry> log = LogOf(draft);
  ASSERT_EQ(log.size(), 4u);
  EXPECT_EQ(log[0].status, "SENT");  // never started: sent now
  EXPECT_EQ(log[1].status, "SENT");  // its email had not reached SMTP: sent now, once
  EXPECT_EQ(log[1].email_id, before_smtp);
  EXPECT_EQ(Attempts(before_smtp), 1);
  EXPECT_EQ(log[2].status, "FAILED");  // may have arrived: not sent again
  EXPECT_NE(log[2].error.value_or("").find("interrupted"), std::string::npos);
  EXPECT_EQ(Attempts(mid_smtp), 1);
  EXPECT_EQ(log[3].status, "SENT");  // it had arrived: recorded, not sent again
  EXPECT_EQ(Attempts(after_smtp), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM emails"), 4);  // one email per recipient
  auto done = campaigns_->Get(admin_, draft.id);
  EXPECT_EQ(done->status, "sent");
  EXPECT_EQ(done->stats.sent, 3);
  EXPECT_EQ(done->stats.failed, 1);
}

TEST_P(CampaignServiceTest, CancellingStopsRecipientsNotStarted) {
  AddCustomers(3);
  Campaign draft = Draft();
  ASSERT_TRUE(campaigns_->Send(admin_, draft.id, {}, std::nullopt).ok());
  Crashed(draft, 1, "queued");  // started before the cancel: still finished
  auto cancelled = campaigns_->Cancel(admin_, draft.id);
  ASSERT_TRUE(cancelled.ok());
  EXPECT_EQ(cancelled->stats.cancelled, 2);
  EXPECT_EQ(cancelled->stats.pending, 1);
  RunLanes(draft);
  const std::vector<LogEntry> log = LogOf(draft);
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[0].status, "SENT");
  EXPECT_EQ(log[1].status, "CANCELLED");
  EXPECT_EQ(log[2].status, "CANCELLED");
  EXPECT_EQ(Count("SELECT count(*) FROM emails"), 1);
  EXPECT_EQ(campaigns_->Get(admin_, draft.id)->status, "cancelled");
  EXPECT_EQ(campaigns_->Cancel(admin_, draft.id).error().code, core::Code::kConflict);
}

TEST_P(CampaignServiceTest, AgentsAndPortalAccountsAreForbidden) {
  Campaign draft = Draft();
  core::Principal agent = admin_;
  agent.role = core::Role::kAgent;
  EXPECT_EQ(campaigns_->Get(agent, draft.id).error().code, core::Code::kForbidden);
  EXPECT_EQ(campaigns_->Send(agent, draft.id, {}, std::nullopt).error().code,
            core::Code::kForbidden);
  core::Principal portal;
  portal.kind = core::Principal::Kind::kPortal;
  EXPECT_EQ(campaigns_->List(portal, {}, {}).error().code, core::Code::kForbidden);
}

INSTANTIATE_TEST_SUITE_P(Engines, CampaignServiceTest, db::test::kEngines, db::test::EngineName);

}  // namespace
}  // namespace rapport::campaigns
