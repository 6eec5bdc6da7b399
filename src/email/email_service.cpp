#include "email/email_service.hpp"

#include <strings.h>

#include <algorithm>

#include <sodium.h>

#include <fmt/format.h>

#include "core/ids.hpp"
#include "core/sodium.hpp"
#include "core/text.hpp"
#include "core/time.hpp"
#include "email/html.hpp"
#include "email/inbound.hpp"
#include "email/tracking.hpp"

namespace rapport::email {

namespace {

constexpr std::size_t kReplyTagBytes = 12;  // 24 hex characters

std::string Digest(std::string_view text) {
  core::EnsureSodium();
  unsigned char digest[crypto_generichash_BYTES];
  crypto_generichash(digest, sizeof digest, reinterpret_cast<const unsigned char*>(text.data()),
                     text.size(), nullptr, 0);
  return std::string(reinterpret_cast<char*>(digest), sizeof digest);
}

std::string NewReplyTag() {
  core::EnsureSodium();
  unsigned char bytes[kReplyTagBytes];
  randombytes_buf(bytes, sizeof bytes);
  char hex[sizeof bytes * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, bytes, sizeof bytes);
  return std::string(hex, sizeof bytes * 2);
}

bool IsReplyTag(std::string_view tag) {
  if (tag.size() != kReplyTagBytes * 2) return false;
  return std::all_of(tag.begin(), tag.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// At most `max` bytes of `text`, not splitting a character.
std::string Truncate(std::string text, std::size_t max) {
  if (text.size() <= max) return text;
  text.resize(max);
  return SanitizeUtf8(text);
}

std::string Now() { return core::FormatTimestamp(core::Now()); }

Audience AudienceOf(const core::Principal& who) {
  Audience audience;
  audience.system = who.is_admin();
  if (who.is_agent()) audience.agent_id = who.id;
  return audience;
}

core::Status RequireStaff(const core::Principal& who) {
  if (!who.is_user()) return core::Error::Forbidden("only staff users work with email");
  return core::Ok{};
}

core::Error NotFound(std::string_view id) { return core::Error::NotFound("email", id); }

constexpr std::string_view kInterruptedError =
    "delivery was interrupted (the server stopped mid-delivery); not sent again, so that "
    "nobody gets the message twice";

}  // namespace

EmailService::EmailService(db::Database& database, customers::CustomerService& customers,
                           MailSettings settings)
    : database_(database),
      customers_(customers),
      settings_(std::move(settings)),
      store_(database.engine()),
      sender_(settings_),
      recorder_(
          std::make_unique<EngagementRecorder>(database_, store_, EngagementRecorder::Options{})) {
  if (!settings_.inbound_secret.empty()) inbound_secret_hash_ = Digest(settings_.inbound_secret);
}

EmailService::~EmailService() = default;

// --- Sending -----------------------------------------------------------------------------

void EmailService::Queue(db::Session& tx, Email& email, bool with_job) {
  const std::string now = Now();
  if (email.id.empty()) email.id = core::NewId();
  email.status = "queued";
  email.message_id =
      fmt::format("{}@{}", email.id, core::ToLowerAscii(DomainOf(settings_.from.address)));
  email.reply_tag = NewReplyTag();
  email.created_at = email.updated_at = now;
  store_.Insert(tx, email);
  if (!with_job) return;
  jobs::Enqueue(tx, {.kind = std::string(kDeliveryJob),
                     .payload = {{"email_id", email.id}},
                     .dedupe_key = fmt::format("{}:{}", kDeliveryJob, email.id),
                     .max_attempts = kDeliveryAttempts});
}

core::Result<Email> EmailService::Send(const core::Principal& who, const NewEmail& input) {
  if (auto allowed = RequireStaff(who); !allowed) return allowed.error();
  return database_.Write([&](db::Session& tx) -> core::Result<Email> {
    Email email;
    email.kind = std::string(kKindUser);
    email.sender_id = who.id;
    email.subject = input.subject;
    email.text = input.text;
    email.html = input.html;
    email.track_opens = input.track_opens;
    email.track_clicks = input.track_clicks;
    if (input.to) email.to = *input.to;
    if (input.customer_id) {
      auto customer = customers_.Get(tx, who, *input.customer_id);
      if (!customer) return core::Error::Invalid("customer_id", "no such customer");
      email.customer_id = customer->id;
      if (!input.to) {
        if (!customer->email) {
          return core::Error::Invalid("to", "is required: the customer has no email address");
        }
        email.to = *customer->email;
      }
      if (customer->email && core::ToLowerAscii(*customer->email) == core::ToLowerAscii(email.to)) {
        email.to_name = customer->name;
      }
    }
    Queue(tx, email);
    return email;
  });
}

std::vector<core::FieldError> EmailService::CheckMessage(std::string_view to,
                                                         std::string_view subject,
                                                         std::string_view text,
                                                         const std::optional<std::string>& html) {
  std::vector<core::FieldError> errors;
  if (!core::IsValidEmail(to)) errors.push_back({"to", "must be a valid email address"});
  if (core::Trim(subject).empty() || subject.size() > kMaxSubjectBytes ||
      subject.find_first_of("\r\n") != std::string::npos) {
    errors.push_back({"subject", "must be one line of 1 to 500 bytes"});
  }
  if (text.empty() || text.size() > kMaxBodyBytes) {
    errors.push_back({"text", "must be 1 byte to 512 KiB"});
  }
  if (html && html->size() > kMaxBodyBytes) {
    errors.push_back({"html", "must be at most 512 KiB"});
  }
  return errors;
}

// The subject trimmed, the bodies as valid UTF-8.
template <typename Message>
core::Result<Email> EmailService::MessageEmail(std::string_view kind, const Message& message) {
  auto errors = CheckMessage(message.to, message.subject, message.text, message.html);
  if (!errors.empty()) return core::Error::Invalid(std::move(errors));
  Email email;
  email.kind = std::string(kind);
  email.customer_id = message.customer_id;
  email.to = message.to;
  email.to_name = message.to_name;
  email.subject = core::Trim(message.subject);
  email.text = SanitizeUtf8(message.text);
  if (message.html) email.html = SanitizeUtf8(*message.html);
  return email;
}

core::Result<Email> EmailService::EnqueueSystemMessage(db::Session& tx,
                                                       const SystemMessage& message) {
  auto email = MessageEmail(kKindSystem, message);
  if (!email) return email.error();
  email->track_opens = email->track_clicks = false;
  Queue(tx, *email);
  return email;
}

// --- Reading -----------------------------------------------------------------------------

bool EmailService::CanSee(db::Session& session, const core::Principal& who, const Email& email) {
  if (!who.is_user()) return false;
  if (email.kind == kKindSystem) return who.is_admin();
  if (who.is_staff_manager()) return true;
  if (email.sender_id == who.id) return true;
  return email.customer_id && customers_.Get(session, who, *email.customer_id).ok();
}

core::Result<Email> EmailService::Visible(db::Session& session, const core::Principal& who,
                                          std::string_view id) {
  if (!core::IsUuid(id)) return NotFound(id);
  auto email = store_.FindById(session, core::ToLowerAscii(id));
  if (!email || !CanSee(session, who, *email)) return NotFound(id);
  return std::move(*email);
}

core::Result<core::Page> EmailService::List(const core::Principal& who, const EmailFilter& filter,
                                            const core::PageRequest& page) {
  if (auto allowed = RequireStaff(who); !allowed) return allowed.error();
  return database_.Read(
      [&](db::Session& session) { return store_.List(session, filter, AudienceOf(who), page); });
}

core::Result<Email> EmailService::Get(const core::Principal& who, std::string_view id) {
  if (auto allowed = RequireStaff(who); !allowed) return allowed.error();
  return database_.Read([&](db::Session& session) { return Visible(session, who, id); });
}

core::Result<Engagement> EmailService::GetEngagement(const core::Principal& who,
                                                     std::string_view id) {
  if (auto allowed = RequireStaff(who); !allowed) return allowed.error();
  return database_.Read([&](db::Session& session) -> core::Result<Engagement> {
    auto email = Visible(session, who, id);
    if (!email) return email.error();
    return store_.EngagementOf(session, *email);
  });
}

core::Result<EmailStats> EmailService::Stats(const core::Principal& who,
                                             const std::optional<std::string>& from,
                                             const std::optional<std::string>& to) {
  if (auto allowed = RequireStaff(who); !allowed) return allowed.error();
  return database_.Read(
      [&](db::Session& session) { return store_.Stats(session, AudienceOf(who), from, to); });
}

// --- Inbound -----------------------------------------------------------------------------

core::Status EmailService::CheckInboundSecret(std::string_view authorization) const {
  if (inbound_secret_hash_.empty()) {
    return core::Error::Unavailable("inbound email is not configured (RAPPORT_INBOUND_SECRET)");
  }
  constexpr std::string_view kScheme = "bearer ";
  if (authorization.size() <= kScheme.size() ||
      strncasecmp(authorization.data(), kScheme.data(), kScheme.size()) != 0) {
    return core::Error::Unauthorized("the inbound secret is required as a bearer token");
  }
  // Both sides hashed to a fixed length first, so the comparison takes the same time
  // whatever was presented.
  const std::string presented = Digest(core::Trim(authorization.substr(kScheme.size())));
  if (sodium_memcmp(presented.data(), inbound_secret_hash_.data(), presented.size()) != 0) {
    return core::Error::Unauthorized("the inbound secret does not match");
  }
  return core::Ok{};
}

core::Result<InboundResult> EmailService::ReceiveInbound(std::string_view raw) {
  auto parsed = ParseInbound(raw);
  if (!parsed) return parsed.error();
  const InboundMessage& message = *parsed;
  return database_.Write([&](db::Session& tx) -> core::Result<InboundResult> {
    InboundResult result;
    std::optional<std::string> email_id;
    auto by_message_id = [&](const std::vector<std::string>& ids, bool newest_first,
                             std::string_view how) {
      const std::size_t n = ids.size();
      for (std::size_t i = 0; i < n && !email_id; ++i) {
        const std::string& id = ids[newest_first ? n - 1 - i : i];
        email_id = store_.FindByMessageId(tx, core::ToLowerAscii(id));
        if (email_id) result.matched_by = std::string(how);
      }
    };
    by_message_id(message.in_reply_to, false, "in_reply_to");
    by_message_id(message.references, true, "references");
    for (const std::string& recipient : message.recipients) {
      if (email_id) break;
      const std::string tag = core::ToLowerAscii(PlusTag(recipient));
      if (!IsReplyTag(tag)) continue;
      email_id = store_.FindByReplyTag(tx, tag);
      if (email_id) result.matched_by = "reply_to";
    }
    if (!email_id) return result;
    result.matched = true;
    result.email_id = email_id;

    if (message.message_id) {
      if (auto existing = store_.FindReplyId(tx, *email_id, *message.message_id)) {
        result.duplicate = true;
        result.reply_id = existing;
        return result;
      }
    }
    auto email = store_.FindById(tx, *email_id);
    Reply reply;
    reply.id = core::NewId();
    reply.email_id = *email_id;
    reply.message_id = message.message_id;
    reply.from = Truncate(message.from.address, 320);
    if (!message.from.name.empty()) reply.from_name = Truncate(message.from.name, 320);
    reply.subject = Truncate(message.subject, kMaxSubjectBytes);
    reply.text = Truncate(message.text, kMaxBodyBytes);
    reply.matched_by = *result.matched_by;
    reply.received_at = Now();
    store_.InsertReply(tx, reply);
    result.reply_id = reply.id;
    if (reply_listener_ && email) {
      reply_listener_(tx,
                      ReplyNotice{reply.id, reply.email_id, email->sender_id, email->customer_id,
                                  reply.from, reply.subject, reply.received_at});
    }
    return result;
  });
}

// --- Tracking ----------------------------------------------------------------------------

void EmailService::RecordOpen(std::string_view token, std::string_view user_agent,
                              std::string_view ip) {
  if (!IsTokenShaped(token)) return;
  recorder_->RecordOpen(std::string(token), user_agent, ip);
}

core::Result<std::string> EmailService::Click(std::string_view token, std::string_view user_agent,
                                              std::string_view ip) {
  if (!IsTokenShaped(token)) return core::Error::NotFound("no such link");
  const std::string hash = HashToken(token);
  auto link = database_.Read([&](db::Session& session) { return store_.FindLink(session, hash); });
  if (!link) return core::Error::NotFound("no such link");
  recorder_->RecordClick(*link, user_agent, ip);
  return link->url;
}

// --- Delivery ----------------------------------------------------------------------------

void EmailService::RegisterJobs(jobs::JobQueue& queue) {
  queue.Handle(std::string(kDeliveryJob), [this](const jobs::Job& job) { return Deliver(job); });
}

jobs::Outcome EmailService::Deliver(const jobs::Job& job) {
  const std::string id = job.payload.value("email_id", "");
  if (!core::IsUuid(id)) return jobs::Outcome::Fail("the payload names no email_id");
  std::optional<Attempt> attempt;
  if (StartAttempt(id, /*refuse_interrupted=*/false, attempt) != Found::kReady) {
    return jobs::Outcome::Done();  // already sent or failed, or erased
  }
  const DeliveryReport report = Finish(*attempt, job.attempt, job.attempt >= job.max_attempts);
  if (report.kind == DeliveryReport::Kind::kRetry) return jobs::Outcome::Retry(report.detail);
  return jobs::Outcome::Done();
}

EmailService::Found EmailService::StartAttempt(std::string_view id, bool refuse_interrupted,
                                               std::optional<Attempt>& attempt,
                                               const DeliveryRecorder& record) {
  return database_.Write([&](db::Session& tx) -> core::Result<Found> {
    auto email = store_.FindById(tx, id);
    if (!email) return Found::kGone;
    if (email->status == "sent") return Found::kSent;
    if (email->status == "failed") return Found::kFailed;
    const std::string now = Now();
    if (email->status == "sending" && refuse_interrupted) {
      store_.MarkFailed(tx, id, kInterruptedError, now);
      if (record) {
        record(tx, {DeliveryReport::Kind::kInterrupted, std::string(kInterruptedError)});
      }
      return Found::kInterrupted;
    }
    store_.MarkSending(tx, id, now);
    email->attempts += 1;
    std::string html = email->html ? *email->html : TextToHtml(email->text);
    if (settings_.smtp_enabled) {
      // Fresh tokens for every attempt: only their hashes are stored, and an earlier
      // attempt's links keep working should its message have arrived after all.
      const bool user = email->kind == kKindUser;
      TrackedHtml tracked = AddTracking(html, settings_.public_url, user && email->track_opens,
                                        user && email->track_clicks);
      store_.InsertTokens(tx, id, tracked, now);
      html = std::move(tracked.html);
    }
    attempt.emplace(Attempt{std::move(*email), std::move(html)});
    return Found::kReady;
  }).value();
}

DeliveryReport EmailService::Finish(const Attempt& attempt, int attempt_number,
                                    bool last_attempt, const DeliveryRecorder& record) {
  const Email& email = attempt.email;
  const std::string& id = email.id;
  // Stores `report` with `mark`, and the caller's record of it, in one transaction.
  auto store = [&](DeliveryReport report, const std::function<void(db::Session&)>& mark) {
    database_.Apply([&](db::Session& tx) {
      mark(tx);
      if (record) record(tx, report);
    });
    return report;
  };
  if (!settings_.smtp_enabled) {
    // Development mode: the outbox is the destination.
    return store({DeliveryReport::Kind::kSent, "kept in the outbox"}, [&](db::Session& tx) {
      store_.MarkSent(tx, id, "outbox", std::nullopt, Now());
    });
  }

  OutgoingMessage message;
  message.from = settings_.from;
  message.to = {email.to_name.value_or(""), email.to};
  message.reply_to =
      Mailbox{settings_.from.name, PlusAddress(settings_.from.address, email.reply_tag)};
  message.subject = email.subject;
  message.message_id = email.message_id;
  message.date = core::Now();
  message.text = email.text;
  message.html = attempt.html;
  message.extra_headers.emplace_back("X-Rapport-Email-Id", email.id);
  if (email.kind == kKindSystem)
    message.extra_headers.emplace_back("Auto-Submitted", "auto-generated");

  const SendResult sent = sender_.Send(message);
  const std::string now = Now();
  switch (sent.kind) {
    case SendResult::Kind::kSent:
      return store({DeliveryReport::Kind::kSent, sent.reply},
                   [&](db::Session& tx) { store_.MarkSent(tx, id, "smtp", sent.reply, now); });
    case SendResult::Kind::kPermanent:
      return store({DeliveryReport::Kind::kFailed, sent.reply},
                   [&](db::Session& tx) { store_.MarkFailed(tx, id, sent.reply, now); });
    case SendResult::Kind::kTransient:
      break;
  }
  if (last_attempt) {
    const std::string reason =
        fmt::format("gave up after {} attempts; last: {}", attempt_number, sent.reply);
    return store({DeliveryReport::Kind::kFailed, reason},
                 [&](db::Session& tx) { store_.MarkFailed(tx, id, reason, now); });
  }
  return store({DeliveryReport::Kind::kRetry, sent.reply},
               [&](db::Session& tx) { store_.MarkRetrying(tx, id, sent.reply, now); });
}

// --- Managed messages (campaigns) ------------------------------------------------------------

core::Result<Email> EmailService::CreateManagedMessage(db::Session& tx,
                                                       const ManagedMessage& message) {
  auto email = MessageEmail(kKindUser, message);
  if (!email) return email.error();
  email->sender_id = message.sender_id;
  email->track_opens = message.track_opens;
  email->track_clicks = message.track_clicks;
  Queue(tx, *email, /*with_job=*/false);
  return email;
}

DeliveryReport EmailService::DeliverOnce(std::string_view email_id, bool last_attempt,
                                         const DeliveryRecorder& record) {
  std::optional<Attempt> attempt;
  // An outcome stored before (or none to store): reported, and recorded on its own.
  auto known = [&](DeliveryReport report) {
    if (record) database_.Apply([&](db::Session& tx) { record(tx, report); });
    return report;
  };
  switch (StartAttempt(email_id, /*refuse_interrupted=*/true, attempt, record)) {
    case Found::kReady:
      break;
    case Found::kGone:
      return known({DeliveryReport::Kind::kGone, "the email no longer exists"});
    case Found::kInterrupted:
      return {DeliveryReport::Kind::kInterrupted, std::string(kInterruptedError)};
    case Found::kSent:
    case Found::kFailed: {
      auto email = database_.Read([&](db::Session& s) { return store_.FindById(s, email_id); });
      if (!email) return known({DeliveryReport::Kind::kGone, "the email no longer exists"});
      if (email->status == "sent") {
        return known({DeliveryReport::Kind::kSent, email->smtp_response.value_or("")});
      }
      return known({DeliveryReport::Kind::kFailed, email->error.value_or("")});
    }
  }
  return Finish(*attempt, static_cast<int>(attempt->email.attempts), last_attempt, record);
}

EngagementCounts EmailService::CountEngagement(
    db::Session& session, const std::function<void(db::Query&)>& append_ids) {
  return store_.CountEngagement(session, append_ids);
}

}  // namespace rapport::email
