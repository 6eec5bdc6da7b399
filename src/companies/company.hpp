#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/json_reader.hpp"
#include "core/result.hpp"

namespace rapport::companies {

constexpr std::size_t kMaxCompanyNameLength = 200;

// A company customers can belong to. Names are unique case-insensitively.
struct Company {
  std::string id;
  std::string name;
  std::optional<std::string> domain;
  std::optional<std::string> phone;
  std::optional<std::string> address;
  int64_t version = 1;
  std::string created_at;
  std::string updated_at;

  nlohmann::json ToJson() const;
};

// The writable fields of a company, read from a POST or PATCH body. A field that is absent
// stays unchanged on PATCH; `null` clears the optional ones.
struct CompanyInput {
  core::Field<std::string> name;
  core::Field<std::string> domain;
  core::Field<std::string> phone;
  core::Field<std::string> address;
};

// POST /companies: `name` is required. Invalid names every bad, unknown or read-only field.
core::Result<CompanyInput> ParseNewCompany(const nlohmann::json& body);
// PATCH /companies/{id}: every field optional, `name` not null.
core::Result<CompanyInput> ParseCompanyChanges(const nlohmann::json& body);

// Applies `input` to `company`; returns whether anything changed.
bool ApplyCompanyInput(const CompanyInput& input, Company& company);

// GET /companies filters.
struct CompanyFilter {
  std::optional<std::string> q;  // case-insensitive over name and domain
};

// The fields ?sort may name, and the order without ?sort.
inline const std::vector<std::string_view> kCompanySortFields = {"name", "created_at",
                                                                 "updated_at"};
constexpr std::string_view kDefaultCompanySort = "name";

}  // namespace rapport::companies
