#include "db/keyset.hpp"

#include <charconv>
#include <stdexcept>

#include <fmt/format.h>

namespace rapport::db {

const SortColumn& ColumnOf(const std::vector<SortColumn>& columns, std::string_view field) {
  for (const SortColumn& column : columns) {
    if (column.field == field) return column;
  }
  throw std::logic_error(fmt::format("no sort column for '{}'", field));
}

namespace {

void AppendColumn(Query& query, Engine engine, const SortColumn& column) {
  query.Sql(column.expression);
  if (!column.numeric && engine == Engine::kPostgres) query.Sql(" COLLATE \"C\"");
}

void BindValue(Query& query, const SortColumn& column, const std::string& value) {
  if (column.numeric) {
    long long n = 0;
    std::from_chars(value.data(), value.data() + value.size(), n);
    query.Param(Query::Value(n));
  } else {
    query.Param(value);
  }
}

}  // namespace

void AppendKeyset(Query& query, Engine engine, const std::vector<core::SortKey>& sort,
                  const std::vector<SortColumn>& columns, const std::vector<std::string>& after) {
  if (after.empty()) return;
  query.Sql(" AND (");
  for (std::size_t i = 0; i < sort.size(); ++i) {
    if (i > 0) query.Sql(" OR ");
    query.Sql("(");
    for (std::size_t j = 0; j < i; ++j) {
      const SortColumn& equal = ColumnOf(columns, sort[j].field);
      AppendColumn(query, engine, equal);
      query.Sql(" = ");
      BindValue(query, equal, after[j]);
      query.Sql(" AND ");
    }
    const SortColumn& column = ColumnOf(columns, sort[i].field);
    AppendColumn(query, engine, column);
    query.Sql(sort[i].descending ? " < " : " > ");
    BindValue(query, column, after[i]);
    query.Sql(")");
  }
  query.Sql(")");
}

void AppendOrderAndLimit(Query& query, Engine engine, const std::vector<core::SortKey>& sort,
                         const std::vector<SortColumn>& columns, int limit) {
  query.Sql(" ORDER BY ");
  for (std::size_t i = 0; i < sort.size(); ++i) {
    if (i > 0) query.Sql(", ");
    AppendColumn(query, engine, ColumnOf(columns, sort[i].field));
    query.Sql(sort[i].descending ? " DESC" : " ASC");
  }
  query.Sql(fmt::format(" LIMIT {}", limit));
}

PageInfo ReadPage(Session& session, Engine engine, std::string_view columns,
                  const std::function<void(Query&)>& from_where,
                  const std::vector<SortColumn>& sort_columns, const core::PageRequest& page,
                  const std::function<void(const Row&)>& read) {
  PageInfo info;
  if (page.include_total) {
    Query count("SELECT count(*)");
    from_where(count);
    info.total = session.Scalar(count);
  }
  Query query("SELECT ");
  query.Sql(columns);
  for (std::size_t i = 0; i < page.sort.size(); ++i) {
    query.Sql(fmt::format(", {} AS sort_{}", ColumnOf(sort_columns, page.sort[i].field).expression,
                          i));
  }
  from_where(query);
  AppendKeyset(query, engine, page.sort, sort_columns, page.after);
  AppendOrderAndLimit(query, engine, page.sort, sort_columns, page.limit + 1);

  int rows = 0;
  std::vector<std::string> last;
  session.ForEach(query, [&](const Row& row) {
    if (++rows > page.limit) return;
    read(row);
    if (rows == page.limit) {
      last.clear();
      for (std::size_t i = 0; i < page.sort.size(); ++i) {
        last.push_back(row.Text(fmt::format("sort_{}", i)));
      }
    }
  });
  if (rows > page.limit) info.next_cursor = core::EncodeCursor(page.sort, last);
  return info;
}

}  // namespace rapport::db
