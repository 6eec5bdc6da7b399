#include "campaigns/campaign_store.hpp"

#include <fmt/format.h>

#include "core/text.hpp"
#include "core/time.hpp"
#include "db/keyset.hpp"
#include "db/records.hpp"

namespace rapport::campaigns {

namespace {

constexpr std::string_view kColumns =
    "c.id, c.name, c.channel, c.segment_id, c.rules, c.subject, c.body, c.html, c.status, "
    "c.scheduled_at, c.audience, c.created_by, c.sent_by, c.started_at, c.finished_at, "
    "c.cancelled_at, c.version, c.created_at, c.updated_at";

const std::vector<db::SortColumn> kSortColumns = {
    {"id", "c.id"},
    {"name", "lower(c.name)"},
    {"created_at", "c.created_at"},
    {"updated_at", "c.updated_at"},
    {"scheduled_at", "COALESCE(c.scheduled_at, '')"},
};

const std::vector<db::SortColumn> kLogSortColumns = {
    {"id", "r.position", /*numeric=*/true},
    {"position", "r.position", /*numeric=*/true},
};

constexpr std::string_view kRecipientColumns =
    "r.campaign_id, r.position, r.customer_id, r.state, r.email, r.email_id, r.attempts, "
    "r.next_attempt_at, r.error, r.sent_at, r.updated_at";

Campaign FromRow(const db::Row& row) {
  Campaign c;
  c.id = row.TextAt(0);
  c.name = row.TextAt(1);
  c.channel = row.TextAt(2);
  c.segment_id = row.OptTextAt(3);
  if (auto rules = row.OptTextAt(4)) {
    // Written by this code in the normalised form: at most rules::kMaxDepth deep.
    c.rules = nlohmann::json::parse(*rules, nullptr, /*allow_exceptions=*/false);
    if (c.rules.is_discarded()) c.rules = nullptr;
  }
  c.subject = row.TextAt(5);
  c.body = row.TextAt(6);
  c.html = row.OptTextAt(7);
  c.status = row.TextAt(8);
  c.scheduled_at = row.OptTextAt(9);
  c.audience = row.IntAt(10);
  c.created_by = row.OptTextAt(11);
  c.sent_by = row.OptTextAt(12);
  c.started_at = row.OptTextAt(13);
  c.finished_at = row.OptTextAt(14);
  c.cancelled_at = row.OptTextAt(15);
  c.version = row.IntAt(16).value_or(1);
  c.created_at = row.TextAt(17);
  c.updated_at = row.TextAt(18);
  return c;
}

Recipient RecipientFromRow(const db::Row& row) {
  Recipient r;
  r.campaign_id = row.TextAt(0);
  r.position = row.IntAt(1).value_or(0);
  r.customer_id = row.TextAt(2);
  r.state = row.TextAt(3);
  r.email = row.OptTextAt(4);
  r.email_id = row.OptTextAt(5);
  r.attempts = row.IntAt(6).value_or(0);
  r.next_attempt_at = row.OptTextAt(7);
  r.error = row.OptTextAt(8);
  r.sent_at = row.OptTextAt(9);
  r.updated_at = row.TextAt(10);
  return r;
}

std::optional<std::string> RulesText(const Campaign& c) {
  if (c.rules.is_null()) return std::nullopt;
  return c.rules.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void AppendFilter(db::Query& query, const CampaignFilter& filter) {
  if (filter.status) query.Sql(" AND c.status = ").Param(*filter.status);
  if (filter.q) {
    const std::string pattern = "%" + core::EscapeLike(*filter.q) + "%";
    query.Sql(" AND lower(c.name) LIKE lower(").Param(pattern).Sql(") ESCAPE '\\'");
  }
}

}  // namespace

std::optional<Campaign> CampaignStore::FindById(db::Session& session, std::string_view id) const {
  std::optional<Campaign> campaign;
  session.First(
      db::Query(fmt::format("SELECT {} FROM campaigns c WHERE c.id = ", kColumns)).Param(id),
      [&](const db::Row& row) { campaign = FromRow(row); });
  return campaign;
}

void CampaignStore::Insert(db::Session& session, const Campaign& c) const {
  db::Query q(
      "INSERT INTO campaigns (id, name, channel, segment_id, rules, subject, body, html, status, "
      "scheduled_at, audience, created_by, sent_by, started_at, finished_at, cancelled_at, "
      "version, created_at, updated_at) VALUES (");
  q.Param(c.id).Sql(", ").Param(c.name).Sql(", ").Param(c.channel).Sql(", ");
  q.Param(c.segment_id).Sql(", ").Param(RulesText(c)).Sql(", ").Param(c.subject).Sql(", ");
  q.Param(c.body).Sql(", ").Param(c.html).Sql(", ").Param(c.status).Sql(", ");
  q.Param(c.scheduled_at).Sql(", ").Param(c.audience).Sql(", ").Param(c.created_by).Sql(", ");
  q.Param(c.sent_by).Sql(", ").Param(c.started_at).Sql(", ").Param(c.finished_at).Sql(", ");
  q.Param(c.cancelled_at).Sql(", ").Param(c.version).Sql(", ").Param(c.created_at).Sql(", ");
  q.Param(c.updated_at).Sql(")");
  session.Exec(q);
}

bool CampaignStore::Update(db::Session& session, Campaign& c) const {
  const std::string updated_at = core::FormatTimestamp(core::Now());
  db::Query q("UPDATE campaigns SET name = ");
  q.Param(c.name).Sql(", channel = ").Param(c.channel).Sql(", segment_id = ").Param(c.segment_id);
  q.Sql(", rules = ").Param(RulesText(c)).Sql(", subject = ").Param(c.subject);
  q.Sql(", body = ").Param(c.body).Sql(", html = ").Param(c.html);
  q.Sql(", status = ").Param(c.status).Sql(", scheduled_at = ").Param(c.scheduled_at);
  q.Sql(", audience = ").Param(c.audience).Sql(", sent_by = ").Param(c.sent_by);
  q.Sql(", started_at = ").Param(c.started_at).Sql(", finished_at = ").Param(c.finished_at);
  q.Sql(", cancelled_at = ").Param(c.cancelled_at);
  q.Sql(", version = version + 1, updated_at = ").Param(updated_at);
  q.Sql(" WHERE id = ").Param(c.id).Sql(" AND version = ").Param(c.version);
  if (session.Exec(q) == 0) return false;
  c.version += 1;
  c.updated_at = updated_at;
  return true;
}

bool CampaignStore::Delete(db::Session& session, std::string_view id) const {
  // Recipients first, explicitly (the foreign key cascades too).
  session.Exec(db::Query("DELETE FROM campaign_recipients WHERE campaign_id = ").Param(id));
  return session.Exec(db::Query("DELETE FROM campaigns WHERE id = ").Param(id)) > 0;
}

core::PageOf<Campaign> CampaignStore::List(db::Session& session, const CampaignFilter& filter,
                                           const core::PageRequest& page) const {
  core::PageOf<Campaign> result;
  auto from_where = [&](db::Query& query) {
    query.Sql(" FROM campaigns c WHERE 1 = 1");
    AppendFilter(query, filter);
  };
  db::PageInfo info =
      db::ReadPage(session, engine_, kColumns, from_where, kSortColumns, page,
                   [&](const db::Row& row) { result.data.push_back(FromRow(row)); });
  result.next_cursor = std::move(info.next_cursor);
  result.total = info.total;
  return result;
}

bool CampaignStore::StartScheduled(db::Session& session, std::string_view id, int64_t audience,
                                   const std::string& now) const {
  db::Query q("UPDATE campaigns SET status = ");
  q.Param(audience == 0 ? "sent" : "sending").Sql(", audience = ").Param(audience);
  q.Sql(", started_at = ").Param(now);
  if (audience == 0) q.Sql(", finished_at = ").Param(now);
  q.Sql(", version = version + 1, updated_at = ").Param(now);
  q.Sql(" WHERE id = ").Param(id).Sql(" AND status = 'scheduled'");
  return session.Exec(q) > 0;
}

bool CampaignStore::FinishSending(db::Session& session, std::string_view id,
                                  const std::string& now) const {
  db::Query q("UPDATE campaigns SET status = 'sent', finished_at = ");
  q.Param(now).Sql(", version = version + 1, updated_at = ").Param(now);
  q.Sql(" WHERE id = ").Param(id).Sql(" AND status = 'sending'");
  return session.Exec(q) > 0;
}

void CampaignStore::InsertRecipients(db::Session& session, std::string_view campaign_id,
                                     int64_t first, const std::vector<std::string>& customer_ids,
                                     const std::string& now) const {
  constexpr std::size_t kRowsPerStatement = 200;
  db::InsertRows(session,
                 "INSERT INTO campaign_recipients (campaign_id, position, customer_id, state, "
                 "attempts, updated_at) VALUES ",
                 customer_ids.size(), kRowsPerStatement, [&](db::Query& q, std::size_t i) {
                   q.Param(campaign_id).Sql(", ").Param(first + static_cast<int64_t>(i));
                   q.Sql(", ").Param(customer_ids[i]).Sql(", 'pending', 0, ").Param(now);
                 });
}

std::vector<Recipient> CampaignStore::Due(db::Session& session, std::string_view campaign_id,
                                          bool pending, const std::string& now, int limit,
                                          int lane, int lanes) const {
  db::Query q(fmt::format("SELECT {} FROM campaign_recipients r WHERE r.campaign_id = ",
                          kRecipientColumns));
  q.Param(campaign_id);
  q.Sql(" AND ((r.state = 'sending' AND (r.next_attempt_at IS NULL OR r.next_attempt_at <= ");
  q.Param(now).Sql("))");
  if (pending) q.Sql(" OR r.state = 'pending'");
  q.Sql(") AND r.position % ").Param(lanes).Sql(" = ").Param(lane);
  q.Sql(" ORDER BY r.position LIMIT ").Param(limit);
  std::vector<Recipient> rows;
  session.ForEach(q, [&](const db::Row& row) { rows.push_back(RecipientFromRow(row)); });
  return rows;
}

std::optional<std::string> CampaignStore::EarliestRetry(db::Session& session,
                                                        std::string_view campaign_id, int lane,
                                                        int lanes) const {
  std::optional<std::string> at;
  db::Query q(
      "SELECT min(next_attempt_at) FROM campaign_recipients WHERE state = 'sending' AND "
      "campaign_id = ");
  q.Param(campaign_id).Sql(" AND position % ").Param(lanes).Sql(" = ").Param(lane);
  session.First(q, [&](const db::Row& row) { at = row.OptTextAt(0); });
  return at;
}

int64_t CampaignStore::Unsettled(db::Session& session, std::string_view campaign_id) const {
  return session.Scalar(db::Query("SELECT count(*) FROM campaign_recipients WHERE state IN "
                                  "('pending', 'sending') AND campaign_id = ")
                            .Param(campaign_id));
}

bool CampaignStore::MarkSending(db::Session& session, std::string_view campaign_id,
                                int64_t position, std::string_view email_id,
                                std::string_view email, const std::string& now) const {
  db::Query q("UPDATE campaign_recipients SET state = 'sending', attempts = 1, email_id = ");
  q.Param(email_id).Sql(", email = ").Param(email).Sql(", updated_at = ").Param(now);
  q.Sql(" WHERE campaign_id = ").Param(campaign_id).Sql(" AND position = ").Param(position);
  q.Sql(" AND state = 'pending'");
  return session.Exec(q) > 0;
}

void CampaignStore::Settle(db::Session& session, std::string_view campaign_id, int64_t position,
                           std::string_view state, const std::optional<std::string>& error,
                           const std::optional<std::string>& sent_at,
                           const std::string& now) const {
  db::Query q("UPDATE campaign_recipients SET state = ");
  q.Param(state).Sql(", error = ").Param(error).Sql(", sent_at = ").Param(sent_at);
  q.Sql(", next_attempt_at = NULL, updated_at = ").Param(now);
  q.Sql(" WHERE campaign_id = ").Param(campaign_id).Sql(" AND position = ").Param(position);
  q.Sql(" AND state IN ('pending', 'sending')");
  session.Exec(q);
}

void CampaignStore::ScheduleRetry(db::Session& session, std::string_view campaign_id,
                                  int64_t position, std::string_view error,
                                  const std::string& next_at, const std::string& now) const {
  db::Query q("UPDATE campaign_recipients SET attempts = attempts + 1, error = ");
  q.Param(error).Sql(", next_attempt_at = ").Param(next_at).Sql(", updated_at = ").Param(now);
  q.Sql(" WHERE campaign_id = ").Param(campaign_id).Sql(" AND position = ").Param(position);
  q.Sql(" AND state = 'sending'");
  session.Exec(q);
}

std::map<std::string, int64_t> CampaignStore::CountByState(db::Session& session,
                                                           std::string_view campaign_id) const {
  std::map<std::string, int64_t> counts;
  session.ForEach(db::Query("SELECT state, count(*) FROM campaign_recipients WHERE "
                            "campaign_id = ")
                      .Param(campaign_id)
                      .Sql(" GROUP BY state"),
                  [&](const db::Row& row) { counts[row.TextAt(0)] = row.IntAt(1).value_or(0); });
  return counts;
}

core::PageOf<LogEntry> CampaignStore::Log(db::Session& session, std::string_view campaign_id,
                                          const std::vector<std::string>& states,
                                          std::string_view unsettled,
                                          const core::PageRequest& page) const {
  core::PageOf<LogEntry> result;
  auto from_where = [&](db::Query& query) {
    query.Sql(" FROM campaign_recipients r WHERE r.campaign_id = ").Param(campaign_id);
    if (!states.empty()) query.Sql(" AND r.state IN (").ParamList(states).Sql(")");
  };
  db::PageInfo info = db::ReadPage(
      session, engine_, kRecipientColumns, from_where, kLogSortColumns, page,
      [&](const db::Row& row) {
        Recipient r = RecipientFromRow(row);
        LogEntry e;
        e.position = r.position;
        e.customer_id = r.customer_id;
        e.email = r.email;
        e.error = r.error;
        e.sent_at = r.sent_at;
        e.email_id = r.email_id;
        e.attempts = r.attempts;
        e.updated_at = r.updated_at;
        if (r.state == "sent") {
          e.status = "SENT";
        } else if (r.state == "failed") {
          e.status = "FAILED";
        } else if (r.state == "pending") {
          e.status = std::string(unsettled);
        } else {
          e.status = "PENDING";
        }
        result.data.push_back(std::move(e));
      });
  result.next_cursor = std::move(info.next_cursor);
  result.total = info.total;
  return result;
}

void CampaignStore::AppendSentEmailIds(db::Query& query, std::string_view campaign_id) {
  query.Sql("SELECT email_id FROM campaign_recipients WHERE state = 'sent' AND campaign_id = ");
  query.Param(campaign_id);
}

}  // namespace rapport::campaigns
