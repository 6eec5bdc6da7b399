#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/page.hpp"
#include "core/query_reader.hpp"
#include "core/result.hpp"

namespace rapport::notifications {

// What a notification is about. Each kind has one subject kind (docs/api/notifications.md).
inline constexpr std::string_view kReminder = "reminder";                    // interaction
inline constexpr std::string_view kTicketAssigned = "ticket_assigned";       // ticket
inline constexpr std::string_view kTicketRaised = "ticket_raised";           // ticket
inline constexpr std::string_view kTicketResolved = "ticket_resolved";       // ticket
inline constexpr std::string_view kEmailReply = "email_reply";               // email
inline constexpr std::string_view kCampaignFinished = "campaign_finished";   // campaign
inline constexpr std::string_view kImportFinished = "import_finished";       // import
inline constexpr std::array<std::string_view, 7> kKinds = {
    kReminder,    kTicketAssigned,    kTicketRaised,   kTicketResolved,
    kEmailReply,  kCampaignFinished,  kImportFinished};
bool IsKnownKind(std::string_view kind);

constexpr std::size_t kMaxMessageLength = 500;
constexpr std::size_t kMaxDedupeKeyLength = 200;

// The record a notification points at: {"kind": "ticket", "id": "0193…"}.
struct Subject {
  std::string kind;  // interaction | ticket | email | campaign | import
  std::string id;

  bool operator==(const Subject&) const = default;
};

// A notification as stored and returned.
struct Notification {
  std::string id;  // UUIDv7: ids sort by creation time
  std::string user_id;
  std::string kind;
  std::string message;
  Subject subject;
  std::string event_time;  // when the thing it is about happens or happened
  std::string created_at;
  // First pushed to the user: a stream, or email.
  std::optional<std::string> notified_at = std::nullopt;
  std::optional<std::string> read_at = std::nullopt;

  // {id, user_id, kind, message, subject {kind, id}, event_time, created_at, notified_at,
  //  read_at}
  nlohmann::json ToJson() const;
  // One Server-Sent Event: `id: <id>`, `event: notification`, `data: <ToJson()>`, blank line.
  std::string ToEvent() const;
};

using NotificationPage = core::PageOf<Notification>;

// What another capability asks for (NotificationService::Create).
struct NewNotification {
  std::string user_id;  // the staff user to tell
  std::string kind;     // one of kKinds
  // One line for people, at most kMaxMessageLength characters (longer text is cut at a
  // character boundary with "…"); control characters become spaces.
  std::string message;
  Subject subject;
  std::string event_time;  // RFC 3339 (normalised to UTC seconds)
  // Names the event: a user gets at most one notification per key, ever. Build it from the
  // event's identity (`reminder:<interaction>:<scheduled_at>`, `import_finished:<import>`),
  // never from a clock or a random value, so a repeated run of the same work finds its key
  // taken. 1 to kMaxDedupeKeyLength bytes.
  std::string dedupe_key;
  // The customer it concerns, if any: erasing the customer erases the notification.
  std::optional<std::string> customer_id = std::nullopt;
};

// Checks and normalises `input` (message cleaned and cut, event_time normalised). Invalid
// names each bad field.
core::Result<NewNotification> Normalise(NewNotification input);

// GET /notifications filters.
struct NotificationFilter {
  bool unread_only = false;                      // ?unread=true
  std::optional<std::vector<std::string>> kinds = std::nullopt;  // ?kind=reminder,ticket_assigned
};
// BadRequest names the parameter.
core::Result<NotificationFilter> ParseNotificationFilter(const core::ParamLookup& param);

inline const std::vector<std::string_view> kNotificationSortFields = {"created_at"};
constexpr std::string_view kDefaultNotificationSort = "-created_at";

// The smallest id text a UUIDv7 made at or after `t` can have: ids compare as text in
// creation order, so `id >= IdFloor(t)` keeps those made since `t` (to the millisecond).
std::string IdFloor(std::chrono::system_clock::time_point t);
// The creation time a UUIDv7 carries (its first 48 bits); nullopt for other text.
std::optional<std::chrono::system_clock::time_point> IdTime(std::string_view id);

}  // namespace rapport::notifications
