#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/page.hpp"
#include "db/database.hpp"

namespace rapport::timeline {

// One entry of a customer's timeline: `{kind, id, occurred_at, summary, data}`, where `data`
// is the full resource as its own endpoint returns it.
struct Item {
  std::string kind;
  std::string id;
  std::string occurred_at;
  std::string summary;
  nlohmann::json data;

  nlohmann::json ToJson() const;
};

using ItemPage = core::PageOf<Item>;

// The items of `records`, anything with `id`, `Summary()` and `ToJson()` (what a Source's
// Load usually returns).
template <class Records>
std::vector<Item> ItemsOf(const Records& records) {
  std::vector<Item> items;
  items.reserve(records.size());
  for (const auto& record : records) {
    Item& item = items.emplace_back();
    item.id = record.id;
    item.summary = record.Summary();
    item.data = record.ToJson();
  }
  return items;
}

// A kind of record that appears on customers' timelines (interactions, tickets; later
// emails, orders). The timeline pages through the UNION ALL of every source's SELECT, newest
// first by (occurred_at, id), then asks each source to load the items of the page.
//
// Adding a source: implement these three members beside the capability's store (see
// interactions/interaction_timeline.hpp), and pass the source to TimelineService in
// app/app.cpp. Implementations must be thread-safe (they are shared by every request).
class Source {
 public:
  virtual ~Source() = default;

  // The `kind` of this source's items ("interaction"), unique among the sources; also the
  // value of ?kind= that selects them.
  virtual std::string_view kind() const = 0;

  // Appends `SELECT <id> AS id, <when> AS occurred_at FROM ... WHERE ...` of the records of
  // `customer_id`, values bound as parameters. ids are UUIDs (unique across sources);
  // occurred_at is the fixed-width RFC 3339 text every table stores, never NULL. Keep it to
  // indexed columns: it runs for every page.
  virtual void AppendSelect(db::Query& query, std::string_view customer_id) const = 0;

  // The items with these ids, in any order, with id, summary and data filled in (kind and
  // occurred_at are filled in by the timeline). Ids no longer there are left out.
  virtual std::vector<Item> Load(db::Session& session,
                                 const std::vector<std::string>& ids) const = 0;
};

}  // namespace rapport::timeline
