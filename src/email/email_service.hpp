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

// A message that another capability writes and delivers itself (campaigns): a tracked user
// email on behalf of `sender_id`, stored `queued` with no delivery job (see DeliverOnce).
struct ManagedMessage {
  std::string sender_id;
  std::optional<std::string> customer_id;
  std::string to;  // a valid address
  std::optional<std::string> to_name;
  std::string subject;  // one line
  std::string text;
  std::optional<std::string> html;
  bool track_opens = true;
  bool track_clicks = true;
};

// What one DeliverOnce() call did.
struct DeliveryReport {
  enum class Kind {
    kSent,         // the SMTP server took it (or the dev outbox kept it); detail: its reply
    kFailed,       // failed for good; detail: the reason
    kRetry,        // a transient failure; the email is queued again; detail: the reply
    kInterrupted,  // an earlier attempt was cut off mid-delivery: failed, not sent again
    kGone,         // no such email (its customer was erased)
  };
  Kind kind = Kind::kGone;
  std::string detail;
};

// Called with the outcome of a DeliverOnce() inside the transaction that stores it, so the
// caller's own record of the outcome commits with the email's.
using DeliveryRecorder = std::function<void(db::Session& tx, const DeliveryReport& report)>;

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

  // Stores a ManagedMessage inside the caller's transaction `tx`: status queued, no delivery
  // job; the caller delivers it with DeliverOnce(). Invalid naming `to`, `subject` or `text`
  // as EnqueueSystemMessage does.
  core::Result<Email> CreateManagedMessage(db::Session& tx, const ManagedMessage& message);
  // One delivery attempt of a managed email, at most once: an email found `sending` (an
  // earlier attempt stopped between starting and recording the SMTP conversation, e.g. the
  // process was killed) is marked failed instead of being sent again, since it may have
  // arrived. A queued email is delivered like the job does; after a transient failure it is
  // queued again, or failed when `last_attempt`. An email already sent or failed reports
  // that state and is left alone. `record` (optional) runs inside the transaction that
  // stores the outcome (in one of its own when the outcome was stored before).
  DeliveryReport DeliverOnce(std::string_view email_id, bool last_attempt,
                             const DeliveryRecorder& record = nullptr);
  // Counts of the sent emails among those whose ids `append_ids` selects: it appends a
  // subquery (`SELECT email_id FROM ... WHERE ...`) to the query it is given.
  EngagementCounts CountEngagement(db::Session& session,
                                   const std::function<void(db::Query&)>& append_ids);

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
  // Inserts `email` (status queued, fresh Message-ID and reply tag), and its delivery job
  // unless `with_job` is false.
  void Queue(db::Session& tx, Email& email, bool with_job = true);
  // Problems of an outgoing message's fields, named `to`, `subject`, `text`, `html`.
  static std::vector<core::FieldError> CheckMessage(std::string_view to, std::string_view subject,
                                                    std::string_view text,
                                                    const std::optional<std::string>& html);
  // An email of `kind` from a system or managed message, checked as CheckMessage.
  template <typename Message>
  static core::Result<Email> MessageEmail(std::string_view kind, const Message& message);
  // The email and the HTML to send for one attempt, its state moved to `sending` (with fresh
  // tracking tokens); nullopt when there is nothing to send.
  struct Attempt {
    Email email;
    std::string html;
  };
  enum class Found { kReady, kGone, kSent, kFailed, kInterrupted };
  // With `refuse_interrupted`, an email found `sending` is failed (and `record` told, in
  // that transaction).
  Found StartAttempt(std::string_view id, bool refuse_interrupted, std::optional<Attempt>& attempt,
                     const DeliveryRecorder& record = nullptr);
  // Sends the attempt over SMTP (or keeps it in the dev outbox) and stores the result,
  // calling `record` in that transaction.
  DeliveryReport Finish(const Attempt& attempt, int attempt_number, bool last_attempt,
                        const DeliveryRecorder& record = nullptr);

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
