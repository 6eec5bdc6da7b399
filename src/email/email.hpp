#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/json_reader.hpp"
#include "core/result.hpp"

namespace rapport::email {

// Limits of what an email may hold.
constexpr std::size_t kMaxSubjectBytes = 500;
constexpr std::size_t kMaxBodyBytes = 512 * 1024;  // each of text and html

// queued → sending → sent | failed; sending → queued again after a transient failure.
inline constexpr std::array<std::string_view, 4> kStatuses = {"queued", "sending", "sent",
                                                              "failed"};
bool IsValidStatus(std::string_view status);

// `user`: written by a staff user through POST /emails. `system`: sent by the server itself
// (notifications, portal verification), visible to admins only and never tracked.
inline constexpr std::string_view kKindUser = "user";
inline constexpr std::string_view kKindSystem = "system";

// An email of the outbox.
struct Email {
  std::string id;
  std::string kind{kKindUser};
  std::optional<std::string> sender_id;    // the staff user who sent it; none for system mail
  std::optional<std::string> customer_id;  // the customer it is about
  std::string to;                          // the recipient's address
  std::optional<std::string> to_name;      // their display name, when known
  std::string subject;
  std::string text;
  std::optional<std::string> html;  // as written; the sent HTML part adds tracking
  bool track_opens = true;
  bool track_clicks = true;
  std::string status{"queued"};
  std::string message_id;  // Message-ID without angle brackets
  std::string reply_tag;   // the plus tag of the Reply-To address
  int64_t attempts = 0;
  std::optional<std::string> error;          // why it failed (the server's reply)
  std::optional<std::string> smtp_response;  // the server's reply when it took the message
  std::optional<std::string> transport;      // smtp | outbox, once sent
  std::optional<std::string> sent_at;
  std::optional<std::string> failed_at;
  int64_t version = 1;
  std::string created_at;
  std::string updated_at;

  // {id, kind, to, to_name, subject, text, html, customer_id, sender_id, track_opens,
  //  track_clicks, status, message_id, attempts, error, smtp_response, transport, sent_at,
  //  failed_at, created_at, updated_at}
  nlohmann::json ToJson() const;
  // When it happened, for the timeline: sent_at, else created_at.
  const std::string& occurred_at() const { return sent_at ? *sent_at : created_at; }
  // One line for the timeline: `Email to grace@example.org: Proposal (sent)`.
  std::string Summary() const;
};

// The body of POST /emails.
struct NewEmail {
  std::optional<std::string> to;  // may be absent when customer_id names a customer with an email
  std::string subject;
  std::string text;
  std::optional<std::string> html;
  std::optional<std::string> customer_id;
  bool track_opens = true;
  bool track_clicks = true;
};

// Reads POST /emails: `subject` and `text` required; `subject` on one line (a CR or LF is
// refused, so no header can be smuggled in). Invalid names every bad, unknown or read-only
// field.
core::Result<NewEmail> ParseNewEmail(const nlohmann::json& body);

// A message the server sends on its own behalf (see EmailService::EnqueueSystemMessage).
struct SystemMessage {
  std::string to;  // a valid address
  std::optional<std::string> to_name = std::nullopt;
  std::string subject;  // one line
  std::string text;
  std::optional<std::string> html = std::nullopt;
  // When it concerns a customer (portal mail).
  std::optional<std::string> customer_id = std::nullopt;
};

// GET /emails filters.
struct EmailFilter {
  std::optional<std::string> customer_id;
  std::optional<std::string> status;
  std::optional<std::string> q;  // case-insensitive over recipient and subject
};

// Reads ?customer_id ?status ?q through `query`; BadRequest names the parameter.
core::Result<EmailFilter> ParseEmailFilter(
    const std::function<std::optional<std::string_view>(std::string_view)>& query);

inline const std::vector<std::string_view> kEmailSortFields = {"created_at", "updated_at",
                                                               "sent_at"};
constexpr std::string_view kDefaultEmailSort = "-created_at";

// A reply matched to a sent email.
struct Reply {
  std::string id;
  std::string email_id;
  std::optional<std::string> message_id;
  std::string from;
  std::optional<std::string> from_name;
  std::string subject;
  std::string text;
  std::string matched_by;  // in_reply_to | references | reply_to
  std::string received_at;

  // {id, received_at, from, from_name, subject, text}
  nlohmann::json ToJson() const;
};

// GET /emails/{id}/engagement.
struct Engagement {
  std::optional<std::string> sent_at;
  int64_t opens = 0;
  int64_t unique_opens = 0;
  std::optional<std::string> first_opened_at;
  std::optional<std::string> last_opened_at;
  int64_t clicks = 0;
  int64_t unique_clicks = 0;
  struct Link {
    int64_t position = 0;
    std::string url;
    int64_t clicks = 0;
  };
  std::vector<Link> links;
  std::vector<Reply> replies;

  nlohmann::json ToJson() const;
};

// GET /emails/stats: user emails sent in [from, to).
struct EmailStats {
  std::optional<std::string> from;
  std::optional<std::string> to;
  int64_t sent = 0;
  int64_t opened = 0;   // sent emails opened at least once
  int64_t clicked = 0;  // ... with at least one tracked click
  int64_t replied = 0;  // ... with at least one matched reply
  int64_t failed = 0;   // user emails that failed, created in the period

  // {from, to, sent, opened, clicked, replied, failed, open_rate, click_rate, reply_rate};
  // each rate is its count over `sent`, 0 when nothing was sent.
  nlohmann::json ToJson() const;
};

// Counts over a set of sent emails (EmailService::CountEngagement).
struct EngagementCounts {
  int64_t sent = 0;
  int64_t opened = 0;   // with at least one recorded open
  int64_t clicked = 0;  // with at least one recorded click
  int64_t replied = 0;  // with at least one matched reply
};

}  // namespace rapport::email
