#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/json_reader.hpp"
#include "core/page.hpp"
#include "core/query_reader.hpp"
#include "core/result.hpp"

namespace rapport::interactions {

inline constexpr std::array<std::string_view, 6> kTypes = {"meeting", "call",      "email",
                                                           "task",    "follow_up", "note"};
inline constexpr std::array<std::string_view, 3> kStatuses = {"planned", "done", "cancelled"};

constexpr int64_t kDefaultRemindBeforeMinutes = 15;
// Upper bound of duration_minutes and remind_before_minutes: 30 days.
constexpr int64_t kMaxMinutes = 30 * 24 * 60;
constexpr std::size_t kMaxTitleLength = 200;
constexpr std::size_t kMaxDetailsLength = 10000;

// The status an interaction of `type` starts in when the body names none: a note or an email
// is recorded after the fact (`done`); meetings, calls, tasks and follow-ups are `planned`.
std::string_view DefaultStatus(std::string_view type);

// An interaction as stored and returned.
struct Interaction {
  std::string id;
  std::string customer_id;
  std::string user_id;
  std::string type;
  std::string title;
  std::optional<std::string> details;
  std::string status;
  std::optional<std::string> scheduled_at;
  std::optional<int64_t> duration_minutes;
  std::optional<int64_t> remind_before_minutes;  // null: no reminder
  std::optional<std::string> completed_at;       // set while status is done
  int64_t version = 1;
  std::string created_at;
  std::string updated_at;

  // The API representation (every field, nulls included).
  nlohmann::json ToJson() const;
  // What a customer-portal account sees of one of its meetings: no internal details, no
  // staff ids, no reminder settings.
  nlohmann::json ToPortalJson() const;
  // Its line on the customer's timeline: "Meeting: Kickoff (planned)"; the status is left
  // out when done.
  std::string Summary() const;
};

using InteractionPage = core::PageOf<Interaction>;

// The writable fields of a POST or PATCH body. Absent fields stay unchanged on PATCH; null
// clears optional ones. Text is trimmed; "" in details reads as null.
struct InteractionInput {
  core::Field<std::string> customer_id;  // create only
  core::Field<std::string> user_id;
  core::Field<std::string> type;
  core::Field<std::string> title;
  core::Field<std::string> details;
  core::Field<std::string> status;
  core::Field<std::string> scheduled_at;  // normalised RFC 3339 UTC
  core::Field<int64_t> duration_minutes;
  core::Field<int64_t> remind_before_minutes;
};

// POST /interactions: customer_id, type and title are required. Invalid names every bad,
// unknown or read-only field.
core::Result<InteractionInput> ParseNewInteraction(const nlohmann::json& body);
// PATCH /interactions/{id}: customer_id cannot change; type, title, status and user_id may
// not be null.
core::Result<InteractionInput> ParseInteractionChanges(const nlohmann::json& body);

// Applies the fields of `input` other than customer_id and user_id (which need the database
// or the principal) to `interaction`, keeping completed_at true: set to `now` when the status
// becomes done, cleared when it leaves done. Returns whether anything changed.
bool ApplyInteractionInput(const InteractionInput& input, std::string_view now,
                           Interaction& interaction);

// GET /interactions filters; every value already validated.
struct InteractionFilter {
  std::optional<std::string> customer_id;
  std::optional<std::string> user_id;
  std::optional<std::vector<std::string>> types;
  std::optional<std::vector<std::string>> statuses;
  std::optional<std::string> from;  // scheduled_at >= from
  std::optional<std::string> to;    // scheduled_at < to
  std::optional<std::string> q;     // title, details
};

// BadRequest names the first bad parameter.
core::Result<InteractionFilter> ParseInteractionFilter(const core::ParamLookup& param);

inline const std::vector<std::string_view> kInteractionSortFields = {
    "created_at", "updated_at", "scheduled_at", "type", "status"};
constexpr std::string_view kDefaultInteractionSort = "-created_at";

}  // namespace rapport::interactions
