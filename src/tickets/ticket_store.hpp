#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/page.hpp"
#include "core/result.hpp"
#include "db/database.hpp"
#include "tickets/ticket.hpp"

namespace rapport::tickets {

// SQL for tickets and their comments. Every function runs on the session it is given (inside
// the caller's transaction for writes). No authorization here: the service decides, and
// narrows lists with `narrow`, which appends ` AND ...` predicates on the alias `t`.
class TicketStore {
 public:
  explicit TicketStore(db::Engine engine) : engine_(engine) {}

  std::optional<Ticket> FindById(db::Session& session, std::string_view id) const;
  // The tickets with these ids that exist, in no particular order.
  std::vector<Ticket> FindMany(db::Session& session, const std::vector<std::string>& ids) const;

  // Invalid naming `assignee_id` when the assignee is not a user (the customer and the
  // interaction are checked by the service in the same transaction).
  core::Status Insert(db::Session& session, const Ticket& ticket) const;
  // Writes the writable columns if the row still has `ticket.version` (bumping version,
  // setting updated_at); false, changing nothing, when it is gone or at another version.
  // Errors as Insert.
  core::Result<bool> Update(db::Session& session, Ticket& ticket) const;
  // With `expected_version`, only at that version. Returns whether a row was deleted; its
  // comments go with it (cascade).
  bool Delete(db::Session& session, std::string_view id,
              std::optional<int64_t> expected_version) const;

  TicketPage List(db::Session& session, const TicketFilter& filter,
                  const std::function<void(db::Query&)>& narrow,
                  const core::PageRequest& page) const;

  void InsertComment(db::Session& session, const TicketComment& comment) const;
  // Oldest first (the page's sort is created_at, id).
  CommentPage ListComments(db::Session& session, std::string_view ticket_id,
                           const core::PageRequest& page) const;

  // For the customer timeline: `SELECT id, occurred_at` of the customer's tickets, where
  // occurred_at is created_at.
  static void AppendTimelineSelect(db::Query& query, std::string_view customer_id);

 private:
  db::Engine engine_;
};

}  // namespace rapport::tickets
