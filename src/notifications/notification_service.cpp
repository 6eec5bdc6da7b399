#include "notifications/notification_service.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/ids.hpp"
#include "core/text.hpp"
#include "core/time.hpp"

namespace rapport::notifications {

namespace {

using SteadyClock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr int kStreamBatch = 100;
// The longest a stream waits without looking at whether its client or the server went away.
constexpr milliseconds kWaitSlice{1000};

std::string NowText() { return core::FormatTimestamp(core::Now()); }

// The server itself, for reads done on behalf of background work and hooks (an admin's view,
// recorded as nobody), never for writes of other capabilities' records.
core::Principal System() {
  core::Principal who;
  who.kind = core::Principal::Kind::kUser;
  who.role = core::Role::kAdmin;
  return who;
}

core::Status RequireStaff(const core::Principal& who) {
  if (!who.is_user() || who.id.empty()) {
    return core::Error::Forbidden("only staff users have notifications");
  }
  return core::Ok{};
}

// The reminder of an interaction: its key (job and notification dedupe key) and when it is
// due; nullopt when the interaction wants none (not planned, no time, no reminder).
struct Reminder {
  std::string key;
  core::Timestamp scheduled_at;
  core::Timestamp due;
};
std::optional<Reminder> ReminderOf(const interactions::Interaction* interaction) {
  if (interaction == nullptr || interaction->status != "planned" || !interaction->scheduled_at ||
      !interaction->remind_before_minutes) {
    return std::nullopt;
  }
  auto at = core::ParseTimestamp(*interaction->scheduled_at);
  if (!at) return std::nullopt;
  return Reminder{fmt::format("reminder:{}:{}", interaction->id, *interaction->scheduled_at), *at,
                  *at - std::chrono::minutes(*interaction->remind_before_minutes)};
}

std::string TypeName(std::string_view type) {
  if (type == "follow_up") return "follow-up";
  return std::string(type);
}

// "Rapport: ..." subject and a plain-text body for a notification's email copy.
email::SystemMessage EmailFor(const auth::User& user, const Notification& n) {
  email::SystemMessage message;
  message.to = user.email;
  message.to_name = user.name;
  message.subject = "Rapport: " + n.message;
  message.text = fmt::format(
      "{}\n\nWhen: {}\nAbout: {} {}\n\n"
      "You get these emails because email notifications are on for your Rapport account.\n"
      "Turn them off with \"notify_by_email\": false on PATCH /api/v1/auth/me.\n",
      n.message, n.event_time, n.subject.kind, n.subject.id);
  return message;
}

}  // namespace

// --- Subscription ----------------------------------------------------------------------

NotificationService::Subscription::Subscription(NotificationService* service,
                                                std::string user_id, std::string after)
    : service_(service), user_id_(std::move(user_id)), after_(std::move(after)) {}

NotificationService::Subscription::Subscription(Subscription&& other) noexcept
    : service_(std::exchange(other.service_, nullptr)),
      user_id_(std::move(other.user_id_)),
      after_(std::move(other.after_)) {}

NotificationService::Subscription::~Subscription() {
  if (service_ != nullptr) service_->Release(user_id_);
}

// --- The service -------------------------------------------------------------------------

NotificationService::NotificationService(db::Database& database, auth::UserService& users,
                                         customers::CustomerService& customers,
                                         interactions::InteractionService& interactions,
                                         email::EmailService& emails, StreamOptions options,
                                         std::shared_ptr<spdlog::logger> log)
    : database_(database),
      users_(users),
      customers_(customers),
      interactions_(interactions),
      emails_(emails),
      options_(options),
      log_(std::move(log)),
      store_(database.engine()),
      hub_(database) {}

NotificationService::~NotificationService() { Stop(); }

core::Result<std::optional<Notification>> NotificationService::Create(
    db::Session& tx, const NewNotification& input) {
  auto normal = Normalise(input);
  if (!normal) return normal.error();
  auto user = users_.Find(tx, normal->user_id);
  if (!user) return core::Error::Invalid("user_id", "must be the id of an existing user");
  if (!user->active) return std::optional<Notification>();

  Notification n;
  n.id = core::NewId();
  n.user_id = user->id;
  n.kind = normal->kind;
  n.message = normal->message;
  n.subject = normal->subject;
  n.event_time = normal->event_time;
  n.created_at = NowText();
  if (!store_.InsertUnlessExists(tx, n, normal->dedupe_key, normal->customer_id)) {
    return std::optional<Notification>();
  }
  if (user->notify_by_email) {
    auto queued = emails_.EnqueueSystemMessage(tx, EmailFor(*user, n));
    if (queued) {
      n.notified_at = n.created_at;
      store_.MarkNotified(tx, {n.id}, *n.notified_at);
    } else if (log_) {
      log_->warn(nlohmann::json({{"event", "notification_email_refused"},
                                 {"notification_id", n.id},
                                 {"error", queued.error().detail}})
                     .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    }
  }
  hub_.WakeAfterCommit(tx, n.user_id);
  return std::optional<Notification>(std::move(n));
}

void NotificationService::Notify(db::Session& tx, NewNotification input) {
  auto created = Create(tx, input);
  if (!created && log_) {
    // Only a bug gets here (the hooks build their input): tell the log, keep the write.
    log_->error(nlohmann::json({{"event", "notification_refused"},
                                {"kind", input.kind},
                                {"error", created.error().detail}})
                    .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  }
}

std::string NotificationService::CustomerName(db::Session& tx, const std::string& customer_id) {
  auto customer = customers_.Get(tx, System(), customer_id);
  return customer ? customer->name : std::string("a customer");
}

core::Result<NotificationPage> NotificationService::List(const core::Principal& who,
                                                         const NotificationFilter& filter,
                                                         const core::PageRequest& page) {
  if (auto allowed = RequireStaff(who); !allowed) return allowed.error();
  return database_.Read([&](db::Session& session) -> core::Result<NotificationPage> {
    return store_.List(session, who.id, filter, page);
  });
}

core::Result<Notification> NotificationService::Get(const core::Principal& who,
                                                    std::string_view id) {
  if (auto allowed = RequireStaff(who); !allowed) return allowed.error();
  if (!core::IsUuid(id)) return core::Error::NotFound("notification", id);
  auto found = database_.Read([&](db::Session& session) { return store_.Find(session, who.id, id); });
  if (!found) return core::Error::NotFound("notification", id);
  return std::move(*found);
}

core::Result<Notification> NotificationService::MarkRead(const core::Principal& who,
                                                         std::string_view id) {
  if (auto allowed = RequireStaff(who); !allowed) return allowed.error();
  if (!core::IsUuid(id)) return core::Error::NotFound("notification", id);
  return database_.Write([&](db::Session& tx) -> core::Result<Notification> {
    store_.MarkRead(tx, who.id, id, NowText());
    auto found = store_.Find(tx, who.id, id);
    if (!found) return core::Error::NotFound("notification", id);
    return std::move(*found);
  });
}

core::Result<int64_t> NotificationService::MarkAllRead(const core::Principal& who) {
  if (auto allowed = RequireStaff(who); !allowed) return allowed.error();
  return database_.Write([&](db::Session& tx) -> core::Result<int64_t> {
    return store_.MarkAllRead(tx, who.id, NowText());
  });
}

// --- Streams -------------------------------------------------------------------------------

core::Result<NotificationService::Subscription> NotificationService::Subscribe(
    const core::Principal& who, std::optional<std::string_view> last_event_id) {
  if (auto allowed = RequireStaff(who); !allowed) return allowed.error();
  std::string after;
  if (last_event_id) {
    if (!core::IsUuid(*last_event_id)) {
      return core::Error::BadRequest("Last-Event-ID", "must be the id of a notification");
    }
    after = core::ToLowerAscii(*last_event_id);
  } else {
    // Only what is created from now on: one millisecond back, so nothing of this very
    // moment falls between the client's last list and its stream.
    after = IdFloor(std::chrono::system_clock::now() - milliseconds(1));
  }
  std::lock_guard lock(streams_mutex_);
  if (stopping_) return core::Error::Unavailable("the server is stopping");
  int& mine = user_streams_[who.id];
  if (mine >= options_.max_streams_per_user) {
    if (mine == 0) user_streams_.erase(who.id);
    core::Error error = core::Error::TooManyRequests(5);
    error.detail = fmt::format("at most {} notification streams may be open per user",
                               options_.max_streams_per_user);
    return error;
  }
  if (streams_ >= options_.max_streams) {
    if (mine == 0) user_streams_.erase(who.id);
    return core::Error::Unavailable("too many notification streams are open; retry later");
  }
  ++mine;
  ++streams_;
  return Subscription(this, who.id, std::move(after));
}

void NotificationService::Release(const std::string& user_id) {
  std::lock_guard lock(streams_mutex_);
  --streams_;
  auto it = user_streams_.find(user_id);
  if (it != user_streams_.end() && --it->second <= 0) user_streams_.erase(it);
}

int NotificationService::open_streams() const {
  std::lock_guard lock(streams_mutex_);
  return streams_;
}

void NotificationService::Pump(Subscription subscription, EventSink& sink) {
  const std::string& user_id = subscription.user_id_;
  // Never send ids at or below `floor`; each read starts above `scan_from`, which trails the
  // newest id sent by options_.lookback so that late commits are still seen; `sent` holds
  // the ids above scan_from already sent, so none goes out twice.
  const std::string floor = subscription.after_;
  std::string scan_from = floor;
  std::set<std::string> sent;

  if (!sink.write("retry: 3000\n\n")) return;  // the headers go out with the first part
  auto last_write = SteadyClock::now();
  auto last_read = SteadyClock::time_point::min();
  uint64_t token = hub_.Token(user_id);
  bool woken = true;
  while (!stopping_ && sink.open()) {
    if (woken || SteadyClock::now() - last_read >= options_.poll_interval) {
      token = hub_.Token(user_id);  // before reading: a wake-up during the read is kept
      last_read = SteadyClock::now();
      const std::string window = std::max(
          floor, IdFloor(std::chrono::system_clock::now() -
                         std::chrono::duration_cast<std::chrono::system_clock::duration>(
                             options_.lookback)));
      std::vector<std::string> delivered;
      for (std::string cursor = scan_from;;) {
        auto rows = database_.Read(
            [&](db::Session& session) { return store_.After(session, user_id, cursor, kStreamBatch); });
        for (const Notification& n : rows) {
          cursor = n.id;
          if (sent.contains(n.id)) continue;
          if (!sink.write(n.ToEvent())) return;
          last_write = SteadyClock::now();
          sent.insert(n.id);
          delivered.push_back(n.id);
        }
        if (rows.size() < static_cast<std::size_t>(kStreamBatch)) break;
      }
      if (!delivered.empty()) {
        database_.Apply([&](db::Session& tx) { store_.MarkNotified(tx, delivered, NowText()); });
      }
      // What is older than the window is settled: later reads start there.
      if (window > scan_from) {
        scan_from = window;
        sent.erase(sent.begin(), sent.upper_bound(scan_from));
      }
      woken = false;
    }
    if (SteadyClock::now() - last_write >= options_.heartbeat) {
      if (!sink.write(":\n\n")) return;
      last_write = SteadyClock::now();
    }
    const auto until_heartbeat = options_.heartbeat - std::chrono::duration_cast<milliseconds>(
                                                          SteadyClock::now() - last_write);
    const auto wait = std::clamp(until_heartbeat, milliseconds(1), kWaitSlice);
    woken = hub_.Wait(user_id, token, wait) != token;
  }
}

// --- Hooks ---------------------------------------------------------------------------------

void NotificationService::Attach(interactions::InteractionService& interactions,
                                 tickets::TicketService& tickets, email::EmailService& emails) {
  interactions.SetChangeListener(
      [this](db::Session& tx, const interactions::Interaction* before,
             const interactions::Interaction* after) { OnInteractionChanged(tx, before, after); });
  tickets.SetChangeListener([this](db::Session& tx, const core::Principal& who,
                                   const tickets::Ticket* before, const tickets::Ticket& after) {
    OnTicketSaved(tx, who, before, after);
  });
  emails.SetReplyListener(
      [this](db::Session& tx, const email::ReplyNotice& reply) { OnReply(tx, reply); });
}

void NotificationService::OnInteractionChanged(db::Session& tx,
                                               const interactions::Interaction* before,
                                               const interactions::Interaction* after) {
  const auto old_reminder = ReminderOf(before);
  const core::Timestamp now = core::Now();
  // A reminder for a time already past is no use: the interaction has begun.
  const auto wanted = ReminderOf(after);
  const std::optional<Reminder> new_reminder =
      wanted && wanted->scheduled_at > now ? wanted : std::nullopt;
  if (old_reminder && (!new_reminder || old_reminder->key != new_reminder->key)) {
    jobs::Cancel(tx, old_reminder->key);  // false when it already ran: the handler checks
  }
  if (!new_reminder) return;
  // Due already (scheduled within its lead time): remind at once.
  const core::Timestamp run_at = std::max(new_reminder->due, now);
  if (old_reminder && old_reminder->key == new_reminder->key &&
      jobs::Reschedule(tx, new_reminder->key, run_at)) {
    return;
  }
  // A key whose job exists already (running, or done: the reminder was given) stays as it is.
  jobs::Enqueue(tx, {.kind = std::string(kReminderJob),
                     .payload = {{"interaction_id", after->id},
                                 {"scheduled_at", *after->scheduled_at}},
                     .dedupe_key = new_reminder->key,
                     .run_at = run_at});
}

void NotificationService::RegisterJobs(jobs::JobQueue& queue) {
  queue.Handle(std::string(kReminderJob),
               [this](const jobs::Job& job) { return RunReminder(job); });
}

jobs::Outcome NotificationService::RunReminder(const jobs::Job& job) {
  const auto& payload = job.payload;
  if (!payload.contains("interaction_id") || !payload["interaction_id"].is_string() ||
      !payload.contains("scheduled_at") || !payload["scheduled_at"].is_string()) {
    return jobs::Outcome::Fail("the payload names no interaction_id and scheduled_at");
  }
  const std::string id = payload["interaction_id"];
  const std::string scheduled_at = payload["scheduled_at"];
  enum class Result { kDone, kEarly };
  std::optional<core::Timestamp> due_later;
  auto outcome = database_.Write([&](db::Session& tx) -> core::Result<Result> {
    auto interaction = interactions_.Get(tx, System(), id);
    if (!interaction) return Result::kDone;  // deleted, or erased with its customer
    auto reminder = ReminderOf(&*interaction);
    // Moved or no longer wanted since this job was made: its change cancelled or replaced it.
    if (!reminder || interaction->scheduled_at != scheduled_at) return Result::kDone;
    if (reminder->due > core::Now() + std::chrono::seconds(1)) {
      due_later = reminder->due;  // the lead time shrank while this job was running
      return Result::kEarly;
    }
    const std::string customer = CustomerName(tx, interaction->customer_id);
    Notify(tx, {.user_id = interaction->user_id,
                .kind = std::string(kReminder),
                .message = fmt::format("Reminder: {} \"{}\" with {} at {}",
                                       TypeName(interaction->type), interaction->title, customer,
                                       *interaction->scheduled_at),
                .subject = {"interaction", interaction->id},
                .event_time = *interaction->scheduled_at,
                .dedupe_key = reminder->key,
                .customer_id = interaction->customer_id});
    return Result::kDone;
  });
  if (outcome && *outcome == Result::kEarly && due_later) {
    const auto delay = std::chrono::duration_cast<milliseconds>(*due_later - core::Now());
    return jobs::Outcome::Retry("not due yet", std::max(delay, milliseconds(0)));
  }
  return jobs::Outcome::Done();
}

void NotificationService::OnTicketSaved(db::Session& tx, const core::Principal& who,
                                        const tickets::Ticket* before,
                                        const tickets::Ticket& after) {
  const bool by_customer = who.kind == core::Principal::Kind::kPortal;
  // Assigned to someone, by someone else.
  if (after.assignee_id && (!before || before->assignee_id != after.assignee_id) &&
      !(who.is_user() && who.id == *after.assignee_id)) {
    Notify(tx, {.user_id = *after.assignee_id,
                .kind = std::string(kTicketAssigned),
                .message = fmt::format("Ticket \"{}\" ({}) was assigned to you", after.title,
                                       CustomerName(tx, after.customer_id)),
                .subject = {"ticket", after.id},
                .event_time = after.updated_at,
                .dedupe_key = fmt::format("ticket_assigned:{}:{}", after.id, after.version),
                .customer_id = after.customer_id});
  }
  const bool raised = !before && after.created_by.kind == "customer";
  const bool resolved = by_customer && before && after.status == tickets::TicketStatus::kResolved &&
                        before->status != tickets::TicketStatus::kResolved;
  if (!raised && !resolved) return;
  // To the assignee; to every admin and manager while nobody (active) is.
  std::vector<std::string> recipients;
  if (after.assignee_id) {
    if (auto assignee = users_.Find(tx, *after.assignee_id); assignee && assignee->active) {
      recipients.push_back(assignee->id);
    }
  }
  if (recipients.empty()) {
    for (const auto& user : users_.ActiveWithRoles(tx, {core::Role::kAdmin, core::Role::kManager})) {
      recipients.push_back(user.id);
    }
  }
  const std::string customer = CustomerName(tx, after.customer_id);
  for (const std::string& user_id : recipients) {
    if (raised) {
      Notify(tx, {.user_id = user_id,
                  .kind = std::string(kTicketRaised),
                  .message = fmt::format("{} raised ticket \"{}\" ({})", customer, after.title,
                                         after.priority),
                  .subject = {"ticket", after.id},
                  .event_time = after.created_at,
                  .dedupe_key = "ticket_raised:" + after.id,
                  .customer_id = after.customer_id});
    } else {
      Notify(tx, {.user_id = user_id,
                  .kind = std::string(kTicketResolved),
                  .message = fmt::format("{} resolved ticket \"{}\"", customer, after.title),
                  .subject = {"ticket", after.id},
                  .event_time = after.updated_at,
                  .dedupe_key = fmt::format("ticket_resolved:{}:{}", after.id, after.version),
                  .customer_id = after.customer_id});
    }
  }
}

void NotificationService::OnReply(db::Session& tx, const email::ReplyNotice& reply) {
  if (!reply.sender_id) return;  // system mail has no sender to tell
  Notify(tx, {.user_id = *reply.sender_id,
              .kind = std::string(kEmailReply),
              .message = fmt::format("{} replied: \"{}\"", reply.from, reply.subject),
              .subject = {"email", reply.email_id},
              .event_time = reply.received_at,
              .dedupe_key = "email_reply:" + reply.reply_id,
              .customer_id = reply.customer_id});
}

void NotificationService::Start() { hub_.Start(); }

void NotificationService::Stop() {
  stopping_ = true;
  hub_.Stop();
}

}  // namespace rapport::notifications
