#include "campaigns/campaign_service.hpp"

#include <algorithm>
#include <thread>

#include <fmt/format.h>

#include "core/ids.hpp"
#include "core/text.hpp"
#include "core/time.hpp"

namespace rapport::campaigns {

namespace {

constexpr int kAudienceBatch = 1000;
constexpr int kWorkBatch = 100;

std::string Now() { return core::FormatTimestamp(core::Now()); }

std::string JobKey(std::string_view id, int lane) {
  return fmt::format("{}:{}:{}", CampaignService::kSendJob, id, lane);
}

// The delivery jobs of a campaign, one per lane, due at `run_at` (nullopt: now).
void EnqueueLanes(db::Session& tx, const std::string& id,
                  std::optional<core::Timestamp> run_at) {
  for (int lane = 0; lane < CampaignService::kLanes; ++lane) {
    jobs::Enqueue(tx, {.kind = std::string(CampaignService::kSendJob),
                       .payload = {{"campaign_id", id}, {"lane", lane}},
                       .dedupe_key = JobKey(id, lane),
                       .run_at = run_at,
                       .max_attempts = 1000});
  }
}

core::Status RequireManager(const core::Principal& who) {
  if (!who.is_staff_manager()) {
    return core::Error::Forbidden("only admins and managers work with campaigns");
  }
  return core::Ok{};
}

core::Error NotFound(std::string_view id) { return core::Error::NotFound("campaign", id); }

// Whom the audience is computed for: campaigns are a manager's tool, and managers see every
// customer, so the audience is every matching customer whoever owns them.
core::Principal AudiencePrincipal(const Campaign& campaign) {
  core::Principal who;
  who.kind = core::Principal::Kind::kUser;
  who.id = campaign.sent_by.value_or(campaign.created_by.value_or(""));
  who.role = core::Role::kManager;
  return who;
}

bool InFuture(const std::optional<std::string>& at) {
  if (!at) return false;
  auto t = core::ParseTimestamp(*at);
  return t && *t > core::Now();
}

}  // namespace

// Spaces the start of messages 1/rate apart across every campaign of this process.
struct CampaignService::Pacer {
  explicit Pacer(double rate)
      : interval(rate > 0 ? std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                std::chrono::duration<double>(1.0 / rate))
                          : std::chrono::steady_clock::duration::zero()) {}

  // Waits for the next slot; false when the job is asked to stop meanwhile.
  bool Wait(const jobs::Job& job) {
    if (interval == std::chrono::steady_clock::duration::zero()) return !job.stop_requested();
    std::chrono::steady_clock::time_point slot;
    {
      std::lock_guard lock(mutex);
      const auto now = std::chrono::steady_clock::now();
      // No credit for idle time: after a pause the next message goes at once, then at the rate.
      next = std::max(next, now);
      slot = next;
      next += interval;
    }
    while (std::chrono::steady_clock::now() < slot) {
      if (job.stop_requested()) return false;
      std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
          slot - std::chrono::steady_clock::now(), std::chrono::milliseconds(100)));
    }
    return !job.stop_requested();
  }

  const std::chrono::steady_clock::duration interval;
  std::mutex mutex;
  std::chrono::steady_clock::time_point next{};
};

CampaignService::CampaignService(db::Database& database, customers::CustomerService& customers,
                                 segments::SegmentService& segments, email::EmailService& email,
                                 CampaignOptions options)
    : database_(database),
      customers_(customers),
      segments_(segments),
      email_(email),
      options_(options),
      store_(database.engine()),
      pacer_(std::make_unique<Pacer>(options.rate)) {}

CampaignService::~CampaignService() = default;

// --- Reading -----------------------------------------------------------------------------

void CampaignService::FillStats(db::Session& session, Campaign& c) {
  CampaignStats stats;
  stats.audience = c.audience.value_or(0);
  if (c.audience) {
    const auto counts = store_.CountByState(session, c.id);
    auto count = [&](const char* state) {
      auto it = counts.find(state);
      return it == counts.end() ? int64_t{0} : it->second;
    };
    stats.sent = count("sent");
    stats.failed = count("failed");
    if (c.status == "cancelled") {
      stats.pending = count("sending");
      stats.cancelled = count("pending");
    } else {
      stats.pending = count("pending") + count("sending");
    }
    if (stats.sent > 0) {
      const email::EngagementCounts engagement = email_.CountEngagement(
          session, [&](db::Query& q) { CampaignStore::AppendSentEmailIds(q, c.id); });
      stats.opened = engagement.opened;
      stats.clicked = engagement.clicked;
    }
  }
  c.stats = stats;
}

core::Result<Campaign> CampaignService::Visible(db::Session& session, std::string_view id,
                                                std::optional<int64_t> expected_version) {
  if (!core::IsUuid(id)) return NotFound(id);
  auto campaign = store_.FindById(session, core::ToLowerAscii(id));
  if (!campaign) return NotFound(id);
  if (expected_version && *expected_version != campaign->version) {
    return core::Error::PreconditionFailed();
  }
  return std::move(*campaign);
}

core::Result<Campaign> CampaignService::Draft(db::Session& session, std::string_view id,
                                              std::optional<int64_t> expected_version,
                                              std::string_view done) {
  auto campaign = Visible(session, id, expected_version);
  if (campaign && campaign->status != "draft") {
    return core::Error::Conflict(
        fmt::format("the campaign is {}; only a draft can be {}", campaign->status, done));
  }
  return campaign;
}

core::Result<core::PageOf<Campaign>> CampaignService::List(const core::Principal& who,
                                                           const CampaignFilter& filter,
                                                           const core::PageRequest& page) {
  if (auto allowed = RequireManager(who); !allowed) return allowed.error();
  return database_.Read([&](db::Session& session) -> core::Result<core::PageOf<Campaign>> {
    auto result = store_.List(session, filter, page);
    for (Campaign& c : result.data) FillStats(session, c);
    return result;
  });
}

core::Result<Campaign> CampaignService::Get(const core::Principal& who, std::string_view id) {
  if (auto allowed = RequireManager(who); !allowed) return allowed.error();
  return database_.Read([&](db::Session& session) -> core::Result<Campaign> {
    auto campaign = Visible(session, id);
    if (!campaign) return campaign.error();
    FillStats(session, *campaign);
    return campaign;
  });
}

core::Result<core::PageOf<LogEntry>> CampaignService::Log(const core::Principal& who,
                                                          std::string_view id,
                                                          const LogFilter& filter,
                                                          const core::PageRequest& page) {
  if (auto allowed = RequireManager(who); !allowed) return allowed.error();
  return database_.Read([&](db::Session& session) -> core::Result<core::PageOf<LogEntry>> {
    auto campaign = Visible(session, id);
    if (!campaign) return campaign.error();
    const bool cancelled = campaign->status == "cancelled";
    std::vector<std::string> states;
    if (filter.status == "SENT") {
      states = {"sent"};
    } else if (filter.status == "FAILED") {
      states = {"failed"};
    } else if (filter.status == "PENDING") {
      states = cancelled ? std::vector<std::string>{"sending"}
                         : std::vector<std::string>{"pending", "sending"};
    } else if (filter.status == "CANCELLED") {
      if (!cancelled) return core::PageOf<LogEntry>{};
      states = {"pending"};
    }
    return store_.Log(session, campaign->id, states, cancelled ? "CANCELLED" : "PENDING", page);
  });
}

// --- Writing -----------------------------------------------------------------------------

core::Status CampaignService::CheckSegment(db::Session& session, const CampaignInput& input) {
  if (!input.segment_id.value) return core::Ok{};
  if (!segments_.RulesOf(session, *input.segment_id.value)) {
    return core::Error::Invalid("segment_id", "no such segment");
  }
  return core::Ok{};
}

core::Result<Campaign> CampaignService::Create(const core::Principal& who,
                                               const CampaignInput& input) {
  if (auto allowed = RequireManager(who); !allowed) return allowed.error();
  Campaign campaign;
  campaign.id = core::NewId();
  campaign.created_by = who.id;
  campaign.created_at = campaign.updated_at = Now();
  ApplyCampaignInput(input, campaign);
  return database_.Write([&](db::Session& tx) -> core::Result<Campaign> {
    if (auto ok = CheckSegment(tx, input); !ok) return ok.error();
    store_.Insert(tx, campaign);
    FillStats(tx, campaign);
    return campaign;
  });
}

core::Result<Campaign> CampaignService::Update(const core::Principal& who, std::string_view id,
                                               const CampaignInput& changes,
                                               std::optional<int64_t> expected_version) {
  if (auto allowed = RequireManager(who); !allowed) return allowed.error();
  return database_.Write([&](db::Session& tx) -> core::Result<Campaign> {
    auto campaign = Draft(tx, id, expected_version, "edited");
    if (!campaign) return campaign.error();
    if (auto ok = CheckSegment(tx, changes); !ok) return ok.error();
    if (ApplyCampaignInput(changes, *campaign) && !store_.Update(tx, *campaign)) {
      if (expected_version) return core::Error::PreconditionFailed();
      return core::Error::Conflict("the campaign is being changed concurrently; retry");
    }
    FillStats(tx, *campaign);
    return std::move(*campaign);
  });
}

core::Status CampaignService::Delete(const core::Principal& who, std::string_view id,
                                     std::optional<int64_t> expected_version) {
  if (auto allowed = RequireManager(who); !allowed) return allowed.error();
  return database_.Write([&](db::Session& tx) -> core::Status {
    auto campaign = Visible(tx, id, expected_version);
    if (!campaign) return campaign.error();
    if (campaign->status == "scheduled" || campaign->status == "sending") {
      return core::Error::Conflict(
          fmt::format("the campaign is {}; cancel it before deleting it", campaign->status));
    }
    store_.Delete(tx, campaign->id);
    return core::Ok{};
  });
}

core::Result<rules::Rule> CampaignService::AudienceRules(db::Session& session,
                                                         const Campaign& campaign) {
  rules::Rule base;
  if (campaign.segment_id) {
    auto rules = segments_.RulesOf(session, *campaign.segment_id);
    if (!rules) return core::Error::Invalid("segment_id", "the segment no longer exists");
    base = std::move(*rules);
  } else {
    auto rules = rules::ParseRules(campaign.rules, "rules");
    if (!rules) return core::Error::Internal();  // stored normalised, so always valid
    base = std::move(*rules);
  }
  return rules::Rule::Group(
      rules::Logic::kAnd,
      {std::move(base), rules::Rule::Condition(rules::Field::kEmail, rules::Op::kIsNotEmpty, {})});
}

core::Result<int64_t> CampaignService::Snapshot(db::Session& tx, const Campaign& campaign) {
  auto rules = AudienceRules(tx, campaign);
  if (!rules) return rules.error();
  const core::Principal who = AudiencePrincipal(campaign);
  const std::string now = Now();
  int64_t count = 0;
  std::string after;
  for (;;) {
    auto ids = segments_.MatchingCustomerIds(tx, who, *rules, after, kAudienceBatch);
    if (!ids) return ids.error();
    if (ids->empty()) break;
    store_.InsertRecipients(tx, campaign.id, count + 1, *ids, now);
    count += static_cast<int64_t>(ids->size());
    if (static_cast<int>(ids->size()) < kAudienceBatch) break;
    after = ids->back();
  }
  return count;
}

core::Result<Campaign> CampaignService::Send(const core::Principal& who, std::string_view id,
                                             const SendInput& input,
                                             std::optional<int64_t> expected_version) {
  if (auto allowed = RequireManager(who); !allowed) return allowed.error();
  return database_.Write([&](db::Session& tx) -> core::Result<Campaign> {
    auto campaign = Draft(tx, id, expected_version, "sent");
    if (!campaign) return campaign.error();
    if (input.scheduled_at) campaign->scheduled_at = input.scheduled_at;
    campaign->sent_by = who.id;
    const std::string now = Now();
    if (InFuture(campaign->scheduled_at)) {
      // Checked now so a mistake shows at once; the audience itself is fixed when it starts.
      auto rules = AudienceRules(tx, *campaign);
      if (!rules) return rules.error();
      auto some = segments_.MatchingCustomerIds(tx, AudiencePrincipal(*campaign), *rules, "", 1);
      if (!some) return some.error();
      if (some->empty()) {
        return core::Error::Invalid(campaign->segment_id ? "segment_id" : "rules",
                                    "the audience is empty: no matching customer has an email "
                                    "address");
      }
      campaign->status = "scheduled";
      EnqueueLanes(tx, campaign->id, core::ParseTimestamp(*campaign->scheduled_at));
    } else {
      auto count = Snapshot(tx, *campaign);
      if (!count) return count.error();
      if (*count == 0) {
        return core::Error::Invalid(campaign->segment_id ? "segment_id" : "rules",
                                    "the audience is empty: no matching customer has an email "
                                    "address");
      }
      campaign->status = "sending";
      campaign->audience = *count;
      campaign->started_at = now;
      EnqueueLanes(tx, campaign->id, std::nullopt);
    }
    if (!store_.Update(tx, *campaign)) {
      return core::Error::Conflict("the campaign is being changed concurrently; retry");
    }
    FillStats(tx, *campaign);
    return std::move(*campaign);
  });
}

core::Result<Campaign> CampaignService::Cancel(const core::Principal& who, std::string_view id) {
  if (auto allowed = RequireManager(who); !allowed) return allowed.error();
  return database_.Write([&](db::Session& tx) -> core::Result<Campaign> {
    auto campaign = Visible(tx, id);
    if (!campaign) return campaign.error();
    if (campaign->status == "sent" || campaign->status == "cancelled") {
      return core::Error::Conflict(
          fmt::format("the campaign is {}; it can no longer be cancelled", campaign->status));
    }
    if (campaign->status == "scheduled") {
      for (int lane = 0; lane < kLanes; ++lane) jobs::Cancel(tx, JobKey(campaign->id, lane));
    }
    campaign->status = "cancelled";
    campaign->cancelled_at = Now();
    if (!store_.Update(tx, *campaign)) {
      return core::Error::Conflict("the campaign is being changed concurrently; retry");
    }
    FillStats(tx, *campaign);
    return std::move(*campaign);
  });
}

// --- Delivery ----------------------------------------------------------------------------

void CampaignService::RegisterJobs(jobs::JobQueue& queue) {
  queue.Handle(std::string(kSendJob), [this](const jobs::Job& job) { return Run(job); });
}

jobs::Outcome CampaignService::Run(const jobs::Job& job) {
  const std::string id = job.payload.value("campaign_id", "");
  if (!core::IsUuid(id)) return jobs::Outcome::Fail("the payload names no campaign_id");
  const int lane = job.payload.value("lane", 0);
  if (lane < 0 || lane >= kLanes) return jobs::Outcome::Fail("the payload names no valid lane");
  for (;;) {
    if (job.stop_requested()) return jobs::Outcome::Retry("stopping", std::chrono::milliseconds(0));
    auto campaign = database_.Read([&](db::Session& s) { return store_.FindById(s, id); });
    if (!campaign || campaign->status == "draft" || campaign->status == "sent") {
      return jobs::Outcome::Done();
    }
    if (campaign->status == "scheduled") {
      if (InFuture(campaign->scheduled_at)) {
        const auto due = *core::ParseTimestamp(*campaign->scheduled_at);
        return jobs::Outcome::Retry(
            "not due yet",
            std::chrono::duration_cast<std::chrono::milliseconds>(due - core::Now()));
      }
      // Lane 0 fixes the audience; the others wait for it.
      if (lane != 0) return jobs::Outcome::Retry("waiting for lane 0", std::chrono::milliseconds(200));
      database_.Apply([&](db::Session& tx) {
        auto fresh = store_.FindById(tx, id);
        if (!fresh || fresh->status != "scheduled") return;
        auto count = Snapshot(tx, *fresh);
        // A segment deleted since: nobody to send to.
        store_.StartScheduled(tx, id, count ? *count : 0, Now());
      });
      continue;
    }
    const bool sending = campaign->status == "sending";
    auto due = database_.Read(
        [&](db::Session& s) { return store_.Due(s, id, sending, Now(), kWorkBatch, lane, kLanes); });
    if (due.empty()) {
      auto retry_at = database_.Read(
          [&](db::Session& s) { return store_.EarliestRetry(s, id, lane, kLanes); });
      if (retry_at) {
        auto at = core::ParseTimestamp(*retry_at);
        auto delay = at ? std::chrono::duration_cast<std::chrono::milliseconds>(*at - core::Now())
                        : std::chrono::milliseconds(0);
        return jobs::Outcome::Retry("waiting to retry recipients",
                                    std::max(delay, std::chrono::milliseconds(200)));
      }
      // This lane is done; the last lane to get here finds nothing unsettled and finishes.
      if (sending) {
        database_.Apply([&](db::Session& tx) {
          if (store_.Unsettled(tx, id) == 0) store_.FinishSending(tx, id, Now());
        });
      }
      return jobs::Outcome::Done();
    }
    for (const Recipient& recipient : due) {
      const Step step = Process(*campaign, recipient, job);
      if (step == Step::kStopped) {
        return jobs::Outcome::Retry("stopping", std::chrono::milliseconds(0));
      }
      if (step == Step::kCancelled) break;
    }
  }
}

CampaignService::Step CampaignService::Process(const Campaign& campaign,
                                               const Recipient& recipient, const jobs::Job& job) {
  if (recipient.state == "sending") {
    // Started before: its email exists. DeliverOnce sends it only if no attempt was cut off.
    return Deliver(campaign, recipient, recipient.attempts);
  }
  if (!pacer_->Wait(job)) return Step::kStopped;
  const core::Principal who = AudiencePrincipal(campaign);
  struct Started {
    bool cancelled = false;
    std::optional<std::string> email_id;
  };
  auto started = database_.Write([&](db::Session& tx) -> core::Result<Started> {
    auto fresh = store_.FindById(tx, campaign.id);
    if (!fresh || fresh->status != "sending") return Started{.cancelled = true, .email_id = std::nullopt};
    const std::string now = Now();
    auto fail = [&](std::string reason) {
      store_.Settle(tx, campaign.id, recipient.position, "failed", std::move(reason),
                    std::nullopt, now);
      return Started{};
    };
    auto customer = customers_.Get(tx, who, recipient.customer_id);
    if (!customer) return fail("the customer no longer exists");
    if (!customer->email) return fail("the customer has no email address any more");
    MergeFields fields;
    fields.name = customer->name;
    fields.first_name = customer->first_name;
    fields.last_name = customer->last_name;
    fields.email = customer->email;
    fields.company = customer->company;
    fields.phone = customer->phone;
    fields.attributes = nlohmann::json::parse(customer->attributes, nullptr, false);
    if (fields.attributes.is_discarded()) fields.attributes = nlohmann::json::object();
    email::ManagedMessage message;
    message.sender_id = who.id;
    message.customer_id = customer->id;
    message.to = *customer->email;
    message.to_name = customer->name;
    message.subject = Render(fresh->subject, fields, RenderMode::kOneLine);
    message.text = Render(fresh->body, fields, RenderMode::kText);
    if (fresh->html) message.html = Render(*fresh->html, fields, RenderMode::kHtml);
    auto email = email_.CreateManagedMessage(tx, message);
    if (!email) {
      std::string reason = "the personalised message is not valid:";
      for (const auto& e : email.error().errors) reason += " " + e.field + " " + e.message + ";";
      reason.pop_back();
      return fail(std::move(reason));
    }
    if (!store_.MarkSending(tx, campaign.id, recipient.position, email->id, email->to, now)) {
      // Started by another run of this job meanwhile: roll this email back.
      return core::Error::Conflict("recipient already started");
    }
    return Started{.email_id = email->id};
  });
  if (!started) return Step::kSettled;
  if (started->cancelled) return Step::kCancelled;
  if (!started->email_id) return Step::kSettled;  // failed before anything was sent
  Recipient begun = recipient;
  begun.state = "sending";
  begun.email_id = started->email_id;
  return Deliver(campaign, begun, 1);
}

CampaignService::Step CampaignService::Deliver(const Campaign& campaign,
                                               const Recipient& recipient, int64_t attempts) {
  using Kind = email::DeliveryReport::Kind;
  // The log row settles in the transaction that stores the email's outcome.
  auto settle = [&](db::Session& tx, const email::DeliveryReport& report) {
    const std::string now = Now();
    switch (report.kind) {
      case Kind::kSent:
        store_.Settle(tx, campaign.id, recipient.position, "sent", std::nullopt, now, now);
        break;
      case Kind::kFailed:
      case Kind::kInterrupted:
      case Kind::kGone:
        store_.Settle(tx, campaign.id, recipient.position, "failed", report.detail, std::nullopt,
                      now);
        break;
      case Kind::kRetry: {
        const int shift = static_cast<int>(std::clamp<int64_t>(attempts - 1, 0, 20));
        const auto delay = std::min(options_.retry_cap, options_.retry_base * (int64_t{1} << shift));
        store_.ScheduleRetry(tx, campaign.id, recipient.position, report.detail,
                             core::FormatTimestamp(core::Now() + delay), now);
        break;
      }
    }
  };
  if (recipient.email_id) {
    email_.DeliverOnce(*recipient.email_id, attempts >= options_.max_attempts, settle);
  } else {
    database_.Apply([&](db::Session& tx) {
      settle(tx, {Kind::kFailed, "the message was never created"});
    });
  }
  return Step::kSettled;
}

}  // namespace rapport::campaigns
