#include "timeline/timeline_service.hpp"

#include <algorithm>
#include <stdexcept>
#include <unordered_map>

#include <fmt/format.h>

#include "db/keyset.hpp"

namespace rapport::timeline {

namespace {

const std::vector<db::SortColumn> kSortColumns = {
    {"id", "items.id"},
    {"occurred_at", "items.occurred_at"},
};

// One row of the union: which source, which record, when.
struct Entry {
  std::size_t source;
  std::string id;
  std::string occurred_at;
};

}  // namespace

TimelineService::TimelineService(db::Database& database, customers::CustomerService& customers,
                                 std::vector<const Source*> sources)
    : database_(database), customers_(customers), sources_(std::move(sources)) {
  for (const Source* source : sources_) {
    if (std::find(kinds_.begin(), kinds_.end(), source->kind()) != kinds_.end()) {
      throw std::logic_error(fmt::format("two timeline sources of kind {}", source->kind()));
    }
    kinds_.push_back(source->kind());
  }
}

core::Result<ItemPage> TimelineService::List(const core::Principal& who,
                                             std::string_view customer_id,
                                             const std::optional<std::vector<std::string>>& kinds,
                                             const core::PageRequest& page) {
  if (!who.is_user()) return core::Error::Forbidden("only staff users read timelines");
  return database_.Read([&](db::Session& session) -> core::Result<ItemPage> {
    auto customer = customers_.Get(session, who, customer_id);
    if (!customer) return customer.error();

    std::vector<std::size_t> chosen;
    for (std::size_t i = 0; i < sources_.size(); ++i) {
      if (!kinds || std::find(kinds->begin(), kinds->end(), sources_[i]->kind()) != kinds->end()) {
        chosen.push_back(i);
      }
    }
    ItemPage result;
    if (chosen.empty()) return result;

    // The source's position is a number of this code, not a value from the request.
    auto from_where = [&](db::Query& query) {
      query.Sql(" FROM (");
      for (std::size_t n = 0; n < chosen.size(); ++n) {
        if (n > 0) query.Sql(" UNION ALL ");
        query.Sql(fmt::format("SELECT {0} AS src, s{0}.id AS id, s{0}.occurred_at AS "
                              "occurred_at FROM (",
                              chosen[n]));
        sources_[chosen[n]]->AppendSelect(query, customer->id);
        query.Sql(fmt::format(") s{}", chosen[n]));
      }
      query.Sql(") items WHERE 1 = 1");
    };
    std::vector<Entry> entries;
    db::PageInfo info = db::ReadPage(
        session, database_.engine(), "items.src, items.id, items.occurred_at", from_where,
        kSortColumns, page, [&](const db::Row& row) {
          entries.push_back({static_cast<std::size_t>(row.IntAt(0).value_or(0)), row.TextAt(1),
                             row.TextAt(2)});
        });
    result.next_cursor = std::move(info.next_cursor);
    result.total = info.total;

    // One query per source for the page's items, then back into the page's order.
    std::unordered_map<std::string, Item> loaded;
    for (std::size_t source : chosen) {
      std::vector<std::string> ids;
      for (const Entry& entry : entries) {
        if (entry.source == source) ids.push_back(entry.id);
      }
      if (ids.empty()) continue;
      for (Item& item : sources_[source]->Load(session, ids)) {
        std::string id = item.id;
        loaded.emplace(std::move(id), std::move(item));
      }
    }
    result.data.reserve(entries.size());
    for (Entry& entry : entries) {
      auto it = loaded.find(entry.id);
      if (it == loaded.end()) continue;  // deleted between the two queries
      Item& item = it->second;
      item.kind = std::string(sources_[entry.source]->kind());
      item.occurred_at = std::move(entry.occurred_at);
      result.data.push_back(std::move(item));
    }
    return result;
  });
}

}  // namespace rapport::timeline
