#include "tickets/ticket.hpp"

#include <fmt/format.h>

namespace rapport::tickets {

namespace {

void ReadCommonFields(core::JsonReader& in, TicketInput& input) {
  input.title = in.Text("title", {.min = 1, .max = kMaxTitleLength});
  input.description = in.TextOrNull("description", kMaxTextLength);
  input.priority = in.Enum("priority", kPriorities);
  in.NotNull("priority", input.priority);
}

bool IsResolvedOrClosed(TicketStatus status) {
  return status == TicketStatus::kResolved || status == TicketStatus::kClosed;
}

}  // namespace

std::string_view StatusName(TicketStatus status) {
  return kStatuses[static_cast<std::size_t>(status)];
}

std::optional<TicketStatus> ParseStatus(std::string_view name) {
  for (std::size_t i = 0; i < kStatuses.size(); ++i) {
    if (kStatuses[i] == name) return static_cast<TicketStatus>(i);
  }
  return std::nullopt;
}

bool CanMove(TicketStatus from, TicketStatus to) {
  // Rows: from; columns: to; in the order of TicketStatus.
  static constexpr bool kAllowed[4][4] = {
      /* open        */ {true, true, true, true},
      /* in_progress */ {true, true, true, true},
      /* resolved    */ {true, true, true, true},
      /* closed      */ {false, false, false, true},
  };
  return kAllowed[static_cast<std::size_t>(from)][static_cast<std::size_t>(to)];
}

Actor ActorOf(const core::Principal& who) {
  if (who.kind == core::Principal::Kind::kPortal) return {"customer", who.customer_id};
  return {"user", who.id};
}

nlohmann::json Ticket::ToJson() const {
  return {{"id", id},
          {"customer_id", customer_id},
          {"interaction_id", core::JsonOrNull(interaction_id)},
          {"title", title},
          {"description", core::JsonOrNull(description)},
          {"status", StatusName(status)},
          {"priority", priority},
          {"assignee_id", core::JsonOrNull(assignee_id)},
          {"created_by", created_by.ToJson()},
          {"resolution", core::JsonOrNull(resolution)},
          {"resolved_at", core::JsonOrNull(resolved_at)},
          {"created_at", created_at},
          {"updated_at", updated_at}};
}

std::string Ticket::Summary() const {
  return fmt::format("Ticket: {} ({}, {})", title, StatusName(status), priority);
}

core::Status MoveTicket(Ticket& ticket, TicketStatus to, std::string_view now) {
  const TicketStatus from = ticket.status;
  if (from == to) return core::Ok{};
  if (!CanMove(from, to)) {
    return core::Error::Conflict(
        "status", fmt::format("cannot move a ticket from {} to {}{}", StatusName(from),
                              StatusName(to),
                              from == TicketStatus::kClosed ? " (closed tickets are final)" : ""));
  }
  ticket.status = to;
  if (to == TicketStatus::kResolved) {
    ticket.resolved_at = std::string(now);
  } else if (to != TicketStatus::kClosed) {
    ticket.resolved_at.reset();
    ticket.resolution.reset();
  }
  return core::Ok{};
}

core::Status ResolveTicket(Ticket& ticket, std::optional<std::string> resolution,
                           std::string_view now) {
  if (ticket.status == TicketStatus::kResolved) {
    return core::Error::Conflict("status", "the ticket is already resolved");
  }
  if (auto moved = MoveTicket(ticket, TicketStatus::kResolved, now); !moved) return moved;
  ticket.resolution = std::move(resolution);
  return core::Ok{};
}

core::Status ReopenTicket(Ticket& ticket, std::string_view now) {
  switch (ticket.status) {
    case TicketStatus::kOpen:
    case TicketStatus::kInProgress:
      return core::Error::Conflict(
          "status", fmt::format("the ticket is {}, not resolved: there is nothing to reopen",
                                StatusName(ticket.status)));
    case TicketStatus::kClosed:
      return core::Error::Conflict(
          "status", "cannot move a ticket from closed to open (closed tickets are final)");
    case TicketStatus::kResolved:
      break;
  }
  return MoveTicket(ticket, TicketStatus::kOpen, now);
}

core::Result<TicketInput> ParseNewTicket(const nlohmann::json& body) {
  core::JsonReader in(body);
  TicketInput input;
  input.customer_id = in.Id("customer_id");
  input.interaction_id = in.Id("interaction_id");
  ReadCommonFields(in, input);
  input.status = in.Enum("status", {"open", "in_progress"});
  input.assignee_id = in.Id("assignee_id");
  in.ReadOnly({"id", "created_by", "resolution", "resolved_at", "created_at", "updated_at"});
  in.Require("customer_id", input.customer_id);
  in.Require("title", input.title);
  in.NotNull("status", input.status);
  if (auto error = in.Finish()) return *error;
  return input;
}

core::Result<TicketInput> ParseNewPortalTicket(const nlohmann::json& body) {
  core::JsonReader in(body);
  TicketInput input;
  ReadCommonFields(in, input);
  in.ReadOnly({"id", "customer_id", "interaction_id", "status", "assignee_id", "created_by",
               "resolution", "resolved_at", "created_at", "updated_at"});
  in.Require("title", input.title);
  if (auto error = in.Finish()) return *error;
  return input;
}

core::Result<TicketInput> ParseTicketChanges(const nlohmann::json& body) {
  core::JsonReader in(body);
  TicketInput input;
  input.interaction_id = in.Id("interaction_id");
  ReadCommonFields(in, input);
  input.status = in.Enum("status", kStatuses);
  input.assignee_id = in.Id("assignee_id");
  input.resolution = in.TextOrNull("resolution", kMaxTextLength);
  in.ReadOnly({"id", "created_by", "resolved_at", "created_at", "updated_at"});
  if (in.Text("customer_id").present) {
    in.Fail("customer_id", "cannot be changed; raise the ticket for the other customer");
  }
  in.NotNull("title", input.title);
  in.NotNull("status", input.status);
  if (auto error = in.Finish()) return *error;
  return input;
}

core::Result<std::optional<std::string>> ParseResolution(std::string_view body) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return std::optional<std::string>();
  }
  nlohmann::json object;
  if (auto error = core::ParseJsonObject(body, object)) return *error;
  core::JsonReader in(object);
  auto resolution = in.TextOrNull("resolution", kMaxTextLength);
  if (auto error = in.Finish()) return *error;
  return resolution.value;
}

core::Result<bool> ApplyTicketChanges(const TicketInput& changes, std::string_view now,
                                      Ticket& ticket) {
  Ticket next = ticket;
  if (changes.status.value) {
    auto to = ParseStatus(*changes.status.value);
    if (!to) return core::Error::Invalid("status", "is not a ticket status");
    if (auto moved = MoveTicket(next, *to, now); !moved) return moved.error();
  }
  changes.title.AssignTo(next.title);
  changes.description.AssignTo(next.description);
  changes.priority.AssignTo(next.priority);
  changes.assignee_id.AssignTo(next.assignee_id);
  changes.interaction_id.AssignTo(next.interaction_id);
  changes.resolution.AssignTo(next.resolution);
  if (changes.resolution.value && !IsResolvedOrClosed(next.status)) {
    return core::Error::Conflict("resolution", "can be set only on a resolved ticket");
  }
  if (next == ticket) return false;
  if (ticket.status == TicketStatus::kClosed) {
    return core::Error::Conflict("the ticket is closed; closed tickets cannot change");
  }
  ticket = std::move(next);
  return true;
}

nlohmann::json TicketComment::ToJson() const {
  return {{"id", id}, {"body", body}, {"author", author.ToJson()}, {"created_at", created_at}};
}

core::Result<std::string> ParseComment(const nlohmann::json& body) {
  core::JsonReader in(body);
  auto text = in.Text("body", {.min = 1, .max = kMaxTextLength});
  in.ReadOnly({"id", "author", "created_at"});
  in.Require("body", text);
  if (auto error = in.Finish()) return *error;
  return std::move(*text.value);
}

core::Result<TicketFilter> ParseTicketFilter(const core::ParamLookup& param) {
  core::QueryReader in(param);
  TicketFilter filter;
  filter.customer_id = in.Id("customer_id");
  filter.statuses = in.OneOf("status", kStatuses);
  filter.priorities = in.OneOf("priority", kPriorities);
  filter.assignee_id = in.Id("assignee_id");
  filter.interaction_id = in.Id("interaction_id");
  filter.q = in.Text("q");
  filter.created_after = in.Instant("created_after");
  filter.created_before = in.Instant("created_before");
  if (auto error = in.Finish()) return *error;
  return filter;
}

}  // namespace rapport::tickets
