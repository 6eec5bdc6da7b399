#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/page.hpp"
#include "core/result.hpp"
#include "db/database.hpp"
#include "interactions/interaction.hpp"

namespace rapport::interactions {

// SQL for interactions. Every function runs on the session it is given (inside the caller's
// transaction for writes). No authorization here: the service decides, and narrows lists
// with `narrow`, which appends ` AND ...` predicates on the alias `i`.
class InteractionStore {
 public:
  explicit InteractionStore(db::Engine engine) : engine_(engine) {}

  std::optional<Interaction> FindById(db::Session& session, std::string_view id) const;
  // The interactions with these ids that exist, in no particular order.
  std::vector<Interaction> FindMany(db::Session& session,
                                    const std::vector<std::string>& ids) const;

  // Invalid naming `user_id` when the user does not exist (the customer is checked by the
  // service in the same transaction).
  core::Status Insert(db::Session& session, const Interaction& interaction) const;
  // Writes the writable columns if the row still has `interaction.version` (bumping version,
  // setting updated_at); false, changing nothing, when it is gone or at another version.
  core::Result<bool> Update(db::Session& session, Interaction& interaction) const;
  // With `expected_version`, only at that version. Returns whether a row was deleted.
  bool Delete(db::Session& session, std::string_view id,
              std::optional<int64_t> expected_version) const;

  // The customer's last_interaction_at as defined in docs/api/interactions.md: the latest
  // moment one of its `done` interactions happened — scheduled_at, or completed_at when that
  // is earlier or there is no scheduled_at. nullopt without done interactions.
  std::optional<std::string> LastInteractionAt(db::Session& session,
                                               std::string_view customer_id) const;

  InteractionPage List(db::Session& session, const InteractionFilter& filter,
                       const std::function<void(db::Query&)>& narrow,
                       const core::PageRequest& page) const;

  // For the customer timeline: `SELECT id, occurred_at` of the customer's interactions, where
  // occurred_at is scheduled_at, else created_at.
  static void AppendTimelineSelect(db::Query& query, std::string_view customer_id);

 private:
  db::Engine engine_;
};

}  // namespace rapport::interactions
