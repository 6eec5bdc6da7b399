#include "companies/company_store.hpp"

#include <algorithm>
#include <span>

#include <fmt/format.h>

#include "core/ids.hpp"
#include "core/text.hpp"
#include "core/time.hpp"
#include "db/keyset.hpp"
#include "db/records.hpp"

namespace rapport::companies {

namespace {

constexpr std::string_view kColumns =
    "id, name, domain, phone, address, version, created_at, updated_at";

const std::vector<db::SortColumn> kSortColumns = {{"id", "id"},
                                                  {"name", "lower(name)"},
                                                  {"created_at", "created_at"},
                                                  {"updated_at", "updated_at"}};

Company FromRow(const db::Row& row) {
  Company company;
  company.id = row.Text("id");
  company.name = row.Text("name");
  company.domain = row.OptText("domain");
  company.phone = row.OptText("phone");
  company.address = row.OptText("address");
  company.version = row.Int("version");
  company.created_at = row.Text("created_at");
  company.updated_at = row.Text("updated_at");
  return company;
}

void AppendFilter(db::Query& query, const CompanyFilter& filter) {
  query.Sql(" WHERE 1 = 1");
  if (filter.q) {
    const std::string pattern = "%" + core::EscapeLike(*filter.q) + "%";
    query.Sql(" AND (lower(name) LIKE lower(").Param(pattern).Sql(") ESCAPE '\\'");
    query.Sql(" OR lower(domain) LIKE lower(").Param(pattern).Sql(") ESCAPE '\\')");
  }
}

core::Error DuplicateName() {
  return core::Error::Conflict("name", "a company with this name already exists");
}

}  // namespace

std::optional<Company> CompanyStore::FindById(db::Session& session, std::string_view id) const {
  std::optional<Company> company;
  session.First(db::Query(fmt::format("SELECT {} FROM companies WHERE id = ", kColumns)).Param(id),
                [&](const db::Row& row) { company = FromRow(row); });
  return company;
}

void CompanyStore::NamesOf(db::Session& session, const std::vector<std::string>& ids,
                           std::unordered_map<std::string, std::string>& names) const {
  constexpr std::size_t kIdsPerQuery = 64;
  for (std::size_t start = 0; start < ids.size(); start += kIdsPerQuery) {
    const std::size_t end = std::min(ids.size(), start + kIdsPerQuery);
    db::Query query("SELECT id, name FROM companies WHERE id IN (");
    query.ParamList(std::span<const std::string>(ids.data() + start, end - start)).Sql(")");
    session.ForEach(query, [&](const db::Row& row) { names.emplace(row.TextAt(0), row.TextAt(1)); });
  }
}

core::Status CompanyStore::Insert(db::Session& session, const Company& company) const {
  db::Query query(
      "INSERT INTO companies (id, name, domain, phone, address, version, created_at, updated_at) "
      "VALUES (");
  query.Param(company.id).Sql(", ").Param(company.name).Sql(", ").Param(company.domain);
  query.Sql(", ").Param(company.phone).Sql(", ").Param(company.address).Sql(", ");
  query.Param(company.version).Sql(", ").Param(company.created_at).Sql(", ");
  query.Param(company.updated_at).Sql(")");
  if (!session.ExecUnlessDuplicate(query)) return DuplicateName();
  return core::Ok{};
}

void CompanyStore::LockCustomers(db::Session& session, std::string_view id) const {
  if (engine_ != db::Engine::kPostgres) return;
  session.ForEach(
      db::Query("SELECT id FROM customers WHERE company_id = ").Param(id).Sql(" FOR NO KEY UPDATE"),
      [](const db::Row&) {});
}

core::Result<bool> CompanyStore::Update(db::Session& session, Company& company) const {
  const std::string updated_at = core::FormatTimestamp(core::Now());
  LockCustomers(session, company.id);
  db::Query query("UPDATE companies SET name = ");
  query.Param(company.name).Sql(", domain = ").Param(company.domain);
  query.Sql(", phone = ").Param(company.phone).Sql(", address = ").Param(company.address);
  query.Sql(", version = version + 1, updated_at = ").Param(updated_at);
  query.Sql(" WHERE id = ").Param(company.id).Sql(" AND version = ").Param(company.version);
  auto changed = db::ExecChecked(session, query, [](const std::exception& e) {
    return db::IsUniqueViolation(e) ? std::optional(DuplicateName()) : std::nullopt;
  });
  if (!changed) return changed.error();
  if (*changed == 0) return false;
  company.version += 1;
  company.updated_at = updated_at;
  return true;
}

bool CompanyStore::Delete(db::Session& session, std::string_view id,
                          std::optional<int64_t> expected_version) const {
  LockCustomers(session, id);
  return db::DeleteById(session, "companies", id, expected_version);
}

std::string CompanyStore::FindOrCreateByName(db::Session& session, std::string_view name) const {
  // A plain INSERT that hits the unique index would abort a PostgreSQL transaction;
  // ON CONFLICT DO NOTHING (both engines) leaves it usable, and the SELECT then sees either
  // our row or the one a concurrent writer committed first.
  const std::string now = core::FormatTimestamp(core::Now());
  db::Query insert(
      "INSERT INTO companies (id, name, version, created_at, updated_at) VALUES (");
  insert.Param(core::NewId()).Sql(", ").Param(name).Sql(", 1, ").Param(now).Sql(", ");
  insert.Param(now).Sql(") ON CONFLICT DO NOTHING");
  session.Exec(insert);
  std::string id;
  session.First(db::Query("SELECT id FROM companies WHERE lower(name) = lower(").Param(name).Sql(")"),
                [&](const db::Row& row) { id = row.Text("id"); });
  if (id.empty()) throw std::logic_error("company neither inserted nor found");
  return id;
}

core::Page CompanyStore::List(db::Session& session, const CompanyFilter& filter,
                              const core::PageRequest& page) const {
  core::Page result;
  const db::PageInfo info = db::ReadPage(
      session, engine_, kColumns,
      [&](db::Query& query) {
        query.Sql(" FROM companies");
        AppendFilter(query, filter);
      },
      kSortColumns, page, [&](const db::Row& row) { result.data.push_back(FromRow(row).ToJson()); });
  result.next_cursor = info.next_cursor;
  result.total = info.total;
  return result;
}

}  // namespace rapport::companies
