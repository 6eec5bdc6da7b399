#include "email/email_store.hpp"

#include <fmt/format.h>

#include "core/ids.hpp"
#include "core/text.hpp"
#include "core/time.hpp"
#include "db/keyset.hpp"
#include "db/records.hpp"

namespace rapport::email {

namespace {

constexpr std::string_view kColumns =
    "e.id, e.kind, e.sender_id, e.customer_id, e.to_address, e.to_name, e.subject, e.text_body, "
    "e.html_body, e.track_opens, e.track_clicks, e.status, e.message_id, e.reply_tag, "
    "e.attempts, e.error, e.smtp_response, e.transport, e.sent_at, e.failed_at, e.version, "
    "e.created_at, e.updated_at";

const std::vector<db::SortColumn> kSortColumns = {{"id", "e.id"},
                                                  {"created_at", "e.created_at"},
                                                  {"updated_at", "e.updated_at"},
                                                  {"sent_at", "COALESCE(e.sent_at, '')"}};

// The position of each column of kColumns.
enum Column : std::size_t {
  kId,
  kKind,
  kSenderId,
  kCustomerId,
  kTo,
  kToName,
  kSubject,
  kText,
  kHtml,
  kTrackOpens,
  kTrackClicks,
  kStatus,
  kMessageId,
  kReplyTag,
  kAttempts,
  kError,
  kSmtpResponse,
  kTransport,
  kSentAt,
  kFailedAt,
  kVersion,
  kCreatedAt,
  kUpdatedAt,
};

Email FromRow(const db::Row& row) {
  Email email;
  email.id = row.TextAt(kId);
  email.kind = row.TextAt(kKind);
  email.sender_id = row.OptTextAt(kSenderId);
  email.customer_id = row.OptTextAt(kCustomerId);
  email.to = row.TextAt(kTo);
  email.to_name = row.OptTextAt(kToName);
  email.subject = row.TextAt(kSubject);
  email.text = row.TextAt(kText);
  email.html = row.OptTextAt(kHtml);
  email.track_opens = row.IntAt(kTrackOpens).value_or(0) != 0;
  email.track_clicks = row.IntAt(kTrackClicks).value_or(0) != 0;
  email.status = row.TextAt(kStatus);
  email.message_id = row.TextAt(kMessageId);
  email.reply_tag = row.TextAt(kReplyTag);
  email.attempts = row.IntAt(kAttempts).value_or(0);
  email.error = row.OptTextAt(kError);
  email.smtp_response = row.OptTextAt(kSmtpResponse);
  email.transport = row.OptTextAt(kTransport);
  email.sent_at = row.OptTextAt(kSentAt);
  email.failed_at = row.OptTextAt(kFailedAt);
  email.version = row.IntAt(kVersion).value_or(1);
  email.created_at = row.TextAt(kCreatedAt);
  email.updated_at = row.TextAt(kUpdatedAt);
  return email;
}

// Narrows `query` (which reads `emails e`) to what `audience` may see. The agent rule is
// the customers capability's: a customer owned by the agent or by nobody.
void AppendAudience(db::Query& query, const Audience& audience) {
  if (!audience.system) query.Sql(" AND e.kind = 'user'");
  if (audience.agent_id) {
    query.Sql(" AND (e.sender_id = ").Param(*audience.agent_id);
    query
        .Sql(
            " OR EXISTS (SELECT 1 FROM customers c WHERE c.id = e.customer_id AND "
            "(c.owner_id IS NULL OR c.owner_id = ")
        .Param(*audience.agent_id)
        .Sql(")))");
  }
}

void AppendFilter(db::Query& query, const EmailFilter& filter, const Audience& audience) {
  query.Sql(" WHERE 1 = 1");
  if (filter.customer_id) query.Sql(" AND e.customer_id = ").Param(*filter.customer_id);
  if (filter.status) query.Sql(" AND e.status = ").Param(*filter.status);
  if (filter.q) {
    const std::string pattern = "%" + core::EscapeLike(core::ToLowerAscii(*filter.q)) + "%";
    query.Sql(" AND (lower(e.to_address) LIKE ").Param(pattern).Sql(" ESCAPE '\\'");
    query.Sql(" OR lower(e.subject) LIKE ").Param(pattern).Sql(" ESCAPE '\\')");
  }
  AppendAudience(query, audience);
}

// `UPDATE emails SET <set>, version + 1, updated_at` for an email in one of `from`.
db::Query StatusUpdate(db::Query set, std::string_view id, std::string_view from,
                       const std::string& now) {
  set.Sql(", version = version + 1, updated_at = ").Param(now);
  set.Sql(" WHERE id = ").Param(id).Sql(" AND status IN (").Sql(from).Sql(")");
  return set;
}

}  // namespace

void EmailStore::Insert(db::Session& session, const Email& email) const {
  db::Query query(
      "INSERT INTO emails (id, kind, sender_id, customer_id, to_address, to_name, subject, "
      "text_body, html_body, track_opens, track_clicks, status, message_id, reply_tag, attempts, "
      "version, created_at, updated_at) VALUES (");
  query.Param(email.id).Sql(", ").Param(email.kind).Sql(", ").Param(email.sender_id);
  query.Sql(", ").Param(email.customer_id).Sql(", ").Param(email.to).Sql(", ").Param(email.to_name);
  query.Sql(", ").Param(email.subject).Sql(", ").Param(email.text).Sql(", ").Param(email.html);
  query.Sql(", ").Param(email.track_opens).Sql(", ").Param(email.track_clicks);
  query.Sql(", ").Param(email.status).Sql(", ").Param(email.message_id);
  query.Sql(", ").Param(email.reply_tag).Sql(", ").Param(email.attempts);
  query.Sql(", ").Param(email.version).Sql(", ").Param(email.created_at);
  query.Sql(", ").Param(email.updated_at).Sql(")");
  session.Exec(query);
}

std::optional<Email> EmailStore::FindById(db::Session& session, std::string_view id) const {
  return db::FindOne(session, kColumns, "emails e", "e.id", id, FromRow);
}

core::Page EmailStore::List(db::Session& session, const EmailFilter& filter,
                            const Audience& audience, const core::PageRequest& page) const {
  core::Page result;
  const db::PageInfo info = db::ReadPage(
      session, engine_, kColumns,
      [&](db::Query& query) {
        query.Sql(" FROM emails e");
        AppendFilter(query, filter, audience);
      },
      kSortColumns, page, [&](const db::Row& row) { result.data.push_back(FromRow(row).ToJson()); });
  result.next_cursor = info.next_cursor;
  result.total = info.total;
  return result;
}

std::vector<Email> EmailStore::FindMany(db::Session& session,
                                        const std::vector<std::string>& ids) const {
  std::vector<Email> emails;
  if (ids.empty()) return emails;
  db::Query query(fmt::format("SELECT {} FROM emails e WHERE e.kind = 'user' AND e.id IN (",
                              kColumns));
  query.ParamList(ids).Sql(")");
  session.ForEach(query, [&](const db::Row& row) { emails.push_back(FromRow(row)); });
  return emails;
}

void EmailStore::AppendTimelineSelect(db::Query& query, std::string_view customer_id) {
  query.Sql(
      "SELECT e.id AS id, COALESCE(e.sent_at, e.created_at) AS occurred_at FROM emails e "
      "WHERE e.kind = 'user' AND e.customer_id = ");
  query.Param(customer_id);
}

bool EmailStore::MarkSending(db::Session& session, std::string_view id,
                             const std::string& now) const {
  db::Query set("UPDATE emails SET status = 'sending', attempts = attempts + 1");
  return session.Exec(StatusUpdate(std::move(set), id, "'queued', 'sending'", now)) > 0;
}

bool EmailStore::MarkSent(db::Session& session, std::string_view id, std::string_view transport,
                          const std::optional<std::string>& response,
                          const std::string& now) const {
  db::Query set("UPDATE emails SET status = 'sent', error = NULL, transport = ");
  set.Param(transport).Sql(", smtp_response = ").Param(response).Sql(", sent_at = ").Param(now);
  return session.Exec(StatusUpdate(std::move(set), id, "'queued', 'sending'", now)) > 0;
}

bool EmailStore::MarkRetrying(db::Session& session, std::string_view id, std::string_view error,
                              const std::string& now) const {
  db::Query set("UPDATE emails SET status = 'queued', error = ");
  set.Param(error);
  return session.Exec(StatusUpdate(std::move(set), id, "'sending'", now)) > 0;
}

bool EmailStore::MarkFailed(db::Session& session, std::string_view id, std::string_view error,
                            const std::string& now) const {
  db::Query set("UPDATE emails SET status = 'failed', error = ");
  set.Param(error).Sql(", failed_at = ").Param(now);
  return session.Exec(StatusUpdate(std::move(set), id, "'queued', 'sending'", now)) > 0;
}

void EmailStore::InsertTokens(db::Session& session, std::string_view email_id,
                              const TrackedHtml& tracked, const std::string& now) const {
  auto insert = [&](const Token& token, std::string_view kind, std::optional<int64_t> position,
                    const std::optional<std::string>& url) {
    db::Query query(
        "INSERT INTO email_tokens (token_hash, email_id, kind, link_position, url, created_at) "
        "VALUES (");
    query.Param(token.hash).Sql(", ").Param(email_id).Sql(", ").Param(kind).Sql(", ");
    query.Param(position).Sql(", ").Param(url).Sql(", ").Param(now).Sql(")");
    session.Exec(query);
  };
  if (tracked.pixel) insert(*tracked.pixel, "open", std::nullopt, std::nullopt);
  for (const TrackedLink& link : tracked.links) {
    insert(link.token, "click", static_cast<int64_t>(link.position), link.url);
  }
}

std::optional<LinkRow> EmailStore::FindLink(db::Session& session,
                                            std::string_view token_hash) const {
  std::optional<LinkRow> link;
  session.First(
      db::Query("SELECT email_id, link_position, url FROM email_tokens WHERE token_hash = ")
          .Param(token_hash)
          .Sql(" AND kind = 'click'"),
      [&](const db::Row& row) {
        link = LinkRow{row.TextAt(0), row.IntAt(1).value_or(0), row.TextAt(2)};
      });
  return link;
}

std::map<std::string, std::string> EmailStore::ResolveOpenTokens(
    db::Session& session, const std::vector<std::string>& hashes) const {
  std::map<std::string, std::string> found;
  constexpr std::size_t kChunk = 200;
  for (std::size_t start = 0; start < hashes.size(); start += kChunk) {
    const auto first = hashes.begin() + static_cast<std::ptrdiff_t>(start);
    const auto last =
        hashes.begin() + static_cast<std::ptrdiff_t>(std::min(hashes.size(), start + kChunk));
    db::Query query(
        "SELECT token_hash, email_id FROM email_tokens WHERE kind = 'open' AND token_hash IN (");
    query.ParamList(std::vector<std::string>(first, last)).Sql(")");
    session.ForEach(query, [&](const db::Row& row) { found[row.TextAt(0)] = row.TextAt(1); });
  }
  return found;
}

void EmailStore::InsertEvents(db::Session& session, const std::vector<EventRow>& events) const {
  constexpr std::size_t kRowsPerStatement = 100;
  for (std::size_t start = 0; start < events.size(); start += kRowsPerStatement) {
    db::Query query(
        "INSERT INTO email_events (id, email_id, kind, link_position, url, visitor, user_agent, "
        "occurred_at) VALUES ");
    const std::size_t end = std::min(events.size(), start + kRowsPerStatement);
    for (std::size_t i = start; i < end; ++i) {
      const EventRow& e = events[i];
      if (i > start) query.Sql(", ");
      query.Sql("(").Param(core::NewId()).Sql(", ").Param(e.email_id).Sql(", ").Param(e.kind);
      query.Sql(", ").Param(e.link_position).Sql(", ").Param(e.url).Sql(", ").Param(e.visitor);
      query.Sql(", ").Param(e.user_agent).Sql(", ").Param(e.occurred_at).Sql(")");
    }
    session.Exec(query);
  }
}

Engagement EmailStore::EngagementOf(db::Session& session, const Email& email) const {
  Engagement engagement;
  engagement.sent_at = email.sent_at;
  session.First(
      db::Query("SELECT count(*), count(DISTINCT visitor), MIN(occurred_at), MAX(occurred_at) "
                "FROM email_events WHERE email_id = ")
          .Param(email.id)
          .Sql(" AND kind = 'open'"),
      [&](const db::Row& row) {
        engagement.opens = row.IntAt(0).value_or(0);
        engagement.unique_opens = row.IntAt(1).value_or(0);
        engagement.first_opened_at = row.OptTextAt(2);
        engagement.last_opened_at = row.OptTextAt(3);
      });
  session.First(
      db::Query("SELECT count(*), count(DISTINCT visitor) FROM email_events WHERE email_id = ")
          .Param(email.id)
          .Sql(" AND kind = 'click'"),
      [&](const db::Row& row) {
        engagement.clicks = row.IntAt(0).value_or(0);
        engagement.unique_clicks = row.IntAt(1).value_or(0);
      });
  // Every tracked link of the email (once per position, whichever attempt sent it) with its
  // clicks.
  session.ForEach(
      db::Query("SELECT t.link_position, MIN(t.url), "
                "(SELECT count(*) FROM email_events v WHERE v.email_id = t.email_id AND "
                "v.kind = 'click' AND v.link_position = t.link_position) "
                "FROM email_tokens t WHERE t.email_id = ")
          .Param(email.id)
          .Sql(" AND t.kind = 'click' GROUP BY t.email_id, t.link_position ORDER BY "
               "t.link_position"),
      [&](const db::Row& row) {
        engagement.links.push_back(
            {row.IntAt(0).value_or(0), row.TextAt(1), row.IntAt(2).value_or(0)});
      });
  session.ForEach(
      db::Query("SELECT id, message_id, from_address, from_name, subject, text_body, matched_by, "
                "received_at FROM email_replies WHERE email_id = ")
          .Param(email.id)
          .Sql(" ORDER BY received_at, id"),
      [&](const db::Row& row) {
        Reply reply;
        reply.id = row.TextAt(0);
        reply.email_id = email.id;
        reply.message_id = row.OptTextAt(1);
        reply.from = row.TextAt(2);
        reply.from_name = row.OptTextAt(3);
        reply.subject = row.TextAt(4);
        reply.text = row.TextAt(5);
        reply.matched_by = row.TextAt(6);
        reply.received_at = row.TextAt(7);
        engagement.replies.push_back(std::move(reply));
      });
  return engagement;
}

EmailStats EmailStore::Stats(db::Session& session, const Audience& audience,
                             const std::optional<std::string>& from,
                             const std::optional<std::string>& to) const {
  EmailStats stats;
  stats.from = from;
  stats.to = to;
  auto period = [&](db::Query& query, std::string_view column) {
    if (from) query.Sql(fmt::format(" AND e.{} >= ", column)).Param(*from);
    if (to) query.Sql(fmt::format(" AND e.{} < ", column)).Param(*to);
  };
  db::Query sent(
      "SELECT count(*), "
      "COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM email_events v WHERE v.email_id = e.id AND "
      "v.kind = 'open') THEN 1 ELSE 0 END), 0), "
      "COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM email_events v WHERE v.email_id = e.id AND "
      "v.kind = 'click') THEN 1 ELSE 0 END), 0), "
      "COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM email_replies r WHERE r.email_id = e.id) "
      "THEN 1 ELSE 0 END), 0) "
      "FROM emails e WHERE e.status = 'sent'");
  period(sent, "sent_at");
  AppendAudience(sent, Audience{.system = false, .agent_id = audience.agent_id});
  session.First(sent, [&](const db::Row& row) {
    stats.sent = row.IntAt(0).value_or(0);
    stats.opened = row.IntAt(1).value_or(0);
    stats.clicked = row.IntAt(2).value_or(0);
    stats.replied = row.IntAt(3).value_or(0);
  });
  db::Query failed("SELECT count(*) FROM emails e WHERE e.status = 'failed'");
  period(failed, "created_at");
  AppendAudience(failed, Audience{.system = false, .agent_id = audience.agent_id});
  stats.failed = session.Scalar(failed);
  return stats;
}

EngagementCounts EmailStore::CountEngagement(
    db::Session& session, const std::function<void(db::Query&)>& append_ids) const {
  EngagementCounts counts;
  db::Query query(
      "SELECT count(*), "
      "COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM email_events v WHERE v.email_id = e.id AND "
      "v.kind = 'open') THEN 1 ELSE 0 END), 0), "
      "COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM email_events v WHERE v.email_id = e.id AND "
      "v.kind = 'click') THEN 1 ELSE 0 END), 0), "
      "COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM email_replies r WHERE r.email_id = e.id) "
      "THEN 1 ELSE 0 END), 0) "
      "FROM emails e WHERE e.status = 'sent' AND e.id IN (");
  append_ids(query);
  query.Sql(")");
  session.First(query, [&](const db::Row& row) {
    counts.sent = row.IntAt(0).value_or(0);
    counts.opened = row.IntAt(1).value_or(0);
    counts.clicked = row.IntAt(2).value_or(0);
    counts.replied = row.IntAt(3).value_or(0);
  });
  return counts;
}

std::optional<std::string> EmailStore::FindByMessageId(db::Session& session,
                                                       std::string_view message_id) const {
  std::optional<std::string> id;
  session.First(db::Query("SELECT id FROM emails WHERE message_id = ").Param(message_id),
                [&](const db::Row& row) { id = row.TextAt(0); });
  return id;
}

std::optional<std::string> EmailStore::FindByReplyTag(db::Session& session,
                                                      std::string_view tag) const {
  std::optional<std::string> id;
  session.First(db::Query("SELECT id FROM emails WHERE reply_tag = ").Param(tag),
                [&](const db::Row& row) { id = row.TextAt(0); });
  return id;
}

std::optional<std::string> EmailStore::FindReplyId(db::Session& session, std::string_view email_id,
                                                   std::string_view message_id) const {
  std::optional<std::string> id;
  session.First(db::Query("SELECT id FROM email_replies WHERE email_id = ")
                    .Param(email_id)
                    .Sql(" AND message_id = ")
                    .Param(message_id),
                [&](const db::Row& row) { id = row.TextAt(0); });
  return id;
}

void EmailStore::InsertReply(db::Session& session, const Reply& reply) const {
  db::Query query(
      "INSERT INTO email_replies (id, email_id, message_id, from_address, from_name, subject, "
      "text_body, matched_by, received_at) VALUES (");
  query.Param(reply.id).Sql(", ").Param(reply.email_id).Sql(", ").Param(reply.message_id);
  query.Sql(", ").Param(reply.from).Sql(", ").Param(reply.from_name).Sql(", ").Param(reply.subject);
  query.Sql(", ").Param(reply.text).Sql(", ").Param(reply.matched_by).Sql(", ");
  query.Param(reply.received_at).Sql(")");
  session.Exec(query);
}

std::string EmailStore::GetOrCreateSetting(db::Session& session, std::string_view key,
                                           const std::string& fresh) const {
  db::Query insert("INSERT INTO app_settings (setting_key, value, updated_at) VALUES (");
  insert.Param(key).Sql(", ").Param(fresh).Sql(", ").Param(core::FormatTimestamp(core::Now()));
  insert.Sql(") ON CONFLICT DO NOTHING");
  session.Exec(insert);
  std::string value;
  session.First(db::Query("SELECT value FROM app_settings WHERE setting_key = ").Param(key),
                [&](const db::Row& row) { value = row.TextAt(0); });
  return value;
}

}  // namespace rapport::email
