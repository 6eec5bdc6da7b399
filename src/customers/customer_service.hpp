#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "companies/company_service.hpp"
#include "core/page.hpp"
#include "core/principal.hpp"
#include "core/result.hpp"
#include "customers/customer.hpp"
#include "customers/customer_store.hpp"
#include "db/database.hpp"
#include "jobs/job_queue.hpp"

namespace rapport::customers {

// Customers: the rules and who may do what.
//
// Admins and managers see and change every customer. An agent sees customers they own or
// that have no owner; any other customer is NotFound for them (never Forbidden), in reads,
// writes and lists alike. Only admins and managers delete. A portal principal sees only its
// own customer.
//
// Errors: NotFound (missing, hidden, or a malformed id), Invalid naming the field (unknown
// company_id or owner_id), Conflict naming `email` (duplicate, case-insensitive),
// PreconditionFailed (a stale `expected_version`, i.e. If-Match), Forbidden (agents deleting
// or giving a customer to someone else; non-staff writing). Thread-safe.
class CustomerService {
 public:
  // `companies` must outlive this service.
  CustomerService(db::Database& database, companies::CompanyService& companies);

  // `columns` as CustomerStore::List.
  core::Result<CustomerPage> List(const core::Principal& who, const CustomerFilter& filter,
                                  const core::PageRequest& page,
                                  CustomerColumns columns = CustomerColumns::kAll);
  // The same page as the response text of GET /customers (CustomerStore::ListJson).
  core::Result<std::string> ListJson(const core::Principal& who, const CustomerFilter& filter,
                                     const core::PageRequest& page);
  // Sets `company` on `customers` from `names` (company id → name), first adding the names
  // `names` lacks (a query per 64 companies). The caller bounds `names`.
  void SetCompanyNames(std::vector<Customer>& customers,
                       std::unordered_map<std::string, std::string>& names);
  // The customers of one company as ListJson (NotFound when the company does not exist).
  core::Result<std::string> ListForCompany(const core::Principal& who,
                                           std::string_view company_id, CustomerFilter filter,
                                           const core::PageRequest& page);

  // Creates the customer, finding or creating its company by name, and records its initial
  // status, all in one transaction.
  core::Result<Customer> Create(const core::Principal& who, const CustomerInput& input);
  // The same inside the caller's write transaction `tx` (bulk writes: imports, batches).
  // On an error the caller must undo what the call wrote (db::Session::Savepoint).
  core::Result<Customer> Create(db::Session& tx, const core::Principal& who,
                                const CustomerInput& input);

  // Companies a bulk write has already resolved: the id and stored name a company name found
  // or created, and the stored name of an id. Kept by the caller across its transactions:
  // Keep() after each commit, Drop() after a rollback (which forgets what the rolled-back
  // transaction added). Holds at most kMaxNames companies, then starts over.
  class CompanyLinks {
   public:
    static constexpr std::size_t kMaxNames = 100000;
    void Keep();
    void Drop();

   private:
    friend class CustomerService;
    struct Company {
      std::string id;
      std::string name;
    };
    const Company* FindByName(const std::string& name) const;
    const std::string* FindNameOf(const std::string& id) const;
    void Add(const CustomerInput& input, const std::string& id, const std::string& name);

    std::unordered_map<std::string, Company> by_name_;  // as the input spelled it
    std::unordered_map<std::string, std::string> name_by_id_;
    std::vector<std::string> added_names_;  // since the last Keep()
    std::vector<std::string> added_ids_;
  };
  // Creates every customer of `inputs` inside `tx` as Create(tx, ...) would one by one, with
  // multi-row statements and each company looked up once (through `links`, which the caller
  // may keep across calls under the rule above). All or nothing: on an error the caller must
  // roll `tx` back.
  core::Result<std::vector<Customer>> CreateMany(db::Session& tx, const core::Principal& who,
                                                 std::span<const CustomerInput* const> inputs,
                                                 CompanyLinks* links = nullptr);
  // Of `emails`, the positions of those some customer already has (case-insensitive, as the
  // unique index compares), ascending; whether or not `who` may see those customers.
  std::vector<std::size_t> TakenEmails(db::Session& session, const std::vector<std::string>& emails);

  // The customer whose email is `email` (case-insensitive) if `who` may see it.
  std::optional<Customer> FindByEmail(db::Session& session, const core::Principal& who,
                                      std::string_view email);

  // The customer if `who` may see it, else NotFound.
  core::Result<Customer> Get(const core::Principal& who, std::string_view id);
  // The same customer as the API's JSON text, written straight from the row (the GET route).
  core::Result<CustomerJson> GetJson(const core::Principal& who, std::string_view id);
  // The same inside another capability's transaction or read `session`.
  core::Result<Customer> Get(db::Session& session, const core::Principal& who,
                             std::string_view id);

  // For other capabilities' writes that derive something from the customer's records: the
  // customer if `who` may see it (else NotFound), its row locked until `tx` ends, so that
  // values computed next inside `tx` see every committed change of concurrent writers.
  core::Result<Customer> GetForUpdate(db::Session& tx, const core::Principal& who,
                                      std::string_view id);

  // Sets the derived last_interaction_at (maintained by the interactions capability) of
  // `customer`, as GetForUpdate read it in `tx`. Not an edit of the customer: version, ETag and
  // updated_at stay as they are.
  void SetLastInteractionAt(db::Session& tx, Customer customer,
                            const std::optional<std::string>& at);

  // Applies `changes` (a PATCH); records a status change. A PATCH that changes nothing
  // writes nothing and keeps the version.
  core::Result<Customer> Update(const core::Principal& who, std::string_view id,
                                const CustomerInput& changes,
                                std::optional<int64_t> expected_version);
  // The same inside the caller's write transaction `tx`, as Create(tx, ...).
  core::Result<Customer> Update(db::Session& tx, const core::Principal& who, std::string_view id,
                                const CustomerInput& changes,
                                std::optional<int64_t> expected_version);

  // Erases the customer and everything linked to it (admins and managers).
  core::Status Delete(const core::Principal& who, std::string_view id,
                      std::optional<int64_t> expected_version);

  // The recorded status changes of a visible customer, oldest first.
  core::Result<std::vector<StatusChange>> StatusHistory(const core::Principal& who,
                                                        std::string_view id);

  // Whether `who` may see `customer` (the rule above).
  static bool CanSee(const core::Principal& who, const Customer& customer);
  static bool CanSee(const core::Principal& who, std::string_view id,
                     const std::optional<std::string>& owner_id);

  // The same rule in SQL, for other capabilities' lists of records that hang off a customer:
  // appends ` AND <customer_id_column> ...` keeping only rows of customers `who` may see
  // (nothing for admins and managers; no row for anonymous principals).
  static void AppendVisibleFilter(db::Query& query, const core::Principal& who,
                                  std::string_view customer_id_column);

  // Writes the stored document (CustomerStore) of every customer that has none, a batch per
  // transaction, until none is left or `stop()` says so. Returns how many it wrote. The job
  // kDocumentsJob runs it every minute (after a migration, a company rename, a deleted company).
  int64_t WriteMissingDocuments(const std::function<bool()>& stop = [] { return false; });
  static constexpr std::string_view kDocumentsJob = "customers.documents";
  void RegisterJobs(jobs::JobQueue& queue);

  // Stores what the orders of `customer` (as GetForUpdate read it in `tx`) add up to; bumps
  // its version and updated_at.
  void SetPurchaseStats(db::Session& tx, Customer customer, const PurchaseStats& stats);
  // Up to `limit` ids, in id order after `after_id` ("" for the first batch), of the
  // customers `who` may see that match `filter`: an audience walked in batches.
  core::Result<std::vector<std::string>> MatchingIds(db::Session& session,
                                                     const core::Principal& who,
                                                     const CustomerFilter& filter,
                                                     std::string_view after_id, int limit);

 private:
  // The customer if `who` may see it, else NotFound; with `lock`, its row held until the
  // transaction of `session` ends.
  core::Result<Customer> Find(db::Session& session, const core::Principal& who,
                              std::string_view id, bool lock);
  // Points `customer` at the company the input names (by name: found or created; by id:
  // must exist), through `links` when given. Returns whether company_id changed.
  core::Result<bool> LinkCompany(db::Session& tx, const CustomerInput& input,
                                 Customer& customer, CompanyLinks* links);

  db::Database& database_;
  companies::CompanyService& companies_;
  CustomerStore store_;
};

}  // namespace rapport::customers
