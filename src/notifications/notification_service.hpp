#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "auth/user_service.hpp"
#include "core/page.hpp"
#include "core/principal.hpp"
#include "core/result.hpp"
#include "customers/customer_service.hpp"
#include "db/database.hpp"
#include "email/email_service.hpp"
#include "interactions/interaction_service.hpp"
#include "jobs/job.hpp"
#include "jobs/job_queue.hpp"
#include "notifications/notification.hpp"
#include "notifications/notification_hub.hpp"
#include "notifications/notification_store.hpp"
#include "tickets/ticket_service.hpp"

namespace spdlog {
class logger;
}

namespace rapport::notifications {

// Limits and timings of the live streams (GET /notifications/stream).
struct StreamOptions {
  // Streams open at once in this process, and per user. Each holds a thread while open.
  int max_streams = 100;
  int max_streams_per_user = 5;
  // A comment line is sent when nothing else was for this long; a client that went away is
  // noticed by the write after next, so its stream ends within about two heartbeats.
  std::chrono::milliseconds heartbeat{std::chrono::seconds(5)};
  // A stream reads its user's new notifications when woken, and at least this often (for
  // notifications another SQLite process created, or a NOTIFY missed while reconnecting).
  std::chrono::milliseconds poll_interval{std::chrono::seconds(5)};
  // How far back each read looks beyond the newest id sent, for notifications whose
  // transactions committed after a later one's (ids are made before the commit).
  std::chrono::milliseconds lookback{std::chrono::seconds(30)};
};

// Where a stream's events go: `write` sends text (false once the client is gone), `open`
// says whether writing may still succeed.
struct EventSink {
  std::function<bool(std::string_view)> write;
  std::function<bool()> open;
};

// Staff notifications: creation for the other capabilities (exactly once per event and
// user), the reminders of planned interactions, the user's list, read marks and live
// streams.
//
// Who sees what: a staff user sees only their own notifications; anyone else's id is
// NotFound. Portal principals have none (Forbidden).
//
// Exactly once: every notification carries a dedupe key naming its event; (user, key) is
// unique in the database, and the insert is ON CONFLICT DO NOTHING inside the transaction
// of the event itself (a ticket write, a stored reply) or of the reminder job, so a repeated
// event, a job that runs twice, or several nodes doing the same work create it once.
//
// Thread-safe. Attach() and RegisterJobs() before serving; Start() and Stop() around it.
class NotificationService {
 public:
  // Job kind of the reminders.
  static constexpr std::string_view kReminderJob = "notification.reminder";

  // The services must outlive this one. `log` may be null.
  NotificationService(db::Database& database, auth::UserService& users,
                      customers::CustomerService& customers,
                      interactions::InteractionService& interactions,
                      email::EmailService& emails, StreamOptions options,
                      std::shared_ptr<spdlog::logger> log);
  ~NotificationService();  // Stop()

  // --- For other capabilities ---------------------------------------------------------------
  // Creates `input` inside the caller's transaction `tx`, unless the user already has a
  // notification with its dedupe key; returns it when created, nullopt when the key was
  // taken or the user is deactivated (deactivated users are not notified). A user with
  // notify_by_email also gets it by email, queued in `tx` (EmailService::
  // EnqueueSystemMessage); its notified_at is then set. The user's open streams are woken
  // when `tx` commits. Invalid naming the field for bad input or an unknown user_id.
  //
  //   database.Write([&](db::Session& tx) -> core::Status {
  //     ... mark the import finished ...
  //     auto created = notifications.Create(tx, {.user_id = import.user_id,
  //         .kind = std::string(notifications::kImportFinished),
  //         .message = "Import of customers.csv finished: 120 inserted, 2 failed",
  //         .subject = {"import", import.id}, .event_time = import.finished_at,
  //         .dedupe_key = "import_finished:" + import.id});
  //     if (!created) return created.error();
  //     return core::Ok{};
  //   });
  core::Result<std::optional<Notification>> Create(db::Session& tx, const NewNotification& input);

  // --- The API ----------------------------------------------------------------------------
  core::Result<NotificationPage> List(const core::Principal& who, const NotificationFilter& filter,
                                      const core::PageRequest& page);
  core::Result<Notification> Get(const core::Principal& who, std::string_view id);
  // Sets read_at (kept as it was when already read) and returns the notification.
  core::Result<Notification> MarkRead(const core::Principal& who, std::string_view id);
  // Marks every unread notification of `who` read; returns how many.
  core::Result<int64_t> MarkAllRead(const core::Principal& who);

  // A place among this process's streams, held from Subscribe() until Pump() returns.
  class Subscription {
   public:
    Subscription(Subscription&& other) noexcept;
    Subscription& operator=(Subscription&&) = delete;
    ~Subscription();  // gives the place back

   private:
    friend class NotificationService;
    Subscription(NotificationService* service, std::string user_id, std::string after);
    NotificationService* service_;  // null once moved from
    std::string user_id_;
    std::string after_;  // events with ids above this one are sent
  };
  // Opens a stream for `who`: events after `last_event_id` (a notification id, as the SSE
  // client's Last-Event-ID header resends it), or with none, notifications created from now
  // on. TooManyRequests when the user has max_streams_per_user open, Unavailable when this
  // process has max_streams; BadRequest naming Last-Event-ID when it is not a UUID.
  core::Result<Subscription> Subscribe(const core::Principal& who,
                                       std::optional<std::string_view> last_event_id);
  // Sends the subscription's events to `sink` as Server-Sent Events until the client goes
  // away or the service stops: `retry:` first, then each notification once as an `id:`-ed
  // event within moments of its commit, and a heartbeat comment when idle. Marks what it
  // sent as notified. Blocks (run it on the stream's own thread); the place is given back
  // when it returns.
  void Pump(Subscription subscription, EventSink& sink);
  // Streams open in this process.
  int open_streams() const;

  // --- Wiring -------------------------------------------------------------------------------
  // Hooks into the capabilities whose events notify: reminders follow every interaction
  // change; ticket assignment and customers raising or resolving tickets; replies to
  // emails.
  void Attach(interactions::InteractionService& interactions, tickets::TicketService& tickets,
              email::EmailService& emails);
  // Registers the reminder handler on `queue` (before queue.Start()).
  void RegisterJobs(jobs::JobQueue& queue);
  // One run of a reminder job: the notification for the interaction's user, if the
  // interaction is still planned at the time the job was made for (else nothing). Idempotent.
  jobs::Outcome RunReminder(const jobs::Job& job);
  // Starts the cross-node wake-ups (PostgreSQL LISTEN). Stop() ends every stream's Pump
  // within a second.
  void Start();
  void Stop();

 private:
  void OnInteractionChanged(db::Session& tx, const interactions::Interaction* before,
                            const interactions::Interaction* after);
  void OnTicketSaved(db::Session& tx, const core::Principal& who, const tickets::Ticket* before,
                     const tickets::Ticket& after);
  void OnReply(db::Session& tx, const email::ReplyNotice& reply);
  // Create(), logging (not failing the caller's write) when the input is refused.
  void Notify(db::Session& tx, NewNotification input);
  // The customer's name, for messages ("a customer" when it cannot be read).
  std::string CustomerName(db::Session& tx, const std::string& customer_id);
  void Release(const std::string& user_id);

  db::Database& database_;
  auth::UserService& users_;
  customers::CustomerService& customers_;
  interactions::InteractionService& interactions_;
  email::EmailService& emails_;
  StreamOptions options_;
  std::shared_ptr<spdlog::logger> log_;
  NotificationStore store_;
  NotificationHub hub_;
  std::atomic<bool> stopping_{false};

  mutable std::mutex streams_mutex_;
  int streams_ = 0;                                     // guarded by streams_mutex_
  std::unordered_map<std::string, int> user_streams_;  // guarded by streams_mutex_
};

}  // namespace rapport::notifications
