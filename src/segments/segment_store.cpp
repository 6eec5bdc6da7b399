#include "segments/segment_store.hpp"

#include <fmt/format.h>

#include "core/text.hpp"
#include "core/time.hpp"
#include "db/keyset.hpp"
#include "db/records.hpp"

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
  auto changed = db::ExecChecked(session, query, [](const std::exception& e) {
    return db::IsUniqueViolation(e) ? std::optional(DuplicateName()) : std::nullopt;
  });
  if (!changed) return changed.error();
  if (*changed == 0) return false;
  s.version += 1;
  s.updated_at = updated_at;
  return true;
}

bool SegmentStore::Delete(db::Session& session, std::string_view id,
                          std::optional<int64_t> expected_version) const {
  return db::DeleteById(session, "segments", id, expected_version);
}

core::Page SegmentStore::List(db::Session& session, const SegmentFilter& filter,
                              const core::PageRequest& page) const {
  core::Page result;
  const db::PageInfo info = db::ReadPage(
      session, engine_, kColumns,
      [&](db::Query& query) {
        query.Sql(" FROM segments");
        AppendFilter(query, filter);
      },
      kSortColumns, page, [&](const db::Row& row) { result.data.push_back(FromRow(row).ToJson()); });
  result.next_cursor = info.next_cursor;
  result.total = info.total;
  return result;
}

}  // namespace rapport::segments
