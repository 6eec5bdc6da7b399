#pragma once

#include <optional>
#include <string>
#include <vector>
#include <unordered_map>
#include <string_view>

#include "companies/company.hpp"
#include "core/page.hpp"
#include "core/result.hpp"
#include "db/database.hpp"

namespace rapport::companies {

// SQL for companies. Every function runs on the session it is given (inside the caller's
// transaction for writes). Throws only what the database throws unexpectedly.
class CompanyStore {
 public:
  explicit CompanyStore(db::Engine engine) : engine_(engine) {}

  std::optional<Company> FindById(db::Session& session, std::string_view id) const;
  // The names of the companies of `ids` that exist, by id, into `names`.
  void NamesOf(db::Session& session, const std::vector<std::string>& ids,
               std::unordered_map<std::string, std::string>& names) const;
  // Conflict naming `name` when a company of that name (case-insensitive) exists.
  core::Status Insert(db::Session& session, const Company& company) const;
  // Writes the writable columns of `company` if its row still has `company.version`; then
  // bumps `company.version` and sets `updated_at`. Returns false (and changes nothing) when
  // the row is gone or has another version; Conflict naming `name` on a duplicate name.
  core::Result<bool> Update(db::Session& session, Company& company) const;
  // Deletes the company (customers keep existing with company_id null); with
  // `expected_version` only at that version. Returns whether a row was deleted.
  bool Delete(db::Session& session, std::string_view id,
              std::optional<int64_t> expected_version) const;
  // The id of the company named `name` (case-insensitive), inserted when there is none.
  // Safe against a concurrent insert of the same name: it never fails on the unique index.
  std::string FindOrCreateByName(db::Session& session, std::string_view name) const;

  core::Page List(db::Session& session, const CompanyFilter& filter,
                  const core::PageRequest& page) const;

 private:
  // PostgreSQL: locks the company's customers before the company's row is written. A write
  // of a customer locks the customer, then reads its company FOR SHARE (the trigger of
  // migration 0011, which keeps stored documents current); taking the two locks in the same
  // order here means a rename or delete and a customer's write wait for each other instead of
  // deadlocking.
  void LockCustomers(db::Session& session, std::string_view id) const;

  db::Engine engine_;
};

}  // namespace rapport::companies
