#include "segments/segment_store.hpp"

#include <fmt/format.h>

#include "core/text.hpp"
#include "core/time.hpp"
#include "db/keyset.hpp"

namespace rapport::segments {

namespace {

constexpr std::string_view kColumns =
    "id, name, description, rules, version, created_at, updated_at";

const std::vector<db::SortColumn> kSortColumns = {{"id", "id"},
                                                  {"name", "lower(name)"},
                                                  {"created_at", "created_at"},
                                                  {"updated_at", "updated_at"}};

Segment FromRow(const db::Row& row) {
  Segment segment;
  segment.id = row.Text("id");
  segment.name = row.Text("name");
  segment.description = row.OptText("description");
  // Written by this code as the normalised form: at most kMaxDepth deep.
  segment.rules = nlohmann::json::parse(row.Text("rules"), nullptr, /*allow_exceptions=*/false);
  if (segment.rules.is_discarded()) segment.rules = nullptr;
  segment.version = row.Int("version");
  segment.created_at = row.Text("created_at");
  segment.updated_at = row.Text("updated_at");
  return segment;
}

std::string RulesText(const Segment& segment) {
  return segment.rules.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

core::Error DuplicateName() {
  return core::Error::Conflict("name", "a segment with this name already exists");
}

void AppendFilter(db::Query& query, const SegmentFilter& filter) {
  query.Sql(" WHERE 1 = 1");
  if (filter.q) {
    const std::string pattern = "%" + core::EscapeLike(*filter.q) + "%";
    query.Sql(" AND (lower(name) LIKE lower(").Param(pattern).Sql(") ESCAPE '\\'");
    query.Sql(" OR lower(description) LIKE lower(").Param(pattern).Sql(") ESCAPE '\\')");
  }
}

}  // namespace

std::optional<Segment> SegmentStore::FindById(db::Session& session, std::string_view id) const {
  std::optional<Segment> segment;
  session.First(db::Query(fmt::format("SELECT {} FROM segments WHERE id = ", kColumns)).Param(id),
                [&](const db::Row& row) { segment = FromRow(row); });
  return segment;
}

core::Status SegmentStore::Insert(db::Session& session, const Segment& s) const {
  db::Query query(
      "INSERT INTO segments (id, name, description, rules, version, created_at, updated_at) "
      "VALUES (");
  query.Param(s.id).Sql(", ").Param(s.name).Sql(", ").Param(s.description).Sql(", ");
  query.Param(RulesText(s)).Sql(", ").Param(s.version).Sql(", ").Param(s.created_at);
  query.Sql(", ").Param(s.updated_at).Sql(")");
  if (!session.ExecUnlessDuplicate(query)) return DuplicateName();
  return core::Ok{};
}

core::Result<bool> SegmentStore::Update(db::Session& session, Segment& s) const {
  const std::string updated_at = core::FormatTimestamp(core::Now());
  db::Query query("UPDATE segments SET name = ");
  query.Param(s.name).Sql(", description = ").Param(s.description);
  query.Sql(", rules = ").Param(RulesText(s));
  query.Sql(", version = version + 1, updated_at = ").Param(updated_at);
  query.Sql(" WHERE id = ").Param(s.id).Sql(" AND version = ").Param(s.version);
  int64_t changed = 0;
  try {
    changed = session.Exec(query);
  } catch (const std::exception& e) {
    if (db::IsUniqueViolation(e)) return DuplicateName();
    throw;
  }
  if (changed == 0) return false;
  s.version += 1;
  s.updated_at = updated_at;
  return true;
}

bool SegmentStore::Delete(db::Session& session, std::string_view id,
                          std::optional<int64_t> expected_version) const {
  db::Query query("DELETE FROM segments WHERE id = ");
  query.Param(id);
  if (expected_version) query.Sql(" AND version = ").Param(*expected_version);
  return session.Exec(query) > 0;
}

core::Page SegmentStore::List(db::Session& session, const SegmentFilter& filter,
                              const core::PageRequest& page) const {
  core::Page result;
  if (page.include_total) {
    db::Query count("SELECT count(*) FROM segments");
    AppendFilter(count, filter);
    result.total = session.Scalar(count);
  }
  db::Query query("SELECT ");
  query.Sql(kColumns);
  for (std::size_t i = 0; i < page.sort.size(); ++i) {
    query.Sql(fmt::format(", {} AS sort_{}", db::ColumnOf(kSortColumns, page.sort[i].field).expression, i));
  }
  query.Sql(" FROM segments");
  AppendFilter(query, filter);
  db::AppendKeyset(query, engine_, page.sort, kSortColumns, page.after);
  db::AppendOrderAndLimit(query, engine_, page.sort, kSortColumns, page.limit + 1);
  int rows = 0;
  std::vector<std::string> last;
  session.ForEach(query, [&](const db::Row& row) {
    if (++rows > page.limit) return;
    result.data.push_back(FromRow(row).ToJson());
    if (rows == page.limit) {
      last.clear();
      for (std::size_t i = 0; i < page.sort.size(); ++i) {
        last.push_back(row.Text(fmt::format("sort_{}", i)));
      }
    }
  });
  if (rows > page.limit) result.next_cursor = core::EncodeCursor(page.sort, last);
  return result;
}

}  // namespace rapport::segments
