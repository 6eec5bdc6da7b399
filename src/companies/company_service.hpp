#pragma once

#include <optional>
#include <string>
#include <vector>
#include <unordered_map>
#include <string_view>

#include "companies/company.hpp"
#include "companies/company_store.hpp"
#include "core/page.hpp"
#include "core/principal.hpp"
#include "core/result.hpp"
#include "db/database.hpp"

namespace rapport::companies {

// Companies: any staff user reads, creates and changes them; only admins and managers
// delete. Errors: NotFound for a missing (or malformed) id, Conflict naming `name` for a
// duplicate name, PreconditionFailed when `expected_version` (If-Match) is stale, Forbidden
// for non-staff principals and agents deleting. Thread-safe.
class CompanyService {
 public:
  explicit CompanyService(db::Database& database);

  core::Result<core::Page> List(const core::Principal& who, const CompanyFilter& filter,
                                const core::PageRequest& page);
  core::Result<Company> Create(const core::Principal& who, const CompanyInput& input);
  core::Result<Company> Get(const core::Principal& who, std::string_view id);
  core::Result<Company> Update(const core::Principal& who, std::string_view id,
                               const CompanyInput& changes, std::optional<int64_t> expected_version);
  // Customers of the company stay, with company_id null.
  core::Status Delete(const core::Principal& who, std::string_view id,
                      std::optional<int64_t> expected_version);

  // For other capabilities, inside their own write transaction `tx` (never call these from
  // within Database::Read/Write callbacks of another database):
  //
  // The id of the company called `name` (trimmed, case-insensitive), created when missing.
  // Race-safe: two transactions creating the same name end with one company.
  core::Result<std::string> FindOrCreateByName(db::Session& tx, std::string_view name);
  // The company `id`, or nullopt when there is none (or `id` is not a UUID).
  std::optional<Company> Find(db::Session& session, std::string_view id);
  // The names of the companies of `ids` that exist, by id, added to `names`.
  void NamesOf(const std::vector<std::string>& ids,
               std::unordered_map<std::string, std::string>& names);

 private:
  db::Database& database_;
  CompanyStore store_;
};

}  // namespace rapport::companies
