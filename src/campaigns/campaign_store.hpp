#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "campaigns/campaign.hpp"
#include "core/page.hpp"
#include "db/database.hpp"

namespace rapport::campaigns {

// A row of the audience snapshot.
struct Recipient {
  std::string campaign_id;
  int64_t position = 0;
  std::string customer_id;
  std::string state;  // pending | sending | sent | failed
  std::optional<std::string> email;
  std::optional<std::string> email_id;
  int64_t attempts = 0;
  std::optional<std::string> next_attempt_at;
  std::optional<std::string> error;
  std::optional<std::string> sent_at;
  std::string updated_at;
};

// SQL for campaigns and their recipients. No authorization here.
class CampaignStore {
 public:
  explicit CampaignStore(db::Engine engine) : engine_(engine) {}

  std::optional<Campaign> FindById(db::Session& session, std::string_view id) const;
  void Insert(db::Session& session, const Campaign& campaign) const;
  // Writes every mutable column if the row is still at `campaign.version` (bumping it and
  // updated_at); false, changing nothing, otherwise.
  bool Update(db::Session& session, Campaign& campaign) const;
  bool Delete(db::Session& session, std::string_view id) const;
  core::PageOf<Campaign> List(db::Session& session, const CampaignFilter& filter,
                              const core::PageRequest& page) const;

  // A scheduled campaign starts sending with `audience` recipients (sent at once when 0).
  bool StartScheduled(db::Session& session, std::string_view id, int64_t audience,
                      const std::string& now) const;
  // A sending campaign whose recipients are all settled becomes sent.
  bool FinishSending(db::Session& session, std::string_view id, const std::string& now) const;

  // Appends recipients at positions first, first + 1, ... (state pending).
  void InsertRecipients(db::Session& session, std::string_view campaign_id, int64_t first,
                        const std::vector<std::string>& customer_ids, const std::string& now) const;
  // Up to `limit` recipients to work on, in position order: those `sending` whose retry is
  // due (next_attempt_at null or <= now) and, with `pending`, those not started.
  // Only the recipients of one lane: position % lanes == lane.
  std::vector<Recipient> Due(db::Session& session, std::string_view campaign_id, bool pending,
                             const std::string& now, int limit, int lane, int lanes) const;
  // The earliest next_attempt_at of a recipient of the lane waiting for a retry.
  std::optional<std::string> EarliestRetry(db::Session& session, std::string_view campaign_id,
                                           int lane, int lanes) const;
  // Recipients not settled yet (pending or sending), all lanes.
  int64_t Unsettled(db::Session& session, std::string_view campaign_id) const;
  // pending → sending with its email; false when the row is no longer pending.
  bool MarkSending(db::Session& session, std::string_view campaign_id, int64_t position,
                   std::string_view email_id, std::string_view email, const std::string& now) const;
  // → sent | failed.
  void Settle(db::Session& session, std::string_view campaign_id, int64_t position,
              std::string_view state, const std::optional<std::string>& error,
              const std::optional<std::string>& sent_at, const std::string& now) const;
  // Stays sending; one more attempt at `next_at`.
  void ScheduleRetry(db::Session& session, std::string_view campaign_id, int64_t position,
                     std::string_view error, const std::string& next_at,
                     const std::string& now) const;
  // Recipients by state.
  std::map<std::string, int64_t> CountByState(db::Session& session,
                                              std::string_view campaign_id) const;
  // The communication log of a campaign in position order; `states` narrows it (empty: all).
  // `unsettled` labels the rows in `pending` state (PENDING, or CANCELLED).
  core::PageOf<LogEntry> Log(db::Session& session, std::string_view campaign_id,
                             const std::vector<std::string>& states, std::string_view unsettled,
                             const core::PageRequest& page) const;
  // Appends `SELECT email_id FROM campaign_recipients WHERE ...` for the sent messages.
  static void AppendSentEmailIds(db::Query& query, std::string_view campaign_id);

 private:
  db::Engine engine_;
};

}  // namespace rapport::campaigns
