#pragma once

#include <functional>
#include <optional>
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

// What ReadPage found besides the rows.
struct PageInfo {
  std::optional<std::string> next_cursor;  // nullopt on the last page
  std::optional<int64_t> total;            // with page.include_total only
};

// One keyset page, the whole recipe: runs
//   SELECT <columns>, <sort expressions AS sort_0, sort_1, ...> <from_where>
//     AND <rows after page.after> ORDER BY <page.sort> LIMIT page.limit + 1
// calls `read` for each of the first page.limit rows, and makes the next cursor from the
// sort values the database computed for the last of them. `from_where` appends
// ` FROM ... WHERE ...` (a WHERE clause is required: the keyset adds ` AND ...`); with
// page.include_total it is also used for `SELECT count(*) <from_where>`.
PageInfo ReadPage(Session& session, Engine engine, std::string_view columns,
                  const std::function<void(Query&)>& from_where,
                  const std::vector<SortColumn>& sort_columns, const core::PageRequest& page,
                  const std::function<void(const Row&)>& read);

// The column of `field`; throws std::logic_error for a field not in `columns` (the sort was
// validated against the same list, so this is a programming error).
const SortColumn& ColumnOf(const std::vector<SortColumn>& columns, std::string_view field);

}  // namespace rapport::db
