#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/json_reader.hpp"
#include "core/principal.hpp"
#include "core/query_reader.hpp"
#include "core/result.hpp"
#include "rules/rule.hpp"

namespace rapport::customers {

// Limits of the free-form parts of a customer.
constexpr std::size_t kMaxTags = 50;
constexpr std::size_t kMaxTagLength = 64;
constexpr std::size_t kMaxAttributesBytes = 64 * 1024;  // serialised JSON

// The pipeline stages, in order. "lead" is the default.
inline constexpr std::array<std::string_view, 4> kStatuses = {"lead", "prospect", "customer",
                                                              "churned"};
constexpr std::string_view kDefaultStatus = "lead";
bool IsValidStatus(std::string_view status);

// A customer as stored and returned. `company` is the name of the company `company_id`
// points to, read with the customer. Money is in minor units.
struct Customer {
  std::string id;
  std::string name;
  std::optional<std::string> first_name;
  std::optional<std::string> last_name;
  std::optional<std::string> email;
  std::optional<std::string> phone;
  std::optional<std::string> company_id;
  std::optional<std::string> company;
  std::string status{kDefaultStatus};
  std::optional<std::string> notes;
  std::vector<std::string> tags;
  // The free-form custom fields: a JSON object kept as its serialised text (as stored and as
  // sent), so reads never parse it. nlohmann::json::parse(attributes) when a value is needed.
  std::string attributes = "{}";
  std::optional<std::string> owner_id;
  int64_t total_spend = 0;
  int64_t num_visits = 0;
  std::optional<std::string> last_visit_at;
  std::optional<std::string> last_interaction_at;
  int64_t version = 1;
  std::string created_at;
  std::string updated_at;

  // The API representation (total_spend in major units) as JSON text appended to `out`:
  // the fast path the routes use.
  void AppendJson(std::string& out) const;
  // The same representation as a document, for callers that embed it in their own.
  nlohmann::json ToJson() const;
};

// A customer's fields as views of text kept elsewhere (a Customer, or a row being read), to
// write the API representation without copying each field first. Tags and attributes are
// their stored JSON text (an array of strings, an object).
struct CustomerView {
  std::string_view id;
  std::string_view name;
  std::optional<std::string_view> first_name;
  std::optional<std::string_view> last_name;
  std::optional<std::string_view> email;
  std::optional<std::string_view> phone;
  std::optional<std::string_view> company_id;
  std::optional<std::string_view> company;
  std::string_view status;
  std::optional<std::string_view> notes;
  std::string_view tags_json;
  std::string_view attributes;
  std::optional<std::string_view> owner_id;
  int64_t total_spend = 0;
  int64_t num_visits = 0;
  std::optional<std::string_view> last_visit_at;
  std::optional<std::string_view> last_interaction_at;
  std::string_view created_at;
  std::string_view updated_at;

  // The API representation, as Customer::AppendJson.
  void AppendJson(std::string& out) const;
};

// Closes a page whose rows were appended after `{"data":[`: the cursor, the total when
// counted, and the braces (the rest of core::Page's shape).
void AppendPageEnd(std::string& out, const std::optional<std::string>& next_cursor,
                   std::optional<int64_t> total);

// A page of customers as records (exports, segment previews); GET /customers writes its page
// as text straight from the rows (CustomerStore::ListJson).
struct CustomerPage {
  std::vector<Customer> data;
  std::optional<std::string> next_cursor;
  std::optional<int64_t> total;
};

// The writable fields of a POST or PATCH body. Absent fields stay unchanged on PATCH; null
// clears optional ones (tags to [], attributes to {}). Text fields are trimmed and "" reads
// as null. Tags are deduplicated in order.
struct CustomerInput {
  core::Field<std::string> name;
  core::Field<std::string> first_name;
  core::Field<std::string> last_name;
  core::Field<std::string> email;
  core::Field<std::string> phone;
  core::Field<std::string> company;     // a company name: found or created
  core::Field<std::string> company_id;  // an existing company
  core::Field<std::string> status;
  core::Field<std::string> notes;
  core::Field<std::vector<std::string>> tags;
  core::Field<std::string> attributes;  // the object serialised as JSON text
  core::Field<std::string> owner_id;
};

// POST /customers. `name` is required unless first_name or last_name is given (the name is
// then "first last"). Invalid names every bad, unknown or read-only field.
core::Result<CustomerInput> ParseNewCustomer(const nlohmann::json& body);
// PATCH /customers/{id}. name and status may not be null.
core::Result<CustomerInput> ParseCustomerChanges(const nlohmann::json& body);

// "first last", or whichever of the two is given; "" when neither.
std::string DeriveName(const std::optional<std::string>& first_name,
                       const std::optional<std::string>& last_name);
// `tags` without repeats, first occurrence kept, order kept.
std::vector<std::string> NormaliseTags(std::vector<std::string> tags);
// The tags of their stored JSON text (an array of strings); [] for anything else.
std::vector<std::string> TagsFromJson(std::string_view text);
// The stored JSON text of `tags`.
std::string TagsToJson(const std::vector<std::string>& tags);

// Applies the plain fields of `input` (everything but company, company_id and owner_id,
// which need the database or the principal) to `customer`. When first_name or last_name
// changes without a new name and the name was derived from them, it is derived again.
// Returns whether anything changed.
bool ApplyCustomerInput(const CustomerInput& input, Customer& customer);

// The owner of a customer `who` creates, given the body's owner_id field: the body's choice
// when present (null: unowned), else the creating agent, else nobody. Forbidden when an agent
// names anyone but themselves.
core::Result<std::optional<std::string>> OwnerOnCreate(const core::Principal& who,
                                                       const core::Field<std::string>& owner_id);
// Whether `who` may set owner_id to the body's value: admins and managers to anyone, agents
// only to themselves or null. Forbidden otherwise.
core::Status CheckOwnerChange(const core::Principal& who, const core::Field<std::string>& owner_id);

// GET /customers filters; every value already validated.
struct CustomerFilter {
  std::optional<std::string> status;
  std::optional<std::string> owner_id;
  std::optional<std::string> company_id;
  std::optional<std::string> tag;
  std::optional<std::string> q;               // name, email, phone, company name
  std::optional<std::string> created_after;   // inclusive, normalised RFC 3339 UTC
  std::optional<std::string> created_before;  // exclusive
  // Rule groups of the rule language (?filter=, a segment's rules), each ANDed with the rest.
  std::vector<rules::Rule> rules;
};

// Reads the filters through `param` (a query-parameter lookup). BadRequest names the first
// bad parameter: an unknown status, a non-UUID owner_id or company_id, a created_* that is
// neither an RFC 3339 timestamp nor a date, a `filter` that is not a valid rule group (the
// message names the rule by its path, e.g. "rules[1].value: must be a number").
using ParamLookup = core::ParamLookup;
core::Result<CustomerFilter> ParseCustomerFilter(const ParamLookup& param);

// What a customer's orders add up to (kept on the customer by the orders capability).
struct PurchaseStats {
  int64_t total_spend = 0;  // minor units
  int64_t num_visits = 0;
  std::optional<std::string> last_visit_at;
};

// The fields ?sort may name, and the order without ?sort.
inline const std::vector<std::string_view> kCustomerSortFields = {
    "created_at", "updated_at", "name", "email", "status", "total_spend", "num_visits",
    "last_interaction_at"};
constexpr std::string_view kDefaultCustomerSort = "-created_at";

// One recorded status change (the first has no from_status).
struct StatusChange {
  std::string id;
  std::string customer_id;
  std::optional<std::string> from_status;
  std::string to_status;
  std::optional<std::string> changed_by;  // users.id
  std::string changed_at;

  nlohmann::json ToJson() const;
};

}  // namespace rapport::customers
