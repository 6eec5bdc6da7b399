#include "transfer/customer_csv.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include <fmt/format.h>

#include "core/text.hpp"

namespace rapport::transfer {

namespace {

// Normalised header names and the field each stands for.
constexpr std::array<std::pair<std::string_view, std::string_view>, 46> kAliases = {{
    {"name", "name"},
    {"full_name", "name"},
    {"contact_name", "name"},
    {"customer_name", "name"},
    {"first_name", "first_name"},
    {"firstname", "first_name"},
    {"first", "first_name"},
    {"given_name", "first_name"},
    {"last_name", "last_name"},
    {"lastname", "last_name"},
    {"last", "last_name"},
    {"surname", "last_name"},
    {"family_name", "last_name"},
    {"email", "email"},
    {"e_mail", "email"},
    {"email_address", "email"},
    {"e_mail_address", "email"},
    {"mail", "email"},
    {"phone", "phone"},
    {"phone_number", "phone"},
    {"telephone", "phone"},
    {"tel", "phone"},
    {"mobile", "phone"},
    {"mobile_phone", "phone"},
    {"company", "company"},
    {"company_name", "company"},
    {"organization", "company"},
    {"organisation", "company"},
    {"account", "company"},
    {"account_name", "company"},
    {"company_id", "company_id"},
    {"status", "status"},
    {"lifecycle_stage", "status"},
    {"stage", "status"},
    {"notes", "notes"},
    {"note", "notes"},
    {"comments", "notes"},
    {"tags", "tags"},
    {"tag", "tags"},
    {"labels", "tags"},
    {"attributes", "attributes"},
    {"custom_fields", "attributes"},
    {"owner_id", "owner_id"},
    {"owner_email", "owner_email"},
    {"owner", "owner_email"},
    {"contact_owner", "owner_email"},
}};

constexpr std::array<std::string_view, 8> kReadOnly = {
    "id", "created_at", "updated_at", "total_spend", "num_visits", "last_visit_at",
    "last_interaction_at", "version"};

std::optional<std::string_view> FieldOf(std::string_view normalised) {
  for (const auto& [alias, field] : kAliases) {
    if (alias == normalised) return field;
  }
  return std::nullopt;
}

std::string Quoted(std::string_view header) {
  return nlohmann::json(std::string(header))
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

const std::vector<Column>& CustomerExportColumns() {
  static const std::vector<Column> columns = {
      {"name", ColumnType::kText},        {"first_name", ColumnType::kText},
      {"last_name", ColumnType::kText},   {"email", ColumnType::kText},
      {"phone", ColumnType::kText},       {"company", ColumnType::kText},
      {"status", ColumnType::kText},      {"owner_email", ColumnType::kText},
      {"tags", ColumnType::kList},        {"notes", ColumnType::kText},
      {"attributes", ColumnType::kObject},
  };
  return columns;
}

std::string NormaliseHeader(std::string_view header) {
  std::string out;
  bool gap = false;
  for (char raw : header) {
    const auto c = static_cast<unsigned char>(raw);
    if (std::isalnum(c) || c >= 0x80) {
      if (gap && !out.empty()) out += '_';
      gap = false;
      out += static_cast<char>(std::tolower(c));
    } else {
      gap = true;
    }
  }
  return out;
}

core::Result<std::vector<CsvColumn>> MapCustomerHeader(const CsvRecord& header) {
  if (header.truncated || header.cells.size() > kMaxImportColumns) {
    return core::Error::Malformed(
        fmt::format("the CSV header has more than {} columns", kMaxImportColumns));
  }
  std::vector<CsvColumn> columns;
  std::vector<std::pair<std::string, std::string>> taken;  // target → header
  bool any_named = false;
  for (std::size_t i = 0; i < header.cells.size(); ++i) {
    const std::string_view cell = header.cells[i];
    const bool oversized =
        std::find(header.oversized.begin(), header.oversized.end(), i) != header.oversized.end();
    if (oversized || !core::IsValidUtf8(cell) || cell.find('\0') != std::string_view::npos) {
      return core::Error::Malformed(
          fmt::format("the CSV header's column {} is not a readable name", i + 1));
    }
    CsvColumn column;
    column.header = core::Trim(cell);
    const std::string normalised = NormaliseHeader(column.header);
    if (normalised.empty()) {
      column.kind = CsvColumn::Kind::kUnnamed;
      columns.push_back(std::move(column));
      continue;
    }
    any_named = true;
    if (std::find(kReadOnly.begin(), kReadOnly.end(), normalised) != kReadOnly.end()) {
      return core::Error::Malformed(fmt::format(
          "the CSV column {} is the read-only field {}: remove the column", Quoted(column.header),
          normalised));
    }
    if (auto field = FieldOf(normalised)) {
      column.kind = CsvColumn::Kind::kField;
      column.name = std::string(*field);
    } else {
      column.kind = CsvColumn::Kind::kAttribute;
      column.name = normalised;
    }
    const std::string target = (column.kind == CsvColumn::Kind::kField ? "f:" : "a:") + column.name;
    for (const auto& [other_target, other_header] : taken) {
      if (other_target == target) {
        return core::Error::Malformed(fmt::format(
            "the CSV columns {} and {} both fill {}{}", Quoted(other_header),
            Quoted(column.header), column.kind == CsvColumn::Kind::kField ? "" : "attributes.",
            column.name));
      }
    }
    taken.emplace_back(target, column.header);
    columns.push_back(std::move(column));
  }
  if (!any_named) return core::Error::Malformed("the CSV has no header row");
  return columns;
}

std::optional<nlohmann::json> CustomerFromCsv(const std::vector<CsvColumn>& columns,
                                              const CsvRecord& record,
                                              std::vector<RecordProblem>& problems) {
  const std::size_t before = problems.size();
  if (record.truncated) {
    problems.push_back({std::nullopt, "has more cells or bytes than an import reads"});
    return std::nullopt;
  }
  const bool blank = std::all_of(record.cells.begin(), record.cells.end(),
                                 [](std::string_view cell) { return cell.empty(); }) &&
                     record.oversized.empty();
  if (blank) return nlohmann::json::object();
  if (record.cells.size() != columns.size()) {
    problems.push_back({std::nullopt, fmt::format("has {} cells; the header has {}",
                                                  record.cells.size(), columns.size())});
    return std::nullopt;
  }
  nlohmann::json object = nlohmann::json::object();
  nlohmann::json attributes = nlohmann::json::object();
  bool has_attributes = false;
  nlohmann::json column_attributes = nlohmann::json::object();
  for (std::size_t i = 0; i < columns.size(); ++i) {
    const CsvColumn& column = columns[i];
    const std::string field_name =
        column.header.empty() ? fmt::format("column {}", i + 1) : column.header;
    if (std::find(record.oversized.begin(), record.oversized.end(), i) != record.oversized.end()) {
      problems.push_back({field_name, "is longer than an import reads (1 MiB)"});
      continue;
    }
    const std::string_view cell = record.cells[i];
    if (cell.empty()) continue;
    if (!core::IsValidUtf8(cell)) {
      problems.push_back({field_name, "is not valid UTF-8"});
      continue;
    }
    if (cell.find('\0') != std::string_view::npos) {
      problems.push_back({field_name, "must not contain NUL characters"});
      continue;
    }
    const std::string_view value = CsvUnescapeFormula(cell);
    switch (column.kind) {
      case CsvColumn::Kind::kUnnamed:
        problems.push_back({field_name, "has a value, but the column has no header"});
        break;
      case CsvColumn::Kind::kAttribute:
        column_attributes[column.name] = std::string(value);
        break;
      case CsvColumn::Kind::kField:
        if (column.name == "tags") {
          object["tags"] = CsvSplitList(value);
        } else if (column.name == "attributes") {
          auto parsed = nlohmann::json::parse(value, nullptr, /*allow_exceptions=*/false);
          if (!parsed.is_object()) {
            problems.push_back({field_name, "must be a JSON object"});
          } else {
            attributes = std::move(parsed);
            has_attributes = true;
          }
        } else if (column.name == "status") {
          object["status"] = core::ToLowerAscii(core::Trim(value));
        } else {
          object[column.name] = std::string(value);
        }
        break;
    }
  }
  if (problems.size() > before) return std::nullopt;
  if (!column_attributes.empty()) {
    attributes.update(column_attributes);
    has_attributes = true;
  }
  if (has_attributes) object["attributes"] = std::move(attributes);
  return object;
}

}  // namespace rapport::transfer
