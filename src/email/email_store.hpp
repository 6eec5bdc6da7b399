#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/page.hpp"
#include "db/database.hpp"
#include "email/email.hpp"
#include "email/tracking.hpp"

namespace rapport::email {

// Which emails a list or a statistic may include (the service decides; see EmailService).
struct Audience {
  bool system = false;  // system emails too (admins)
  // Agents: only emails this user sent or whose customer they can see (owned by them or
  // by nobody). nullopt: every user email.
  std::optional<std::string> agent_id;
};

// A recorded open or click, ready to store.
struct EventRow {
  std::string email_id;
  std::string kind;  // open | click
  std::optional<int64_t> link_position;
  std::optional<std::string> url;
  std::string visitor;
  std::string user_agent;
  std::string occurred_at;
};

// The click token's link.
struct LinkRow {
  std::string email_id;
  int64_t position = 0;
  std::string url;
};

// SQL for the outbox, tracking tokens, events and replies. Every function runs on the
// session it is given (inside the caller's transaction for writes); no authorization here.
class EmailStore {
 public:
  explicit EmailStore(db::Engine engine) : engine_(engine) {}

  void Insert(db::Session& session, const Email& email) const;
  std::optional<Email> FindById(db::Session& session, std::string_view id) const;

  core::Page List(db::Session& session, const EmailFilter& filter, const Audience& audience,
                  const core::PageRequest& page) const;
  // A customer's user emails, newest first by occurred_at (sent_at, else created_at) then id;
  // with `before` = (occurred_at, id), only those after it in that order.
  std::vector<Email> ListForCustomer(
      db::Session& session, std::string_view customer_id,
      const std::optional<std::pair<std::string, std::string>>& before, int limit) const;

  // Delivery state. Each bumps version and updated_at; each returns false when the email
  // is not in a state the change applies to.
  bool MarkSending(db::Session& session, std::string_view id, const std::string& now) const;
  bool MarkSent(db::Session& session, std::string_view id, std::string_view transport,
                const std::optional<std::string>& response, const std::string& now) const;
  bool MarkRetrying(db::Session& session, std::string_view id, std::string_view error,
                    const std::string& now) const;
  bool MarkFailed(db::Session& session, std::string_view id, std::string_view error,
                  const std::string& now) const;

  // Stores the tokens of one sending attempt of an email.
  void InsertTokens(db::Session& session, std::string_view email_id, const TrackedHtml& tracked,
                    const std::string& now) const;
  std::optional<LinkRow> FindLink(db::Session& session, std::string_view token_hash) const;
  // The emails of those open-token hashes that exist: hash → email id.
  std::map<std::string, std::string> ResolveOpenTokens(
      db::Session& session, const std::vector<std::string>& hashes) const;
  void InsertEvents(db::Session& session, const std::vector<EventRow>& events) const;

  // Engagement of one email (sent_at from `email`).
  Engagement EngagementOf(db::Session& session, const Email& email) const;
  EmailStats Stats(db::Session& session, const Audience& audience,
                   const std::optional<std::string>& from,
                   const std::optional<std::string>& to) const;

  // Reply matching.
  std::optional<std::string> FindByMessageId(db::Session& session,
                                             std::string_view message_id) const;
  std::optional<std::string> FindByReplyTag(db::Session& session, std::string_view tag) const;
  // The reply to `email_id` that had `message_id`, if stored before.
  std::optional<std::string> FindReplyId(db::Session& session, std::string_view email_id,
                                         std::string_view message_id) const;
  void InsertReply(db::Session& session, const Reply& reply) const;

  // A setting of app_settings, created with `fresh` when missing (race-safe).
  std::string GetOrCreateSetting(db::Session& session, std::string_view key,
                                 const std::string& fresh) const;

 private:
  db::Engine engine_;
};

}  // namespace rapport::email
