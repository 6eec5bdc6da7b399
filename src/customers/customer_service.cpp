#include "customers/customer_service.hpp"

#include <algorithm>

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

// Whose customers a list may show: an agent only their own (and unowned ones), everyone
// else all of them.
std::optional<std::string> VisibleTo(const core::Principal& who) {
  if (who.is_agent()) return who.id;
  return std::nullopt;
}

}  // namespace

CustomerService::CustomerService(db::Database& database, companies::CompanyService& companies)
    : database_(database), companies_(companies), store_(database.engine()) {}

bool CustomerService::CanSee(const core::Principal& who, const Customer& customer) {
  return CanSee(who, customer.id, customer.owner_id);
}

bool CustomerService::CanSee(const core::Principal& who, std::string_view id,
                             const std::optional<std::string>& owner_id) {
  switch (who.kind) {
    case core::Principal::Kind::kUser:
      return who.role != core::Role::kAgent || !owner_id || *owner_id == who.id;
    case core::Principal::Kind::kPortal:
      return !who.customer_id.empty() && who.customer_id == id;
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
                                                 const core::PageRequest& page,
                                                 CustomerColumns columns) {
  if (auto allowed = RequireStaff(who); !allowed) return allowed.error();
  const std::optional<std::string> visible_to = VisibleTo(who);
  return database_.Read([&](db::Session& session) -> core::Result<CustomerPage> {
    return store_.List(session, filter, visible_to, page, columns);
  });
}

core::Result<std::string> CustomerService::ListJson(const core::Principal& who,
                                                    const CustomerFilter& filter,
                                                    const core::PageRequest& page) {
  if (auto allowed = RequireStaff(who); !allowed) return allowed.error();
  const std::optional<std::string> visible_to = VisibleTo(who);
  return database_.Read([&](db::Session& session) -> core::Result<std::string> {
    return store_.ListJson(session, filter, visible_to, page);
  });
}

void CustomerService::SetCompanyNames(std::vector<Customer>& customers,
                                      std::unordered_map<std::string, std::string>& names) {
  // One lookup per customer, and a second only for those whose company was not known.
  std::vector<Customer*> unnamed;
  std::vector<std::string> missing;
  for (Customer& c : customers) {
    c.company.reset();
    if (!c.company_id) continue;
    if (auto it = names.find(*c.company_id); it != names.end()) {
      c.company = it->second;
    } else {
      unnamed.push_back(&c);
      missing.push_back(*c.company_id);
    }
  }
  if (unnamed.empty()) return;
  std::sort(missing.begin(), missing.end());
  missing.erase(std::unique(missing.begin(), missing.end()), missing.end());
  companies_.NamesOf(missing, names);
  for (Customer* c : unnamed) {
    if (auto it = names.find(*c->company_id); it != names.end()) c->company = it->second;
  }
}

core::Result<std::string> CustomerService::ListForCompany(const core::Principal& who,
                                                          std::string_view company_id,
                                                          CustomerFilter filter,
                                                          const core::PageRequest& page) {
  auto company = companies_.Get(who, company_id);
  if (!company) return company.error();
  filter.company_id = company->id;
  return ListJson(who, filter, page);
}

void CustomerService::CompanyLinks::Keep() {
  added_names_.clear();
  added_ids_.clear();
  if (by_name_.size() + name_by_id_.size() > kMaxNames) {
    by_name_.clear();
    name_by_id_.clear();
  }
}

void CustomerService::CompanyLinks::Drop() {
  for (const std::string& name : added_names_) by_name_.erase(name);
  for (const std::string& id : added_ids_) name_by_id_.erase(id);
  Keep();
}

const CustomerService::CompanyLinks::Company* CustomerService::CompanyLinks::FindByName(
    const std::string& name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : &it->second;
}

const std::string* CustomerService::CompanyLinks::FindNameOf(const std::string& id) const {
  auto it = name_by_id_.find(id);
  return it == name_by_id_.end() ? nullptr : &it->second;
}

void CustomerService::CompanyLinks::Add(const CustomerInput& input, const std::string& id,
                                        const std::string& name) {
  if (input.company.value) {
    if (by_name_.emplace(*input.company.value, Company{id, name}).second) {
      added_names_.push_back(*input.company.value);
    }
  } else if (name_by_id_.emplace(id, name).second) {
    added_ids_.push_back(id);
  }
}

core::Result<bool> CustomerService::LinkCompany(db::Session& tx, const CustomerInput& input,
                                                Customer& customer, CompanyLinks* links) {
  std::optional<std::string> company_id;
  std::optional<std::string> company_name;  // when already known
  if (input.company.value) {
    if (const auto* known = links ? links->FindByName(*input.company.value) : nullptr) {
      company_id = known->id;
      company_name = known->name;
    } else {
      auto found = companies_.FindOrCreateByName(tx, *input.company.value);
      if (!found) return found.error();
      company_id = std::move(*found);
    }
  } else if (input.company_id.value) {
    company_id = *input.company_id.value;
    if (const auto* known = links ? links->FindNameOf(*company_id) : nullptr) company_name = *known;
  } else if (!input.company.present && !input.company_id.present) {
    return false;  // not part of this write
  }
  if (company_id == customer.company_id) return false;
  customer.company.reset();
  if (company_id) {
    if (!company_name) {
      auto company = companies_.Find(tx, *company_id);
      if (!company) return core::Error::Invalid("company_id", "must be the id of an existing company");
      company_name = std::move(company->name);
      if (links) links->Add(input, *company_id, *company_name);
    }
    customer.company = std::move(*company_name);
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
  const CustomerInput* one = &input;
  auto created = CreateMany(tx, who, std::span<const CustomerInput* const>(&one, 1));
  if (!created) return created.error();
  return std::move(created->front());
}

core::Result<std::vector<Customer>> CustomerService::CreateMany(db::Session& tx,
                                                                const core::Principal& who,
                                                                std::span<const CustomerInput* const> inputs,
                                                                CompanyLinks* links) {
  if (auto allowed = RequireStaff(who); !allowed) return allowed.error();
  CompanyLinks own_links;
  if (!links) links = &own_links;
  std::vector<Customer> customers(inputs.size());
  std::vector<StatusChange> changes;
  changes.reserve(inputs.size());
  const std::string now = core::FormatTimestamp(core::Now());
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const CustomerInput& input = *inputs[i];
    auto owner = OwnerOnCreate(who, input.owner_id);
    if (!owner) return owner.error();
    Customer& customer = customers[i];
    customer.id = core::NewId();
    customer.created_at = customer.updated_at = now;
    customer.owner_id = std::move(*owner);
    ApplyCustomerInput(input, customer);
    if (auto linked = LinkCompany(tx, input, customer, links); !linked) return linked.error();
    changes.push_back(MakeStatusChange(who, customer, std::nullopt));
  }
  if (auto inserted = store_.Insert(tx, customers); !inserted) return inserted.error();
  store_.RecordStatusChanges(tx, changes);
  return customers;
}

std::vector<std::size_t> CustomerService::TakenEmails(db::Session& session,
                                                      const std::vector<std::string>& emails) {
  return store_.TakenEmails(session, emails);
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

core::Result<CustomerJson> CustomerService::GetJson(const core::Principal& who,
                                                    std::string_view id) {
  if (!core::IsUuid(id)) return core::Error::NotFound("customer", id);
  auto customer =
      database_.Read([&](db::Session& session) { return store_.FindJsonById(session, id); });
  if (!customer || !CanSee(who, customer->id, customer->owner_id)) {
    return core::Error::NotFound("customer", id);
  }
  return std::move(*customer);
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

void CustomerService::SetLastInteractionAt(db::Session& tx, Customer customer,
                                           const std::optional<std::string>& at) {
  customer.last_interaction_at = at;
  store_.SetLastInteractionAt(tx, customer);
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
    // Locked (PostgreSQL): the stored document written below is built from this read, so no
    // other write of the row may come in between, versioned or not.
    auto found = GetForUpdate(tx, who, id);
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
    auto linked = LinkCompany(tx, changes, customer, nullptr);
    if (!linked) return linked.error();
    changed = *linked || changed;
    if (!changed) return std::move(customer);

    auto written = store_.Update(tx, customer, tags_changed);
    if (!written) return written.error();
    if (*written) {
      if (customer.status != old_status) {
        const StatusChange change = MakeStatusChange(who, customer, old_status);
        store_.RecordStatusChanges(tx, std::span<const StatusChange>(&change, 1));
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

void CustomerService::SetPurchaseStats(db::Session& tx, Customer customer,
                                       const PurchaseStats& stats) {
  customer.total_spend = stats.total_spend;
  customer.num_visits = stats.num_visits;
  customer.last_visit_at = stats.last_visit_at;
  store_.SetPurchaseStats(tx, std::move(customer));
}

int64_t CustomerService::WriteMissingDocuments(const std::function<bool()>& stop) {
  constexpr int kBatch = 500;
  int64_t written = 0;
  std::string after;
  while (!stop()) {
    int64_t batch = 0;
    database_.Apply(
        [&](db::Session& tx) { after = store_.WriteMissingDocuments(tx, after, kBatch, batch); });
    written += batch;
    if (batch < kBatch) break;
  }
  return written;
}

void CustomerService::RegisterJobs(jobs::JobQueue& queue) {
  queue.Every(std::string(kDocumentsJob), std::chrono::minutes(1), [this](const jobs::Job& job) {
    WriteMissingDocuments([&job] { return job.stop_requested(); });
    return jobs::Outcome::Done();
  });
}

core::Result<std::vector<std::string>> CustomerService::MatchingIds(
    db::Session& session, const core::Principal& who, const CustomerFilter& filter,
    std::string_view after_id, int limit) {
  if (auto allowed = RequireStaff(who); !allowed) return allowed.error();
  const std::optional<std::string> visible_to = VisibleTo(who);
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
