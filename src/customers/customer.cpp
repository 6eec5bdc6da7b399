#include "customers/customer.hpp"

#include <algorithm>
#include <unordered_set>

#include <fmt/format.h>

#include "core/ids.hpp"
#include "core/money.hpp"
#include "core/time.hpp"

namespace rapport::customers {

bool IsValidStatus(std::string_view status) {
  return std::find(kStatuses.begin(), kStatuses.end(), status) != kStatuses.end();
}

namespace {

nlohmann::json OrNull(const std::optional<std::string>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

template <class Self>
nlohmann::json CustomerJson(Self&& c) {
  nlohmann::json out = nlohmann::json::object();
  out["id"] = c.id;
  out["name"] = c.name;
  out["first_name"] = OrNull(c.first_name);
  out["last_name"] = OrNull(c.last_name);
  out["email"] = OrNull(c.email);
  out["phone"] = OrNull(c.phone);
  out["company_id"] = OrNull(c.company_id);
  out["company"] = OrNull(c.company);
  out["status"] = c.status;
  out["notes"] = OrNull(c.notes);
  out["tags"] = c.tags;
  out["attributes"] = std::forward<Self>(c).attributes;
  out["owner_id"] = OrNull(c.owner_id);
  out["total_spend"] = core::MoneyToJson(c.total_spend);
  out["num_visits"] = c.num_visits;
  out["last_visit_at"] = OrNull(c.last_visit_at);
  out["last_interaction_at"] = OrNull(c.last_interaction_at);
  out["created_at"] = c.created_at;
  out["updated_at"] = c.updated_at;
  return out;
}

// Text fields other than name: "" reads as null.
core::Field<std::string> OptionalText(core::JsonReader& in, std::string_view key,
                                      std::size_t max) {
  auto field = in.Text(key, {.min = 0, .max = max});
  if (field.value && field.value->empty()) {
    field.value.reset();
    field.null = true;
  }
  return field;
}

core::Result<CustomerInput> ParseCustomer(const nlohmann::json& body, bool create) {
  core::JsonReader in(body);
  CustomerInput input;
  input.name = in.Text("name", {.min = 1, .max = 200});
  input.first_name = OptionalText(in, "first_name", 100);
  input.last_name = OptionalText(in, "last_name", 100);
  input.email = in.Email("email");
  input.phone = OptionalText(in, "phone", 50);
  input.company = in.Text("company", {.min = 1, .max = 200});
  input.company_id = in.Id("company_id");
  input.status = in.Enum("status", {"lead", "prospect", "customer", "churned"});
  input.notes = OptionalText(in, "notes", 10000);
  input.tags = in.TextList("tags", kMaxTags, {.min = 1, .max = kMaxTagLength});
  input.attributes = in.Object("attributes");
  input.owner_id = in.Id("owner_id");
  in.ReadOnly({"id", "created_at", "updated_at", "total_spend", "num_visits", "last_visit_at",
               "last_interaction_at"});

  if (input.tags.value) input.tags.value = NormaliseTags(std::move(*input.tags.value));
  if (input.attributes.value &&
      input.attributes.value->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
              .size() > kMaxAttributesBytes) {
    in.Fail("attributes", fmt::format("must be at most {} bytes as JSON", kMaxAttributesBytes));
    input.attributes.value.reset();
  }
  if (input.company.present && input.company_id.present) {
    in.Fail("company", "give either company (a name) or company_id, not both");
  }
  in.NotNull("status", input.status);
  if (create) {
    // Without a name, first_name or last_name supplies one (a bad one has its own error).
    auto given = [](const auto& field) { return field.present && !field.null; };
    if (!given(input.name) && !given(input.first_name) && !given(input.last_name)) {
      in.Fail("name", "is required (or give first_name or last_name)");
    }
  } else {
    in.NotNull("name", input.name);
  }
  if (auto error = in.Finish()) return *error;
  return input;
}

bool Assign(const core::Field<std::string>& field, std::optional<std::string>& target) {
  if (!field.present) return false;
  std::optional<std::string> value = field.value;  // null or "" → nullopt
  if (value == target) return false;
  target = std::move(value);
  return true;
}

}  // namespace

nlohmann::json Customer::ToJson() const& { return CustomerJson(*this); }
nlohmann::json Customer::ToJson() && { return CustomerJson(std::move(*this)); }

core::Result<CustomerInput> ParseNewCustomer(const nlohmann::json& body) {
  return ParseCustomer(body, /*create=*/true);
}

core::Result<CustomerInput> ParseCustomerChanges(const nlohmann::json& body) {
  return ParseCustomer(body, /*create=*/false);
}

std::string DeriveName(const std::optional<std::string>& first_name,
                       const std::optional<std::string>& last_name) {
  if (first_name && last_name) return *first_name + " " + *last_name;
  if (first_name) return *first_name;
  if (last_name) return *last_name;
  return {};
}

std::vector<std::string> NormaliseTags(std::vector<std::string> tags) {
  std::unordered_set<std::string_view> seen;
  std::vector<std::string> out;
  out.reserve(tags.size());
  for (std::string& tag : tags) {
    if (seen.contains(tag)) continue;
    out.push_back(std::move(tag));
    seen.insert(out.back());  // views into `out`, stable: reserved up front
  }
  return out;
}

bool ApplyCustomerInput(const CustomerInput& input, Customer& customer) {
  bool changed = false;
  const bool name_was_derived =
      customer.name == DeriveName(customer.first_name, customer.last_name);
  const bool names_changed = Assign(input.first_name, customer.first_name) |
                             Assign(input.last_name, customer.last_name);
  changed = names_changed;
  if (input.name.value) {
    if (*input.name.value != customer.name) {
      customer.name = *input.name.value;
      changed = true;
    }
  } else if (names_changed && name_was_derived) {
    if (std::string derived = DeriveName(customer.first_name, customer.last_name);
        !derived.empty() && derived != customer.name) {
      customer.name = std::move(derived);
    }
  }
  changed = Assign(input.email, customer.email) || changed;
  changed = Assign(input.phone, customer.phone) || changed;
  changed = Assign(input.notes, customer.notes) || changed;
  if (input.status.value && *input.status.value != customer.status) {
    customer.status = *input.status.value;
    changed = true;
  }
  if (input.tags.present) {
    std::vector<std::string> tags = input.tags.value.value_or(std::vector<std::string>{});
    if (tags != customer.tags) {
      customer.tags = std::move(tags);
      changed = true;
    }
  }
  if (input.attributes.present) {
    nlohmann::json attributes = input.attributes.value.value_or(nlohmann::json::object());
    if (attributes != customer.attributes) {
      customer.attributes = std::move(attributes);
      changed = true;
    }
  }
  return changed;
}

core::Result<std::optional<std::string>> OwnerOnCreate(const core::Principal& who,
                                                       const core::Field<std::string>& owner_id) {
  if (!owner_id.present) {
    if (who.is_agent()) return std::optional<std::string>(who.id);
    return std::optional<std::string>();
  }
  if (auto allowed = CheckOwnerChange(who, owner_id); !allowed) return allowed.error();
  return owner_id.value;
}

core::Status CheckOwnerChange(const core::Principal& who, const core::Field<std::string>& owner_id) {
  if (who.is_agent() && owner_id.value && *owner_id.value != who.id) {
    return core::Error::Forbidden("an agent may only assign a customer to themselves or to nobody");
  }
  return core::Ok{};
}

core::Result<CustomerFilter> ParseCustomerFilter(const ParamLookup& param) {
  CustomerFilter filter;
  auto text = [&](std::string_view name) -> std::optional<std::string> {
    auto value = param(name);
    if (!value || value->empty()) return std::nullopt;
    return std::string(*value);
  };
  if (auto status = text("status")) {
    if (!IsValidStatus(*status)) {
      return core::Error::BadRequest("status", "must be one of: lead, prospect, customer, churned");
    }
    filter.status = std::move(status);
  }
  for (auto [name, target] : {std::pair{"owner_id", &filter.owner_id},
                              std::pair{"company_id", &filter.company_id}}) {
    if (auto id = text(name)) {
      if (!core::IsUuid(*id)) return core::Error::BadRequest(name, "must be a UUID");
      *target = std::move(id);
    }
  }
  for (auto [name, target] : {std::pair{"created_after", &filter.created_after},
                              std::pair{"created_before", &filter.created_before}}) {
    if (auto value = text(name)) {
      auto parsed = core::ParseDateOrTimestamp(*value);
      if (!parsed) {
        return core::Error::BadRequest(name, "must be an RFC 3339 timestamp or a date (YYYY-MM-DD)");
      }
      *target = core::FormatTimestamp(*parsed);
    }
  }
  filter.tag = text("tag");
  filter.q = text("q");
  return filter;
}

nlohmann::json StatusChange::ToJson() const {
  return {{"from_status", OrNull(from_status)},
          {"to_status", to_status},
          {"changed_by", OrNull(changed_by)},
          {"changed_at", changed_at}};
}

}  // namespace rapport::customers
