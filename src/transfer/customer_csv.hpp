#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.hpp"
#include "transfer/csv.hpp"
#include "transfer/export.hpp"

namespace rapport::transfer {

// The columns of a customer export, in order. They are exactly what an import reads back:
// the writable fields of a customer, with the company by name and the owner by email, so an
// export re-imports into another database to the same data.
const std::vector<Column>& CustomerExportColumns();

// A header cell of a customer import and what its column fills.
struct CsvColumn {
  enum class Kind {
    kField,      // a customer field (`name` is the field)
    kAttribute,  // an unknown column: attributes[`name`]
    kUnnamed,    // an empty header: its cells must be empty
  };
  Kind kind = Kind::kField;
  std::string name;
  std::string header;  // as written in the file, for error messages
};

// How header names are compared: ASCII lower case, every run of characters other than ASCII
// letters and digits (spaces, '-', '_', '.', ...) as one '_', none at the ends. UTF-8
// letters are kept. "E-Mail Address" → "e_mail_address".
std::string NormaliseHeader(std::string_view header);

// Maps a header row to customer fields by name (NormaliseHeader, then the aliases in
// docs/api/transfer.md: "E-mail" → email, "Company name" → company, "Contact owner" →
// owner_email, ...). Other names become attribute keys (their normalised form).
// BadRequest for: no header, a header that is not UTF-8, two columns for one field or key,
// a read-only field (id, created_at, ...), more than kMaxImportColumns columns.
constexpr std::size_t kMaxImportColumns = 1000;
core::Result<std::vector<CsvColumn>> MapCustomerHeader(const CsvRecord& header);

// A problem with one record, before it reaches validation.
struct RecordProblem {
  std::optional<std::string> field;  // the column (its header), or none for the whole row
  std::string message;
};

// The body of a customer write (POST /customers, plus `owner_email`) that a CSV record
// stands for. Empty cells are left out (so in an upsert they keep the stored value); `tags`
// is a list cell (CsvSplitList); `attributes` a JSON object; `status` is matched
// case-insensitively; unknown columns add string attributes (over the `attributes` cell's
// keys); a leading formula-escape apostrophe is removed. Returns nullopt with `problems` when
// the record cannot be read (wrong number of cells, not UTF-8, NUL, an oversized cell), and
// an empty object for a record whose cells are all empty.
std::optional<nlohmann::json> CustomerFromCsv(const std::vector<CsvColumn>& columns,
                                              const CsvRecord& record,
                                              std::vector<RecordProblem>& problems);

}  // namespace rapport::transfer
