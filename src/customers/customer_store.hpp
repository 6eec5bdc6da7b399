#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/page.hpp"
#include "core/result.hpp"
#include "customers/customer.hpp"
#include "db/database.hpp"

namespace rapport::customers {

// What a list reads of each customer. kExported: the writable fields and the owner (id to
// owner_id), without the company's name (no join per row: callers name companies themselves,
// CustomerService::SetCompanyNames) and without the derived counters, version and timestamps.
// kDocument (ListJson): the id and the stored document, NULL where it must be built from kAll.
enum class CustomerColumns { kAll, kExported, kDocument };

// A customer as the API's JSON text, with what authorization and the ETag need.
struct CustomerJson {
  std::string text;
  std::string id;
  std::optional<std::string> owner_id;
  int64_t version = 0;
};

// SQL for customers, their tag index and their status history. Every function runs on the
// session it is given (inside the caller's transaction for writes). No authorization here:
// the service decides, and passes `visible_to` when the list must be narrowed.
class CustomerStore {
 public:
  // Rows of one multi-row INSERT: far fewer statements for bulk writes, and well under both
  // engines' limits on placeholders (15 a row).
  static constexpr std::size_t kRowsPerStatement = 64;

  explicit CustomerStore(db::Engine engine) : engine_(engine) {}

  // The customer with its company's name: one indexed query. With `lock`, the row stays
  // locked against other writers until the transaction of `session` ends (PostgreSQL:
  // FOR NO KEY UPDATE; SQLite runs one write transaction at a time anyway).
  std::optional<Customer> FindById(db::Session& session, std::string_view id,
                                   bool lock = false) const;
  // The same customer as its JSON text (GET /customers/{id}): the stored document, or when
  // there is none, written straight from the row.
  std::optional<CustomerJson> FindJsonById(db::Session& session, std::string_view id) const;

  // The customer whose email equals `email` case-insensitively (as the unique index compares).
  std::optional<Customer> FindByEmail(db::Session& session, std::string_view email) const;

  // Of `emails`, those a customer already has, as the unique index compares them: the
  // positions in `emails`, ascending. One query per kRowsPerStatement emails.
  std::vector<std::size_t> TakenEmails(db::Session& session,
                                       const std::vector<std::string>& emails) const;

  // Inserts the rows and one customer_tags row per tag, kRowsPerStatement rows a statement.
  // Conflict naming `email` on a duplicate email (case-insensitive); Invalid naming
  // `owner_id` when an owner is not a user. On an error some rows may have been written.
  core::Status Insert(db::Session& session, std::span<const Customer> customers) const;

  // Writes the writable columns of `customer` if its row still has `customer.version`
  // (bumping version, setting updated_at), and the tag index when `tags_changed`.
  // Returns false, changing nothing, when the row is gone or at another version.
  // Errors as Insert.
  core::Result<bool> Update(db::Session& session, Customer& customer, bool tags_changed) const;

  // Deletes the customer and, by cascade, everything linked to it; with `expected_version`
  // only at that version. Returns whether a row was deleted.
  bool Delete(db::Session& session, std::string_view id,
              std::optional<int64_t> expected_version) const;

  // Writes the derived last_interaction_at of `c` (the row as this transaction read it, with
  // the new value) and its document; version and updated_at stay as they are.
  void SetLastInteractionAt(db::Session& session, const Customer& c) const;

  void RecordStatusChanges(db::Session& session, std::span<const StatusChange> changes) const;
  // Oldest first.
  std::vector<StatusChange> StatusHistory(db::Session& session, std::string_view id) const;

  // Writes the order-derived columns of `c` (the row as this transaction read it, with the new
  // totals) and its document, bumping version and updated_at.
  void SetPurchaseStats(db::Session& session, Customer c) const;

  // Writes the document of up to `limit` customers that have none, in id order after
  // `after_id` (none when empty), from their rows as this transaction reads them (locked on
  // PostgreSQL; rows another writer holds are left for the next run). Returns the last id
  // read and sets `written` to the number of rows.
  std::string WriteMissingDocuments(db::Session& session, std::string_view after_id, int limit,
                                    int64_t& written) const;

  // Up to `limit` ids of customers matching `filter` (and `visible_to`, as List), in id
  // order, after `after_id` (none when empty).
  std::vector<std::string> MatchingIds(db::Session& session, const CustomerFilter& filter,
                                       const std::optional<std::string>& visible_to,
                                       std::string_view after_id, int limit) const;

  // A page of customers matching `filter`; with `visible_to`, only customers owned by that
  // user or by nobody; with CustomerColumns::kExported, only the columns an export writes.
  CustomerPage List(db::Session& session, const CustomerFilter& filter,
                    const std::optional<std::string>& visible_to, const core::PageRequest& page,
                    CustomerColumns columns = CustomerColumns::kAll) const;
  // The same page (kAll) as the response text of GET /customers: each customer's stored
  // document; one without it is read again by its id and written straight from its row.
  std::string ListJson(db::Session& session, const CustomerFilter& filter,
                       const std::optional<std::string>& visible_to,
                       const core::PageRequest& page) const;

 private:
  db::Query ByIdQuery(std::string_view id, bool lock) const;
  // UPDATE customers SET `set` (the derived columns of `c`, appended by `set`) for the row of
  // `c`: with the document of `c` when the row is still at `c`'s version, else the values
  // alone (and the trigger clears the document).
  void UpdateDerived(db::Session& session, const Customer& c,
                     const std::function<void(db::Query&)>& set) const;
  // Runs the page query, calling `each` for each of the page's rows (columns as selected by
  // `columns`); sets `total` when the page asks for it; returns the next page's cursor.
  std::optional<std::string> ListRows(db::Session& session, const CustomerFilter& filter,
                                      const std::optional<std::string>& visible_to,
                                      const core::PageRequest& page, CustomerColumns columns,
                                      std::optional<int64_t>& total,
                                      const std::function<void(const db::Row&)>& each) const;

  db::Engine engine_;
};

}  // namespace rapport::customers
