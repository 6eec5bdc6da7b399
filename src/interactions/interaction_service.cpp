#include "interactions/interaction_service.hpp"

#include "core/ids.hpp"
#include "core/time.hpp"

namespace rapport::interactions {

namespace {

using customers::CustomerService;

core::Status RequireStaff(const core::Principal& who) {
  if (!who.is_user()) return core::Error::Forbidden("only staff users record interactions");
  return core::Ok{};
}

// Agents record interactions as themselves; admins and managers as anyone.
core::Status CheckUser(const core::Principal& who, const core::Field<std::string>& user_id) {
  if (who.is_agent() && user_id.value && *user_id.value != who.id) {
    return core::Error::Forbidden("an agent may only record interactions as themselves");
  }
  return core::Ok{};
}

// Portal accounts see their meetings only.
bool CanSee(const core::Principal& who, const Interaction& interaction) {
  return who.kind != core::Principal::Kind::kPortal || interaction.type == "meeting";
}

// The visibility rule as SQL on the alias `i`.
void Narrow(db::Query& query, const core::Principal& who) {
  CustomerService::AppendVisibleFilter(query, who, "i.customer_id");
  if (who.kind == core::Principal::Kind::kPortal) query.Sql(" AND i.type = ").Param("meeting");
}

}  // namespace

InteractionService::InteractionService(db::Database& database, CustomerService& customers)
    : database_(database), customers_(customers), store_(database.engine()) {}

core::Result<InteractionPage> InteractionService::List(const core::Principal& who,
                                                       const InteractionFilter& filter,
                                                       const core::PageRequest& page) {
  return database_.Read([&](db::Session& session) -> core::Result<InteractionPage> {
    return store_.List(session, filter, [&](db::Query& query) { Narrow(query, who); }, page);
  });
}

core::Result<InteractionPage> InteractionService::ListForCustomer(const core::Principal& who,
                                                                  std::string_view customer_id,
                                                                  InteractionFilter filter,
                                                                  const core::PageRequest& page) {
  return database_.Read([&](db::Session& session) -> core::Result<InteractionPage> {
    auto customer = customers_.Get(session, who, customer_id);
    if (!customer) return customer.error();
    filter.customer_id = customer->id;
    return store_.List(session, filter, [&](db::Query& query) { Narrow(query, who); }, page);
  });
}

core::Result<Interaction> InteractionService::Create(const core::Principal& who,
                                                     const InteractionInput& input) {
  if (auto allowed = RequireStaff(who); !allowed) return allowed.error();
  if (auto allowed = CheckUser(who, input.user_id); !allowed) return allowed.error();

  Interaction interaction;
  interaction.id = core::NewId();
  interaction.created_at = interaction.updated_at = core::FormatTimestamp(core::Now());
  interaction.customer_id = input.customer_id.value.value_or("");
  interaction.user_id = input.user_id.value.value_or(who.id);
  interaction.status = DefaultStatus(input.type.value.value_or(""));
  interaction.remind_before_minutes = kDefaultRemindBeforeMinutes;
  ApplyInteractionInput(input, interaction.created_at, interaction);

  return database_.Write([&](db::Session& tx) -> core::Result<Interaction> {
    auto customer = customers_.GetForUpdate(tx, who, interaction.customer_id);
    if (!customer) {
      return core::Error::Invalid("customer_id", "must be the id of an existing customer");
    }
    if (auto inserted = store_.Insert(tx, interaction); !inserted) return inserted.error();
    Recorded(tx, *customer, nullptr, &interaction);
    return interaction;
  });
}

core::Result<Interaction> InteractionService::Get(const core::Principal& who, std::string_view id) {
  if (!core::IsUuid(id)) return core::Error::NotFound("interaction", id);
  return database_.Read([&](db::Session& session) { return Get(session, who, id); });
}

core::Result<Interaction> InteractionService::Get(db::Session& session, const core::Principal& who,
                                                  std::string_view id) {
  if (!core::IsUuid(id)) return core::Error::NotFound("interaction", id);
  auto interaction = store_.FindById(session, id);
  if (!interaction || !CanSee(who, *interaction) ||
      !customers_.Get(session, who, interaction->customer_id)) {
    return core::Error::NotFound("interaction", id);
  }
  return std::move(*interaction);
}

core::Result<Interaction> InteractionService::Update(const core::Principal& who,
                                                     std::string_view id,
                                                     const InteractionInput& changes,
                                                     std::optional<int64_t> expected_version) {
  if (auto allowed = RequireStaff(who); !allowed) return allowed.error();
  if (!core::IsUuid(id)) return core::Error::NotFound("interaction", id);
  if (auto allowed = CheckUser(who, changes.user_id); !allowed) return allowed.error();
  return database_.Write([&](db::Session& tx) -> core::Result<Interaction> {
    auto found = store_.FindById(tx, id);
    if (!found) return core::Error::NotFound("interaction", id);
    auto customer = customers_.GetForUpdate(tx, who, found->customer_id);
    if (!customer) return core::Error::NotFound("interaction", id);
    // Read again now that the customer's row is held: every writer of this interaction holds
    // it too, so what is read now stays current until this transaction ends.
    found = store_.FindById(tx, id);
    if (!found) return core::Error::NotFound("interaction", id);
    if (expected_version && *expected_version != found->version) {
      return core::Error::PreconditionFailed();
    }
    const Interaction before = *found;
    Interaction& interaction = *found;
    bool changed = ApplyInteractionInput(changes, core::FormatTimestamp(core::Now()), interaction);
    if (changes.user_id.value && *changes.user_id.value != interaction.user_id) {
      interaction.user_id = *changes.user_id.value;
      changed = true;
    }
    if (!changed) return std::move(interaction);
    auto written = store_.Update(tx, interaction);
    if (!written) return written.error();
    if (!*written) return core::Error::Conflict("the interaction is being changed concurrently; retry");
    Recorded(tx, *customer, &before, &interaction);
    return std::move(interaction);
  });
}

core::Status InteractionService::Delete(const core::Principal& who, std::string_view id,
                                        std::optional<int64_t> expected_version) {
  if (auto allowed = RequireStaff(who); !allowed) return allowed.error();
  if (!core::IsUuid(id)) return core::Error::NotFound("interaction", id);
  return database_.Write([&](db::Session& tx) -> core::Status {
    auto found = store_.FindById(tx, id);
    if (!found) return core::Error::NotFound("interaction", id);
    auto customer = customers_.GetForUpdate(tx, who, found->customer_id);
    if (!customer) return core::Error::NotFound("interaction", id);
    if (!who.is_staff_manager() && found->user_id != who.id) {
      return core::Error::Forbidden("agents delete only their own interactions");
    }
    if (!store_.Delete(tx, id, expected_version)) {
      if (expected_version && store_.FindById(tx, id)) return core::Error::PreconditionFailed();
      return core::Error::NotFound("interaction", id);
    }
    Recorded(tx, *customer, &*found, nullptr);
    return core::Ok{};
  });
}

void InteractionService::Recorded(db::Session& tx, const customers::Customer& customer,
                                  const Interaction* before, const Interaction* after) {
  auto last = store_.LastInteractionAt(tx, customer.id);
  if (last != customer.last_interaction_at) customers_.SetLastInteractionAt(tx, customer, last);
  if (listener_) listener_(tx, before, after);
}

}  // namespace rapport::interactions
