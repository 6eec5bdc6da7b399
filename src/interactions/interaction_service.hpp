#pragma once

#include <optional>
#include <string_view>

#include "core/page.hpp"
#include "core/principal.hpp"
#include "core/result.hpp"
#include "customers/customer_service.hpp"
#include "db/database.hpp"
#include "interactions/interaction.hpp"
#include "interactions/interaction_store.hpp"

namespace rapport::interactions {

// Interactions: the rules and who may do what.
//
// Visibility follows the customer: whoever may see a customer (CustomerService::CanSee) sees
// its interactions; any other interaction is NotFound, in reads, writes and lists alike. A
// portal principal sees only the meetings of its own customer, and writes nothing.
//
// Writes are staff-only. `user_id` defaults to the caller; an agent may only name
// themselves (Forbidden otherwise). Admins and managers delete any interaction they see,
// agents only their own (user_id), Forbidden otherwise. customer_id is fixed at creation.
//
// Every write keeps the customer's last_interaction_at true in the same transaction (see
// InteractionStore::LastInteractionAt), holding the customer's row so concurrent writes for
// one customer cannot leave it stale.
//
// Errors: NotFound (missing, hidden, or a malformed id), Invalid naming `customer_id` (no
// such customer, or one the caller cannot see) or `user_id` (no such user),
// PreconditionFailed (a stale `expected_version`, i.e. If-Match), Forbidden. Thread-safe.
class InteractionService {
 public:
  // `customers` must outlive this service.
  InteractionService(db::Database& database, customers::CustomerService& customers);

  core::Result<InteractionPage> List(const core::Principal& who, const InteractionFilter& filter,
                                     const core::PageRequest& page);
  // The interactions of one customer (NotFound when `who` cannot see the customer).
  core::Result<InteractionPage> ListForCustomer(const core::Principal& who,
                                                std::string_view customer_id,
                                                InteractionFilter filter,
                                                const core::PageRequest& page);

  core::Result<Interaction> Create(const core::Principal& who, const InteractionInput& input);

  // The interaction if `who` may see it, else NotFound.
  core::Result<Interaction> Get(const core::Principal& who, std::string_view id);
  // The same inside another capability's transaction or read `session`.
  core::Result<Interaction> Get(db::Session& session, const core::Principal& who,
                                std::string_view id);

  // Applies `changes` (a PATCH). A PATCH that changes nothing writes nothing.
  core::Result<Interaction> Update(const core::Principal& who, std::string_view id,
                                   const InteractionInput& changes,
                                   std::optional<int64_t> expected_version);

  core::Status Delete(const core::Principal& who, std::string_view id,
                      std::optional<int64_t> expected_version);

 private:
  // The one place every write (create, update, delete) ends, inside its transaction, with
  // the customer's row held: refreshes the customer's last_interaction_at. Whatever must
  // follow any change of an interaction (reminders of planned ones) belongs here.
  void Recorded(db::Session& tx, const customers::Customer& customer);

  db::Database& database_;
  customers::CustomerService& customers_;
  InteractionStore store_;
};

}  // namespace rapport::interactions
