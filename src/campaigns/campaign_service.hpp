#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "campaigns/campaign.hpp"
#include "campaigns/campaign_store.hpp"
#include "core/page.hpp"
#include "core/principal.hpp"
#include "core/result.hpp"
#include "customers/customer_service.hpp"
#include "db/database.hpp"
#include "email/email_service.hpp"
#include "jobs/job.hpp"
#include "jobs/job_queue.hpp"
#include "segments/segment_service.hpp"

namespace rapport::campaigns {

// How fast and how stubbornly campaigns deliver.
struct CampaignOptions {
  // Messages per second this process starts, over all its campaigns (RAPPORT_CAMPAIGN_RATE);
  // 0: as fast as delivery goes.
  double rate = 50;
  // Delivery attempts of one recipient's message (transient SMTP failures are retried).
  int max_attempts = 5;
  // Retry delay after attempt n: min(retry_cap, retry_base * 2^(n-1)).
  std::chrono::milliseconds retry_base{2'000};
  std::chrono::milliseconds retry_cap{60'000};
};

// Email campaigns: drafts with {{placeholders}}, an audience from a saved segment or inline
// rules, fixed (snapshotted into campaign_recipients) when sending starts, and delivery by
// kLanes jobs of kind kSendJob through EmailService (so every message is an email with open and click
// tracking) at the configured rate.
//
// Only admins and managers work with campaigns (Forbidden for agents and portal accounts):
// a campaign reaches customers of every owner, and its log lists them.
//
// At most one message per recipient, also across crashes: a recipient's email is created
// in the transaction that marks the recipient `sending`, and EmailService::DeliverOnce never
// repeats an attempt that was cut off mid-delivery (see docs/api/campaigns.md).
//
// Errors: NotFound (missing or malformed id), Invalid naming the field, Conflict for an
// illegal transition, PreconditionFailed (stale If-Match), Forbidden. Thread-safe.
class CampaignService {
 public:
  static constexpr std::string_view kSendJob = "campaign.send";
  // Jobs that deliver one campaign side by side, each taking the recipients whose
  // position % kLanes is its lane (the rate is shared, so lanes only hide latency).
  static constexpr int kLanes = 4;

  // The services must outlive this one.
  CampaignService(db::Database& database, customers::CustomerService& customers,
                  segments::SegmentService& segments, email::EmailService& email,
                  CampaignOptions options);
  ~CampaignService();

  core::Result<core::PageOf<Campaign>> List(const core::Principal& who,
                                            const CampaignFilter& filter,
                                            const core::PageRequest& page);
  core::Result<Campaign> Create(const core::Principal& who, const CampaignInput& input);
  core::Result<Campaign> Get(const core::Principal& who, std::string_view id);
  // Drafts only (Conflict otherwise).
  core::Result<Campaign> Update(const core::Principal& who, std::string_view id,
                                const CampaignInput& changes,
                                std::optional<int64_t> expected_version);
  // Not while scheduled or sending (Conflict: cancel first).
  core::Status Delete(const core::Principal& who, std::string_view id,
                      std::optional<int64_t> expected_version);

  // A draft starts sending now (the audience snapshotted in this call), or is scheduled for
  // its scheduled_at when that is in the future. Invalid when the audience is empty or its
  // segment is gone; Conflict unless the campaign is a draft.
  core::Result<Campaign> Send(const core::Principal& who, std::string_view id,
                              const SendInput& input, std::optional<int64_t> expected_version);
  // draft | scheduled | sending → cancelled (Conflict for sent and cancelled campaigns).
  core::Result<Campaign> Cancel(const core::Principal& who, std::string_view id);
  core::Result<core::PageOf<LogEntry>> Log(const core::Principal& who, std::string_view id,
                                           const LogFilter& filter, const core::PageRequest& page);

  // Registers the kSendJob handler on `queue` (before queue.Start()).
  void RegisterJobs(jobs::JobQueue& queue);
  // Delivers a campaign: starts a scheduled one when due, then sends to every pending
  // recipient at the configured rate, retries transient failures, and marks it sent.
  // Idempotent and resumable at any point.
  jobs::Outcome Run(const jobs::Job& job);

 private:
  struct Pacer;
  enum class Step { kSettled, kStopped, kCancelled };

  // The campaign; with `expected_version`, only at that version (else PreconditionFailed).
  core::Result<Campaign> Visible(db::Session& session, std::string_view id,
                                 std::optional<int64_t> expected_version = std::nullopt);
  // The same, and only while it is a draft (else Conflict: "only a draft can be <done>").
  core::Result<Campaign> Draft(db::Session& session, std::string_view id,
                               std::optional<int64_t> expected_version, std::string_view done);
  void FillStats(db::Session& session, Campaign& campaign);
  // The campaign's audience: its rules (or its segment's), and a non-empty email address.
  core::Result<rules::Rule> AudienceRules(db::Session& session, const Campaign& campaign);
  // Inserts the recipients; returns how many.
  core::Result<int64_t> Snapshot(db::Session& tx, const Campaign& campaign);
  Step Process(const Campaign& campaign, const Recipient& recipient, const jobs::Job& job);
  Step Deliver(const Campaign& campaign, const Recipient& recipient, int64_t attempts);
  core::Status CheckSegment(db::Session& session, const CampaignInput& input);

  db::Database& database_;
  customers::CustomerService& customers_;
  segments::SegmentService& segments_;
  email::EmailService& email_;
  CampaignOptions options_;
  CampaignStore store_;
  std::unique_ptr<Pacer> pacer_;
};

}  // namespace rapport::campaigns
