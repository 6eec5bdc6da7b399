#include "customers/customer_service.hpp"

#include "core/ids.hpp"
#include "core/time.hpp"

namespace rapport::customers {

namespace {

// Attempts of an update that found its row changed between reading and writing it.
constexpr int kWriteAttempts = 3;

core::Status RequireStaff(const core::Principal& who) {
  if (!who.is_user()) return core::Error::Forbidden("only staff users manage customers");
  return core::Ok{};
}

StatusChange MakeStatusChange(const core::Principal& who, const Customer& customer,
                              std::optional<std::string> from_status) {
  // A principal without an id (the command line) is recorded as nobody.
  std::optional<std::string> changed_by;
  if (!who.id.empty()) changed_by = who.id;
  return {core::NewId(), customer.id, std::move(from_status), customer.status,
          std::move(changed_by), customer.updated_at};
}

}  // namespace

CustomerService::CustomerService(db::Database& database, companies::CompanyService& companies)
    : database_(database), companies_(companies), store_(database.engine()) {}

bool CustomerService::CanSee(const core::Principal& who, const Customer& customer) {
  switch (who.kind) {
    case core::Principal::Kind::kUser:
      return who.role != core::Role::kAgent || !customer.owner_id || *customer.owner_id == who.id;
    case core::Principal::Kind::kPortal:
      return !who.customer_id.empty() && who.customer_id == customer.id;
    case core::Principal::Kind::kAnonymous:
      return false;
  }
  return false;
}

void CustomerService::AppendVisibleFilter(db::Query& query, const core::Principal& who,
                                          std::string_view customer_id_column) {
  switch (who.kind) {
    case core::Principal::Kind::kUser:
      if (who.role != core::Role::kAgent) return;
      query.Sql(" AND ").Sql(customer_id_column);
      query.Sql(" IN (SELECT v.id FROM customers v WHERE v.owner_id = ").Param(who.id);
      query.Sql(" OR v.owner_id IS NULL)");
      return;
    case core::Principal::Kind::kPortal:
      query.Sql(" AND ").Sql(customer_id_column).Sql(" = ").Param(who.customer_id);
      return;
    case core::Principal::Kind::kAnonymous:
      break;
  }
  query.Sql(" AND 1 = 0");
}

core::Result<CustomerPage> CustomerService::List(const core::Principal& who,
                                                 const CustomerFilter& filter,
                                                 const core::PageRequest& page) {
  if (auto allowed = RequireStaff(who); !allowed) return allowed.error();
  std::optional<std::string> visible_to;
  if (who.is_agent()) visible_to = who.id;
  return database_.Read([&](db::Session& session) -> core::Result<CustomerPage> {
    return store_.List(session, filter, visible_to, page);
  });
}

core::Result<CustomerPage> CustomerService::ListForCompany(const core::Principal& who,
                                                           std::string_view company_id,
                                                           CustomerFilter filter,
                                                           const core::PageRequest& page) {
  auto company = companies_.Get(who, company_id);
  if (!company) return company.error();
  filter.company_id = company->id;
  return List(who, filter, page);
}

core::Result<bool> CustomerService::LinkCompany(db::Session& tx, const CustomerInput& input,
                                                Customer& customer) {
  std::optional<std::string> company_id;
  if (input.company.value) {
    auto id = companies_.FindOrCreateByName(tx, *input.company.value);
    if (!id) return id.error();
    company_id = std::move(*id);
  } else if (input.company_id.value) {
    company_id = *input.company_id.value;
  } else if (!input.company.present && !input.company_id.present) {
    return false;  // not part of this write
  }
  if (company_id == customer.company_id) return false;
  customer.company.reset();
  if (company_id) {
    auto company = companies_.Find(tx, *company_id);
    if (!company) return core::Error::Invalid("company_id", "must be the id of an existing company");
    customer.company = std::move(company->name);
  }
  customer.company_id = std::move(company_id);
  return true;
}

core::Result<Customer> CustomerService::Create(const core::Principal& who,
                                               const CustomerInput& input) {
  if (auto allowed = RequireStaff(who); !allowed) return allowed.error();
  return database_.Write([&](db::Session& tx) { return Create(tx, who, input); });
}

core::Result<Customer> CustomerService::Create(db::Session& tx, const core::Principal& who,
                                               const CustomerInput& input) {
  if (auto allowed = RequireStaff(who); !allowed) return allowed.error();
  auto owner = OwnerOnCreate(who, input.owner_id);
  if (!owner) return owner.error();

  Customer customer;
  customer.id = core::NewId();
  customer.created_at = customer.updated_at = core::FormatTimestamp(core::Now());
  customer.owner_id = std::move(*owner);
  ApplyCustomerInput(input, customer);

  if (auto linked = LinkCompany(tx, input, customer); !linked) return linked.error();
  if (auto inserted = store_.Insert(tx, customer); !inserted) return inserted.error();
  store_.RecordStatusChange(tx, MakeStatusChange(who, customer, std::nullopt));
  return customer;
}

std::optional<Customer> CustomerService::FindByEmail(db::Session& session,
                                                     const core::Principal& who,
                                                     std::string_view email) {
  auto customer = store_.FindByEmail(session, email);
  if (!customer || !CanSee(who, *customer)) return std::nullopt;
  return customer;
}

core::Result<Customer> CustomerService::Get(const core::Principal& who, std::string_view id) {
  if (!core::IsUuid(id)) return core::Error::NotFound("customer", id);
  return database_.Read([&](db::Session& session) { return Get(session, who, id); });
}

core::Result<Customer> CustomerService::Get(db::Session& session, const core::Principal& who,
                                            std::string_view id) {
  return Find(session, who, id, /*lock=*/false);
}

core::Result<Customer> CustomerService::GetForUpdate(db::Session& tx, const core::Principal& who,
                                                     std::string_view id) {
  return Find(tx, who, id, /*lock=*/true);
}

core::Result<Customer> CustomerService::Find(db::Session& session, const core::Principal& who,
                                             std::string_view id, bool lock) {
  if (!core::IsUuid(id)) return core::Error::NotFound("customer", id);
  auto customer = store_.FindById(session, id, lock);
  if (!customer || !CanSee(who, *customer)) return core::Error::NotFound("customer", id);
  return std::move(*customer);
}

void CustomerService::SetLastInteractionAt(db::Session& tx, std::string_view id,
                                           const std::optional<std::string>& at) {
  store_.SetLastInteractionAt(tx, id, at);
}

core::Result<Customer> CustomerService::Update(const core::Principal& who, std::string_view id,
                                               const CustomerInput& changes,
                                               std::optional<int64_t> expected_version) {
  if (auto allowed = RequireStaff(who); !allowed) return allowed.error();
  if (!core::IsUuid(id)) return core::Error::NotFound("customer", id);
  return database_.Write(
      [&](db::Session& tx) { return Update(tx, who, id, changes, expected_version); });
}

core::Result<Customer> CustomerService::Update(db::Session& tx, const core::Principal& who,
                                               std::string_view id,
                                               const CustomerInput& changes,
                                               std::optional<int64_t> expected_version) {
  if (auto allowed = RequireStaff(who); !allowed) return allowed.error();
  if (!core::IsUuid(id)) return core::Error::NotFound("customer", id);
  for (int attempt = 1;; ++attempt) {
    auto found = Get(tx, who, id);
    if (!found) return found.error();
    Customer& customer = *found;
    if (expected_version && *expected_version != customer.version) {
      return core::Error::PreconditionFailed();
    }
    bool changed = false;
    if (changes.owner_id.present) {
      if (auto allowed = CheckOwnerChange(who, changes.owner_id); !allowed) {
        return allowed.error();
      }
      if (changes.owner_id.value != customer.owner_id) {
        customer.owner_id = changes.owner_id.value;
        changed = true;
      }
    }
    const std::string old_status = customer.status;
    const bool tags_changed = changes.tags.present &&
                              changes.tags.value.value_or(std::vector<std::string>{}) !=
                                  customer.tags;
    changed = ApplyCustomerInput(changes, customer) || changed;
    auto linked = LinkCompany(tx, changes, customer);
    if (!linked) return linked.error();
    changed = *linked || changed;
    if (!changed) return std::move(customer);

    auto written = store_.Update(tx, customer, tags_changed);
    if (!written) return written.error();
    if (*written) {
      if (customer.status != old_status) {
        store_.RecordStatusChange(tx, MakeStatusChange(who, customer, old_status));
      }
      return std::move(customer);
    }
    // Changed by someone else since we read it: stale for an If-Match, else read again.
    if (expected_version) return core::Error::PreconditionFailed();
    if (attempt == kWriteAttempts) {
      return core::Error::Conflict("the customer is being changed concurrently; retry");
    }
  }
}

core::Status CustomerService::Delete(const core::Principal& who, std::string_view id,
                                     std::optional<int64_t> expected_version) {
  if (auto allowed = RequireStaff(who); !allowed) return allowed.error();
  if (!core::IsUuid(id)) return core::Error::NotFound("customer", id);
  if (!who.is_staff_manager()) {
    // A customer the agent cannot see stays invisible: NotFound before Forbidden.
    auto visible = Get(who, id);
    if (!visible) return visible.error();
    return core::Error::Forbidden("only admins and managers delete customers");
  }
  return database_.Write([&](db::Session& tx) -> core::Status {
    if (store_.Delete(tx, id, expected_version)) return core::Ok{};
    if (expected_version && store_.FindById(tx, id)) return core::Error::PreconditionFailed();
    return core::Error::NotFound("customer", id);
  });
}

void CustomerService::SetPurchaseStats(db::Session& tx, std::string_view id,
                                       const PurchaseStats& stats) {
  store_.SetPurchaseStats(tx, id, stats);
}

core::Result<std::vector<std::string>> CustomerService::MatchingIds(
    db::Session& session, const core::Principal& who, const CustomerFilter& filter,
    std::string_view after_id, int limit) {
  if (auto allowed = RequireStaff(who); !allowed) return allowed.error();
  std::optional<std::string> visible_to;
  if (who.is_agent()) visible_to = who.id;
  return store_.MatchingIds(session, filter, visible_to, after_id, limit);
}

core::Result<std::vector<StatusChange>> CustomerService::StatusHistory(const core::Principal& who,
                                                                       std::string_view id) {
  if (!core::IsUuid(id)) return core::Error::NotFound("customer", id);
  return database_.Read([&](db::Session& session) -> core::Result<std::vector<StatusChange>> {
    auto customer = Get(session, who, id);
    if (!customer) return customer.error();
    return store_.StatusHistory(session, id);
  });
}

}  // namespace rapport::customers
