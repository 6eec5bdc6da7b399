#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/page.hpp"
#include "core/principal.hpp"
#include "core/result.hpp"
#include "customers/customer_service.hpp"
#include "db/database.hpp"
#include "email/email.hpp"
#include "email/email_store.hpp"
#include "email/engagement_recorder.hpp"
#include "email/mail_settings.hpp"
#include "email/smtp_sender.hpp"
#include "jobs/job.hpp"
#include "jobs/job_queue.hpp"

namespace rapport::email {

// What a stored reply tells whoever wants to react to it (notifications).
struct ReplyNotice {
  std::string reply_id;
  std::string email_id;
  std::optional<std::string> sender_id;    // the staff user who sent the email, if any
  std::optional<std::string> customer_id;  // the customer the email is about, if any
  std::string from;                        // the reply's From address
  std::string subject;                     // the reply's subject
  std::string received_at;
};

// Called inside the transaction that stores a reply, once per stored reply (a message
// delivered twice is stored once). Whatever it writes commits or rolls back with the reply.
using ReplyListener = std::function<void(db::Session& tx, const ReplyNotice& reply)>;

// What POST /emails/inbound did with a message.
struct InboundResult {
  bool matched = false;
  bool duplicate = false;  // the same message (Message-ID) was stored before
  std::optional<std::string> email_id;
  std::optional<std::string> reply_id;
  std::optional<std::string> matched_by;  // in_reply_to | references | reply_to
};

// Email: the outbox, delivery, tracking, replies, engagement and statistics.
//
// Who sees what: admins see every email, system mail included; managers see every user
// email; an agent sees the user emails they sent and those of customers they can see
// (CustomerService's rule). Anything else is NotFound, in reads and lists alike. Only staff
// users send (POST /emails).
//
// Delivery runs as the job kDeliveryJob, enqueued in the transaction that inserts the email.
// Errors: NotFound (missing, hidden or malformed id), Invalid naming the field,
// Unauthorized/Unavailable for the inbound secret. Thread-safe.
class EmailService {
 public:
  static constexpr std::string_view kDeliveryJob = "email.send";
  // Attempts of one delivery before the email is failed: with the queue's backoff (2 s
  // doubling, capped at 1 h) about six hours of retries.
  static constexpr int kDeliveryAttempts = 16;

  // `customers` must outlive this service.
  EmailService(db::Database& database, customers::CustomerService& customers,
               MailSettings settings);
  ~EmailService();

  const MailSettings& settings() const { return settings_; }

  // POST /emails: queues the message (202). With customer_id the customer must be visible
  // to `who`; `to` then defaults to the customer's email.
  core::Result<Email> Send(const core::Principal& who, const NewEmail& input);
  core::Result<core::Page> List(const core::Principal& who, const EmailFilter& filter,
                                const core::PageRequest& page);
  core::Result<Email> Get(const core::Principal& who, std::string_view id);
  core::Result<Engagement> GetEngagement(const core::Principal& who, std::string_view id);
  // User emails sent in [from, to) (either bound optional) that `who` may see.
  core::Result<EmailStats> Stats(const core::Principal& who, const std::optional<std::string>& from,
                                 const std::optional<std::string>& to);

  // --- Inbound replies ---------------------------------------------------------------------
  // Checks `Authorization: Bearer <RAPPORT_INBOUND_SECRET>` in constant time: Unavailable
  // when no secret is configured, Unauthorized when it does not match.
  core::Status CheckInboundSecret(std::string_view authorization) const;
  // Parses a raw RFC 5322 message, matches it to a sent email (In-Reply-To, then References
  // newest first, then the Reply-To plus tag among the recipients) and stores its text.
  // Malformed for something that is not a message; an unmatched message is not an error.
  core::Result<InboundResult> ReceiveInbound(std::string_view raw);

  // --- Tracking (no authentication; constant work on the request path) ---------------------
  // Notes an open of the pixel token (recorded later; unknown tokens are dropped there).
  void RecordOpen(std::string_view token, std::string_view user_agent, std::string_view ip);
  // The URL recorded for the click token, noting the click; NotFound for any token that
  // is not a click token of a sent email.
  core::Result<std::string> Click(std::string_view token, std::string_view user_agent,
                                  std::string_view ip);
  // Writes the buffered opens and clicks now (tests).
  void FlushTracking() { recorder_->Flush(); }

  // --- For other capabilities ---------------------------------------------------------------
  // Queues a message from the server itself (notification emails, portal verification)
  // inside the caller's transaction `tx`: the same outbox and delivery job as user email,
  // kind `system`, not tracked, visible to admins only. Invalid naming `to`, `subject` or
  // `text` when they are not acceptable.
  core::Result<Email> EnqueueSystemMessage(db::Session& tx, const SystemMessage& message);

  // The user emails of one customer for the timeline, newest first by occurred_at() then
  // id; with `before` = (occurred_at, id) of the last item seen, the ones after it. The
  // caller has checked that the customer is visible; every email of a visible customer is.
  std::vector<Email> EmailsOfCustomer(
      db::Session& session, std::string_view customer_id,
      const std::optional<std::pair<std::string, std::string>>& before, int limit);

  // NOTIFICATION HOOK: the one place a reply reaches the rest of the system. Set it once,
  // before serving (not thread-safe against concurrent inbound mail).
  void SetReplyListener(ReplyListener listener) { reply_listener_ = std::move(listener); }

  // --- Delivery ---------------------------------------------------------------------------
  // Registers the kDeliveryJob handler on `queue` (before queue.Start()).
  void RegisterJobs(jobs::JobQueue& queue);
  // One delivery attempt of the job's email: sending → sent | failed, or queued again for a
  // transient failure (Retry, with the queue's backoff). Idempotent: an email already sent
  // or failed, or gone (its customer erased), is left alone.
  jobs::Outcome Deliver(const jobs::Job& job);

 private:
  bool CanSee(db::Session& session, const core::Principal& who, const Email& email);
  core::Result<Email> Visible(db::Session& session, const core::Principal& who,
                              std::string_view id);
  // Inserts `email` (status queued, fresh Message-ID and reply tag) and its delivery job.
  void Queue(db::Session& tx, Email& email);

  db::Database& database_;
  customers::CustomerService& customers_;
  MailSettings settings_;
  EmailStore store_;
  SmtpSender sender_;
  std::string inbound_secret_hash_;  // BLAKE2b of the secret; empty when none
  ReplyListener reply_listener_;
  std::unique_ptr<EngagementRecorder> recorder_;
};

}  // namespace rapport::email
