#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/page.hpp"
#include "db/database.hpp"
#include "notifications/notification.hpp"

namespace rapport::notifications {

// SQL for notifications. Every function runs on the session it is given (inside the
// caller's transaction for writes). No authorization here: every read and write names the
// user whose notifications it touches.
class NotificationStore {
 public:
  explicit NotificationStore(db::Engine engine) : engine_(engine) {}

  // Inserts `n` with `dedupe_key` unless the user already has a notification with that key
  // (INSERT ... ON CONFLICT DO NOTHING: the transaction stays usable on both engines).
  // Returns whether it was inserted.
  bool InsertUnlessExists(db::Session& tx, const Notification& n, std::string_view dedupe_key,
                          const std::optional<std::string>& customer_id) const;

  // The user's notification with this id, if there is one.
  std::optional<Notification> Find(db::Session& session, std::string_view user_id,
                                   std::string_view id) const;
  NotificationPage List(db::Session& session, std::string_view user_id,
                        const NotificationFilter& filter, const core::PageRequest& page) const;

  // Sets read_at of the user's notification if it is unread; returns whether it changed.
  bool MarkRead(db::Session& tx, std::string_view user_id, std::string_view id,
                std::string_view now) const;
  // Sets read_at of every unread notification of the user; returns how many.
  int64_t MarkAllRead(db::Session& tx, std::string_view user_id, std::string_view now) const;
  // Sets notified_at of those of `ids` that have none.
  void MarkNotified(db::Session& tx, const std::vector<std::string>& ids,
                    std::string_view now) const;

  // The user's notifications with an id above `after` (text order, which is creation order),
  // lowest first, at most `limit`.
  std::vector<Notification> After(db::Session& session, std::string_view user_id,
                                  std::string_view after, int limit) const;

 private:
  db::Engine engine_;
};

}  // namespace rapport::notifications
