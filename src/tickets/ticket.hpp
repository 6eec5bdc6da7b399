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
#include "core/principal.hpp"
#include "core/query_reader.hpp"
#include "core/result.hpp"

namespace rapport::tickets {

// The life of a ticket. Which moves are legal is the table in CanMove().
enum class TicketStatus { kOpen, kInProgress, kResolved, kClosed };

// In lifecycle order (the order ?sort=status uses).
inline constexpr std::array<std::string_view, 4> kStatuses = {"open", "in_progress", "resolved",
                                                              "closed"};
// In rising urgency (the order ?sort=priority uses).
inline constexpr std::array<std::string_view, 4> kPriorities = {"low", "normal", "high",
                                                                "urgent"};
constexpr std::string_view kDefaultPriority = "normal";
constexpr std::size_t kMaxTitleLength = 200;
constexpr std::size_t kMaxTextLength = 10000;  // description, resolution, comment bodies

std::string_view StatusName(TicketStatus status);
std::optional<TicketStatus> ParseStatus(std::string_view name);

// The transition table (docs/api/tickets.md):
//
//   from \ to     open  in_progress  resolved  closed
//   open           -        yes        yes      yes
//   in_progress   yes        -         yes      yes
//   resolved      yes       yes         -       yes
//   closed         no        no         no       -
//
// Closed is final. Staying in the same status is not a move (and always allowed).
bool CanMove(TicketStatus from, TicketStatus to);

// Who raised a ticket or wrote a comment: a staff user or a customer (through the portal).
struct Actor {
  std::string kind;  // "user" | "customer"
  std::string id;    // users.id, or customers.id for a customer

  nlohmann::json ToJson() const { return {{"kind", kind}, {"id", id}}; }
  bool operator==(const Actor&) const = default;
};
// The actor a principal writes as: a staff user as themselves, a portal account as its
// customer.
Actor ActorOf(const core::Principal& who);

struct Ticket {
  std::string id;
  std::string customer_id;
  std::optional<std::string> interaction_id;
  std::string title;
  std::optional<std::string> description;
  TicketStatus status = TicketStatus::kOpen;
  std::string priority{kDefaultPriority};
  std::optional<std::string> assignee_id;
  Actor created_by;
  std::optional<std::string> resolution;
  std::optional<std::string> resolved_at;  // set while resolved (and kept when closed)
  int64_t version = 1;
  std::string created_at;
  std::string updated_at;

  nlohmann::json ToJson() const;
  // Its line on the customer's timeline: "Ticket: Printer on fire (open, high)".
  std::string Summary() const;
  bool operator==(const Ticket&) const = default;
};

using TicketPage = core::PageOf<Ticket>;

// The moves, as pure functions of the ticket. Each leaves `ticket` unchanged when it fails.
//
// A status change (PATCH): Conflict naming both statuses when CanMove forbids it. Entering
// resolved sets resolved_at to `now`; going back to open or in_progress clears resolved_at
// and resolution; closing keeps them.
core::Status MoveTicket(Ticket& ticket, TicketStatus to, std::string_view now);
// POST /resolve: open or in_progress → resolved, with `resolution` (nullopt: none).
// Conflict when the ticket is already resolved, or closed.
core::Status ResolveTicket(Ticket& ticket, std::optional<std::string> resolution,
                           std::string_view now);
// POST /reopen: resolved → open, clearing resolved_at and resolution. Conflict for an open or
// in_progress ticket (nothing to reopen) and for a closed one (closed is final).
core::Status ReopenTicket(Ticket& ticket, std::string_view now);

// The writable fields of a POST or PATCH body.
struct TicketInput {
  core::Field<std::string> customer_id;  // create only
  core::Field<std::string> interaction_id;
  core::Field<std::string> title;
  core::Field<std::string> description;
  core::Field<std::string> status;
  core::Field<std::string> priority;
  core::Field<std::string> assignee_id;
  core::Field<std::string> resolution;  // PATCH only
};

// POST /tickets (staff): customer_id and title required; status, when given, is open or
// in_progress (a ticket is resolved afterwards). Invalid names every bad, unknown or
// read-only field.
core::Result<TicketInput> ParseNewTicket(const nlohmann::json& body);
// A ticket raised through the customer portal: only title (required), description and
// priority; the customer is the portal account's.
core::Result<TicketInput> ParseNewPortalTicket(const nlohmann::json& body);
// PATCH /tickets/{id}: customer_id cannot change; title, status and priority may not be null.
core::Result<TicketInput> ParseTicketChanges(const nlohmann::json& body);
// POST /tickets/{id}/resolve: `{resolution?}`; an empty body is no resolution.
core::Result<std::optional<std::string>> ParseResolution(std::string_view body);

// Applies a PATCH: a status through MoveTicket, then the other fields (assignee_id and
// interaction_id as given: whether the principal may set them, and whether the interaction
// is the customer's, is the service's to check). Conflict when the ticket is closed and
// anything would change (closed is final), when the status move is illegal, or when a
// resolution is given for a ticket that does not end up resolved or closed. Returns whether
// anything changed; on error `ticket` is unchanged.
core::Result<bool> ApplyTicketChanges(const TicketInput& changes, std::string_view now,
                                      Ticket& ticket);

// A ticket comment: `{id, body, author {kind, id}, created_at}` in the API.
struct TicketComment {
  std::string id;
  std::string ticket_id;
  std::string body;
  Actor author;
  std::string created_at;

  nlohmann::json ToJson() const;
};

using CommentPage = core::PageOf<TicketComment>;

// POST /tickets/{id}/comments: `{body}`, 1 to 10,000 characters after trimming.
core::Result<std::string> ParseComment(const nlohmann::json& body);

// GET /tickets filters; every value already validated.
struct TicketFilter {
  std::optional<std::string> customer_id;
  std::optional<std::vector<std::string>> statuses;
  std::optional<std::vector<std::string>> priorities;
  std::optional<std::string> assignee_id;
  std::optional<std::string> interaction_id;
  std::optional<std::string> q;               // title, description
  std::optional<std::string> created_after;   // inclusive
  std::optional<std::string> created_before;  // exclusive
};

// BadRequest names the first bad parameter.
core::Result<TicketFilter> ParseTicketFilter(const core::ParamLookup& param);

inline const std::vector<std::string_view> kTicketSortFields = {
    "created_at", "updated_at", "priority", "status", "resolved_at"};
constexpr std::string_view kDefaultTicketSort = "-created_at";

}  // namespace rapport::tickets
