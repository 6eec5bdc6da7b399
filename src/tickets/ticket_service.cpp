#include "tickets/ticket_service.hpp"

#include <fmt/format.h>

#include "core/ids.hpp"
#include "core/time.hpp"

namespace rapport::tickets {

namespace {

using customers::CustomerService;

// Attempts of a change that found its row changed between reading and writing it.
constexpr int kWriteAttempts = 3;

core::Status RequireStaff(const core::Principal& who, std::string_view action) {
  if (!who.is_user()) return core::Error::Forbidden(fmt::format("only staff users {}", action));
  return core::Ok{};
}

bool IsPortal(const core::Principal& who) { return who.kind == core::Principal::Kind::kPortal; }

// Agents assign tickets to themselves or to nobody; admins and managers to anyone.
core::Status CheckAssignee(const core::Principal& who, const core::Field<std::string>& assignee) {
  if (who.is_agent() && assignee.value && *assignee.value != who.id) {
    return core::Error::Forbidden("an agent may only assign a ticket to themselves or to nobody");
  }
  return core::Ok{};
}

std::string NowText() { return core::FormatTimestamp(core::Now()); }

}  // namespace

TicketService::TicketService(db::Database& database, CustomerService& customers,
                             interactions::InteractionService& interactions)
    : database_(database),
      customers_(customers),
      interactions_(interactions),
      store_(database.engine()) {}

core::Result<TicketPage> TicketService::List(const core::Principal& who,
                                             const TicketFilter& filter,
                                             const core::PageRequest& page) {
  auto narrow = [&who](db::Query& query) {
    CustomerService::AppendVisibleFilter(query, who, "t.customer_id");
  };
  return database_.Read([&](db::Session& session) -> core::Result<TicketPage> {
    return store_.List(session, filter, narrow, page);
  });
}

core::Result<Ticket> TicketService::Create(const core::Principal& who, const TicketInput& input) {
  Ticket ticket;
  if (IsPortal(who)) {
    if (input.interaction_id.present || input.assignee_id.present || input.status.present) {
      return core::Error::Forbidden(
          "a customer sets only the title, description and priority of a ticket");
    }
    ticket.customer_id = input.customer_id.value.value_or(who.customer_id);
  } else {
    if (auto allowed = RequireStaff(who, "raise tickets"); !allowed) return allowed.error();
    if (auto allowed = CheckAssignee(who, input.assignee_id); !allowed) return allowed.error();
    ticket.customer_id = input.customer_id.value.value_or("");
    ticket.interaction_id = input.interaction_id.value;
    ticket.assignee_id = input.assignee_id.value;
    if (input.status.value) ticket.status = ParseStatus(*input.status.value).value_or(ticket.status);
  }
  ticket.id = core::NewId();
  ticket.created_at = ticket.updated_at = NowText();
  ticket.created_by = ActorOf(who);
  ticket.title = input.title.value.value_or("");
  ticket.description = input.description.value;
  ticket.priority = input.priority.value.value_or(std::string(kDefaultPriority));

  return database_.Write([&](db::Session& tx) -> core::Result<Ticket> {
    if (!customers_.Get(tx, who, ticket.customer_id)) {
      return core::Error::Invalid("customer_id", "must be the id of an existing customer");
    }
    if (auto checked = CheckInteraction(tx, who, ticket); !checked) return checked.error();
    auto saved = Save(tx, nullptr, ticket);
    if (!saved) return saved.error();
    return ticket;
  });
}

core::Result<Ticket> TicketService::Get(const core::Principal& who, std::string_view id) {
  if (!core::IsUuid(id)) return core::Error::NotFound("ticket", id);
  return database_.Read([&](db::Session& session) { return Get(session, who, id); });
}

core::Result<Ticket> TicketService::Get(db::Session& session, const core::Principal& who,
                                        std::string_view id) {
  if (!core::IsUuid(id)) return core::Error::NotFound("ticket", id);
  auto ticket = store_.FindById(session, id);
  if (!ticket || !customers_.Get(session, who, ticket->customer_id)) {
    return core::Error::NotFound("ticket", id);
  }
  return std::move(*ticket);
}

core::Result<Ticket> TicketService::Update(const core::Principal& who, std::string_view id,
                                           const TicketInput& changes,
                                           std::optional<int64_t> expected_version) {
  if (auto allowed = RequireStaff(who, "change tickets"); !allowed) return allowed.error();
  if (auto allowed = CheckAssignee(who, changes.assignee_id); !allowed) return allowed.error();
  return Change(who, id, expected_version, [&](db::Session& tx, Ticket& ticket) -> core::Result<bool> {
    const auto interaction_before = ticket.interaction_id;
    auto changed = ApplyTicketChanges(changes, NowText(), ticket);
    if (!changed) return changed.error();
    if (ticket.interaction_id != interaction_before) {
      if (auto checked = CheckInteraction(tx, who, ticket); !checked) return checked.error();
    }
    return *changed;
  });
}

core::Result<Ticket> TicketService::Resolve(const core::Principal& who, std::string_view id,
                                            std::optional<std::string> resolution,
                                            std::optional<int64_t> expected_version) {
  if (!IsPortal(who)) {
    if (auto allowed = RequireStaff(who, "resolve tickets"); !allowed) return allowed.error();
  }
  return Change(who, id, expected_version, [&](db::Session&, Ticket& ticket) -> core::Result<bool> {
    if (auto resolved = ResolveTicket(ticket, resolution, NowText()); !resolved) {
      return resolved.error();
    }
    return true;
  });
}

core::Result<Ticket> TicketService::Reopen(const core::Principal& who, std::string_view id,
                                           std::optional<int64_t> expected_version) {
  if (auto allowed = RequireStaff(who, "reopen tickets"); !allowed) return allowed.error();
  return Change(who, id, expected_version, [&](db::Session&, Ticket& ticket) -> core::Result<bool> {
    if (auto reopened = ReopenTicket(ticket, NowText()); !reopened) return reopened.error();
    return true;
  });
}

core::Status TicketService::Delete(const core::Principal& who, std::string_view id,
                                   std::optional<int64_t> expected_version) {
  if (auto allowed = RequireStaff(who, "delete tickets"); !allowed) return allowed.error();
  if (!core::IsUuid(id)) return core::Error::NotFound("ticket", id);
  return database_.Write([&](db::Session& tx) -> core::Status {
    auto ticket = Get(tx, who, id);
    if (!ticket) return ticket.error();
    // A ticket the agent cannot see stays invisible: NotFound before Forbidden.
    if (!who.is_staff_manager()) {
      return core::Error::Forbidden("only admins and managers delete tickets");
    }
    if (store_.Delete(tx, id, expected_version)) return core::Ok{};
    if (expected_version && store_.FindById(tx, id)) return core::Error::PreconditionFailed();
    return core::Error::NotFound("ticket", id);
  });
}

core::Result<CommentPage> TicketService::ListComments(const core::Principal& who,
                                                      std::string_view ticket_id,
                                                      const core::PageRequest& page) {
  if (!core::IsUuid(ticket_id)) return core::Error::NotFound("ticket", ticket_id);
  return database_.Read([&](db::Session& session) -> core::Result<CommentPage> {
    auto ticket = Get(session, who, ticket_id);
    if (!ticket) return ticket.error();
    return store_.ListComments(session, ticket->id, page);
  });
}

core::Result<TicketComment> TicketService::AddComment(const core::Principal& who,
                                                      std::string_view ticket_id,
                                                      std::string body) {
  if (!core::IsUuid(ticket_id)) return core::Error::NotFound("ticket", ticket_id);
  return database_.Write([&](db::Session& tx) -> core::Result<TicketComment> {
    auto ticket = Get(tx, who, ticket_id);
    if (!ticket) return ticket.error();
    if (ticket->status == TicketStatus::kClosed) {
      return core::Error::Conflict("the ticket is closed; closed tickets take no comments");
    }
    TicketComment comment{core::NewId(), ticket->id, std::move(body), ActorOf(who), NowText()};
    store_.InsertComment(tx, comment);
    return comment;
  });
}

core::Result<Ticket> TicketService::Change(
    const core::Principal& who, std::string_view id, std::optional<int64_t> expected_version,
    const std::function<core::Result<bool>(db::Session&, Ticket&)>& change) {
  if (!core::IsUuid(id)) return core::Error::NotFound("ticket", id);
  return database_.Write([&](db::Session& tx) -> core::Result<Ticket> {
    for (int attempt = 1;; ++attempt) {
      auto found = Get(tx, who, id);
      if (!found) return found.error();
      if (expected_version && *expected_version != found->version) {
        return core::Error::PreconditionFailed();
      }
      const Ticket before = *found;
      Ticket& ticket = *found;
      auto changed = change(tx, ticket);
      if (!changed) return changed.error();
      if (!*changed) return std::move(ticket);
      auto saved = Save(tx, &before, ticket);
      if (!saved) return saved.error();
      if (*saved) return std::move(ticket);
      // Changed by someone else since we read it: stale for an If-Match, else read again.
      if (expected_version) return core::Error::PreconditionFailed();
      if (attempt == kWriteAttempts) {
        return core::Error::Conflict("the ticket is being changed concurrently; retry");
      }
    }
  });
}

core::Status TicketService::CheckInteraction(db::Session& tx, const core::Principal& who,
                                             const Ticket& ticket) {
  if (!ticket.interaction_id) return core::Ok{};
  auto interaction = interactions_.Get(tx, who, *ticket.interaction_id);
  if (!interaction || interaction->customer_id != ticket.customer_id) {
    return core::Error::Invalid("interaction_id", "must be an interaction of the ticket's customer");
  }
  return core::Ok{};
}

core::Result<bool> TicketService::Save(db::Session& tx, const Ticket* before, Ticket& after) {
  if (!before) {
    if (auto inserted = store_.Insert(tx, after); !inserted) return inserted.error();
    return true;
  }
  return store_.Update(tx, after);
}

}  // namespace rapport::tickets
