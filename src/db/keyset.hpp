#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/page.hpp"
#include "db/database.hpp"

namespace rapport::db {

// How a sortable API field reads in SQL. Expressions must never be NULL (wrap nullable
// columns in COALESCE) so both engines order and compare them alike.
struct SortColumn {
  std::string_view field;
  std::string_view expression;
  bool numeric = false;
};

// Text compares bytewise on both engines (PostgreSQL gets COLLATE "C"), so pages and orders
// agree whatever the database's locale.
//
// Appends ` AND (<rows after the cursor>)` for keyset pagination; nothing without a cursor.
void AppendKeyset(Query& query, Engine engine, const std::vector<core::SortKey>& sort,
                  const std::vector<SortColumn>& columns, const std::vector<std::string>& after);

// Appends ` ORDER BY ...` for `sort`, then ` LIMIT n`.
void AppendOrderAndLimit(Query& query, Engine engine, const std::vector<core::SortKey>& sort,
                         const std::vector<SortColumn>& columns, int limit);

// The column of `field`; throws std::logic_error for a field not in `columns` (the sort was
// validated against the same list, so this is a programming error).
const SortColumn& ColumnOf(const std::vector<SortColumn>& columns, std::string_view field);

}  // namespace rapport::db
