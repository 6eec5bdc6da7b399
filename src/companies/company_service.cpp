#include "companies/company_service.hpp"

#include "core/ids.hpp"
#include "core/text.hpp"
#include "core/time.hpp"

namespace rapport::companies {

namespace {

// Attempts of a write that found its row changed between reading and writing it.
constexpr int kWriteAttempts = 3;

core::Status RequireStaff(const core::Principal& who) {
  if (!who.is_user()) return core::Error::Forbidden("only staff users manage companies");
  return core::Ok{};
}

}  // namespace

CompanyService::CompanyService(db::Database& database)
    : database_(database), store_(database.engine()) {}

core::Result<core::Page> CompanyService::List(const core::Principal& who,
                                              const CompanyFilter& filter,
                                              const core::PageRequest& page) {
  if (auto allowed = RequireStaff(who); !allowed) return allowed.error();
  return database_.Read([&](db::Session& session) { return store_.List(session, filter, page); });
}

core::Result<Company> CompanyService::Create(const core::Principal& who, const CompanyInput& input) {
  if (auto allowed = RequireStaff(who); !allowed) return allowed.error();
  Company company;
  company.id = core::NewId();
  company.created_at = company.updated_at = core::FormatTimestamp(core::Now());
  ApplyCompanyInput(input, company);
  return database_.Write([&](db::Session& tx) -> core::Result<Company> {
    if (auto inserted = store_.Insert(tx, company); !inserted) return inserted.error();
    return company;
  });
}

core::Result<Company> CompanyService::Get(const core::Principal& who, std::string_view id) {
  if (auto allowed = RequireStaff(who); !allowed) return allowed.error();
  if (!core::IsUuid(id)) return core::Error::NotFound("company", id);
  auto company = database_.Read([&](db::Session& session) { return store_.FindById(session, id); });
  if (!company) return core::Error::NotFound("company", id);
  return std::move(*company);
}

core::Result<Company> CompanyService::Update(const core::Principal& who, std::string_view id,
                                             const CompanyInput& changes,
                                             std::optional<int64_t> expected_version) {
  if (auto allowed = RequireStaff(who); !allowed) return allowed.error();
  if (!core::IsUuid(id)) return core::Error::NotFound("company", id);
  return database_.Write([&](db::Session& tx) -> core::Result<Company> {
    for (int attempt = 1;; ++attempt) {
      auto company = store_.FindById(tx, id);
      if (!company) return core::Error::NotFound("company", id);
      if (expected_version && *expected_version != company->version) {
        return core::Error::PreconditionFailed();
      }
      if (!ApplyCompanyInput(changes, *company)) return std::move(*company);
      auto written = store_.Update(tx, *company);
      if (!written) return written.error();
      if (*written) return std::move(*company);
      // Changed by someone else since we read it: stale for an If-Match, else read again.
      if (expected_version) return core::Error::PreconditionFailed();
      if (attempt == kWriteAttempts) {
        return core::Error::Conflict("the company is being changed concurrently; retry");
      }
    }
  });
}

core::Status CompanyService::Delete(const core::Principal& who, std::string_view id,
                                    std::optional<int64_t> expected_version) {
  if (!who.is_staff_manager()) return core::Error::Forbidden("only admins and managers delete companies");
  if (!core::IsUuid(id)) return core::Error::NotFound("company", id);
  return database_.Write([&](db::Session& tx) -> core::Status {
    if (store_.Delete(tx, id, expected_version)) return core::Ok{};
    if (expected_version && store_.FindById(tx, id)) return core::Error::PreconditionFailed();
    return core::Error::NotFound("company", id);
  });
}

core::Result<std::string> CompanyService::FindOrCreateByName(db::Session& tx,
                                                             std::string_view name) {
  const std::string trimmed = core::Trim(name);
  if (trimmed.empty() || trimmed.size() > kMaxCompanyNameLength) {
    return core::Error::Invalid("company", "must be 1 to 200 characters");
  }
  return store_.FindOrCreateByName(tx, trimmed);
}

std::optional<Company> CompanyService::Find(db::Session& session, std::string_view id) {
  if (!core::IsUuid(id)) return std::nullopt;
  return store_.FindById(session, id);
}

void CompanyService::NamesOf(const std::vector<std::string>& ids,
                             std::unordered_map<std::string, std::string>& names) {
  if (ids.empty()) return;
  database_.Read([&](db::Session& session) {
    store_.NamesOf(session, ids, names);
    return true;
  });
}

}  // namespace rapport::companies
