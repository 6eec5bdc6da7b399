#include "companies/company.hpp"

#include "core/text.hpp"

namespace rapport::companies {

nlohmann::json Company::ToJson() const {
  auto optional = [](const std::optional<std::string>& v) {
    return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
  };
  return {{"id", id},
          {"name", name},
          {"domain", optional(domain)},
          {"phone", optional(phone)},
          {"address", optional(address)},
          {"created_at", created_at},
          {"updated_at", updated_at}};
}

namespace {

core::Result<CompanyInput> ParseCompany(const nlohmann::json& body, bool create) {
  core::JsonReader in(body);
  CompanyInput input;
  input.name = in.Text("name", {.min = 1, .max = kMaxCompanyNameLength});
  input.domain = in.Text("domain", {.min = 0, .max = 253});
  input.phone = in.Text("phone", {.min = 0, .max = 50});
  input.address = in.Text("address", {.min = 0, .max = 1000});
  in.ReadOnly({"id", "created_at", "updated_at"});
  if (create) {
    in.Require("name", input.name);
  } else {
    in.NotNull("name", input.name);
  }
  if (input.domain.value) {
    // Domains compare case-insensitively; keep one spelling.
    *input.domain.value = core::ToLowerAscii(*input.domain.value);
    if (input.domain.value->find_first_of(" \t/@") != std::string::npos) {
      in.Fail("domain", "must be a domain name like example.com");
    }
  }
  if (auto error = in.Finish()) return *error;
  return input;
}

// "" clears an optional text field like null does.
std::optional<std::string> Cleared(const core::Field<std::string>& field) {
  if (!field.value || field.value->empty()) return std::nullopt;
  return *field.value;
}

bool Assign(const core::Field<std::string>& field, std::optional<std::string>& target) {
  if (!field.present) return false;
  std::optional<std::string> value = Cleared(field);
  if (value == target) return false;
  target = std::move(value);
  return true;
}

}  // namespace

core::Result<CompanyInput> ParseNewCompany(const nlohmann::json& body) {
  return ParseCompany(body, /*create=*/true);
}

core::Result<CompanyInput> ParseCompanyChanges(const nlohmann::json& body) {
  return ParseCompany(body, /*create=*/false);
}

bool ApplyCompanyInput(const CompanyInput& input, Company& company) {
  bool changed = false;
  if (input.name.value && *input.name.value != company.name) {
    company.name = *input.name.value;
    changed = true;
  }
  changed = Assign(input.domain, company.domain) || changed;
  changed = Assign(input.phone, company.phone) || changed;
  changed = Assign(input.address, company.address) || changed;
  return changed;
}

}  // namespace rapport::companies
