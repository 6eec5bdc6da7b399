#pragma once

#include <algorithm>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"
#include "db/database.hpp"

namespace rapport::db {

// Records read by their key, the shape most stores share: SELECT `columns` FROM `from` (a
// table and its alias, e.g. "orders o") WHERE `key` (e.g. "o.id") matches, each row made a
// record by `read` (a function of a const Row&).

// The record whose key is `id`; nullopt when there is none.
template <typename Read>
auto FindOne(Session& session, std::string_view columns, std::string_view from,
             std::string_view key, std::string_view id, const Read& read) {
  std::optional<decltype(read(std::declval<const Row&>()))> found;
  Query query("SELECT ");
  query.Sql(columns).Sql(" FROM ").Sql(from).Sql(" WHERE ").Sql(key).Sql(" = ").Param(id);
  session.First(query, [&](const Row& row) { found = read(row); });
  return found;
}

// The records whose keys are among `ids`, in no particular order; none for no ids.
template <typename Read>
auto FindAll(Session& session, std::string_view columns, std::string_view from,
             std::string_view key, const std::vector<std::string>& ids, const Read& read) {
  std::vector<decltype(read(std::declval<const Row&>()))> found;
  if (ids.empty()) return found;
  Query query("SELECT ");
  query.Sql(columns).Sql(" FROM ").Sql(from).Sql(" WHERE ").Sql(key).Sql(" IN (");
  query.ParamList(ids).Sql(")");
  session.ForEach(query, [&](const Row& row) { found.push_back(read(row)); });
  return found;
}

// Inserts `count` rows, `per_statement` a statement: `head` ("INSERT INTO t (a, b) VALUES ")
// then "(…), (…)", the values of row i (from 0) appended by `row(query, i)`. A failing
// statement throws; the statements before it have run.
template <typename AppendRow>
void InsertRows(Session& session, std::string_view head, std::size_t count,
                std::size_t per_statement, const AppendRow& row) {
  for (std::size_t start = 0; start < count; start += per_statement) {
    const std::size_t end = std::min(count, start + per_statement);
    Query query(head);
    for (std::size_t i = start; i < end; ++i) {
      query.Sql(i == start ? "(" : ", (");
      row(query, i);
      query.Sql(")");
    }
    session.Exec(query);
  }
}

// Runs `query` (an INSERT, or an UPDATE guarded by `AND version = …`) and returns how many
// rows it changed. A constraint violation comes back as the error `constraint_error` (a
// function of the exception returning std::optional<core::Error>) makes of it; any other
// failure, or one it makes nothing of, throws.
template <typename ConstraintError>
core::Result<int64_t> ExecChecked(Session& session, const Query& query,
                                  const ConstraintError& constraint_error) {
  try {
    return session.Exec(query);
  } catch (const std::exception& e) {
    if (std::optional<core::Error> error = constraint_error(e)) return *std::move(error);
    throw;
  }
}

// Deletes the row of `table` whose id is `id`, only at `expected_version` when one is given.
// Returns whether a row was deleted.
inline bool DeleteById(Session& session, std::string_view table, std::string_view id,
                       std::optional<int64_t> expected_version) {
  Query query("DELETE FROM ");
  query.Sql(table).Sql(" WHERE id = ").Param(id);
  if (expected_version) query.Sql(" AND version = ").Param(*expected_version);
  return session.Exec(query) > 0;
}

}  // namespace rapport::db
