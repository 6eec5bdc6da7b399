#include "customers/customer.hpp"

#include <algorithm>
#include <iterator>
#include <unordered_set>

#include <fmt/format.h>

#include "core/ids.hpp"
#include "core/json_text.hpp"
#include "core/money.hpp"
#include "core/time.hpp"

namespace rapport::customers {

bool IsValidStatus(std::string_view status) {
  return std::find(kStatuses.begin(), kStatuses.end(), status) != kStatuses.end();
}

namespace {

core::Result<CustomerInput> ParseCustomer(const nlohmann::json& body, bool create) {
  core::JsonReader in(body);
  CustomerInput input;
  input.name = in.Text("name", {.min = 1, .max = 200});
  input.first_name = in.TextOrNull("first_name", 100);
  input.last_name = in.TextOrNull("last_name", 100);
  input.email = in.Email("email");
  input.phone = in.TextOrNull("phone", 50);
  input.company = in.Text("company", {.min = 1, .max = 200});
  input.company_id = in.Id("company_id");
  input.status = in.Enum("status", {"lead", "prospect", "customer", "churned"});
  input.notes = in.TextOrNull("notes", 10000);
  input.tags = in.TextList("tags", kMaxTags, {.min = 1, .max = kMaxTagLength});
  auto attributes = in.Object("attributes");
  input.owner_id = in.Id("owner_id");
  in.ReadOnly({"id", "created_at", "updated_at", "total_spend", "num_visits", "last_visit_at",
               "last_interaction_at"});

  if (input.tags.value) input.tags.value = NormaliseTags(std::move(*input.tags.value));
  input.attributes.present = attributes.present;
  input.attributes.null = attributes.null;
  if (attributes.value) {
    std::string text =
        attributes.value->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (text.size() > kMaxAttributesBytes) {
      in.Fail("attributes", fmt::format("must be at most {} bytes as JSON", kMaxAttributesBytes));
    } else {
      input.attributes.value = std::move(text);
    }
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

}  // namespace

void CustomerView::AppendJson(std::string& out) const {
  // Each key with its punctuation is one literal, appended at once.
  auto text = [&out](std::string_view key, std::string_view value) {
    out += key;
    core::AppendJsonString(out, value);
  };
  auto optional = [&out](std::string_view key, const std::optional<std::string_view>& value) {
    out += key;
    if (value) {
      core::AppendJsonString(out, *value);
    } else {
      out += "null";
    }
  };
  text("{\"id\":", id);
  text(",\"name\":", name);
  optional(",\"first_name\":", first_name);
  optional(",\"last_name\":", last_name);
  optional(",\"email\":", email);
  optional(",\"phone\":", phone);
  optional(",\"company_id\":", company_id);
  optional(",\"company\":", company);
  text(",\"status\":", status);
  optional(",\"notes\":", notes);
  out += ",\"tags\":";
  out += tags_json;
  out += ",\"attributes\":";
  out += attributes;
  optional(",\"owner_id\":", owner_id);
  out += ",\"total_spend\":";
  if (total_spend == 0) {
    out += '0';
  } else {
    out += core::MoneyToJson(total_spend).dump();
  }
  out += ",\"num_visits\":";
  fmt::format_to(std::back_inserter(out), "{}", num_visits);
  optional(",\"last_visit_at\":", last_visit_at);
  optional(",\"last_interaction_at\":", last_interaction_at);
  text(",\"created_at\":", created_at);
  text(",\"updated_at\":", updated_at);
  out += '}';
}

void Customer::AppendJson(std::string& out) const {
  const std::string tags_json = TagsToJson(tags);
  const CustomerView view{id,
                          name,
                          first_name,
                          last_name,
                          email,
                          phone,
                          company_id,
                          company,
                          status,
                          notes,
                          tags_json,
                          attributes,  // serialised by nlohmann when written: valid JSON text
                          owner_id,
                          total_spend,
                          num_visits,
                          last_visit_at,
                          last_interaction_at,
                          created_at,
                          updated_at};
  view.AppendJson(out);
}

void AppendPageEnd(std::string& out, const std::optional<std::string>& next_cursor,
                   std::optional<int64_t> total) {
  out += "],\"next_cursor\":";
  core::AppendJsonStringOrNull(out, next_cursor);
  if (total) fmt::format_to(std::back_inserter(out), ",\"total\":{}", *total);
  out += '}';
}

nlohmann::json Customer::ToJson() const {
  std::string text;
  AppendJson(text);
  return nlohmann::json::parse(text);
}

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

std::vector<std::string> TagsFromJson(std::string_view text) {
  std::vector<std::string> tags;
  if (text.size() < 2 || text.front() != '[' || text.back() != ']') return tags;
  if (text.find('\\') == std::string_view::npos) {
    // Without escapes every quote delimits a tag: skip the JSON parser (the common case).
    std::size_t at = 1;
    for (;;) {
      const std::size_t open = text.find('"', at);
      if (open == std::string_view::npos) return tags;
      const std::size_t close = text.find('"', open + 1);
      if (close == std::string_view::npos) break;
      tags.emplace_back(text.substr(open + 1, close - open - 1));
      at = close + 1;
    }
    tags.clear();
  }
  auto doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_array()) return tags;
  for (auto& tag : doc) {
    if (tag.is_string()) tags.push_back(std::move(tag.get_ref<std::string&>()));
  }
  return tags;
}

std::string TagsToJson(const std::vector<std::string>& tags) {
  std::string out = "[";
  for (std::size_t i = 0; i < tags.size(); ++i) {
    if (i > 0) out += ',';
    core::AppendJsonString(out, tags[i]);
  }
  out += ']';
  return out;
}

bool ApplyCustomerInput(const CustomerInput& input, Customer& customer) {
  bool changed = false;
  const bool name_was_derived =
      customer.name == DeriveName(customer.first_name, customer.last_name);
  const bool names_changed = input.first_name.AssignTo(customer.first_name) |
                             input.last_name.AssignTo(customer.last_name);
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
  changed = input.email.AssignTo(customer.email) || changed;
  changed = input.phone.AssignTo(customer.phone) || changed;
  changed = input.notes.AssignTo(customer.notes) || changed;
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
    // Both sides are nlohmann dumps (keys sorted), so equal objects are equal texts.
    std::string attributes = input.attributes.value.value_or("{}");
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
  if (auto given = text("filter")) {
    auto document = nlohmann::json::parse(*given, nullptr, /*allow_exceptions=*/false);
    if (document.is_discarded()) {
      core::Error error =
          core::Error::BadRequest("filter", "must be a rule group as JSON (URL-encoded)");
      error.detail = "invalid query parameter 'filter': must be a rule group as JSON (URL-encoded)";
      return error;
    }
    auto rule = rules::ParseRules(document);
    if (!rule) {
      // Each problem of the tree, named by its path inside the filter.
      auto problem = [](const core::FieldError& e) {
        return e.field.empty() ? e.message : fmt::format("{}: {}", e.field, e.message);
      };
      const auto& problems = rule.error().errors;
      core::Error error = core::Error::BadRequest("filter", problem(problems.front()));
      error.detail = fmt::format("invalid query parameter 'filter': {}", problem(problems.front()));
      for (std::size_t i = 1; i < problems.size(); ++i) {
        error.errors.push_back({"filter", problem(problems[i])});
      }
      return error;
    }
    filter.rules.push_back(std::move(*rule));
  }
  return filter;
}

nlohmann::json StatusChange::ToJson() const {
  return {{"from_status", core::JsonOrNull(from_status)},
          {"to_status", to_status},
          {"changed_by", core::JsonOrNull(changed_by)},
          {"changed_at", changed_at}};
}

}  // namespace rapport::customers
