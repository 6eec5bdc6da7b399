#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/page.hpp"
#include "core/principal.hpp"
#include "core/result.hpp"
#include "customers/customer_service.hpp"
#include "db/database.hpp"
#include "interactions/interaction_service.hpp"
#include "tickets/ticket.hpp"
#include "tickets/ticket_store.hpp"

namespace rapport::tickets {

// Tickets and their comments: the rules and who may do what.
//
// Visibility follows the customer (CustomerService::CanSee): staff see the tickets of the
// customers they may see; a portal principal sees the tickets of its own customer. Any other
// ticket is NotFound, in reads, writes and lists alike.
//
// Staff create, change (PATCH), resolve, reopen and comment. An agent may assign a ticket
// only to themselves or to nobody (Forbidden otherwise). Only admins and managers delete
// (agents get Forbidden for tickets they see). A portal principal may list, read, raise
// (created_by {kind: customer}), resolve and comment on its own customer's tickets, and do
// nothing else (Forbidden).
//
// Status moves follow the table of CanMove (ticket.hpp), in PATCH and in the actions alike;
// an illegal move is a Conflict naming both statuses.
//
// Errors: NotFound (missing, hidden, or a malformed id), Invalid naming `customer_id` (no
// such customer, or one the caller cannot see), `interaction_id` (not an interaction of the
// ticket's customer) or `assignee_id` (no such user), Conflict (an illegal move; a closed
// ticket), PreconditionFailed (a stale `expected_version`), Forbidden. Thread-safe.
class TicketService {
 public:
  // `customers` and `interactions` must outlive this service.
  TicketService(db::Database& database, customers::CustomerService& customers,
                interactions::InteractionService& interactions);

  core::Result<TicketPage> List(const core::Principal& who, const TicketFilter& filter,
                                const core::PageRequest& page);

  // Staff: from ParseNewTicket. Portal: from ParseNewPortalTicket, for its own customer
  // (customer_id, when given, must be that customer).
  core::Result<Ticket> Create(const core::Principal& who, const TicketInput& input);

  // The ticket if `who` may see it, else NotFound.
  core::Result<Ticket> Get(const core::Principal& who, std::string_view id);

  // Applies `changes` (a PATCH, staff). A PATCH that changes nothing writes nothing.
  core::Result<Ticket> Update(const core::Principal& who, std::string_view id,
                              const TicketInput& changes, std::optional<int64_t> expected_version);

  // open | in_progress → resolved (staff, or the portal for its own tickets).
  core::Result<Ticket> Resolve(const core::Principal& who, std::string_view id,
                               std::optional<std::string> resolution,
                               std::optional<int64_t> expected_version);
  // resolved → open (staff).
  core::Result<Ticket> Reopen(const core::Principal& who, std::string_view id,
                              std::optional<int64_t> expected_version);

  // Erases the ticket and its comments (admins and managers).
  core::Status Delete(const core::Principal& who, std::string_view id,
                      std::optional<int64_t> expected_version);

  // The comments of a visible ticket, oldest first.
  core::Result<CommentPage> ListComments(const core::Principal& who, std::string_view ticket_id,
                                         const core::PageRequest& page);
  // Adds a comment as `who` (Conflict on a closed ticket). Neither the ticket's version nor
  // its updated_at change.
  core::Result<TicketComment> AddComment(const core::Principal& who, std::string_view ticket_id,
                                         std::string body);

 private:
  // The ticket inside `session` if `who` may see it, else NotFound.
  core::Result<Ticket> Get(db::Session& session, const core::Principal& who,
                           std::string_view id);
  // Reads the ticket, checks `expected_version`, lets `change` modify it (returning whether
  // it changed anything) and saves it, retrying when a concurrent writer got there first.
  core::Result<Ticket> Change(const core::Principal& who, std::string_view id,
                              std::optional<int64_t> expected_version,
                              const std::function<core::Result<bool>(db::Session&, Ticket&)>& change);
  // Checks that `interaction_id` names an interaction of the ticket's customer.
  core::Status CheckInteraction(db::Session& tx, const core::Principal& who, const Ticket& ticket);
  // The one place every ticket is written (created: `before` is null; else updated), inside
  // the transaction. Returns false when the row changed since `before` was read. Whatever
  // must follow a ticket's change belongs here, where before and after are both at hand: a
  // notification when the assignee changes, or when a customer raises or resolves a ticket.
  core::Result<bool> Save(db::Session& tx, const Ticket* before, Ticket& after);

  db::Database& database_;
  customers::CustomerService& customers_;
  interactions::InteractionService& interactions_;
  TicketStore store_;
};

}  // namespace rapport::tickets
